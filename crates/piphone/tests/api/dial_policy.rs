//! The toll-fraud table: each number's allowed/refused verdict through the real `/voice` webhook.
//! Policy under test: countries US, GB and DE; no premium-rate, shared-cost, personal, pager, UAN, satellite
//! or other high-cost numbers; caller ID in the US (national numbers read as US).

use twilio::twiml::parse;

use crate::helpers::{client_call, pairs, spawn_app_with};

/// (what the user typed, Some(E.164 dialled) or None for refused, why)
const TABLE: &[(&str, Option<&str>, &str)] = &[
    // United States: ordinary numbers in many formats
    ("+1 415 555 2671", Some("+14155552671"), "US fixed/mobile"),
    (
        "(415) 555-2671",
        Some("+14155552671"),
        "US national with punctuation",
    ),
    ("415.555.2671", Some("+14155552671"), "US dots"),
    ("1-415-555-2671", Some("+14155552671"), "US trunk prefix"),
    ("+1 (212) 736-5000", Some("+12127365000"), "New York"),
    (
        "  +1 202 456 1111  ",
        Some("+12024561111"),
        "surrounding blanks",
    ),
    (
        "+1 800 555 0199",
        Some("+18005550199"),
        "US toll free is free to call",
    ),
    ("+1 888 555 0100", Some("+18885550100"), "US toll free 888"),
    ("+1 900 555 0199", None, "US premium rate 900"),
    ("+1 976 555 0199", None, "US 976 is not a valid area code"),
    ("+1 500 555 0006", None, "US personal number 500"),
    ("+1 555 123 0001", None, "fictional 555 outside the sandbox"),
    // United Kingdom
    ("+44 20 7183 8750", Some("+442071838750"), "London"),
    ("+44 7400 123456", Some("+447400123456"), "UK mobile"),
    ("+44 (0)20 7183 8750", Some("+442071838750"), "UK with (0)"),
    ("+44 161 496 0000", Some("+441614960000"), "Manchester"),
    ("+44 800 123 4567", Some("+448001234567"), "UK freephone"),
    ("+44 909 876 5432", None, "UK premium rate 09"),
    ("+44 871 234 5678", None, "UK 087 shared cost / premium"),
    ("+44 845 464 0000", None, "UK 084 shared cost"),
    ("+44 70 1234 5678", None, "UK 070 personal number"),
    ("+44 76 2412 3456", None, "UK 076 pager"),
    ("+44 55 1234 5678", None, "UK 055 corporate/UAN"),
    ("+44 20 7183 875", None, "UK too short"),
    // Germany
    ("+49 30 901820", Some("+4930901820"), "Berlin"),
    ("+49 151 23456789", Some("+4915123456789"), "German mobile"),
    ("+49 900 1234567", None, "German premium 0900"),
    ("+49 180 1234567", None, "German shared cost 0180"),
    ("+49 700 12345678", None, "German personal 0700"),
    // Other countries: refused whatever their type
    ("+33 1 42 68 53 00", None, "France"),
    ("+39 06 6982", None, "Vatican / Italy"),
    ("+61 2 9374 4000", None, "Australia"),
    ("+81 3 3224 9000", None, "Japan"),
    ("+7 495 697 0349", None, "Russia"),
    ("+234 1 270 0000", None, "Nigeria"),
    ("+53 7 833 3333", None, "Cuba"),
    (
        "+1 876 555 0123",
        None,
        "Jamaica shares +1 but is another country",
    ),
    ("+1 268 555 0123", None, "Antigua shares +1"),
    ("+1 809 555 0123", None, "Dominican Republic shares +1"),
    ("+1 649 555 0123", None, "Turks and Caicos shares +1"),
    // Satellite and international services
    ("+881 6 1234 5678", None, "Iridium"),
    ("+870 772 123 456", None, "Inmarsat"),
    ("+882 1234 5678", None, "international networks"),
    ("+979 1234 5678", None, "international premium rate"),
    ("+800 1234 5678", None, "international freephone"),
    // Not numbers at all
    ("", None, "empty"),
    ("   ", None, "blank"),
    ("12", None, "too short"),
    ("911", None, "emergency short code"),
    ("+1 415 555 2671 ext. 12", None, "extension"),
    ("1-800-FLOWERS", None, "vanity letters"),
    ("+1 415 555 2671; +1 900 555 0199", None, "two numbers"),
    (
        "+1 415 555 2671\n",
        Some("+14155552671"),
        "trailing newline is trimmed",
    ),
    ("+++14155552671", None, "repeated plus"),
    ("client:admin", None, "a client identity"),
    ("sip:x@example.org", None, "a SIP URI"),
    ("<Number>+19005550199</Number>", None, "markup"),
    (
        "+4 4 2 0 7 1 8 3 8 7 5 0",
        Some("+442071838750"),
        "spaced digits",
    ),
];

#[tokio::test]
async fn verdicts_match_the_policy_case_by_case() {
    assert!(TABLE.len() >= 50, "at least 50 cases");
    let app = spawn_app_with(&[("PIPHONE_DIAL_COUNTRIES", "US,GB,DE")]).await;
    let mut failures = Vec::new();
    for (input, want, why) in TABLE {
        let res = app
            .post_signed("/voice", &pairs(&client_call("admin", input)))
            .await;
        assert_eq!(res.status(), 200);
        let doc = parse(&res.text().await.unwrap()).unwrap();
        let dialled = doc
            .children
            .iter()
            .find(|c| c.name == "Dial")
            .and_then(|d| d.children.first())
            .and_then(|n| n.text.clone());
        if dialled.as_deref() != *want {
            failures.push(format!("{input:?} ({why}): want {want:?}, got {dialled:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}
