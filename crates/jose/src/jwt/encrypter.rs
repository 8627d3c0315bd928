//! Encrypted JWTs (RFC 7519 §5.2, §7.1): claims encrypted as a JWE, or a signed JWT nested in a
//! JWE with `cty: "JWT"` (sign, then encrypt).

use serde::Serialize;

use crate::alg::Enc;
use crate::error::Error;
use crate::jwe::{Encrypter, JweBuilder};
use crate::jws::Header;

/// Encrypts JWTs in the compact JWE serialization: claims directly ([`JwtEncrypter::encrypt`])
/// or a signed JWT, producing a nested JWT ([`JwtEncrypter::encrypt_signed`]).
///
/// ```
/// use std::time::Duration;
/// use tessera_jose::{Enc, Jwk, JweAlg, JwkSet, JwsAlg};
/// use tessera_jose::jwe::{Decrypter, Encrypter};
/// use tessera_jose::jws::Signer;
/// use tessera_jose::jwt::{Claims, JwtEncrypter, JwtSigner, Verifier};
///
/// let signing = Jwk::generate(JwsAlg::ES256)?;
/// let encryption = Jwk::generate_jwe(JweAlg::EcdhEsA256KW)?;
/// let token = Claims::new()
///     .subject("u1")
///     .expires_in(Duration::from_secs(60))
///     .sign_and_encrypt(
///         &JwtSigner::new(Signer::new(&signing, JwsAlg::ES256)?),
///         &JwtEncrypter::new(Encrypter::new(&encryption.to_public()?, JweAlg::EcdhEsA256KW)?, Enc::A256Gcm),
///     )?;
///
/// let verifier = Verifier::builder(JwkSet::from(signing.to_public()?))
///     .algorithms([JwsAlg::ES256])
///     .decrypt_with(Decrypter::builder(encryption).algorithms([JweAlg::EcdhEsA256KW]).build()?)
///     .build()?;
/// let verified = verifier.verify::<serde_json::Value>(&token)?;
/// assert_eq!(verified.claims()["sub"], "u1");
/// assert_eq!(verified.encryption().map(|e| e.enc), Some(Enc::A256Gcm));
/// # Ok::<(), tessera_jose::Error>(())
/// ```
#[derive(Debug)]
pub struct JwtEncrypter {
    encrypter: Encrypter,
    enc: Enc,
    header: Header,
}

impl JwtEncrypter {
    /// Encrypts for one recipient with `enc`. Encrypted (not nested) JWTs get `typ: "JWT"`.
    #[must_use]
    pub fn new(encrypter: Encrypter, enc: Enc) -> Self {
        Self {
            encrypter,
            enc,
            header: Header::empty(),
        }
    }

    /// Extra protected header parameters (for example `typ` for an encrypted JWT).
    #[must_use]
    pub fn with_header(mut self, header: Header) -> Self {
        self.header = header;
        self
    }

    /// Encrypts claims as a JWT, without a signature. The JWE protects the claims' integrity in
    /// transit, but authenticates the sender only when the key is a secret shared with the
    /// recipient (`dir`, AES key wrap, AES-GCM key wrap, PBES2). Under RSA-OAEP or ECDH-ES
    /// anyone holding the recipient's public key can make such a token, so it proves nothing
    /// about who made it: sign the claims first ([`JwtEncrypter::encrypt_signed`]) when the
    /// recipient must know the issuer. Verifiers refuse these tokens unless told otherwise
    /// ([`super::VerifierBuilder::accept_unauthenticated_senders`]).
    ///
    /// # Errors
    /// [`Error::Claims`] when the claims cannot be serialized; as [`JweBuilder::build`].
    pub fn encrypt<T: Serialize + ?Sized>(&self, claims: &T) -> Result<String, Error> {
        let json = serde_json::to_vec(claims).map_err(|e| Error::Claims(e.to_string()))?;
        let mut header = self.header.clone();
        if header.get("typ").is_none() {
            header = header.typ("JWT");
        }
        JweBuilder::new(&json, self.enc)
            .protected(header)
            .recipient(&self.encrypter)
            .compact()
    }

    /// Encrypts a signed JWT into a nested JWT (`cty: "JWT"`, RFC 7519 §5.2).
    ///
    /// # Errors
    /// [`Error::Config`] when `jws` is not a compact JWS; as [`JweBuilder::build`].
    pub fn encrypt_signed(&self, jws: &str) -> Result<String, Error> {
        if jws.split('.').count() != 3 {
            return Err(Error::Config("a nested JWT encrypts a compact signed JWT"));
        }
        let mut header = self.header.clone();
        if header.get("cty").is_none() {
            header = header.cty("JWT");
        }
        JweBuilder::new(jws.as_bytes(), self.enc)
            .protected(header)
            .recipient(&self.encrypter)
            .compact()
    }
}
