//! The one duration grammar of Tessera, for every setting and every `tessera` option.

use std::time::Duration;

/// The one duration grammar of Tessera (settings, `tessera` options, `--exp +15m`): a number
/// with a unit, `ms`, `s`, `m`, `h`, `d` or `w`, or several in a row (`1h30m`); a bare number is
/// seconds.
///
/// # Errors
/// A message that quotes the text and shows the forms, for anything else (a sign, a fraction,
/// an unknown unit, a number without a unit after another, an overflow).
pub fn duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad =
        || format!("expected a duration like 90s, 15m, 2h, 30d, 2w, 500ms or 1h30m, got `{t}`");
    let too_large = || format!("the duration `{t}` is too large");
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map(Duration::from_secs).map_err(|_| too_large());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| too_large())?;
        rest = &rest[digits..];
        let (millis, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            let factor = match rest.chars().next() {
                Some('s') => 1_000,
                Some('m') => 60_000,
                Some('h') => 3_600_000,
                Some('d') => 86_400_000,
                Some('w') => 604_800_000,
                _ => return Err(bad()),
            };
            (factor, 1)
        };
        rest = &rest[len..];
        let part = n
            .checked_mul(millis)
            .map(Duration::from_millis)
            .ok_or_else(too_large)?;
        total = total.checked_add(part).ok_or_else(too_large)?;
    }
    Ok(total)
}
