//! `alsa:` against fake `arecord` / `aplay` shell scripts: the arguments, restarts after a death or a stall,
//! and clear errors when the program is missing.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use super::*;

/// Writes an executable shell script `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn program(path: PathBuf, channels: u16) -> Program {
    Program {
        path,
        device: "fake".into(),
        channels,
    }
}

fn starts(log: &Path) -> usize {
    std::fs::read_to_string(log).map_or(0, |s| s.lines().count())
}

/// The sample value of the bytes "AB" little-endian.
const AB: i16 = 0x4241;

#[tokio::test]
async fn capture_reads_arecord_and_restarts_it_when_it_dies() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("starts");
    // Each run: note the arguments, give ten 20 ms stereo frames of "ABAB…", exit.
    let fake = script(
        dir.path(),
        "arecord",
        &format!(
            "echo \"$*\" >> {}\nyes AB | tr -d '\\n' | head -c 6400",
            log.display()
        ),
    );
    let mut capture = Capture::open_program(program(fake, 2)).unwrap();
    let (mut sound, mut silence) = (0, 0);
    for _ in 0..60 {
        let frames = capture.next().await.unwrap();
        assert_eq!(frames.len(), 2);
        if frames.iter().all(|f| f.0.iter().all(|&s| s == AB)) {
            sound += 1;
        } else {
            assert!(
                frames.iter().all(|f| f.is_silent()),
                "sound or silence, nothing torn"
            );
            silence += 1;
        }
    }
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        args.lines().next(),
        Some("-q -D fake -t raw -f S16_LE -r 8000 -c 2")
    );
    assert!(starts(&log) >= 3, "restarted: {args}");
    assert!(
        sound >= 30 && silence >= 10,
        "sound {sound}, silence {silence}"
    );
}

#[tokio::test]
async fn a_stalled_arecord_is_replaced_and_the_clock_keeps_ticking() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("starts");
    let fake = script(
        dir.path(),
        "arecord",
        &format!("echo started >> {}\nexec sleep 30", log.display()),
    );
    let mut capture = Capture::open_program(program(fake, 1)).unwrap();
    let started = std::time::Instant::now();
    let frames = capture.next().await.unwrap();
    assert!(frames[0].is_silent());
    assert!(started.elapsed() >= STALL, "waited for the stall");
    for _ in 0..10 {
        capture.next().await.unwrap();
    }
    assert_eq!(starts(&log), 2, "the stalled child was replaced");
}

#[tokio::test]
async fn playback_feeds_aplay_interleaved_and_restarts_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("played.raw");
    let log = dir.path().join("starts");
    // Takes two stereo frames (1280 bytes) per run, then exits.
    let fake = script(
        dir.path(),
        "aplay",
        &format!(
            "echo \"$*\" >> {log}\nhead -c 1280 >> {out}",
            log = log.display(),
            out = out.display()
        ),
    );
    let mut playback = Playback::open_program(program(fake, 2)).unwrap();
    let left = Frame([1000; FRAME_SAMPLES]);
    let right = Frame([-2000; FRAME_SAMPLES]);
    for _ in 0..40 {
        playback.write(&[left, right]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    playback.close().await.unwrap();
    assert!(starts(&log) >= 2, "restarted after it died");
    let bytes = std::fs::read(&out).unwrap();
    assert!(
        bytes.len() >= 2 * 1280 && bytes.len().is_multiple_of(4),
        "{}",
        bytes.len()
    );
    for pair in bytes.chunks_exact(4) {
        assert_eq!(i16::from_le_bytes([pair[0], pair[1]]), 1000);
        assert_eq!(i16::from_le_bytes([pair[2], pair[3]]), -2000);
    }
}

#[tokio::test]
async fn a_missing_program_is_a_clear_error() {
    let missing = program(PathBuf::from("/nonexistent/arecord"), 1);
    let err = Capture::open_program(missing.clone()).unwrap_err();
    assert!(
        format!("{err:#}").contains("/nonexistent/arecord not found: install alsa-utils"),
        "{err:#}"
    );
    let err = Playback::open_program(missing).unwrap_err();
    assert!(format!("{err:#}").contains("install alsa-utils"), "{err:#}");
    let err = check_with(
        Path::new("/nonexistent/aplay"),
        Path::new("/proc/asound"),
        "default",
    )
    .unwrap_err();
    assert!(err.contains("/nonexistent/aplay not found"), "{err}");
}

#[test]
fn check_finds_listed_devices_and_present_cards() {
    let dir = tempfile::tempdir().unwrap();
    let listing = "null\n    Discard all samples\ndefault\n    Default Audio Device\nplughw:CARD=Device,DEV=0\n    USB Audio\n";
    let fake = script(dir.path(), "arecord", &format!("printf '{listing}'"));
    let asound = dir.path().join("asound");
    std::fs::create_dir_all(asound.join("card1")).unwrap();
    assert!(check_with(&fake, &asound, "default").is_ok());
    assert!(check_with(&fake, &asound, "plughw:CARD=Device,DEV=0").is_ok());
    assert!(
        check_with(&fake, &asound, "hw:1,0")
            .unwrap()
            .contains("card 1")
    );
    let err = check_with(&fake, &asound, "hw:2,0").unwrap_err();
    assert!(
        err.contains("it lists: null, default, plughw:CARD=Device,DEV=0"),
        "{err}"
    );
}
