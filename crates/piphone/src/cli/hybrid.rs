//! `piphone hybrid test`: the studio hybrid's wiring check (`hybrid::wiring`), from the shell.

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use crate::settings::Settings;

#[derive(Subcommand, Debug)]
pub enum HybridCommand {
    /// Play a distinct tone on each output channel (channel 1 400 Hz, then 200 Hz higher per channel) and
    /// report the studio input's level. Stop the server first: a sound card is not shared.
    Test {
        /// How long to play, in seconds.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

pub async fn run(settings: Settings, command: HybridCommand) -> anyhow::Result<ExitCode> {
    let HybridCommand::Test { seconds } = command;
    let hybrid = &settings.hybrid;
    println!(
        "playing {seconds} s on {} ({} channel{}), listening to {}",
        hybrid.playback,
        hybrid.output_channels(),
        if hybrid.output_channels() == 1 {
            ""
        } else {
            "s"
        },
        hybrid.capture
    );
    let report = crate::hybrid::wiring::run(hybrid, Duration::from_secs(seconds)).await?;
    for (c, hz) in report.tones.iter().enumerate() {
        println!("output channel {}: {hz:.0} Hz", c + 1);
    }
    let heard = report
        .input_hz
        .map_or_else(String::new, |hz| format!(", strongest at {hz:.0} Hz"));
    println!("studio input: {:.1} dBFS{heard}", report.input_dbfs);
    if report.input_dbfs <= audio::analyse::FLOOR_DBFS {
        println!("the studio input is silent: check the desk's mix-minus send into the sound card");
    }
    Ok(ExitCode::SUCCESS)
}
