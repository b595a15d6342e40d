//! Engine unit tests: webhook URLs under a base, and where they are delivered.

use super::*;

fn engine(base: &str) -> Engine {
    let opts = SandboxOptions {
        webhook_base: base.parse().unwrap(),
        deliver_to: "http://127.0.0.1:8080".parse().unwrap(),
        accept_invalid_certs: false,
        speed: 1.0,
    };
    Engine::new(Credentials::generate(), opts, Timing::default())
}

#[test]
fn webhook_urls_keep_the_base_path() {
    for (base, want) in [
        (
            "https://127.0.0.1:8443",
            "https://127.0.0.1:8443/voice/incoming",
        ),
        (
            "https://127.0.0.1:8443/",
            "https://127.0.0.1:8443/voice/incoming",
        ),
        (
            "https://example.org/piphone",
            "https://example.org/piphone/voice/incoming",
        ),
        (
            "https://example.org/piphone/",
            "https://example.org/piphone/voice/incoming",
        ),
    ] {
        assert_eq!(
            engine(base).webhook_url("/voice/incoming").as_str(),
            want,
            "base {base}"
        );
    }
}

#[test]
fn webhooks_under_the_signed_base_are_delivered_to_the_listener() {
    for (base, url, want) in [
        (
            "https://phone.example.org",
            "https://phone.example.org/voice/incoming?x=1",
            "http://127.0.0.1:8080/voice/incoming?x=1",
        ),
        (
            "https://example.org/piphone/",
            "https://example.org/piphone/voice",
            "http://127.0.0.1:8080/voice",
        ),
        (
            "https://example.org/piphone",
            "https://example.org/piphoney/voice",
            "https://example.org/piphoney/voice",
        ),
        (
            "https://phone.example.org",
            "https://elsewhere.example.org/voice",
            "https://elsewhere.example.org/voice",
        ),
    ] {
        let url: Url = url.parse().unwrap();
        assert_eq!(
            engine(base).delivery_url(&url).as_str(),
            want,
            "base {base}, url {url}"
        );
    }
}
