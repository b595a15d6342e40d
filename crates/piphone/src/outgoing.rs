//! The checks every outgoing call passes, whichever phone places it: the browser phone's `/voice` webhook
//! (`routes::webhooks::voice`) and the stream phone (`crate::phone`) both call [`check`], so the rules (the user's
//! rights, a caller ID, the dial policy, the toll-fraud limits) and the refusal log live once.

use crate::call_log;
use crate::domain::{DialPolicy, PhoneNumber};
use crate::settings::Settings;
use crate::store::{CallKind, DialVerdict, NewCall, Store, User};

/// What the checks need from the server.
pub struct Dialling<'a> {
    pub store: &'a Store,
    pub policy: &'a DialPolicy,
    pub settings: &'a Settings,
    pub caller_id: Option<&'a str>,
}

/// The checks' answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Dial it: the number passed and the user's slot is taken in the dial log under the call's key (free it with
    /// `Store::log_ended` when the call ends).
    Dial {
        number: PhoneNumber,
        caller_id: String,
    },
    /// Refused, with the sentence to tell the person (already logged; limits and policy refusals also listed
    /// to the admins).
    Refused(String),
}

/// Checks `user` calling `to`; `key` names the attempt in the dial and call logs (the browser call's CallSid;
/// for a call piphone places by REST, whose CallSid comes later, a key of its own).
pub async fn check(d: &Dialling<'_>, user: &User, to: &str, key: &str) -> Verdict {
    if !user.role.can_dial() {
        tracing::warn!(user = %user.username, "call refused: role may not dial");
        return Verdict::Refused("This account is not allowed to make calls.".into());
    }
    let Some(caller_id) = d.caller_id else {
        tracing::error!("call refused: no caller ID configured (PIPHONE_CALLER_ID)");
        return Verdict::Refused(
            "No caller ID is configured, so the call cannot be placed.".into(),
        );
    };
    let number = match d.policy.check(to) {
        Ok(number) => number,
        Err(refusal) => {
            let sentence = format!("Sorry, {refusal}. Goodbye.");
            return refused_logged(d, user, to, key, refusal.code(), sentence).await;
        }
    };
    let verdict = d
        .store
        .try_dial(
            &user.username,
            number.e164(),
            key,
            i64::from(d.settings.max_calls_per_day),
            i64::from(d.settings.max_concurrent_calls),
        )
        .await;
    let (reason, sentence) = match verdict {
        Ok(DialVerdict::Dialled) => {
            return Verdict::Dial {
                number,
                caller_id: caller_id.to_owned(),
            };
        }
        Ok(DialVerdict::DailyLimit) => (
            "daily_limit",
            "Sorry, this account has reached its daily call limit.",
        ),
        Ok(DialVerdict::ConcurrentLimit) => (
            "concurrent_limit",
            "Sorry, this account already has calls in progress.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "dial log unavailable; refusing rather than dialling unchecked");
            return Verdict::Refused(
                "Sorry, the call cannot be placed right now. Please try again.".into(),
            );
        }
    };
    refused_logged(d, user, to, key, reason, sentence.into()).await
}

/// Records a refusal (user, number, reason) for the admins and in the call log.
async fn refused_logged(
    d: &Dialling<'_>,
    user: &User,
    to: &str,
    key: &str,
    reason: &str,
    sentence: String,
) -> Verdict {
    tracing::warn!(user = %user.username, to = %to, reason, "call refused");
    if let Err(e) = d.store.log_refused(&user.username, to, reason).await {
        tracing::error!(error = %e, "could not record a refused call");
    }
    let call = NewCall::now(key, CallKind::Outgoing, to.trim(), "refused");
    call_log::started(
        d.store,
        call.detail(reason).username(&user.username).ended(),
    )
    .await;
    Verdict::Refused(sentence)
}
