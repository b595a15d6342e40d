//! The ends of parties and connections outside the engine (see the module doc of `media`).

use audio::Frame;
use tokio::sync::mpsc;

use super::{Connection, Media, Mouth};

/// Frames an [`Outside`] channel holds (160 ms).
const CHANNEL_FRAMES: usize = 8;
/// The two ends of a party or connection outside the engine: `tx` into the call, `rx` out of it.
#[derive(Debug)]
pub struct Outside {
    pub tx: mpsc::Sender<Frame>,
    pub rx: mpsc::Receiver<Frame>,
}

/// The engine-side ends matching an [`Outside`].
pub struct Inside {
    pub(super) from: mpsc::Receiver<Frame>,
    pub(super) to: mpsc::Sender<Frame>,
}

fn outside_pair() -> (Outside, Inside) {
    let (tx, from) = mpsc::channel(CHANNEL_FRAMES);
    let (to, rx) = mpsc::channel(CHANNEL_FRAMES);
    (Outside { tx, rx }, Inside { from, to })
}

impl Inside {
    /// The next frame from outside (silence if none came), and offers `frame` to it; `None` once it hung up.
    pub(super) fn exchange(&mut self, frame: Frame) -> Option<Frame> {
        if let Err(mpsc::error::TrySendError::Closed(_)) = self.to.try_send(frame) {
            return None;
        }
        Some(self.from.try_recv().unwrap_or(Frame::SILENCE))
    }
}

impl Media {
    /// The party of leg `sid` is outside the engine from now on (see the module doc).
    #[cfg_attr(
        not(any(test, feature = "webrtc")),
        expect(
            dead_code,
            reason = "browsers' WebRTC media (the `webrtc` feature) plugs in here"
        )
    )]
    pub fn attach_party(&self, sid: &str) -> Option<Outside> {
        let (outside, inside) = outside_pair();
        let mut legs = self.legs();
        let leg = legs.legs.get_mut(sid).filter(|l| l.live)?;
        leg.mouth = Mouth::Outside(inside);
        Some(outside)
    }

    /// Leg `sid` hears (and is heard by) an endpoint outside the engine (see the module doc).
    pub fn connect_outside(&self, sid: &str) -> Option<Outside> {
        let (outside, inside) = outside_pair();
        self.connect(sid, Connection::Outside(inside))?;
        Some(outside)
    }

    /// A copy of what leg `sid`'s party says, until the receiver is dropped.
    pub fn listen(&self, sid: &str) -> Option<mpsc::Receiver<Frame>> {
        let (tx, rx) = mpsc::channel(CHANNEL_FRAMES);
        let mut legs = self.legs();
        legs.legs.get_mut(sid).filter(|l| l.live)?.forks.push(tx);
        Some(rx)
    }
}
