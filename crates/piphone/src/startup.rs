//! Assembling piphone from its settings: data directory, store, first admin, listener, TLS, Twilio account
//! (real or sandbox), state and router. Tests call [`Application::build`] with port 0 and a temporary data dir.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use rand::distr::{Alphanumeric, SampleString};
use rustls::ServerConfig;
use sandbox::{ControlClient, Credentials, Sandbox, SandboxOptions};
use tokio::net::TcpListener;
use twilio::rest::{Auth, ClientConfig};
use url::Url;

use crate::auth::{LoginLimiter, password};
use crate::callin::QueueHub;
use crate::domain::{DialPolicy, Role};
use crate::hybrid::Hybrid;
use crate::settings::{IncomingMode, Secret, Settings, TwilioSettings};
use crate::state::{AppState, AppStateInner, Presence, SandboxLink};
use crate::store::{self, NewUser, Store};

/// The number the phone page offers in sandbox mode: a fictional one the sandbox's simulated phones answer.
pub const SANDBOX_DEFAULT_NUMBER: &str = "+15550100100";

/// A built, bound, not yet serving piphone.
pub struct Application {
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    /// Where this machine reaches the listener, e.g. `https://127.0.0.1:8443`.
    pub local_url: Url,
    pub state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        crate::tls::install_crypto_provider();
        crate::fsutil::ensure_private_dir(&settings.data_dir)?;
        let store = store::connect(&settings.database_url)
            .await
            .with_context(|| format!("opening the database {}", settings.database_url))?;
        ensure_first_admin(&store, settings.admin_password.as_ref()).await?;
        let retention = settings.callin.call_log_days;
        crate::call_log::purge(&store, retention).await;
        if retention > 0 {
            crate::call_log::spawn_retention(store.clone(), retention);
        }

        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let bound = listener.local_addr()?;
        let tls = crate::tls::server_config(&settings)?;
        let local_url = crate::server::local_url(bound, tls.is_some());
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| local_url.clone());

        let (twilio, sandbox, station_number) = match &settings.twilio {
            Some(real) => (real.clone(), None, None),
            None => {
                let (creds, link) =
                    sandbox_link(&settings, &public_url, &local_url, tls.is_some())?;
                let account = TwilioSettings {
                    account_sid: creds.account_sid.clone(),
                    auth_token: Secret::new(creds.auth_token.clone()),
                    api_key_sid: creds.api_key_sid.clone(),
                    api_key_secret: Secret::new(creds.api_key_secret.clone()),
                    app_sid: creds.app_sid.clone(),
                };
                (account, Some(link), Some(creds.station_number))
            }
        };
        let caller_id = settings.caller_id.clone().or(station_number);
        let policy = DialPolicy::new(&settings.dial_countries, caller_id.as_deref())
            .with_fictional(sandbox.is_some());
        let default_number = settings
            .default_number
            .clone()
            .or_else(|| sandbox.as_ref().map(|_| SANDBOX_DEFAULT_NUMBER.to_owned()));

        // The sandbox's REST subset: on piphone's own listener, or at the sandbox process's URL.
        let sandbox_url = sandbox
            .as_ref()
            .map(|link| link.url().unwrap_or(&local_url));
        let rest = rest_client(&settings, &twilio, sandbox_url, RequestBudget::Actions)?;
        let callin = Arc::new(QueueHub::new(&settings.callin));
        if settings.callin.incoming_mode == IncomingMode::Queue {
            let interval = settings.callin.poll_interval;
            let poll_rest = rest_client(
                &settings,
                &twilio,
                sandbox_url,
                RequestBudget::Poll(interval),
            )?;
            crate::callin::poller::spawn(&callin, poll_rest, store.clone(), interval);
        }

        let control = crate::kiosk::ControlSecret::load_or_create(&settings.data_dir)
            .context("creating the local control secret")?;
        let kiosk = Arc::new(crate::kiosk::KioskHub::new(control));

        if settings.hybrid.enabled() {
            crate::hybrid::device(&settings.hybrid.capture).context("PIPHONE_HYBRID_CAPTURE")?;
            crate::hybrid::device(&settings.hybrid.playback).context("PIPHONE_HYBRID_PLAYBACK")?;
        }
        let hybrid = settings.hybrid.enabled().then(|| {
            Arc::new(Hybrid::new(
                settings.hybrid.clone(),
                callin.clone(),
                store.clone(),
                rest.clone(),
                crate::state::webhook_url(&public_url, crate::hybrid::twiml::LINE_PATH),
            ))
        });

        let state = AppState::new(AppStateInner {
            settings: Arc::new(settings),
            store,
            twilio: Arc::new(twilio),
            public_url,
            tls: tls.is_some(),
            caller_id,
            default_number,
            policy: Arc::new(policy),
            limiter: Arc::new(LoginLimiter::new()),
            presence: Arc::new(Presence::default()),
            rest,
            callin,
            hybrid,
            kiosk,
            streams: crate::media::streams::StreamHub::new(),
            sandbox: sandbox.clone(),
        });
        if let Some(hybrid) = &state.hybrid {
            crate::hybrid::engine::spawn(hybrid.clone(), state.streams.clone());
        }
        let mut router = crate::routes::router(state.clone());
        if let Some(SandboxLink::InProcess(sb)) = &sandbox {
            router = router.merge(sb.router());
        }
        Ok(Application {
            listener,
            router,
            tls,
            local_url,
            state,
        })
    }

    /// The complete router (app routes, and the sandbox's in sandbox mode), as it will be served.
    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn port(&self) -> u16 {
        self.local_url.port_or_known_default().unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let mode = if self.state.sandbox() {
            "sandbox (no Twilio credentials configured: calls are simulated, nothing reaches Twilio)"
        } else {
            "twilio"
        };
        tracing::info!(url = %self.local_url, public_url = %self.state.public_url, mode, "piphone listening on {}", self.local_url);
        let hub = self.state.callin.clone();
        let kiosk = self.state.kiosk.clone();
        let shutdown = async move {
            shutdown.await;
            // Open SSE streams (/events, the kiosk page's commands) end instead of holding the drain up.
            hub.close();
            kiosk.close();
        };
        crate::server::serve(self.listener, self.router, self.tls, shutdown).await
    }
}

