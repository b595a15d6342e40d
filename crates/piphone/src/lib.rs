//! piphone: a self-hosted browser phone and radio call-in console on Twilio Programmable Voice.

pub mod sandbox;
