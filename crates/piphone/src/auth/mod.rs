//! Who is asking: passwords (argon2id, hashed off the async threads), session cookies, the extractors that
//! routes use, and the login rate limiter.

mod extract;
mod limiter;
pub mod password;
pub mod session;

pub use extract::{AdminUser, CurrentUser, PageUser};
pub use limiter::LoginLimiter;
