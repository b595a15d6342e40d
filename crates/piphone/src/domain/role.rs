//! User roles and what each may do.

use std::fmt;
use std::str::FromStr;

/// A user's role. Admins and hosts may do everything a caller may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Host,
    Screener,
    Caller,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Host, Role::Screener, Role::Caller];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Host => "host",
            Role::Screener => "screener",
            Role::Caller => "caller",
        }
    }

    /// May place outgoing calls to phone numbers.
    pub fn can_dial(self) -> bool {
        matches!(self, Role::Admin | Role::Host | Role::Caller)
    }

    /// May be rung for calls to the station and answer the call-in queue.
    pub fn can_take_calls(self) -> bool {
        matches!(self, Role::Admin | Role::Host)
    }

    /// May watch the call-in queue (callers' numbers included).
    pub fn can_view_queue(self) -> bool {
        matches!(self, Role::Admin | Role::Host | Role::Screener)
    }

    /// May screen callers: take one from the queue, write notes, send them to the host, drop or ban them.
    pub fn can_screen(self) -> bool {
        matches!(self, Role::Admin | Role::Host | Role::Screener)
    }

    /// May read the whole call log and export it (`/calls`, `/calls.csv`). Screeners see the history of the
    /// callers they screen in the console, not the log of every call.
    pub fn can_read_call_log(self) -> bool {
        matches!(self, Role::Admin | Role::Host)
    }

    /// May manage users and see refusals.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role name was not one of admin, host, screener, caller.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: use admin, host, screener or caller")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_permissions() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("boss".parse::<Role>().is_err());
        assert!(!Role::Screener.can_dial());
        assert!(Role::Caller.can_dial() && !Role::Caller.can_take_calls());
        assert!(Role::Host.can_take_calls() && !Role::Host.is_admin());
        assert!(Role::Screener.can_screen() && !Role::Screener.can_read_call_log());
        assert!(!Role::Caller.can_screen() && !Role::Caller.can_read_call_log());
    }
}
