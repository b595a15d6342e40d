//! Crash test: the real binary is killed with SIGKILL while users are being created over HTTP; every creation
//! acknowledged (201) before the kill must be there after a restart.

use std::time::Duration;

use serde_json::json;

use crate::process::{self, Running, free_port, login, wait_healthy};

const KILLS: usize = 8;

fn start(dir: &std::path::Path, port: u16) -> Running {
    let listen = format!("127.0.0.1:{port}");
    process::spawn(
        &["serve"],
        dir,
        &[("PIPHONE_LISTEN", &listen), ("PIPHONE_TLS", "off")],
    )
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
        child.kill();
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
    let list = process::json(
        client
            .get(format!("{base}/api/admin/users"))
            .header("cookie", &cookie),
    )
    .await;
    child.kill();
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
