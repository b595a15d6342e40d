//! Running the real `piphone` binary: a child killed (SIGKILL) and reaped when dropped, so a failing test leaves
//! nothing running, and the few steps the process tests share (free port, health wait, admin login, JSON answers).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The admin password every spawned piphone starts with.
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A running `piphone` process; killed with SIGKILL when dropped.
pub struct Running(pub Child);

impl Running {
    /// SIGKILL, and wait until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client for the processes' self-signed HTTPS: no redirects followed, 10 s per request.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `piphone <args>` with a clean environment: `dir` as the data directory, the admin password, warnings only,
/// and `env` on top. Standard output is piped (read it, or it is dropped), standard error discarded.
pub fn spawn(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_piphone"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PIPHONE_DATA_DIR", dir)
        .env("PIPHONE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("PIPHONE_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start piphone");
    Running(child)
}

pub async fn wait_healthy(client: &reqwest::Client, base: &str) {
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

/// Sends `request` and reads its JSON answer.
pub async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Logs in as admin; returns the `cookie` header value.
pub async fn login(client: &reqwest::Client, base: &str) -> String {
    let res = client
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
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

/// Runs `cmd` to its end (off the async threads); returns its exit code and standard output + error.
pub async fn finish(mut cmd: Command) -> (i32, String) {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run piphone"))
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}
