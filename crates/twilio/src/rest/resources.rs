//! The resource operations piphone needs, one method each.

use super::client::{Client, Form};
use super::{Application, Call, IncomingPhoneNumber, Member, Queue, RestError};
use crate::twiml::Method;

/// Which queue member to fetch or dequeue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    /// The caller at the front of the queue (Twilio's literal `Front`).
    Front,
    /// A specific waiting call, `CA…`.
    Call(String),
}

impl MemberRef {
    fn segment(&self) -> &str {
        match self {
            MemberRef::Front => "Front",
            MemberRef::Call(sid) => sid,
        }
    }
}

/// How a call ends: `completed` hangs up a call in progress, `canceled` a queued/ringing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndStatus {
    /// Hang up a call in progress.
    Completed,
    /// Cancel a call that is queued or ringing.
    Canceled,
}

/// What to do with a live call (`POST …/Calls/{CA}.json`); `Url` and `Twiml` are exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallUpdate {
    /// Continue the call with the TwiML at `url`.
    Redirect {
        /// Absolute URL of the new TwiML.
        url: String,
        /// How Twilio requests it.
        method: Method,
    },
    /// Continue the call with this TwiML document.
    Twiml(String),
    /// End the call.
    End(EndStatus),
}

impl CallUpdate {
    fn form(&self) -> Form {
        match self {
            CallUpdate::Redirect { url, method } => {
                vec![("Url", url.clone()), ("Method", method.to_string())]
            }
            CallUpdate::Twiml(twiml) => vec![("Twiml", twiml.clone())],
            CallUpdate::End(EndStatus::Completed) => vec![("Status", "completed".into())],
            CallUpdate::End(EndStatus::Canceled) => vec![("Status", "canceled".into())],
        }
    }

    /// Ending is idempotent (a second request finds the call ended); redirecting is not, as it
    /// restarts the call's TwiML.
    fn idempotent(&self) -> bool {
        matches!(self, CallUpdate::End(_))
    }
}

/// A call to place (`POST …/Calls.json`): it rings `to` from `from`, and once answered runs the TwiML at `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    /// The number (E.164) or `client:<identity>` to ring.
    pub to: String,
    /// The caller ID: a number of the account (or a verified caller ID).
    pub from: String,
    /// Where Twilio fetches (POST) the TwiML to run once the call is answered.
    pub url: String,
    /// Where Twilio posts progress, and which events (`initiated`, `ringing`, `answered`, `completed`).
    pub status_callback: Option<(String, Vec<&'static str>)>,
    /// Seconds to let it ring (Twilio's default 60).
    pub timeout_secs: Option<u32>,
}

impl NewCall {
    fn form(&self) -> Form {
        let mut form: Form = vec![
            ("To", self.to.clone()),
            ("From", self.from.clone()),
            ("Url", self.url.clone()),
            ("Method", "POST".into()),
        ];
        if let Some((url, events)) = &self.status_callback {
            form.push(("StatusCallback", url.clone()));
            form.push(("StatusCallbackMethod", "POST".into()));
            // A repeated field, one value each (as twilio-python sends a list).
            form.extend(
                events
                    .iter()
                    .map(|e| ("StatusCallbackEvent", (*e).to_owned())),
            );
        }
        if let Some(t) = self.timeout_secs {
            form.push(("Timeout", t.to_string()));
        }
        form
    }
}

/// A voice webhook setting: `VoiceUrl` plus `VoiceMethod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceUrl {
    /// Absolute URL Twilio requests for calls.
    pub url: String,
    /// How it is requested.
    pub method: Method,
}

impl VoiceUrl {
    fn form(&self) -> Form {
        vec![
            ("VoiceUrl", self.url.clone()),
            ("VoiceMethod", self.method.to_string()),
        ]
    }
}

impl Client {
    /// Every queue of the account (all pages).
    pub async fn list_queues(&self) -> Result<Vec<Queue>, RestError> {
        self.list(self.url(&["Queues"]), "queues").await
    }

    /// Creates a queue. Not retried on 5xx/timeouts (not idempotent).
    pub async fn create_queue(
        &self,
        friendly_name: &str,
        max_size: Option<u32>,
    ) -> Result<Queue, RestError> {
        let mut form: Form = vec![("FriendlyName", friendly_name.to_string())];
        if let Some(max) = max_size {
            form.push(("MaxSize", max.to_string()));
        }
        self.post(self.url(&["Queues"]), form, false).await
    }

