//! Tokens taken apart without verification: parts, headers, payloads, claims and warnings, for
//! every serialization, duplicates shown as written.

use serde_json::{Map, Value, json};
use tessera_jose::jwe::Jwe;
use tessera_jose::jws::Jws;
use tessera_jose::{Error, b64, json as strict};

use crate::ApiError;
use crate::claims::{self, warning};
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

fn duplicate_warning(name: &str) -> Value {
    warning(
        "duplicate_member",
        format!(
            "the {name} repeats a member name (shown as written): parsers disagree on which value wins, so verifiers reject it"
        ),
    )
}

/// The payload of a JWS: JSON (claims when an object), text, or binary (base64url).
fn payload_view(bytes: &[u8], out: &mut Map<String, Value>, warnings: &mut Vec<Value>) {
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
        if let Value::Object(c) = &value {
            claims::claim_warnings(c, claims::now(), warnings);
            out.insert("claims".into(), json!(claims::table(c)));
        }
        out.insert("payload_kind".into(), json!("json"));
        out.insert("payload".into(), value);
        out.insert("payload_text".into(), json!(shown));
    } else if let Ok(t) = std::str::from_utf8(bytes) {
        out.insert("payload_kind".into(), json!("text"));
        out.insert("payload_text".into(), json!(t));
    } else {
        out.insert("payload_kind".into(), json!("binary"));
        out.insert("payload_text".into(), json!(b64::encode(bytes)));
    }
}

pub(super) fn inspect_token(token: &str, depth: u8) -> Result<Value, ApiError> {
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

fn compact_jws(token: &str, h: &str, p: &str, s: &str, depth: u8) -> Result<Value, ApiError> {
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
    let mut out = Map::new();
    payload_view(&payload, &mut out, &mut warnings);
    let nested = hmap
        .get("cty")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"));
    if nested
        && depth == 0
        && let Ok(inner) = std::str::from_utf8(&payload)
    {
        out.insert(
            "inner".into(),
            inspect_token(inner, 1).unwrap_or_else(|e| json!({"error": e.body()})),
        );
    }
    let mut v = json!({
        "kind": "jws",
        "format": "compact",
        "token": token,
        "parts": [
            {"name": "header", "text": h},
            {"name": "payload", "text": p},
            {"name": "signature", "text": s},
        ],
        "header": header,
        "header_text": header_text,
        "signature_bytes": signature.len(),
        "nested": nested,
    });
    if let Value::Object(m) = &mut v {
        m.extend(out);
    }
    v["warnings"] = json!(warnings);
    Ok(v)
}

fn compact_jwe(token: &str, parts: [&&str; 5]) -> Result<Value, ApiError> {
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
    let names = ["header", "encrypted_key", "iv", "ciphertext", "tag"];
    let mut sizes = Map::new();
    for (name, part) in names.iter().zip(parts) {
        let len = b64::decode(part).map_or(Value::Null, |b| json!(b.len()));
        sizes.insert((*name).to_owned(), len);
    }
    let nested = hmap
        .get("cty")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"));
    Ok(json!({
        "kind": "jwe",
        "format": "compact",
        "token": token,
        "parts": names.iter().zip(parts).map(|(n, t)| json!({"name": n, "text": t})).collect::<Vec<_>>(),
        "header": header,
        "header_text": header_text,
        "sizes": sizes,
        "nested": nested,
        "warnings": warnings,
    }))
}

fn json_serialization(token: &str) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_str(token)
        .map_err(|e| ApiError::bad("malformed", format!("the token is not valid JSON: {e}")))?;
    let rejected = |e: Error| ApiError::bad(e.code(), e.to_string());
    if value.get("ciphertext").is_some() {
        let jwe = Jwe::parse(token, MAX_TOKEN).map_err(rejected)?;
        let mut warnings = Vec::new();
        claims::header_warnings(jwe.protected(), &mut warnings);
        let [key, iv, ct, tag] = jwe.part_sizes();
        let recipients: Vec<Value> = jwe
            .recipient_headers()
            .map(|h| h.map_or(Value::Null, |m| Value::Object(m.clone())))
            .collect();
        return Ok(json!({
            "kind": "jwe",
            "format": "json",
            "token": token,
            "parts": [],
            "header": Value::Object(jwe.protected().clone()),
            "header_text": pretty(&Value::Object(jwe.protected().clone())),
            "unprotected": jwe.unprotected().map(|m| Value::Object(m.clone())),
            "recipients": recipients,
            "sizes": {"encrypted_key": key, "iv": iv, "ciphertext": ct, "tag": tag},
            "nested": false,
            "warnings": warnings,
        }));
    }
    let jws = Jws::parse(token, MAX_TOKEN).map_err(rejected)?;
    let mut warnings = Vec::new();
    let signatures: Vec<Value> = jws
        .signatures()
        .iter()
        .map(|s| {
            claims::header_warnings(s.protected(), &mut warnings);
            json!({
                "protected": Value::Object(s.protected().clone()),
                "header": s.unprotected().map(|m| Value::Object(m.clone())),
            })
        })
        .collect();
    let mut out = Map::new();
    if let Some(p) = value.get("payload").and_then(Value::as_str) {
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
        payload_view(&bytes, &mut out, &mut warnings);
    }
    let first = jws
        .signatures()
        .first()
        .map(|s| Value::Object(s.protected().clone()));
    let mut v = json!({
        "kind": "jws",
        "format": "json",
        "token": token,
        "parts": [],
        "header": first.clone().unwrap_or(Value::Null),
        "header_text": first.as_ref().map(pretty).unwrap_or_default(),
        "signatures": signatures,
        "nested": false,
    });
    if let Value::Object(m) = &mut v {
        m.extend(out);
    }
    v["warnings"] = json!(warnings);
    Ok(v)
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
