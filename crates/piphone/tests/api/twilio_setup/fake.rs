//! A recording, stateful stand-in for the Twilio account resources setup touches (numbers, TwiML
//! Apps, API keys), on wiremock: every request is kept for the exact-sequence assertions.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "auth-token-0123456789abcdef012345";
pub const KEY_SECRET: &str = "brand-new-key-secret-0123456789ab";
pub const NUMBER_SID: &str = "PN0123456789abcdef0123456789abcdef";
pub const NUMBER: &str = "+14155550100";
pub const OTHER_NUMBER_SID: &str = "PN1111111111abcdef0123456789abcdef";
pub const OTHER_NUMBER: &str = "+14155550111";
pub const OLD_WEBHOOK: &str = "https://old.example.org/voice";
/// A key and an app setup did not make: they must survive a teardown.
pub const FOREIGN_KEY: &str = "SKffffffffffffffffffffffffffffffff";
pub const FOREIGN_APP: &str = "APffffffffffffffffffffffffffffffff";

#[derive(Default)]
struct Account {
    numbers: Vec<Value>,
    apps: Vec<Value>,
    keys: Vec<String>,
    next_id: u32,
}

/// The fake account; clone shares it.
#[derive(Clone, Default)]
pub struct FakeTwilio(Arc<Mutex<Account>>);

pub fn number(sid: &str, phone: &str) -> Value {
    json!({"sid": sid, "phone_number": phone, "voice_url": OLD_WEBHOOK, "voice_method": "GET",
           "voice_application_sid": "", "voice_fallback_url": null, "account_sid": ACCOUNT})
}

impl FakeTwilio {
    /// An account with these numbers, one foreign key and one foreign app.
    pub fn with_numbers(numbers: Vec<Value>) -> FakeTwilio {
        let fake = FakeTwilio::default();
        {
            let mut a = fake.0.lock().unwrap();
            a.numbers = numbers;
            a.keys.push(FOREIGN_KEY.into());
            a.apps.push(json!({"sid": FOREIGN_APP, "friendly_name": "someone else's",
                               "voice_url": "https://elsewhere.example/voice", "voice_method": "POST"}));
        }
        fake
    }

    pub async fn start(&self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(path_regex("^/2010-04-01/Accounts/"))
            .respond_with(self.clone())
            .with_priority(10)
            .mount(&server)
            .await;
        server
    }

    pub fn numbers(&self) -> Vec<Value> {
        self.0.lock().unwrap().numbers.clone()
    }
    pub fn apps(&self) -> Vec<String> {
        let a = self.0.lock().unwrap();
        a.apps
            .iter()
            .map(|a| a["sid"].as_str().unwrap().to_owned())
            .collect()
    }
    pub fn app(&self, sid: &str) -> Value {
        let a = self.0.lock().unwrap();
        a.apps.iter().find(|a| a["sid"] == sid).cloned().unwrap()
    }
    pub fn set_app_voice_url(&self, sid: &str, url: &str) {
        let mut a = self.0.lock().unwrap();
        let app = a.apps.iter_mut().find(|a| a["sid"] == sid).unwrap();
        app["voice_url"] = json!(url);
    }
    pub fn keys(&self) -> Vec<String> {
        self.0.lock().unwrap().keys.clone()
    }
}

fn error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"code": code, "message": message, "status": status}))
}

/// A higher-priority answer for one method and path (an injected error).
pub async fn fail_with(server: &MockServer, verb: &str, path: &str, status: u16, code: u32) {
    Mock::given(method(verb))
        .and(path_regex(format!("{path}$")))
        .respond_with(error(status, code, "Injected by the test."))
        .with_priority(1)
        .mount(server)
        .await;
}

/// `"METHOD /path?query body"` for every request, the account prefix cut.
pub async fn sequence(server: &MockServer) -> Vec<String> {
    let prefix = format!("/2010-04-01/Accounts/{ACCOUNT}");
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| {
            let path = r.url.path().trim_start_matches(&prefix);
            let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
            let body = String::from_utf8_lossy(&r.body);
            format!("{} {path}{query} {body}", r.method)
                .trim_end()
                .to_owned()
        })
        .collect()
}

