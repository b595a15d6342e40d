//! [`Username`]: the name a person signs in with, which is also their Twilio client identity.

use std::fmt;

/// A username: 1 to 64 ASCII letters, digits, `.`, `_` and `-`, not starting with `.` or `-` (it becomes a Twilio
/// client identity, so it keeps to a safe alphabet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("usernames are 1-64 characters of letters, digits, '.', '_' and '-'")]
pub struct InvalidUsername;

impl Username {
    pub fn parse(raw: &str) -> Result<Username, InvalidUsername> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && !raw.starts_with(['.', '-']);
        if ok {
            Ok(Username(raw.to_owned()))
        } else {
            Err(InvalidUsername)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for Username {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_only() {
        for good in ["admin", "kiosk", "a", "J.Doe_2-x", &"x".repeat(64)] {
            assert_eq!(
                Username::parse(good).map(|u| u.to_string()),
                Ok(good.to_owned())
            );
        }
        for bad in [
            "",
            "no spaces",
            ".hidden",
            "-dash",
            "é",
            &"x".repeat(65),
            "a/b",
        ] {
            assert_eq!(Username::parse(bad), Err(InvalidUsername), "{bad:?}");
        }
    }
}
