//! ECDSA signature form checks: the JOSE `r‖s` encoding with `0 < r, s < n` (RFC 7518 §3.4),
//! checked before the backend sees the signature ("psychic signatures", CVE-2022-21449).

use crate::alg::{Curve, JwsAlg};
use crate::error::Error;

/// Rejects a fixed-size ECDSA signature of the wrong length or with `r` or `s` outside `[1, n-1]`.
pub(super) fn check_fixed_signature(alg: JwsAlg, sig: &[u8]) -> Result<(), Error> {
    let Some(curve) = alg.info().curve else {
        return Err(Error::SignatureInvalid);
    };
    let n = order(curve);
    if sig.len() != 2 * n.len() {
        return Err(Error::SignatureInvalid);
    }
    let (r, s) = sig.split_at(n.len());
    if in_range(r, n) && in_range(s, n) {
        Ok(())
    } else {
        Err(Error::SignatureInvalid)
    }
}

/// `0 < v < n`, both big-endian of the same length.
fn in_range(v: &[u8], n: &[u8]) -> bool {
    v.iter().any(|&b| b != 0) && v < n
}

/// The group order `n` of a curve, big-endian, padded to the coordinate length.
pub(super) fn order(curve: Curve) -> &'static [u8] {
    match curve {
        Curve::P256 => &P256_N,
        Curve::P384 => &P384_N,
        Curve::P521 => &P521_N,
        _ => &K256_N,
    }
}

const P256_N: [u8; 32] = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const K256_N: [u8; 32] = hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
const P384_N: [u8; 48] = hex(concat!(
    "ffffffffffffffffffffffffffffffffffffffffffffffff",
    "c7634d81f4372ddf581a0db248b0a77aecec196accc52973"
));
const P521_N: [u8; 66] = hex(concat!(
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"
));

const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lowercase hex"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 2 * N, "hex constant of the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_checks() {
        let n = order(Curve::P256);
        let mut sig = [0u8; 64];
        sig[31] = 1;
        sig[63] = 1;
        assert!(check_fixed_signature(JwsAlg::ES256, &sig).is_ok());
        // r = 0
        let mut zero_r = sig;
        zero_r[31] = 0;
        assert!(check_fixed_signature(JwsAlg::ES256, &zero_r).is_err());
        // s = n
        let mut s_is_n = sig;
        s_is_n[32..].copy_from_slice(n);
        assert!(check_fixed_signature(JwsAlg::ES256, &s_is_n).is_err());
        // wrong length
        assert!(check_fixed_signature(JwsAlg::ES256, &sig[..63]).is_err());
        assert!(check_fixed_signature(JwsAlg::ES512, &sig).is_err());
    }
}
