//! Reading input: tokens, claims and payloads from arguments, files or stdin; keys from files
//! in any supported format; durations and times.

use std::io::{IsTerminal as _, Read as _};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use tessera_jose::{Jwk, JwkSet};

use crate::args::{KeySource, PasswordSource};
use crate::exit::Failure;
use crate::output;

/// Largest input read from a file or stdin.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// [`MAX_INPUT`] as a size, the default largest token, JWS or JWE the commands read: what one
/// command can write, the next can read.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// The input cap in force: [`MAX_INPUT`], or more when a `--max-size` asks for it.
static CAP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(MAX_INPUT);

/// Raises the input cap to `bytes` (a larger `--max-size`); never lowers it.
pub fn raise_cap(bytes: Option<usize>) {
    if let Some(b) = bytes {
        CAP.fetch_max(b as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

fn cap() -> u64 {
    CAP.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reads all of stdin (at most the input cap, 16 MiB by default).
pub fn stdin() -> Result<Vec<u8>, Failure> {
    let cap = cap();
    let mut buf = Vec::new();
    std::io::stdin()
        .take(cap + 1)
        .read_to_end(&mut buf)
        .context("cannot read stdin")?;
    if buf.len() as u64 > cap {
        return Err(anyhow!("stdin is larger than {cap} bytes (raise it with --max-size)").into());
    }
    Ok(buf)
}

/// Reads a file, or stdin for `-`: at most [`MAX_INPUT`] bytes from any source (a pipe, a
/// device or a file that grows reports no size worth trusting, so the read itself is bounded).
pub fn file(path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        return stdin();
    }
    let cap = cap();
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?;
    let mut buf = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {path}"))?;
    if buf.len() as u64 > cap {
        return Err(anyhow!("{path} is larger than {cap} bytes").into());
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

/// A token to verify or decrypt: the argument, `@file`, or stdin, as given. Only the
/// whitespace around it (a file's or a terminal's line ending) is removed: verification never
/// repairs a token, so whitespace inside a compact token or a `Bearer ` in front of it makes it
/// malformed (with a note that `tessera decode` shows what a cleaned copy holds).
pub fn token(arg: Option<&str>) -> Result<String, Failure> {
    let text = token_text(arg)?;
    let token = text.trim();
    if token.is_empty() {
        return Err(anyhow!("no token given (pass it as an argument, @file, or on stdin)").into());
    }
    let cleaned = tessera_jose::inspect::pasted_token(token);
    if cleaned.token != token {
        output::note(
            "the token has whitespace or an Authorization scheme inside it: verification does not repair tokens (`tessera decode` shows a cleaned copy)",
        );
    }
    Ok(token.to_owned())
}

/// A token to show (`tessera decode`, `tessera debug`): the argument, `@file`, or stdin, cleaned
/// as pasted text is (surrounding whitespace, line breaks inside a compact token, a leading
/// `Bearer ` or `DPoP ` copied from an `Authorization` header), with a note for each thing
/// removed.
pub fn pasted_token(arg: Option<&str>) -> Result<String, Failure> {
    let text = token_text(arg)?;
    let pasted = tessera_jose::inspect::pasted_token(&text);
    for f in pasted.findings() {
        output::note(&f.message);
    }
    if pasted.token.is_empty() {
        return Err(anyhow!("no token given (pass it as an argument, @file, or on stdin)").into());
    }
    Ok(pasted.token.into_owned())
}

fn token_text(arg: Option<&str>) -> Result<String, Failure> {
    let bytes = match arg {
        None | Some("-") => {
            if std::io::stdin().is_terminal() {
                output::note("reading the token from stdin (paste it, then Ctrl-D)");
            }
            stdin()?
        }
        Some(a) => match a.strip_prefix('@') {
            Some(path) => file(path)?,
            None => a.as_bytes().to_vec(),
        },
    };
    Ok(String::from_utf8(bytes).map_err(|_| anyhow!("the token is not UTF-8 text"))?)
}

/// The password for encrypted private key files (`--password-file`/`--password-env` of a
/// command that reads keys), set once before keys are read.
static KEY_PASSWORD: OnceLock<Vec<u8>> = OnceLock::new();

/// Remembers the password that decrypts encrypted private key files, if one was given.
pub fn set_key_password(src: &PasswordSource) -> Result<(), Failure> {
    if let Some(pw) = password(src)? {
        let _ = KEY_PASSWORD.set(pw);
    }
    Ok(())
}

/// The password for encrypted key files, if one was given.
pub fn key_password() -> Option<&'static [u8]> {
    KEY_PASSWORD.get().map(Vec::as_slice)
}

/// Keys from a file: a JWK Set (by its `keys` member), else one JWK, PEM or DER key.
pub fn keys_from(path: &str) -> Result<JwkSet, Failure> {
    let bytes = file(path)?;
    parse_keys(&bytes)
        .with_context(|| format!("cannot use the key in {path}"))
        .map_err(Into::into)
}

pub use crate::detect::is_key_set;

/// Parses key bytes as a JWK Set, a JWK, PEM or DER.
pub fn parse_keys(bytes: &[u8]) -> anyhow::Result<JwkSet> {
    if !is_key_set(bytes) {
        let key = match key_password() {
            Some(pw) => Jwk::import_with_password(bytes, pw),
            None => Jwk::import(bytes),
        };
        return Ok(JwkSet::from(key.map_err(|e| match e {
            tessera_jose::Error::InvalidKey(tessera_jose::error::KeyProblem::Encrypted) => {
                anyhow!("{e}: give it with --password-file PATH or --password-env VAR")
            }
            tessera_jose::Error::DecryptionFailed => {
                anyhow!("cannot decrypt the private key: wrong password?")
            }
            other => other.into(),
        })?));
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
        (_, _, Some(p), _) => Some(strip_newline(file(p)?)),
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

/// One trailing newline removed: a file written by `echo` or an editor ends with one that is
/// not part of the secret or password (`printf` writes a secret that ends in a newline).
fn strip_newline(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.truncate(bytes.len() - 1);
    }
    bytes
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
    set_key_password(&src.key_password)?;
    match (&src.key, secret(src)?) {
        (Some(_), Some(_)) => Err(anyhow!("give either --key or a secret, not both").into()),
        (Some(path), None) => keys_from(path),
        (None, Some(s)) if s.is_empty() => Err(anyhow!("the secret is empty").into()),
        (None, Some(s)) if s.len() < 32 => Err(anyhow!(
            "the secret is {} bytes: HMAC needs at least as many bytes as its hash (HS256: 32, HS384: 48, HS512: 64)",
            s.len()
        )
        .into()),
        (None, Some(s)) => Ok(JwkSet::from(Jwk::from_secret(&s))),
        (None, None) => Err(anyhow!(
            "a key is needed: --key SRC, --secret-file, --secret-env, --secret or --secret-b64"
        )
        .into()),
    }
}

/// A duration in Tessera's one grammar ([`tessera_server::config::duration`]: `90s`, `15m`,
/// `2h`, `7d`, `2w`, `500ms`, compounds like `1h30m`; a bare number is seconds).
pub fn duration(text: &str) -> Result<Duration, Failure> {
    Ok(tessera_server::config::duration(text).map_err(|e| anyhow!("{e}"))?)
}

/// Whole seconds of a duration.
fn seconds(text: &str) -> anyhow::Result<u64> {
    tessera_server::config::duration(text)
        .map(|d| d.as_secs())
        .map_err(|e| anyhow!("{e}"))
}

/// A time: `+DUR` or `-DUR` relative to `now`, a Unix timestamp, or an RFC 3339 date
/// (`2030-01-01T00:00:00Z`).
pub fn time(text: &str, now: i64) -> Result<i64, Failure> {
    let rel = |s: &str| -> anyhow::Result<i64> {
        i64::try_from(seconds(s)?).map_err(|_| anyhow!("time `{text}` is too large"))
    };
    let t = if let Some(r) = text.strip_prefix('+') {
        now.checked_add(rel(r)?)
    } else if let Some(r) = text.strip_prefix('-') {
        now.checked_sub(rel(r)?)
    } else if let Ok(unix) = text.parse::<i64>() {
        Some(unix)
    } else {
        let ts: jiff::Timestamp = text.parse().map_err(|_| {
            anyhow!("invalid time `{text}` (use +15m, a Unix time, or 2030-01-01T00:00:00Z)")
        })?;
        Some(ts.as_second())
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
        // The grammar is the server's (tested there); the CLI counts whole seconds.
        assert_eq!(seconds("1h30m").ok(), Some(5400));
        assert_eq!(seconds("1500ms").ok(), Some(1));
        assert!(seconds("1y").is_err());
        assert_eq!(time("+15m", 1000).ok(), Some(1900));
        assert_eq!(time("-10s", 1000).ok(), Some(990));
        assert_eq!(time("1700000000", 0).ok(), Some(1_700_000_000));
        assert!(time("tomorrow", 0).is_err());
        assert_eq!(time("2030-01-01T00:00:00Z", 0).ok(), Some(1_893_456_000));
    }
}
