//! `piphone sandbox call-in`: simulated listeners phone the station through the control API.

use anyhow::Context as _;
use serde_json::{Value, json};

use super::Credentials;

/// Asks the sandbox at `server` (piphone's base URL) to place `count` calls from consecutive
/// numbers starting at `from`; returns their CallSids. `insecure` accepts a self-signed certificate.
pub async fn call_in(
    server: &url::Url,
    creds: &Credentials,
    from: &str,
    count: u32,
    insecure: bool,
) -> anyhow::Result<Vec<String>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(insecure)
        .build()
        .context("building the HTTP client")?;
    let url = server
        .join("/sandbox/call-in")
        .context("building the control URL")?;
    let response = client
        .post(url.clone())
        .basic_auth(&creds.account_sid, Some(&creds.auth_token))
        .json(&json!({ "from": from, "count": count }))
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("reading the answer of POST {url}"))?;
    anyhow::ensure!(status.is_success(), "POST {url} answered {status}: {body}");
    let sids = body["calls"]
        .as_array()
        .context("no `calls` in the answer")?
        .iter()
        .filter_map(|c| c["call_sid"].as_str().map(str::to_owned))
        .collect();
    Ok(sids)
}
