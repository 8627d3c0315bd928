//! `tessera decode`: header and payload WITHOUT verification.

use serde_json::{Map, Value, json};
use tessera_jose::error::Malformed;
use tessera_jose::{b64, dangerous};

use crate::args::{DateStyle, DecodeArgs};
use crate::exit::{CmdResult, rejected};
use crate::input;
use crate::output::{self, Palette, iso, pretty, span, warn};
use tessera_jose::inspect::{self, DATE_CLAIMS};

pub fn run(a: &DecodeArgs) -> CmdResult {
    let token = input::pasted_token(a.token.as_deref())?;
    let now = input::now(a.now);
    if token.starts_with('{') {
        return json_serialization(&token, a);
    }
    match token.split('.').count() {
        3 => jws(&token, a, now),
        5 => jwe(&token, a),
        _ => Err(rejected(tessera_jose::Error::Malformed(
            tessera_jose::error::Malformed::Compact,
        ))),
    }
}

fn jws(token: &str, a: &DecodeArgs, now: i64) -> CmdResult {
    let u = match dangerous::decode_unverified(token) {
        Ok(u) => u,
        Err(tessera_jose::Error::Malformed(Malformed::DuplicateMember)) => {
            return as_written(token, a);
        }
        Err(e) => return Err(rejected(e)),
    };
    if u.claims.is_none() && has_duplicates(&u.payload) {
        return as_written(token, a);
    }
    let header = Value::Object(u.header.as_map().clone());
    let payload = match &u.claims {
        Some(m) => Value::Object(m.clone()),
        None => match std::str::from_utf8(&u.payload) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::String(b64::encode(&u.payload)),
        },
    };
    warnings(u.header.as_map(), u.claims.as_ref(), now);
    if a.json {
        eprintln!("note: decoded without verification");
        return output::json(&json!({
            "header": header,
            "payload": payload,
            "signature": b64::encode(&u.signature),
        }));
    }
    let p = Palette::stdout();
    let mut s = String::new();
    let kind = if u
        .header
        .get_str("cty")
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
    {
        "JWS (compact), its payload a nested JWT"
    } else {
        "JWT/JWS (compact)"
    };
    s.push_str(&format!(
        "{}{kind}: NOT VERIFIED (the signature and claims were not checked){}\n\n",
        p.bold, p.reset
    ));
    s.push_str(&format!(
        "{}Header{}\n{}\n\n",
        p.bold,
        p.reset,
        pretty(&header, p)
    ));
    s.push_str(&format!(
        "{}Payload{}\n{}\n",
        p.bold,
        p.reset,
        pretty(&payload, p)
    ));
    if let Some(claims) = &u.claims {
        let notes = date_notes(claims, now, a.date);
        if !notes.is_empty() {
            s.push('\n');
            for n in notes {
                s.push_str(&format!("  {}{n}{}\n", p.dim, p.reset));
            }
        }
    }
    s.push_str(&format!(
        "\n{}Signature{} {} bytes\n",
        p.bold,
        p.reset,
        u.signature.len()
    ));
    output::out(s.as_bytes())
}

/// Whether bytes are JSON whose only fault is a repeated member name.
fn has_duplicates(bytes: &[u8]) -> bool {
    matches!(
        tessera_jose::json::check(bytes, tessera_jose::json::DEFAULT_MAX_DEPTH),
        Err(tessera_jose::Error::Malformed(Malformed::DuplicateMember))
    ) && serde_json::from_slice::<Value>(bytes).is_ok()
}

/// A token whose header or payload repeats a member name, shown exactly as written (a parsed
/// view would silently keep one of the values), with a warning: decode is for looking, while
/// `verify` rejects such tokens.
fn as_written(token: &str, a: &DecodeArgs) -> CmdResult {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(rejected(Malformed::Compact.into()));
    };
    let text = |part: &str| -> Result<String, crate::exit::Failure> {
        let bytes = b64::decode(part).map_err(rejected)?;
        String::from_utf8(bytes).map_err(|_| rejected(Malformed::Json.into()))
    };
    let (header, payload) = (text(h)?, text(p)?);
    // Only JSON is shown raw (JSON text holds no raw control characters).
    for json in [&header, &payload] {
        if serde_json::from_str::<Value>(json).is_err() {
            return Err(rejected(Malformed::Json.into()));
        }
    }
    for (name, json) in [("header", &header), ("payload", &payload)] {
        if has_duplicates(json.as_bytes()) {
            warn(&format!(
                "the {name} repeats a member name: shown as written; verifiers reject this token (duplicate_member)"
            ));
        }
    }
    let sig_len = b64::decode(sig).map_or(0, |s| s.len());
    if a.json {
        eprintln!("note: decoded without verification");
        // Raw JSON texts, spliced in as written so no duplicate is lost.
        return output::line(&format!(
            "{{\"header\": {header}, \"payload\": {payload}, \"signature\": {}}}",
            Value::String(sig.to_owned())
        ));
    }
    let p = Palette::stdout();
    output::out(
        format!(
            "{b}JWT/JWS (compact): NOT VERIFIED (the signature and claims were not checked){r}\n\n{b}Header{r} (as written)\n{header}\n\n{b}Payload{r} (as written)\n{payload}\n\n{b}Signature{r} {sig_len} bytes\n",
            b = p.bold,
            r = p.reset
        )
        .as_bytes(),
    )
}

