//! What a caller sent to a line runs: the bidirectional Media Stream, and after it the screened queue.
//!
//! `<Connect>` blocks until the stream ends; the verbs after it run only then (twilio-facts.md). A line's caller
//! leaves the stream in three ways: hung up (the call is over), dropped or moved by piphone (a REST update
//! replaces this TwiML), or the stream broke (piphone killed or restarted, the WebSocket failed). Only the last
//! reaches the verbs after `</Connect>`, which put the caller back in the screened queue with no webhook needed
//! first: Twilio holds them there even while piphone is down, and the screeners' notes are kept under their
//! CallSid.

use twilio::twiml::{Connect, Say, VoiceResponse};

use crate::callin::twiml::screened_queue;
use crate::settings::CallinSettings;

/// The webhook a caller is sent to for line `n` (`?n=N`).
pub const LINE_PATH: &str = "/voice/line";
/// The screened queue's hold for a caller whose line's stream broke: the marker tells piphone (even one
/// restarted since) that this caller came back by a fault, so the console flags them.
pub const AFTER_FAULT_WAIT_PATH: &str = "/voice/wait?line=screened&after=fault";

/// Said when a line's stream broke, before the screened queue.
const LOST: &str = "Sorry, we lost you for a moment. You are back in line for the host.";

/// The stream (`connect`, with its parameters), then the screened queue.
pub fn on_line(connect: Connect, settings: &CallinSettings) -> VoiceResponse {
    back_in_screened(VoiceResponse::new().connect(connect), settings)
}

/// A caller piphone did not expect on a line (or no hybrid): straight back to the screened queue.
pub fn not_on_line(settings: &CallinSettings) -> VoiceResponse {
    VoiceResponse::new().enqueue(screened_queue(
        settings,
        crate::callin::twiml::SCREENED_WAIT_PATH,
    ))
}

fn back_in_screened(response: VoiceResponse, settings: &CallinSettings) -> VoiceResponse {
    response
        .say(Say::new(LOST))
        .enqueue(screened_queue(settings, AFTER_FAULT_WAIT_PATH))
}

#[cfg(test)]
mod tests {
    use twilio::twiml::{Stream, parse};

    use super::*;

    #[test]
    fn after_the_stream_the_caller_is_enqueued_in_the_screened_queue_without_a_webhook_first() {
        let connect = Connect::stream(
            Stream::new("wss://example.org/voice/stream").parameter("owner", "line:2"),
        );
        let doc = parse(&on_line(connect, &CallinSettings::default()).to_xml()).unwrap();
        let verbs: Vec<&str> = doc.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            verbs,
            ["Connect", "Say", "Enqueue"],
            "nothing between the stream and the queue is fetched"
        );
        let enqueue = &doc.children[2];
        assert_eq!(enqueue.text.as_deref(), Some("radio-callin-queue-screened"));
        assert_eq!(enqueue.attr("waitUrl"), Some(AFTER_FAULT_WAIT_PATH));
        assert_eq!(enqueue.attr("action"), Some("/voice/left?line=screened"));
        let stream = &doc.children[0].children[0];
        assert_eq!(stream.attr("url"), Some("wss://example.org/voice/stream"));
    }

    #[test]
    fn an_unexpected_caller_goes_straight_back() {
        let doc = parse(&not_on_line(&CallinSettings::default()).to_xml()).unwrap();
        assert_eq!(doc.children.len(), 1);
        assert_eq!(doc.children[0].name, "Enqueue");
        assert_eq!(
            doc.children[0].attr("waitUrl"),
            Some("/voice/wait?line=screened")
        );
    }
}
