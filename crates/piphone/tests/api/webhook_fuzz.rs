//! Adversarial webhook test: thousands of mutated signed requests, none accepted; every genuine one accepted.
//!
//! Each round builds a genuine Twilio request (random fields, signed for the app's public URL), checks it is
//! accepted, then sends mutations of it: a field added, removed or changed, a field repeated with another
//! value, a name's case changed, the URL changed, the signature altered, signed with the wrong key. Repeating a
//! field with the *same* value is not a mutation: twilio-python (the reference) drops exact duplicates.
//! The seed is printed; `PIPHONE_FUZZ_SEED=<n>` replays a run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use twilio::signature::{Algorithm, compute_signature};

use crate::helpers::{AUTH_TOKEN, TestApp, client_call, spawn_app};

const ROUNDS: usize = 1_250;

#[derive(Debug, Clone, Copy)]
enum Mutation {
    AddField,
    RemoveField,
    ChangeValue,
    RepeatField,
    RenameCase,
    OtherPath,
    ExtraQuery,
    OtherHost,
    AlterSignature,
    WrongKey,
}

const MUTATIONS: [Mutation; 10] = [
    Mutation::AddField,
    Mutation::RemoveField,
    Mutation::ChangeValue,
    Mutation::RepeatField,
    Mutation::RenameCase,
    Mutation::OtherPath,
    Mutation::ExtraQuery,
    Mutation::OtherHost,
    Mutation::AlterSignature,
    Mutation::WrongKey,
];

fn rand_text(rng: &mut StdRng, max: usize) -> String {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '9', ' ', '+', '-', '_', '.', ':', '/', '&', '=', '?', '%', '#', '<', '>',
        '"', '\'', 'é', '☎', '你',
    ];
    (0..rng.random_range(0..=max))
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect()
}

fn genuine(rng: &mut StdRng) -> Vec<(String, String)> {
    let mut params = client_call("admin", "+14155552671");
    // Distinct names: an exact duplicate pair would make "remove one copy" a non-mutation (duplicates are dropped).
    for n in 0..rng.random_range(0..4) {
        params.push((format!("Custom{n}"), rand_text(rng, 12)));
    }
    params
}

struct Req {
    path: String,
    params: Vec<(String, String)>,
    signature: String,
}

fn sign(app: &TestApp, path: &str, params: &[(String, String)], key: &str) -> String {
    compute_signature(key, &app.at(path), params, Algorithm::HmacSha1)
}

fn mutate(app: &TestApp, rng: &mut StdRng, base: &[(String, String)], m: Mutation) -> Req {
    let sig = sign(app, "/voice", base, AUTH_TOKEN);
    let mut params = base.to_vec();
    let i = rng.random_range(0..params.len());
    let mut path = "/voice".to_owned();
    let mut signature = sig.clone();
    match m {
        Mutation::AddField => params.push(("Injected".into(), rand_text(rng, 8))),
        Mutation::RemoveField => {
            params.remove(i);
        }
        Mutation::ChangeValue => {
            let old = params[i].1.clone();
            let mut new = rand_text(rng, 10);
            if new == old {
                new.push('x');
            }
            params[i].1 = new;
        }
        Mutation::RepeatField => {
            let (k, v) = params[i].clone();
            params.push((k, format!("{v}-again")));
        }
        Mutation::RenameCase => {
            let (k, _) = &mut params[i];
            *k = if k.chars().any(|c| c.is_ascii_uppercase()) {
                k.to_ascii_lowercase()
            } else {
                k.to_ascii_uppercase()
            };
        }
        Mutation::OtherPath => path = "/voice/incoming".into(),
        Mutation::ExtraQuery => path = format!("/voice?x={}", rng.random_range(0..1000)),
        Mutation::OtherHost => {
            signature = compute_signature(
                AUTH_TOKEN,
                &app.at("/voice").replace("127.0.0.1", "evil.example"),
                base,
                Algorithm::HmacSha1,
            )
        }
        Mutation::AlterSignature => {
            let mut chars: Vec<char> = sig.chars().collect();
            let j = rng.random_range(0..chars.len() - 1); // keep the padding
            chars[j] = if chars[j] == 'A' { 'B' } else { 'A' };
            signature = chars.into_iter().collect();
        }
        Mutation::WrongKey => {
            signature = sign(app, "/voice", base, "fedcba9876543210fedcba9876543210")
        }
    }
    Req {
        path,
        params,
        signature,
    }
}

async fn send(app: &TestApp, req: &Req) -> u16 {
    app.client
        .post(app.at(&req.path))
        .header("X-Twilio-Signature", &req.signature)
        .form(&req.params)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn mutated_signed_requests_are_never_accepted() {
    let seed = std::env::var("PIPHONE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("webhook fuzz seed {seed} (PIPHONE_FUZZ_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let app = spawn_app().await;
    let (mut genuine_ok, mut mutated_refused) = (0usize, 0usize);
    for round in 0..ROUNDS {
        let base = genuine(&mut rng);
        let real = Req {
            path: "/voice".into(),
            signature: sign(&app, "/voice", &base, AUTH_TOKEN),
            params: base.clone(),
        };
        assert_eq!(
            send(&app, &real).await,
            200,
            "round {round}: genuine request refused: {base:?}"
        );
        genuine_ok += 1;
        for _ in 0..8 {
            let m = MUTATIONS[rng.random_range(0..MUTATIONS.len())];
            let req = mutate(&app, &mut rng, &base, m);
            let status = send(&app, &req).await;
            assert_eq!(
                status, 403,
                "round {round}: {m:?} accepted ({status}): {:?} at {}",
                req.params, req.path
            );
            mutated_refused += 1;
        }
    }
    eprintln!("webhook fuzz: {genuine_ok} genuine accepted, {mutated_refused} mutated refused");
    assert!(mutated_refused >= 10_000);
}