fn jwe(token: &str, a: &DecodeArgs) -> CmdResult {
    let header = dangerous::peek_header_unverified(token).map_err(rejected)?;
    let parsed = tessera_jose::jwe::Jwe::parse(token, tessera_jose::jwe::DEFAULT_MAX_SIZE)
        .map_err(rejected)?;
    let [key, iv, ct, tag] = parsed.part_sizes();
    let nested = header
        .get_str("cty")
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"));
    warnings(header.as_map(), None, 0);
    let header = Value::Object(header.as_map().clone());
    if a.json {
        eprintln!("note: decoded without decryption or verification");
        return output::json(&json!({
            "header": header,
            "encrypted": true,
            "nested": nested,
            "parts": {"encrypted_key": key, "iv": iv, "ciphertext": ct, "tag": tag},
        }));
    }
    let p = Palette::stdout();
    let kind = if nested {
        "JWE (compact), a nested JWT: a signed JWT inside (verify with `tessera verify --key SIGNING_KEY --decrypt-key KEY`)"
    } else {
        "JWE (compact): encrypted; the content needs the key (`tessera verify` or `tessera jwe decrypt`)"
    };
    let s = format!(
        "{b}{kind}{r}\n\n{b}Protected header{r}\n{}\n\n{b}Parts{r}\n  encrypted key  {key} bytes\n  iv             {iv} bytes\n  ciphertext     {ct} bytes\n  tag            {tag} bytes\n",
        pretty(&header, p),
        b = p.bold,
        r = p.reset,
    );
    output::out(s.as_bytes())
}

fn json_serialization(text: &str, a: &DecodeArgs) -> CmdResult {
    let v: Value = serde_json::from_str(text).map_err(|_| {
        rejected(tessera_jose::Error::Malformed(
            tessera_jose::error::Malformed::Json,
        ))
    })?;
    if v.get("ciphertext").is_some() {
        let jwe = tessera_jose::jwe::Jwe::parse(text, tessera_jose::jwe::DEFAULT_MAX_SIZE)
            .map_err(rejected)?;
        let recipients: Vec<Value> = jwe
            .recipient_headers()
            .map(|h| h.map_or(Value::Null, |m| Value::Object(m.clone())))
            .collect();
        warnings(jwe.protected(), None, 0);
        let out = json!({
            "header": Value::Object(jwe.protected().clone()),
            "unprotected": jwe.unprotected().map(|m| Value::Object(m.clone())),
            "recipients": recipients,
            "encrypted": true,
        });
        eprintln!("note: decoded without decryption or verification");
        return if a.json {
            output::json(&out)
        } else {
            let p = Palette::stdout();
            output::out(
                format!(
                    "{}JWE (JSON serialization, {} recipient(s)): encrypted{}\n{}\n",
                    p.bold,
                    jwe.recipient_count(),
                    p.reset,
                    pretty(&out, p)
                )
                .as_bytes(),
            )
        };
    }
    let jws = tessera_jose::jws::Jws::parse(text, tessera_jose::jws::DEFAULT_MAX_SIZE)
        .map_err(rejected)?;
    let signatures: Vec<Value> = jws
        .signatures()
        .iter()
        .map(|s| {
            warnings(s.protected(), None, 0);
            json!({
                "protected": Value::Object(s.protected().clone()),
                "header": s.unprotected().map(|m| Value::Object(m.clone())),
            })
        })
        .collect();
    let payload = v
        .get("payload")
        .and_then(Value::as_str)
        .map(|p| match b64::decode(p) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(json) => json,
                Err(_) => String::from_utf8(bytes)
                    .map_or_else(|_| Value::String(p.to_owned()), Value::String),
            },
            Err(_) => Value::String(p.to_owned()),
        });
    let out = json!({"payload": payload, "signatures": signatures});
    eprintln!("note: decoded without verification");
    if a.json {
        output::json(&out)
    } else {
        let p = Palette::stdout();
        output::out(
            format!(
                "{}JWS (JSON serialization, {} signature(s)): NOT VERIFIED{}\n{}\n",
                p.bold,
                jws.signature_count(),
                p.reset,
                pretty(&out, p)
            )
            .as_bytes(),
        )
    }
}

/// What a person should know before trusting the token (unsecured, expired, not yet valid,
/// key material in the header, ...), as the debugger shows it, on stderr.
fn warnings(header: &Map<String, Value>, claims: Option<&Map<String, Value>>, now: i64) {
    let mut found = inspect::header_findings(header);
    if let Some(c) = claims {
        found.extend(inspect::claim_findings(c, now));
    }
    for f in found {
        warn(&f.message);
    }
}

/// `exp 2026-11-28T13:30:00Z (expires in 4m12s)` lines for the date claims present.
fn date_notes(c: &Map<String, Value>, now: i64, style: DateStyle) -> Vec<String> {
    let mut notes = Vec::new();
    for name in DATE_CLAIMS {
        let Some(t) = c.get(name).and_then(Value::as_i64) else {
            continue;
        };
        let d = span(now.abs_diff(t));
        let rel = match (name, t > now) {
            ("exp", true) => format!("expires in {d}"),
            ("exp", false) => format!("expired {d} ago"),
            ("nbf", true) => format!("not valid for another {d}"),
            ("nbf", false) => format!("valid since {d} ago"),
            ("iat", true) => format!("issued {d} in the future"),
            ("iat", false) => format!("issued {d} ago"),
            (_, true) => format!("{d} in the future"),
            (_, false) => format!("authenticated {d} ago"),
        };
        notes.push(format!("{name:<9} {}  ({rel})", iso(t, style)));
    }
    notes
}
