//! The HTTP core: URL building, basic auth, retries, error bodies and pagination.

use std::collections::HashSet;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::{Auth, ClientConfig, RestError, TwilioError};

const API_VERSION: &str = "2010-04-01";
/// Stop following `next_page_uri` after this many pages (a loop guard).
const MAX_PAGES: usize = 10_000;

/// Client for one Twilio account. Cheap to clone (one shared connection pool).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    account_sid: String,
    auth: Auth,
    config: ClientConfig,
}

/// A form body: `(field, value)` pairs in Twilio's capitalised names.
pub(crate) type Form = Vec<(&'static str, String)>;

impl Client {
    /// A client for `account_sid` (`AC…`). Needs a rustls crypto provider installed in the
    /// process (`rustls::crypto::ring::default_provider().install_default()`).
    pub fn new(
        account_sid: impl Into<String>,
        auth: Auth,
        config: ClientConfig,
    ) -> Result<Self, RestError> {
        let base = Url::parse(&config.base_url)
            .map_err(|e| RestError::Url(format!("{}: {e}", config.base_url)))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(RestError::Url(format!(
                "{} is not an http(s) base URL",
                config.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .danger_accept_invalid_certs(config.accept_invalid_certs)
            .user_agent(concat!("piphone-twilio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(RestError::Build)?;
        Ok(Self {
            http,
            base,
            account_sid: account_sid.into(),
            auth,
            config,
        })
    }

    /// The account in every path.
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// `<base>/2010-04-01/Accounts/<AC>/<segments…>.json`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        {
            let mut path = url.path_segments_mut().expect("checked in new()");
            path.pop_if_empty()
                .extend([API_VERSION, "Accounts", &self.account_sid]);
            let (last, rest) = segments.split_last().expect("at least one segment");
            path.extend(rest).push(&format!("{last}.json"));
        }
        url
    }

    /// GET and decode one resource (retried: GETs are safe to repeat).
    pub(crate) async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, RestError> {
        let (status, body) = self.send(Method::GET, url, None, true).await?;
        decode(status, &body)
    }

    /// POST a form and decode the resource. `idempotent` allows retrying 5xx and timeouts.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        url: Url,
        form: Form,
        idempotent: bool,
    ) -> Result<T, RestError> {
        let (status, body) = self
            .send(Method::POST, url, Some(&form), idempotent)
            .await?;
        decode(status, &body)
    }

    /// DELETE a resource (`204 No Content`). Retried like a GET: deleting twice leaves the same state
    /// (the second attempt may answer 404, which the caller sees).
    pub(crate) async fn delete(&self, url: Url) -> Result<(), RestError> {
        self.send(Method::DELETE, url, None, true).await.map(drop)
    }

    /// GETs every page of a list resource, following `next_page_uri`; `key` names the array.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        mut url: Url,
        key: &str,
    ) -> Result<Vec<T>, RestError> {
        url.query_pairs_mut()
            .append_pair("PageSize", &self.config.page_size.to_string());
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let (status, body) = self.send(Method::GET, url.clone(), None, true).await?;
            let mut page: serde_json::Value = decode(status, &body)?;
            let list = page.get_mut(key).map(serde_json::Value::take);
            let list: Vec<T> = match list {
                Some(list) => serde_json::from_value(list).map_err(|e| RestError::Decode {
                    status,
                    message: format!("{key}: {e}"),
                })?,
                None => {
                    let message = format!("page has no {key:?} list");
                    return Err(RestError::Decode { status, message });
                }
            };
            items.extend(list);
            let next = page
                .get("next_page_uri")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            if next.is_empty() {
                return Ok(items);
            }
            if !seen.insert(next.to_string()) || seen.len() > MAX_PAGES {
                return Err(RestError::Decode {
                    status,
                    message: format!("pagination loops at {next}"),
                });
            }
            url = self.resolve_next(next)?;
        }
    }

    /// Resolves a `next_page_uri` (a path from the API root) against the base URL; an absolute
    /// URL must stay on the base URL's origin, so credentials never leave it.
    fn resolve_next(&self, next: &str) -> Result<Url, RestError> {
        if next.starts_with('/') && !next.starts_with("//") {
            let mut url = self.base.clone();
            let (path, query) = next
                .split_once('?')
                .map_or((next, None), |(p, q)| (p, Some(q)));
            let prefix = self.base.path().trim_end_matches('/');
            url.set_path(&format!("{prefix}{path}"));
            url.set_query(query);
            return Ok(url);
        }
        let url = Url::parse(next).map_err(|e| RestError::Url(format!("{next}: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(RestError::Url(format!(
                "next_page_uri {next} leaves {}",
                self.base
            )));
        }
        Ok(url)
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        form: Option<&Form>,
        idempotent: bool,
    ) -> Result<(u16, Vec<u8>), RestError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.config.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_max_times(self.config.max_retries)
            .with_jitter();
        (|| self.send_once(&method, &url, form))
            .retry(backoff)
            .when(|e| e.retryable(idempotent))
            .adjust(|e, delay| retry_delay(e.retry_after(), delay, self.config.max_backoff))
            .notify(|e, delay| tracing::warn!(%method, path = url.path(), ?delay, error = %e, "retrying Twilio request"))
            .await
    }

    #[tracing::instrument(skip_all, fields(%method, path = url.path()))]
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        form: Option<&Form>,
    ) -> Result<(u16, Vec<u8>), RestError> {
        let (user, password) = self.auth.basic(&self.account_sid);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .basic_auth(user, Some(password))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(transport)?.to_vec();
        if !(200..300).contains(&status) {
            tracing::debug!(status, "Twilio error response");
            return Err(RestError::Api {
                status,
                error: parse_error(status, &body),
                retry_after,
            });
        }
        Ok((status, body))
    }
}

