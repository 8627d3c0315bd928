//! Redirect URIs: which may be registered, and whether a request's matches a registered one.
//!
//! Matching is exact string comparison (RFC 9700 §2.1, OAuth 2.1 §2.3.1): no prefix, no
//! normalisation, no case folding. The one exception is RFC 8252 §7.3: a native app's loopback
//! redirect (`http://127.0.0.1:PORT/…` or `http://[::1]:PORT/…`) matches on any port, because
//! the app listens on whatever port the system gives it.

/// Why a redirect URI cannot be registered, or `Ok`.
///
/// # Errors
/// A sentence for the operator.
pub fn check_registrable(uri: &str) -> Result<(), String> {
    if uri.is_empty() || uri.len() > 2000 {
        return Err("a redirect URI has 1 to 2000 characters".into());
    }
    if uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err("a redirect URI has no spaces or control characters".into());
    }
    if uri.contains('#') {
        return Err("a redirect URI has no fragment (RFC 6749 §3.1.2)".into());
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("a redirect URI is absolute: it starts with a scheme (https:)".into());
    };
    let scheme_ok = !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.');
    if !scheme_ok {
        return Err("a redirect URI starts with a scheme (https:)".into());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => authority(rest).map(|_| ()),
        "http" => {
            let host = authority(rest)?;
            if is_loopback(host) {
                Ok(())
            } else {
                Err("an http redirect URI is only for a native app on this machine (http://127.0.0.1 or http://[::1], RFC 8252 §7.3); use https".into())
            }
        }
        // Private-use schemes of native apps are reverse domain names (RFC 8252 §7.1), which
        // keeps out javascript:, data:, file: and the like.
        s if s.contains('.') => Ok(()),
        _ => Err(format!(
            "the scheme `{scheme}` is not for redirects: use https, http on a loopback address, or a native app's reverse-domain scheme (com.example.app:/callback)"
        )),
    }
}

/// The host of `//host[:port]/…`, refusing a user-info part and an empty host.
fn authority(rest: &str) -> Result<&str, String> {
    let Some(after) = rest.strip_prefix("//") else {
        return Err("an http(s) redirect URI has a host (https://host/path)".into());
    };
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let auth = &after[..end];
    if auth.contains('@') {
        return Err("a redirect URI has no user name or password part".into());
    }
    let host = if auth.starts_with('[') {
        auth.find(']').map_or(auth, |e| &auth[..=e])
    } else {
        auth.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err("an http(s) redirect URI has a host".into());
    }
    Ok(host)
}

fn is_loopback(host: &str) -> bool {
    host == "127.0.0.1" || host == "[::1]" || host.eq_ignore_ascii_case("localhost")
}

/// `http://127.0.0.1` or `http://[::1]` and what follows the port, for a loopback IP-literal
/// redirect URI (RFC 8252 §7.3; not `localhost`, §8.3); `None` for any other.
fn without_loopback_port(uri: &str) -> Option<(&str, &str)> {
    for host in ["http://127.0.0.1", "http://[::1]"] {
        if let Some(rest) = uri.strip_prefix(host) {
            let rest = match rest.strip_prefix(':') {
                Some(port) => {
                    let digits = port.bytes().take_while(u8::is_ascii_digit).count();
                    if digits == 0 || digits > 5 {
                        return None;
                    }
                    &port[digits..]
                }
                None => rest,
            };
            if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') {
                return Some((host, rest));
            }
        }
    }
    None
}

/// Whether `presented` (from an authorization request) is one of `registered`.
#[must_use]
pub fn matches(registered: &[String], presented: &str) -> bool {
    registered.iter().any(|r| {
        r == presented
            || matches!(
                (without_loopback_port(r), without_loopback_port(presented)),
                (Some(a), Some(b)) if a == b
            )
    })
}

#[cfg(test)]
mod tests {
    use super::{check_registrable, matches};

    #[test]
    fn only_safe_redirects_are_registered() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?x=1",
            "http://127.0.0.1/callback",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check_registrable(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/relative",
            "app.example.com/callback",
            "https://app.example.com/cb#frag",
            "http://app.example.com/callback",
            "https://user:pw@app.example.com/cb",
            "https:///nohost",
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "https://app.example.com/c b",
            "https://app.example.com/\ncb",
        ] {
            assert!(check_registrable(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let reg = vec!["https://app.example.com/callback".to_owned()];
        assert!(matches(&reg, "https://app.example.com/callback"));
        for variant in [
            "https://app.example.com/callback/",
            "https://app.example.com/callbackx",
            "https://app.example.com/callback/../evil",
            "https://app.example.com/callback?x=1",
            "https://app.example.com/callback#x",
            "https://APP.example.com/callback",
            "https://app.example.com/Callback",
            "https://app.example.com/%63allback",
            "https://app.example.com:443/callback",
            "https://app.example.com:8443/callback",
            "https://evil@app.example.com/callback",
            "https://app.example.com.evil.com/callback",
            "http://app.example.com/callback",
            "https://app.example.com",
        ] {
            assert!(!matches(&reg, variant), "{variant}");
        }
    }

    #[test]
    fn loopback_redirects_match_on_any_port() {
        let reg = vec![
            "http://127.0.0.1/callback".to_owned(),
            "http://[::1]:5000/cb".to_owned(),
            "http://localhost:3000/cb".to_owned(),
        ];
        assert!(matches(&reg, "http://127.0.0.1:51234/callback"));
        assert!(matches(&reg, "http://127.0.0.1/callback"));
        assert!(matches(&reg, "http://[::1]:61000/cb"));
        assert!(matches(&reg, "http://[::1]/cb"));
        // Only the port varies; localhost is exact (RFC 8252 §8.3).
        assert!(!matches(&reg, "http://127.0.0.1:51234/callback2"));
        assert!(!matches(&reg, "http://127.0.0.1:51234/"));
        assert!(!matches(&reg, "http://127.0.0.1:x/callback"));
        assert!(!matches(&reg, "http://127.0.0.1.evil.com/callback"));
        assert!(!matches(&reg, "http://127.0.0.1@evil.com/callback"));
        assert!(!matches(&reg, "http://localhost:3001/cb"));
        assert!(matches(&reg, "http://localhost:3000/cb"));
    }
}
