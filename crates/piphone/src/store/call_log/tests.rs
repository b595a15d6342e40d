use super::*;

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    (crate::store::connect(&url).await.unwrap(), dir)
}

fn call<'a>(sid: &'a str, number: &'a str, at: i64) -> NewCall<'a> {
    NewCall {
        call_sid: sid,
        kind: CallKind::Queue,
        number,
        at,
        outcome: "waiting",
        detail: None,
        username: None,
        ended: false,
    }
}

#[tokio::test]
async fn a_call_goes_on_air_ends_once_and_counts_in_the_history() {
    let (s, _dir) = store().await;
    let now = now_unix();
    s.log_call(call("CA1", "+15551230001", now - 60))
        .await
        .unwrap();
    s.log_call_screener("CA1", "sam").await.unwrap();
    let notes = CallerNotes {
        name: "Ann".into(),
        topic: "bins".into(),
        ..CallerNotes::default()
    };
    s.save_notes("CA1", "+15551230001", &notes, "sam")
        .await
        .unwrap();
    s.log_call_on_air("CA1", Some("dj")).await.unwrap();
    s.log_call_ended("CA1", "abandoned", Some("bridged"))
        .await
        .unwrap();
    s.log_call_ended("CA1", "dropped", None).await.unwrap();
    let e = s.call("CA1").await.unwrap().unwrap();
    assert_eq!(e.outcome, "aired", "on the air, whatever ended it");
    assert_eq!(e.detail.as_deref(), Some("bridged"), "the first end wins");
    assert_eq!(e.screener.as_deref(), Some("sam"));
    assert_eq!(e.host.as_deref(), Some("dj"));
    assert!(e.duration_seconds.unwrap() >= 60);
    assert_eq!(e.notes.unwrap().notes.name, "Ann");

    s.log_call(call("CA2", "+15551230001", now)).await.unwrap();
    let h = s.history("+15551230001", Some("CA2")).await.unwrap();
    assert_eq!((h.calls, h.times_on_air), (1, 1));
    assert_eq!(h.name.as_deref(), Some("Ann"));
    assert_eq!(h.last_call_at, Some(now - 60));
    assert!(!h.banned);
}

#[tokio::test]
async fn search_escapes_wildcards_and_purge_drops_old_rows_with_their_notes() {
    let (s, _dir) = store().await;
    let now = now_unix();
    s.log_call(call("CA1", "+15551230001", now - 100 * 86_400))
        .await
        .unwrap();
    s.save_notes("CA1", "+15551230001", &CallerNotes::default(), "sam")
        .await
        .unwrap();
    s.log_call(call("CA2", "+15551230002", now)).await.unwrap();
    let notes = CallerNotes {
        topic: "100% sure".into(),
        ..CallerNotes::default()
    };
    s.save_notes("CA2", "+15551230002", &notes, "sam")
        .await
        .unwrap();
    let find = |text: &str| CallFilter {
        text: Some(text.into()),
        limit: 10,
        ..CallFilter::default()
    };
    assert_eq!(s.list_calls(&find("0%")).await.unwrap().len(), 1);
    assert_eq!(
        s.list_calls(&find("_")).await.unwrap().len(),
        0,
        "_ is literal"
    );
    assert_eq!(s.list_calls(&find("5551230001")).await.unwrap().len(), 1);
    assert_eq!(s.purge_call_log(now - 90 * 86_400).await.unwrap(), 1);
    assert!(s.call("CA1").await.unwrap().is_none());
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM call_notes")
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "notes went with their call");
}
