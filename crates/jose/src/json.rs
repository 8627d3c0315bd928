//! JSON with limits: nesting depth is bounded and duplicate member names are rejected
//! (RFC 7515 §5.2 step 4, RFC 7519 §4) before `serde_json` sees the bytes.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use smallvec::SmallVec;

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
    scan(bytes, max_depth, |_, _, _| Ok(()))
}

/// [`check`], for a document that must be a JSON object, reporting each top-level member as
/// `(raw name, name has escapes, raw value)` with whitespace trimmed from the value. The
/// registered JWT claims are read this way, in the same pass that checks the whole document.
pub(crate) fn scan_object<'a>(
    bytes: &'a [u8],
    max_depth: usize,
    on_member: impl FnMut(&'a [u8], bool, &'a [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::Malformed(Malformed::Json));
    }
    scan(bytes, max_depth, on_member)
}

fn scan<'a>(
    bytes: &'a [u8],
    max_depth: usize,
    mut on_member: impl FnMut(&'a [u8], bool, &'a [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    // One frame per open object or array; for objects, where their keys start in `keys`.
    // Inline capacities cover ordinary tokens without touching the allocator.
    let mut frames: SmallVec<[Frame; 16]> = SmallVec::new();
    let mut keys: SmallVec<[Key; 24]> = SmallVec::new();
    // The current member of the outermost object: its name and where its value starts.
    let mut top: Option<(Key, Option<usize>)> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let (end, escaped) = string_end(bytes, start);
                let depth = frames.len();
                if let Some(Frame::Object { expecting_key, .. }) = frames.last_mut()
                    && *expecting_key
                {
                    *expecting_key = false;
                    let key = Key {
                        start,
                        end,
                        escaped,
                    };
                    keys.push(key);
                    if depth == 1 {
                        top = Some((key, None));
                    }
                }
                i = end + 1;
                continue;
            }
            b':' if frames.len() == 1 => {
                if let Some((_, value_start @ None)) = &mut top {
                    *value_start = Some(i + 1);
                }
            }
            b'{' => {
                if frames.len() >= max_depth {
                    return Err(Error::LimitExceeded(Limit::Depth));
                }
                frames.push(Frame::Object {
                    expecting_key: true,
                    key_start: keys.len(),
                });
            }
            b'[' => {
                if frames.len() >= max_depth {
                    return Err(Error::LimitExceeded(Limit::Depth));
                }
                frames.push(Frame::Array);
            }
            b'}' | b']' => {
                if frames.len() == 1 {
                    emit(bytes, &mut top, i, &mut on_member)?;
                }
                if let Some(Frame::Object { key_start, .. }) = frames.pop() {
                    if has_duplicates(bytes, &keys[key_start..]) {
                        return Err(Error::Malformed(Malformed::DuplicateMember));
                    }
                    keys.truncate(key_start);
                }
            }
            b',' => {
                if frames.len() == 1 {
                    emit(bytes, &mut top, i, &mut on_member)?;
                }
                if let Some(Frame::Object { expecting_key, .. }) = frames.last_mut() {
                    *expecting_key = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Reports the finished top-level member (if complete) whose value ends before `end`.
fn emit<'a>(
    bytes: &'a [u8],
    top: &mut Option<(Key, Option<usize>)>,
    end: usize,
    on_member: &mut impl FnMut(&'a [u8], bool, &'a [u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    if let Some((key, Some(value_start))) = top.take() {
        let value = bytes.get(value_start..end).unwrap_or_default().trim_ascii();
        on_member(key.raw(bytes), key.escaped, value)?;
    }
    Ok(())
}

/// The index of the closing quote of the string whose content starts at `start` (or the input
/// length if unterminated), and whether the string contains escapes.
fn string_end(bytes: &[u8], start: usize) -> (usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Bytes of `v` equal to `b` get their high bit set; the lowest flagged byte is exact.
    let matches = |v: u64, b: u8| {
        let x = v ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let mut escaped = false;
    let mut j = start;
    // Eight bytes at a time (SWAR) to the quote or backslash, then one at a time.
    while j < bytes.len() {
        if let Some(chunk) = bytes.get(j..j + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let v = u64::from_le_bytes(word);
            let hits = matches(v, b'"') | matches(v, b'\\');
            if hits == 0 {
                j += 8;
                continue;
            }
            j += (hits.trailing_zeros() / 8) as usize;
        }
        match bytes[j] {
            b'"' => return (j, escaped),
            b'\\' => {
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
    (bytes.len(), escaped)
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

/// A JSON value read through any serde `Deserializer` with [`check`]'s guarantees: duplicate
/// member names and nesting deeper than the limit are errors. For `Deserialize` impls, which
/// cannot see the bytes.
pub(crate) struct Strict {
    /// How many more levels of objects and arrays may open.
    pub(crate) depth_left: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Strict {
    fn enter<E: serde::de::Error>(&self) -> Result<Self, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(Self { depth_left }),
            None => Err(E::custom(Error::LimitExceeded(Limit::Depth))),
        }
    }
}

impl<'de> serde::de::Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(Error::Malformed(Malformed::Json)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Self {
            depth_left: inner.depth_left,
        })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if out.contains_key(&name) {
                return Err(serde::de::Error::custom(Error::Malformed(
                    Malformed::DuplicateMember,
                )));
            }
            let value = map.next_value_seed(Self {
                depth_left: inner.depth_left,
            })?;
            out.insert(name, value);
        }
        Ok(Value::Object(out))
    }
}

#[derive(Clone, Copy)]
enum Frame {
    /// An object; its member names are `keys[key_start..]`.
    Object {
        expecting_key: bool,
        key_start: usize,
    },
    Array,
}

/// A member name: `bytes[start..end]`, raw (escapes not yet decoded).
#[derive(Clone, Copy)]
struct Key {
    start: usize,
    end: usize,
    escaped: bool,
}

impl Key {
    fn raw<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[self.start.min(bytes.len())..self.end.min(bytes.len())]
    }
}

fn fingerprint(name: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let n = name.len().min(7);
    head[..n].copy_from_slice(&name[..n]);
    head[7] = u8::try_from(name.len()).unwrap_or(u8::MAX);
    u64::from_le_bytes(head)
}

fn has_duplicates(bytes: &[u8], keys: &[Key]) -> bool {
    if keys.iter().any(|k| k.escaped) {
        // Rare: compare decoded names so `"a"` and `"\u0061"` collide.
        let mut decoded: Vec<Cow<'_, [u8]>> = keys
            .iter()
            .map(|k| {
                if k.escaped {
                    unescape(&bytes[k.start - 1..(k.end + 1).min(bytes.len())])
                } else {
                    Cow::Borrowed(k.raw(bytes))
                }
            })
            .collect();
        decoded.sort_unstable();
        return decoded.windows(2).any(|w| w[0] == w[1]);
    }
    if keys.len() <= 16 {
        // Compare cheap fingerprints (length and first bytes) before whole names.
        let mut prints: SmallVec<[u64; 16]> = SmallVec::new();
        prints.extend(keys.iter().map(|k| fingerprint(k.raw(bytes))));
        return (0..keys.len()).any(|n| {
            (n + 1..keys.len())
                .any(|m| prints[n] == prints[m] && keys[n].raw(bytes) == keys[m].raw(bytes))
        });
    }
    let mut sorted: Vec<&[u8]> = keys.iter().map(|k| k.raw(bytes)).collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// A member name with its escapes decoded (borrowed when it has none).
pub(crate) fn member_name<'a>(raw: &'a [u8], escaped: bool) -> Cow<'a, [u8]> {
    if !escaped {
        return Cow::Borrowed(raw);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    unescape(&quoted)
}

fn unescape(quoted: &[u8]) -> Cow<'static, [u8]> {
    match serde_json::from_slice::<String>(quoted) {
        Ok(s) => Cow::Owned(s.into_bytes()),
        // Invalid escapes: serde_json rejects the document later; keep the raw bytes meanwhile.
        Err(_) => Cow::Owned(quoted.to_vec()),
    }
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
    fn scan_reports_top_level_members() {
        let doc = br#" { "a" : 1 , "b":{"c":[1,{"d":2}]},"\u0065":"x,}", "f" : [ "]" ] } "#;
        let mut seen = Vec::new();
        scan_object(doc, 8, |k, esc, v| {
            seen.push((member_name(k, esc).into_owned(), v.to_vec()));
            Ok(())
        })
        .unwrap();
        let seen: Vec<(String, String)> = seen
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            seen,
            [
                ("a".into(), "1".into()),
                ("b".into(), r#"{"c":[1,{"d":2}]}"#.into()),
                ("e".into(), r#""x,}""#.into()),
                ("f".into(), r#"[ "]" ]"#.into()),
            ]
        );
        assert!(scan_object(b"[1]", 8, |_, _, _| Ok(())).is_err());
        assert!(scan_object(br#"{"a":1,"\u0061":2}"#, 8, |_, _, _| Ok(())).is_err());
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
    fn string_scanning_at_every_alignment() {
        for pad in 0..20 {
            let body = "x".repeat(pad);
            for doc in [
                format!(r#"{{"{body}":1,"{body}\"q":2}}"#),
                format!(r#"{{"a{body}\\":1,"b":"{body}\"}}}}"}}"#),
            ] {
                check(doc.as_bytes(), 4).unwrap_or_else(|e| panic!("{doc}: {e}"));
                serde_json::from_str::<Value>(&doc).unwrap();
            }
            let dup = format!(r#"{{"{body}\"":1,"{body}\"":2}}"#);
            assert!(check(dup.as_bytes(), 4).is_err(), "{dup}");
        }
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
