//! Reading from the operator's terminal: a line, or a secret that is not echoed.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};

/// A line typed after `prompt` (shown on stderr only when stdin is a terminal; scripts pipe the answer in).
pub fn read_line(prompt: &str) -> anyhow::Result<String> {
    read(prompt, false)
}

/// Like [`read_line`], but the terminal does not echo what is typed (passwords, tokens).
pub fn read_secret(prompt: &str) -> anyhow::Result<String> {
    read(prompt, true)
}

fn read(prompt: &str, secret: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
    }
    let _quiet = (terminal && secret).then(EchoOff::new).transpose()?;
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the answer")?;
    if terminal && secret {
        eprintln!(); // the Enter the terminal did not echo
    }
    let answer = line.trim_end_matches(['\n', '\r']).to_owned();
    if answer.is_empty() {
        bail!("no answer given");
    }
    Ok(answer)
}

/// Turns the terminal's echo off until dropped (also when reading fails).
struct EchoOff(rustix::termios::Termios);

impl EchoOff {
    fn new() -> anyhow::Result<EchoOff> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let saved = tcgetattr(std::io::stdin()).context("reading the terminal's mode")?;
        let mut quiet = saved.clone();
        quiet.local_modes -= LocalModes::ECHO;
        tcsetattr(std::io::stdin(), OptionalActions::Now, &quiet)
            .context("turning the terminal's echo off")?;
        Ok(EchoOff(saved))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.0,
        );
    }
}
