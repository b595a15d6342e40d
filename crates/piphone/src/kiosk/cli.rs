//! The kiosk's subcommands, flattened into piphone's command line: `kiosk`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::settings::Settings;

#[derive(Subcommand, Debug)]
pub enum KioskCommand {
    /// Run the kiosk: a headless Chromium with the phone page, signed in as PIPHONE_KIOSK_USER, restarted when
    /// it dies. Needs the server running on this machine with the same settings.
    Kiosk,
}

pub async fn run(settings: Settings, command: KioskCommand) -> anyhow::Result<ExitCode> {
    match command {
        KioskCommand::Kiosk => super::supervisor::run(settings).await,
    }
}
