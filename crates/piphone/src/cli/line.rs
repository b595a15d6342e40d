//! `piphone line N air|hold|drop|lock|unlock`, `piphone line next`, `piphone line status [--json]`: the studio
//! hybrid's buttons from the shell (for buttons wired to a Pi's GPIO or a stream deck). Same transport and exit
//! codes as the kiosk commands ([`super::kiosk`]): the local server, its certificate pinned, the control secret.
//! 0 done; 1 refused (busy, locked, empty line, Twilio said no); 2 bad input or setup; 3 server unreachable.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use super::kiosk::client::Answer;
use super::kiosk::{EXIT_UNREACHABLE, EXIT_USAGE, control, exit_for, fail};
use crate::settings::Settings;

/// How long a button may take (Twilio's REST API included).
const WAIT: Duration = Duration::from_secs(20);

#[derive(Args, Debug)]
pub struct LineArgs {
    /// A line number (1-8) followed by an action, `next`, or `status`.
    target: String,
    /// After a line number: air, hold, drop, lock or unlock.
    action: Option<String>,
    /// With `status`: print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(settings: Settings, args: LineArgs) -> anyhow::Result<ExitCode> {
    let request = match (args.target.as_str(), args.action.as_deref()) {
        ("status", None) => None,
        ("next", None) => Some(("/api/lines/next".to_owned(), json!({}))),
        (n, Some(action @ ("air" | "hold" | "drop" | "lock" | "unlock")))
            if n.parse::<u8>().is_ok() =>
        {
            Some((format!("/api/lines/{n}"), json!({ "action": action })))
        }
        _ => {
            return Ok(fail(
                EXIT_USAGE,
                "use `piphone line N air|hold|drop|lock|unlock`, `piphone line next` or `piphone line status`",
            ));
        }
    };
    let control = match control(&settings) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let answer = match &request {
        None => control.get("/api/lines").await,
        Some((path, body)) => control.post(path, body, WAIT).await,
    };
    let lines: Value = match answer {
        Ok(Answer::Done(v)) => v,
        Ok(Answer::Refused(status, message)) => return Ok(fail(exit_for(status), &message)),
        Err(e) => return Ok(fail(EXIT_UNREACHABLE, &format!("{e:#}"))),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    } else {
        print!("{}", describe(&lines));
    }
    Ok(ExitCode::SUCCESS)
}

/// The lines as text, one a line: `line 2: on_air +15551230001 (1:05) -18 dBFS`.
pub fn describe(answer: &Value) -> String {
    let mut out = String::new();
    if let Some(sid) = answer["on_air"].as_str() {
        out.push_str(&format!("on the air: {sid}\n"));
    }
    for line in answer["lines"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "line {}: {}",
            line["line"],
            line["state"].as_str().unwrap_or("?")
        ));
        if let Some(from) = line["from"].as_str().or(line["call_sid"].as_str()) {
            out.push_str(&format!(" {from}"));
        }
        if let Some(secs) = line["seconds"].as_u64() {
            out.push_str(&format!(" ({}:{:02})", secs / 60, secs % 60));
        }
        if let Some(level) = line["level_dbfs"].as_f64() {
            out.push_str(&format!(" {level:.0} dBFS"));
        }
        out.push('\n');
    }
    for back in answer["returned"].as_array().into_iter().flatten() {
        let line = back["line"]
            .as_u64()
            .map_or_else(|| "its line".to_owned(), |n| format!("line {n}"));
        out.push_str(&format!(
            "back in the screened queue after a fault: {} ({line})\n",
            back["from"]
                .as_str()
                .or(back["call_sid"].as_str())
                .unwrap_or("?"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_text() {
        let answer = json!({
            "lines": [
                {"line": 1, "state": "on_air", "call_sid": "CA1", "from": "+15551230001", "seconds": 65,
                 "level_dbfs": -18.2},
                {"line": 2, "state": "empty", "call_sid": null, "from": null, "seconds": null, "level_dbfs": null},
            ],
            "returned": [{"call_sid": "CA9", "from": "+15551230009", "line": 3}],
        });
        assert_eq!(
            describe(&answer),
            "line 1: on_air +15551230001 (1:05) -18 dBFS\nline 2: empty\n\
             back in the screened queue after a fault: +15551230009 (line 3)\n"
        );
    }
}
