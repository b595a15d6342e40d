//! Types parsed at the boundary: a handler never touches a raw string twice.

pub mod notes;
pub mod phone;
pub mod role;
pub mod username;

pub use notes::{CallerNotes, Priority};
pub use phone::{DialPolicy, DialRefusal, PhoneNumber};
pub use role::Role;
pub use username::{InvalidUsername, Username};
