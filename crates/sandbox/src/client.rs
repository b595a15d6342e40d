//! A client of the control API, for the sandbox's users in other processes: `piphone sandbox call-in`, and
//! piphone's sandbox panel when the sandbox runs as its own process (`piphone sandbox serve`).

use anyhow::Context as _;
use serde_json::{Value, json};

use super::{Credentials, FIRST_WEBHOOK_WAIT, PlacedCall, Voice};

/// The control API of the sandbox at one base URL, with the sandbox account's credentials.
#[derive(Clone)]
pub struct ControlClient {
    base: url::Url,
    account_sid: String,
    auth_token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlClient")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

impl ControlClient {
    /// A client of the sandbox at `base` (e.g. `https://127.0.0.1:8443`); `insecure` accepts a self-signed
    /// certificate.
    pub fn new(
        base: url::Url,
        creds: &Credentials,
        insecure: bool,
    ) -> anyhow::Result<ControlClient> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(insecure)
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .context("building the HTTP client")?;
        Ok(ControlClient {
            base,
            account_sid: creds.account_sid.clone(),
            auth_token: creds.auth_token.clone(),
            http,
        })
    }

    /// The sandbox's base URL.
    pub fn base(&self) -> &url::Url {
        &self.base
    }

    /// Asks the sandbox to place `count` calls from consecutive numbers starting at `from`, every caller
    /// speaking with `voice` (by default each gets its own tone); returns their CallSids.
    pub async fn call_in_with_voice(
        &self,
        from: &str,
        count: u32,
        voice: Option<&Voice>,
    ) -> anyhow::Result<Vec<String>> {
        let calls = self.place(from, count, voice, false).await?;
        Ok(calls.into_iter().map(|c| c.call_sid).collect())
    }

    /// [`ControlClient::call_in_with_voice`], waiting (up to [`FIRST_WEBHOOK_WAIT`]) for each call's first
    /// webhook: the calls with how piphone answered it ([`PlacedCall::problem`] says when it did not).
    pub async fn call_in_checked(
        &self,
        from: &str,
        count: u32,
        voice: Option<&Voice>,
    ) -> anyhow::Result<Vec<PlacedCall>> {
        self.place(from, count, voice, true).await
    }

    async fn place(
        &self,
        from: &str,
        count: u32,
        voice: Option<&Voice>,
        wait: bool,
    ) -> anyhow::Result<Vec<PlacedCall>> {
        let body = json!({ "from": from, "count": count, "voice": voice, "wait": wait });
        let answer = self
            .send(reqwest::Method::POST, "/sandbox/call-in", Some(body))
            .await?;
        serde_json::from_value(answer["calls"].clone()).context("no `calls` in the answer")
    }

    /// The dialled number `number` answers and speaks with `voice` (see `Sandbox::answer_with_voice`).
    pub async fn answer_with_voice(&self, number: &str, voice: &Voice) -> anyhow::Result<()> {
        let body = json!({ "number": number, "behaviour": "answer", "voice": voice });
        self.send(reqwest::Method::POST, "/sandbox/phones", Some(body))
            .await
            .map(drop)
    }

    /// The account's setup resources: TwiML Apps, the station number, API keys (see `Sandbox::setup`).
    pub async fn setup(&self) -> anyhow::Result<Value> {
        self.send(reqwest::Method::GET, "/sandbox/setup", None)
            .await
    }

    /// One control API request; its JSON answer, or an error naming the request.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = self.base.join(path).context("building the control URL")?;
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            // Room for a call-in that waits for its first webhooks.
            .timeout(FIRST_WEBHOOK_WAIT + std::time::Duration::from_secs(5));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .with_context(|| format!("reading the answer of {method} {url}"))?;
        anyhow::ensure!(
            status.is_success(),
            "{method} {url} answered {status}: {answer}"
        );
        Ok(answer)
    }
}
