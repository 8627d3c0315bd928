//! One-time codes from an authenticator app (TOTP, RFC 6238 over HOTP, RFC 4226): 30-second
//! steps, six digits, HMAC-SHA-1 (what the apps use), one step of clock drift either way, and
//! each step used at most once per person (the store moves a counter forward). Recovery codes
//! for a lost device: ten, single use, stored as keyed hashes.

use tessera_jose::secret::{OtpHash, otp_hmac};
use zeroize::Zeroizing;

/// Seconds per step (RFC 6238 §4.1's X).
pub const STEP: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits: RFC 4226 §4's recommendation).
pub const SECRET_LEN: usize = 20;
/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (how authenticator apps take a secret).
#[must_use]
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The HOTP value of `counter` (RFC 4226 §5.3: dynamic truncation, modulo 10^digits).
#[must_use]
pub fn hotp(hash: OtpHash, secret: &[u8], counter: u64, digits: u32) -> u32 {
    let tag = otp_hmac(hash, secret, &counter.to_be_bytes());
    let offset = usize::from(tag[tag.len() - 1] & 0x0f);
    let bin = (u32::from(tag[offset] & 0x7f) << 24)
        | (u32::from(tag[offset + 1]) << 16)
        | (u32::from(tag[offset + 2]) << 8)
        | u32::from(tag[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The time step of Unix time `now`.
#[must_use]
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(STEP)
}

/// A code as a person types it: digits only, spaces and dashes ignored.
fn digits_of(code: &str) -> Option<u32> {
    let d: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if d.len() != DIGITS as usize || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse().ok()
}

/// The step `code` is valid for at `now` (one step of drift either way), if any is later than
/// `last_step` (a step used once is not accepted again). The comparison does not stop early.
#[must_use]
pub fn verify(secret: &[u8], code: &str, now: i64, last_step: i64) -> Option<i64> {
    let given = digits_of(code)?;
    let now_step = step_of(now);
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        let Ok(counter) = u64::try_from(step) else {
            continue;
        };
        let want = hotp(OtpHash::Sha1, secret, counter, DIGITS);
        let same = tessera_jose::secret::ct_eq(&want.to_be_bytes(), &given.to_be_bytes());
        if same && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A new secret.
///
/// # Errors
/// When the generator fails.
pub fn new_secret() -> Result<Zeroizing<Vec<u8>>, tessera_jose::Error> {
    Ok(Zeroizing::new(tessera_jose::secret::random(SECRET_LEN)?))
}

/// The `otpauth://` URI an authenticator app reads from the QR code (Key Uri Format): the
/// service's name as issuer, the username as account.
#[must_use]
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

/// The QR code of `text` as an SVG document (dark modules on white, a quiet zone, scaled by
/// the page), or `None` when the text is too long for a QR code.
#[must_use]
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// Ten new recovery codes: 10 characters each from an alphabet without look-alikes, shown as
/// `xxxxx-xxxxx` (50 bits each).
///
/// # Errors
/// When the generator fails.
pub fn new_recovery_codes() -> Result<Vec<String>, tessera_jose::Error> {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz023456789";
    let bytes = tessera_jose::secret::random(RECOVERY_CODES * 10)?;
    Ok(bytes
        .chunks(10)
        .map(|c| {
            let s: String = c
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect())
}

/// A recovery code as typed, normalised: lower case, without spaces or dashes.
#[must_use]
pub fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_appendix_b() {
        // The seeds of RFC 6238 Appendix B (SHA-1: 20 bytes, SHA-256: 32, SHA-512: 64), and
        // its table of times and eight-digit codes.
        let sha1 = b"12345678901234567890";
        let sha256 = b"12345678901234567890123456789012";
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234";
        let table: [(u64, u32, u32, u32); 6] = [
            (59, 94_287_082, 46_119_246, 90_693_936),
            (1_111_111_109, 7_081_804, 68_084_774, 25_091_201),
            (1_111_111_111, 14_050_471, 67_062_674, 99_943_326),
            (1_234_567_890, 89_005_924, 91_819_424, 93_441_116),
            (2_000_000_000, 69_279_037, 90_698_825, 38_618_901),
            (20_000_000_000, 65_353_130, 77_737_706, 47_863_826),
        ];
        for (t, c1, c256, c512) in table {
            let step = t / 30;
            assert_eq!(hotp(OtpHash::Sha1, sha1, step, 8), c1, "SHA-1 at {t}");
            assert_eq!(
                hotp(OtpHash::Sha256, sha256, step, 8),
                c256,
                "SHA-256 at {t}"
            );
            assert_eq!(
                hotp(OtpHash::Sha512, sha512, step, 8),
                c512,
                "SHA-512 at {t}"
            );
        }
    }

    #[test]
    fn rfc_4226_appendix_d() {
        let want = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (i, w) in want.into_iter().enumerate() {
            assert_eq!(hotp(OtpHash::Sha1, b"12345678901234567890", i as u64, 6), w);
        }
    }

    #[test]
    fn a_code_is_taken_within_one_step_and_once() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = format!("{:06}", hotp(OtpHash::Sha1, secret, (now / 30) as u64, 6));
        let step = verify(secret, &code, now, 0).unwrap();
        assert_eq!(step, now / 30);
        // Used: not again, not even a step earlier's code.
        assert_eq!(verify(secret, &code, now, step), None);
        let before = format!(
            "{:06}",
            hotp(OtpHash::Sha1, secret, (now / 30 - 1) as u64, 6)
        );
        assert_eq!(verify(secret, &before, now, step), None);
        // Drift of one step either way; two is too much.
        assert!(verify(secret, &code, now + 30, 0).is_some());
        assert!(verify(secret, &code, now - 30, 0).is_some());
        assert_eq!(verify(secret, &code, now + 60, 0), None);
        // Spaces are fine; letters and wrong lengths are not.
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(secret, &spaced, now, 0).is_some());
        assert_eq!(verify(secret, "12345", now, 0), None);
        assert_eq!(verify(secret, "12345a", now, 0), None);
        assert_eq!(verify(secret, "", now, 0), None);
    }

    #[test]
    fn base32_and_uri() {
        // RFC 4648 §10.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        let uri = otpauth_uri("Tessera", "alice smith", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/Tessera:alice%20smith?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tessera&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    }

    #[test]
    fn recovery_codes_are_ten_distinct() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let mut d = codes.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 11 && &c[5..6] == "-"));
        assert_eq!(normalise_recovery(" ABCDE-fghij "), "abcdefghij");
    }
}
