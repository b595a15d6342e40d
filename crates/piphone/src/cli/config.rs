//! `piphone config check`: every setting with its value (secrets redacted) and the source that supplied it,
//! then the warnings and problems; exits 2 on a problem.

use std::process::ExitCode;

use clap::Subcommand;

use crate::settings::Settings;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the effective settings (secrets redacted), where each came from, and validate them.
    Check,
}

pub fn run(settings: &Settings, warnings: &[String]) -> anyhow::Result<ExitCode> {
    for line in settings.redacted_lines() {
        println!("{:<22} {}  ({})", line.key, line.value, line.source);
    }
    let problems = settings.problems();
    for w in warnings {
        println!("warning: {w}");
    }
    if problems.is_empty() {
        println!("settings OK");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            eprintln!("error: {p}");
        }
        Ok(ExitCode::from(2))
    }
}
