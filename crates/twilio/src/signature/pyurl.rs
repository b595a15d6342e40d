//! The two URL variants twilio-python's `RequestValidator.validate` signs against.
//!
//! twilio-python 9.13.0 (`twilio/request_validator.py`, `add_port`/`remove_port`) parses the URL
//! with `urllib.parse.urlparse` and rebuilds it with `geturl()` for *both* variants, so Python's
//! normalisation applies to each: the scheme is lower-cased, an empty query (`?`), fragment (`#`)
//! or path parameter (`;`) marker disappears, and tab/CR/LF are removed. `remove_port` keeps only
//! what precedes the first `:` of the netloc (so it also drops a non-default port such as
//! `:8443`); `add_port` appends `:443` for `https` and `:80` for anything else when the URL has no
//! port (or port `0`, which Python treats as false). This module reproduces that exactly.

/// `urlsplit` result with `urlparse`'s path parameters split off.
struct Parsed<'a> {
    scheme: String,
    netloc: &'a str,
    path: &'a str,
    params: &'a str,
    query: &'a str,
    fragment: &'a str,
}

/// Returns `(without_port, with_port)` as twilio-python computes them, or `None` where Python
/// raises (a port that is not a number in 0..=65535, unbalanced IPv6 brackets).
pub(crate) fn port_variants(url: &str) -> Option<(String, String)> {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let p = parse(&cleaned)?;
    let port = port(p.netloc)?;
    let without = match port {
        Some(n) if n != 0 => unparse(&p, p.netloc.split(':').next().unwrap_or("")),
        _ => unparse(&p, p.netloc),
    };
    let with = match port {
        Some(n) if n != 0 => unparse(&p, p.netloc),
        _ => {
            let default = if p.scheme == "https" { 443 } else { 80 };
            unparse(&p, &format!("{}:{default}", p.netloc))
        }
    };
    Some((without, with))
}

/// The query string (without `?`) as Python's `urlparse` sees it.
pub(crate) fn query(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    parse(&cleaned).map(|p| p.query.to_string())
}

fn parse(url: &str) -> Option<Parsed<'_>> {
    let mut scheme = String::new();
    let mut rest = url;
    if let Some(i) = url.find(':') {
        let candidate = &url[..i];
        let first_alpha = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
        if i > 0
            && first_alpha
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = candidate.to_ascii_lowercase();
            rest = &url[i + 1..];
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        if netloc.contains('[') != netloc.contains(']') {
            return None;
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // urlparse splits `;params` off the last path segment for http(s) and schemeless URLs.
    let uses_params = matches!(
        scheme.as_str(),
        "" | "ftp"
            | "hdl"
            | "prospero"
            | "http"
            | "imap"
            | "https"
            | "shttp"
            | "rtsp"
            | "rtsps"
            | "rtspu"
            | "sip"
            | "sips"
            | "mms"
            | "sftp"
            | "tel"
    );
    let (path, params) = if uses_params && path.contains(';') {
        // `_splitparams`: the first `;` of the last segment.
        let i = match path.rfind('/') {
            Some(s) => path[s..].find(';').map(|j| s + j),
            None => path.find(';'),
        };
        match i {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (path, ""),
        }
    } else {
        (path, "")
    };
    Some(Parsed {
        scheme,
        netloc,
        path,
        params,
        query,
        fragment,
    })
}

/// Python's `SplitResult.port`: `Ok(None)` without a port, `None` (our "raise") if invalid.
fn port(netloc: &str) -> Option<Option<u32>> {
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let port = match hostinfo.split_once('[') {
        Some((_, bracketed)) => {
            let after = bracketed.split_once(']').map_or("", |(_, p)| p);
            after.split_once(':').map_or("", |(_, p)| p)
        }
        None => hostinfo.split_once(':').map_or("", |(_, p)| p),
    };
    if port.is_empty() {
        return Some(None);
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match port.parse::<u32>() {
        Ok(n) if n <= 65535 => Some(Some(n)),
        _ => None,
    }
}

/// Python's `urlunparse` with a replaced netloc.
fn unparse(p: &Parsed<'_>, netloc: &str) -> String {
    let mut path = p.path.to_string();
    if !p.params.is_empty() {
        path = format!("{path};{}", p.params);
    }
    let uses_netloc = matches!(
        p.scheme.as_str(),
        "" | "ftp"
            | "http"
            | "gopher"
            | "nntp"
            | "telnet"
            | "imap"
            | "wais"
            | "file"
            | "mms"
            | "https"
            | "shttp"
            | "snews"
            | "prospero"
            | "rtsp"
            | "rtsps"
            | "rtspu"
            | "rsync"
            | "svn"
            | "svn+ssh"
            | "sftp"
            | "nfs"
            | "git"
            | "git+ssh"
            | "ws"
            | "wss"
            | "itms-services"
    );
    let mut url = path;
    if !netloc.is_empty() || (!p.scheme.is_empty() && uses_netloc && !url.starts_with("//")) {
        if !url.is_empty() && !url.starts_with('/') {
            url.insert(0, '/');
        }
        url = format!("//{netloc}{url}");
    }
    if !p.scheme.is_empty() {
        url = format!("{}:{url}", p.scheme);
    }
    if !p.query.is_empty() {
        url = format!("{url}?{}", p.query);
    }
    if !p.fragment.is_empty() {
        url = format!("{url}#{}", p.fragment);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::port_variants;

    /// Expected values printed by Python 3.11 `urlparse(u)` through twilio-python's helpers.
    #[test]
    fn matches_python_urlparse_round_trip() {
        let cases = [
            ("https://h/p", "https://h/p", "https://h:443/p"),
            ("http://h/p", "http://h/p", "http://h:80/p"),
            (
                "https://h:8443/p?a=1",
                "https://h/p?a=1",
                "https://h:8443/p?a=1",
            ),
            ("https://h:443/p", "https://h/p", "https://h:443/p"),
            ("https://h/p?", "https://h/p", "https://h:443/p"),
            (
                "HTTPS://H/p;x?a#b",
                "https://H/p;x?a#b",
                "https://H:443/p;x?a#b",
            ),
            ("https://h/p;", "https://h/p", "https://h:443/p"),
            ("https://h:/p", "https://h:/p", "https://h::443/p"),
            ("https://h", "https://h", "https://h:443"),
            ("https://h:0/", "https://h:0/", "https://h:0:443/"),
            (
                "https://h/a;b/c;d;e",
                "https://h/a;b/c;d;e",
                "https://h:443/a;b/c;d;e",
            ),
            (
                "https://u:pw@h:8443/p",
                "https://u/p",
                "https://u:pw@h:8443/p",
            ),
            (
                "https://[::1]:8443/p",
                "https://[/p",
                "https://[::1]:8443/p",
            ),
        ];
        for (url, without, with) in cases {
            let got = port_variants(url).unwrap_or_else(|| panic!("{url} rejected"));
            assert_eq!(got, (without.to_string(), with.to_string()), "url {url}");
        }
        for bad in ["https://h:x/p", "https://h:70000/", "https://[::1/p"] {
            assert_eq!(port_variants(bad), None, "url {bad}");
        }
    }
}
