//! Every REST operation against a Prism mock of Twilio's OpenAPI description: Prism answers 422
//! for a request that breaks the contract, and answers with the spec's examples, which must
//! decode into the crate's types.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use twilio::rest::{
    Auth, CallUpdate, Client, EndStatus, MemberRef, NumberVoiceUpdate, RestError, VoiceSettings,
    VoiceUrl,
};
use twilio::twiml::Method;

use crate::support::{self, ACCOUNT, APP, CALL, KEY, NUMBER, QUEUE};

/// Kills Prism when the test ends, however it ends.
struct Prism {
    child: Child,
    url: String,
    _log: tempfile::NamedTempFile,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_prism() -> Prism {
    let prism = support::prism();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new(&prism)
        .args(["mock", "-p", &port.to_string(), "-h", "127.0.0.1"])
        .arg(support::openapi_spec())
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", prism.display()));
    let guard = Prism {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _log: log,
    };
    let client = support::rest_client(&guard.url, Auth::auth_token("t"));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match client.fetch_queue(QUEUE).await {
            Err(RestError::Transport(_) | RestError::Timeout(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            _ => break,
        }
    }
    guard
}

/// A list whose first example has a `next_page_uri` makes Prism answer every page with that same
/// example, so the client's loop guard stops it: that still means Prism accepted both requests.
fn list_ok<T: std::fmt::Debug>(what: &str, result: Result<Vec<T>, RestError>) -> usize {
    match result {
        Ok(items) => items.len(),
        Err(RestError::Decode { message, .. }) if message.contains("pagination loops") => 1,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

async fn exercise(client: &Client) -> usize {
    let voice = VoiceUrl {
        url: "https://pi.example.org/voice".into(),
        method: Method::Post,
    };
    let mut calls = 0;
    let mut ok = |what: &str, r: Result<(), RestError>| {
        r.unwrap_or_else(|e| panic!("{what}: {e:?}"));
        calls += 1;
    };
    ok(
        "create_queue",
        client
            .create_queue("radio-callin-queue", Some(100))
            .await
            .map(drop),
    );
    ok(
        "create_queue no max",
        client.create_queue("screened", None).await.map(drop),
    );
    ok(
        "fetch_queue",
        client
            .fetch_queue(QUEUE)
            .await
            .map(|q| assert!(q.sid.starts_with("QU"))),
    );
    let front = MemberRef::Front;
    let call = MemberRef::Call(CALL.into());
    ok(
        "fetch_member front",
        client.fetch_member(QUEUE, &front).await.map(drop),
    );
    ok(
        "fetch_member call",
        client.fetch_member(QUEUE, &call).await.map(drop),
    );
    let url = "https://pi.example.org/voice/on-air";
    ok(
        "dequeue front",
        client
            .dequeue_member(QUEUE, &front, url, Method::Post)
            .await
            .map(drop),
    );
    ok(
        "dequeue call",
        client
            .dequeue_member(QUEUE, &call, url, Method::Get)
            .await
            .map(drop),
    );
    ok(
        "fetch_call",
        client
            .fetch_call(CALL)
            .await
            .map(|c| assert!(c.status.is_some())),
    );
    let updates = [
        CallUpdate::Redirect {
            url: url.into(),
            method: Method::Post,
        },
        CallUpdate::Twiml(twilio::twiml::VoiceResponse::new().hangup().to_xml()),
        CallUpdate::End(EndStatus::Completed),
        CallUpdate::End(EndStatus::Canceled),
    ];
    for update in &updates {
        ok(
            "update_call",
            client.update_call(CALL, update).await.map(drop),
        );
    }
    ok("end_call", client.end_call(CALL).await.map(drop));
    ok(
        "create_application",
        client.create_application("piphone", &voice).await.map(drop),
    );
    ok(
        "update_application",
        client.update_application(APP, &voice).await.map(drop),
    );
    ok(
        "update_number",
        client
            .update_incoming_phone_number(NUMBER, &voice)
            .await
            .map(drop),
    );
    calls += exercise_provisioning(client).await;
    let mut listed = 0;
    listed += list_ok("list_keys", client.list_keys().await);
    listed += list_ok("list_queues", client.list_queues().await);
    listed += list_ok("list_members", client.list_members(QUEUE).await);
    listed += list_ok("list_applications", client.list_applications(None).await);
    listed += list_ok(
        "list_applications named",
        client.list_applications(Some("piphone")).await,
    );
    listed += list_ok(
        "list_numbers",
        client.list_incoming_phone_numbers(None).await,
    );
    listed += list_ok(
        "list_numbers +1",
        client.list_incoming_phone_numbers(Some("+1415")).await,
    );
    assert!(listed >= 7, "every list returned at least one example item");
    calls + 7
}

/// Keys, and the fetch/delete/full-update operations on apps and numbers (setup and teardown).
async fn exercise_provisioning(client: &Client) -> usize {
    let voice = VoiceSettings {
        url: Some("https://pi.example.org/voice".into()),
        method: Some(Method::Post),
        fallback_url: Some("https://pi.example.org/voice/fallback".into()),
        fallback_method: Some(Method::Get),
        status_callback: Some("https://pi.example.org/voice/status".into()),
        status_callback_method: Some(Method::Post),
    };
    let number_update = NumberVoiceUpdate {
        voice: voice.clone(),
        application_sid: Some(APP.into()),
    };
    let key = client.create_key("piphone").await.expect("create_key");
    assert!(key.sid.starts_with("SK") && !key.secret.is_empty());
    client.fetch_key(KEY).await.expect("fetch_key");
    client.delete_key(KEY).await.expect("delete_key");
    let app = client
        .fetch_application(APP)
        .await
        .expect("fetch_application");
    assert!(app.sid.starts_with("AP"));
    client
        .update_application_voice(APP, &voice)
        .await
        .expect("update_application_voice");
    client
        .delete_application(APP)
        .await
        .expect("delete_application");
    let number = client
        .fetch_incoming_phone_number(NUMBER)
        .await
        .expect("fetch_incoming_phone_number");
    assert!(number.phone_number.is_some());
    for update in [
        number_update,
        NumberVoiceUpdate {
            voice: VoiceSettings {
                url: Some("https://pi.example.org/voice/incoming".into()),
                method: Some(Method::Post),
                ..Default::default()
            },
            application_sid: None,
        },
    ] {
        client
            .update_number_voice(NUMBER, &update)
            .await
            .expect("update_number_voice");
    }
    9
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_satisfies_the_openapi_contract() {
    let prism = start_prism().await;
    let mut total = 0;
    for auth in [
        Auth::auth_token("token"),
        Auth::api_key("SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "s"),
    ] {
        let client = support::rest_client(&prism.url, auth);
        total += exercise(&client).await;
    }
    // Control: Prism does refuse what breaks the spec (Url must be a URI), and we see it.
    let client = support::rest_client(&prism.url, Auth::auth_token("token"));
    let bad = client
        .dequeue_member(QUEUE, &MemberRef::Front, "not a url", Method::Post)
        .await;
    assert!(
        matches!(bad, Err(RestError::Api { status: 422, .. })),
        "Prism accepted a bad Url: {bad:?}"
    );
    // The spec has no empty value for clearing a field, which Twilio accepts (module notes of
    // `rest::provisioning`): the contract mock refuses it, so only a restore of an empty value sends it.
    let clear = NumberVoiceUpdate {
        voice: VoiceSettings {
            url: Some(String::new()),
            ..Default::default()
        },
        application_sid: None,
    };
    let bad = client.update_number_voice(NUMBER, &clear).await;
    assert!(
        matches!(bad, Err(RestError::Api { status: 422, .. })),
        "Prism accepted an empty VoiceUrl: {bad:?}"
    );
    let bad_account = Client::new(
        "ACnot-a-sid",
        Auth::auth_token("t"),
        twilio::rest::ClientConfig {
            base_url: prism.url.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let bad = bad_account.fetch_queue(QUEUE).await;
    assert!(
        matches!(bad, Err(RestError::Api { status: 422, .. })),
        "bad AccountSid: {bad:?}"
    );
    println!("Prism accepted {total} REST operations for account {ACCOUNT}");
}