/// How long REST requests may take.
#[derive(Debug, Clone, Copy)]
enum RequestBudget {
    /// Actions a person is waiting for (hang up a caller, dequeue): 5 s a request, two retries.
    Actions,
    /// The shared queue poll: a poll that outlives its interval is worthless (the next tick asks again), so each
    /// request gets a third of the interval and one retry. After an outage the view is fresh again within one
    /// interval instead of waiting out long timeouts.
    Poll(Duration),
}

/// The REST client: Twilio's API (or `PIPHONE_TWILIO_API_URL`, whose certificate is not checked when it is on this
/// machine, as the sandbox process is), or in sandbox mode the sandbox's URL (piphone's own, or the sandbox
/// process's), whose self-signed certificate it accepts.
fn rest_client(
    settings: &Settings,
    account: &TwilioSettings,
    sandbox_url: Option<&Url>,
    budget: RequestBudget,
) -> anyhow::Result<twilio::rest::Client> {
    let (base_url, accept_invalid_certs) = match sandbox_url {
        Some(url) => (
            url.as_str().trim_end_matches('/').to_owned(),
            url.scheme() == "https",
        ),
        None => (
            settings
                .twilio_api_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            crate::tls::is_loopback(&settings.twilio_api_url),
        ),
    };
    let (timeout, max_retries, max_backoff) = match budget {
        RequestBudget::Actions => (Duration::from_secs(5), 2, Duration::from_secs(4)),
        RequestBudget::Poll(interval) => {
            let t = (interval / 3).clamp(Duration::from_millis(300), Duration::from_secs(5));
            (t, 1, (interval / 4).max(Duration::from_millis(100)))
        }
    };
    let config = ClientConfig {
        base_url,
        accept_invalid_certs,
        timeout,
        connect_timeout: timeout.min(Duration::from_secs(3)),
        max_retries,
        min_backoff: Duration::from_millis(100).min(max_backoff),
        max_backoff,
        ..ClientConfig::default()
    };
    let auth = Auth::api_key(&account.api_key_sid, account.api_key_secret.expose());
    twilio::rest::Client::new(&account.account_sid, auth, config)
        .context("building the Twilio REST client")
}

