//! `<Enqueue>`: the caller waits while `waitUrl` is requested again and again; when it leaves
//! (hangup, redirected, bridged then unbridged) the `action` is requested with `QueueResult` and
//! its TwiML continues on the caller's leg if the leg is still up.

use std::pin::Pin;
use std::time::Instant;

use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use super::leg::{Flow, Leg, perform};
use super::queue::{DEFAULT_MAX_SIZE, Member, Queue, leave};
use super::sound::digits_fields;
use super::twiml::{self, Enqueue, Verb};
use super::{Engine, Method, Signal, Source};

enum RoundEnd {
    Done,
    Hangup,
    Leave,
}

enum Left {
    Hangup(String),
    Redirected(Source),
    Bridged { still_up: bool },
    Leave,
    Full,
}

impl Leg {
    pub async fn enqueue(&mut self, e: Enqueue) -> Flow {
        self.ensure_answered();
        let joined = {
            let mut st = self.engine.state();
            let idx = match st.queues.iter().position(|q| q.friendly_name == e.name) {
                Some(i) => i,
                None => {
                    st.queues.push(Queue::new(&e.name, DEFAULT_MAX_SIZE));
                    st.queues.len() - 1
                }
            };
            let q = &mut st.queues[idx];
            let qsid = q.sid.clone();
            let full = q.members.len() >= q.max_size as usize;
            if !full {
                q.members.push(Member {
                    call_sid: self.sid.clone(),
                    enqueued: Instant::now(),
                    date_enqueued: OffsetDateTime::now_utc(),
                });
                q.updated = OffsetDateTime::now_utc();
                if let Some(c) = st.calls.get_mut(&self.sid) {
                    c.queue = Some(qsid.clone());
                }
            }
            (qsid, full)
        };
        let (qsid, full) = joined;
        let since = Instant::now();
        let left = if full {
            Left::Full
        } else {
            self.engine.event(
                &self.sid,
                "enqueued",
                json!({ "queue": e.name, "queue_sid": qsid }),
            );
            self.wait_in_queue(&e, &qsid).await
        };
        leave(&self.engine, &self.sid, &qsid);
        let result = match &left {
            Left::Hangup(_) => "hangup",
            Left::Redirected(_) => "redirected",
            Left::Bridged { .. } => "bridged",
            Left::Leave => "leave",
            Left::Full => "queue-full",
        };
        self.engine.event(
            &self.sid,
            "left_queue",
            json!({ "result": result, "queue_sid": qsid }),
        );
        let queue_time = self.engine.timing.sim_secs(since.elapsed());
        let flow = match left {
            Left::Hangup(by) => {
                self.end(&by);
                Flow::Ended
            }
            Left::Redirected(s) => Flow::Goto(s),
            Left::Bridged { still_up: false } => Flow::Ended,
            Left::Bridged { still_up: true } | Left::Leave | Left::Full => Flow::Next,
        };
        let Some((url, method)) = e.action else {
            return flow;
        };
        let mut params = self.params();
        params.extend([
            ("QueueResult".to_owned(), result.to_owned()),
            ("QueueSid".to_owned(), qsid),
            ("QueueTime".to_owned(), queue_time.to_string()),
        ]);
        match flow {
            Flow::Next => match self
                .race(self.engine.clone().webhook_owned(
                    self.sid.clone(),
                    url.clone(),
                    method,
                    params,
                ))
                .await
            {
                Ok(Ok(body)) => Flow::Goto(Source::Document { url, body }),
                Ok(Err(_)) => Flow::Next,
                Err(i) => self.interrupted(i),
            },
            other => {
                let _ = self.engine.webhook(&self.sid, &url, method, &params).await;
                other
            }
        }
    }

