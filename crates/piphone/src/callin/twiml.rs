//! What callers and hosts hear, as TwiML. Twilio limits what each document may hold (facts file):
//! the hold (`waitUrl`) TwiML only Say, Play, Pause, Redirect, Gather, Hangup, Leave; the on-air (`<Queue url>`)
//! TwiML only Play, Say, Pause, Redirect.

use twilio::twiml::{Dial, Enqueue, Pause, Play, Queue, Redirect, Reject, Say, VoiceResponse};
use url::Url;

use super::{CallinSettings, Greeting};

/// The hold TwiML, requested again each time it finishes.
pub const WAIT_PATH: &str = "/voice/wait";
/// Where a caller's call continues once they leave the queue (hung up, dropped by Next, queue full…).
pub const LEFT_PATH: &str = "/voice/left";
/// The host's `<Dial>` action: take the next caller.
pub const NEXT_PATH: &str = "/voice/next";
/// Played to a caller as they are taken off the queue, before the bridge.
pub const ON_AIR_PATH: &str = "/voice/on-air";
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
