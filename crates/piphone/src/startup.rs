//! Assembling piphone from its settings: data directory, store, first admin, listener, TLS, Twilio account
//! (real or sandbox), state and router. Tests call [`Application::build`] with port 0 and a temporary data dir.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use rand::distr::{Alphanumeric, SampleString};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use url::Url;

use crate::auth::{LoginLimiter, password};
use crate::domain::{DialPolicy, Role};
use crate::sandbox::{self, Sandbox, SandboxOptions};
use crate::settings::{Secret, Settings, TwilioSettings};
use crate::state::{AppState, Presence};
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

/// Installs rustls's ring provider once for the process (reqwest and the listener both use it).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        install_crypto_provider();
        crate::fsutil::ensure_private_dir(&settings.data_dir)?;
        let store = store::connect(&settings.database_url)
            .await
            .with_context(|| format!("opening the database {}", settings.database_url))?;
        ensure_first_admin(&store, settings.admin_password.as_ref()).await?;

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
                let creds = sandbox::Credentials::load_or_create(&settings.data_dir)
                    .context("creating the sandbox's credentials")?;
                let account = TwilioSettings {
                    account_sid: creds.account_sid.clone(),
                    auth_token: Secret::new(creds.auth_token.clone()),
                    api_key_sid: creds.api_key_sid.clone(),
                    api_key_secret: Secret::new(creds.api_key_secret.clone()),
                    app_sid: creds.app_sid.clone(),
                };
                let station = creds.station_number.clone();
                let sb = Sandbox::new(
                    creds,
                    SandboxOptions {
                        webhook_base: public_url.clone(),
                        accept_invalid_certs: tls.is_some(),
                        speed: settings.sandbox_speed,
                    },
                );
                (account, Some(sb), Some(station))
            }
        };
        let caller_id = settings.caller_id.clone().or(station_number);
        let policy = DialPolicy::new(&settings.dial_countries, caller_id.as_deref())
            .with_fictional(sandbox.is_some());
        let default_number = settings
            .default_number
            .clone()
            .or_else(|| sandbox.as_ref().map(|_| SANDBOX_DEFAULT_NUMBER.to_owned()));

        let control = crate::kiosk::ControlSecret::load_or_create(&settings.data_dir)
            .context("creating the local control secret")?;
        let kiosk = Arc::new(crate::kiosk::KioskHub::new(control));
        let state = AppState {
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
            kiosk,
            sandbox: sandbox.clone(),
        };
        let mut router = crate::routes::router(state.clone());
        if let Some(sb) = &sandbox {
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
        let kiosk = self.state.kiosk.clone();
        let shutdown = async move {
            shutdown.await;
            kiosk.close(); // the kiosk page's command stream ends instead of holding the drain up
        };
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
