use piphone::domain::Role;
use twilio::twiml::Element;

use super::{QUEUE, listener, text, twiml, verbs, with};
use crate::helpers::{client_call, spawn_app};

/// The browser of `identity` takes calls from `queue`.
pub fn host_line(identity: &str, queue: &str) -> Vec<(String, String)> {
    let mut p = client_call(identity, "");
    p.retain(|(k, _)| k != "CallSid");
    p.push((
        "CallSid".into(),
        "CAdj000000000000000000000000000000".into(),
    ));
    p.push(("Queue".into(), queue.into()));
    p
}

fn assert_takes_queue(doc: &Element, case: &str) {
    assert_eq!(verbs(doc), ["Dial"], "{case}");
    let dial = &doc.children[0];
    assert_eq!(dial.attr("hangupOnStar"), Some("true"), "{case}");
    assert_eq!(dial.attr("action"), Some("/voice/next"), "{case}");
    assert_eq!(dial.children.len(), 1, "{case}");
    let queue = &dial.children[0];
    assert_eq!(queue.name, "Queue", "{case}");
    assert_eq!(text(queue), QUEUE, "{case}");
    assert_eq!(queue.attr("url"), Some("/voice/on-air"), "{case}");
}

#[tokio::test]
async fn a_host_takes_calls_and_the_line_stays_open() {
    let app = spawn_app().await;
    app.add_user("dj", Role::Host, "dj-password").await;

    let doc = twiml(&app, "/voice", &host_line("dj", QUEUE)).await;
    assert_eq!(
        verbs(&doc),
        ["Say", "Pause", "Redirect"],
        "nobody waits yet"
    );
    assert_eq!(text(&doc.children[2]), "/voice/next?idle=1");

    let mut next = host_line("dj", QUEUE);
    next.retain(|(k, _)| k != "Queue");
    let doc = twiml(&app, "/voice/next?idle=1", &next).await;
    assert_eq!(verbs(&doc), ["Pause", "Redirect"], "said once, then quiet");

    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    let doc = twiml(&app, "/voice/next?idle=1", &next).await;
    assert_takes_queue(&doc, "a caller waits: idle loop dials");
    let doc = twiml(&app, "/voice", &host_line("dj", QUEUE)).await;
    assert_takes_queue(&doc, "a caller waits: take calls dials");
    let doc = twiml(
        &app,
        "/voice/next",
        &with(next.clone(), &[("DialCallStatus", "completed")]),
    )
    .await;
    assert_takes_queue(&doc, "after Next");

    let doc = twiml(
        &app,
        "/voice/next",
        &with(
            next.into_iter()
                .filter(|(k, _)| k != "CallStatus")
                .collect(),
            &[("CallStatus", "completed")],
        ),
    )
    .await;
    assert_eq!(verbs(&doc), ["Hangup"], "the host hung up");
}

#[tokio::test]
async fn only_hosts_and_admins_get_a_queue() {
    let app = spawn_app().await;
    app.add_user("guest", Role::Caller, "guest-password").await;
    app.add_user("screen", Role::Screener, "screen-password")
        .await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    for (case, params) in [
        ("caller role", host_line("guest", QUEUE)),
        ("screener role", host_line("screen", QUEUE)),
        ("unknown identity", host_line("nobody", QUEUE)),
        ("another queue", host_line("admin", "someone-elses-queue")),
    ] {
        let doc = twiml(&app, "/voice", &params).await;
        assert!(!verbs(&doc).contains(&"Dial"), "{case}: no Dial: {doc:?}");
        assert_eq!(verbs(&doc).last(), Some(&"Hangup"), "{case}");
        assert!(
            !text(&doc.children[0]).is_empty(),
            "{case}: a spoken reason"
        );
    }
    let mut next = host_line("guest", QUEUE);
    next.retain(|(k, _)| k != "Queue");
    let doc = twiml(&app, "/voice/next", &next).await;
    assert!(
        !verbs(&doc).contains(&"Dial"),
        "/voice/next checks the host too"
    );
}
