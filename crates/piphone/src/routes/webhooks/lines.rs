//! `POST /voice/line?n=N`: a caller the host put on line N of the studio hybrid (REST redirect from
//! `hybrid::control`). Answers the line's TwiML (`hybrid::twiml`): the Media Stream, with a per-call secret the
//! stream must present, then the screened queue for when the stream ends unexpectedly. A caller piphone did not
//! send to that line goes straight back to the screened queue.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{TwilioForm, twiml};
use crate::hybrid::twiml::{not_on_line, on_line};
use crate::media::streams::StreamOwner;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LineQuery {
    /// The line, as piphone wrote it into the redirect `Url` (a string, so a bad value is answered only after
    /// the signature is checked).
    n: Option<String>,
}

#[tracing::instrument(skip_all, fields(call_sid = form.call_sid(), line = query.n.as_deref()))]
pub async fn line_stream(
    State(state): State<AppState>,
    Query(query): Query<LineQuery>,
    form: TwilioForm,
) -> Response {
    let sid = form.call_sid();
    let settings = &state.settings.callin;
    let line = query.n.as_deref().and_then(|n| n.parse::<u8>().ok());
    let expected = line.filter(|&n| {
        state
            .hybrid
            .as_ref()
            .is_some_and(|h| h.read(|l| l.call_on(n) == Some(sid)))
    });
    let Some(n) = expected else {
        tracing::warn!("caller not expected on this line: back to the screened queue");
        return twiml(not_on_line(settings));
    };
    let owner = StreamOwner::Line(n);
    let ticket = state.streams.expect(sid, owner.clone());
    twiml(on_line(
        ticket.connect_twiml(&state.public_url, &owner),
        settings,
    ))
}
