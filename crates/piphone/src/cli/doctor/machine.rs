//! Checks of the machine around piphone: Chromium for the kiosk, sound cards, the clock.

use std::time::Duration;

use tokio::process::Command;

use super::Finding;
use crate::settings::Settings;

/// Runs a program: whether it succeeded, and its standard output. `None` when it is not installed (or does not
/// finish in 10 s).
async fn output(program: &str, args: &[&str]) -> Option<(bool, String)> {
    let run = Command::new(program).args(args).kill_on_drop(true).output();
    let out = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .ok()?
        .ok()?;
    // stdout only: wrapper scripts (Debian's chromium) chatter on stderr.
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

pub async fn chromium(settings: &Settings) -> Finding {
    let configured = settings.kiosk.chromium.as_deref();
    let path = match crate::cli::kiosk::browser::find_chromium(configured) {
        Ok(p) => p,
        Err(e) if configured.is_some() => return Finding::fail("chromium", format!("{e:#}")),
        Err(e) => {
            return Finding::warn(
                "chromium",
                format!("{e:#} (needed only for `piphone kiosk`)"),
            );
        }
    };
    let program = path.to_string_lossy();
    match output(&program, &["--version"]).await {
        Some((true, version)) => Finding::ok(
            "chromium",
            format!(
                "{} at {}",
                version.lines().next().unwrap_or_default().trim(),
                path.display()
            ),
        ),
        _ => Finding::fail(
            "chromium",
            format!(
                "{} does not run (`{program} --version` failed)",
                path.display()
            ),
        ),
    }
}

/// The `card N: …` lines of `arecord -l` / `aplay -l`.
pub fn cards(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| l.starts_with("card "))
        .map(|l| l.trim().to_owned())
        .collect()
}

pub async fn sound_cards() -> Vec<Finding> {
    let mut found = Vec::new();
    for (topic, program, what) in [
        ("microphone", "arecord", "capture"),
        ("speaker", "aplay", "playback"),
    ] {
        found.push(match output(program, &["-l"]).await {
            None => Finding::warn(
                topic,
                format!("{program} is not installed, so sound cards cannot be listed (apt install alsa-utils)"),
            ),
            Some((_, listing)) => {
                let cards = cards(&listing);
                if cards.is_empty() {
                    Finding::warn(
                        topic,
                        format!("no ALSA {what} devices (`{program} -l` lists none): plug in a USB sound card or headset"),
                    )
                } else {
                    Finding::ok(topic, cards.join("; "))
                }
            }
        });
    }
    found
}

/// Access Tokens carry times: a Pi without a real-time clock that has not synchronised yet gets them refused.
pub async fn clock() -> Vec<Finding> {
    match output("timedatectl", &["show", "-p", "NTPSynchronized", "--value"]).await {
        Some((true, v)) if v.trim() == "yes" => {
            vec![Finding::ok("clock", "synchronised (NTP)")]
        }
        Some((true, _)) => vec![Finding::warn(
            "clock",
            "not synchronised: Twilio refuses tokens when the clock is off (a Pi has no battery clock; check \
             `timedatectl` and the network)",
        )],
        _ => Vec::new(), // no systemd here: nothing to say
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn card_lines_of_arecord() {
        let listing = "**** List of CAPTURE Hardware Devices ****\n\
            card 1: Device [USB Audio Device], device 0: USB Audio [USB Audio]\n  \
            Subdevices: 1/1\n  Subdevice #0: subdevice #0\n";
        assert_eq!(
            super::cards(listing),
            ["card 1: Device [USB Audio Device], device 0: USB Audio [USB Audio]"]
        );
        assert!(super::cards("arecord: device_list:274: no soundcards found...\n").is_empty());
    }
}
