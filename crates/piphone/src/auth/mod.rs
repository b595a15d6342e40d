//! Who is asking: passwords (argon2id, hashed off the async threads), session cookies and the login rate
//! limiter. The extractors that require a session live with the routes (`routes/api/extract.rs`).

mod limiter;
pub mod password;
pub mod session;

pub use limiter::LoginLimiter;
