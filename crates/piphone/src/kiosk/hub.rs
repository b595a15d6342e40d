//! The relay between the command line and the kiosk page.
//!
//! The page holds one Server-Sent Events stream open (`GET /api/kiosk/commands`); [`KioskHub::relay`] pushes a
//! command down it and waits, with a timeout, for the page to post the outcome back with the command's id.
//! One page at a time: a newer page replaces the older one, which is told so (and stops reconnecting). The page
//! also posts its phone's state after each change, which `piphone status` reads without bothering the page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot, watch};

use super::control::ControlSecret;
use super::messages::{Command, Outcome, PageReport, Status};
use crate::store::KioskOptions;

impl PageReport {
    /// Caps what a page can make the server keep.
    fn bounded(mut self) -> PageReport {
        let cut = |s: &mut String| {
            if s.len() > 200 {
                let mut end = 200;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.truncate(end);
            }
        };
        cut(&mut self.state);
        cut(&mut self.text);
        for s in [
            &mut self.incoming_from,
            &mut self.microphone,
            &mut self.speaker,
            &mut self.far_end_digits,
        ]
        .into_iter()
        .flatten()
        {
            cut(s);
        }
        self.microphones.truncate(32);
        self.speakers.truncate(32);
        self.microphones.iter_mut().for_each(cut);
        self.speakers.iter_mut().for_each(cut);
        self
    }
}

/// What goes down the page's stream.
#[derive(Debug, Clone)]
pub enum PageEvent {
    Command {
        id: String,
        command: Command,
        timeout: Duration,
    },
    /// A newer kiosk page took over: this one should stop listening.
    Replaced,
}

/// Why a command got no outcome.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RelayError {
    #[error("the kiosk page is not connected (is `piphone kiosk` running?)")]
    NotConnected,
    #[error("the kiosk page went away before answering")]
    PageGone,
    #[error("the kiosk page did not answer within {0} s")]
    Timeout(u64),
}

struct Page {
    id: u64,
    identity: String,
    options: KioskOptions,
    events: mpsc::UnboundedSender<PageEvent>,
    report: Option<PageReport>,
}

#[derive(Default)]
struct Inner {
    page: Option<Page>,
    next_id: u64,
    pending: HashMap<String, (u64, oneshot::Sender<Outcome>)>,
    since: Option<SystemTime>,
}

/// Shared by the routes; cheap to clone through `Arc`.
pub struct KioskHub {
    secret: ControlSecret,
    inner: Mutex<Inner>,
    closed: watch::Sender<bool>,
}

