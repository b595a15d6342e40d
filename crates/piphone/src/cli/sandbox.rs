//! `piphone sandbox call-in`: simulated listeners phone the station number of the running server.

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use crate::settings::{Settings, TlsMode};

#[derive(Subcommand, Debug)]
pub enum SandboxCommand {
    /// Make simulated listeners phone the station number of the running server.
    CallIn {
        #[arg(long, default_value = "+15551230001")]
        from: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
}

pub async fn call_in(settings: Settings, from: &str, count: u32) -> anyhow::Result<ExitCode> {
    if !settings.sandbox() {
        bail!("the sandbox only runs when no Twilio credentials are configured");
    }
    crate::tls::install_crypto_provider();
    let creds = crate::sandbox::Credentials::load_or_create(&settings.data_dir)?;
    let tls = settings.tls != TlsMode::Off;
    let url = crate::server::local_url(settings.listen, tls);
    let sids = crate::sandbox::cli::call_in(&url, &creds, from, count, tls).await?;
    for sid in sids {
        println!("{sid}");
    }
    Ok(ExitCode::SUCCESS)
}
