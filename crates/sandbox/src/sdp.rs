//! Just enough SDP for the browser's `RTCPeerConnection` to reach signaling state `stable`:
//! an answer derived from the SDK's offer (same m-lines and mids, opus, fresh ICE credentials,
//! a sha-256 fingerprint, `setup:active`) and an offer for calls to the browser. No media flows: the
//! fallback when real media (`webrtc/`) cannot start, and all there is without the `webrtc` feature.

use rand::Rng;

use super::ids;

/// Answers every audio m-line of `offer` with opus (or its first codec); other media are rejected (port 0).
pub fn answer(offer: &str) -> String {
    let creds = IceCreds::fresh();
    let sections = split_media(offer);
    let mids: Vec<String> = sections.iter().filter_map(|m| m.mid.clone()).collect();
    let mut out = header();
    if !mids.is_empty() {
        out.push_str(&format!("a=group:BUNDLE {}\r\n", mids.join(" ")));
    }
    out.push_str("a=msid-semantic: WMS sandbox\r\n");
    for m in &sections {
        if m.kind != "audio" {
            out.push_str(&format!(
                "m={} 0 {} {}\r\nc=IN IP4 0.0.0.0\r\n",
                m.kind,
                m.proto,
                m.formats.first().map_or("0", |s| s)
            ));
            if let Some(mid) = &m.mid {
                out.push_str(&format!("a=mid:{mid}\r\n"));
            }
            out.push_str("a=inactive\r\n");
            continue;
        }
        let (pt, rtpmap) = m
            .rtpmaps
            .iter()
            .find(|(_, map)| map.to_ascii_lowercase().starts_with("opus/"))
            .or_else(|| m.rtpmaps.first())
            .cloned()
            .unwrap_or_else(|| ("0".into(), "PCMU/8000".into()));
        let direction = match m.direction.as_str() {
            "sendonly" => "recvonly",
            "recvonly" => "sendonly",
            "inactive" => "inactive",
            _ => "sendrecv",
        };
        out.push_str(&audio_section(
            &m.proto,
            &pt,
            &rtpmap,
            m.mid.as_deref(),
            &creds,
            "active",
            direction,
        ));
    }
    out
}

/// An offer with one opus audio m-line (mid 0), as a Twilio media server would send for an incoming call.
pub fn offer() -> String {
    let creds = IceCreds::fresh();
    let mut out = header();
    out.push_str("a=group:BUNDLE 0\r\na=msid-semantic: WMS sandbox\r\n");
    out.push_str(&audio_section(
        "UDP/TLS/RTP/SAVPF",
        "111",
        "opus/48000/2",
        Some("0"),
        &creds,
        "actpass",
        "sendrecv",
    ));
    out
}

fn header() -> String {
    let session: u64 = rand::rng().random_range(1..i64::MAX as u64);
    format!("v=0\r\no=- {session} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
}

fn audio_section(
    proto: &str,
    pt: &str,
    rtpmap: &str,
    mid: Option<&str>,
    c: &IceCreds,
    setup: &str,
    dir: &str,
) -> String {
    let ssrc: u32 = rand::rng().random_range(1..u32::MAX);
    let mut s = format!(
        "m=audio 9 {proto} {pt}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
         a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=fingerprint:sha-256 {}\r\na=setup:{setup}\r\n",
        c.ufrag, c.pwd, c.fingerprint
    );
    if let Some(mid) = mid {
        s.push_str(&format!("a=mid:{mid}\r\n"));
    }
    s.push_str(&format!(
        "a={dir}\r\na=rtcp-mux\r\na=rtpmap:{pt} {rtpmap}\r\n"
    ));
    if rtpmap.to_ascii_lowercase().starts_with("opus/") {
        s.push_str(&format!("a=fmtp:{pt} minptime=10;useinbandfec=1\r\n"));
    }
    s.push_str(&format!("a=ssrc:{ssrc} cname:sandbox\r\n"));
    s
}

struct IceCreds {
    ufrag: String,
    pwd: String,
    fingerprint: String,
}

impl IceCreds {
    fn fresh() -> IceCreds {
        let digest: [u8; 32] = rand::rng().random();
        let fingerprint = digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        IceCreds {
            ufrag: ids::hex32()[..8].to_owned(),
            pwd: ids::hex32(),
            fingerprint,
        }
    }
}

struct Media {
    kind: String,
    proto: String,
    formats: Vec<String>,
    mid: Option<String>,
    direction: String,
    rtpmaps: Vec<(String, String)>,
}

fn split_media(sdp: &str) -> Vec<Media> {
    let mut out: Vec<Media> = Vec::new();
    for line in sdp.lines().map(str::trim_end) {
        if let Some(rest) = line.strip_prefix("m=") {
            let mut parts = rest.split_whitespace();
            let kind = parts.next().unwrap_or("audio").to_owned();
            let _port = parts.next();
            let proto = parts.next().unwrap_or("UDP/TLS/RTP/SAVPF").to_owned();
            out.push(Media {
                kind,
                proto,
                formats: parts.map(str::to_owned).collect(),
                mid: None,
                direction: "sendrecv".into(),
                rtpmaps: Vec::new(),
            });
        } else if let Some(m) = out.last_mut() {
            if let Some(mid) = line.strip_prefix("a=mid:") {
                m.mid = Some(mid.to_owned());
            } else if let Some(map) = line.strip_prefix("a=rtpmap:") {
                if let Some((pt, codec)) = map.split_once(' ') {
                    m.rtpmaps.push((pt.to_owned(), codec.to_owned()));
                }
            } else if let Some(d) = ["a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"]
                .iter()
                .find(|d| line == **d)
            {
                m.direction = d[2..].to_owned();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n\
        a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n";

    #[test]
    fn answer_keeps_mid_and_picks_opus() {
        let a = answer(OFFER);
        assert!(a.contains("a=group:BUNDLE 0\r\n"), "{a}");
        assert!(a.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"), "{a}");
        assert!(
            a.contains("a=mid:0\r\n") && a.contains("a=setup:active\r\n"),
            "{a}"
        );
        let fp = a
            .lines()
            .find_map(|l| l.strip_prefix("a=fingerprint:sha-256 "))
            .unwrap();
        assert_eq!(fp.split(':').count(), 32);
    }

    #[test]
    fn offer_is_actpass_opus() {
        let o = offer();
        assert!(o.contains("a=setup:actpass") && o.contains("a=rtpmap:111 opus/48000/2"));
    }
}