    async fn wait_in_queue(&mut self, e: &Enqueue, qsid: &str) -> Left {
        let (engine, sid, params, wait) = (
            self.engine.clone(),
            self.sid.clone(),
            self.params(),
            e.wait.clone(),
        );
        let round = || -> Pin<Box<dyn Future<Output = RoundEnd> + Send>> {
            Box::pin(wait_round(
                engine.clone(),
                sid.clone(),
                qsid.to_owned(),
                params.clone(),
                wait.clone(),
            ))
        };
        let mut current = round();
        loop {
            let signal = tokio::select! {
                end = &mut current => match end {
                    RoundEnd::Done => { current = round(); continue; }
                    RoundEnd::Hangup => return Left::Hangup("twiml".into()),
                    RoundEnd::Leave => return Left::Leave,
                },
                s = self.rx.recv() => s,
            };
            match signal {
                None => return Left::Hangup("system".into()),
                Some(Signal::Hangup { by }) => return Left::Hangup(by),
                Some(Signal::Redirect(s)) => return Left::Redirected(s),
                Some(Signal::Digits { digits, inband }) => {
                    self.engine
                        .event(&self.sid, "digits", digits_fields(&digits, inband))
                }
                Some(Signal::Dequeued { by }) => {
                    self.engine.event(
                        &self.sid,
                        "dequeued",
                        json!({ "by": by, "queue_sid": qsid }),
                    );
                    return self.bridged_to(&by).await;
                }
                Some(_) => {}
            }
        }
    }

    /// Dequeued by `by`'s `<Dial><Queue>`: wait until the bridge ends.
    async fn bridged_to(&mut self, by: &str) -> Left {
        loop {
            match self.rx.recv().await {
                Some(Signal::Unbridged) => return Left::Bridged { still_up: true },
                None | Some(Signal::Hangup { .. }) => {
                    self.engine.signal(
                        by,
                        Signal::PeerHangup {
                            sid: self.sid.clone(),
                        },
                    );
                    self.end("caller");
                    return Left::Bridged { still_up: false };
                }
                Some(Signal::Redirect(s)) => {
                    self.engine.signal(
                        by,
                        Signal::PeerHangup {
                            sid: self.sid.clone(),
                        },
                    );
                    return Left::Redirected(s);
                }
                Some(Signal::Digits { digits, inband }) => {
                    self.engine
                        .event(&self.sid, "digits", digits_fields(&digits, inband));
                }
                Some(_) => {}
            }
        }
    }
}

/// One pass of the wait music: request `waitUrl` with the queue fields, run its TwiML.
async fn wait_round(
    engine: Engine,
    sid: String,
    qsid: String,
    mut params: Vec<(String, String)>,
    wait: Option<(Url, Method)>,
) -> RoundEnd {
    let Some((url, method)) = wait else {
        return std::future::pending().await;
    };
    {
        let st = engine.state();
        if let Some(q) = st.queues.iter().find(|q| q.sid == qsid) {
            let pos = q
                .members
                .iter()
                .position(|m| m.call_sid == sid)
                .map_or(0, |p| p + 1);
            let waited = q
                .members
                .iter()
                .find(|m| m.call_sid == sid)
                .map_or(0, |m| engine.timing.sim_secs(m.enqueued.elapsed()));
            params.extend([
                ("QueuePosition".to_owned(), pos.to_string()),
                ("QueueTime".to_owned(), waited.to_string()),
                (
                    "AvgQueueTime".to_owned(),
                    q.average_wait(&engine).to_string(),
                ),
                ("CurrentQueueSize".to_owned(), q.members.len().to_string()),
                ("QueueSid".to_owned(), qsid.clone()),
            ]);
        }
    }
    let mut doc = (url, method);
    for _hop in 0..10 {
        let Ok(body) = engine.webhook(&sid, &doc.0, doc.1, &params).await else {
            // A failing waitUrl is retried after a pause rather than hammered.
            tokio::time::sleep(engine.timing.scaled(1000)).await;
            return RoundEnd::Done;
        };
        let verbs = twiml::parse(&body, &doc.0).unwrap_or_default();
        let mut next = None;
        for verb in verbs {
            match verb {
                v @ (Verb::Say { .. } | Verb::Play { .. } | Verb::Pause { .. }) => {
                    perform(engine.clone(), sid.clone(), v).await
                }
                Verb::Hangup => return RoundEnd::Hangup,
                Verb::Leave => return RoundEnd::Leave,
                Verb::Redirect { url, method } => {
                    engine.event(&sid, "redirect", json!({ "url": url.as_str() }));
                    next = Some((url, method));
                    break;
                }
                other => engine.event(&sid, "unsupported", json!({ "verb": format!("{other:?}") })),
            }
        }
        match next {
            Some(n) => doc = n,
            None => break,
        }
    }
    // Twilio plays hold music between requests; never spin on an empty wait document.
    tokio::time::sleep(engine.timing.scaled(100)).await;
    RoundEnd::Done
}
