use super::*;

fn now(secs: u64) -> Now {
    let base = Instant::now();
    Now {
        instant: base + Duration::from_secs(secs),
        system: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs),
    }
}

fn states(lines: &Lines) -> Vec<State> {
    lines.views(&[]).iter().map(|v| v.state).collect()
}

#[test]
fn a_caller_goes_through_connecting_to_hold_then_air() {
    let mut lines = Lines::new(3, now(0));
    lines
        .take(2, "CA1", Some("+15551230001"), Mode::Hold)
        .unwrap();
    assert_eq!(
        states(&lines),
        [State::Empty, State::Connecting, State::Empty]
    );
    assert_eq!(
        lines.routing()[1],
        Route::Idle,
        "not heard before the stream"
    );
    assert!(!lines.connected(1, "CA1"), "wrong line");
    assert!(lines.connected(2, "CA1"));
    assert_eq!(states(&lines)[1], State::Hold);
    lines.set_mode(2, Mode::OnAir).unwrap();
    assert_eq!(lines.routing(), [Route::Idle, Route::OnAir, Route::Idle]);
    let view = &lines.views(&[-50.0, -20.0, -120.0])[1];
    assert_eq!(view.level_dbfs, Some(-20.0));
    assert_eq!(view.from.as_deref(), Some("+15551230001"));
}

#[test]
fn the_buttons_refuse_what_makes_no_sense() {
    let mut lines = Lines::new(2, now(0));
    assert_eq!(
        lines.take(3, "CA1", None, Mode::Hold),
        Err(Refusal::NoSuchLine(3))
    );
    assert_eq!(
        lines.take(0, "CA1", None, Mode::Hold),
        Err(Refusal::NoSuchLine(0))
    );
    lines.take(1, "CA1", None, Mode::OnAir).unwrap();
    assert_eq!(
        lines.take(1, "CA2", None, Mode::Hold),
        Err(Refusal::Busy(1))
    );
    assert_eq!(
        lines.take(2, "CA1", None, Mode::Hold),
        Err(Refusal::AlreadyOnLine(1))
    );
    assert_eq!(lines.set_mode(2, Mode::OnAir), Err(Refusal::Empty(2)));
    lines.take(2, "CA2", None, Mode::Hold).unwrap();
    assert_eq!(lines.set_locked(2, true), Err(Refusal::NotOnAir(2)));
    lines.set_locked(1, true).unwrap();
    assert_eq!(
        states(&lines)[0],
        State::Connecting,
        "locked shows once connected"
    );
    lines.connected(1, "CA1");
    assert_eq!(states(&lines)[0], State::Locked);
    assert_eq!(lines.may_drop(1), Err(Refusal::Locked(1)));
    assert_eq!(lines.set_mode(1, Mode::Hold), Err(Refusal::Locked(1)));
    assert!(
        lines.unlocked_on_air().is_empty(),
        "Next leaves a locked line alone"
    );
    lines.set_locked(1, false).unwrap();
    assert_eq!(lines.unlocked_on_air(), [(1, "CA1".to_owned())]);
    assert_eq!(lines.may_drop(1), Ok("CA1"));
}

#[test]
fn a_lost_stream_empties_the_line_and_lists_the_caller() {
    let mut lines = Lines::new(2, now(0));
    lines
        .take(1, "CA1", Some("+15551230001"), Mode::OnAir)
        .unwrap();
    lines.connected(1, "CA1");
    lines.set_time(now(5));
    assert!(lines.lost("CA1", None));
    assert_eq!(lines.free_line(), Some(1));
    assert_eq!(lines.returned()[0].call_sid, "CA1");
    assert_eq!(lines.returned()[0].from.as_deref(), Some("+15551230001"));
    assert_eq!(lines.returned()[0].line, Some(1));
    assert!(
        !lines.lost("CA1", None),
        "listed once: the hold webhook comes after"
    );
    lines.take(2, "CA1", None, Mode::Hold).unwrap();
    assert!(
        lines.returned().is_empty(),
        "taken again: no longer flagged"
    );
    assert!(
        lines.lost("CA9", Some("+15551230009")),
        "after a restart: known by the hold webhook"
    );
    assert_eq!(lines.returned()[0].line, None);
}

#[test]
fn a_stream_that_never_comes_is_overdue() {
    let mut lines = Lines::new(2, now(0));
    lines.take(1, "CA1", None, Mode::OnAir).unwrap();
    lines.take(2, "CA2", None, Mode::OnAir).unwrap();
    lines.connected(2, "CA2");
    lines.set_time(now(31));
    assert_eq!(lines.overdue(CONNECT_TIMEOUT), ["CA1"]);
}