    /// One queue by SID (`QU…`).
    pub async fn fetch_queue(&self, queue_sid: &str) -> Result<Queue, RestError> {
        self.get(self.url(&["Queues", queue_sid])).await
    }

    /// The callers waiting in a queue, front first (all pages).
    pub async fn list_members(&self, queue_sid: &str) -> Result<Vec<Member>, RestError> {
        self.list(self.url(&["Queues", queue_sid, "Members"]), "queue_members")
            .await
    }

    /// One waiting caller.
    pub async fn fetch_member(
        &self,
        queue_sid: &str,
        member: &MemberRef,
    ) -> Result<Member, RestError> {
        self.get(self.url(&["Queues", queue_sid, "Members", member.segment()]))
            .await
    }

    /// Takes a caller out of the queue into the TwiML at `url`. Not retried on 5xx/timeouts:
    /// a repeat could dequeue the *next* caller when `member` is [`MemberRef::Front`].
    pub async fn dequeue_member(
        &self,
        queue_sid: &str,
        member: &MemberRef,
        url: &str,
        method: Method,
    ) -> Result<Member, RestError> {
        let form: Form = vec![("Url", url.to_string()), ("Method", method.to_string())];
        let target = self.url(&["Queues", queue_sid, "Members", member.segment()]);
        self.post(target, form, false).await
    }

    /// One call by SID (`CA…`).
    pub async fn fetch_call(&self, call_sid: &str) -> Result<Call, RestError> {
        self.get(self.url(&["Calls", call_sid])).await
    }

    /// Places a call. Not retried on 5xx/timeouts (a repeat would ring the number twice).
    pub async fn create_call(&self, call: &NewCall) -> Result<Call, RestError> {
        self.post(self.url(&["Calls"]), call.form(), false).await
    }

    /// Redirects or ends a live call; retried on 5xx/timeouts only for [`CallUpdate::End`].
    pub async fn update_call(
        &self,
        call_sid: &str,
        update: &CallUpdate,
    ) -> Result<Call, RestError> {
        self.post(
            self.url(&["Calls", call_sid]),
            update.form(),
            update.idempotent(),
        )
        .await
    }

    /// Ends a call (`Status=completed`); idempotent, so retried.
    pub async fn end_call(&self, call_sid: &str) -> Result<Call, RestError> {
        self.update_call(call_sid, &CallUpdate::End(EndStatus::Completed))
            .await
    }

    /// TwiML Apps, optionally only those named `friendly_name` (all pages).
    pub async fn list_applications(
        &self,
        friendly_name: Option<&str>,
    ) -> Result<Vec<Application>, RestError> {
        let mut url = self.url(&["Applications"]);
        if let Some(name) = friendly_name {
            url.query_pairs_mut().append_pair("FriendlyName", name);
        }
        self.list(url, "applications").await
    }

    /// Creates a TwiML App with a voice URL. Not retried on 5xx/timeouts (a repeat would
    /// create a second app).
    pub async fn create_application(
        &self,
        friendly_name: &str,
        voice: &VoiceUrl,
    ) -> Result<Application, RestError> {
        let mut form = voice.form();
        form.push(("FriendlyName", friendly_name.to_string()));
        self.post(self.url(&["Applications"]), form, false).await
    }

    /// Sets a TwiML App's voice URL and method; idempotent, so retried.
    pub async fn update_application(
        &self,
        application_sid: &str,
        voice: &VoiceUrl,
    ) -> Result<Application, RestError> {
        self.post(
            self.url(&["Applications", application_sid]),
            voice.form(),
            true,
        )
        .await
    }

    /// Phone numbers of the account, optionally filtered by (part of) a number (all pages).
    pub async fn list_incoming_phone_numbers(
        &self,
        phone_number: Option<&str>,
    ) -> Result<Vec<IncomingPhoneNumber>, RestError> {
        let mut url = self.url(&["IncomingPhoneNumbers"]);
        if let Some(number) = phone_number {
            url.query_pairs_mut().append_pair("PhoneNumber", number);
        }
        self.list(url, "incoming_phone_numbers").await
    }

    /// Sets a number's voice URL and method; idempotent, so retried.
    pub async fn update_incoming_phone_number(
        &self,
        number_sid: &str,
        voice: &VoiceUrl,
    ) -> Result<IncomingPhoneNumber, RestError> {
        self.post(
            self.url(&["IncomingPhoneNumbers", number_sid]),
            voice.form(),
            true,
        )
        .await
    }
}
