//! `piphone kiosk`: keeps one headless Chromium showing the phone page, signed in as the kiosk user.
//!
//! Each start: a fresh profile, a new one-time login link, Chromium in its own process group. When Chromium
//! exits (crash, OOM kill, someone's `kill`) it is started again after a backoff that grows from 1 s to 30 s and
//! resets once Chromium has stayed up for a minute; every restart is logged with the reason. SIGTERM or Ctrl-C
//! stops Chromium (the whole group) and exits.

use std::process::{ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::browser::{self, Launch};
use super::client::{Answer, Control, LocalServer};
use crate::kiosk::login_link;
use crate::settings::{KioskSettings, Settings};
use crate::store::{self, AudioDevice, KioskOptions, Store, User};

/// First and longest wait before starting Chromium again.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Chromium that stayed up this long counts as healthy: the next failure waits `BACKOFF_MIN` again.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// How long Chromium gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Doubling delays between `BACKOFF_MIN` and `BACKOFF_MAX`.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: BACKOFF_MIN }
    }
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        now
    }

    pub fn reset(&mut self) {
        self.next = BACKOFF_MIN;
    }
}

/// A running Chromium whose page has not been connected this long is restarted (a page stuck on an error, or
/// sent to the login form when its session ended).
const PAGE_GRACE: Duration = Duration::from_secs(45);
const PAGE_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Why a Chromium run ended.
enum Ended {
    Exited(std::io::Result<ExitStatus>),
    PageMissing,
    Shutdown,
}

/// Runs the kiosk until SIGTERM/SIGINT.
pub async fn run(settings: Settings) -> anyhow::Result<ExitCode> {
    crate::fsutil::ensure_private_dir(&settings.data_dir)?;
    let kiosk = &settings.kiosk;
    let chromium = browser::find_chromium(kiosk.chromium.as_deref())?;
    let store = store::connect(&settings.database_url)
        .await
        .with_context(|| format!("opening the database {}", settings.database_url))?;
    let user = login_link::ensure_kiosk_user(&store, kiosk.user.as_str()).await?;
    if kiosk.auto_answer && !user.role.can_take_calls() {
        tracing::warn!(
            user = %user.username, role = %user.role,
            "PIPHONE_KIOSK_AUTO_ANSWER is on, but a {} is not rung for calls: make the kiosk user a host",
            user.role
        );
    }
    choose_audio(&store, &user, &settings.kiosk).await?;
    let options = KioskOptions {
        auto_answer: kiosk.auto_answer,
    };

    let shutdown = crate::server::shutdown_signal();
    tokio::pin!(shutdown);
    let server = tokio::select! {
        server = wait_for_server(&settings) => server?,
        () = &mut shutdown => return Ok(ExitCode::SUCCESS),
    };
    let spki_pin = match super::pin::server_certificate(&settings)? {
        Some(cert) => Some(super::pin::spki_sha256_base64(&cert)?),
        None => None,
    };
    let control = Control::new(&settings)?;
    tracing::info!(chromium = %chromium.display(), server = %server.base, user = %user.username, "kiosk starting");

    let mut backoff = Backoff::default();
    loop {
        let started = Instant::now();
        let (mut child, pid) = start_chromium(
            &settings,
            &store,
            &user,
            &options,
            &server,
            &chromium,
            spki_pin.as_deref(),
        )
        .await?;
        let ended = tokio::select! {
            status = child.wait() => Ended::Exited(status),
            () = watch_page(&control) => Ended::PageMissing,
            () = &mut shutdown => Ended::Shutdown,
        };
        stop(&mut child, pid).await;
        let _ = std::fs::remove_file(browser::pid_file(&settings.data_dir));
        match ended {
            Ended::Shutdown => {
                tracing::info!("kiosk stopped");
                return Ok(ExitCode::SUCCESS);
            }
            Ended::Exited(_) | Ended::PageMissing => {
                if started.elapsed() >= STABLE_AFTER {
                    backoff.reset();
                }
                let delay = backoff.next_delay();
                let why = match ended {
                    Ended::Exited(Ok(s)) => describe_exit(s),
                    Ended::Exited(Err(e)) => format!("could not be waited for ({e})"),
                    _ => format!(
                        "is running but its phone page has not been connected for {} s (stopped it)",
                        PAGE_GRACE.as_secs()
                    ),
                };
                tracing::warn!(
                    ran_secs = started.elapsed().as_secs(),
                    restart_in_ms = delay.as_millis() as u64,
                    "Chromium {why}; starting it again"
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = &mut shutdown => return Ok(ExitCode::SUCCESS),
                }
            }
        }
    }
}

