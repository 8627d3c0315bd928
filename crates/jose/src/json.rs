//! JSON with limits: nesting depth is bounded and duplicate member names are rejected
//! (RFC 7515 §5.2 step 4, RFC 7519 §4) before `serde_json` sees the bytes.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Limit, Malformed};

/// Default maximum JSON nesting depth (objects and arrays).
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// Checks `bytes` for excessive nesting and duplicate member names in any object.
///
/// This is a single linear scan that only tracks strings and brackets; full syntax checking is
/// left to `serde_json`, which always runs afterwards. Malformed input never panics here.
///
/// # Errors
/// [`Limit::Depth`] when nesting exceeds `max_depth`, [`Malformed::DuplicateMember`] on a repeated
/// member name (compared after unescaping).
pub fn check(bytes: &[u8], max_depth: usize) -> Result<(), Error> {
    // One frame per open object or array; for objects, where their keys start in `keys`.
    let mut frames: Vec<Frame> = Vec::new();
    let mut keys: Vec<Cow<'_, [u8]>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let mut escaped = false;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        escaped = true;
                        j += 1;
                    }
                    j += 1;
                }
                let end = j.min(bytes.len());
                if let Some(Frame::Object { expecting_key, .. }) = frames.last_mut()
                    && *expecting_key
                {
                    *expecting_key = false;
                    keys.push(if escaped {
                        unescape(&bytes[start - 1..(end + 1).min(bytes.len())])
                    } else {
                        Cow::Borrowed(&bytes[start..end])
                    });
                }
                i = end + 1;
                continue;
            }
            b'{' => {
                frames.push(Frame::Object {
                    expecting_key: true,
                    key_start: keys.len(),
                });
            }
            b'[' => frames.push(Frame::Array),
            b'}' | b']' => {
                if let Some(Frame::Object { key_start, .. }) = frames.pop() {
                    if has_duplicates(&keys[key_start..]) {
                        return Err(Error::Malformed(Malformed::DuplicateMember));
                    }
                    keys.truncate(key_start);
                }
            }
            b',' => {
                if let Some(Frame::Object { expecting_key, .. }) = frames.last_mut() {
                    *expecting_key = true;
                }
            }
            _ => {}
        }
        if frames.len() > max_depth {
            return Err(Error::LimitExceeded(Limit::Depth));
        }
        i += 1;
    }
    Ok(())
}

/// Parses a JSON object with [`check`]'s guarantees.
///
/// # Errors
/// As [`check`], and [`Malformed::Json`] when the bytes are not a JSON object.
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, Error> {
    check(bytes, max_depth)?;
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::Malformed(Malformed::Json)),
    }
}

/// Deserializes `bytes` into `T` with [`check`]'s guarantees.
///
/// # Errors
/// As [`check`], and [`Malformed::Json`] when deserialization fails.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], max_depth: usize) -> Result<T, Error> {
    check(bytes, max_depth)?;
    serde_json::from_slice(bytes).map_err(|_| Error::Malformed(Malformed::Json))
}

enum Frame {
    /// An object; its member names are `keys[key_start..]`.
    Object {
        expecting_key: bool,
        key_start: usize,
    },
    Array,
}

fn unescape(quoted: &[u8]) -> Cow<'static, [u8]> {
    match serde_json::from_slice::<String>(quoted) {
        Ok(s) => Cow::Owned(s.into_bytes()),
        // Invalid escapes: serde_json rejects the document later; keep the raw bytes meanwhile.
        Err(_) => Cow::Owned(quoted.to_vec()),
    }
}

fn has_duplicates(keys: &[Cow<'_, [u8]>]) -> bool {
    if keys.len() <= 12 {
        return keys
            .iter()
            .enumerate()
            .any(|(n, k)| keys[n + 1..].iter().any(|o| o == k));
    }
    let mut sorted: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_objects() {
        check(
            br#"{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]},"c":"}{,\""}"#,
            8,
        )
        .unwrap();
    }

    #[test]
    fn rejects_duplicates_at_any_level() {
        for doc in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"a":1,"b":2,"a":3}}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"[{"k":1,"k":1}]"#,
        ] {
            assert_eq!(
                check(doc.as_bytes(), 8),
                Err(Error::Malformed(Malformed::DuplicateMember)),
                "{doc}"
            );
        }
        let many: Vec<String> = (0..100).map(|n| format!("\"k{n}\":0")).collect();
        let doc = format!("{{{},\"k7\":1}}", many.join(","));
        assert!(check(doc.as_bytes(), 8).is_err());
        let doc = format!("{{{}}}", many.join(","));
        assert!(check(doc.as_bytes(), 8).is_ok());
    }

    #[test]
    fn rejects_deep_nesting() {
        let doc = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            check(doc.as_bytes(), 32),
            Err(Error::LimitExceeded(Limit::Depth))
        );
        assert!(check(doc.as_bytes(), 40).is_ok());
    }

    #[test]
    fn never_panics_on_garbage() {
        for doc in [
            "\"",
            "{\"",
            "{\"\\",
            "}}}",
            "]",
            "{\"a\\",
            "{,,,\"a\":1,\"a\"",
        ] {
            let _ = check(doc.as_bytes(), 4);
        }
    }
}
