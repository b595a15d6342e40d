//! Twilio Programmable Voice protocols, independent of any application:
//!
//! - [`token`]: Access Tokens (JWT, HS256) with a Voice grant, issued and verified.
//! - [`signature`]: `X-Twilio-Signature` webhook validation and the form-body parser it needs.
//! - [`twiml`]: a TwiML builder whose output is byte-identical to twilio-python 9.13.0, and a parser.
//! - [`streams`]: Media Streams WebSocket messages (Twilio → server and back).
//! - [`rest`]: a typed client for the Voice REST resources (Queues, Members, Calls, Applications,
//!   IncomingPhoneNumbers) of api.twilio.com 2010-04-01.
//!
//! Behaviour is checked against Twilio's own helper library (twilio-python 9.13.0) and Twilio's
//! OpenAPI description; see the crate's `tests/`.

pub mod rest;
pub mod signature;
pub mod streams;
pub mod token;
pub mod twiml;
