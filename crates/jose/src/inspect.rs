//! For tools that show tokens to people (`tessera decode`, the debugger): the token in a pasted
//! text, and findings about a header and claims that a person should see before trusting the
//! token (unsecured, expired, key material named by the token itself, ...).
//!
//! Findings are advice for display, computed on unverified input. Verification does not consult
//! them: [`jwt::Verifier`](crate::jwt::Verifier) enforces its own rules whatever they say.
//!
//! ```
//! use tessera_jose::inspect;
//!
//! let pasted = inspect::pasted_token("  Bearer eyJhbGciOiJub25lIn0\n.e30.\n");
//! assert_eq!((&*pasted.token, pasted.scheme), ("eyJhbGciOiJub25lIn0.e30.", Some("Bearer")));
//! let said: Vec<_> = pasted.findings().into_iter().map(|f| f.code).collect();
//! assert_eq!(said, ["scheme_removed", "whitespace_removed"]);
//!
//! let header = serde_json::json!({"alg": "none"});
//! let codes: Vec<_> = inspect::header_findings(header.as_object().unwrap())
//!     .into_iter()
//!     .map(|f| f.code)
//!     .collect();
//! assert_eq!(codes, ["alg_none"]);
//! ```

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwe::DEFAULT_MAX_PBES2_COUNT as MAX_P2C;

/// The claims that hold a NumericDate (RFC 7519 §2), in the order tools show them.
pub const DATE_CLAIMS: [&str; 4] = ["exp", "nbf", "iat", "auth_time"];

/// How far in the future `iat` may be before it is worth a finding (clock skew).
const IAT_SKEW: i64 = 60;

/// Something a person should know about a token: a stable code, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable code (`alg_none`, `expired`, `header_key`, ...).
    pub code: &'static str,
    /// What it means, in one sentence.
    pub message: String,
}

impl Finding {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// A token taken out of a pasted text, and what was removed to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasted<'a> {
    /// The token.
    pub token: Cow<'a, str>,
    /// The `Authorization` scheme that was in front of it (`Bearer` or `DPoP`).
    pub scheme: Option<&'static str>,
    /// How many whitespace characters were removed from inside a compact token (a token
    /// wrapped over several lines, or spaces between its parts).
    pub inner_whitespace: usize,
}

impl Pasted<'_> {
    /// What was removed, as findings to show (`scheme_removed`, `whitespace_removed`): a tool
    /// that cleans a token says so, because verification would refuse the text as pasted.
    #[must_use]
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(scheme) = self.scheme {
            out.push(Finding::new(
                "scheme_removed",
                format!("removed the `{scheme}` scheme in front of the token"),
            ));
        }
        if self.inner_whitespace > 0 {
            let n = self.inner_whitespace;
            out.push(Finding::new(
                "whitespace_removed",
                format!(
                    "removed {n} whitespace character{} from inside the token; verification refuses the token as pasted",
                    if n == 1 { "" } else { "s" }
                ),
            ));
        }
        out
    }
}

/// The token in a pasted text (for display only: verification never cleans a token): the
/// `Authorization` scheme in front of it (`Bearer` or `DPoP`, matched case-insensitively) and
/// surrounding whitespace are removed and, in a compact token, whitespace inside it too (a token
/// wrapped over several lines). A JSON serialization keeps its inner whitespace.
#[must_use]
pub fn pasted_token(text: &str) -> Pasted<'_> {
    let mut t = text.trim();
    let first = t.split_ascii_whitespace().next().unwrap_or_default();
    // A scheme alone is a scheme without its token; a scheme glued to the token is not one.
    let scheme = ["Bearer", "DPoP"]
        .into_iter()
        .find(|name| first.eq_ignore_ascii_case(name));
    if scheme.is_some() {
        t = t[first.len()..].trim_start();
    }
    if t.starts_with('{') || !t.contains(|c: char| c.is_ascii_whitespace()) {
        return Pasted {
            token: Cow::Borrowed(t),
            scheme,
            inner_whitespace: 0,
        };
    }
    let joined: String = t.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Pasted {
        inner_whitespace: t.len() - joined.len(),
        token: Cow::Owned(joined),
        scheme,
    }
}

/// Findings about a JWS or JWE protected header.
#[must_use]
pub fn header_findings(header: &Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    match header.get("alg").and_then(Value::as_str) {
        Some(a) if a.eq_ignore_ascii_case("none") => out.push(Finding::new(
            "alg_none",
            "alg is `none`: the token is unsecured, anyone can make it; no verifier should accept it",
        )),
        Some("RSA1_5") => out.push(Finding::new(
            "rsa1_5",
            "RSA1_5 key management is open to padding-oracle attacks (RFC 8725 §3.2): prefer RSA-OAEP-256 or ECDH-ES",
        )),
        Some(_) => {}
        None => out.push(Finding::new("alg_missing", "the header has no `alg`")),
    }
    for name in ["jwk", "jku", "x5u", "x5c"] {
        if header.contains_key(name) {
            out.push(Finding::new(
                "header_key",
                format!(
                    "the header carries `{name}`: key material named by the token itself proves nothing unless checked against a trusted key; Tessera never uses it to verify"
                ),
            ));
        }
    }
    if header.contains_key("zip") && !header.contains_key("enc") {
        out.push(Finding::new(
            "zip_in_jws",
            "`zip` belongs in a JWE header; a JWS with it is malformed",
        ));
    }
    if let Some(p2c) = header.get("p2c").and_then(Value::as_u64)
        && p2c > u64::from(MAX_P2C)
    {
        out.push(Finding::new(
            "pbes2_count",
            format!(
                "p2c is {p2c}: above Tessera's limit of {MAX_P2C} (a costly decryption, RFC 8725 §3.5)"
            ),
        ));
    }
    out
}

