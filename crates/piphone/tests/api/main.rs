//! piphone's HTTP-level integration tests: one binary, each test on its own server (port 0) and database.

mod helpers;
mod login;
mod token;
mod voice;
