//! The setup resources `piphone twilio setup` uses (Keys, Applications, IncomingPhoneNumbers): Twilio's shapes
//! through Prism, their errors, and a key created by REST working as the sandbox's own key does.

use serde_json::{Value, json};

use crate::helpers::{TestSandbox, now};
use crate::rest::{Rest, prism_in_front_of};

/// The items under `key` of a list answer.
fn items<'a>(list: &'a Value, key: &str) -> &'a Vec<Value> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {list}"))
}

#[tokio::test]
async fn setup_resources_match_twilios_openapi_through_prism() {
    let sb = TestSandbox::spawn().await;
    let prism = prism_in_front_of(&sb).await;
    let rest = Rest {
        sb: &sb,
        base: prism.base.clone(),
        as_account: true,
    };

    // Keys: created with the auth token, the secret only in the creation's answer.
    let (status, key) = rest.post("Keys.json", &[("FriendlyName", "piphone")]).await;
    assert_eq!(status, 201, "{key}");
    let key_sid = key["sid"].as_str().unwrap().to_owned();
    assert!(key_sid.starts_with("SK") && key_sid.len() == 34, "{key}");
    assert_eq!(key["secret"].as_str().map(str::len), Some(32), "{key}");
    let keys = rest.get("Keys.json").await;
    let sids: Vec<&str> = items(&keys, "keys")
        .iter()
        .map(|k| k["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, [sb.creds.api_key_sid.as_str(), &key_sid], "{keys}");
    assert!(
        items(&keys, "keys")
            .iter()
            .all(|k| k.get("secret").is_none())
    );
    let fetched = rest.get(&format!("Keys/{key_sid}.json")).await;
    assert_eq!(fetched["friendly_name"], "piphone");
    assert!(fetched.get("secret").is_none(), "{fetched}");
    let (status, renamed) = rest
        .post(
            &format!("Keys/{key_sid}.json"),
            &[("FriendlyName", "renamed")],
        )
        .await;
    assert_eq!(
        (status, &renamed["friendly_name"]),
        (200, &json!("renamed"))
    );
    let (status, _) = rest
        .send(
            reqwest::Method::DELETE,
            &format!("Keys/{key_sid}.json"),
            &[],
        )
        .await;
    assert_eq!(status, 204);

    // Applications: the sandbox's own one is there, with piphone's /voice.
    let apps = rest
        .get("Applications.json?FriendlyName=piphone%20sandbox")
        .await;
    let own = &items(&apps, "applications")[0];
    assert_eq!(own["sid"], sb.creds.app_sid.as_str());
    assert_eq!(own["voice_url"], sb.url("/voice").as_str());
    assert_eq!(own["voice_method"], "POST");
    let voice = sb.url("/app/voice");
    let (status, app) = rest
        .post(
            "Applications.json",
            &[
                ("FriendlyName", "piphone"),
                ("VoiceUrl", &voice),
                ("VoiceMethod", "POST"),
                ("StatusCallback", &sb.url("/app/status")),
                ("StatusCallbackMethod", "POST"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let app_sid = app["sid"].as_str().unwrap().to_owned();
    assert_eq!(app["voice_url"], voice.as_str());
    let filtered = rest.get("Applications.json?FriendlyName=piphone").await;
    assert_eq!(items(&filtered, "applications").len(), 1, "{filtered}");
    assert_eq!(filtered["applications"][0]["sid"], app_sid.as_str());
    let none = rest.get("Applications.json?FriendlyName=nobody").await;
    assert!(items(&none, "applications").is_empty());
    let fallback = sb.url("/app/fallback");
    let (status, updated) = rest
        .post(
            &format!("Applications/{app_sid}.json"),
            &[
                ("VoiceFallbackUrl", &fallback),
                ("VoiceFallbackMethod", "GET"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            &updated["voice_url"],
            &updated["voice_fallback_url"],
            &updated["voice_fallback_method"]
        ),
        (&json!(voice), &json!(fallback), &json!("GET"))
    );
    assert_eq!(
        rest.get(&format!("Applications/{app_sid}.json")).await,
        updated
    );

    // IncomingPhoneNumbers: exactly the station number, its voice webhook piphone's /voice/incoming.
    let station = &sb.creds.station_number;
    let query = format!(
        "IncomingPhoneNumbers.json?PhoneNumber={}",
        station.replace('+', "%2B")
    );
    let numbers = rest.get(&query).await;
    let number = &items(&numbers, "incoming_phone_numbers")[0];
    assert_eq!(number["phone_number"], station.as_str());
    assert_eq!(number["voice_url"], sb.url("/voice/incoming").as_str());
    let pn = number["sid"].as_str().unwrap().to_owned();
    let other = rest
        .get("IncomingPhoneNumbers.json?PhoneNumber=%2B14155550123")
        .await;
    assert!(
        items(&other, "incoming_phone_numbers").is_empty(),
        "{other}"
    );
    let all = rest.get("IncomingPhoneNumbers.json").await;
    assert_eq!(items(&all, "incoming_phone_numbers").len(), 1);
    let incoming = sb.url("/app/incoming");
    let (status, changed) = rest
        .post(
            &format!("IncomingPhoneNumbers/{pn}.json"),
            &[
                ("VoiceUrl", &incoming),
                ("VoiceMethod", "POST"),
                ("VoiceFallbackUrl", &fallback),
                ("VoiceFallbackMethod", "POST"),
                ("StatusCallback", &sb.url("/app/status")),
                ("VoiceApplicationSid", &app_sid),
            ],
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["voice_url"], incoming.as_str());
    assert_eq!(changed["voice_application_sid"], app_sid.as_str());
    assert_eq!(
        rest.get(&format!("IncomingPhoneNumbers/{pn}.json")).await,
        changed
    );

    // Deleting the app the number points at frees the number from it.
    let (status, _) = rest
        .send(
            reqwest::Method::DELETE,
            &format!("Applications/{app_sid}.json"),
            &[],
        )
        .await;
    assert_eq!(status, 204);
    let after = rest.get(&format!("IncomingPhoneNumbers/{pn}.json")).await;
    assert!(after["voice_application_sid"].is_null(), "{after}");

    // What the panel shows: the same configuration, no secrets.
    let (status, shown) = sb
        .control(reqwest::Method::GET, "/sandbox/setup", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["numbers"][0]["voice_url"], incoming.as_str());
    assert_eq!(
        shown["applications"][0]["voice_url"],
        sb.url("/voice").as_str()
    );
    assert_eq!(shown["keys"][0]["sid"], sb.creds.api_key_sid.as_str());
    assert!(!shown.to_string().contains(&sb.creds.api_key_secret));
    drop(prism);
}

#[tokio::test]
async fn a_key_created_by_rest_authenticates_and_signs_tokens_until_deleted() {
    let sb = TestSandbox::spawn().await;
    let account = (sb.creds.account_sid.as_str(), sb.creds.auth_token.as_str());
    let (status, key) = sb
        .rest_as(
            account,
            reqwest::Method::POST,
            "Keys.json",
            &[("FriendlyName", "setup")],
        )
        .await;
    assert_eq!(status, 201, "{key}");
    let (sid, secret) = (
        key["sid"].as_str().unwrap(),
        key["secret"].as_str().unwrap(),
    );

    let (status, body) = sb
        .rest_as((sid, secret), reqwest::Method::GET, "Queues.json", &[])
        .await;
    assert_eq!(status, 200, "the new key authenticates REST: {body}");
    let (status, _) = sb
        .rest_as(
            (sid, "0123456789abcdef0123456789abcdef"),
            reqwest::Method::GET,
            "Queues.json",
            &[],
        )
        .await;
    assert_eq!(status, 401, "with its secret only");

    let token = sb.token_by((sid, secret), &sb.creds.app_sid, "dj", 3600, now());
    let mut ws = sb.listening(&token).await;
    assert_eq!(ws.expect("connected").await["token"]["identity"], "dj");
    ws.invite("TJS1", Some("To=%2B15557770001")).await;
    sb.wait_requests("/voice", 1).await;

    let (status, _) = sb
        .rest_as(
            account,
            reqwest::Method::DELETE,
            &format!("Keys/{sid}.json"),
            &[],
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = sb
        .rest_as((sid, secret), reqwest::Method::GET, "Queues.json", &[])
        .await;
    assert_eq!(
        (status, &body["code"]),
        (401, &json!(20003)),
        "a deleted key: {body}"
    );
    let mut ws = sb.listening(&token).await;
    assert_eq!(
        ws.expect("error").await["error"]["code"],
        31204,
        "a token of a deleted key"
    );
}

/// The `twilio` crate's provisioning client (what `piphone twilio setup` sends) against the sandbox: every
/// answer parses into its typed resources, and what it sets is what calls then request.
#[tokio::test]
async fn the_twilio_crates_provisioning_client_drives_the_setup_resources() {
    use twilio::rest::{
        Auth, Client, ClientConfig, Method, NumberVoiceUpdate, VoiceSettings, VoiceUrl,
    };
    let sb = TestSandbox::spawn().await;
    let config = || ClientConfig {
        base_url: sb.base.to_string(),
        max_retries: 0,
        ..ClientConfig::default()
    };
    let account = Client::new(
        &sb.creds.account_sid,
        Auth::auth_token(&sb.creds.auth_token),
        config(),
    )
    .unwrap();
    let key = account.create_key("piphone").await.unwrap();
    assert!(key.sid.starts_with("SK") && key.secret.len() == 32);
    let keys = account.list_keys().await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(
        account
            .fetch_key(&key.sid)
            .await
            .unwrap()
            .friendly_name
            .as_deref(),
        Some("piphone")
    );

    // The rest with the new key, as piphone then runs.
    let client = Client::new(
        &sb.creds.account_sid,
        Auth::api_key(&key.sid, &key.secret),
        config(),
    )
    .unwrap();
    let refused = client.create_key("not with a key").await.unwrap_err();
    assert_eq!(refused.status(), Some(401), "{refused}");
    let own = client
        .list_applications(Some("piphone sandbox"))
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    let voice = VoiceUrl {
        url: sb.url("/app/voice"),
        method: Method::Post,
    };
    let app = client.create_application("piphone", &voice).await.unwrap();
    let settings = VoiceSettings {
        fallback_url: Some(sb.url("/app/fallback")),
        status_callback: Some(sb.url("/app/status")),
        ..VoiceSettings::default()
    };
    let updated = client
        .update_application_voice(&app.sid, &settings)
        .await
        .unwrap();
    assert_eq!(updated.voice_url.as_deref(), Some(voice.url.as_str()));
    assert_eq!(
        client
            .fetch_application(&app.sid)
            .await
            .unwrap()
            .voice_fallback_url,
        settings.fallback_url
    );

    let numbers = client
        .list_incoming_phone_numbers(Some(&sb.creds.station_number))
        .await
        .unwrap();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    let incoming = VoiceUrl {
        url: sb.url("/app/incoming"),
        method: Method::Post,
    };
    client
        .update_incoming_phone_number(&numbers[0].sid, &incoming)
        .await
        .unwrap();
    sb.call_in("+15551230001").await;
    sb.wait_requests("/app/incoming", 1).await;
    let update = NumberVoiceUpdate {
        voice: VoiceSettings::default(),
        application_sid: Some(app.sid.clone()),
    };
    let number = client
        .update_number_voice(&numbers[0].sid, &update)
        .await
        .unwrap();
    assert_eq!(
        number.voice_application_sid.as_deref(),
        Some(app.sid.as_str())
    );
    sb.call_in("+15551230002").await;
    sb.wait_requests("/app/voice", 1).await;

    client.delete_application(&app.sid).await.unwrap();
    let gone = client.fetch_application(&app.sid).await.unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    let number = client
        .fetch_incoming_phone_number(&numbers[0].sid)
        .await
        .unwrap();
    assert_eq!(number.voice_application_sid, None);
    account.delete_key(&key.sid).await.unwrap();
    assert!(
        client.list_applications(None).await.is_err(),
        "the key is gone"
    );
}