/// Findings about the claims of a JWT at `now` (a Unix time).
#[must_use]
pub fn claim_findings(claims: &Map<String, Value>, now: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    let date = |name: &str| claims.get(name).and_then(Value::as_f64);
    // Whole seconds: a fractional NumericDate is rounded down, as verifiers compare it.
    let seconds = |t: f64| t.floor().clamp(i64::MIN as f64, i64::MAX as f64) as i64;
    match date("exp").map(seconds) {
        None if !claims.contains_key("exp") => out.push(Finding::new(
            "missing_exp",
            "no `exp`: the token never expires (verifiers reject it by default)",
        )),
        Some(exp) if exp <= now => out.push(Finding::new(
            "expired",
            format!("the token expired {} ago", span(now.abs_diff(exp))),
        )),
        _ => {}
    }
    if let Some(nbf) = date("nbf").map(seconds)
        && nbf > now
    {
        out.push(Finding::new(
            "not_yet_valid",
            format!(
                "the token is not valid yet (valid in {})",
                span(nbf.abs_diff(now))
            ),
        ));
    }
    if let Some(iat) = date("iat").map(seconds)
        && iat > now.saturating_add(IAT_SKEW)
    {
        out.push(Finding::new(
            "iat_in_future",
            format!(
                "`iat` is {} in the future: the issuer's clock is off, or the token was made by hand",
                span(iat.abs_diff(now))
            ),
        ));
    }
    for name in DATE_CLAIMS {
        if claims.get(name).is_some_and(|v| !v.is_number()) {
            out.push(Finding::new(
                "date_not_number",
                format!(
                    "`{name}` is not a number (RFC 7519 §2 NumericDate): verifiers reject this token"
                ),
            ));
        }
    }
    out
}

/// Findings about an HMAC secret: `weak_secret` when it is [guessable](guessable_secret).
#[must_use]
pub fn secret_findings(secret: &[u8]) -> Vec<Finding> {
    if guessable_secret(secret) {
        vec![Finding::new(
            "weak_secret",
            "the secret is published in examples or repeats a few characters: anyone can guess it from one token and sign their own",
        )]
    } else {
        Vec::new()
    }
}

/// Whether an HMAC secret is guessable whatever its length: one published in documentation and
/// tutorials (jwt.io's own among them), or one of fewer than eight distinct bytes. Brute force
/// finds such a secret in seconds from any token it signed.
#[must_use]
pub fn guessable_secret(secret: &[u8]) -> bool {
    const PUBLISHED: [&str; 8] = [
        "your-256-bit-secret",
        "your-384-bit-secret",
        "your-512-bit-secret",
        "a-string-secret-at-least-256-bits-long",
        "secret",
        "changeme",
        "password",
        "supersecret",
    ];
    let text = String::from_utf8_lossy(secret).trim().to_ascii_lowercase();
    let mut seen = [false; 256];
    for b in secret {
        seen[usize::from(*b)] = true;
    }
    PUBLISHED.contains(&text.as_str()) || seen.iter().filter(|s| **s).count() < 8
}

