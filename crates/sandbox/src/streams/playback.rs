//! What the server sent back on a bidirectional stream, waiting to be heard: μ-law bytes played
//! 160 at a time, and marks that fall due once the audio queued before them has played.

use std::collections::VecDeque;

use audio::{FRAME_SAMPLES, Frame};

/// Twilio drops audio beyond 10 minutes buffered.
const MAX_BUFFERED: usize = 10 * 60 * 8000;

/// The playback queue of one stream.
#[derive(Debug, Default)]
pub struct Playback {
    queue: VecDeque<u8>,
    /// Bytes played (or cleared) since the stream started.
    played: u64,
    /// Marks with the byte offset at which they fall due, oldest first.
    marks: VecDeque<(u64, String)>,
}

impl Playback {
    fn queued_end(&self) -> u64 {
        self.played + self.queue.len() as u64
    }

    /// Queues `ulaw` after what is already there (beyond 10 minutes buffered, dropped).
    pub fn push(&mut self, ulaw: &[u8]) {
        let room = MAX_BUFFERED.saturating_sub(self.queue.len());
        self.queue.extend(&ulaw[..ulaw.len().min(room)]);
    }

    /// Records a mark; returns its name when it is due at once (nothing queued).
    pub fn mark(&mut self, name: String) -> Option<String> {
        if self.queue.is_empty() && self.marks.is_empty() {
            return Some(name);
        }
        let at = self.queued_end();
        self.marks.push_back((at, name));
        None
    }

    /// Empties the queue; returns every pending mark, in order.
    pub fn clear(&mut self) -> Vec<String> {
        self.played = self.queued_end();
        self.queue.clear();
        self.marks.drain(..).map(|(_, name)| name).collect()
    }

    /// The next 20 ms to hear (silence-padded), and the marks that fell due by playing it.
    pub fn next_frame(&mut self) -> (Frame, Vec<String>) {
        let n = self.queue.len().min(FRAME_SAMPLES);
        let bytes: Vec<u8> = self.queue.drain(..n).collect();
        self.played += n as u64;
        let mut due = Vec::new();
        while self.marks.front().is_some_and(|(at, _)| *at <= self.played) {
            due.extend(self.marks.pop_front().map(|(_, name)| name));
        }
        (Frame::from_ulaw(&bytes), due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_in_order_and_marks_fall_due_after_their_audio() {
        let mut p = Playback::default();
        assert_eq!(p.mark("empty".into()), Some("empty".into()));
        p.push(&[0x00; 100]);
        p.push(&[0xff; 300]);
        assert_eq!(p.mark("after-400".into()), None);
        let (first, due) = p.next_frame();
        assert!(due.is_empty());
        assert_eq!(first.to_ulaw()[..100], [0x00; 100]);
        assert_eq!(first.to_ulaw()[100..], [0xff; 60]);
        assert!(p.next_frame().1.is_empty(), "320 of 400 played");
        let (last, due) = p.next_frame();
        assert_eq!(due, ["after-400"]);
        assert_eq!(last.0[80..], [0; 80], "padded with silence");
        assert_eq!(p.next_frame().0, Frame::SILENCE);
    }

    #[test]
    fn clear_returns_pending_marks() {
        let mut p = Playback::default();
        p.push(&[0x10; 1000]);
        assert_eq!(p.mark("a".into()), None);
        p.push(&[0x10; 1000]);
        assert_eq!(p.mark("b".into()), None);
        assert_eq!(p.clear(), ["a", "b"]);
        assert_eq!(p.next_frame(), (Frame::SILENCE, vec![]));
        assert_eq!(p.mark("c".into()), Some("c".into()));
    }
}
