//! The REST subset, every call made through Prism in proxy mode, which checks each request and
//! response against Twilio's OpenAPI description (`../shared/openapi/twilio_api_v2010.json`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestSandbox, events};

pub struct Prism {
    child: tokio::process::Child,
    pub base: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub async fn prism_in_front_of(sb: &TestSandbox) -> Prism {
    let bin = std::env::var_os("PIPHONE_PRISM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("node_modules/.bin/prism"));
    assert!(
        bin.exists(),
        "Prism is needed: set PIPHONE_PRISM or run `npm ci` at the workspace root ({} missing)",
        bin.display()
    );
    let spec = workspace().join("../shared/openapi/twilio_api_v2010.json");
    assert!(
        spec.exists(),
        "Twilio's OpenAPI description is needed at {}",
        spec.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let upstream = sb.base.as_str().trim_end_matches('/').to_owned();
    let child = tokio::process::Command::new(bin)
        .args(["proxy", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(&spec)
        .arg(&upstream)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting Prism");
    let prism = Prism {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return prism;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Prism did not start listening on {port} within 60 s");
}

/// Twilio itself answers list envelopes with relative `uri`/`*_page_uri` (e.g.
/// `/2010-04-01/Accounts/AC…/Queues.json?PageSize=50&Page=0`, as twilio-python's paging expects),
/// while the description declares `format: uri`. Exactly that violation is tolerated.
fn is_twilios_own_relative_uri(v: &Value) -> bool {
    let field = v["location"]
        .as_array()
        .and_then(|l| l.last())
        .and_then(Value::as_str)
        .unwrap_or_default();
    v["code"] == "format"
        && [
            "uri",
            "first_page_uri",
            "next_page_uri",
            "previous_page_uri",
        ]
        .contains(&field)
}

/// Twilio takes an array form field as the field repeated (`StatusCallbackEvent=initiated&
/// StatusCallbackEvent=ringing`, as the description itself says and twilio-python sends), while
/// Prism reads a form field as one string and reports "must be array". Exactly that is tolerated.
fn is_prisms_repeated_form_field(v: &Value) -> bool {
    let location: Vec<&str> = v["location"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    v["code"] == "type"
        && location.len() == 3
        && location[..2] == ["request", "body"]
        && v["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("must be array"))
}

/// REST requests through Prism, authenticated with the sandbox's API key (or, `as_account`, the auth token).
pub struct Rest<'a> {
    pub sb: &'a TestSandbox,
    pub base: String,
    pub as_account: bool,
}

impl Rest<'_> {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{path}",
            self.base, self.sb.creds.account_sid
        );
        let creds = &self.sb.creds;
        let (user, pass) = if self.as_account {
            (&creds.account_sid, &creds.auth_token)
        } else {
            (&creds.api_key_sid, &creds.api_key_secret)
        };
        let mut req = self
            .sb
            .http
            .request(method.clone(), &url)
            .basic_auth(user, Some(pass));
        if method == reqwest::Method::POST {
            req = req.form(form);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let violations: Vec<Value> = resp
            .headers()
            .get("sl-violations")
            .map(|v| serde_json::from_str(v.to_str().unwrap_or_default()).expect("JSON violations"))
            .unwrap_or_default();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let real: Vec<&Value> = violations
            .iter()
            .filter(|v| !is_twilios_own_relative_uri(v) && !is_prisms_repeated_form_field(v))
            .collect();
        assert!(
            real.is_empty(),
            "{method} {path}: schema violations {real:#?}; body {body:#}"
        );
        assert!(
            !body["type"]
                .as_str()
                .unwrap_or_default()
                .contains("stoplight.io/prism/errors"),
            "{method} {path}: Prism refused: {body:#}"
        );
        (status, body)
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, path, &[]).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, form).await
    }
}

#[tokio::test]
async fn rest_queues_members_and_calls_match_twilios_openapi_through_prism() {
    let sb = TestSandbox::spawn().await;
    let prism = prism_in_front_of(&sb).await;
    let rest = Rest {
        sb: &sb,
        base: prism.base.clone(),
        as_account: false,
    };
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Enqueue action="/app/left" waitUrl="/app/wait">radio</Enqueue></Response>"#,
    );
    sb.twiml("/app/wait", r#"<Response><Pause length="2"/></Response>"#);
    sb.twiml(
        "/app/out",
        "<Response><Say>Moved out of the queue</Say><Pause length=\"600\"/></Response>",
    );

    let (status, created) = rest
        .post(
            "Queues.json",
            &[("FriendlyName", "overflow"), ("MaxSize", "10")],
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let qsid = created["sid"].as_str().unwrap().to_owned();
    assert_eq!(
        rest.get(&format!("Queues/{qsid}.json")).await["max_size"],
        10
    );

    let first = sb.call_in("+15551230001").await;
    let second = sb.call_in("+15551230002").await;
    sb.wait_call(&second, "a queue", |c| !c["queue"].is_null())
        .await;
    sb.wait_call(&first, "a queue", |c| !c["queue"].is_null())
        .await;
    let queues = rest.get("Queues.json?PageSize=50").await;
    let radio = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["friendly_name"] == "radio")
        .expect("queue radio")
        .clone();
    assert_eq!(radio["current_size"], 2);
    let radio_sid = radio["sid"].as_str().unwrap().to_owned();
    let members = rest.get(&format!("Queues/{radio_sid}/Members.json")).await;
    assert_eq!(members["queue_members"].as_array().unwrap().len(), 2);
    let front = rest
        .get(&format!("Queues/{radio_sid}/Members/Front.json"))
        .await;
    assert_eq!(front["position"], 1);
    let front_sid = front["call_sid"].as_str().unwrap().to_owned();
    assert_eq!(
        rest.get(&format!("Queues/{radio_sid}/Members/{front_sid}.json"))
            .await["call_sid"],
        front_sid.as_str()
    );

    // Dequeue the front caller into other TwiML.
    let out_url = sb.url("/app/out");
    let (status, body) = rest
        .post(
            &format!("Queues/{radio_sid}/Members/Front.json"),
            &[("Url", &out_url), ("Method", "POST")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let left = &sb.wait_requests("/app/left", 1).await[0];
    assert_eq!(left.param("QueueResult"), Some("redirected"));
    let moved = sb
        .wait_call(&front_sid, "the redirect", |c| !events(c, "say").is_empty())
        .await;
    assert_eq!(events(&moved, "say")[0]["text"], "Moved out of the queue");
    assert!(moved["queue"].is_null());

    // Calls: fetch, redirect with inline TwiML, end.
    let other = if front_sid == first { &second } else { &first };
    let call = rest.get(&format!("Calls/{other}.json")).await;
    assert_eq!(call["status"], "in-progress");
    assert_eq!(call["to"], sb.creds.station_number.as_str());
    let (status, _) = rest
        .post(
            &format!("Calls/{other}.json"),
            &[(
                "Twiml",
                "<Response><Say>Inline</Say><Pause length=\"600\"/></Response>",
            )],
        )
        .await;
    assert_eq!(status, 200);
    sb.wait_call(other, "the inline Say", |c| {
        events(c, "say").iter().any(|e| e["text"] == "Inline")
    })
    .await;
    let (status, ended) = rest
        .post(&format!("Calls/{other}.json"), &[("Status", "completed")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(ended["status"], "completed");
    assert_eq!(events(&sb.call(other).await, "hangup")[0]["by"], "api");
    let (status, _) = rest
        .post(&format!("Calls/{front_sid}.json"), &[("Url", &out_url)])
        .await;
    assert_eq!(status, 200);
    drop(prism);
}

#[tokio::test]
async fn rest_and_control_refuse_bad_credentials_and_unknown_resources() {
    let sb = TestSandbox::spawn().await;
    let account = sb.creds.account_sid.clone();
    let queues = sb.url(&format!("/2010-04-01/Accounts/{account}/Queues.json"));
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, u16);
    let cases: [Case; 4] = [
        ("no credentials", None, 401),
        (
            "wrong token",
            Some((&account, "0123456789abcdef0123456789abcdef")),
            401,
        ),
        ("account token", Some((&account, &sb.creds.auth_token)), 200),
        (
            "api key",
            Some((&sb.creds.api_key_sid, &sb.creds.api_key_secret)),
            200,
        ),
    ];
    for (case, auth, expected) in cases {
        let mut req = sb.http.get(&queues);
        if let Some((u, p)) = auth {
            req = req.basic_auth(u, Some(p));
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), expected, "case {case}");
        if expected == 401 {
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], 20003, "case {case}: {body}");
            assert_eq!(body["status"], 401);
        }
    }
    let missing = sb
        .http
        .get(sb.url(&format!(
            "/2010-04-01/Accounts/{account}/Queues/QU00000000000000000000000000000000.json"
        )))
        .basic_auth(&account, Some(&sb.creds.auth_token))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(
        (body["code"].as_u64(), body["status"].as_u64()),
        (Some(20404), Some(404))
    );
    assert!(body["more_info"].as_str().unwrap().ends_with("/20404"));

    let control = sb
        .http
        .get(sb.url("/sandbox/calls"))
        .basic_auth(&sb.creds.api_key_sid, Some(&sb.creds.api_key_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(
        control.status().as_u16(),
        401,
        "the control API takes only the account's auth token"
    );
    let control = sb.http.get(sb.url("/sandbox/calls")).send().await.unwrap();
    assert_eq!(control.status().as_u16(), 401);
}

/// The app's own REST client (the `twilio` crate) pointed at the sandbox, paging included.
#[tokio::test]
async fn the_twilio_crates_rest_client_drives_the_sandbox() {
    use twilio::rest::{Auth, CallStatus, CallUpdate, Client, ClientConfig, MemberRef, Method};
    let sb = TestSandbox::spawn().await;
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Enqueue waitUrl="/app/wait">radio</Enqueue></Response>"#,
    );
    sb.twiml("/app/wait", r#"<Response><Pause length="2"/></Response>"#);
    sb.twiml("/app/out", r#"<Response><Pause length="600"/></Response>"#);
    let config = ClientConfig {
        base_url: sb.base.to_string(),
        page_size: 1,
        max_retries: 0,
        ..ClientConfig::default()
    };
    let auth = Auth::api_key(&sb.creds.api_key_sid, &sb.creds.api_key_secret);
    let client = Client::new(&sb.creds.account_sid, auth, config).unwrap();
    for name in ["a", "b"] {
        client.create_queue(name, Some(5)).await.unwrap();
    }
    let caller = sb.call_in("+15551230001").await;
    sb.wait_call(&caller, "a queue", |c| !c["queue"].is_null())
        .await;
    let queues = client.list_queues().await.unwrap();
    assert_eq!(queues.len(), 3, "every page followed: {queues:?}");
    let radio = queues
        .iter()
        .find(|q| q.friendly_name.as_deref() == Some("radio"))
        .unwrap();
    assert_eq!(radio.current_size, 1);
    let members = client.list_members(&radio.sid).await.unwrap();
    assert_eq!(members[0].call_sid, caller);
    let member = client
        .dequeue_member(
            &radio.sid,
            &MemberRef::Front,
            &sb.url("/app/out"),
            Method::Post,
        )
        .await
        .unwrap();
    assert_eq!(member.call_sid, caller);
    sb.wait_requests("/app/out", 1).await;
    let call = client.fetch_call(&caller).await.unwrap();
    assert_eq!(call.status, Some(CallStatus::InProgress));
    let redirect = CallUpdate::Twiml("<Response><Say>Bye</Say></Response>".into());
    client.update_call(&caller, &redirect).await.unwrap();
    sb.wait_status(&caller, "completed").await;
    let ended = client.end_call(&caller).await.unwrap();
    assert_eq!(ended.status, Some(CallStatus::Completed));
    let missing = client
        .fetch_call("CA00000000000000000000000000000000")
        .await;
    assert!(missing.is_err(), "{missing:?}");
}
