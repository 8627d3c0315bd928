//! Strict base64url (RFC 4648 §5) without padding, as JOSE requires (RFC 7515 §2).
//!
//! Decoding rejects padding, whitespace, characters outside the URL-safe alphabet and
//! non-canonical trailing bits, so every byte string has exactly one accepted encoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Malformed};

/// Encodes bytes as unpadded base64url.
#[must_use]
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Decodes strict unpadded base64url.
///
/// # Errors
/// [`Malformed::Base64`] for padding, whitespace, other alphabets or non-canonical bits.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Error> {
    // The engine's default configuration already rejects padding and non-canonical trailing bits.
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::Malformed(Malformed::Base64))
}

/// Decodes strict base64url into `out` (cleared first), reusing its allocation.
///
/// # Errors
/// As [`decode`].
pub fn decode_into(text: impl AsRef<[u8]>, out: &mut Vec<u8>) -> Result<(), Error> {
    out.clear();
    URL_SAFE_NO_PAD
        .decode_vec(text, out)
        .map_err(|_| Error::Malformed(Malformed::Base64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).collect();
            assert_eq!(decode(encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn rejects_non_strict_forms() {
        assert_eq!(decode("QQ").unwrap(), b"A");
        for bad in ["QQ==", "QR", "Q Q", "Q\nQ", "QQ=", "+/", "Q", "QQ\u{0}"] {
            assert!(decode(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
