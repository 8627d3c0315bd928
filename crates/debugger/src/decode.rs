//! Tokens taken apart without verification: parts, headers, payloads, claims and warnings, for
//! every serialization, duplicates shown as written.

use serde::Serialize;
use serde_json::{Map, Value};
use tessera_jose::jwe::Jwe;
use tessera_jose::jws::Jws;
use tessera_jose::{Error, b64, json as strict};

use crate::ApiError;
use crate::claims::{self, ClaimRow, Warning, warning};
use crate::input::MAX_TOKEN;

pub(super) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A base64url part decoded as JSON: the value, its text for display (as written when a member
/// name repeats: a parsed view would hide one of the values) and whether one does.
fn json_part(name: &str, part: &str) -> Result<(Value, String, bool), ApiError> {
    let bytes = b64::decode(part)
        .map_err(|_| ApiError::bad("malformed", format!("the {name} is not base64url")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad("malformed", format!("the {name} is not UTF-8")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad("malformed", format!("the {name} is not JSON: {e}")))?;
    let duplicate = repeats_a_member(&bytes);
    let shown = if duplicate {
        text.to_owned()
    } else {
        pretty(&value)
    };
    Ok((value, shown, duplicate))
}

/// A token taken apart: what every serialization has, and what its kind adds ([`Body`]).
#[derive(Debug, Serialize)]
pub struct TokenView {
    /// `jws` or `jwe`.
    pub kind: &'static str,
    /// `compact` or `json`.
    pub format: &'static str,
    /// The token as given.
    pub token: String,
    /// A compact token's parts, in order (none for the JSON serializations).
    pub parts: Vec<Part>,
    /// The (first) protected header; `null` for a JSON JWS without signatures.
    pub header: Value,
    /// The header as shown: pretty, or as written when a member name repeats.
    pub header_text: String,
    /// Whether the header says the content is a JWT (`cty: JWT`).
    pub nested: bool,
    /// What the kind and serialization add.
    #[serde(flatten)]
    pub body: Body,
    /// What a person should know before trusting the token.
    pub warnings: Vec<Warning>,
}

/// One part of a compact token.
#[derive(Debug, Serialize)]
pub struct Part {
    /// `header`, `payload`, `signature`, `encrypted_key`, `iv`, `ciphertext` or `tag`.
    pub name: &'static str,
    /// Its base64url text.
    pub text: String,
}

/// What a JWS payload holds.
#[derive(Debug, Serialize)]
pub struct PayloadView {
    /// `json`, `text` or `binary`.
    pub payload_kind: &'static str,
    /// The JSON value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// The payload as shown: JSON pretty (or as written when a member repeats), text, or
    /// base64url for binary.
    pub payload_text: String,
    /// The claims table of a JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimRow>>,
}

/// What a token's kind and serialization add to its [`TokenView`].
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Body {
    /// A compact JWS.
    CompactJws {
        /// The signature's length in bytes.
        signature_bytes: usize,
        /// Its payload.
        #[serde(flatten)]
        payload: PayloadView,
        /// The token inside a nested JWT (one level).
        #[serde(skip_serializing_if = "Option::is_none")]
        inner: Option<Inner>,
    },
    /// A JWS in the JSON serialization.
    JsonJws {
        /// Each signature's protected and unprotected header.
        signatures: Vec<SignatureHeaders>,
        /// Its payload (absent when detached).
        #[serde(flatten)]
        payload: Option<PayloadView>,
    },
    /// A compact JWE.
    CompactJwe {
        /// Each part's length in bytes (`null` when it is not base64url).
        sizes: CompactSizes,
    },
    /// A JWE in the JSON serialization.
    JsonJwe {
        /// The shared unprotected header.
        unprotected: Option<Value>,
        /// Each recipient's header (`null` when it has none).
        recipients: Vec<Value>,
        /// The parts' lengths in bytes (the first recipient's encrypted key).
        sizes: JsonSizes,
    },
}

/// A nested token: taken apart, or why it could not be.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Inner {
    /// The inner token.
    Token(Box<TokenView>),
    /// Why it is not one.
    Error {
        /// `{"code", "message"}`.
        error: Value,
    },
}

impl Inner {
    /// A nested token's inner one, taken apart (one level: no deeper).
    pub(crate) fn of(text: &str) -> Self {
        match inspect_token(text, 1) {
            Ok(v) => Self::Token(Box::new(v)),
            Err(e) => Self::Error { error: e.body() },
        }
    }
}

/// A JSON JWS signature's headers.
#[derive(Debug, Serialize)]
pub struct SignatureHeaders {
    /// The protected header.
    pub protected: Value,
    /// The unprotected header.
    pub header: Option<Value>,
}

/// The lengths of a compact JWE's parts.
#[derive(Debug, Serialize)]
pub struct CompactSizes {
    header: Option<usize>,
    encrypted_key: Option<usize>,
    iv: Option<usize>,
    ciphertext: Option<usize>,
    tag: Option<usize>,
}

/// The lengths of a JSON JWE's parts.
#[derive(Debug, Serialize)]
pub struct JsonSizes {
    encrypted_key: usize,
    iv: usize,
    ciphertext: usize,
    tag: usize,
}

fn duplicate_warning(name: &str) -> Warning {
    warning(
        "duplicate_member",
        format!(
            "the {name} repeats a member name (shown as written): parsers disagree on which value wins, so verifiers reject it"
        ),
    )
}

/// The payload of a JWS: JSON (claims when an object), text, or binary (base64url).
fn payload_view(bytes: &[u8], warnings: &mut Vec<Warning>) -> PayloadView {
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        let duplicate = repeats_a_member(bytes);
        if duplicate {
            warnings.push(duplicate_warning("payload"));
        }
        let shown = if duplicate {
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            pretty(&value)
        };
        let claims = match &value {
            Value::Object(c) => {
                claims::claim_warnings(c, claims::now(), warnings);
                Some(claims::table(c))
            }
            _ => None,
        };
        PayloadView {
            payload_kind: "json",
            payload: Some(value),
            payload_text: shown,
            claims,
        }
    } else if let Ok(t) = std::str::from_utf8(bytes) {
        PayloadView {
            payload_kind: "text",
            payload: None,
            payload_text: t.to_owned(),
            claims: None,
        }
    } else {
        PayloadView {
            payload_kind: "binary",
            payload: None,
            payload_text: b64::encode(bytes),
            claims: None,
        }
    }
}

/// Takes a token apart: compact (three parts: JWS, five: JWE) or a JSON serialization; a nested
/// token's inner one too when `depth` is 0.
pub(super) fn inspect_token(token: &str, depth: u8) -> Result<TokenView, ApiError> {
    if token.starts_with('{') {
        return json_serialization(token);
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [h, p, s] => compact_jws(token, h, p, s, depth),
        [h, k, iv, ct, tag] => compact_jwe(token, [h, k, iv, ct, tag]),
        _ => Err(ApiError::bad(
            "malformed",
            format!(
                "a compact token has 3 parts (JWS) or 5 (JWE) separated by dots; this one has {}",
                parts.len()
            ),
        )),
    }
}

/// Whether a header says its content is a JWT.
fn says_jwt(h: &Map<String, Value>) -> bool {
    h.get("cty")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
}

fn compact_jws(token: &str, h: &str, p: &str, s: &str, depth: u8) -> Result<TokenView, ApiError> {
    let (header, header_text, duplicate) = json_part("header", h)?;
    let Value::Object(hmap) = &header else {
        return Err(ApiError::bad(
            "malformed",
            "the header is not a JSON object",
        ));
    };
    let mut warnings = Vec::new();
    if duplicate {
        warnings.push(duplicate_warning("header"));
    }
    claims::header_warnings(hmap, &mut warnings);
    let encoded = hmap.get("b64") != Some(&Value::Bool(false));
    let payload = if encoded {
        b64::decode(p).map_err(|_| ApiError::bad("malformed", "the payload is not base64url"))?
    } else {
        p.as_bytes().to_vec()
    };
    let signature =
        b64::decode(s).map_err(|_| ApiError::bad("malformed", "the signature is not base64url"))?;
    let view = payload_view(&payload, &mut warnings);
    let nested = says_jwt(hmap);
    let inner = if nested && depth == 0 {
        std::str::from_utf8(&payload).ok().map(Inner::of)
    } else {
        None
    };
    Ok(TokenView {
        kind: "jws",
        format: "compact",
        token: token.to_owned(),
        parts: vec![
            Part {
                name: "header",
                text: h.to_owned(),
            },
            Part {
                name: "payload",
                text: p.to_owned(),
            },
            Part {
                name: "signature",
                text: s.to_owned(),
            },
        ],
        header,
        header_text,
        nested,
        body: Body::CompactJws {
            signature_bytes: signature.len(),
            payload: view,
            inner,
        },
        warnings,
    })
}

fn compact_jwe(token: &str, parts: [&&str; 5]) -> Result<TokenView, ApiError> {
    let (header, header_text, duplicate) = json_part("protected header", parts[0])?;
    let Value::Object(hmap) = &header else {
        return Err(ApiError::bad(
            "malformed",
            "the protected header is not a JSON object",
        ));
    };
    let mut warnings = Vec::new();
    if duplicate {
        warnings.push(duplicate_warning("protected header"));
    }
    claims::header_warnings(hmap, &mut warnings);
    if let Err(e) = Jwe::parse(token, MAX_TOKEN) {
        warnings.push(warning(e.code(), format!("decryption will fail: {e}")));
    }
    let len = |part: &str| b64::decode(part).ok().map(|b| b.len());
    let names = ["header", "encrypted_key", "iv", "ciphertext", "tag"];
    let nested = says_jwt(hmap);
    Ok(TokenView {
        kind: "jwe",
        format: "compact",
        token: token.to_owned(),
        parts: names
            .iter()
            .zip(parts)
            .map(|(name, text)| Part {
                name,
                text: (*text).to_owned(),
            })
            .collect(),
        header,
        header_text,
        nested,
        body: Body::CompactJwe {
            sizes: CompactSizes {
                header: len(parts[0]),
                encrypted_key: len(parts[1]),
                iv: len(parts[2]),
                ciphertext: len(parts[3]),
                tag: len(parts[4]),
            },
        },
        warnings,
    })
}

fn json_serialization(token: &str) -> Result<TokenView, ApiError> {
    let value: Value = serde_json::from_str(token)
        .map_err(|e| ApiError::bad("malformed", format!("the token is not valid JSON: {e}")))?;
    let rejected = |e: Error| ApiError::bad(e.code(), e.to_string());
    if value.get("ciphertext").is_some() {
        let jwe = Jwe::parse(token, MAX_TOKEN).map_err(rejected)?;
        let mut warnings = Vec::new();
        claims::header_warnings(jwe.protected(), &mut warnings);
        let [encrypted_key, iv, ciphertext, tag] = jwe.part_sizes();
        let header = Value::Object(jwe.protected().clone());
        return Ok(TokenView {
            kind: "jwe",
            format: "json",
            token: token.to_owned(),
            parts: Vec::new(),
            header_text: pretty(&header),
            header,
            nested: false,
            body: Body::JsonJwe {
                unprotected: jwe.unprotected().map(|m| Value::Object(m.clone())),
                recipients: jwe
                    .recipient_headers()
                    .map(|h| h.map_or(Value::Null, |m| Value::Object(m.clone())))
                    .collect(),
                sizes: JsonSizes {
                    encrypted_key,
                    iv,
                    ciphertext,
                    tag,
                },
            },
            warnings,
        });
    }
    let jws = Jws::parse(token, MAX_TOKEN).map_err(rejected)?;
    let mut warnings = Vec::new();
    let signatures: Vec<SignatureHeaders> = jws
        .signatures()
        .iter()
        .map(|s| {
            claims::header_warnings(s.protected(), &mut warnings);
            SignatureHeaders {
                protected: Value::Object(s.protected().clone()),
                header: s.unprotected().map(|m| Value::Object(m.clone())),
            }
        })
        .collect();
    let payload = match value.get("payload").and_then(Value::as_str) {
        Some(p) => {
            let unencoded = jws
                .signatures()
                .first()
                .is_some_and(|s| s.protected().get("b64") == Some(&Value::Bool(false)));
            let bytes = if unencoded {
                p.as_bytes().to_vec()
            } else {
                b64::decode(p)
                    .map_err(|_| ApiError::bad("malformed", "the payload is not base64url"))?
            };
            Some(payload_view(&bytes, &mut warnings))
        }
        None => None,
    };
    let first = jws
        .signatures()
        .first()
        .map(|s| Value::Object(s.protected().clone()));
    Ok(TokenView {
        kind: "jws",
        format: "json",
        token: token.to_owned(),
        parts: Vec::new(),
        header_text: first.as_ref().map(pretty).unwrap_or_default(),
        header: first.unwrap_or(Value::Null),
        nested: false,
        body: Body::JsonJws {
            signatures,
            payload,
        },
        warnings,
    })
}

/// Whether JSON bytes repeat a member name (what every verifier rejects).
fn repeats_a_member(json: &[u8]) -> bool {
    matches!(
        strict::check(json, strict::DEFAULT_MAX_DEPTH),
        Err(Error::Malformed(
            tessera_jose::error::Malformed::DuplicateMember
        ))
    )
}
