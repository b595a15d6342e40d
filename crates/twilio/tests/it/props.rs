//! Property tests: parsing and validation never panic on arbitrary input; signatures computed
//! by the crate validate; escaped TwiML text always reads back through quick-xml.

use proptest::prelude::*;
use quick_xml::Reader;
use quick_xml::events::Event;
use twilio::signature::{Algorithm, RequestValidator, compute_signature, parse_form};
use twilio::twiml::{Element, Say, VoiceResponse, parse};

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((".{0,12}", ".{0,24}"), 0..8)
}

/// Characters XML 1.0 allows, minus CR in text: ElementTree (and so twilio-python and this
/// crate) writes a raw CR, which every conforming parser reads back as LF.
fn xml_text() -> impl Strategy<Value = String> {
    ".{0,64}".prop_map(|s: String| {
        s.chars()
            .filter(|&c| matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_form_never_panics(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_form(&body);
    }

    #[test]
    fn parse_form_inverts_form_encoding(fields in pairs()) {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &fields {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        prop_assert_eq!(parse_form(body.as_bytes()).unwrap(), fields);
    }

    #[test]
    fn validation_never_panics(
        url in ".{0,80}", fields in pairs(), sig in ".{0,40}", settings in proptest::option::of(".{0,40}"),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let v = RequestValidator::new("token");
        let _ = v.validate(&url, &fields, &sig, settings.as_deref());
        let _ = v.validate_json(&url, &body, &sig, settings.as_deref());
        let _ = compute_signature("token", &url, &fields, Algorithm::HmacSha256);
    }

    #[test]
    fn own_signatures_validate_and_reject_changes(
        host in "[a-z0-9.-]{1,20}", path in "/[a-zA-Z0-9/_-]{0,20}", query in "(\\?[a-z]=[a-z0-9%]{0,5})?",
        https in any::<bool>(), fields in pairs(), token in "[0-9a-f]{32}",
    ) {
        let url = format!("{}://{host}{path}{query}", if https { "https" } else { "http" });
        let v = RequestValidator::new(token.clone());
        for (alg, header) in [(Algorithm::HmacSha1, None), (Algorithm::HmacSha256, Some("algorithm=HMAC_SHA256"))] {
            let sig = compute_signature(&token, &url, &fields, alg);
            prop_assert!(v.validate(&url, &fields, &sig, header));
            let mut more = fields.clone();
            more.push(("Zz".into(), "1".into()));
            prop_assert!(!v.validate(&url, &more, &sig, header));
        }
    }

    #[test]
    fn escaped_text_round_trips(text in xml_text(), attr in ".{0,32}") {
        let say = Say::new(text.clone()).voice(&attr);
        let xml = VoiceResponse::new().say(say).to_xml();
        // quick-xml reads the whole document without error
        let mut reader = Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => prop_assert!(false, "quick-xml refused {xml:?}: {e}"),
            }
        }
        let doc = parse(&xml).unwrap();
        let say = &doc.children[0];
        prop_assert_eq!(say.text.clone().unwrap_or_default(), text);
        let clean = twilio::twiml::escape(&attr, false).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        prop_assert_eq!(say.attr("voice"), Some(clean.as_str()));
    }

    #[test]
    fn arbitrary_element_trees_serialise_and_parse(texts in prop::collection::vec(xml_text(), 1..6)) {
        let mut root = Element::new("Response");
        for (i, t) in texts.iter().enumerate() {
            root.children.push(Element::new("Say").with_attr("n", i).with_text(t.clone()));
        }
        let parsed = parse(&root.to_xml()).unwrap();
        prop_assert_eq!(parsed.children.len(), texts.len());
        for (child, t) in parsed.children.iter().zip(&texts) {
            prop_assert_eq!(child.text.clone().unwrap_or_default(), t.clone());
        }
    }

    #[test]
    fn twiml_parser_never_panics(xml in ".{0,200}") {
        let _ = parse(&xml);
    }
}
