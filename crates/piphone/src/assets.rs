//! Browser assets compiled into the binary (`crates/piphone/web/`): the pages, the JS and CSS, the pinned Voice SDK
//! bundle, and the synthesised sounds of [`crate::sounds`].
//!
//! * `GET /static/{*path}` serves `web/static/<path>` (public: the login page needs it) with its content type, an
//!   `ETag` and a cache policy: the pinned SDK bundle and the sounds may be cached for a day, the app's own files are
//!   revalidated on every load (`no-cache` + `ETag`, so a new binary is picked up at once).
//! * `GET /static/sounds/<name>.wav` serves a sound from [`crate::sounds`], synthesised on the first request for
//!   any sound (a server nobody has opened a page on holds none of them).
//!
//! Embedded files are served from the binary's own read-only data, not copied per request.
//! * [`page`] returns `web/pages/<name>.html` for the routes that show a page (behind login where needed), with
//!   `Cache-Control: no-store`. The Content-Security-Policy (`script-src 'self'`, no inline script or style, which
//!   the pages honour: see the test below) is set for every response by the router's security-headers layer.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::sounds;

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Web;

const REVALIDATE: &str = "no-cache";
const CACHE_A_DAY: &str = "public, max-age=86400";

/// A synthesised sound, encoded, with its `ETag`.
struct Sound {
    wav: Bytes,
    etag: String,
}

/// Every sound, made on first use.
fn sounds() -> &'static HashMap<&'static str, Sound> {
    static SOUNDS: OnceLock<HashMap<&'static str, Sound>> = OnceLock::new();
    SOUNDS.get_or_init(|| {
        sounds::all()
            .into_iter()
            .map(|(name, wav)| {
                let etag = etag_of(&sha256(&wav));
                let wav = Bytes::from(wav);
                (name, Sound { wav, etag })
            })
            .collect()
    })
}

/// Routes for `/static/…`; merge into the app router (works with any state).
pub fn static_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(
        "/static/{*path}",
        get(|Path(path): Path<String>, headers: HeaderMap| async move {
            static_file(&path, &headers)
        }),
    )
}

/// An embedded file's bytes without a copy (release builds embed them as `'static` data).
fn embedded(data: Cow<'static, [u8]>) -> Bytes {
    match data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    }
}

fn static_file(path: &str, request: &HeaderMap) -> Response {
    // rust-embed reads from disk in debug builds, where `static/../pages/x` would resolve: allow plain names only.
    let plain = path
        .split('/')
        .all(|segment| !segment.is_empty() && !segment.starts_with('.') && !segment.contains('\\'));
    if !plain {
        return not_found();
    }
    if let Some(name) = path
        .strip_prefix("sounds/")
        .and_then(|file| file.strip_suffix(".wav"))
    {
        if !sounds::NAMES.contains(&name) {
            return not_found();
        }
        return match sounds().get(name) {
            Some(sound) => respond(
                request,
                sound.wav.clone(),
                "audio/wav",
                &sound.etag,
                CACHE_A_DAY,
            ),
            None => not_found(),
        };
    }
    let Some(file) = Web::get(&format!("static/{path}")) else {
        return not_found();
    };
    let etag = etag_of(&file.metadata.sha256_hash());
    let cache = if path.starts_with("vendor/") {
        CACHE_A_DAY
    } else {
        REVALIDATE
    };
    let mime = content_type(file.metadata.mimetype());
    respond(request, embedded(file.data), &mime, &etag, cache)
}

/// `web/pages/<name>.html` as an HTML response that is never cached, or `None` if there is no such page.
pub fn page(name: &str) -> Option<Response> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return None;
    }
    let file = Web::get(&format!("pages/{name}.html"))?;
    let mut response = Response::new(Body::from(embedded(file.data)));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(response)
}

fn respond(
    request: &HeaderMap,
    body: Bytes,
    mime: &str,
    etag: &str,
    cache: &'static str,
) -> Response {
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag = HeaderValue::from_str(etag).expect("hex etag is a valid header");
    let cache = HeaderValue::from_static(cache);
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let mime =
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "not found",
    )
        .into_response()
}