/// The sandbox of sandbox mode and its credentials: a new one inside this process, or the one `piphone sandbox
/// serve` runs at `PIPHONE_SANDBOX_URL` (whose credentials it keeps in the same data directory). The one inside
/// signs its webhooks for `webhook_base` (the public URL) and delivers them to `local_url`, this listener, as
/// Twilio's would arrive through a proxy: a public address that does not reach back here (a tunnel not yet
/// running) cannot lose the simulated calls.
fn sandbox_link(
    settings: &Settings,
    webhook_base: &Url,
    local_url: &Url,
    tls: bool,
) -> anyhow::Result<(Credentials, SandboxLink)> {
    let Some(url) = &settings.sandbox_url else {
        let creds = Credentials::load_or_create(&settings.data_dir)
            .context("creating the sandbox's credentials")?;
        let sandbox = Sandbox::new(
            creds.clone(),
            SandboxOptions {
                webhook_base: webhook_base.clone(),
                deliver_to: local_url.clone(),
                accept_invalid_certs: tls,
                speed: settings.sandbox_speed,
            },
        );
        return Ok((creds, SandboxLink::InProcess(sandbox)));
    };
    let creds = Credentials::load(&settings.data_dir)
        .context("reading the sandbox's credentials")?
        .with_context(|| {
            format!(
                "PIPHONE_SANDBOX_URL is set but {} has no {}: start `piphone sandbox serve` with the same \
                 PIPHONE_DATA_DIR first",
                settings.data_dir.display(),
                sandbox::CREDENTIALS_FILE
            )
        })?;
    let control = ControlClient::new(url.clone(), &creds, url.scheme() == "https")?;
    Ok((creds, SandboxLink::Process(control)))
}

/// `piphone sandbox serve`: the sandbox alone, served as piphone serves itself (same TLS settings, the data
/// directory's certificate), so piphone can be stopped and restarted while its calls, queues and browsers live on.
pub struct SandboxServer {
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    /// Where this machine reaches the sandbox: the value for piphone's `PIPHONE_SANDBOX_URL`.
    pub local_url: Url,
}

impl SandboxServer {
    /// Binds `listen` (port 0 picks a free one); webhooks are signed for `webhook_base` (piphone's public URL)
    /// and delivered to `deliver_to` (where this machine reaches piphone).
    pub async fn build(
        settings: &Settings,
        listen: SocketAddr,
        webhook_base: Url,
        deliver_to: Url,
    ) -> anyhow::Result<SandboxServer> {
        crate::tls::install_crypto_provider();
        crate::fsutil::ensure_private_dir(&settings.data_dir)?;
        let creds = Credentials::load_or_create(&settings.data_dir)
            .context("creating the sandbox's credentials")?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let tls = crate::tls::server_config(settings)?;
        let local_url = crate::server::local_url(listener.local_addr()?, tls.is_some());
        let sandbox = Sandbox::new(
            creds,
            SandboxOptions {
                accept_invalid_certs: deliver_to.scheme() == "https",
                webhook_base,
                deliver_to,
                speed: settings.sandbox_speed,
            },
        );
        Ok(SandboxServer {
            listener,
            router: sandbox.router(),
            tls,
            local_url,
        })
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        crate::server::serve(self.listener, self.router, self.tls, shutdown).await
    }
}

/// On first start with no users: create `admin`, with `PIPHONE_ADMIN_PASSWORD` or a random password shown once.
async fn ensure_first_admin(store: &Store, password: Option<&Secret>) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let (chosen, generated) = match password {
        Some(p) => (p.expose().to_owned(), false),
        None => (Alphanumeric.sample_string(&mut rand::rng(), 20), true),
    };
    let hash = password::hash(chosen.clone())
        .await
        .context("PIPHONE_ADMIN_PASSWORD")?;
    store
        .create_user(NewUser {
            username: "admin",
            password_hash: &hash,
            role: Role::Admin,
        })
        .await?;
    if generated {
        // Printed once, to the terminal only (not through the log): there is no other way to learn it.
        eprintln!(
            "\n  piphone: created user \"admin\" with password: {chosen}\n  \
             (shown once; change it with `piphone user passwd admin`)\n"
        );
    } else {
        tracing::info!("created user admin with the password from PIPHONE_ADMIN_PASSWORD");
    }
    Ok(())
}
