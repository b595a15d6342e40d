//! The queue hub: the one [`Board`] behind a lock, and a `watch` channel that hands every change to every
//! `/events` stream. A `watch` keeps only the latest value, so a browser that falls behind gets the newest
//! picture, never a backlog; the JSON is made once per change, not once per browser.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::board::{Board, Moment, Snapshot};
use crate::settings::CallinSettings;

/// Shared by the webhooks, the poller, `/queue-status` and `/events`.
#[derive(Debug)]
pub struct QueueHub {
    board: Mutex<Board>,
    tx: watch::Sender<Arc<str>>,
    /// Set at shutdown: open `/events` streams end, so the server need not wait for them.
    closing: watch::Sender<bool>,
}

impl QueueHub {
    pub fn new(settings: &CallinSettings) -> QueueHub {
        let stale_after = settings.poll_interval * 3 + std::time::Duration::from_secs(10);
        let board = Board::new(
            &settings.queue,
            &settings.screened_queue(),
            settings.max_size,
            stale_after,
            now(),
        )
        .screened_only(settings.screened_only);
        let (tx, _) = watch::channel(to_json(&board.snapshot()));
        QueueHub {
            board: Mutex::new(board),
            tx,
            closing: watch::Sender::new(false),
        }
    }

    /// The board, told the time: the hub is where the call-in reads the clock, for the webhooks, the poller and
    /// the readers alike.
    fn lock(&self) -> MutexGuard<'_, Board> {
        let mut board = self.board.lock().unwrap_or_else(|p| p.into_inner());
        board.set_time(now());
        board
    }

    /// Changes the board and publishes the result to every subscriber.
    pub fn update<R>(&self, change: impl FnOnce(&mut Board) -> R) -> R {
        let mut board = self.lock();
        let out = change(&mut board);
        self.tx.send_replace(to_json(&board.snapshot()));
        out
    }

    /// Reads the board without publishing.
    pub fn read<R>(&self, look: impl FnOnce(&Board) -> R) -> R {
        look(&self.lock())
    }

    pub fn snapshot(&self) -> Snapshot {
        self.lock().snapshot()
    }

    /// The latest picture as JSON, and each later one.
    pub fn subscribe(&self) -> watch::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    /// Ends every `/events` stream (the server is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`QueueHub::close`] was called.
    pub fn closed(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }

    /// How many `/events` streams are open.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// The clock, read.
fn now() -> Moment {
    Moment {
        instant: std::time::Instant::now(),
        system: std::time::SystemTime::now(),
    }
}

fn to_json(snapshot: &Snapshot) -> Arc<str> {
    serde_json::to_string(snapshot)
        .unwrap_or_else(|_| "{}".into())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_that_falls_behind_gets_only_the_latest_picture() {
        let hub = QueueHub::new(&CallinSettings::default());
        let mut rx = hub.subscribe();
        rx.mark_unchanged();
        for i in 0..1000 {
            hub.update(|b| b.arrived(super::super::Line::Main, &format!("CA{i}"), None));
        }
        assert!(rx.has_changed().unwrap());
        let latest: serde_json::Value = serde_json::from_str(&rx.borrow_and_update()).unwrap();
        assert_eq!(latest["size"], 1000);
        assert!(
            !rx.has_changed().unwrap(),
            "one value, not a backlog of 1000"
        );
    }

    #[tokio::test]
    async fn close_ends_the_streams() {
        let hub = QueueHub::new(&CallinSettings::default());
        let closed = hub.closed();
        hub.close();
        tokio::time::timeout(std::time::Duration::from_secs(1), closed)
            .await
            .expect("closed() resolves after close()");
        tokio::time::timeout(std::time::Duration::from_secs(1), hub.closed())
            .await
            .expect("and for streams opened afterwards");
    }
}
