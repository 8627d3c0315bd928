//! Why a token was rejected, for a person: what the token had beside what the verifier expected.

use serde_json::{Map, Value};

use super::verifier::{AudienceCheck, Layers, Verifier};
use crate::b64;
use crate::error::{Error, escaped};

type Object = Map<String, Value>;

/// How many keys, algorithms or audiences an explanation lists before it counts the rest.
const LISTED: usize = 8;

impl Verifier {
    /// What `token` had and what this verifier expected, for the rejection `err` that
    /// [`Verifier::verify`] returned for it: one line for a person reading a log or a terminal,
    /// or `None` when the error has nothing to compare (a bad signature or a failed decryption
    /// stays opaque, and so does anything that cannot be read).
    ///
    /// Every value from the token is escaped and bounded ([`crate::error::escaped`]). The token
    /// is read again without any check, so the line is for diagnosis only, never for a
    /// decision; claims are only shown for claim errors, which come after the signature
    /// verified (and, for an encrypted token, after decryption, which this repeats).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tessera_jose::{Jwk, JwkSet, JwsAlg, jws::Signer, jwt::{Claims, JwtSigner, Verifier}};
    /// let key = Jwk::generate(JwsAlg::ES256)?;
    /// let token = Claims::new()
    ///     .audience("api://billing")
    ///     .expires_in(Duration::from_secs(300))
    ///     .sign(&JwtSigner::new(Signer::new(&key, JwsAlg::ES256)?))?;
    /// let verifier = Verifier::builder(JwkSet::from(key.to_public()?))
    ///     .algorithms([JwsAlg::ES256])
    ///     .audience("api://orders")
    ///     .build()?;
    /// let err = verifier.verify::<serde_json::Value>(&token).unwrap_err();
    /// assert_eq!(
    ///     verifier.explain(&token, &err).unwrap(),
    ///     "the token's aud is `api://billing`; expected `api://orders`"
    /// );
    /// # Ok::<(), tessera_jose::Error>(())
    /// ```
    #[must_use]
    pub fn explain(&self, token: &str, err: &Error) -> Option<String> {
        if token.len() > self.checks.max_size {
            return None;
        }
        let jwe = token.bytes().filter(|&b| b == b'.').count() == 4;
        if jwe
            && matches!(err, Error::AlgorithmNotAllowed)
            && let Layers::Nested(d) | Layers::Encrypted(d) = &self.layers
        {
            // The encryption layer's algorithm, unless it is accepted (then the inner one).
            let header = self.header(token)?;
            let alg = header
                .get("alg")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !d.algorithms().iter().any(|a| a.name() == alg) {
                return Some(format!(
                    "the token's alg is {}; this verifier decrypts {}",
                    shown(header.get("alg")),
                    listed(d.algorithms().iter().map(|a| a.name().to_owned()))
                ));
            }
        }
        match err {
            Error::AlgorithmNotAllowed | Error::NoMatchingKey | Error::AmbiguousKey => {
                let (header, _) = self.signed_parts(token, false)?;
                Some(self.explain_key(&header, err))
            }
            Error::Type => {
                let header = match &self.layers {
                    Layers::Encrypted(_) => self.header(token)?,
                    _ => self.signed_parts(token, false)?.0,
                };
                Some(format!(
                    "the token's typ is {}; expected `{}`",
                    shown(header.get("typ")),
                    escaped(self.checks.typ.as_deref().unwrap_or_default())
                ))
            }
            Error::Issuer
            | Error::Audience
            | Error::Subject
            | Error::Expired
            | Error::NotYetValid
            | Error::IssuedAt
            | Error::MissingClaim(_) => {
                let claims = self.claims_of(token)?;
                self.explain_claims(&claims, err)
            }
            _ => None,
        }
    }

    fn explain_key(&self, header: &Map<String, Value>, err: &Error) -> String {
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if matches!(err, Error::AlgorithmNotAllowed) {
            return format!(
                "the token's alg is {}; this verifier accepts {}",
                shown(header.get("alg")),
                listed(self.keys.algorithms().iter().map(|a| a.name().to_owned()))
            );
        }
        let offered = self
            .keys
            .offered()
            .filter(|(a, _)| a.name() == alg)
            .map(|(_, kid)| {
                kid.map_or_else(
                    || "a key without kid".to_owned(),
                    |k| format!("`{}`", escaped(k)),
                )
            });
        let offered: Vec<String> = offered.collect();
        let kid = match header.get("kid") {
            None => "no kid".to_owned(),
            Some(k) => format!("kid {}", shown(Some(k))),
        };
        if matches!(err, Error::AmbiguousKey) {
            return format!(
                "the token has {kid} and {} keys for `{}` could verify it: {}",
                offered.len(),
                escaped(alg),
                listed(offered.iter().cloned())
            );
        }
        if offered.is_empty() {
            return format!(
                "the token has {kid} (alg `{}`); no key on offer is for `{}`",
                escaped(alg),
                escaped(alg)
            );
        }
        format!(
            "the token has {kid} (alg `{}`); keys on offer for `{}`: {}",
            escaped(alg),
            escaped(alg),
            listed(offered.into_iter())
        )
    }

