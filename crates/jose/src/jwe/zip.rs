//! `zip: "DEF"` (RFC 7516 §4.1.3): raw DEFLATE (RFC 1951), with a cap on the decompressed size.

use miniz_oxide::inflate::{DecompressError, TINFLStatus, decompress_to_vec_with_limit};
use zeroize::Zeroizing;

use crate::error::{Error, Limit};

/// Default largest decompressed plaintext, in bytes.
pub const DEFAULT_MAX_DECOMPRESSED: usize = 250_000;

/// Compresses with DEFLATE at the default level.
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, 6)
}

/// Decompresses, stopping as soon as the output would exceed `max` bytes.
///
/// # Errors
/// [`Limit::Decompressed`] past `max`; [`Error::DecryptionFailed`] for a stream that is not
/// valid DEFLATE (the content was authenticated, so this reveals nothing to an attacker).
pub(crate) fn decompress(data: &[u8], max: usize) -> Result<Zeroizing<Vec<u8>>, Error> {
    match decompress_to_vec_with_limit(data, max) {
        Ok(out) => Ok(Zeroizing::new(out)),
        Err(DecompressError {
            status: TINFLStatus::HasMoreOutput,
            ..
        }) => Err(Error::LimitExceeded(Limit::Decompressed)),
        Err(_) => Err(Error::DecryptionFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_cap() {
        let data = vec![b'a'; 100_000];
        let packed = compress(&data);
        assert!(packed.len() < 1000);
        assert_eq!(&decompress(&packed, 100_000).unwrap()[..], &data[..]);
        assert_eq!(
            decompress(&packed, 99_999),
            Err(Error::LimitExceeded(Limit::Decompressed))
        );
        assert_eq!(
            decompress(b"\xff\xff\xff", 10),
            Err(Error::DecryptionFailed)
        );
    }
}
