use super::*;

fn base(url: &str) -> url::Url {
    url::Url::parse(url).unwrap()
}

#[test]
fn the_stream_url_is_the_public_url_turned_websocket() {
    for (public, want) in [
        (
            "https://radio.example.org",
            "wss://radio.example.org/voice/stream",
        ),
        (
            "https://radio.example.org:8443/",
            "wss://radio.example.org:8443/voice/stream",
        ),
        ("http://127.0.0.1:3000", "ws://127.0.0.1:3000/voice/stream"),
        (
            "https://x.example/piphone/",
            "wss://x.example/piphone/voice/stream",
        ),
    ] {
        assert_eq!(stream_url(&base(public)), want, "{public}");
    }
}

#[test]
fn the_ticket_writes_connect_stream_with_secret_and_owner() {
    let hub = StreamHub::new();
    let ticket = hub.expect("CA1", StreamOwner::Line(2));
    assert_eq!(ticket.secret.len(), 64);
    assert!(ticket.secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        !format!("{ticket:?}").contains(&ticket.secret),
        "Debug never shows the secret"
    );
    let xml = twilio::twiml::VoiceResponse::new()
        .push(ticket.connect_twiml(&base("https://radio.example.org"), &StreamOwner::Line(2)))
        .to_xml();
    let doc = twilio::twiml::parse(&xml).unwrap();
    let stream = &doc.children[0].children[0];
    assert_eq!(doc.children[0].name, "Connect");
    assert_eq!(
        stream.attr("url"),
        Some("wss://radio.example.org/voice/stream")
    );
    let params: Vec<(Option<&str>, Option<&str>)> = stream
        .children
        .iter()
        .map(|p| (p.attr("name"), p.attr("value")))
        .collect();
    assert_eq!(
        params,
        [
            (Some("secret"), Some(ticket.secret.as_str())),
            (Some("owner"), Some("line:2"))
        ]
    );
    assert_ne!(
        hub.expect("CA2", StreamOwner::Phone).secret,
        ticket.secret,
        "secrets are random"
    );
}

#[test]
fn admission_needs_the_expected_call_its_secret_and_its_owner() {
    let hub = StreamHub::new();
    let _lines = hub.subscribe(OwnerKind::Line);
    let ticket = hub.expect("CA1", StreamOwner::Line(3));
    let s = Some(ticket.secret.as_str());
    let refused = |call, secret, owner| hub.admit(call, secret, owner).err();
    assert_eq!(
        refused("CA9", s, Some("line:3")),
        Some(Refusal::NotExpected)
    );
    assert_eq!(refused("CA1", None, Some("line:3")), Some(Refusal::Secret));
    assert_eq!(
        refused("CA1", Some(""), Some("line:3")),
        Some(Refusal::Secret)
    );
    let mut wrong = ticket.secret.clone();
    wrong.replace_range(63.., "x");
    assert_eq!(
        refused("CA1", Some(&wrong), Some("line:3")),
        Some(Refusal::Secret)
    );
    assert_eq!(refused("CA1", s, Some("line:4")), Some(Refusal::Owner));
    assert_eq!(refused("CA1", s, None), Some(Refusal::Owner));
    let (owner, _, _end) = hub.admit("CA1", s, Some("line:3")).expect("admitted");
    assert_eq!(owner, StreamOwner::Line(3));
    assert_eq!(
        refused("CA1", s, Some("line:3")),
        Some(Refusal::NotExpected),
        "a ticket admits one stream"
    );
}

#[test]
fn a_second_expect_replaces_the_first_and_forget_ends_a_live_stream() {
    let hub = StreamHub::new();
    let _phone = hub.subscribe(OwnerKind::Phone);
    let first = hub.expect("CA1", StreamOwner::Phone);
    let second = hub.expect("CA1", StreamOwner::Phone);
    assert_eq!(
        hub.admit("CA1", Some(&first.secret), Some("phone")).err(),
        Some(Refusal::Secret)
    );
    let (_, _, mut end) = hub
        .admit("CA1", Some(&second.secret), Some("phone"))
        .unwrap();
    assert!(
        end.try_recv()
            .is_err_and(|e| e == oneshot::error::TryRecvError::Empty)
    );
    hub.forget("CA1");
    assert_eq!(end.try_recv(), Err(oneshot::error::TryRecvError::Closed));
    let forgotten = hub.expect("CA2", StreamOwner::Phone);
    hub.forget("CA2");
    assert_eq!(
        hub.admit("CA2", Some(&forgotten.secret), Some("phone"))
            .err(),
        Some(Refusal::NotExpected)
    );
}

#[test]
fn a_stream_for_an_owner_nobody_subscribed_to_is_refused() {
    let hub = StreamHub::new();
    let ticket = hub.expect("CA1", StreamOwner::Line(1));
    assert_eq!(
        hub.admit("CA1", Some(&ticket.secret), Some("line:1")).err(),
        Some(Refusal::NoOwner)
    );
}

#[test]
fn an_expired_ticket_admits_nothing() {
    let hub = StreamHub::new();
    let _lines = hub.subscribe(OwnerKind::Line);
    let ticket = hub.expect_for("CA1", StreamOwner::Line(1), Duration::ZERO);
    assert_eq!(
        hub.admit("CA1", Some(&ticket.secret), Some("line:1")).err(),
        Some(Refusal::NotExpected)
    );
    let ticket = hub.expect_for("CA1", StreamOwner::Line(1), Duration::from_secs(5));
    assert!(
        hub.admit("CA1", Some(&ticket.secret), Some("line:1"))
            .is_ok()
    );
}
