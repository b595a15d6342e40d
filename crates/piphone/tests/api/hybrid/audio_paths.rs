use std::time::Duration;

use serde_json::json;

use super::{STUDIO_HZ, Studio, has, tones};

const C1: f64 = 500.0;
const C2: f64 = 800.0;
const C3: f64 = 1200.0;
const ALL: [f64; 4] = [C1, C2, C3, STUDIO_HZ];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_hears_the_studio_and_the_others_never_itself_and_has_its_own_channel() {
    let s = Studio::start("per-line").await;
    let c1 = s.call_in("+15551230001", C1).await;
    let c2 = s.call_in("+15551230002", C2).await;
    let c3 = s.call_in("+15551230003", C3).await;
    for (n, sid, air) in [(1, &c1, true), (2, &c2, true), (3, &c3, false)] {
        let (code, body) = s
            .post(
                &format!("/api/lines/{n}/take"),
                json!({ "call_sid": sid, "air": air }),
            )
            .await;
        assert_eq!(code, 200, "take onto line {n}: {body}");
    }
    let status = s.until_lines(&["on_air", "on_air", "hold", "empty"]).await;
    assert_eq!(status["lines"][0]["call_sid"], c1.as_str());
    assert_eq!(status["lines"][0]["from"], "+15551230001");
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // Each caller on the air hears the studio and the other caller on the air, never itself nor line 3;
    // caller 3 on hold hears the programme only.
    let cases: [(&str, &String, &[f64], &[f64]); 3] = [
        ("caller 1", &c1, &[STUDIO_HZ, C2], &[C1, C3]),
        ("caller 2", &c2, &[STUDIO_HZ, C1], &[C2, C3]),
        ("caller 3", &c3, &[STUDIO_HZ], &[C1, C2, C3]),
    ];
    for (who, sid, hears, not) in cases {
        let heard = s.heard(sid, 1.0).await;
        for &hz in hears {
            assert!(
                has(&heard, hz),
                "{who} hears {hz} Hz: {}",
                tones(&heard, &ALL)
            );
        }
        for &hz in not {
            assert!(
                !has(&heard, hz),
                "{who} does not hear {hz} Hz: {}",
                tones(&heard, &ALL)
            );
        }
    }

    // Channel n carries line n's caller only; a line on hold is not on the desk.
    let played = s.played(1.0);
    assert_eq!(played.len(), 4, "one channel per line");
    for (channel, own) in [(0, Some(C1)), (1, Some(C2)), (2, None)] {
        let samples = &played[channel];
        for hz in ALL {
            assert_eq!(
                has(samples, hz),
                own == Some(hz),
                "channel {}: {}",
                channel + 1,
                tones(samples, &ALL)
            );
        }
    }
    let levels = &status["lines"];
    assert!(levels[0]["level_dbfs"].as_f64().is_some(), "{levels}");

    // Drop line 1: caller 1 hears the goodbye and is gone.
    let (code, body) = s.post("/api/lines/1", json!({ "action": "drop" })).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["lines"][0]["state"], "empty", "{body}");
    let mut gone = json!(null);
    for _ in 0..100 {
        gone = s.call(&c1).await;
        if gone["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gone["status"], "completed", "{gone}");
    let said: Vec<&str> = gone["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "say")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        said.iter().any(|t| t.contains("Goodbye")),
        "the goodbye: {said:?}"
    );

    // Lock line 2, then Next: line 2 stays on the air, the next caller goes on line 1.
    let c4 = s.call_in("+15551230004", 1000.0).await;
    s.until("caller 4 in the queue", |st| {
        st["members"].as_array().is_some_and(|m| {
            m.iter()
                .any(|c| c["call_sid"] == c4.as_str() && c["in_queue"] == true)
        })
    })
    .await;
    let (code, body) = s.post("/api/lines/2", json!({ "action": "lock" })).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = s.post("/api/lines/2", json!({ "action": "drop" })).await;
    assert_eq!(code, 409, "a locked line is not dropped: {body}");
    let (code, body) = s.post("/api/lines/next", json!({})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["on_air"], c4.as_str(), "{body}");
    let status = s.until_lines(&["on_air", "locked", "hold", "empty"]).await;
    assert_eq!(status["lines"][1]["call_sid"], c2.as_str(), "{status}");
    assert_eq!(status["lines"][0]["call_sid"], c4.as_str(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mix_output_is_one_channel_with_every_line_on_the_air() {
    let s = Studio::start("mix").await;
    let c1 = s.call_in("+15551230001", C1).await;
    let c2 = s.call_in("+15551230002", C2).await;
    for (n, sid) in [(1, &c1), (2, &c2)] {
        let (code, body) = s
            .post(
                &format!("/api/lines/{n}/take"),
                json!({ "call_sid": sid, "air": true }),
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }
    s.until_lines(&["on_air", "on_air", "empty", "empty"]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let played = s.played(1.0);
    assert_eq!(played.len(), 1, "one channel");
    assert!(
        has(&played[0], C1) && has(&played[0], C2),
        "{}",
        tones(&played[0], &ALL)
    );
    assert!(!has(&played[0], STUDIO_HZ), "{}", tones(&played[0], &ALL));
}