/// The wait before the next attempt: the backoff's, or longer when Twilio's `Retry-After` asks for more. A
/// `Retry-After` beyond `max_backoff` ends the retries (the caller gets the error now rather than a request
/// held for longer than this client ever waits); no more attempts left also ends them.
fn retry_delay(
    retry_after: Option<Duration>,
    backoff: Option<Duration>,
    max_backoff: Duration,
) -> Option<Duration> {
    let backoff = backoff?;
    match retry_after {
        Some(asked) if asked > max_backoff => None,
        Some(asked) => Some(asked.max(backoff)),
        None => Some(backoff),
    }
}

fn transport(e: reqwest::Error) -> RestError {
    if e.is_timeout() {
        RestError::Timeout(e)
    } else {
        RestError::Transport(e)
    }
}

fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, RestError> {
    serde_json::from_slice(body).map_err(|e| RestError::Decode {
        status,
        message: e.to_string(),
    })
}

/// Twilio's JSON error body, or the start of whatever came instead.
fn parse_error(status: u16, body: &[u8]) -> TwilioError {
    match serde_json::from_slice::<TwilioError>(body) {
        Ok(error) if error.code.is_some() || !error.message.is_empty() => error,
        _ => {
            let text = String::from_utf8_lossy(body);
            TwilioError {
                code: None,
                message: text.chars().take(200).collect(),
                more_info: None,
                status: Some(status),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay;
    use std::time::Duration;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn retry_after_lengthens_the_backoff_within_the_limit() {
        assert_eq!(retry_delay(None, Some(S(1)), S(4)), Some(S(1)));
        assert_eq!(retry_delay(Some(S(3)), Some(S(1)), S(4)), Some(S(3)));
        assert_eq!(
            retry_delay(Some(S(0)), Some(S(2)), S(4)),
            Some(S(2)),
            "never shorter than the backoff"
        );
        assert_eq!(
            retry_delay(Some(S(30)), Some(S(1)), S(4)),
            None,
            "beyond the limit: give up now"
        );
        assert_eq!(
            retry_delay(Some(S(1)), None, S(4)),
            None,
            "no attempts left"
        );
    }
}
