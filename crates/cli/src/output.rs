//! Writing output: stdout carries only the result; colour only on a terminal and never with
//! `NO_COLOR`; dates as ISO 8601 with a relative form.

use std::io::{IsTerminal as _, Write as _};

use serde_json::Value;

use crate::args::DateStyle;
use crate::exit::Failure;

/// Writes bytes to stdout. A closed pipe (`| head`) ends quietly.
pub fn out(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes a line to stdout.
pub fn line(text: &str) -> Result<(), Failure> {
    let mut s = String::with_capacity(text.len() + 1);
    s.push_str(text);
    s.push('\n');
    out(s.as_bytes())
}

/// Rows for a person or a script: on a terminal, aligned columns under a header (and `empty`
/// when there is no row); piped, one tab-separated line per row and nothing else, as scripts
/// (`cut -f1`) expect. Cells never hold a tab or a line break (they are written as spaces).
pub fn table(header: &[&str], rows: &[Vec<String>], empty: &str) -> Result<(), Failure> {
    let clean = |c: &str| c.replace(['\t', '\n', '\r'], " ");
    if !std::io::stdout().is_terminal() {
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| clean(c)).collect();
            line(&cells.join("\t"))?;
        }
        return Ok(());
    }
    if rows.is_empty() {
        return line(empty);
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(clean(cell).chars().count());
            }
        }
    }
    let render = |cells: &mut dyn Iterator<Item = String>| {
        let mut s = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 < widths.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                s.push_str(&cell);
                s.push_str(&" ".repeat(pad + 2));
            } else {
                s.push_str(&cell);
            }
        }
        s.trim_end().to_owned()
    };
    line(&render(&mut header.iter().map(|h| (*h).to_owned())))?;
    for row in rows {
        line(&render(&mut row.iter().map(|c| clean(c))))?;
    }
    Ok(())
}

/// Pretty JSON on stdout, coloured on a terminal.
pub fn json(value: &Value) -> Result<(), Failure> {
    line(&pretty(value, Palette::stdout()))
}

/// A warning on stderr.
pub fn warn(text: &str) {
    let p = Palette::stderr();
    eprintln!("{}warning:{} {text}", p.warn, p.reset);
}

/// `TERM=dumb`: a terminal that shows escape codes as text.
fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// A note on stderr (what the tool did on the user's behalf).
pub fn note(text: &str) {
    eprintln!("note: {text}");
}

/// ANSI colours, or nothing.
#[derive(Clone, Copy)]
pub struct Palette {
    pub key: &'static str,
    pub string: &'static str,
    pub number: &'static str,
    pub literal: &'static str,
    pub warn: &'static str,
    pub dim: &'static str,
    pub bold: &'static str,
    pub reset: &'static str,
}

impl Palette {
    const PLAIN: Self = Self {
        key: "",
        string: "",
        number: "",
        literal: "",
        warn: "",
        dim: "",
        bold: "",
        reset: "",
    };
    const ANSI: Self = Self {
        key: "\x1b[34;1m",
        string: "\x1b[32m",
        number: "\x1b[36m",
        literal: "\x1b[35m",
        warn: "\x1b[33;1m",
        dim: "\x1b[2m",
        bold: "\x1b[1m",
        reset: "\x1b[0m",
    };

    /// Colour only on a terminal, never when `NO_COLOR` is set to a non-empty value
    /// (<https://no-color.org>), and never on a `TERM=dumb` terminal.
    fn pick(terminal: bool, no_color: Option<std::ffi::OsString>, dumb: bool) -> Self {
        let no_color = no_color.is_some_and(|v| !v.is_empty()) || dumb;
        if terminal && !no_color {
            Self::ANSI
        } else {
            Self::PLAIN
        }
    }

    /// Colours for stdout.
    pub fn stdout() -> Self {
        Self::pick(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR"),
            dumb_terminal(),
        )
    }

    /// Colours for stderr.
    pub fn stderr() -> Self {
        Self::pick(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
            dumb_terminal(),
        )
    }
}

/// Pretty-printed JSON (two-space indent, members in their order), coloured by `p`.
pub fn pretty(value: &Value, p: Palette) -> String {
    let mut s = String::new();
    write_value(&mut s, value, p, 0);
    s
}

