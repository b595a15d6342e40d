//! What a screener writes about a caller: name, location, topic, free notes and a priority. Parsed once at the
//! boundary: trimmed, bounded, control characters removed (newlines allowed in the notes only). The text is
//! stored and shown as typed; pages render it with `textContent` and the CSV export neutralises formulas.

use serde::{Deserialize, Serialize};

/// Longest name or location, in characters.
pub const MAX_SHORT: usize = 100;
/// Longest topic.
pub const MAX_TOPIC: usize = 200;
/// Longest free notes.
pub const MAX_NOTES: usize = 2000;

/// How urgently the host should hear this caller (shown as a badge; Next still takes the longest wait first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    /// The stored form back; anything unknown is `normal`.
    pub fn from_stored(s: &str) -> Priority {
        match s {
            "low" => Priority::Low,
            "high" => Priority::High,
            _ => Priority::Normal,
        }
    }
}

/// A screener's notes on one call. Missing fields are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallerNotes {
    pub name: String,
    pub location: String,
    pub topic: String,
    pub notes: String,
    pub priority: Priority,
}

/// A field is longer than allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is longer than {max} characters")]
pub struct NotesTooLong {
    pub field: &'static str,
    pub max: usize,
}

fn clean(
    field: &'static str,
    raw: &str,
    max: usize,
    multiline: bool,
) -> Result<String, NotesTooLong> {
    let text: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control() || (multiline && *c == '\n'))
        .collect();
    if text.chars().count() > max {
        return Err(NotesTooLong { field, max });
    }
    Ok(text)
}

impl CallerNotes {
    /// Checks and tidies what a screener sent.
    pub fn parse(raw: &CallerNotes) -> Result<CallerNotes, NotesTooLong> {
        Ok(CallerNotes {
            name: clean("name", &raw.name, MAX_SHORT, false)?,
            location: clean("location", &raw.location, MAX_SHORT, false)?,
            topic: clean("topic", &raw.topic, MAX_TOPIC, false)?,
            notes: clean("notes", &raw.notes.replace("\r\n", "\n"), MAX_NOTES, true)?,
            priority: raw.priority,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.location.is_empty()
            && self.topic.is_empty()
            && self.notes.is_empty()
            && self.priority == Priority::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_bounded_and_free_of_control_characters() {
        let raw = CallerNotes {
            name: "  Ann\u{0}ie \t".into(),
            location: "Leeds\r\nUK".into(),
            topic: "<script>alert(1)</script>".into(),
            notes: "line 1\r\nline 2\u{7}".into(),
            priority: Priority::High,
        };
        let n = CallerNotes::parse(&raw).unwrap();
        assert_eq!(n.name, "Annie");
        assert_eq!(n.location, "LeedsUK");
        assert_eq!(n.topic, "<script>alert(1)</script>", "kept as text");
        assert_eq!(n.notes, "line 1\nline 2");
        let long = CallerNotes {
            name: "x".repeat(MAX_SHORT + 1),
            ..CallerNotes::default()
        };
        assert_eq!(
            CallerNotes::parse(&long).unwrap_err().field,
            "name",
            "too long"
        );
        assert!(CallerNotes::default().is_empty());
    }
}
