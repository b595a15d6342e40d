//! Property tests (bounded fuzzing in CI) for the phone-number entry point and the webhook body parser.

use piphone::domain::{DialPolicy, PhoneNumber};
use proptest::prelude::*;

fn policy() -> DialPolicy {
    DialPolicy::new(&["US".into(), "GB".into()], Some("+14155550100")).with_fictional(true)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// Whatever a user types, parsing and the policy answer without panicking, and an accepted number is
    /// plain E.164 (so it cannot carry markup or a second number into TwiML).
    #[test]
    fn any_text_is_parsed_or_refused_never_panics(input in any::<String>()) {
        let _ = PhoneNumber::parse(&input, Some("US"));
        if let Ok(n) = policy().check(&input) {
            prop_assert!(n.e164().starts_with('+'));
            prop_assert!(n.e164()[1..].chars().all(|c| c.is_ascii_digit()), "{}", n.e164());
            prop_assert!((8..=16).contains(&n.e164().len()), "{}", n.e164());
        }
    }

    /// Phone-like strings (digits and the usual punctuation) too.
    #[test]
    fn phone_like_text_never_panics(input in "[+]?[0-9 ()./-]{0,30}") {
        if let Ok(n) = policy().check(&input) {
            let again = policy().check(n.e164()).expect("an accepted number's E.164 is accepted again");
            prop_assert_eq!(again.e164(), n.e164());
        }
    }

    /// The webhook body parser takes arbitrary bytes without panicking.
    #[test]
    fn form_parser_takes_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = twilio::signature::parse_form(&body);
    }
}
