//! Fuzzing a stream while another one plays: broken JSON, bad base64, odd payload sizes, unknown events,
//! binary frames, media before `start`, a flood the owner does not read, an oversized message. Nothing panics,
//! the owner's queue never holds more than its bound (the oldest audio goes), garbage past the limit closes
//! the stream, and the other stream's tone keeps coming.

use std::time::Duration;

use audio::analyse::dominant_hz;
use audio::tone::Sine;
use futures_util::SinkExt as _;
use piphone::media::streams::{
    EVENTS_QUEUE, GARBAGE_LIMIT, PENDING_MAX, StreamEvent, StreamLink, StreamOwner,
};
use tokio_tungstenite::tungstenite::Message;

use super::{Caller, arrival, as_refs, line_owner, open, routed, sign, stream_url};
use crate::helpers::{TestApp, spawn_app};

/// A caller on `line` whose link has arrived.
async fn admitted(
    app: &TestApp,
    lines: &mut tokio::sync::mpsc::Receiver<StreamLink>,
    call: &str,
    line: u8,
) -> (Caller, StreamLink) {
    let params = routed(app, call, &StreamOwner::Line(line));
    let caller = Caller::start(app, call, &as_refs(&params)).await;
    let link = arrival(lines).await;
    assert_eq!(link.call_sid, call);
    (caller, link)
}

