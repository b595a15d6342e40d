//! `GET /healthz`: public liveness, and which mode piphone runs in (pages show a sandbox banner from it).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "mode": if state.sandbox() { "sandbox" } else { "twilio" },
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