/// A duration as people read it, in its two largest units: `4m12s`, `3h`, `2d5h`.
#[must_use]
pub fn span(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    // Units counted from the first one shown: at most two, adjacent (`3h`, not `3h59s`).
    let mut used = 0;
    for (size, name) in UNITS {
        let n = rest / size;
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(name);
            rest -= n * size;
            used += 1;
        } else if used > 0 {
            used += 1;
        }
        if used == 2 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes(found: &[Finding]) -> Vec<&'static str> {
        found.iter().map(|f| f.code).collect()
    }

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn pasted_tokens_are_cleaned() {
        fn pasted(text: &str) -> (Cow<'_, str>, Option<&'static str>) {
            let p = pasted_token(text);
            (p.token, p.scheme)
        }
        assert_eq!(pasted("  Bearer a.b.c\n"), ("a.b.c".into(), Some("Bearer")));
        assert_eq!(pasted("a.b\n.c"), ("a.b.c".into(), None));
        assert_eq!(pasted("dpop\ta.b.c"), ("a.b.c".into(), Some("DPoP")));
        assert_eq!(pasted("BEARER a.b.c").1, Some("Bearer"));
        assert_eq!(pasted("Bearer "), ("".into(), Some("Bearer")));
        assert_eq!(pasted("  \n"), ("".into(), None));
        // Not a scheme: part of a word.
        assert_eq!(pasted("Bearera.b.c"), ("Bearera.b.c".into(), None));
        // JSON keeps its whitespace.
        assert_eq!(
            pasted(" {\"payload\": \"e30\"} ").0,
            "{\"payload\": \"e30\"}"
        );
        assert!(matches!(pasted(" a.b.c ").0, Cow::Borrowed("a.b.c")));
        // What was removed is counted and said; surrounding whitespace is not worth a word.
        let p = pasted_token(" a.b \r\n .c\n");
        assert_eq!((&*p.token, p.inner_whitespace), ("a.b.c", 4));
        assert_eq!(p.findings().len(), 1);
        assert!(
            p.findings()[0]
                .message
                .contains("removed 4 whitespace characters")
        );
        assert!(pasted_token(" a.b.c\n").findings().is_empty());
        let codes: Vec<_> = pasted_token("DPoP a.b.c")
            .findings()
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, ["scheme_removed"]);
    }

    #[test]
    fn header_findings_name_what_is_wrong() {
        let h = object(json!({"alg": "NONE", "jwk": {}, "x5u": "https://x", "zip": "DEF"}));
        assert_eq!(
            codes(&header_findings(&h)),
            ["alg_none", "header_key", "header_key", "zip_in_jws"]
        );
        let h = object(
            json!({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "zip": "DEF", "p2c": 10_001}),
        );
        assert_eq!(codes(&header_findings(&h)), ["pbes2_count"]);
        let h = object(json!({"alg": "RSA1_5", "enc": "A128GCM"}));
        assert_eq!(codes(&header_findings(&h)), ["rsa1_5"]);
        assert_eq!(codes(&header_findings(&Map::new())), ["alg_missing"]);
        assert!(header_findings(&object(json!({"alg": "ES256", "kid": "k"}))).is_empty());
    }

    #[test]
    fn claim_findings_at_a_time() {
        let now = 1_800_000_000;
        let c = object(json!({"exp": now - 252, "nbf": now + 3 * 3600, "iat": now + 61}));
        let found = claim_findings(&c, now);
        assert_eq!(codes(&found), ["expired", "not_yet_valid", "iat_in_future"]);
        assert_eq!(found[0].message, "the token expired 4m12s ago");
        assert_eq!(found[1].message, "the token is not valid yet (valid in 3h)");
        // Expiry is inclusive; iat within the skew is fine; fractions round down.
        assert_eq!(
            codes(&claim_findings(&object(json!({"exp": now})), now)),
            ["expired"]
        );
        assert_eq!(
            codes(&claim_findings(
                &object(json!({"exp": now as f64 + 0.5})),
                now
            )),
            ["expired"]
        );
        assert!(
            claim_findings(
                &object(json!({"exp": now as f64 + 1.5, "iat": now + 60})),
                now
            )
            .is_empty()
        );
        assert_eq!(codes(&claim_findings(&Map::new(), now)), ["missing_exp"]);
        assert_eq!(
            codes(&claim_findings(
                &object(json!({"exp": "soon", "auth_time": null})),
                now
            )),
            ["date_not_number", "date_not_number"]
        );
        // Extreme values neither overflow nor panic.
        let c = object(json!({"exp": -1e300, "nbf": 1e300, "iat": f64::MAX}));
        assert_eq!(codes(&claim_findings(&c, i64::MAX)), ["expired"]);
        assert_eq!(
            codes(&claim_findings(&c, i64::MIN)),
            ["expired", "not_yet_valid", "iat_in_future"]
        );
    }

    #[test]
    fn published_and_repetitive_secrets_are_guessable() {
        assert!(guessable_secret(b"your-256-bit-secret"));
        assert!(guessable_secret(b" Secret\n"));
        assert!(guessable_secret(&[b'a'; 64]));
        assert!(guessable_secret(b"abcabcabcabcabcabcabcabcabcabcab"));
        assert!(!guessable_secret(b"k3J9-xQ2_vT8mZ1pL6wR4nB7yC0hF5dG"));
        assert!(!guessable_secret(b"a-32-byte-long-secret-for-hs256!"));
        assert_eq!(codes(&secret_findings(b"changeme")), ["weak_secret"]);
        assert!(secret_findings(b"a-32-byte-long-secret-for-hs256!").is_empty());
    }

    #[test]
    fn spans_in_two_units() {
        assert_eq!(span(252), "4m12s");
        assert_eq!(span(3 * 3600), "3h");
        assert_eq!(span(3 * 3600 + 59), "3h");
        assert_eq!(span(2 * 86_400 + 5 * 3600 + 7), "2d5h");
        assert_eq!(span(0), "0s");
        assert_eq!(span(59), "59s");
        assert_eq!(span(u64::MAX), "213503982334601d7h");
    }
}
