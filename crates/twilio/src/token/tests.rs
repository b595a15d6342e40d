use super::*;

const NOW: u64 = 1_719_922_258;

fn token() -> AccessToken {
    AccessToken::new("ACx", "SKx", "secret", "dj-anna")
        .ttl(60)
        .voice(VoiceGrant {
            incoming_allow: true,
            outgoing_application_sid: Some("APx".into()),
            ..Default::default()
        })
}

fn secret(iss: &str) -> Option<&'static str> {
    (iss == "SKx").then_some("secret")
}

#[test]
fn issues_and_verifies() {
    let jwt = token().region("ie1").to_jwt_at(NOW).unwrap();
    let v = verify(&jwt, secret, NOW).unwrap();
    assert_eq!(v.identity(), Some("dj-anna"));
    assert_eq!(v.claims.exp, NOW + 60);
    assert_eq!(v.claims.nbf, Some(NOW));
    assert_eq!(v.claims.jti.as_deref(), Some("SKx-1719922258"));
    assert_eq!(v.header.twr.as_deref(), Some("ie1"));
    assert!(v.voice().unwrap().incoming_allow);
}

#[test]
fn refuses_bad_ttl_and_inputs() {
    assert_eq!(
        token().ttl(86_401).to_jwt_at(NOW),
        Err(TokenError::TtlTooLong { ttl: 86_401 })
    );
    assert!(token().ttl(86_400).to_jwt_at(NOW).is_ok());
    assert_eq!(token().ttl(0).to_jwt_at(NOW), Err(TokenError::ZeroTtl));
    let no_id = AccessToken::new("AC", "SK", "s", "");
    assert_eq!(no_id.to_jwt_at(NOW), Err(TokenError::EmptyIdentity));
    let params = VoiceGrant {
        outgoing_application_params: Some(Default::default()),
        ..Default::default()
    };
    let t = AccessToken::new("AC", "SK", "s", "a").voice(params);
    assert_eq!(t.to_jwt_at(NOW), Err(TokenError::ParamsWithoutApplication));
}

#[test]
fn distinct_verify_errors() {
    let jwt = token().to_jwt_at(NOW).unwrap();
    assert!(matches!(
        verify(&jwt, secret, NOW + 60),
        Err(VerifyError::Expired { .. })
    ));
    assert!(verify(&jwt, secret, NOW + 59).is_ok());
    assert!(matches!(
        verify(&jwt, secret, NOW - 1),
        Err(VerifyError::NotYetValid { .. })
    ));
    assert!(matches!(
        verify(&jwt, |_: &str| Some("other"), NOW),
        Err(VerifyError::Invalid(_))
    ));
    assert!(matches!(
        verify(&jwt, |_: &str| None::<&str>, NOW),
        Err(VerifyError::Invalid(_))
    ));
    // a forged, expired token is Invalid, not Expired
    assert!(matches!(
        verify(&jwt, |_: &str| Some("x"), NOW + 999),
        Err(VerifyError::Invalid(_))
    ));
    let mut tampered = jwt.clone();
    tampered.insert(jwt.find('.').unwrap() + 3, 'A');
    assert!(matches!(
        verify(&tampered, secret, NOW),
        Err(VerifyError::Invalid(_))
    ));
    for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
        assert!(
            matches!(verify(bad, secret, NOW), Err(VerifyError::Invalid(_))),
            "{bad}"
        );
    }
}

#[test]
fn refuses_alg_none_and_missing_grants() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let payload = format!(
        r#"{{"iss":"SKx","sub":"AC","exp":{},"grants":{{"identity":"a"}}}}"#,
        NOW + 9
    );
    let none = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(&payload));
    assert_eq!(
        verify(&none, secret, NOW),
        Err(VerifyError::Invalid("algorithm is not HS256"))
    );
    let no_grants = format!(r#"{{"iss":"SKx","sub":"AC","exp":{}}}"#, NOW + 9);
    let jwt = jwt::sign(br#"{"alg":"HS256"}"#, no_grants.as_bytes(), b"secret");
    assert_eq!(
        verify(&jwt, secret, NOW),
        Err(VerifyError::Invalid("payload has no grants"))
    );
    let jwt = jwt::sign(br#"{"alg":"HS256"}"#, payload.as_bytes(), b"secret");
    assert!(verify(&jwt, secret, NOW).is_ok());
}

#[test]
fn debug_redacts_secret() {
    let t = AccessToken::new("AC", "SK", "hunter2", "a");
    assert!(!format!("{t:?}").contains("hunter2"));
}
