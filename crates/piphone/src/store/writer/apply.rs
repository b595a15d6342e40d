//! Running a batch of changes: the new dial-log rows as one statement, consecutive call-log rows of one shape as
//! another, the rest one statement each; a failed multi-row statement again row by row.

use sqlx::SqliteConnection;

use super::write::{Sql, Write, execute};
use super::{Job, Op};

/// Makes the changes: the new dial-log rows first (one statement), then the others in order, consecutive
/// call-log rows of the same shape together. Returns each change's result (rows changed).
pub(super) async fn apply(
    conn: &mut SqliteConnection,
    writes: &[Job],
) -> Vec<Result<u64, sqlx::Error>> {
    let mut results: Vec<Option<Result<u64, sqlx::Error>>> = writes.iter().map(|_| None).collect();
    let rows: Vec<usize> = (0..writes.len())
        .filter(|&i| matches!(writes[i].op, Op::Dialled { .. } | Op::Refused { .. }))
        .collect();
    if !rows.is_empty() {
        run_unit(conn, writes, &rows, &mut results).await;
    }
    let mut i = 0;
    while i < writes.len() {
        let start = i;
        i += 1;
        match &writes[start].op {
            Op::Ended { .. } => run_unit(conn, writes, &[start], &mut results).await,
            Op::Exec(first) => {
                if matches!(first.sql, Sql::Row { .. }) {
                    while let Some(Job {
                        op: Op::Exec(next), ..
                    }) = writes.get(i)
                        && next.sql == first.sql
                    {
                        i += 1;
                    }
                }
                let unit: Vec<usize> = (start..i).collect();
                run_unit(conn, writes, &unit, &mut results).await;
            }
            _ => {}
        }
    }
    results.into_iter().map(|r| r.unwrap_or(Ok(0))).collect()
}

/// Runs the changes `unit` (indexes into `writes`, all of one shape) as one statement; if that fails and there
/// are several, each alone.
async fn run_unit(
    conn: &mut SqliteConnection,
    writes: &[Job],
    unit: &[usize],
    results: &mut [Option<Result<u64, sqlx::Error>>],
) {
    let jobs: Vec<&Job> = unit.iter().map(|&i| &writes[i]).collect();
    match statement(conn, &jobs).await {
        Ok(rows) => {
            for &i in unit {
                results[i] = Some(Ok(if unit.len() == 1 { rows } else { 1 }));
            }
        }
        Err(e) if unit.len() == 1 => results[unit[0]] = Some(Err(e)),
        Err(e) => {
            tracing::warn!(error = %e, changes = unit.len(), "a multi-row write failed; retrying row by row");
            for &i in unit {
                results[i] = Some(statement(conn, &[&writes[i]]).await);
            }
        }
    }
}

/// One statement for `jobs` (all dial-log rows, one `Ended`, or `Exec`s of one shape).
async fn statement(conn: &mut SqliteConnection, jobs: &[&Job]) -> Result<u64, sqlx::Error> {
    match &jobs[0].op {
        Op::Dialled { .. } | Op::Refused { .. } => {
            let rows: Vec<serde_json::Value> = jobs
                .iter()
                .map(|job| match &job.op {
                    Op::Dialled {
                        username,
                        number,
                        call_sid,
                        at,
                        ..
                    } => serde_json::json!([*at, username, number, "dialled", null, call_sid]),
                    Op::Refused {
                        username,
                        number,
                        reason,
                        at,
                    } => serde_json::json!([*at, username, number, "refused", reason, null]),
                    _ => unreachable!("only dial-log rows are grouped here"),
                })
                .collect();
            let done = sqlx::query(
                "INSERT INTO dial_log (at, username, number, outcome, reason, call_sid) \
                 SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 \
                 FROM json_each(?) WHERE true ORDER BY key",
            )
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(conn)
            .await?;
            Ok(done.rows_affected())
        }
        Op::Ended { call_sid, at } => {
            let done = sqlx::query(
                "UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL",
            )
            .bind(at)
            .bind(call_sid)
            .execute(conn)
            .await?;
            Ok(done.rows_affected())
        }
        Op::Exec(_) => {
            let writes: Vec<&Write> = jobs
                .iter()
                .filter_map(|j| match &j.op {
                    Op::Exec(w) => Some(w),
                    _ => None,
                })
                .collect();
            execute(conn, &writes).await
        }
        // Loads and flushes are answered after the changes.
        Op::Load { .. } | Op::Flush => Ok(0),
    }
}