/// Stores `PIPHONE_KIOSK_AUDIO_INPUT`/`_OUTPUT` as the kiosk user's choice (by label; the page matches it).
async fn choose_audio(store: &Store, user: &User, kiosk: &KioskSettings) -> anyhow::Result<()> {
    if kiosk.audio_input.is_none() && kiosk.audio_output.is_none() {
        return Ok(());
    }
    let mut prefs = store.audio_prefs(user.id).await?;
    let by_label = |label: &String| AudioDevice {
        id: String::new(),
        label: label.clone(),
    };
    if let Some(input) = &kiosk.audio_input {
        prefs.input = Some(by_label(input));
    }
    if let Some(output) = &kiosk.audio_output {
        prefs.output = Some(by_label(output));
    }
    store.set_audio_prefs(user.id, &prefs).await?;
    tracing::info!(input = ?kiosk.audio_input, output = ?kiosk.audio_output, "kiosk audio devices chosen");
    Ok(())
}

/// Resolves when the server is up but has had no kiosk page for [`PAGE_GRACE`]. While the server itself is
/// unreachable nothing is counted: a new Chromium would not help, and the page reconnects by itself.
async fn watch_page(control: &Control) {
    let mut missing_since: Option<Instant> = None;
    loop {
        tokio::time::sleep(PAGE_CHECK_EVERY).await;
        match control.status().await {
            Ok(Answer::Done(status)) if !status.connected => {
                if missing_since.get_or_insert_with(Instant::now).elapsed() >= PAGE_GRACE {
                    return;
                }
            }
            _ => missing_since = None,
        }
    }
}

/// Waits until the server answers, logging once while it does not.
async fn wait_for_server(settings: &Settings) -> anyhow::Result<LocalServer> {
    let mut logged = false;
    loop {
        // The certificate appears when the server first starts: keep trying until it does.
        match LocalServer::new(settings) {
            Ok(server) if server.is_up().await => return Ok(server),
            Ok(server) if !logged => {
                tracing::info!(url = %server.base, "waiting for the piphone server");
                logged = true;
            }
            Err(e) if settings.listen.port() == 0 => return Err(e),
            Err(e) if !logged => {
                tracing::info!("waiting for the piphone server: {e:#}");
                logged = true;
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn start_chromium(
    settings: &Settings,
    store: &Store,
    user: &User,
    options: &KioskOptions,
    server: &LocalServer,
    chromium: &std::path::Path,
    spki_pin: Option<&str>,
) -> anyhow::Result<(Child, u32)> {
    let token = login_link::mint(store, user, options).await?;
    let mut link = server.url(login_link::LINK_PATH);
    link.query_pairs_mut().append_pair("token", &token);
    let (profile, start_page) = browser::prepare(&settings.data_dir, &link)?;
    let args = Launch {
        settings: &settings.kiosk,
        profile: &profile,
        start_page: &start_page,
        spki_pin,
        as_root: running_as_root(),
    }
    .args();
    let mut command = Command::new(chromium);
    command
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", chromium.display()))?;
    let pid = child.id().unwrap_or_default();
    crate::fsutil::write_private(
        &browser::pid_file(&settings.data_dir),
        format!("{pid}\n").as_bytes(),
    )?;
    tracing::info!(pid, "Chromium started");
    if let Some(stderr) = child.stderr.take() {
        // Chromium is chatty (D-Bus, GPU); its lines go to the debug log, `PIPHONE_LOG=piphone::kiosk=debug`.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "piphone::kiosk::chromium", "{line}");
            }
        });
    }
    Ok((child, pid))
}

/// Stops Chromium and everything it started (renderers, zygote): SIGTERM to the group, SIGKILL after a grace.
/// `pid` is the group's leader, Chromium itself (it may already be gone while its renderers linger).
async fn stop(child: &mut Child, pid: u32) {
    if child.try_wait().ok().flatten().is_none() {
        signal_group(pid, false);
        if tokio::time::timeout(STOP_GRACE, child.wait())
            .await
            .is_err()
        {
            tracing::warn!(pid, "Chromium did not stop on SIGTERM; killing it");
        }
    }
    signal_group(pid, true);
    let _ = child.start_kill();
    let _ = child.wait().await;
}

#[cfg(unix)]
fn signal_group(pid: u32, kill: bool) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let Some(pgid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let signal = if kill { Signal::KILL } else { Signal::TERM };
    // ESRCH (nothing left) is the usual answer after a crash.
    let _ = kill_process_group(pgid, signal);
}

#[cfg(not(unix))]
fn signal_group(_pid: u32, _kill: bool) {}

fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    match status.code() {
        Some(0) => "exited".into(),
        Some(code) => format!("exited with status {code}"),
        None => format!("ended ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_ceiling_and_resets() {
        let mut b = Backoff::default();
        let seen: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(seen, [1, 2, 4, 8, 16, 30, 30]);
        b.reset();
        assert_eq!(b.next_delay(), BACKOFF_MIN);
    }
}