/// A page's hold on the hub: the events for it, and (on drop) its departure.
pub struct Attached {
    pub page: u64,
    pub events: mpsc::UnboundedReceiver<PageEvent>,
    hub: Arc<KioskHub>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.hub.detach(self.page);
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl KioskHub {
    pub fn new(secret: ControlSecret) -> KioskHub {
        KioskHub {
            secret,
            inner: Mutex::default(),
            closed: watch::Sender::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether an `Authorization` header value carries the local control secret.
    pub fn authorizes(&self, authorization: &str) -> bool {
        self.secret.accepts(authorization)
    }

    /// A kiosk page connects; any older page is told it was replaced and its pending commands fail.
    pub fn attach(self: &Arc<Self>, identity: &str, options: KioskOptions) -> Attached {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        if let Some(old) = inner.page.take() {
            let _ = old.events.send(PageEvent::Replaced);
            inner.pending.retain(|_, (page, _)| *page != old.id);
            tracing::info!(
                old = old.id,
                new = id,
                "a newer kiosk page replaced the old one"
            );
        }
        inner.page = Some(Page {
            id,
            identity: identity.to_owned(),
            options,
            events: tx,
            report: None,
        });
        inner.since = Some(SystemTime::now());
        tracing::info!(page = id, identity, "kiosk page connected");
        Attached {
            page: id,
            events: rx,
            hub: Arc::clone(self),
        }
    }

    fn detach(&self, page: u64) {
        let mut inner = self.lock();
        if inner.page.as_ref().is_some_and(|p| p.id == page) {
            inner.page = None;
            inner.since = Some(SystemTime::now());
            tracing::warn!(page, "kiosk page disconnected");
        }
        // Commands waiting on this page fail now rather than at their timeout.
        inner.pending.retain(|_, (p, _)| *p != page);
    }

    /// Sends `command` to the page and waits up to `timeout` for its outcome.
    pub async fn relay(&self, command: Command, timeout: Duration) -> Result<Outcome, RelayError> {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.lock();
            let Some(page) = &inner.page else {
                return Err(RelayError::NotConnected);
            };
            let event = PageEvent::Command {
                id: id.clone(),
                command: command.clone(),
                timeout,
            };
            if page.events.send(event).is_err() {
                return Err(RelayError::NotConnected);
            }
            let page = page.id;
            inner.pending.insert(id.clone(), (page, tx));
        }
        tracing::info!(id = %id, ?command, "relaying a command to the kiosk page");
        let answer = tokio::time::timeout(timeout, rx).await;
        self.lock().pending.remove(&id);
        let outcome = match answer {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => return Err(RelayError::PageGone),
            Err(_) => return Err(RelayError::Timeout(timeout.as_secs())),
        };
        tracing::info!(id = %id, ok = outcome.ok, message = %outcome.message, "kiosk command done");
        Ok(outcome)
    }

    /// The page's answer to command `id`; `false` if nobody waits for it any more.
    pub fn resolve(&self, id: &str, outcome: Outcome) -> bool {
        match self.lock().pending.remove(id) {
            Some((_, waiter)) => waiter.send(outcome).is_ok(),
            None => false,
        }
    }

    /// The page's latest state; `false` if `page` is not the connected page.
    pub fn report(&self, page: u64, report: PageReport) -> bool {
        let mut inner = self.lock();
        match inner.page.as_mut() {
            Some(p) if p.id == page => {
                p.report = Some(report.bounded());
                true
            }
            _ => false,
        }
    }

    pub fn status(&self) -> Status {
        let inner = self.lock();
        let page = inner.page.as_ref();
        Status {
            connected: page.is_some(),
            since: inner.since.map(unix),
            identity: page.map(|p| p.identity.clone()),
            auto_answer: page.is_some_and(|p| p.options.auto_answer),
            phone: page.and_then(|p| p.report.clone()),
        }
    }

    /// Ends every page stream (server shutdown), so open streams do not hold up the drain.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Resolves once [`KioskHub::close`] was called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static + use<> {
        let mut rx = self.closed.subscribe();
        async move {
            let _ = rx.wait_for(|closed| *closed).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Arc<KioskHub> {
        let dir = tempfile::tempdir().unwrap();
        Arc::new(KioskHub::new(
            ControlSecret::load_or_create(dir.path()).unwrap(),
        ))
    }

    #[tokio::test]
    async fn a_newer_page_replaces_the_older() {
        let hub = hub();
        let mut first = hub.attach("kiosk", KioskOptions::default());
        let second = hub.attach("kiosk", KioskOptions { auto_answer: true });
        assert!(matches!(
            first.events.recv().await,
            Some(PageEvent::Replaced)
        ));
        assert!(
            !hub.report(first.page, PageReport::default()),
            "the old page's reports are ignored"
        );
        drop(first);
        assert!(
            hub.status().connected,
            "the old page leaving does not disconnect the new one"
        );
        assert!(hub.status().auto_answer);
        drop(second);
        assert!(!hub.status().connected);
    }

    #[tokio::test]
    async fn a_page_leaving_fails_its_commands_at_once() {
        let hub = hub();
        let page = hub.attach("kiosk", KioskOptions::default());
        let waiting = {
            let hub = Arc::clone(&hub);
            tokio::spawn(async move { hub.relay(Command::Hangup, Duration::from_secs(30)).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(page);
        assert_eq!(waiting.await.unwrap(), Err(RelayError::PageGone));
    }

    #[test]
    fn reports_are_bounded() {
        let long = "é".repeat(300);
        let r = PageReport {
            text: long.clone(),
            microphones: vec![long; 100],
            ..PageReport::default()
        }
        .bounded();
        assert!(r.text.len() <= 200);
        assert_eq!(r.microphones.len(), 32);
    }
}
