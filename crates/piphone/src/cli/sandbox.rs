//! `piphone sandbox call-in` (simulated listeners phone the station number of the running server) and
//! `piphone sandbox serve` (the sandbox as its own process).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;
use url::Url;

use crate::settings::{Settings, TlsMode};

#[derive(Subcommand, Debug)]
pub enum SandboxCommand {
    /// Make simulated listeners phone the station number of the running server.
    CallIn {
        #[arg(long, default_value = "+15551230001")]
        from: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// The callers' voice: a tone of this frequency (default: a different tone for each caller).
        #[arg(long, value_name = "HZ", conflicts_with = "speech")]
        tone: Option<f64>,
        /// The callers' voice: this text, spoken (espeak-ng) again and again.
        #[arg(long, value_name = "TEXT")]
        speech: Option<String>,
    },
    /// Run the sandbox as its own process (same data directory and TLS settings as the server), so the server
    /// can be restarted while simulated calls go on. Prints its URL first; point the server at it with
    /// PIPHONE_SANDBOX_URL.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8444")]
        listen: SocketAddr,
        /// piphone's base URL, which webhook signatures cover [default: PIPHONE_PUBLIC_URL, or the URL of
        /// PIPHONE_LISTEN].
        #[arg(long)]
        webhook_base: Option<Url>,
        /// Where webhooks under the webhook base are delivered, as a proxy would pass them on [default: the
        /// webhook base].
        #[arg(long)]
        deliver_to: Option<Url>,
    },
}

pub async fn run(settings: Settings, command: SandboxCommand) -> anyhow::Result<ExitCode> {
    if !settings.sandbox() {
        bail!("the sandbox only runs when no Twilio credentials are configured");
    }
    match command {
        SandboxCommand::CallIn {
            from,
            count,
            tone,
            speech,
        } => {
            let voice = tone
                .map(::sandbox::Voice::ToneHz)
                .or(speech.map(::sandbox::Voice::Speech));
            call_in(settings, &from, count, voice).await
        }
        SandboxCommand::Serve {
            listen,
            webhook_base,
            deliver_to,
        } => serve(settings, listen, webhook_base, deliver_to).await,
    }
}

/// The URL piphone's server is reached at on this machine, from the settings.
fn server_url(settings: &Settings) -> Url {
    let tls = settings.tls != TlsMode::Off;
    crate::server::local_url(settings.listen, tls)
}

async fn call_in(
    settings: Settings,
    from: &str,
    count: u32,
    voice: Option<::sandbox::Voice>,
) -> anyhow::Result<ExitCode> {
    crate::tls::install_crypto_provider();
    let creds = ::sandbox::Credentials::load_or_create(&settings.data_dir)?;
    // The sandbox's control API: on the server's own listener, or at the sandbox process's URL.
    let url = settings
        .sandbox_url
        .clone()
        .unwrap_or_else(|| server_url(&settings));
    let insecure = url.scheme() == "https";
    let calls = ::sandbox::ControlClient::new(url, &creds, insecure)?
        .call_in_checked(from, count, voice.as_ref())
        .await?;
    for call in &calls {
        println!("{}", call.call_sid);
    }
    // A CallSid alone says nothing of whether piphone ever saw the call: its first webhook does.
    let problems: Vec<String> = calls.iter().filter_map(|c| c.problem()).collect();
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    settings: Settings,
    listen: SocketAddr,
    webhook_base: Option<Url>,
    deliver_to: Option<Url>,
) -> anyhow::Result<ExitCode> {
    let webhook_base = webhook_base
        .or_else(|| settings.public_url.clone())
        .unwrap_or_else(|| server_url(&settings));
    let deliver_to = deliver_to.unwrap_or_else(|| webhook_base.clone());
    let server = crate::startup::SandboxServer::build(
        &settings,
        listen,
        webhook_base.clone(),
        deliver_to.clone(),
    )
    .await?;
    // The first line on standard output, for scripts and tests that started it on port 0.
    println!("sandbox listening on {}", server.local_url);
    std::io::stdout().flush()?;
    tracing::info!(url = %server.local_url, %webhook_base, %deliver_to, "sandbox listening; webhooks signed for {webhook_base}, delivered to {deliver_to}");
    server.run_until(crate::server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
