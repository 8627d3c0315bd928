//! Reading input: tokens, claims and payloads from arguments, files or stdin; keys from files
//! in any supported format; durations and times.

use std::io::Read as _;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use tessera_jose::{Jwk, JwkSet};

use crate::args::{KeySource, PasswordSource};
use crate::exit::Failure;
use crate::output;

/// Largest input read from a file or stdin.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Reads all of stdin (at most [`MAX_INPUT`] bytes).
pub fn stdin() -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .context("cannot read stdin")?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(anyhow!("stdin is larger than {MAX_INPUT} bytes").into());
    }
    Ok(buf)
}

/// Reads a file, or stdin for `-`: at most [`MAX_INPUT`] bytes from any source (a pipe, a
/// device or a file that grows reports no size worth trusting, so the read itself is bounded).
pub fn file(path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        return stdin();
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?;
    let mut buf = Vec::new();
    f.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {path}"))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(anyhow!("{path} is larger than {MAX_INPUT} bytes").into());
    }
    Ok(buf)
}

/// A positional value: the text itself, `@file` for a file's bytes, or stdin for `-` or nothing.
pub fn value(arg: Option<&str>) -> Result<Vec<u8>, Failure> {
    match arg {
        None | Some("-") => stdin(),
        Some(a) => match a.strip_prefix('@') {
            Some(path) => file(path),
            None => Ok(a.as_bytes().to_vec()),
        },
    }
}

/// A token: the argument or stdin, surrounding whitespace removed.
pub fn token(arg: Option<&str>) -> Result<String, Failure> {
    let bytes = match arg {
        None | Some("-") => stdin()?,
        Some(a) => a.as_bytes().to_vec(),
    };
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("the token is not UTF-8 text"))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(anyhow!("no token given (pass it as an argument or on stdin)").into());
    }
    Ok(text.to_owned())
}

/// Keys from a file: a JWK Set (by its `keys` member), else one JWK, PEM or DER key.
pub fn keys_from(path: &str) -> Result<JwkSet, Failure> {
    let bytes = file(path)?;
    parse_keys(&bytes)
        .with_context(|| format!("cannot use the key in {path}"))
        .map_err(Into::into)
}

/// Whether key bytes hold a JWK Set (a JSON object with `keys`).
pub fn is_key_set(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    text.trim_start().starts_with('{')
        && serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get("keys").is_some())
}

/// Parses key bytes as a JWK Set, a JWK, PEM or DER.
pub fn parse_keys(bytes: &[u8]) -> anyhow::Result<JwkSet> {
    if !is_key_set(bytes) {
        return Ok(JwkSet::from(Jwk::import(bytes)?));
    }
    let set = JwkSet::from_json(std::str::from_utf8(bytes).context("the JWK Set is not UTF-8")?)?;
    for (index, why) in set.skipped() {
        output::warn(&format!("key {index} of the JWK Set skipped: {why}"));
    }
    if set.keys().is_empty() {
        bail!("the JWK Set has no usable key");
    }
    Ok(set)
}

/// One key (a JWK Set must hold exactly one).
pub fn one_key(path: &str) -> Result<Jwk, Failure> {
    let set = keys_from(path)?;
    match set.keys() {
        [k] => Ok(k.clone()),
        keys => Err(anyhow!("{path} holds {} keys; one is needed here", keys.len()).into()),
    }
}

/// The HMAC secret of `--secret`, `--secret-b64`, `--secret-file` or `--secret-env`, if one
/// was given.
pub fn secret(src: &KeySource) -> Result<Option<Vec<u8>>, Failure> {
    secret_parts(
        src.secret.as_deref(),
        src.secret_b64.as_deref(),
        src.secret_file.as_deref(),
        src.secret_env.as_deref(),
    )
}

/// As [`secret`], from the four options.
pub fn secret_parts(
    text: Option<&str>,
    b64: Option<&str>,
    path: Option<&str>,
    env: Option<&str>,
) -> Result<Option<Vec<u8>>, Failure> {
    Ok(match (text, b64, path, env) {
        (Some(t), ..) => Some(t.as_bytes().to_vec()),
        (_, Some(b), ..) => Some(
            tessera_jose::b64::decode(b.trim())
                .map_err(|_| anyhow!("--secret-b64 is not base64url (no padding)"))?,
        ),
        (_, _, Some(p), _) => Some(file(p)?),
        (.., Some(var)) => Some(env_var(var, "--secret-env")?.into_bytes()),
        _ => None,
    })
}