/// Text types get an explicit UTF-8 charset; JavaScript is served as `text/javascript` (RFC 9239).
fn content_type(guessed: &str) -> String {
    let mime = match guessed {
        "application/javascript" | "application/x-javascript" => "text/javascript",
        other => other,
    };
    if mime.starts_with("text/") || mime == "application/json" || mime == "image/svg+xml" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

fn etag_of(hash: &[u8; 32]) -> String {
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = static_routes::<()>()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap().to_vec();
        (parts.status, parts.headers, bytes)
    }

    fn header_of(h: &HeaderMap, name: header::HeaderName) -> &str {
        h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[tokio::test]
    async fn serves_static_files_with_their_content_types_and_cache_policy() {
        let cases = [
            (
                "/static/phone.js",
                "text/javascript; charset=utf-8",
                REVALIDATE,
            ),
            ("/static/app.css", "text/css; charset=utf-8", REVALIDATE),
            (
                "/static/vendor/twilio.min.js",
                "text/javascript; charset=utf-8",
                CACHE_A_DAY,
            ),
            ("/static/sounds/incoming.wav", "audio/wav", CACHE_A_DAY),
            ("/static/sounds/dtmfh.wav", "audio/wav", CACHE_A_DAY),
            ("/static/sounds/hold.wav", "audio/wav", CACHE_A_DAY),
        ];
        for (path, mime, cache) in cases {
            let (status, h, body) = get(path, &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(header_of(&h, header::CONTENT_TYPE), mime, "{path}");
            assert_eq!(header_of(&h, header::CACHE_CONTROL), cache, "{path}");
            assert_eq!(
                header_of(&h, header::X_CONTENT_TYPE_OPTIONS),
                "nosniff",
                "{path}"
            );
            assert!(!header_of(&h, header::ETAG).is_empty(), "{path}: etag");
            assert!(!body.is_empty(), "{path}: body");
        }
    }

    #[tokio::test]
    async fn sounds_are_wav_files() {
        let (_, _, body) = get("/static/sounds/dtmf1.wav", &[]).await;
        assert_eq!(&body[..4], b"RIFF");
        assert_eq!(&body[8..12], b"WAVE");
    }

    #[tokio::test]
    async fn unknown_or_sneaky_paths_are_404() {
        for path in [
            "/static/nope.js",
            "/static/sounds/nope.wav",
            "/static/sounds/incoming.mp3",
            "/static/../pages/index.html",
            "/static/%2e%2e/pages/index.html",
            "/static/vendor/",
            "/static/pages/index.html",
        ] {
            let (status, _, _) = get(path, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[tokio::test]
    async fn a_matching_etag_gets_304() {
        let (_, h, _) = get("/static/phone.js", &[]).await;
        let etag = header_of(&h, header::ETAG).to_owned();
        let (status, _, body) = get("/static/phone.js", &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        let (status, _, _) = get("/static/phone.js", &[("if-none-match", "\"other\"")]).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn pages_are_html_and_never_cached() {
        for name in ["index", "login", "admin"] {
            let res = page(name).unwrap_or_else(|| panic!("{name}: missing"));
            let h = res.headers();
            assert_eq!(
                header_of(h, header::CONTENT_TYPE),
                "text/html; charset=utf-8"
            );
            assert_eq!(header_of(h, header::CACHE_CONTROL), "no-store");
        }
    }

    #[test]
    fn unknown_or_sneaky_page_names_are_none() {
        for name in ["", "nope", "../static/phone", "index.html", "pages/index"] {
            assert!(page(name).is_none(), "{name:?}");
        }
    }

    /// True if the HTML has an attribute like ` onclick=`.
    fn has_inline_handler(html: &str) -> bool {
        html.match_indices(" on").any(|(at, _)| {
            let rest = &html[at + 3..];
            let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            letters > 0 && rest[letters..].starts_with('=')
        })
    }

    #[test]
    fn pages_have_no_inline_script_or_style() {
        for name in ["index", "login", "admin"] {
            let file = Web::get(&format!("pages/{name}.html")).unwrap();
            let html = std::str::from_utf8(&file.data).unwrap();
            assert!(!html.contains("<script>"), "{name}: inline <script>");
            assert!(!html.contains("<style"), "{name}: <style>");
            assert!(!html.contains(" style="), "{name}: style attribute");
            assert!(!has_inline_handler(html), "{name}: inline event handler");
        }
    }
}
