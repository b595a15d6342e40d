//! `piphone twilio setup|teardown`: connects a Twilio account to piphone in one command, and back
//! (see [`super::twilio_setup`] for what each does).

use std::process::ExitCode;

use clap::Subcommand;

use super::twilio_setup::{
    NonInteractive, NumberPrompt, SetupInput, TerminalPrompt, setup, teardown,
};
use crate::settings::{Secret, SetupSettings};

#[derive(Subcommand, Debug)]
pub enum TwilioCommand {
    /// Create (or reuse) the API key and TwiML App piphone needs, point a number's voice webhook at piphone, and
    /// write the settings file (mode 0600). Idempotent. The account SID and auth token come from the settings
    /// (PIPHONE_TWILIO_… or TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN) or are asked for.
    Setup {
        /// The number callers reach piphone on (E.164); asked for when the account has several.
        #[arg(long)]
        number: Option<String>,
        /// Print the plan; write nothing, to Twilio or to any file.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove exactly what setup created and restore what it changed.
    Teardown {
        /// Print what would be undone; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Exit codes as the other commands: 0 done, 1 Twilio refused or failed, 2 bad input or settings.
pub async fn run(command: TwilioCommand) -> anyhow::Result<ExitCode> {
    let (settings, warnings) = match SetupSettings::load() {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("piphone twilio: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let (number, dry_run) = match &command {
        TwilioCommand::Setup { number, dry_run } => (number.clone(), *dry_run),
        TwilioCommand::Teardown { dry_run } => (None, *dry_run),
    };
    let input = match input(settings, number, dry_run) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("piphone twilio: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let outcome = match command {
        TwilioCommand::Setup { .. } => {
            let mut terminal = TerminalPrompt;
            let mut scripted = NonInteractive;
            let prompt: &mut dyn NumberPrompt =
                if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                    &mut terminal
                } else {
                    &mut scripted
                };
            setup(&input, prompt).await.map(|report| report.to_string())
        }
        TwilioCommand::Teardown { .. } => teardown(&input).await.map(|report| report.to_string()),
    };
    match outcome {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("piphone twilio: {e}");
            Ok(ExitCode::from(if e.is_input() { 2 } else { 1 }))
        }
    }
}

/// The setup input from the settings, asking on the terminal for a missing account SID or auth token.
fn input(
    settings: SetupSettings,
    number: Option<String>,
    dry_run: bool,
) -> anyhow::Result<SetupInput> {
    let account_sid = match settings.account_sid {
        Some(sid) => sid,
        None => super::prompt::read_line("Twilio account SID (AC…): ").map_err(|_| {
            anyhow::anyhow!(
                "no account SID: set PIPHONE_TWILIO_ACCOUNT_SID (or TWILIO_ACCOUNT_SID), or run this on a terminal"
            )
        })?,
    };
    let auth_token = match settings.auth_token {
        Some(token) => token,
        None => Secret::new(super::prompt::read_secret("Twilio auth token (not shown): ").map_err(|_| {
            anyhow::anyhow!(
                "no auth token: set PIPHONE_TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN), or run this on a terminal"
            )
        })?),
    };
    let accept_invalid_certs = crate::tls::is_loopback(&settings.twilio_api_url);
    Ok(SetupInput {
        account_sid,
        auth_token,
        public_url: settings.public_url,
        number,
        api_base: settings.twilio_api_url,
        accept_invalid_certs,
        data_dir: settings.data_dir,
        settings_file: settings.settings_file,
        dry_run,
    })
}