    fn explain_claims(&self, claims: &Map<String, Value>, err: &Error) -> Option<String> {
        let c = &self.checks;
        let now = c.clock.now();
        let number = |name: &str| claims.get(name).and_then(Value::as_f64).map(|v| v as i64);
        let quoted = |list: &[String]| listed(list.iter().map(|s| format!("`{}`", escaped(s))));
        Some(match err {
            Error::Issuer | Error::MissingClaim(_) if claim_is(err, "iss") => format!(
                "the token's iss is {}; expected {}",
                shown(claims.get("iss")),
                quoted(&c.issuers)
            ),
            Error::Audience | Error::MissingClaim(_) if claim_is(err, "aud") => {
                let had = shown(claims.get("aud"));
                match &c.audiences {
                    AudienceCheck::AnyOf(accepted) => {
                        format!("the token's aud is {had}; expected {}", quoted(accepted))
                    }
                    AudienceCheck::RejectAny => format!(
                        "the token's aud is {had}, and no audience was named as accepted: a token meant for some audience is only accepted by a verifier that names it (RFC 8725 §3.9)"
                    ),
                    AudienceCheck::Skip => return None,
                }
            }
            Error::Subject | Error::MissingClaim(_) if claim_is(err, "sub") => format!(
                "the token's sub is {}; expected `{}`",
                shown(claims.get("sub")),
                escaped(c.subject.as_deref().unwrap_or_default())
            ),
            Error::Expired => {
                let exp = number("exp")?;
                format!(
                    "the token expired at {exp}, {} s before now ({now}; leeway {} s)",
                    now.saturating_sub(exp),
                    c.leeway
                )
            }
            Error::NotYetValid => {
                let nbf = number("nbf")?;
                format!(
                    "the token is valid from {nbf}, {} s after now ({now}; leeway {} s)",
                    nbf.saturating_sub(now),
                    c.leeway
                )
            }
            Error::IssuedAt => {
                let iat = number("iat")?;
                if iat > now {
                    format!(
                        "the token was issued at {iat}, {} s after now ({now}; {} s allowed)",
                        iat.saturating_sub(now),
                        c.leeway.max(c.iat_skew)
                    )
                } else {
                    format!(
                        "the token was issued at {iat}, {} s ago; the oldest accepted is {} s",
                        now.saturating_sub(iat),
                        c.max_age.unwrap_or_default()
                    )
                }
            }
            Error::MissingClaim(name) => {
                format!(
                    "the token has no `{}` claim, which is required",
                    escaped(name)
                )
            }
            _ => return None,
        })
    }

    /// The JOSE header of a compact token (the JWE's for an encrypted one), unverified.
    fn header(&self, token: &str) -> Option<Map<String, Value>> {
        let first = token.split('.').next()?;
        crate::json::parse_object(&b64::decode(first).ok()?, self.checks.max_depth).ok()
    }

    /// The header and, when asked, the claims of the signed token: `token` itself, or the
    /// inner token of a nested one (decrypted again).
    fn signed_parts(&self, token: &str, with_claims: bool) -> Option<(Object, Option<Object>)> {
        let inner;
        let signed = match &self.layers {
            Layers::Signed => token,
            Layers::Nested(d) => {
                let jwe = crate::jwe::Jwe::parse(token, self.checks.max_size).ok()?;
                inner = String::from_utf8(d.decrypt_owned(jwe).ok()?.plaintext().to_vec()).ok()?;
                &inner
            }
            Layers::Encrypted(_) => return None,
        };
        let header = self.header(signed)?;
        if !with_claims {
            return Some((header, None));
        }
        let payload = b64::decode(signed.split('.').nth(1)?).ok()?;
        let claims = crate::json::parse_object(&payload, self.checks.max_depth).ok()?;
        Some((header, Some(claims)))
    }

    /// The claims, read again.
    fn claims_of(&self, token: &str) -> Option<Map<String, Value>> {
        match &self.layers {
            Layers::Encrypted(d) => {
                let jwe = crate::jwe::Jwe::parse(token, self.checks.max_size).ok()?;
                let decrypted = d.decrypt_owned(jwe).ok()?;
                crate::json::parse_object(decrypted.plaintext(), self.checks.max_depth).ok()
            }
            _ => self.signed_parts(token, true)?.1,
        }
    }
}

fn claim_is(err: &Error, name: &str) -> bool {
    match err {
        Error::MissingClaim(n) => n == name,
        Error::Issuer => name == "iss",
        Error::Audience => name == "aud",
        Error::Subject => name == "sub",
        _ => false,
    }
}

/// A value from the token: a string in backquotes, an array of them, or what it is.
fn shown(v: Option<&Value>) -> String {
    match v {
        None => "absent".to_owned(),
        Some(Value::String(s)) => format!("`{}`", escaped(s)),
        Some(Value::Array(items)) => format!("[{}]", listed(items.iter().map(|i| shown(Some(i))))),
        Some(Value::Null) => "null".to_owned(),
        Some(other) => format!("a {} (not a string)", kind(other)),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Object(_) => "JSON object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Null => "null",
    }
}

/// At most [`LISTED`] items, comma-separated, then how many more; `none` for no item.
fn listed(items: impl Iterator<Item = String>) -> String {
    let mut out = Vec::new();
    let mut more = 0usize;
    for item in items {
        if out.len() < LISTED {
            out.push(item);
        } else {
            more += 1;
        }
    }
    if out.is_empty() {
        return "none".to_owned();
    }
    let mut s = out.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}
