//! The call log for people: the searchable page (`/calls`), its JSON (`/api/calls`), the CSV export
//! (`/calls.csv`) — admins and hosts only — and one number's history (`/api/callers/{number}`), which screeners
//! may read too (they see it for the caller they are screening).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::extract::{CallLogPage, LogReader, Screener};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{CallEntry, CallFilter, CallKind};

/// Rows per page of `/api/calls`, at most.
const MAX_PAGE: i64 = 1000;
/// Rows in one CSV export, at most.
const MAX_EXPORT: i64 = 100_000;
/// Earlier calls shown with a caller's history.
const HISTORY_CALLS: i64 = 20;

/// What the page and the export filter by.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    /// Free text: number, outcome, people, notes.
    q: Option<String>,
    kind: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl LogQuery {
    fn filter(&self, default_limit: i64, max: i64) -> Result<CallFilter, AppError> {
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(
                CallKind::parse(k)
                    .ok_or_else(|| AppError::BadRequest(format!("unknown kind {k:?}")))?,
            ),
        };
        Ok(CallFilter {
            text: self.q.clone(),
            kind,
            number: None,
            limit: self.limit.unwrap_or(default_limit).clamp(1, max),
            offset: self.offset.unwrap_or(0).max(0),
        })
    }
}

/// `GET /calls`: the call log page.
pub async fn calls_page(_user: CallLogPage) -> Response {
    super::pages::page("calls")
}

/// `GET /api/calls?q=&kind=&limit=&offset=`: log rows, newest first.
pub async fn list_calls(
    State(state): State<AppState>,
    _user: LogReader,
    Query(query): Query<LogQuery>,
) -> Result<Json<Value>, AppError> {
    let filter = query.filter(200, MAX_PAGE)?;
    let calls = state.store.list_calls(&filter).await?;
    Ok(Json(json!({
        "calls": calls,
        "retention_days": state.settings.callin.call_log_days,
    })))
}

/// `GET /calls.csv?q=&kind=`: the log as CSV, with spreadsheet formulas neutralised.
pub async fn calls_csv(
    State(state): State<AppState>,
    LogReader(user): LogReader,
    Query(query): Query<LogQuery>,
) -> Result<Response, AppError> {
    let filter = query.filter(MAX_EXPORT, MAX_EXPORT)?;
    let calls = state.store.list_calls(&filter).await?;
    tracing::info!(user = %user.username, rows = calls.len(), "call log exported");
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"calls.csv\""),
            (CACHE_CONTROL, "no-store"),
        ],
        to_csv(&calls),
    )
        .into_response())
}

/// `GET /api/callers/{number}`: what the station knows about a number (screeners, hosts, admins).
pub async fn caller_history(
    State(state): State<AppState>,
    _user: Screener,
    Path(number): Path<String>,
) -> Result<Json<Value>, AppError> {
    let number = crate::call_log::caller_number(&state.policy, &number);
    let history = state.store.history(&number, None).await?;
    let calls = state
        .store
        .list_calls(&CallFilter {
            number: Some(number.clone()),
            limit: HISTORY_CALLS,
            ..CallFilter::default()
        })
        .await?;
    Ok(Json(
        json!({ "number": number, "history": history, "calls": calls }),
    ))
}

const HEADER: [&str; 17] = [
    "started_at",
    "ended_at",
    "duration_seconds",
    "kind",
    "number",
    "outcome",
    "detail",
    "user",
    "screener",
    "host",
    "on_air_seconds",
    "name",
    "location",
    "topic",
    "priority",
    "notes",
    "call_sid",
];

fn time_text(t: Option<i64>) -> String {
    t.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The log as CSV (RFC 4180, every cell quoted).
pub fn to_csv(calls: &[CallEntry]) -> String {
    let mut out = String::new();
    push_row(&mut out, HEADER.iter().map(|h| h.to_string()));
    for c in calls {
        let notes = c.notes.as_ref().map(|n| &n.notes);
        let text = |f: fn(&crate::domain::CallerNotes) -> &str| {
            notes.map(|n| f(n).to_owned()).unwrap_or_default()
        };
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        push_row(
            &mut out,
            [
                time_text(Some(c.started_at)),
                time_text(c.ended_at),
                number(c.duration_seconds),
                c.kind.clone(),
                c.number.clone(),
                c.outcome.clone(),
                c.detail.clone().unwrap_or_default(),
                c.username.clone().unwrap_or_default(),
                c.screener.clone().unwrap_or_default(),
                c.host.clone().unwrap_or_default(),
                number(c.on_air_seconds),
                text(|n| &n.name),
                text(|n| &n.location),
                text(|n| &n.topic),
                notes
                    .map(|n| n.priority.as_str().to_owned())
                    .unwrap_or_default(),
                text(|n| &n.notes),
                c.call_sid.clone(),
            ],
        );
    }
    out
}

fn push_row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&csv_cell(&cell).replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

/// A cell a spreadsheet would read as a formula (OWASP's list: `= + - @`, tab, carriage return, and their
/// full-width forms) gets a leading `'`, so it is shown as text. Phone numbers (`+1…`) become `'+1…` too.
pub fn csv_cell(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '＝' | '＋' | '－' | '＠') => {
            format!("'{cell}")
        }
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        for (cell, want) in [
            ("=1+2", "'=1+2"),
            ("+15551230001", "'+15551230001"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=x", "'\t=x"),
            ("＝1", "'＝1"),
            ("plain", "plain"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
        let mut out = String::new();
        push_row(&mut out, ["a\"b".to_owned(), "=c".to_owned()]);
        assert_eq!(out, "\"a\"\"b\",\"'=c\"\r\n");
    }
}
