use audio::analyse::tone_dbfs;
use audio::tone::Sine;

use super::*;

const STUDIO: f64 = 1800.0;
const CALLER: [f64; 3] = [500.0, 800.0, 1200.0];

fn settings(output: Output, hold: Hold) -> HybridSettings {
    HybridSettings {
        lines: 4,
        output,
        hold,
        ..HybridSettings::default()
    }
}

/// Runs `secs` of audio (a tone per caller, one for the studio) and keeps what each output carried.
fn run(core: &mut MixCore, secs: usize) -> (Vec<Vec<i16>>, Vec<Vec<i16>>) {
    let mut studio = Sine::new(STUDIO, -12.0);
    let mut callers: Vec<Sine> = CALLER.iter().map(|&hz| Sine::new(hz, -12.0)).collect();
    let mut to_lines = vec![Vec::new(); 4];
    let mut playback = Vec::new();
    for _ in 0..secs * 50 {
        let lines: Vec<Frame> = callers.iter_mut().map(Sine::frame).collect();
        let tick = core.tick(studio.frame(), &lines);
        for (all, f) in to_lines.iter_mut().zip(&tick.to_lines) {
            all.extend_from_slice(f.samples());
        }
        playback.resize(tick.playback.len(), Vec::new());
        for (all, f) in playback.iter_mut().zip(&tick.playback) {
            all.extend_from_slice(f.samples());
        }
    }
    (to_lines, playback)
}

fn heard(samples: &[i16], hz: f64) -> bool {
    tone_dbfs(samples, hz) > -30.0
}

#[test]
fn mix_minus_per_line_outputs_and_hold_on_the_programme() {
    let mut core = MixCore::new(&settings(Output::PerLine, Hold::Program), Vec::new());
    core.set_routing(&[Route::OnAir, Route::OnAir, Route::Hold, Route::Idle]);
    let (to_lines, playback) = run(&mut core, 1);
    // Line 1 hears the studio and line 2, never itself; line 2 likewise.
    assert!(heard(&to_lines[0], STUDIO) && heard(&to_lines[0], CALLER[1]));
    assert!(
        !heard(&to_lines[0], CALLER[0]),
        "line 1 does not hear itself"
    );
    assert!(heard(&to_lines[1], STUDIO) && heard(&to_lines[1], CALLER[0]));
    assert!(
        !heard(&to_lines[1], CALLER[1]),
        "line 2 does not hear itself"
    );
    // Line 3 (hold) hears the programme only; nobody hears it.
    assert!(heard(&to_lines[2], STUDIO));
    for hz in CALLER {
        assert!(!heard(&to_lines[2], hz), "hold hears no caller ({hz} Hz)");
    }
    assert!(!heard(&to_lines[0], CALLER[2]) && !heard(&to_lines[1], CALLER[2]));
    assert!(
        to_lines[3].iter().all(|&s| s == 0),
        "an idle line hears nothing"
    );
    // Playback: channel n = line n's caller, only while on the air.
    assert_eq!(playback.len(), 4);
    assert!(heard(&playback[0], CALLER[0]) && !heard(&playback[0], CALLER[1]));
    assert!(heard(&playback[1], CALLER[1]) && !heard(&playback[1], CALLER[0]));
    assert!(
        !heard(&playback[0], STUDIO),
        "the studio is not sent back to the desk"
    );
    assert!(
        playback[2].iter().all(|&s| s == 0),
        "a line on hold is not on the desk"
    );

    let levels = core.levels();
    assert!((levels.studio + 12.0).abs() < 0.5, "{levels:?}");
    assert!((levels.lines[0] + 12.0).abs() < 0.5, "{levels:?}");
    assert_eq!(levels.lines[3], audio::analyse::FLOOR_DBFS);
}

#[test]
fn mix_output_carries_every_line_on_the_air_and_hold_music() {
    let music: Vec<i16> = Sine::new(300.0, -12.0).take(8000);
    let mut core = MixCore::new(&settings(Output::Mix, Hold::Music), music);
    core.set_routing(&[Route::OnAir, Route::OnAir, Route::Hold, Route::Idle]);
    let (to_lines, playback) = run(&mut core, 1);
    assert_eq!(playback.len(), 1);
    assert!(heard(&playback[0], CALLER[0]) && heard(&playback[0], CALLER[1]));
    assert!(!heard(&playback[0], CALLER[2]));
    assert!(heard(&to_lines[2], 300.0), "hold music");
    assert!(!heard(&to_lines[2], STUDIO), "not the programme");
}

#[test]
fn a_loud_sum_is_limited_not_wrapped() {
    let mut core = MixCore::new(&settings(Output::Mix, Hold::Program), Vec::new());
    core.set_routing(&[Route::OnAir; 4]);
    let loud = Frame([30_000; audio::FRAME_SAMPLES]);
    let tick = core.tick(loud, &[loud; 4]);
    assert!(tick.playback[0].0.iter().all(|&s| s > 0), "no wrap-around");
    assert!(tick.to_lines[0].0.iter().all(|&s| s > 0));
}
