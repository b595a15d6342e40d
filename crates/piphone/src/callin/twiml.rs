//! What callers and hosts hear, as TwiML. Twilio limits what each document may hold (facts file):
//! the hold (`waitUrl`) TwiML only Say, Play, Pause, Redirect, Gather, Hangup, Leave; the on-air (`<Queue url>`)
//! TwiML only Play, Say, Pause, Redirect.

use twilio::twiml::{
    Client, Dial, Enqueue, Pause, Play, Queue, Redirect, Reject, Say, VoiceResponse,
};
use url::Url;

use crate::settings::{CallinSettings, Greeting};

/// The hold TwiML, requested again each time it finishes.
pub const WAIT_PATH: &str = "/voice/wait";
/// Where a caller's call continues once they leave the queue (hung up, dropped by Next, queue full…).
pub const LEFT_PATH: &str = "/voice/left";
/// The host's `<Dial>` action: take the next caller.
pub const NEXT_PATH: &str = "/voice/next";
/// Played to a caller as they are taken off the queue, before the bridge.
pub const ON_AIR_PATH: &str = "/voice/on-air";
/// The screened queue's hold TwiML and `<Enqueue action>`.
pub const SCREENED_WAIT_PATH: &str = "/voice/wait?line=screened";
pub const SCREENED_LEFT_PATH: &str = "/voice/left?line=screened";
/// A caller taken by a screener: the TwiML that rings the screener's browser (`?screener=<identity>`).
pub const SCREEN_PATH: &str = "/voice/screen";
/// The screener's `<Dial action>`: the screener did not answer, or the call with them ended.
pub const SCREEN_ENDED_PATH: &str = "/voice/screen-ended";
/// A screened caller sent on to the host: the TwiML that enqueues them in the screened queue.
pub const SCREENED_PATH: &str = "/voice/screened";
/// A caller a host chose: the TwiML that enqueues them in the host's own queue (`?host=<identity>`).
pub const PICKED_PATH: &str = "/voice/picked";
/// Seconds the screener's browser rings before the caller goes back in line.
const SCREENER_RING_SECS: u32 = 20;
/// The `<Parameter>` that tells the screener's console which caller is ringing.
pub const SCREENING_PARAM: &str = "ScreeningCallSid";

/// `/voice/next` while nobody waits: the host's line stays open, quietly.
const IDLE_PATH: &str = "/voice/next?idle=1";
/// Seconds between looks at the queue while nobody waits.
const IDLE_PAUSE_SECS: u32 = 2;

/// The station number's answer: greeting, then the queue.
pub fn greet_and_enqueue(settings: &CallinSettings) -> VoiceResponse {
    let response = match &settings.greeting {
        Greeting::Say(text) => VoiceResponse::new().say(Say::new(text)),
        Greeting::Play(url) => VoiceResponse::new().play(Play::new(url.as_str())),
    };
    let enqueue = Enqueue::new(&settings.queue)
        .expect("queue name checked in settings")
        .wait_url(WAIT_PATH)
        .action(LEFT_PATH);
    response.enqueue(enqueue)
}

/// The call-in queue again, after a screener who did not answer: no greeting this time.
pub fn back_in_line(settings: &CallinSettings) -> VoiceResponse {
    VoiceResponse::new()
        .say(Say::new("Sorry to keep you waiting. You are back in line."))
        .enqueue(
            Enqueue::new(&settings.queue)
                .expect("queue name checked in settings")
                .wait_url(WAIT_PATH)
                .action(LEFT_PATH),
        )
}

/// A caller taken from the queue by `screener`: ring the screener's browser (`<Dial><Client>`), telling it
/// which caller this is. If the screener does not answer, or hangs up, `/voice/screen-ended` decides.
pub fn ring_screener(screener: &str, call_sid: &str) -> VoiceResponse {
    VoiceResponse::new()
        .say(Say::new(
            "Thanks for holding. Putting you through to our call screener.",
        ))
        .dial(
            Dial::new()
                .timeout(SCREENER_RING_SECS)
                .action(SCREEN_ENDED_PATH)
                .client(Client::with_identity(screener).parameter(SCREENING_PARAM, call_sid)),
        )
}

