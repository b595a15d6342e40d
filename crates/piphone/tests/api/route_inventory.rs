//! Route inventory: walks every route the served router has (app and sandbox) and proves that anonymous
//! requests are refused, except the short documented public list.
//!
//! axum has no public API to list routes; its `Debug` output carries the path table (`RouteId(n): "/path"`).
//! The test asserts that the walk finds the routes it knows exist, so a change in that output fails loudly
//! rather than silently testing nothing.

use piphone::Application;

/// Besides the app's `routes::PUBLIC_ROUTES`, the sandbox's public path: `/signal` is the sandbox's WebSocket gateway: it answers only a WebSocket
/// upgrade, and the first frame must carry a valid Access Token (tested in the sandbox's own tests).
const SANDBOX_PUBLIC: &[&str] = &["/signal"];

fn is_public(path: &str) -> bool {
    piphone::routes::PUBLIC_ROUTES.contains(&path) || SANDBOX_PUBLIC.contains(&path)
}

fn paths_of(debug: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = debug;
    while let Some(i) = rest.find("RouteId(") {
        rest = &rest[i..];
        let Some(q) = rest.find(": \"") else { break };
        let after = &rest[q + 3..];
        let Some(end) = after.find('"') else { break };
        // axum's own catch-all fallback (a 404 for every unknown path) is not a route of ours.
        if !after[..end].contains("__private__axum") {
            paths.push(after[..end].to_owned());
        }
        rest = &after[end..];
    }
    paths.sort();
    paths.dedup();
    paths
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn anonymous_requests_are_refused_everywhere_but_the_public_list() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::sandbox_settings(dir.path(), false);
    let app = Application::build(settings).await.unwrap();
    let paths = paths_of(&format!("{:?}", app.router()));
    for known in [
        "/healthz",
        "/voice",
        "/token",
        "/signal",
        "/api/admin/users/{name}",
    ] {
        assert!(
            paths.iter().any(|p| p == known),
            "the walk finds {known}: {paths:?}"
        );
    }
    let base = app.local_url.as_str().trim_end_matches('/').to_owned();
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut report = Vec::new();
    let mut checked = 0;
    for path in &paths {
        if is_public(path) {
            continue;
        }
        let url = format!("{base}{}", concrete(path));
        for method in [
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let res = client
                .request(method.clone(), &url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("From=client%3Aadmin&To=%2B14155552671")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let location = res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned());
            let refused = matches!(status, 401 | 403 | 405)
                || (status == 303 && location.as_deref() == Some("/login"));
            if !refused {
                report.push(format!("{method} {path} -> {status} {location:?}"));
            }
            checked += 1;
        }
    }
    eprintln!(
        "route inventory: {} routes, {checked} anonymous requests, public: {:?} + {SANDBOX_PUBLIC:?}",
        paths.len(),
        piphone::routes::PUBLIC_ROUTES
    );
    assert!(
        report.is_empty(),
        "anonymous requests not refused:\n{}",
        report.join("\n")
    );
}
