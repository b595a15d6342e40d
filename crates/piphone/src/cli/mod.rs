//! The command-line process: `serve` (the default) starts the server; every other subcommand works beside it,
//! on the same settings and data directory, and reaches the running server only over HTTP.
//!
//! * [`user`], [`ban`], [`config`], [`sandbox`] — `piphone user …`, `ban …`, `config check`,
//!   `sandbox call-in|serve`.
//! * [`kiosk`] — `piphone kiosk` (the Chromium supervisor) and `call/hangup/answer/dtmf/status`.
//! * [`doctor`] — `piphone doctor`.

pub mod ban;
pub mod config;
pub mod doctor;
pub mod kiosk;
pub mod sandbox;
pub mod user;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use self::sandbox::SandboxCommand;
use crate::settings::Settings;
use ban::BanCommand;
use config::ConfigCommand;
use user::UserCommand;

#[derive(Parser, Debug)]
#[command(
    name = "piphone",
    version,
    about = "Browser phone and radio call-in console on Twilio"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage the ban list: numbers whose calls to the station are rejected.
    #[command(subcommand)]
    Ban(BanCommand),
    /// Drive the sandbox (sandbox mode only).
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    #[command(flatten)]
    Kiosk(kiosk::KioskCommand),
    /// Check this installation: settings, TLS, the server, the kiosk, Chromium, sound cards, the public URL.
    /// Prints OK/WARN/FAIL lines; exits 1 when something FAILs.
    Doctor,
}

/// Runs the command line; the exit code reflects success.
pub async fn run(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<ExitCode> {
    let cli = Cli::parse_from(args);
    let loaded = Settings::load();
    if matches!(cli.command, Some(Command::Doctor)) {
        return Ok(doctor::run(loaded).await); // reports bad settings itself
    }
    let (settings, warnings) = loaded?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::User(cmd) => user::run(settings, cmd).await,
        Command::Ban(cmd) => ban::run(settings, cmd).await,
        Command::Config(ConfigCommand::Check) => config::run(&settings, &warnings),
        Command::Sandbox(cmd) => sandbox::run(settings, cmd).await,
        Command::Kiosk(cmd) => kiosk::run(settings, cmd).await,
        Command::Doctor => Ok(doctor::run(Ok((settings, warnings))).await),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let app = crate::Application::build(settings).await?;
    app.run_until(crate::server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
