use std::time::{Duration, Instant};

use super::*;

fn board() -> Board {
    Board::new("q", 100, Duration::from_secs(15))
}

fn places(b: &Board) -> Vec<(String, u32)> {
    b.snapshot()
        .members
        .into_iter()
        .map(|m| (m.call_sid, m.position))
        .collect()
}

fn poll(members: &[(&str, u32)]) -> PollResult {
    PollResult {
        queue_sid: Some("QU1".into()),
        members: members
            .iter()
            .map(|(s, p)| (s.to_string(), *p, 3))
            .collect(),
        average_wait_seconds: 3,
    }
}

#[test]
fn arrivals_queue_up_and_departures_move_everyone_up() {
    let mut b = board();
    for (sid, from) in [("CA1", "+1"), ("CA2", "+2"), ("CA3", "+3")] {
        b.arrived(sid, Some(from));
    }
    assert_eq!(
        places(&b),
        [("CA1".into(), 1), ("CA2".into(), 2), ("CA3".into(), 3)]
    );
    b.left("CA1", "hangup", 4);
    assert_eq!(places(&b), [("CA2".into(), 1), ("CA3".into(), 2)]);
    let snap = b.snapshot();
    assert_eq!(snap.recent[0].result, "hangup");
    assert_eq!(snap.recent[0].from.as_deref(), Some("+1"));
    assert_eq!(snap.members[0].from.as_deref(), Some("+2"));
}

#[test]
fn hold_rounds_count_and_twilio_positions_win() {
    let mut b = board();
    b.arrived("CA1", None);
    b.arrived("CA2", None);
    assert_eq!(b.holding("CA2", Some("+2"), Some(1), Some(10)), 0);
    assert_eq!(b.holding("CA2", None, Some(1), Some(12)), 1);
    let snap = b.snapshot();
    assert_eq!(snap.members[0].call_sid, "CA2");
    assert_eq!(snap.members[0].wait_seconds, 12);
}

#[test]
fn on_air_moves_a_caller_out_of_the_line() {
    let mut b = board();
    b.host_call("CAdj", "dj");
    b.arrived("CA1", Some("+1"));
    b.arrived("CA2", Some("+2"));
    b.on_air("CA1", None, Some("CAdj"));
    assert_eq!(places(&b), [("CA2".into(), 1)]);
    let snap = b.snapshot();
    assert_eq!(snap.on_air[0].call_sid, "CA1");
    assert_eq!(snap.on_air[0].host.as_deref(), Some("dj"));
    assert_eq!(snap.on_air[0].from.as_deref(), Some("+1"));
    assert_eq!(b.on_air_for("dj").as_deref(), Some("CA1"));
    b.host_moved_on("CAdj");
    assert!(b.snapshot().on_air.is_empty());
}

#[test]
fn an_older_poll_never_undoes_a_newer_webhook() {
    let mut b = board();
    b.arrived("CA1", Some("+1"));
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(2));
    b.arrived("CA2", Some("+2")); // after the poll started
    b.left("CA1", "hangup", 1); // after the poll started
    let missing = b.reconcile(poll(&[("CA1", 1)]), started);
    assert_eq!(places(&b), [("CA2".into(), 1)]);
    assert!(missing.is_empty(), "CA2's number came with the webhook");
}

#[test]
fn a_poll_adds_unknown_callers_and_drops_vanished_ones() {
    let mut b = board();
    b.arrived("CA1", Some("+1"));
    b.holding("CA1", None, Some(1), Some(0)); // confirmed in the queue
    std::thread::sleep(Duration::from_millis(2));
    let started = Instant::now();
    let missing = b.reconcile(poll(&[("CA9", 1)]), started);
    assert_eq!(places(&b), [("CA9".into(), 1)]);
    assert_eq!(missing, ["CA9"]);
    assert!(
        b.reconcile(poll(&[("CA9", 1)]), Instant::now()).is_empty(),
        "looked up once"
    );
}

#[test]
fn staleness_follows_the_poll() {
    let mut b = Board::new("q", 100, Duration::from_millis(50));
    assert!(!b.snapshot().stale);
    assert!(b.snapshot().updated_at.is_none());
    b.reconcile(poll(&[]), Instant::now());
    assert!(!b.snapshot().stale);
    b.poll_failed();
    assert!(b.snapshot().stale);
    b.reconcile(poll(&[]), Instant::now());
    assert!(!b.snapshot().stale);
    std::thread::sleep(Duration::from_millis(60));
    assert!(b.snapshot().stale, "too old counts as stale");
}

#[test]
fn callers_hearing_the_greeting_survive_a_poll_that_cannot_see_them_yet() {
    let mut b = board();
    b.arrived("CA1", Some("+1"));
    std::thread::sleep(Duration::from_millis(2));
    b.reconcile(poll(&[]), Instant::now());
    assert_eq!(places(&b), [("CA1".into(), 1)], "still in the greeting");
    b.reconcile(poll(&[("CA1", 1)]), Instant::now());
    std::thread::sleep(Duration::from_millis(2));
    b.reconcile(poll(&[]), Instant::now());
    assert!(
        places(&b).is_empty(),
        "once Twilio listed them, a poll without them means gone"
    );
}
