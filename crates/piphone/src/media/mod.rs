//! TEMPORARY SHIM of the shared media layer (MEDIA-CONTRACT.md) until i14-media is merged; replaced by theirs.
#![allow(dead_code, unused_variables, missing_docs)]

pub mod streams {
    use tokio::sync::mpsc;

    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub enum StreamOwner {
        Line(u8),
        Phone,
    }
    pub enum OwnerKind {
        Line,
        Phone,
    }
    #[derive(Clone, Default)]
    pub struct StreamHub;
    pub struct StreamTicket {
        pub secret: String,
    }
    impl StreamHub {
        pub fn new() -> StreamHub {
            StreamHub
        }
        pub fn expect(&self, call_sid: &str, owner: StreamOwner) -> StreamTicket {
            StreamTicket { secret: String::new() }
        }
        pub fn forget(&self, call_sid: &str) {}
        pub fn subscribe(&self, owner_kind: OwnerKind) -> mpsc::Receiver<StreamLink> {
            mpsc::channel(1).1
        }
    }
    impl StreamTicket {
        pub fn connect_twiml(
            &self,
            public_base: &url::Url,
            owner: &StreamOwner,
        ) -> twilio::twiml::Connect {
            twilio::twiml::Connect::stream(twilio::twiml::Stream::new(format!(
                "wss://{}/voice/stream",
                public_base.host_str().unwrap_or_default()
            ).as_str()))
        }
    }
    pub struct StreamLink {
        pub call_sid: String,
        pub stream_sid: String,
        pub owner: StreamOwner,
        pub events: mpsc::Receiver<StreamEvent>,
        pub audio_out: mpsc::Sender<StreamOut>,
    }
    pub enum StreamEvent {
        Media { seq: u64, frame: audio::Frame },
        Dtmf(char),
        Mark(String),
        Stop { unexpected: bool },
    }
    pub enum StreamOut {
        Frame(audio::Frame),
        Mark(String),
        Clear,
    }
}

pub mod device {
    pub enum DeviceSpec {
        Alsa(String),
        File(std::path::PathBuf),
    }
    impl std::str::FromStr for DeviceSpec {
        type Err = String;
        fn from_str(s: &str) -> Result<Self, String> {
            Err(s.into())
        }
    }
    pub struct Capture;
    impl Capture {
        pub async fn open(spec: &DeviceSpec, channels: u16) -> anyhow::Result<Capture> {
            anyhow::bail!("shim")
        }
        pub async fn next(&mut self) -> anyhow::Result<Vec<audio::Frame>> {
            anyhow::bail!("shim")
        }
    }
    pub struct Playback;
    impl Playback {
        pub async fn open(spec: &DeviceSpec, channels: u16) -> anyhow::Result<Playback> {
            anyhow::bail!("shim")
        }
        pub async fn write(&mut self, frames: &[audio::Frame]) -> anyhow::Result<()> {
            anyhow::bail!("shim")
        }
        pub async fn close(self) -> anyhow::Result<()> {
            Ok(())
        }
    }
}

pub mod line {
    #[derive(Default)]
    pub struct Inlet;
    impl Inlet {
        pub fn new() -> Inlet {
            Inlet
        }
        pub fn push(&mut self, seq: u64, frame: audio::Frame) {}
        pub fn pull(&mut self) -> audio::Frame {
            audio::Frame::SILENCE
        }
    }
}
