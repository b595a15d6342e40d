use super::{Op, Write};
use crate::store::{CallFilter, CallKind, NewCall, connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_rows_go_in_together_and_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let store = connect(&url).await.unwrap();
    // Queued one after another without waiting for commits: they share batches and multi-row statements.
    for i in 0..100 {
        let sid = format!("CA{:032}", i % 60);
        let outcome = if i < 60 { "dialling" } else { "refused" };
        let call = NewCall::now(&sid, CallKind::Outgoing, "+14155552671", outcome);
        store.log_call(call).await.unwrap();
    }
    let calls = store
        .list_calls(&CallFilter {
            limit: 1000,
            ..CallFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(calls.len(), 60, "a repeated CallSid updates its row");
    let refused = calls.iter().filter(|c| c.outcome == "refused").count();
    assert_eq!(refused, 40, "the later write of a CallSid wins");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_keep_their_values_and_types_through_the_json_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let store = connect(&url).await.unwrap();
    let odd = "quote \" backslash \\ tab \t émoji 📻 and 'single'";
    for i in 0..20_usize {
        let sid = format!("CA{i:032}");
        let call = NewCall::now(&sid, CallKind::Incoming, "+14155552671", "missed").detail(odd);
        let call = if i.is_multiple_of(2) {
            call.ended()
        } else {
            call
        };
        store.log_call(call).await.unwrap();
    }
    store
        .log_refused("anna", "+1 (900) 555-0199", odd)
        .await
        .unwrap();
    store
        .log_dialled("anna", "+14155552671", "CA0000000000000000000000000000000a")
        .await
        .unwrap();
    let calls = store
        .list_calls(&CallFilter {
            limit: 100,
            ..CallFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(calls.len(), 20);
    for c in &calls {
        assert_eq!(c.detail.as_deref(), Some(odd));
        assert_eq!(c.number, "+14155552671");
        let i: usize = c.call_sid[2..].parse().unwrap();
        assert_eq!(
            c.ended_at.is_some(),
            i.is_multiple_of(2),
            "NULL stays NULL: {c:?}"
        );
    }
    let types: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT typeof(at), typeof(reason), typeof(call_sid), coalesce(reason, '') FROM dial_log ORDER BY id",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    assert_eq!(
        types,
        vec![
            (
                "integer".into(),
                "text".into(),
                "null".into(),
                odd.to_owned()
            ),
            (
                "integer".into(),
                "null".into(),
                "text".into(),
                String::new()
            ),
        ]
    );
    let started: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT typeof(started_at) FROM call_log")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    assert_eq!(started, vec![("integer".to_owned(),)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_attempts_are_decided_one_after_another_even_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let store = connect(&url).await.unwrap();
    let attempts: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .try_dial("anna", "+14155552671", &format!("CA{i:032}"), 1000, 3)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let verdicts = futures_util::future::join_all(attempts).await;
    let dialled = verdicts
        .iter()
        .filter(|v| *v.as_ref().unwrap() == crate::store::DialVerdict::Dialled)
        .count();
    assert_eq!(dialled, 3, "a limit of 3 live calls lets exactly 3 through");
    assert_eq!(store.dial_counts("anna").await.unwrap(), (3, 3));
    drop(store);
    let reopened = connect(&url).await.unwrap();
    assert_eq!(
        reopened.dial_counts("anna").await.unwrap(),
        (3, 3),
        "and exactly those 3 were written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_change_fails_only_its_own_caller() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let store = connect(&url).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if i == 25 {
                let bad = Write::new("INSERT INTO no_such_table VALUES (?)").bind(1_i64);
                store.writer.submit(Op::Exec(bad)).await.map(drop)
            } else {
                store
                    .log_dialled("anna", "+14155552671", &format!("CA{i:032}"))
                    .await
            }
        }));
    }
    let results: Vec<bool> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().is_ok())
        .collect();
    assert_eq!(results.iter().filter(|ok| !**ok).count(), 1);
    assert!(!results[25]);
    assert_eq!(store.dial_counts("anna").await.unwrap(), (49, 49));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_all_committed_and_counted_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let store = connect(&url).await.unwrap();
    assert_eq!(store.dial_counts("anna").await.unwrap(), (0, 0));
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .log_dialled("anna", "+14155552671", &format!("CA{i:032}"))
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    store.log_ended(&format!("CA{:032}", 7)).await.unwrap();
    store
        .log_refused("anna", "+19005550199", "high_cost_type")
        .await
        .unwrap();
    assert_eq!(store.dial_counts("anna").await.unwrap(), (200, 199));
    assert_eq!(store.recent_refusals(10).await.unwrap().len(), 1);
    drop(store);

    let reopened = connect(&url).await.unwrap();
    assert_eq!(
        reopened.dial_counts("anna").await.unwrap(),
        (200, 199),
        "counters load from the table"
    );
    reopened.log_ended(&format!("CA{:032}", 8)).await.unwrap();
    assert_eq!(reopened.dial_counts("anna").await.unwrap(), (200, 198));
    assert_eq!(reopened.dial_counts("bob").await.unwrap(), (0, 0));
}
