//! JWK thumbprints (RFC 7638) and thumbprint URIs (RFC 9278).

use super::{Jwk, Params};
use crate::b64;
use crate::crypto;

/// The hash of a thumbprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThumbprintHash {
    /// SHA-256, the usual choice and the one used for default `kid`s.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl ThumbprintHash {
    fn bits(self) -> usize {
        match self {
            Self::Sha256 => 256,
            Self::Sha384 => 384,
            Self::Sha512 => 512,
        }
    }

    /// The hash name of the IANA "Named Information Hash Algorithm" registry (`sha-256`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }
}

impl Jwk {
    /// The RFC 7638 canonical JSON of the required public members, in lexicographic order.
    ///
    /// For an `oct` key this contains the secret `k`, as the RFC specifies.
    #[must_use]
    pub fn thumbprint_input(&self) -> String {
        let kty = self.kty().name();
        match self.params() {
            Params::Rsa { n, e, .. } => format!(
                r#"{{"e":"{}","kty":"{kty}","n":"{}"}}"#,
                b64::encode(e),
                b64::encode(n)
            ),
            Params::Ec { crv, x, y, .. } => format!(
                r#"{{"crv":"{}","kty":"{kty}","x":"{}","y":"{}"}}"#,
                crv.name(),
                b64::encode(x),
                b64::encode(y)
            ),
            Params::Okp { crv, x, .. } => format!(
                r#"{{"crv":"{}","kty":"{kty}","x":"{}"}}"#,
                crv.name(),
                b64::encode(x)
            ),
            Params::Oct { k } => format!(r#"{{"k":"{}","kty":"{kty}"}}"#, b64::encode(k)),
            Params::Akp { alg, public, .. } => format!(
                r#"{{"alg":"{}","kty":"{kty}","pub":"{}"}}"#,
                alg.name(),
                b64::encode(public)
            ),
        }
    }

    /// The RFC 7638 thumbprint, base64url-encoded.
    ///
    /// ```
    /// // RFC 8037 Appendix A.3
    /// let jwk = tessera_jose::Jwk::from_json(
    ///     r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    /// )?;
    /// assert_eq!(jwk.thumbprint(Default::default()), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    /// # Ok::<(), tessera_jose::Error>(())
    /// ```
    #[must_use]
    pub fn thumbprint(&self, hash: ThumbprintHash) -> String {
        b64::encode(crypto::sha2(
            hash.bits(),
            self.thumbprint_input().as_bytes(),
        ))
    }

    /// The RFC 9278 thumbprint URI, `urn:ietf:params:oauth:jwk-thumbprint:sha-256:...`.
    #[must_use]
    pub fn thumbprint_uri(&self, hash: ThumbprintHash) -> String {
        format!(
            "urn:ietf:params:oauth:jwk-thumbprint:{}:{}",
            hash.name(),
            self.thumbprint(hash)
        )
    }
}