/// Every kind of bad message once (fewer than the limit).
fn garbage(stream_sid: &str) -> Vec<Message> {
    let media = |payload: &str| {
        Message::text(format!(
            r#"{{"event":"media","sequenceNumber":"5","streamSid":"{stream_sid}","media":{{"track":"inbound","chunk":"1","timestamp":"20","payload":"{payload}"}}}}"#
        ))
    };
    let b64 = |n: usize| twilio::streams::encode_payload(&vec![0x7f; n]);
    let mut out = vec![
        Message::text("{"),
        Message::text("null"),
        Message::text("[]"),
        Message::text(""),
        Message::text(r#"{"event":"hello"}"#),
        Message::text(r#"{"event":"media"}"#),
        Message::text(r#"{"event":"media","sequenceNumber":"x","streamSid":"MZ","media":{}}"#),
        media("!!not base64!!"),
        media("QUJD="),
        Message::text(format!(
            r#"{{"event":"media","sequenceNumber":"5","streamSid":"MZother","media":{{"track":"inbound","chunk":"1","timestamp":"20","payload":"{}"}}}}"#,
            b64(160)
        )),
        Message::text(format!(
            r#"{{"event":"start","sequenceNumber":"1","streamSid":"{stream_sid}","start":{{"accountSid":"AC","streamSid":"{stream_sid}","callSid":"CA","tracks":[],"customParameters":{{}},"mediaFormat":{{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}}}}"#
        )),
        Message::text(format!(
            r#"{{"event":"dtmf","sequenceNumber":"6","streamSid":"{stream_sid}","dtmf":{{"track":"inbound_track","digit":"55"}}}}"#
        )),
        Message::binary(vec![0u8; 160]),
    ];
    out.extend([0, 1, 159, 161, 320, 4000].map(|n| media(&b64(n))));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_fuzz_and_flood_leave_the_other_stream_playing() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let (mut good, mut good_link) =
        admitted(&app, &mut lines, "CA000000000000000000000000000000a1", 1).await;
    let (mut bad, mut bad_link) =
        admitted(&app, &mut lines, "CA000000000000000000000000000000b2", 2).await;

    // The good caller says 440 Hz, 20 ms at a time, for four seconds.
    let speaker = tokio::spawn(async move {
        let mut tone = Sine::new(440.0, -10.0);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for _ in 0..200 {
            tick.tick().await;
            good.media(&tone.frame().to_ulaw()).await;
        }
        good
    });
    // The bad one: every kind of garbage, then a flood of 3000 frames nobody reads.
    let garbage = garbage(&bad.stream_sid);
    let garbage_count = garbage.len() as u32;
    assert!(garbage_count < GARBAGE_LIMIT);
    let flooder = tokio::spawn(async move {
        for msg in garbage {
            bad.ws.send(msg).await.unwrap();
        }
        let frame = Sine::new(1000.0, -10.0).frame().to_ulaw();
        for _ in 0..3000 {
            bad.media(&frame).await;
        }
        bad
    });
    let mut heard = Vec::new();
    let mut most_held = 0;
    let (mut last_heard, mut longest_gap) = (std::time::Instant::now(), Duration::ZERO);
    while !flooder.is_finished() || !speaker.is_finished() {
        longest_gap = longest_gap.max(last_heard.elapsed());
        most_held = most_held.max(bad_link.events.len());
        assert!(
            bad_link.events.len() <= EVENTS_QUEUE,
            "the owner's queue is bounded"
        );
        while let Ok(event) = good_link.events.try_recv() {
            if let StreamEvent::Media { frame, .. } = event {
                heard.extend_from_slice(&frame.0);
                last_heard = std::time::Instant::now();
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut bad = flooder.await.unwrap();
    let _good = speaker.await.unwrap();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), good_link.events.recv()).await
    {
        if let StreamEvent::Media { frame, .. } = event {
            heard.extend_from_slice(&frame.0);
        }
    }
    assert_eq!(
        most_held, EVENTS_QUEUE,
        "the flood filled the queue to its bound, not beyond"
    );
    assert_eq!(
        heard.len(),
        200 * 160,
        "every frame of the good stream arrived"
    );
    assert!(
        longest_gap < Duration::from_millis(500),
        "the good stream kept flowing during the flood: a {longest_gap:?} gap"
    );
    let hz = dominant_hz(&heard[heard.len() - 8000..], 8000).unwrap();
    assert!((hz - 440.0).abs() < 5.0, "{hz} Hz");

    // The flooded owner now reads: at most the queue and the session's pending, newest audio last.
    let mut got = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), bad_link.events.recv()).await
    {
        got.push(event);
    }
    let seqs: Vec<u64> = got
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Media { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert!(
        seqs.len() <= EVENTS_QUEUE + PENDING_MAX,
        "{} frames kept",
        seqs.len()
    );
    assert_eq!(seqs.last(), Some(&3000), "the newest audio is kept");
    assert!(
        !got.iter().any(|e| matches!(e, StreamEvent::Dtmf(_))),
        "no bad key got through"
    );

    // Garbage past the limit closes the stream; the owner hears an unexpected stop.
    for _ in 0..GARBAGE_LIMIT {
        bad.raw("{".into()).await;
    }
    assert!(
        bad.closed_within(Duration::from_secs(5)).await,
        "closed on garbage"
    );
    let last = tokio::time::timeout(Duration::from_secs(5), async {
        let mut last = None;
        while let Some(event) = bad_link.events.recv().await {
            last = Some(event);
        }
        last
    })
    .await
    .unwrap();
    assert_eq!(last, Some(StreamEvent::Stop { unexpected: true }));
    let health = app.client.get(app.at("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server is fine");
}

#[tokio::test]
async fn stream_media_before_start_is_never_delivered_and_too_much_is_refused() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let url = stream_url(&app);
    // A few strays before start are tolerated (and dropped); the stream is then admitted.
    let call = "CA000000000000000000000000000000c3";
    let params = routed(&app, call, &StreamOwner::Line(3));
    let mut early = open(&app, Some(&sign(&url))).await.unwrap();
    for msg in garbage("MZ").into_iter().take(4) {
        early.send(msg).await.unwrap();
    }
    let before = format!(
        r#"{{"event":"media","sequenceNumber":"1","streamSid":"MZ","media":{{"track":"inbound","chunk":"1","timestamp":"0","payload":"{}"}}}}"#,
        twilio::streams::encode_payload(&[0x10; 160])
    );
    early.send(Message::text(before.clone())).await.unwrap();
    let mut caller = Caller::start(&app, call, &as_refs(&params)).await;
    drop(early);
    let mut link = arrival(&mut lines).await;
    caller.media(&[0xff; 160]).await;
    let first = tokio::time::timeout(Duration::from_secs(5), link.events.recv())
        .await
        .unwrap();
    assert!(
        matches!(first, Some(StreamEvent::Media { seq: 1, frame }) if frame.is_silent()),
        "the first event is the first media after start: {first:?}"
    );
    // Nothing but strays: closed before start, nothing delivered.
    let mut stray = open(&app, Some(&sign(&url))).await.unwrap();
    for _ in 0..20 {
        let _ = stray.send(Message::text(before.clone())).await;
    }
    let mut caller = Caller {
        ws: stray,
        stream_sid: "MZ".into(),
        ..caller
    };
    assert!(caller.closed_within(Duration::from_secs(5)).await, "closed");
    assert!(lines.try_recv().is_err());
}

#[tokio::test]
async fn an_oversized_stream_message_closes_only_that_stream() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let (mut caller, mut link) =
        admitted(&app, &mut lines, "CA000000000000000000000000000000d4", 4).await;
    caller
        .raw("x".repeat(piphone::media::streams::MAX_MESSAGE + 1))
        .await;
    assert!(caller.closed_within(Duration::from_secs(5)).await);
    let end = tokio::time::timeout(Duration::from_secs(5), link.events.recv())
        .await
        .unwrap();
    assert_eq!(end, Some(StreamEvent::Stop { unexpected: true }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_far_end_stops_reading_ends_as_broken() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    // The caller never reads: the socket's buffers fill with the owner's audio.
    let (_caller, mut link) =
        admitted(&app, &mut lines, "CA000000000000000000000000000000e5", 5).await;
    let frame = piphone::media::streams::StreamOut::Frame(Sine::new(800.0, -10.0).frame());
    let end = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let _ = link.audio_out.try_send(frame.clone());
            match link.events.try_recv() {
                Ok(StreamEvent::Stop { unexpected }) => return unexpected,
                Ok(_) | Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                    tokio::task::yield_now().await
                }
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("the stream ended within 30 s");
    assert!(end, "a far end that takes no audio is a broken stream");
}
