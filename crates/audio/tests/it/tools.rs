//! Reference tools the tests compare against. A missing tool fails the test with a clear message (CI installs
//! them; `scripts/test.sh` installs them when run as root) — it never silently skips.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(tool: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{tool} is required by this test but could not be run ({e}): install it \
                 (`apt-get install {tool}`, or run scripts/test.sh as root, which installs it)"
            )
        });
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().expect("wait for the tool");
    writer
        .join()
        .expect("writer thread")
        .expect("write to the tool");
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const RAW16: [&str; 10] = [
    "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-r", "8000",
];

fn le16(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// sox's μ-law (`-e mu-law`, or `-e a-law` with `alaw`) encoding of 8 kHz samples, without dither.
pub fn sox_encode(samples: &[i16], encoding: &str) -> Vec<u8> {
    let pcm: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut args = vec!["-D"];
    args.extend(RAW16);
    args.extend(["-", "-t", "raw", "-e", encoding, "-"]);
    run("sox", &args, &pcm)
}

/// sox's decoding of G.711 bytes to 16-bit samples.
pub fn sox_decode(bytes: &[u8], encoding: &str) -> Vec<i16> {
    let mut args = vec![
        "-D", "-t", "raw", "-e", encoding, "-c", "1", "-r", "8000", "-",
    ];
    args.extend(RAW16);
    args.push("-");
    le16(&run("sox", &args, bytes))
}

/// Runs `sox -n <effects>` and returns 8 kHz mono 16-bit samples (e.g. `["synth", "0.1", "sine", "697"]`).
pub fn sox_synth(effects: &[&str]) -> Vec<i16> {
    let mut args = vec!["-D", "-n"];
    args.extend(RAW16);
    args.push("-");
    args.extend(effects);
    le16(&run("sox", &args, &[]))
}

/// One channel (1-based) of a WAV file as sox reads it, converted to 8 kHz 16-bit.
pub fn sox_channel(path: &str, channel: usize) -> Vec<i16> {
    let ch = channel.to_string();
    let mut args = vec!["-D", path];
    args.extend(RAW16);
    args.extend(["-", "remix", ch.as_str()]);
    le16(&run("sox", &args, &[]))
}

/// Runs `sox -n -b 16 <path> <effects>`: a WAV file made by sox (rate and channels given in `format`, e.g.
/// `["-r", "48000", "-c", "2"]`).
pub fn sox_make_wav(path: &str, format: &[&str], effects: &[&str]) {
    let mut args = vec!["-D", "-n", "-b", "16"];
    args.extend(format);
    args.push(path);
    args.extend(effects);
    run("sox", &args, &[]);
}

/// Speech by espeak-ng in `voice` (e.g. `en`, `en+f3`, `de`), resampled to 8 kHz by sox.
pub fn espeak(voice: &str, text: &str) -> Vec<i16> {
    let wav = run("espeak-ng", &["-v", voice, "--stdout", text], &[]);
    let mut args = vec!["-D", "-t", "wav", "-"];
    args.extend(RAW16);
    args.push("-");
    le16(&run("sox", &args, &wav))
}
