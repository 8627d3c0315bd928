//! The values that need more than a parse: database URLs (and their redaction), the master key,
//! files holding a secret.

pub(super) fn database_url(value: &str) -> Result<String, &'static str> {
    if !(value.starts_with("postgres://") || value.starts_with("postgresql://")) {
        return Err("expected a postgres:// URL");
    }
    Ok(value.to_owned())
}

pub(super) fn master_key(value: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, &'static str> {
    let key = tessera_jose::b64::decode(value.trim())
        .map_err(|_| "expected base64url (no padding) of 32 bytes")?;
    if key.len() != 32 {
        return Err("expected 32 bytes");
    }
    Ok(zeroize::Zeroizing::new(key))
}

/// A small file holding one secret (its text is never part of an error).
pub(super) fn read_secret_file(path: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if meta.len() > 4096 {
        return Err(format!("{path} is larger than 4096 bytes"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// Whether a URL query parameter's name says it holds a secret.
fn secret_parameter(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["pass", "secret", "token", "key", "credential"]
        .iter()
        .any(|w| n.contains(w))
}

/// A database URL with its password replaced: the one in the authority and every
/// password-like query parameter (`?password=`, `sslpassword=`, ...).
pub(super) fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &base[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:<redacted>{}", &base[..s + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if secret_parameter(k) => format!("{k}=<redacted>"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}