/// The password of `--password`, `--password-file` or `--password-env`, if one was given.
pub fn password(src: &PasswordSource) -> Result<Option<Vec<u8>>, Failure> {
    Ok(
        match (&src.password, &src.password_file, &src.password_env) {
            (Some(p), ..) => Some(p.as_bytes().to_vec()),
            (_, Some(path), _) => {
                let mut bytes = file(path)?;
                // A file written by `echo` or an editor ends with one newline that is not part of
                // the password.
                if bytes.ends_with(b"\r\n") {
                    bytes.truncate(bytes.len() - 2);
                } else if bytes.ends_with(b"\n") {
                    bytes.truncate(bytes.len() - 1);
                }
                Some(bytes)
            }
            (.., Some(var)) => Some(env_var(var, "--password-env")?.into_bytes()),
            _ => None,
        },
    )
}

/// A non-empty environment variable (its name, never its value, in errors).
fn env_var(name: &str, flag: &str) -> Result<String, Failure> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err(anyhow!("{flag}: the environment variable {name} is empty").into()),
        Err(std::env::VarError::NotPresent) => {
            Err(anyhow!("{flag}: the environment variable {name} is not set").into())
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(anyhow!("{flag}: the environment variable {name} is not UTF-8").into())
        }
    }
}

/// The keys named by a [`KeySource`]: `--key`, or a secret as an `oct` key.
pub fn key_source(src: &KeySource) -> Result<JwkSet, Failure> {
    match (&src.key, secret(src)?) {
        (Some(_), Some(_)) => Err(anyhow!("give either --key or a secret, not both").into()),
        (Some(path), None) => keys_from(path),
        (None, Some(s)) => Ok(JwkSet::from(Jwk::from_secret(&s))),
        (None, None) => Err(anyhow!(
            "a key is needed: --key SRC, --secret-file, --secret-env, --secret or --secret-b64"
        )
        .into()),
    }
}

/// A duration like `90s`, `15m`, `2h`, `7d` (a bare number is seconds).
pub fn duration(text: &str) -> Result<Duration, Failure> {
    Ok(Duration::from_secs(seconds(text)?))
}

fn seconds(text: &str) -> anyhow::Result<u64> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| anyhow!("invalid duration `{text}` (use 90s, 15m, 2h, 7d)"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("invalid duration `{text}` (use 90s, 15m, 2h, 7d)"),
    };
    n.checked_mul(factor)
        .ok_or_else(|| anyhow!("duration `{text}` is too large"))
}

/// A time: `+DUR` or `-DUR` relative to `now`, or a Unix timestamp.
pub fn time(text: &str, now: i64) -> Result<i64, Failure> {
    let rel = |s: &str| -> anyhow::Result<i64> {
        i64::try_from(seconds(s)?).map_err(|_| anyhow!("time `{text}` is too large"))
    };
    let t = if let Some(r) = text.strip_prefix('+') {
        now.checked_add(rel(r)?)
    } else if let Some(r) = text.strip_prefix('-') {
        now.checked_sub(rel(r)?)
    } else {
        Some(
            text.parse::<i64>()
                .map_err(|_| anyhow!("invalid time `{text}` (use +15m or a Unix time)"))?,
        )
    };
    Ok(t.ok_or_else(|| anyhow!("time `{text}` is out of range"))?)
}

/// The current Unix time, or `--now`.
pub fn now(fixed: Option<i64>) -> i64 {
    fixed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

/// A JSON object argument (`--header`).
pub fn json_object(
    name: &str,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        _ => Err(anyhow!("{name} must be a JSON object").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(seconds("90s").ok(), Some(90));
        assert_eq!(seconds("15m").ok(), Some(900));
        assert_eq!(seconds("2h").ok(), Some(7200));
        assert_eq!(seconds("7d").ok(), Some(604_800));
        assert_eq!(seconds("42").ok(), Some(42));
        for bad in ["", "m", "1w", "-5m", "1.5h", "99999999999999999999d"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(time("+15m", 1000).ok(), Some(1900));
        assert_eq!(time("-10s", 1000).ok(), Some(990));
        assert_eq!(time("1700000000", 0).ok(), Some(1_700_000_000));
        assert!(time("tomorrow", 0).is_err());
    }
}
