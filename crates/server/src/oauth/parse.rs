//! Parsing what a client sends, with no I/O and nothing else of the crate: form bodies and
//! `Authorization: Basic` credentials. Kept self-contained so that the fuzz target
//! `server_form` can build it as it is.

use std::collections::HashMap;

/// A form body's parameters: each at most once (RFC 6749 §3.1), except `resource`, which may
/// repeat (RFC 8707). Errors are the reason, for `invalid_request`.
pub fn form_pairs(body: &[u8]) -> Result<(HashMap<String, String>, Vec<String>), &'static str> {
    if std::str::from_utf8(body).is_err() {
        return Err("the body is not UTF-8");
    }
    let mut single = HashMap::new();
    let mut resources = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k == "resource" {
            resources.push(v.into_owned());
            continue;
        }
        if single.insert(k.into_owned(), v.into_owned()).is_some() {
            return Err("a parameter is repeated");
        }
    }
    Ok((single, resources))
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic_credentials(header: Option<&str>) -> Option<(String, String)> {
    let value = header?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = decode_std_base64(rest.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| -> Option<String> {
        let bytes: Vec<u8> = form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())?;
        String::from_utf8(bytes).ok()
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Standard base64 with padding (what `Authorization: Basic` uses), strictly.
pub fn decode_std_base64(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) || text.is_empty() {
        return None;
    }
    let unpadded = text.trim_end_matches('=');
    if text.len() - unpadded.len() > 2 {
        return None;
    }
    let url: String = unpadded
        .chars()
        .map(|c| match c {
            '+' => Some('-'),
            '/' => Some('_'),
            '-' | '_' => None,
            c => Some(c),
        })
        .collect::<Option<String>>()?;
    tessera_jose::b64::decode(&url).ok()
}

#[cfg(test)]
mod tests {
    use super::basic_credentials;

    #[test]
    fn basic_credentials_are_decoded_strictly() {
        // "a%3Ab:s+c%25" -> id "a:b", secret "s c%"
        let h = format!("Basic {}", "YSUzQWI6cytjJTI1");
        assert_eq!(
            basic_credentials(Some(&h)),
            Some(("a:b".into(), "s c%".into()))
        );
        assert_eq!(basic_credentials(Some("Bearer x")), None);
        assert_eq!(basic_credentials(Some("Basic !!!")), None);
        assert_eq!(basic_credentials(Some("Basic YWJj")), None, "no colon");
    }
}
