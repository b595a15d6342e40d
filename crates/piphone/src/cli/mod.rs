//! The command-line process: `serve` (the default) starts the server; every other subcommand works beside it,
//! on the same settings and data directory, and reaches the running server only over HTTP.
//!
//! * [`user`], [`ban`], [`config`], [`sandbox`] — `piphone user …`, `ban …`, `config check`,
//!   `sandbox call-in|serve`.
//! * [`kiosk`] — `piphone kiosk` (the Chromium supervisor) and `call/hangup/answer/dtmf/status`.
//! * [`hybrid`] — `piphone hybrid test` (the studio hybrid's wiring check).
//! * [`line`] — `piphone line N air|hold|drop|lock|unlock|next|status` (the studio hybrid's buttons).
//! * [`doctor`] — `piphone doctor`.
//! * [`twilio`] — `piphone twilio setup|teardown` ([`twilio_setup`] does the work).

pub mod ban;
pub mod config;
pub mod doctor;
pub mod hybrid;
pub mod kiosk;
pub mod line;
pub mod prompt;
pub mod sandbox;
pub mod twilio;
pub mod twilio_setup;
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
    /// Connect a Twilio account to piphone (setup), or undo it (teardown).
    #[command(subcommand)]
    Twilio(twilio::TwilioCommand),
    /// The studio hybrid: `hybrid test` checks the sound card's wiring.
    #[command(subcommand)]
    Hybrid(hybrid::HybridCommand),
    /// Press a studio hybrid line's button: `line N air|hold|drop|lock|unlock`, `line next`, `line status`.
    Line(line::LineArgs),
    /// Check this installation: settings, TLS, the server, the kiosk, Chromium, sound cards, the public URL.
    /// Prints OK/WARN/FAIL lines; exits 1 when something FAILs.
    Doctor,
}

/// Runs the command line; the exit code reflects success.
pub async fn run(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<ExitCode> {
    let cli = Cli::parse_from(args);
    let command = match cli.command {
        // Reads only what setup needs: the full settings would refuse the incomplete credentials it starts from.
        Some(Command::Twilio(cmd)) => return twilio::run(cmd).await,
        other => other,
    };
    let loaded = Settings::load();
    if matches!(command, Some(Command::Doctor)) {
        return Ok(doctor::run(loaded).await); // reports bad settings itself
    }
    let (settings, warnings) = loaded?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    match command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::User(cmd) => user::run(settings, cmd).await,
        Command::Ban(cmd) => ban::run(settings, cmd).await,
        Command::Config(ConfigCommand::Check) => config::run(&settings, &warnings),
        Command::Sandbox(cmd) => sandbox::run(settings, cmd).await,
        Command::Kiosk(cmd) => kiosk::run(settings, cmd).await,
        Command::Hybrid(cmd) => hybrid::run(settings, cmd).await,
        Command::Line(args) => line::run(settings, args).await,
        Command::Doctor => Ok(doctor::run(Ok((settings, warnings))).await),
        Command::Twilio(cmd) => twilio::run(cmd).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let app = crate::Application::build(settings).await?;
    app.run_until(crate::server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
