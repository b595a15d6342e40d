use super::*;

#[test]
fn urls_refused_as_twilio_refuses_them() {
    for (url, code) in [
        ("ws://127.0.0.1:1/media", 31922),
        ("https://127.0.0.1:1/media", 31922),
        ("not a url", 31922),
        ("wss://127.0.0.1:1/media?line=2", 31920),
        ("wss://127.0.0.1:1/media?", 31920),
    ] {
        let err = check_url(url).expect_err(url);
        assert_eq!(err.code(), code, "{url}: {err}");
    }
    assert!(check_url("wss://127.0.0.1:8443/media/stream").is_ok());
}

#[test]
fn signature_covers_the_url_alone() {
    let client = StreamClient::new("12345", false);
    let url = "wss://example.org/media";
    assert_eq!(
        client.signature(url),
        compute_signature("12345", url, &[], Algorithm::HmacSha1)
    );
    assert_ne!(
        client.signature(url),
        client.signature("wss://example.org/other")
    );
}
