//! The kiosk's subcommands, flattened into piphone's command line: `kiosk` runs the kiosk browser; `call`,
//! `hangup`, `answer`, `dtmf` and `status` drive it through the running server (for scripts: a doorbell, a GPIO
//! button). They find the server and the data directory from the same settings as `piphone serve`.
//!
//! Exit codes: 0 done; 1 the phone could not do it (busy, no call, the call failed); 2 bad input or setup;
//! 3 the server or the kiosk page cannot be reached; 4 the phone did not answer in time.
//!
//! * [`supervisor`] — `piphone kiosk`: signs Chromium ([`browser`]) in with a one-time login link
//!   (`kiosk::login_link`), pins the server's key for it ([`pin`]), restarts it when it dies or its page goes missing.
//! * [`client`] — the local server with its certificate pinned, and its control API with the control secret.
//!
//! The server's side of the relay is `kiosk::hub`; the messages both sides exchange are `kiosk::messages`.

pub mod browser;
pub mod client;
pub mod pin;
pub mod supervisor;

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use http::StatusCode;

use crate::kiosk::messages::{Command, Outcome, Status};
use crate::settings::Settings;
use client::{Answer, Control};

pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
pub const EXIT_TIMEOUT: u8 = 4;

#[derive(Subcommand, Debug)]
pub enum KioskCommand {
    /// Run the kiosk: a headless Chromium with the phone page, signed in as PIPHONE_KIOSK_USER, restarted when
    /// it dies. Needs the server running on this machine with the same settings.
    Kiosk,
    /// Call a number from the kiosk phone; returns once the call is answered (or has failed).
    Call {
        number: String,
        /// Seconds to wait for the call to be answered.
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Hang up the kiosk phone's call (or reject a ringing incoming call).
    Hangup,
    /// Answer the kiosk phone's ringing incoming call.
    Answer {
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Send touch tones (0-9, *, #) in the kiosk phone's call.
    Dtmf { digits: String },
    /// Show whether the kiosk phone is connected and what it is doing; exits 3 when it is not connected.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: Settings, command: KioskCommand) -> anyhow::Result<ExitCode> {
    let (command, timeout) = match command {
        KioskCommand::Kiosk => return supervisor::run(settings).await,
        KioskCommand::Status { json } => return status(&settings, json).await,
        KioskCommand::Call { number, timeout } => (Command::Call { number }, timeout),
        KioskCommand::Hangup => (Command::Hangup, None),
        KioskCommand::Answer { timeout } => (Command::Answer, timeout),
        KioskCommand::Dtmf { digits } => (Command::Dtmf { digits }, None),
    };
    let control = match control(&settings) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let answer = match control
        .command(&command, timeout.map(Duration::from_secs))
        .await
    {
        Ok(a) => a,
        Err(e) => return Ok(fail(EXIT_UNREACHABLE, &format!("{e:#}"))),
    };
    Ok(match answer {
        Answer::Done(Outcome {
            ok: true, message, ..
        }) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Answer::Done(Outcome { message, .. }) => fail(EXIT_FAILED, &message),
        Answer::Refused(status, message) => fail(exit_for(status), &message),
    })
}

/// The exit code for a refusal by the server.
pub(crate) fn exit_for(status: StatusCode) -> u8 {
    match status {
        // The request was understood and refused (a busy or locked line), or Twilio refused it.
        StatusCode::CONFLICT | StatusCode::BAD_GATEWAY => EXIT_FAILED,
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => EXIT_USAGE,
        StatusCode::UNAUTHORIZED => EXIT_USAGE,
        StatusCode::GATEWAY_TIMEOUT => EXIT_TIMEOUT,
        _ => EXIT_UNREACHABLE,
    }
}

/// The local control API for these settings; a usage failure (reported) when it cannot be set up.
pub(crate) fn control(settings: &Settings) -> Result<Control, ExitCode> {
    Control::new(settings).map_err(|e| fail(EXIT_USAGE, &format!("{e:#}")))
}

pub(crate) fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("piphone: {message}");
    ExitCode::from(code)
}

async fn status(settings: &Settings, json: bool) -> anyhow::Result<ExitCode> {
    let control = match control(settings) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let status = match control.status().await {
        Ok(Answer::Done(s)) => s,
        Ok(Answer::Refused(code, message)) => return Ok(fail(exit_for(code), &message)),
        Err(e) => return Ok(fail(EXIT_UNREACHABLE, &format!("{e:#}"))),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", describe(&status));
    }
    Ok(if status.connected {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNREACHABLE)
    })
}

/// `piphone status` as text.
pub fn describe(status: &Status) -> String {
    let when = status
        .since
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s as i64).ok())
        .and_then(|t| {
            t.format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| "never".into());
    if !status.connected {
        return format!("kiosk: not connected (since {when}; is `piphone kiosk` running?)\n");
    }
    let mut out = format!(
        "kiosk: connected since {when} as {} (auto-answer {})\n",
        status.identity.as_deref().unwrap_or("?"),
        if status.auto_answer { "on" } else { "off" }
    );
    match &status.phone {
        None => out.push_str("phone: starting\n"),
        Some(p) => {
            out.push_str(&format!("phone: {} — {}\n", p.state, p.text));
            if let Some(from) = &p.incoming_from {
                out.push_str(&format!("incoming call from: {from}\n"));
            }
            let or_default = |v: &Option<String>| v.clone().unwrap_or_else(|| "default".into());
            out.push_str(&format!("microphone: {}\n", or_default(&p.microphone)));
            out.push_str(&format!("speaker: {}\n", or_default(&p.speaker)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kiosk::messages::PageReport;

    #[test]
    fn status_text() {
        let mut s = Status {
            connected: true,
            since: Some(0),
            identity: Some("kiosk".into()),
            auto_answer: false,
            phone: Some(PageReport {
                state: "in-call".into(),
                text: "In call with +1 555-123-0001".into(),
                microphone: Some("USB Mic".into()),
                ..PageReport::default()
            }),
        };
        let text = describe(&s);
        assert!(
            text.starts_with("kiosk: connected since 1970-01-01 00:00:00 UTC as kiosk"),
            "{text}"
        );
        assert!(
            text.contains("phone: in-call — In call with +1 555-123-0001"),
            "{text}"
        );
        assert!(
            text.contains("microphone: USB Mic\nspeaker: default"),
            "{text}"
        );
        s.connected = false;
        assert!(describe(&s).starts_with("kiosk: not connected"));
    }
}