/// A screened caller waits for the host in the screened queue, with the same hold and leaving as before.
pub fn enqueue_screened(settings: &CallinSettings) -> VoiceResponse {
    VoiceResponse::new()
        .say(Say::new(
            "Thanks! You are next in line for the host. Please hold.",
        ))
        .enqueue(screened_queue(settings, SCREENED_WAIT_PATH))
}

/// `<Enqueue>` into the screened queue, its hold at `wait_url` (normally [`SCREENED_WAIT_PATH`]) and its leaving
/// at [`SCREENED_LEFT_PATH`].
pub fn screened_queue(settings: &CallinSettings, wait_url: &str) -> Enqueue {
    Enqueue::new(settings.screened_queue())
        .expect("screened queue name checked in settings")
        .wait_url(wait_url)
        .action(SCREENED_LEFT_PATH)
}

/// A caller a host chose waits in the host's own queue; its hold and action carry the host's identity.
pub fn enqueue_picked(queue: &str, host: &str) -> Option<VoiceResponse> {
    let host: String = url::form_urlencoded::byte_serialize(host.as_bytes()).collect();
    let enqueue = Enqueue::new(queue)
        .ok()?
        .wait_url(&format!("/voice/wait?line=pick&host={host}"))
        .action(&format!("/voice/left?line=pick&host={host}"));
    Some(
        VoiceResponse::new()
            .say(Say::new("You are next on the air. Stay with us."))
            .enqueue(enqueue),
    )
}

/// A chosen caller's host is gone: out of the host's queue (back to the screened queue at its action).
pub fn leave_queue() -> VoiceResponse {
    VoiceResponse::new().leave()
}

/// A banned number: refused before it is answered (no charge, no greeting).
pub fn refuse_banned() -> VoiceResponse {
    VoiceResponse::new().reject(Reject::new())
}

/// The queue is at its size limit.
pub fn lines_full() -> VoiceResponse {
    VoiceResponse::new()
        .say(Say::new(
            "Sorry, all our lines are busy right now. Please try again later. Goodbye.",
        ))
        .hangup()
}

/// One pass of hold: the caller's place when due, then the hold music.
pub fn hold(place: Option<u32>, music: &Url) -> VoiceResponse {
    let mut response = VoiceResponse::new();
    if let Some(place) = place {
        let sentence = if place <= 1 {
            "You are next in line. Please stay with us.".to_owned()
        } else {
            format!("You are caller number {place} in line. Please stay with us.")
        };
        response = response.say(Say::new(sentence));
    }
    response.play(Play::new(music.as_str()))
}

/// After the queue (`QueueResult`): a short goodbye, then hang up.
pub fn goodbye(queue_result: &str) -> VoiceResponse {
    let sentence = match queue_result {
        "queue-full" => "Sorry, all our lines are busy right now. Please try again later. Goodbye.",
        "error" | "system-error" => "Sorry, something went wrong. Please call again. Goodbye.",
        _ => "Thanks for calling the show. Goodbye.",
    };
    VoiceResponse::new().say(Say::new(sentence)).hangup()
}

/// Said to the caller as they are taken off the queue.
pub fn on_air() -> VoiceResponse {
    VoiceResponse::new().say(Say::new("You're on the air."))
}

/// The host takes the caller at the front. `*` (hangupOnStar) drops that caller and continues at `/voice/next`,
/// which dials the queue again: the host's line stays open from caller to caller. (`#` does nothing in a Dial.)
pub fn take_next(queue: &str) -> VoiceResponse {
    VoiceResponse::new().dial(
        Dial::new()
            .hangup_on_star(true)
            .action(NEXT_PATH)
            .queue(Queue::new(queue).url(ON_AIR_PATH)),
    )
}

/// Nobody waits: say so (once), wait a moment, look again.
pub fn wait_for_callers(first: bool) -> VoiceResponse {
    let mut response = VoiceResponse::new();
    if first {
        response = response.say(Say::new("Waiting for callers."));
    }
    response
        .pause(Pause::new().length(IDLE_PAUSE_SECS))
        .redirect(Redirect::new(IDLE_PATH))
}
