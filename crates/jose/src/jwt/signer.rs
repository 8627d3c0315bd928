//! Signing JWTs: a [`Signer`] with a header template encoded once.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::b64;
use crate::error::Error;
use crate::jws::{Header, Signer};

/// Signs JWTs in the compact serialization. The protected header is serialized and encoded once,
/// here; each token then costs one claims serialization, one base64url pass and one signature.
///
/// ```
/// use tessera_jose::{Jwk, JwsAlg, jws::Signer, jwt::{Claims, JwtSigner}};
/// let key = Jwk::generate(JwsAlg::HS256)?;
/// let signer = JwtSigner::new(Signer::new(&key, JwsAlg::HS256)?);
/// let token = Claims::new().subject("u1").sign(&signer)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), tessera_jose::Error>(())
/// ```
#[derive(Debug)]
pub struct JwtSigner {
    signer: Signer,
    /// `base64url(header) + "."`.
    prefix: String,
    /// Capacity for the claims JSON: the largest seen so far, rounded up.
    size_hint: AtomicUsize,
    /// Upper bound of the base64url signature length (reserved up front).
    signature_b64_len: usize,
}

impl JwtSigner {
    /// A signer with the header `{"alg":…,"typ":"JWT","kid":…}` (`kid` from the signer, if any).
    #[must_use]
    pub fn new(signer: Signer) -> Self {
        let mut header = Header::new(signer.alg()).typ("JWT");
        if let Some(kid) = signer.kid() {
            header = header.kid(kid);
        }
        Self::with_prefix(signer, &header.to_json())
    }

    /// A signer with a custom protected header (for `typ: at+jwt`, `cty`, extra parameters).
    /// `alg` is set from the signer and `kid` added from it unless present.
    ///
    /// # Errors
    /// [`Error::Config`] if the header names another `alg` or asks for `b64: false` (a JWT's
    /// payload is always base64url-encoded); [`Error::Crit`] for an invalid `crit`.
    pub fn with_header(signer: Signer, header: Header) -> Result<Self, Error> {
        let mut header = match header.alg() {
            None => header.param("alg", signer.alg().name()),
            Some(a) if a == signer.alg().name() => header,
            Some(_) => return Err(Error::Config("the header's alg differs from the signer's")),
        };
        if header.get("b64").is_some() {
            return Err(Error::Config("a JWT payload is always base64url-encoded"));
        }
        crate::jws::header::check_crit(header.as_map(), None, &[])?;
        if let (None, Some(kid)) = (header.get("kid"), signer.kid()) {
            header = header.kid(kid);
        }
        Ok(Self::with_prefix(signer, &header.to_json()))
    }

    fn with_prefix(signer: Signer, header_json: &str) -> Self {
        let mut prefix = b64::encode(header_json.as_bytes());
        prefix.push('.');
        let signature_b64_len = match signer.alg().family() {
            crate::alg::Family::RsaPkcs1 | crate::alg::Family::RsaPss => 1400,
            crate::alg::Family::MlDsa => 6200,
            _ => 180,
        };
        Self {
            signer,
            prefix,
            size_hint: AtomicUsize::new(256),
            signature_b64_len,
        }
    }

    /// The underlying signer.
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Signs any serializable claims (the user's own struct or a map) into a compact JWT.
    ///
    /// # Errors
    /// [`Error::Claims`] if the claims do not serialize to a JSON object; [`Error::Crypto`] if
    /// the backend fails.
    pub fn sign<T: Serialize + ?Sized>(&self, claims: &T) -> Result<String, Error> {
        // Start from the size of the previous claims, so one allocation usually suffices.
        let hint = self.size_hint.load(Ordering::Relaxed);
        let mut json = Vec::with_capacity(hint);
        serde_json::to_writer(&mut json, claims).map_err(|e| Error::Claims(e.to_string()))?;
        if json.first() != Some(&b'{') {
            return Err(Error::Claims(
                "claims must serialize to a JSON object".into(),
            ));
        }
        if json.len() > hint {
            self.size_hint
                .store(json.len().next_power_of_two(), Ordering::Relaxed);
        }
        let sig_len = self.signature_b64_len;
        let mut token =
            String::with_capacity(self.prefix.len() + json.len().div_ceil(3) * 4 + 1 + sig_len);
        token.push_str(&self.prefix);
        b64::encode_into(&json, &mut token);
        self.signer.sign_append(&mut token)?;
        Ok(token)
    }
}
