//! Call audio between Twilio Media Streams and the machine's sound card, shared by the studio hybrid and the
//! stream-engine phone. Below `state` in the layers: it imports only `settings`, `domain`, `tls` and the `audio`
//! and `twilio` crates (`scripts/check-imports.py`).
//!
//! | module | what lives there |
//! |---|---|
//! | [`streams`] | the `/voice/stream` hub: expected calls and their tickets, admitted streams handed to owners |
//! | [`device`] | sound-card capture and playback without libasound: `alsa:` (arecord/aplay children), `file:` (WAV) |
//! | [`line`] | one stream's input chain: jitter buffer and drift buffer onto the engine's capture clock |
//!
//! An engine runs one task: `loop { let input = capture.next().await?; for each link: drain its events into its
//! Inlet; pull one frame per link; mix; playback.write(..); send each link its frame }`.

pub mod device;
pub mod line;
pub mod streams;
