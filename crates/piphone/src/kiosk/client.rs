//! Reaching the running server from this machine: `https://127.0.0.1:<port>` (from `PIPHONE_LISTEN`) with the
//! server's own certificate pinned (see [`super::pin`]).

use std::time::Duration;

use anyhow::Context;
use url::Url;

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
        crate::startup::install_crypto_provider();
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
