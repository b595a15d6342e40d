//! Crash test: the real binary is killed with SIGKILL while users are being created over HTTP; every creation
//! acknowledged (201) before the kill must be there after a restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const KILLS: usize = 8;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_piphone"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PIPHONE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PIPHONE_DATA_DIR", dir)
        .env("PIPHONE_TLS", "off")
        .env("PIPHONE_ADMIN_PASSWORD", "admin-password-1")
        .env("PIPHONE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start piphone")
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("piphone did not become healthy");
}

async fn login(client: &reqwest::Client, base: &str) -> String {
    let res = client
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", "admin-password-1")])
        .send()
        .await
        .unwrap();
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut next = 0usize;
    for round in 0..KILLS {
        let mut child = start(dir.path(), port);
        wait_healthy(&client, &base).await;
        let cookie = login(&client, &base).await;
        // Writers run until the kill; a creation counts only once its 201 has arrived.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let mut writers = Vec::new();
        for w in 0..3 {
            let (client, base, cookie, tx) =
                (client.clone(), base.clone(), cookie.clone(), tx.clone());
            let start_at = next + w * 10_000;
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("u{round}-{}", start_at + i);
                    let res = client
                        .post(format!("{base}/api/admin/users"))
                        .header("cookie", &cookie)
                        .json(&json!({"username": name, "password": "password-123", "role": "caller"}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == 201 => {
                            let _ = tx.send(name);
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break, // the server died mid-request: not acknowledged
                    }
                }
            }));
        }
        drop(tx);
        tokio::time::sleep(Duration::from_millis(300 + 150 * round as u64)).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        while let Some(name) = rx.recv().await {
            acknowledged.push(name);
        }
        next += 100_000;
    }
    let mut child = start(dir.path(), port);
    wait_healthy(&client, &base).await;
    let cookie = login(&client, &base).await;
    let list: Value = client
        .get(format!("{base}/api/admin/users"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().ok();
    child.wait().ok();
    let present: std::collections::HashSet<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !present.contains(n.as_str()))
        .collect();
    eprintln!(
        "crash test: {KILLS} kills, {} acknowledged writes, {} lost",
        acknowledged.len(),
        lost.len()
    );
    assert!(acknowledged.len() >= KILLS, "the writers made progress");
    assert!(
        lost.is_empty(),
        "acknowledged but lost after SIGKILL: {lost:?}"
    );
}