fn form(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

/// The auth token, or a key of the account with the secret the fake hands out.
fn authorised(req: &Request, keys: &[String]) -> bool {
    use base64::Engine;
    let basic = |user: &str, password: &str| {
        let pair = format!("{user}:{password}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let given = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    given.is_some_and(|given| {
        given == basic(ACCOUNT, TOKEN) || keys.iter().any(|k| given == basic(k, KEY_SECRET))
    })
}

fn snake(field: &str) -> String {
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A one-page list of the `items` whose `field` equals the `wanted` filter, if any.
fn page(key: &str, items: &[Value], field: &str, wanted: Option<String>) -> ResponseTemplate {
    let found: Vec<&Value> = items
        .iter()
        .filter(|n| wanted.as_deref().is_none_or(|w| n[field] == w))
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({key: found, "next_page_uri": null}))
}

impl Respond for FakeTwilio {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut a = self.0.lock().unwrap();
        if !authorised(req, &a.keys) {
            return error(401, 20003, "Authenticate");
        }
        let path = req.url.path();
        let rest = path.split(&format!("{ACCOUNT}/")).nth(1).unwrap_or("");
        let parts: Vec<&str> = rest.trim_end_matches(".json").split('/').collect();
        let query = |name: &str| {
            req.url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let verb = req.method.as_str();
        a.next_id += 1;
        let id = a.next_id;
        let not_found = error(404, 20404, "The requested resource was not found");
        match (verb, parts.as_slice()) {
            ("GET", ["IncomingPhoneNumbers"]) => page(
                "incoming_phone_numbers",
                &a.numbers,
                "phone_number",
                query("PhoneNumber"),
            ),
            ("GET", ["IncomingPhoneNumbers", sid]) => {
                match a.numbers.iter().find(|n| n["sid"] == *sid) {
                    Some(n) => ResponseTemplate::new(200).set_body_json(n.clone()),
                    None => not_found,
                }
            }
            ("POST", ["IncomingPhoneNumbers", sid]) => {
                let Some(n) = a.numbers.iter_mut().find(|n| n["sid"] == *sid) else {
                    return not_found;
                };
                for (k, v) in form(req) {
                    n[snake(&k)] = json!(v);
                }
                ResponseTemplate::new(200).set_body_json(n.clone())
            }
            ("GET", ["Applications"]) => page(
                "applications",
                &a.apps,
                "friendly_name",
                query("FriendlyName"),
            ),
            ("POST", ["Applications"]) => {
                let mut app = json!({"sid": format!("AP{id:032x}")});
                for (k, v) in form(req) {
                    app[snake(&k)] = json!(v);
                }
                a.apps.push(app.clone());
                ResponseTemplate::new(201).set_body_json(app)
            }
            (_, ["Applications", sid]) => {
                let Some(i) = a.apps.iter().position(|n| n["sid"] == *sid) else {
                    return not_found;
                };
                match verb {
                    "DELETE" => {
                        a.apps.remove(i);
                        ResponseTemplate::new(204)
                    }
                    "POST" => {
                        for (k, v) in form(req) {
                            a.apps[i][snake(&k)] = json!(v);
                        }
                        ResponseTemplate::new(200).set_body_json(a.apps[i].clone())
                    }
                    _ => ResponseTemplate::new(200).set_body_json(a.apps[i].clone()),
                }
            }
            ("POST", ["Keys"]) => {
                let sid = format!("SK{id:032x}");
                a.keys.push(sid.clone());
                ResponseTemplate::new(201).set_body_json(
                    json!({"sid": sid, "friendly_name": "piphone", "secret": KEY_SECRET}),
                )
            }
            (_, ["Keys", sid]) => {
                let Some(i) = a.keys.iter().position(|k| k == sid) else {
                    return not_found;
                };
                if verb == "DELETE" {
                    a.keys.remove(i);
                    return ResponseTemplate::new(204);
                }
                ResponseTemplate::new(200).set_body_json(json!({"sid": sid, "friendly_name": "k"}))
            }
            _ => not_found,
        }
    }
}
