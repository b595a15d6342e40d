use std::time::{Duration, Instant, SystemTime};

use super::*;

/// The time the test boards start at.
fn start() -> Moment {
    Moment {
        instant: Instant::now(),
        system: SystemTime::now(),
    }
}

fn board() -> Board {
    Board::new("q", "q-screened", 100, Duration::from_secs(15), start())
}

/// Moves the board's clock on by `ms` milliseconds; returns the new time.
fn later(b: &mut Board, ms: u64) -> Instant {
    let by = Duration::from_millis(ms);
    b.set_time(Moment {
        instant: b.now.instant + by,
        system: b.now.system + by,
    });
    b.now.instant
}

fn screened(b: &Board) -> Vec<(String, u32)> {
    b.snapshot()
        .screened
        .members
        .into_iter()
        .map(|m| (m.call_sid, m.position))
        .collect()
}

fn places(b: &Board) -> Vec<(String, u32)> {
    b.snapshot()
        .members
        .into_iter()
        .map(|m| (m.call_sid, m.position))
        .collect()
}

fn line_poll(sid: &str, members: &[(&str, u32)]) -> LinePoll {
    LinePoll {
        queue_sid: Some(sid.into()),
        members: members
            .iter()
            .map(|(s, p)| (s.to_string(), *p, 3))
            .collect(),
        average_wait_seconds: 3,
    }
}

fn poll(members: &[(&str, u32)]) -> PollResult {
    PollResult {
        main: line_poll("QU1", members),
        screened: LinePoll::default(),
    }
}

#[test]
fn arrivals_queue_up_and_departures_move_everyone_up() {
    let mut b = board();
    for (sid, from) in [("CA1", "+1"), ("CA2", "+2"), ("CA3", "+3")] {
        b.arrived(Line::Main, sid, Some(from));
    }
    assert_eq!(
        places(&b),
        [("CA1".into(), 1), ("CA2".into(), 2), ("CA3".into(), 3)]
    );
    b.left(Line::Main, "CA1", "hangup", 4);
    assert_eq!(places(&b), [("CA2".into(), 1), ("CA3".into(), 2)]);
    let snap = b.snapshot();
    assert_eq!(snap.recent[0].result, "hangup");
    assert_eq!(snap.recent[0].from.as_deref(), Some("+1"));
    assert_eq!(snap.members[0].from.as_deref(), Some("+2"));
}

#[test]
fn hold_rounds_count_and_twilio_positions_win() {
    let mut b = board();
    b.arrived(Line::Main, "CA1", None);
    b.arrived(Line::Main, "CA2", None);
    assert_eq!(
        b.holding(Line::Main, "CA2", Some("+2"), Some(1), Some(10)),
        0
    );
    assert_eq!(b.holding(Line::Main, "CA2", None, Some(1), Some(12)), 1);
    let snap = b.snapshot();
    assert_eq!(snap.members[0].call_sid, "CA2");
    assert_eq!(snap.members[0].wait_seconds, 12);
}

#[test]
fn on_air_moves_a_caller_out_of_the_line() {
    let mut b = board();
    b.host_call("CAdj", "dj");
    b.arrived(Line::Main, "CA1", Some("+1"));
    b.arrived(Line::Main, "CA2", Some("+2"));
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
    b.arrived(Line::Main, "CA1", Some("+1"));
    let started = b.now.instant;
    later(&mut b, 2);
    b.arrived(Line::Main, "CA2", Some("+2")); // after the poll started
    b.left(Line::Main, "CA1", "hangup", 1); // after the poll started
    let missing = b.reconcile(poll(&[("CA1", 1)]), started);
    assert_eq!(places(&b), [("CA2".into(), 1)]);
    assert!(missing.is_empty(), "CA2's number came with the webhook");
}

#[test]
fn a_poll_adds_unknown_callers_and_drops_vanished_ones() {
    let mut b = board();
    b.arrived(Line::Main, "CA1", Some("+1"));
    b.holding(Line::Main, "CA1", None, Some(1), Some(0)); // confirmed in the queue
    let started = later(&mut b, 2);
    let missing = b.reconcile(poll(&[("CA9", 1)]), started);
    assert_eq!(places(&b), [("CA9".into(), 1)]);
    assert_eq!(missing, ["CA9"]);
    assert!(
        b.reconcile(poll(&[("CA9", 1)]), b.now.instant).is_empty(),
        "looked up once"
    );
}

#[test]
fn a_caller_twilio_never_listed_is_reported_once_a_poll_drops_them() {
    let mut b = board();
    b.arrived(Line::Main, "CA1", Some("+1")); // hung up during the greeting: no webhook will say so
    b.arrived(Line::Main, "CA2", Some("+2"));
    b.holding(Line::Main, "CA2", None, Some(1), Some(0)); // confirmed: its Enqueue action reports its end
    b.arrived(Line::Main, "CA3", Some("+3")); // still hearing the greeting
    b.main.backdate(Duration::from_secs(60), &["CA1", "CA2"]);
    b.reconcile(poll(&[]), b.now.instant);
    assert_eq!(
        places(&b),
        [("CA3".into(), 3)],
        "kept, in its place as announced"
    );
    assert_eq!(b.take_vanished(), ["CA1"]);
    assert!(b.take_vanished().is_empty(), "taken once");
    b.reconcile(poll(&[]), b.now.instant);
    assert!(
        b.take_vanished().is_empty(),
        "CA3 is within the grace period"
    );
}

