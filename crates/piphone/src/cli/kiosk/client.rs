//! Reaching the running server from this machine: `https://127.0.0.1:<port>` (from `PIPHONE_LISTEN`) with the
//! server's own certificate pinned (see [`super::pin`]), and its local control API with the control secret.

use std::time::Duration;

use anyhow::Context;
use http::StatusCode;
use http::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use url::Url;

use crate::kiosk::ControlSecret;
use crate::kiosk::messages::{Command, Outcome, Status};
use crate::settings::Settings;

/// The local server, as the command line and the kiosk supervisor see it.
#[derive(Clone, Debug)]
pub struct LocalServer {
    pub base: Url,
    pub http: reqwest::Client,
}

impl LocalServer {
    /// The server the settings describe. Fails when the port is 0 (nothing to find) or, with TLS, when the
    /// certificate is not there yet (the server has never run with this data directory).
    pub fn new(settings: &Settings) -> anyhow::Result<LocalServer> {
        crate::tls::install_crypto_provider();
        anyhow::ensure!(
            settings.listen.port() != 0,
            "PIPHONE_LISTEN={} has port 0: give the server a fixed port so the command line can find it",
            settings.listen
        );
        let cert = super::pin::server_certificate(settings)?;
        let base = crate::server::local_url(settings.listen, cert.is_some());
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none());
        let builder = match cert {
            Some(cert) => builder.tls_backend_preconfigured(super::pin::client_config(cert)?),
            None => builder,
        };
        let http = builder.build().context("building the HTTP client")?;
        Ok(LocalServer { base, http })
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a path joins a base URL")
    }

    /// Whether the server answers `/healthz`.
    pub async fn is_up(&self) -> bool {
        matches!(
            self.http
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await,
            Ok(res) if res.status().is_success()
        )
    }
}

/// The local control API (`/api/kiosk/…`) with the control secret.
#[derive(Clone, Debug)]
pub struct Control {
    pub server: LocalServer,
    secret: ControlSecret,
}

/// What became of a request to the control API.
#[derive(Debug)]
pub enum Answer<T> {
    /// 2xx with its body.
    Done(T),
    /// Another status, with the server's `error` text.
    Refused(StatusCode, String),
}

impl Control {
    pub fn new(settings: &Settings) -> anyhow::Result<Control> {
        Ok(Control {
            server: LocalServer::new(settings)?,
            secret: ControlSecret::load(&settings.data_dir)?,
        })
    }

    async fn read<T: DeserializeOwned>(res: reqwest::Response) -> anyhow::Result<Answer<T>> {
        let status = res.status();
        if status.is_success() {
            return Ok(Answer::Done(
                res.json().await.context("reading the server's answer")?,
            ));
        }
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        let message = body["error"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| status.to_string());
        Ok(Answer::Refused(status, message))
    }

    /// `GET /api/kiosk/status`.
    pub async fn status(&self) -> anyhow::Result<Answer<Status>> {
        self.get("/api/kiosk/status").await
    }

    /// `POST /api/kiosk/command`, waiting as long as the command may take (plus a margin).
    pub async fn command(
        &self,
        command: &Command,
        timeout: Option<Duration>,
    ) -> anyhow::Result<Answer<Outcome>> {
        let mut body = serde_json::to_value(command)?;
        if let Some(t) = timeout {
            body["timeout_secs"] = t.as_secs().max(1).into();
        }
        let wait = timeout.unwrap_or(Duration::from_secs(60)) + Duration::from_secs(10);
        self.post("/api/kiosk/command", &body, wait).await
    }

    /// `GET path` with the control secret.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<Answer<T>> {
        self.send(
            self.server.http.get(self.server.url(path)),
            Duration::from_secs(10),
        )
        .await
    }

    /// `POST path` with a JSON body and the control secret, waiting up to `wait` for the answer.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        wait: Duration,
    ) -> anyhow::Result<Answer<T>> {
        self.send(
            self.server.http.post(self.server.url(path)).json(body),
            wait,
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        wait: Duration,
    ) -> anyhow::Result<Answer<T>> {
        let res = request
            .header(AUTHORIZATION, self.secret.bearer())
            .timeout(wait)
            .send()
            .await
            .with_context(|| format!("cannot reach the piphone server at {}", self.server.base))?;
        Self::read(res).await
    }
}
