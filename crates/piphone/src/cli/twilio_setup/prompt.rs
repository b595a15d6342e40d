//! Asking which number to use when the account has several and `--number` was not given.

use std::io::{BufRead, IsTerminal, Write};

/// Chooses one of the account's numbers; `None` means no answer (setup then stops with the list).
pub trait NumberPrompt {
    /// `numbers` are E.164; the answer is an index into them.
    fn choose_number(&mut self, numbers: &[String]) -> Option<usize>;
}

/// Never asks: with several numbers, setup stops and lists them (for scripts and services).
#[derive(Debug, Clone, Copy, Default)]
pub struct NonInteractive;

impl NumberPrompt for NonInteractive {
    fn choose_number(&mut self, _: &[String]) -> Option<usize> {
        None
    }
}

/// Asks on the terminal (the list on stderr, the answer from stdin); no answer when stdin is not
/// a terminal or the answer is not one of the listed positions. Blocks the calling thread while
/// it waits, which a one-shot command can afford.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalPrompt;

impl NumberPrompt for TerminalPrompt {
    fn choose_number(&mut self, numbers: &[String]) -> Option<usize> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "The account has several phone numbers:");
        for (i, number) in numbers.iter().enumerate() {
            let _ = writeln!(err, "  {}) {number}", i + 1);
        }
        let _ = write!(
            err,
            "Which one should callers reach piphone on? [1-{}] ",
            numbers.len()
        );
        let _ = err.flush();
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer).ok()?;
        let chosen: usize = answer.trim().parse().ok()?;
        (1..=numbers.len()).contains(&chosen).then(|| chosen - 1)
    }
}
