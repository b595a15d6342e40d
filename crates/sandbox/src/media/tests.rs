//! The media core on its own: bridges, sounds and the outside interface, tick by tick.

use audio::Frame;
use audio::analyse::dominant_hz;

use super::{Media, Ringback, Voice};

fn hz(frames: &[Frame]) -> f64 {
    let samples: Vec<i16> = frames.iter().flat_map(|f| f.0).collect();
    dominant_hz(&samples, audio::SAMPLE_RATE).unwrap_or(0.0)
}

fn tone_leg(media: &Media, sid: &str, hz: f64) {
    let _ = media.add_leg(sid, media.mouth(&Voice::ToneHz(hz)));
}

/// Legs A (440 Hz) and B (700 Hz), bridged.
fn bridged_pair() -> Media {
    let media = Media::default();
    tone_leg(&media, "A", 440.0);
    tone_leg(&media, "B", 700.0);
    media.bridge("A", "B");
    media
}

#[test]
fn a_bridge_carries_each_party_to_the_other_and_hearing_ends_with_its_guard() {
    let media = bridged_pair();
    for _ in 0..50 {
        media.tick();
    }
    let view = media.view("A").unwrap();
    assert!(
        (view["heard"]["dominant_hz"].as_f64().unwrap() - 700.0).abs() < 2.0,
        "{view}"
    );
    assert!(
        (view["sent"]["dominant_hz"].as_f64().unwrap() - 440.0).abs() < 2.0,
        "{view}"
    );
    let b = media.view("B").unwrap();
    assert!(
        (b["heard"]["dominant_hz"].as_f64().unwrap() - 440.0).abs() < 2.0,
        "{b}"
    );
    // A sound replaces the bridge while it is heard; dropping it leaves silence, not the bridge.
    let ringback = media.hear("A", Box::new(Ringback::new()));
    for _ in 0..50 {
        media.tick();
    }
    let heard = media.view("A").unwrap()["heard"]["dominant_hz"]
        .as_f64()
        .unwrap();
    assert!((430.0..=490.0).contains(&heard), "ringback: {heard}");
    drop(ringback);
    for _ in 0..50 {
        media.tick();
    }
    assert!(
        media.view("A").unwrap()["heard"]["level_dbfs"]
            .as_f64()
            .unwrap()
            < -100.0
    );
}

#[tokio::test]
async fn outside_parties_and_connections_exchange_frames_on_the_clock() {
    let media = Media::default();
    tone_leg(&media, "A", 500.0);
    let _ = media.add_leg("B", Media::silent());
    let mut browser = media.attach_party("B").unwrap();
    media.bridge("A", "B");
    let mut stream = media.connect_outside("A").unwrap();
    let mut fork = media.listen("A").unwrap();
    let (mut to_browser, mut to_stream, mut forked) = (vec![], vec![], vec![]);
    let mut mic = audio::tone::Sine::new(900.0, -12.0);
    for _ in 0..40 {
        browser.tx.try_send(mic.frame()).unwrap();
        stream.tx.try_send(Frame::SILENCE).unwrap();
        media.tick();
        to_browser.extend(browser.rx.try_recv());
        to_stream.extend(stream.rx.try_recv());
        forked.extend(fork.try_recv());
    }
    // A's connection is the stream now: it hears the stream's silence, the stream gets A's voice.
    assert!((hz(&to_stream) - 500.0).abs() < 2.0);
    assert!((hz(&forked) - 500.0).abs() < 2.0);
    // The browser is still bridged to A and hears it.
    assert!((hz(&to_browser) - 500.0).abs() < 2.0);
    assert!(media.view("A").unwrap()["heard"]["dominant_hz"].is_null());
    // The stream hangs up: A hears silence, nothing breaks.
    drop(stream);
    media.tick();
    assert!(
        (media.view("B").unwrap()["sent"]["dominant_hz"]
            .as_f64()
            .unwrap()
            - 900.0)
            .abs()
            < 2.0
    );
}

#[tokio::test]
async fn an_echo_says_back_what_it_heard_one_tick_later() {
    let media = Media::default();
    let _ = media.add_leg("A", Media::silent());
    let _ = media.add_leg("E", media.mouth(&Voice::Echo(true)));
    let mut phone = media.attach_party("A").unwrap();
    media.bridge("A", "E");
    let mut mic = audio::tone::Sine::new(1000.0, -12.0);
    let (mut said, mut heard) = (vec![], vec![]);
    for _ in 0..50 {
        let frame = mic.frame();
        said.push(frame);
        phone.tx.try_send(frame).unwrap();
        media.tick();
        heard.push(phone.rx.try_recv().unwrap());
    }
    // On tick n the echo says what it heard on tick n − 1: A's frame of the tick before.
    assert_eq!(heard[0], Frame::SILENCE);
    assert_eq!(heard[1..], said[..49]);
    assert!((hz(&heard) - 1000.0).abs() < 2.0);
    assert!(Voice::Echo(false).check().is_err());
    assert!(media.press_inband("E", "1").is_err(), "an echo has no keys");
}

#[test]
fn in_band_keys_are_found_in_what_a_party_says_and_what_its_peer_hears() {
    let media = bridged_pair();
    media.press_inband("A", "*").unwrap();
    assert!(media.press_inband("A", "x").is_err());
    let found: Vec<_> = (0..30).flat_map(|_| media.tick().unwrap()).collect();
    let said: Vec<_> = found
        .iter()
        .filter(|d| !d.heard)
        .map(|d| (d.sid.as_str(), d.digit))
        .collect();
    let heard: Vec<_> = found
        .iter()
        .filter(|d| d.heard)
        .map(|d| (d.sid.as_str(), d.digit))
        .collect();
    assert_eq!(said, [("A", '*')]);
    assert_eq!(heard, [("B", '*')]);
}

#[test]
fn the_clock_stops_when_no_leg_is_live() {
    let media = Media::default();
    assert!(
        media.add_leg("A", Media::silent()),
        "the first leg starts the clock"
    );
    assert!(!media.add_leg("B", Media::silent()), "one clock only");
    media.end_leg("A");
    media.end_leg("B");
    assert!(media.tick().is_none());
    assert!(
        media.add_leg("C", Media::silent()),
        "a new clock for the next leg"
    );
    assert!(
        media.heard_wav("A").is_some(),
        "an ended leg's audio is kept for a while"
    );
}
