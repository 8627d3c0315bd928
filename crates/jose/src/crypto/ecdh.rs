//! ECDH-ES for JWE (RFC 7518 §4.6, RFC 8037 §3.2): key agreement on P-256/384/521 and X25519,
//! and the Concat KDF (NIST SP 800-56A §5.8.1) with SHA-256.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::digest;
use zeroize::Zeroizing;

use crate::alg::Curve;
use crate::error::{Error, KeyProblem};

fn algorithm(crv: Curve) -> Result<&'static agreement::Algorithm, Error> {
    match crv {
        Curve::P256 => Ok(&agreement::ECDH_P256),
        Curve::P384 => Ok(&agreement::ECDH_P384),
        Curve::P521 => Ok(&agreement::ECDH_P521),
        Curve::X25519 => Ok(&agreement::X25519),
        Curve::X448 => Err(Error::UnsupportedAlgorithm("X448".into())),
        _ => Err(KeyProblem::WrongCurve.into()),
    }
}

/// A key-agreement private key on one curve, parsed once.
pub(crate) struct EcdhPrivate {
    crv: Curve,
    key: PrivateKey,
}

impl EcdhPrivate {
    /// From the private scalar (EC `d`) or X25519 private key, checked against `public`
    /// (the uncompressed point for EC curves, the 32-byte key for X25519).
    pub(crate) fn new(crv: Curve, private: &[u8], public: &[u8]) -> Result<Self, Error> {
        let key = PrivateKey::from_private_key(algorithm(crv)?, private)
            .map_err(|_| KeyProblem::EcPoint)?;
        let computed = key.compute_public_key().map_err(|_| Error::Crypto)?;
        if !super::ct_eq(computed.as_ref(), public) {
            return Err(KeyProblem::Inconsistent.into());
        }
        Ok(Self { crv, key })
    }

    /// A fresh ephemeral key on `crv`.
    pub(crate) fn generate(crv: Curve) -> Result<Self, Error> {
        let key = PrivateKey::generate(algorithm(crv)?).map_err(|_| Error::Crypto)?;
        Ok(Self { crv, key })
    }

    /// The curve.
    pub(crate) fn curve(&self) -> Curve {
        self.crv
    }

    /// The public key: `04 ‖ x ‖ y` for EC curves, the 32 bytes for X25519.
    pub(crate) fn public(&self) -> Result<Vec<u8>, Error> {
        let public = self.key.compute_public_key().map_err(|_| Error::Crypto)?;
        Ok(public.as_ref().to_vec())
    }

    /// The shared secret `Z` with a peer public key in the same form as [`Self::public`].
    /// A point off the curve, of the wrong length, or an all-zero X25519 result is an error.
    pub(crate) fn agree(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let peer = UnparsedPublicKey::new(algorithm(self.crv)?, peer);
        let z = agreement::agree(&self.key, peer, Error::DecryptionFailed, |z| {
            Ok(Zeroizing::new(z.to_vec()))
        })?;
        if z.iter().all(|&b| b == 0) {
            return Err(Error::DecryptionFailed);
        }
        Ok(z)
    }
}

/// The Concat KDF of RFC 7518 §4.6.2: `len` bytes from `Z`, with `AlgorithmID`, `apu`, `apv`
/// and the key length in bits as `SuppPubInfo`.
pub(crate) fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bits = u32::try_from(len * 8).map_err(|_| Error::Crypto)?;
    let field = |v: &[u8]| -> Result<[u8; 4], Error> {
        Ok(u32::try_from(v.len())
            .map_err(|_| Error::Crypto)?
            .to_be_bytes())
    };
    let mut out = Zeroizing::new(Vec::with_capacity(len + 32));
    let mut counter = 1u32;
    while out.len() < len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&field(algorithm_id.as_bytes())?);
        ctx.update(algorithm_id.as_bytes());
        ctx.update(&field(apu)?);
        ctx.update(apu);
        ctx.update(&field(apv)?);
        ctx.update(apv);
        ctx.update(&bits.to_be_bytes());
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    Ok(out)
}

impl core::fmt::Debug for EcdhPrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EcdhPrivate")
            .field("crv", &self.crv)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hex;

    fn b64(s: &str) -> Vec<u8> {
        crate::b64::decode(s).unwrap()
    }

    /// RFC 7518 Appendix C: `Z` from both sides, and the derived key.
    #[test]
    fn rfc7518_appendix_c() {
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../test-vectors/rfc7518/appendix-c.json"
        ))
        .unwrap();
        let point = |k: &serde_json::Value| {
            [
                vec![4],
                b64(k["x"].as_str().unwrap()),
                b64(k["y"].as_str().unwrap()),
            ]
            .concat()
        };
        let (alice, bob) = (&v["alice_ephemeral"], &v["bob"]);
        let a = EcdhPrivate::new(
            Curve::P256,
            &b64(alice["d"].as_str().unwrap()),
            &point(alice),
        )
        .unwrap();
        let b =
            EcdhPrivate::new(Curve::P256, &b64(bob["d"].as_str().unwrap()), &point(bob)).unwrap();
        let z = a.agree(&point(bob)).unwrap();
        assert_eq!(&z[..], &b64(v["z"].as_str().unwrap())[..]);
        assert_eq!(&b.agree(&point(alice)).unwrap()[..], &z[..]);
        let key = concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16).unwrap();
        assert_eq!(&key[..], &b64(v["derived_key"].as_str().unwrap())[..]);
        // A public key that does not belong to the private key is refused.
        assert!(
            EcdhPrivate::new(Curve::P256, &b64(alice["d"].as_str().unwrap()), &point(bob)).is_err()
        );
    }

    /// RFC 8037 Appendix A.6: X25519 `Z` from both sides.
    #[test]
    fn rfc8037_a6() {
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../test-vectors/rfc8037/appendix-a.json"
        ))
        .unwrap();
        let v = &v["A.6"];
        let bob = &v["bob"];
        let secret = hex(v["ephemeral_secret_hex"].as_str().unwrap());
        let public = hex(v["ephemeral_public_hex"].as_str().unwrap());
        let e = EcdhPrivate::new(Curve::X25519, &secret, &public).unwrap();
        let z = e.agree(&b64(bob["x"].as_str().unwrap())).unwrap();
        assert_eq!(&z[..], &hex(v["z_hex"].as_str().unwrap())[..]);
        let b = EcdhPrivate::new(
            Curve::X25519,
            &b64(bob["d"].as_str().unwrap()),
            &b64(bob["x"].as_str().unwrap()),
        )
        .unwrap();
        assert_eq!(&b.agree(&public).unwrap()[..], &z[..]);
        // A low-order point gives an all-zero secret, which is refused.
        assert!(e.agree(&[0u8; 32]).is_err());
    }
}
