//! Arbitrary messages through one stream's message handling, without a socket: nothing panics, the owner's
//! queue and the pending list stay within their bounds, and every valid event (frame, key) is either
//! delivered, waiting, or counted as dropped.

use proptest::prelude::*;

use super::*;

const SID: &str = "MZ0123";

fn pump(capacity: usize) -> (Pump, mpsc::Receiver<StreamEvent>) {
    let (events, rx) = mpsc::channel(capacity);
    let pump = Pump {
        stream_sid: SID.into(),
        events,
        pending: VecDeque::new(),
        garbage: 0,
        dropped: 0,
    };
    (pump, rx)
}

/// One message, and whether it is a valid event (a 20 ms frame, a key).
fn message() -> impl Strategy<Value = (String, bool)> {
    let media = (
        prop::collection::vec(any::<u8>(), 0..400),
        prop_oneof![Just(SID.to_owned()), "MZ[0-9]{0,4}"],
        prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[0-9a-z-]{0,6}"],
    )
        .prop_map(|(bytes, sid, chunk)| {
            let valid = bytes.len() == FRAME_SAMPLES && sid == SID && chunk.parse::<u64>().is_ok();
            let text = format!(
                r#"{{"event":"media","sequenceNumber":"3","streamSid":"{sid}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"0","payload":"{}"}}}}"#,
                encode_payload(&bytes)
            );
            (text, valid)
        });
    let dtmf = ".{0,3}".prop_map(|digit| {
        let valid = digit.chars().count() == 1 && "0123456789*#ABCD".contains(digit.as_str());
        let digit = serde_json::to_string(&digit).unwrap();
        (
            format!(r#"{{"event":"dtmf","sequenceNumber":"4","streamSid":"{SID}","dtmf":{{"track":"inbound_track","digit":{digit}}}}}"#),
            valid,
        )
    });
    let event = "[a-z]{0,8}".prop_map(|name| {
        (
            format!(r#"{{"event":"{name}","streamSid":"{SID}"}}"#),
            false,
        )
    });
    prop_oneof![
        4 => media,
        1 => dtmf,
        1 => event,
        1 => any::<String>().prop_map(|s| (s, false)),
        1 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| (String::from_utf8_lossy(&b).into_owned(), false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_stream_messages_keep_the_bounds_and_account_for_every_event(
        messages in prop::collection::vec(message(), 0..300),
        capacity in 1usize..8,
    ) {
        let (mut pump, mut rx) = pump(capacity);
        let mut valid = 0u64;
        for (text, is_frame) in &messages {
            let end = pump.twilio_message(text);
            prop_assert!(rx.len() <= capacity);
            prop_assert!(pump.pending.len() <= PENDING_MAX);
            if *is_frame {
                valid += 1;
            }
            if let Some(end) = end {
                prop_assert!(matches!(end, End::Garbage | End::Stopped), "{end:?}");
                prop_assert!(matches!(end, End::Stopped) || pump.garbage > GARBAGE_LIMIT);
                break;
            }
        }
        let mut delivered = 0u64;
        while rx.try_recv().is_ok() {
            delivered += 1;
        }
        prop_assert_eq!(delivered + pump.pending.len() as u64 + pump.dropped, valid);
    }
}
