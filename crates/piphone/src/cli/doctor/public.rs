//! What can be checked of `PIPHONE_PUBLIC_URL` from this machine: an https URL, a name that resolves, and a
//! server there that answers `/healthz` with a certificate this machine trusts (Twilio refuses self-signed ones).
//! From inside a home network the router may not loop back to its own public address: a WARN then, not a FAIL;
//! an untrusted certificate is a WARN too when the Twilio API is a stand-in on this machine (the sandbox process).

use std::time::Duration;

use super::Finding;
use super::local::error_chain;
use crate::settings::Settings;

const TOPIC: &str = "public URL";

pub async fn public_url(settings: &Settings) -> Vec<Finding> {
    let twilio = !settings.sandbox();
    // In sandbox mode a missing or unreachable public URL is harmless.
    let problem = |detail: String| {
        if twilio {
            Finding::fail(TOPIC, detail)
        } else {
            Finding::warn(TOPIC, detail)
        }
    };
    let Some(url) = &settings.public_url else {
        return vec![if twilio {
            Finding::fail(
                TOPIC,
                "PIPHONE_PUBLIC_URL is not set: Twilio cannot reach the webhooks",
            )
        } else {
            Finding::ok(
                TOPIC,
                "not set (sandbox mode: the sandbox calls this machine directly)",
            )
        }];
    };
    let mut found = Vec::new();
    if url.scheme() != "https" {
        return vec![problem(format!(
            "{url} is not https: Twilio's webhooks and the browsers' microphones need HTTPS"
        ))];
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let resolves = tokio::net::lookup_host((host.as_str(), port))
        .await
        .is_ok_and(|mut addrs| addrs.next().is_some());
    if !resolves {
        return vec![problem(format!("{host} does not resolve (DNS)"))];
    }
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(8))
        .build()
    {
        Ok(c) => c,
        Err(e) => return vec![Finding::warn(TOPIC, format!("cannot check: {e}"))],
    };
    let health = url.join("healthz").unwrap_or_else(|_| url.clone());
    match client.get(health.clone()).send().await {
        Ok(res) if res.status().is_success() => {
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            let mode = body["mode"].as_str().unwrap_or("?");
            let ours = if twilio { "twilio" } else { "sandbox" };
            if mode == ours {
                found.push(Finding::ok(
                    TOPIC,
                    format!("{health} answers with a trusted certificate ({mode} mode)"),
                ));
            } else {
                found.push(Finding::warn(
                    TOPIC,
                    format!(
                        "{health} answers, but in {mode} mode while this installation is in {ours} mode: is it this server?"
                    ),
                ));
            }
        }
        Ok(res) => found.push(problem(format!("{health} answered {}", res.status()))),
        // A Twilio stand-in on this machine (`PIPHONE_TWILIO_API_URL`, the sandbox process) accepts it: a WARN.
        Err(e) if error_chain(&e).to_lowercase().contains("certificate") => {
            let detail = format!(
                "{health}: the certificate is not trusted ({}); Twilio needs a certificate from a public CA",
                error_chain(&e)
            );
            found.push(if crate::tls::is_loopback(&settings.twilio_api_url) {
                Finding::warn(
                    TOPIC,
                    format!("{detail} (the Twilio API at {} on this machine accepts it)", settings.twilio_api_url),
                )
            } else {
                problem(detail)
            })
        }
        Err(e) => found.push(Finding::warn(
            TOPIC,
            format!(
                "{health} cannot be reached from this machine ({}); check it from outside too — routers often \
                 do not loop back to their own public address",
                error_chain(&e)
            ),
        )),
    }
    found
}
