use super::*;

#[test]
fn builder_covers_every_verb() {
    let xml = VoiceResponse::new()
        .say(
            Say::new("Welcome")
                .voice("Polly.Amy")
                .language("en-GB")
                .loop_count(1),
        )
        .play(Play::new("https://example.org/a.mp3").loop_count(0))
        .pause(Pause::new().length(2))
        .gather(
            Gather::new()
                .input("dtmf")
                .num_digits(1)
                .timeout(5)
                .finish_on_key("#")
                .action("/g")
                .method(Method::Post)
                .say(Say::new("Press 1")),
        )
        .enqueue(
            Enqueue::new("radio")
                .unwrap()
                .wait_url("/voice/wait")
                .wait_url_method(Method::Get)
                .max_queue_size(10)
                .action("/left")
                .method(Method::Post),
        )
        .dial(
            Dial::new()
                .hangup_on_star(true)
                .answer_on_bridge(false)
                .time_limit(600)
                .timeout(30)
                .record("do-not-record")
                .action("/voice/next")
                .queue(
                    Queue::new("radio")
                        .url("/voice/on-air")
                        .method(Method::Post),
                )
                .client(Client::new("dj-anna").parameter("mode", "screen & \"air\""))
                .number(Number::new("+14155551212").send_digits("ww1")),
        )
        .redirect(Redirect::new("/voice/again").method(Method::Get))
        .reject(Reject::new().reason(RejectReason::Busy))
        .leave()
        .hangup()
        .to_xml();
    let want = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
        r#"<Say language="en-GB" loop="1" voice="Polly.Amy">Welcome</Say>"#,
        r#"<Play loop="0">https://example.org/a.mp3</Play><Pause length="2" />"#,
        r##"<Gather action="/g" finishOnKey="#" input="dtmf" method="POST" numDigits="1" timeout="5"><Say>Press 1</Say></Gather>"##,
        r#"<Enqueue action="/left" maxQueueSize="10" method="POST" waitUrl="/voice/wait" waitUrlMethod="GET">radio</Enqueue>"#,
        r#"<Dial action="/voice/next" answerOnBridge="false" hangupOnStar="true" record="do-not-record" timeLimit="600" timeout="30">"#,
        r#"<Queue method="POST" url="/voice/on-air">radio</Queue>"#,
        r#"<Client><Identity>dj-anna</Identity><Parameter name="mode" value="screen &amp; &quot;air&quot;" /></Client>"#,
        r#"<Number sendDigits="ww1">+14155551212</Number></Dial>"#,
        r#"<Redirect method="GET">/voice/again</Redirect><Reject reason="busy" /><Leave /><Hangup /></Response>"#,
    );
    assert_eq!(xml, want);
    assert_eq!(
        parse(&xml).unwrap().to_xml(),
        xml,
        "parse then serialise is the identity"
    );
}

#[test]
fn enqueue_name_limits() {
    assert!(Enqueue::new("q".repeat(64)).is_ok());
    assert_eq!(
        Enqueue::new("é".repeat(65)),
        Err(TwimlError::QueueName { chars: 65 })
    );
    assert_eq!(Enqueue::new(""), Err(TwimlError::QueueName { chars: 0 }));
}

#[test]
fn hostile_text_stays_text() {
    let evil = "</Say><Hangup/><![CDATA[x]]>&amp;\"'\u{0}";
    let xml = VoiceResponse::new()
        .say(Say::new(evil).voice(evil))
        .to_xml();
    let doc = parse(&xml).unwrap();
    assert_eq!(doc.children.len(), 1);
    let say = &doc.children[0];
    assert_eq!(
        say.text.as_deref(),
        Some("</Say><Hangup/><![CDATA[x]]>&amp;\"'\u{FFFD}")
    );
    assert_eq!(say.attr("voice"), say.text.as_deref());
}

#[test]
fn parser_accepts_and_refuses() {
    let doc = parse("<?xml version=\"1.0\"?>\n<Response>\n  <Say>a &amp; b &#x263A; <![CDATA[<c>]]></Say>\n  <Hangup/>\n</Response>\n").unwrap();
    assert_eq!(doc.name, "Response");
    assert_eq!(doc.text, None);
    assert_eq!(doc.children[0].text.as_deref(), Some("a & b ☺ <c>"));
    assert_eq!(doc.children[1], Element::new("Hangup"));
    let bad = [
        ("", ParseError::Root),
        ("<Response/><Response/>", ParseError::Root),
        ("text<Response/>", ParseError::Root),
        (
            "<!DOCTYPE x [<!ENTITY e \"boom\">]><Response>&e;</Response>",
            ParseError::Doctype,
        ),
        (
            "<Response>&e;</Response>",
            ParseError::UnknownEntity("e".into()),
        ),
    ];
    for (xml, want) in bad {
        assert_eq!(parse(xml), Err(want), "{xml}");
    }
    for xml in [
        "<Response>",
        "<Response></Say>",
        "<Response a=\"1\" a=\"2\"/>",
        "<Response><Say></Response>",
    ] {
        assert!(matches!(parse(xml), Err(ParseError::Xml { .. })), "{xml}");
    }
}