#[test]
fn staleness_follows_the_poll() {
    let mut b = Board::new("q", "q-s", 100, Duration::from_millis(50), start());
    assert!(!b.snapshot().stale);
    assert!(b.snapshot().updated_at.is_none());
    b.reconcile(poll(&[]), b.now.instant);
    assert!(!b.snapshot().stale);
    b.poll_failed();
    assert!(b.snapshot().stale);
    b.reconcile(poll(&[]), b.now.instant);
    assert!(!b.snapshot().stale);
    later(&mut b, 60);
    assert!(b.snapshot().stale, "too old counts as stale");
}

#[test]
fn callers_hearing_the_greeting_survive_a_poll_that_cannot_see_them_yet() {
    let mut b = board();
    b.arrived(Line::Main, "CA1", Some("+1"));
    later(&mut b, 2);
    b.reconcile(poll(&[]), b.now.instant);
    assert_eq!(places(&b), [("CA1".into(), 1)], "still in the greeting");
    b.reconcile(poll(&[("CA1", 1)]), b.now.instant);
    later(&mut b, 2);
    b.reconcile(poll(&[]), b.now.instant);
    assert!(
        places(&b).is_empty(),
        "once Twilio listed them, a poll without them means gone"
    );
}

#[test]
fn a_screened_caller_moves_from_the_queue_to_the_screener_to_the_screened_queue() {
    let mut b = board();
    b.arrived(Line::Main, "CA1", Some("+1"));
    b.arrived(Line::Main, "CA2", Some("+2"));
    assert_eq!(b.next_line(), Some(Line::Main));
    assert_eq!(
        b.start_screening("CA2", "sam"),
        Err(ScreenRefusal::NotYetQueued),
        "still hearing the greeting"
    );
    b.holding(Line::Main, "CA2", None, Some(2), Some(1));
    b.start_screening("CA2", "sam").unwrap();
    assert_eq!(
        b.start_screening("CA2", "kim"),
        Err(ScreenRefusal::Taken("sam".into())),
        "one screener per caller"
    );
    assert_eq!(
        b.start_screening("CA9", "kim"),
        Err(ScreenRefusal::NotWaiting)
    );
    assert_eq!(places(&b), [("CA1".into(), 1)]);
    assert_eq!(b.place_of("CA2"), Some(Place::Screening));
    // Twilio's action for the dequeue (QueueResult=redirected) is no departure.
    b.left(Line::Main, "CA2", "redirected", 5);
    assert!(b.snapshot().recent.is_empty());
    b.screening_connected("CA2", Some("+2"), "sam");
    let snap = b.snapshot();
    assert_eq!(snap.screening[0].screener, "sam");
    assert!(snap.screening[0].connected);
    b.set_notes(
        "CA2",
        CallerNotes {
            name: "Bo".into(),
            ..CallerNotes::default()
        },
        Some("sam"),
    );
    b.ready("CA2");
    assert_eq!(screened(&b), [("CA2".into(), 1)]);
    assert_eq!(
        b.next_line(),
        Some(Line::Screened),
        "screened callers first"
    );
    let card = b.snapshot().screened.members[0].caller.clone().unwrap();
    assert_eq!(card.notes.unwrap().name, "Bo");
    assert_eq!(card.screener.as_deref(), Some("sam"));
    // A poll that started before the move cannot put the caller back in the call-in queue.
    let started = b.now.instant - Duration::from_secs(1);
    b.reconcile(poll(&[("CA1", 1), ("CA2", 2)]), started);
    assert_eq!(places(&b), [("CA1".into(), 1)]);
    assert_eq!(screened(&b), [("CA2".into(), 1)], "not yet confirmed, kept");
    b.host_call("CAdj", "dj");
    b.on_air("CA2", None, Some("CAdj"));
    assert!(screened(&b).is_empty());
    let air = b.snapshot().on_air[0].clone();
    assert_eq!(
        air.caller.unwrap().notes.unwrap().name,
        "Bo",
        "the host sees the notes"
    );
}

#[test]
fn hosts_can_be_kept_to_screened_callers() {
    let mut b = board().screened_only(true);
    b.arrived(Line::Main, "CA1", None);
    assert_eq!(b.next_line(), None);
    b.arrived(Line::Screened, "CA2", None);
    assert_eq!(b.next_line(), Some(Line::Screened));
}

#[test]
fn a_screening_that_never_connects_is_undone_and_banned_numbers_are_flagged() {
    let mut b = board();
    b.arrived(Line::Main, "CA1", Some("+15551230001"));
    b.holding(Line::Main, "CA1", None, Some(1), Some(0));
    b.start_screening("CA1", "sam").unwrap();
    b.back_in_line("CA1");
    assert_eq!(places(&b), [("CA1".into(), 1)]);
    assert!(b.snapshot().screening.is_empty());
    b.mark_banned("+15551230001", Some("rude"));
    let h = b.snapshot().members[0]
        .caller
        .clone()
        .unwrap()
        .history
        .unwrap();
    assert!(h.banned);
    assert_eq!(h.ban_reason.as_deref(), Some("rude"));
    b.depart("CA1", "banned", 0);
    assert!(b.snapshot().members.is_empty());
    assert_eq!(b.snapshot().recent[0].result, "banned");
}

#[test]
fn messages_keep_the_latest() {
    let mut b = board();
    for i in 0..30 {
        b.message("sam", Role::Screener, &format!("m{i}"));
    }
    let m = b.snapshot().messages;
    assert_eq!(m.len(), MESSAGES);
    assert_eq!(m.last().unwrap().text, "m29");
}
