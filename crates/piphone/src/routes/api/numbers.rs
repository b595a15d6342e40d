//! `GET /api/check-number`: live validation and formatting for the number field. A courtesy: `/voice` decides.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::CurrentUser;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NumberQuery {
    #[serde(default)]
    number: String,
}

pub async fn check_number(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<NumberQuery>,
) -> Json<Value> {
    Json(match state.policy.check(&q.number) {
        Ok(n) => json!({
            "valid": true, "allowed": true, "e164": n.e164(), "formatted": n.formatted(),
            "country": n.country(), "reason": null,
        }),
        Err(refusal) => {
            let parsed = crate::domain::PhoneNumber::parse(
                &q.number,
                state.policy.default_region.as_deref(),
            )
            .ok();
            json!({
                "valid": parsed.is_some(), "allowed": false,
                "e164": parsed.as_ref().map(|n| n.e164().to_owned()),
                "formatted": parsed.as_ref().map(|n| n.formatted()),
                "country": parsed.as_ref().and_then(|n| n.country().map(str::to_owned)),
                "reason": refusal.to_string(),
            })
        }
    })
}