fn write_value(s: &mut String, v: &Value, p: Palette, indent: usize) {
    let pad = |s: &mut String, n: usize| s.extend(std::iter::repeat_n(' ', n * 2));
    match v {
        Value::Object(m) if !m.is_empty() => {
            s.push_str("{\n");
            for (i, (k, val)) in m.iter().enumerate() {
                pad(s, indent + 1);
                s.push_str(p.key);
                s.push_str(&Value::String(k.clone()).to_string());
                s.push_str(p.reset);
                s.push_str(": ");
                write_value(s, val, p, indent + 1);
                if i + 1 < m.len() {
                    s.push(',');
                }
                s.push('\n');
            }
            pad(s, indent);
            s.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            s.push_str("[\n");
            for (i, val) in a.iter().enumerate() {
                pad(s, indent + 1);
                write_value(s, val, p, indent + 1);
                if i + 1 < a.len() {
                    s.push(',');
                }
                s.push('\n');
            }
            pad(s, indent);
            s.push(']');
        }
        Value::String(_) => {
            s.push_str(p.string);
            s.push_str(&v.to_string());
            s.push_str(p.reset);
        }
        Value::Number(_) => {
            s.push_str(p.number);
            s.push_str(&v.to_string());
            s.push_str(p.reset);
        }
        _ => {
            s.push_str(p.literal);
            s.push_str(&v.to_string());
            s.push_str(p.reset);
        }
    }
}

/// An instant as ISO 8601, in UTC or the local zone.
pub fn iso(unix: i64, style: DateStyle) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(unix) else {
        return format!("{unix} (out of range)");
    };
    match style {
        DateStyle::Utc => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        DateStyle::Local => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
    }
}

pub use tessera_jose::inspect::span;

/// Replaces `path` with `bytes` atomically: a temporary file with an unpredictable name is
/// created beside it (readable by the owner only from the start), written, synced, given the
/// original file's permissions (a new file holding `secret` material stays 0600, a new public
/// one gets 0644), then renamed over `path`. A failure never leaves a half-written file, and
/// nothing else can open the temporary file in between.
pub fn write_file_atomic(path: &str, bytes: &[u8], secret: bool) -> Result<(), Failure> {
    use anyhow::Context as _;
    let target = std::path::Path::new(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let existing = std::fs::metadata(target).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".tessera-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {path}"))?;
    if let Some(permissions) = existing.or_else(|| new_file_mode(secret)) {
        tmp.as_file()
            .set_permissions(permissions)
            .with_context(|| format!("cannot set the permissions of {path}"))?;
    }
    tmp.persist(target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {path}"))?;
    Ok(())
}

/// The permissions of a new file: 0600 for secret material, else 0644.
#[cfg(unix)]
fn new_file_mode(secret: bool) -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(std::fs::Permissions::from_mode(if secret {
        0o600
    } else {
        0o644
    }))
}

/// Elsewhere the temporary file's own (owner-only) permissions are kept.
#[cfg(not(unix))]
fn new_file_mode(_secret: bool) -> Option<std::fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let on = |p: Palette| !p.key.is_empty();
        assert!(on(Palette::pick(true, None, false)));
        assert!(on(Palette::pick(true, Some("".into()), false)));
        assert!(!on(Palette::pick(true, Some("1".into()), false)));
        assert!(!on(Palette::pick(false, None, false)));
        assert!(!on(Palette::pick(true, None, true)));
        let coloured = pretty(&serde_json::json!({"a": [1, "x", true]}), Palette::ANSI);
        assert!(coloured.contains("\x1b[34;1m\"a\"\x1b[0m"), "{coloured}");
        let plain = pretty(&serde_json::json!({"a": [1, "x", true]}), Palette::PLAIN);
        assert_eq!(plain, "{\n  \"a\": [\n    1,\n    \"x\",\n    true\n  ]\n}");
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0, DateStyle::Utc), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_300_819_380, DateStyle::Utc), "2011-03-22T18:43:00Z");
        assert!(iso(i64::MAX, DateStyle::Utc).contains("out of range"));
    }
}
