//! piphone's HTTP-level integration tests: one binary, each test on its own server (port 0) and database.

mod admin;
mod audio;
mod call_log;
mod callin;
mod config_check;
mod crash;
mod dial_policy;
mod doctor;
mod faults;
mod helpers;
mod hybrid;
mod kiosk;
mod login;
mod process;
mod props;
mod reliability;
mod route_inventory;
mod sandbox_process;
mod sandbox_public_url;
mod secrets;
mod stream;
mod token;
mod twilio_setup;
mod twilio_setup_sandbox;
mod voice;
mod webhook_fuzz;
