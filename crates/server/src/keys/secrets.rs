//! The master key's derived secrets: the pepper of client secret hashes and the key that
//! encrypts signing keys at rest.

use tessera_jose::Jwk;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::jws::Header;
use tessera_jose::{Enc, JweAlg};
use zeroize::Zeroizing;

use crate::error::Error;

/// The master key's derived secrets: the pepper of client secret hashes and the key that
/// encrypts signing keys at rest. The master key itself is not kept.
pub struct Secrets {
    pepper: Zeroizing<[u8; 32]>,
    /// The pepper of the master key before the last rotation (`tessera rekey`): client secrets
    /// hashed under it still authenticate, and are hashed again under `pepper` when they do.
    previous_pepper: Option<Zeroizing<Vec<u8>>>,
    /// The key of the pages' CSRF tokens (the same on every node).
    pages: Zeroizing<[u8; 32]>,
    kek: Jwk,
    /// The key of people's second factors (one-time-code secrets, recovery-code hashes): random,
    /// kept in the store sealed under the master key ([`FACTOR_KEY_FACT`]), so a new master key
    /// (`tessera rekey`) seals it again and nothing a person set up is lost. Until loaded
    /// ([`Secrets::with_factor_key`]) it is `None` and factor operations fail.
    factor: Option<(Jwk, Zeroizing<Vec<u8>>)>,
    /// A value derived from the master key that reveals nothing about it: stores record it, so
    /// a process with another key is refused before it reads or writes anything.
    check: String,
}

impl core::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    /// Derives the secrets from the 32-byte master key (HMAC-SHA-256 with distinct labels).
    #[must_use]
    pub fn from_master(master: &[u8]) -> Self {
        let pepper = Zeroizing::new(tessera_jose::secret::hmac_sha256(
            master,
            b"tessera/v1/client-secret-pepper",
        ));
        let kek = Zeroizing::new(tessera_jose::secret::hmac_sha256(
            master,
            b"tessera/v1/signing-key-encryption",
        ));
        let check = tessera_jose::secret::hmac_sha256(master, b"tessera/v1/master-key-check");
        let pages = Zeroizing::new(tessera_jose::secret::hmac_sha256(
            master,
            b"tessera/v1/page-csrf",
        ));
        Self {
            pepper,
            previous_pepper: None,
            pages,
            kek: Jwk::from_secret(kek.as_slice()),
            factor: None,
            check: tessera_jose::b64::encode(&check[..12]),
        }
    }

    /// The master key's check value: 96 bits of HMAC-SHA-256 under the key, base64url (16
    /// characters). It names a key in messages without revealing it.
    #[must_use]
    pub fn check_value(&self) -> &str {
        &self.check
    }

    /// The stored form of a client secret: HMAC-SHA-256 under the pepper. Secrets are 256
    /// random bits, so a slow hash would buy nothing.
    #[must_use]
    pub fn hash_secret(&self, secret: &str) -> Vec<u8> {
        tessera_jose::secret::hmac_sha256(self.pepper.as_slice(), secret.as_bytes()).to_vec()
    }

    /// A CSRF token for a page's forms, bound to `binding` (the browser's pre-session cookie,
    /// or its session): HMAC-SHA-256 under a key derived from the master key, base64url.
    #[must_use]
    pub fn csrf_token(&self, binding: &str) -> String {
        tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
            self.pages.as_slice(),
            binding.as_bytes(),
        ))
    }

    /// The stored form of a client secret under the pepper before the last master key
    /// rotation, if there was one.
    #[must_use]
    pub fn hash_secret_previous(&self, secret: &str) -> Option<Vec<u8>> {
        let pepper = self.previous_pepper.as_ref()?;
        Some(tessera_jose::secret::hmac_sha256(pepper.as_slice(), secret.as_bytes()).to_vec())
    }

    /// This key's pepper, sealed for the store under `next` (the key that replaces this one):
    /// what `next`'s [`Secrets::with_previous`] reads back.
    ///
    /// # Errors
    /// [`Error::Crypto`] if encryption fails.
    pub fn seal_pepper_for(&self, next: &Self) -> Result<String, Error> {
        next.seal_bytes(self.pepper.as_slice(), "tessera-pepper")
    }

    /// These secrets with the previous pepper, sealed by [`Secrets::seal_pepper_for`].
    ///
    /// # Errors
    /// [`Error::Crypto`] when it does not open under this key.
    pub fn with_previous(mut self, sealed: &str) -> Result<Self, Error> {
        self.previous_pepper = Some(self.open_bytes(sealed)?);
        Ok(self)
    }

    /// Encrypts a private JWK for storage (compact JWE, `dir` + `A256GCM`).
    ///
    /// # Errors
    /// [`Error::Crypto`] if encryption fails.
    pub fn seal(&self, jwk: &Jwk) -> Result<String, Error> {
        let json = Zeroizing::new(jwk.to_json());
        self.seal_bytes(json.as_bytes(), "jwk+json")
    }

    fn seal_bytes(&self, bytes: &[u8], cty: &str) -> Result<String, Error> {
        let e = Encrypter::new(&self.kek, JweAlg::Dir)?;
        Ok(JweBuilder::new(bytes, Enc::A256Gcm)
            .protected(Header::empty().cty(cty))
            .recipient(&e)
            .compact()?)
    }

    fn open_bytes(&self, jwe: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        let d = Decrypter::builder(self.kek.clone())
            .algorithms([JweAlg::Dir])
            .encryptions([Enc::A256Gcm])
            .build()?;
        let plain = d.decrypt(jwe)?;
        Ok(Zeroizing::new(plain.plaintext().to_vec()))
    }

    /// A new factor key, sealed under this master key for the store.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the generator or encryption fails.
    pub fn new_factor_key(&self) -> Result<String, Error> {
        let key = Zeroizing::new(tessera_jose::secret::random(32).map_err(Error::Crypto)?);
        self.seal_bytes(&key, "tessera-factor-key")
    }

    /// These secrets with the factor key the store keeps (sealed under this master key).
    ///
    /// # Errors
    /// [`Error::Crypto`] when it does not open under this key.
    pub fn with_factor_key(mut self, sealed: &str) -> Result<Self, Error> {
        let key = self.open_bytes(sealed)?;
        if key.len() != 32 {
            return Err(Error::MasterKey("the factor key is not 32 bytes".into()));
        }
        self.factor = Some((Jwk::from_secret(&key), key));
        Ok(self)
    }

    /// The factor key sealed by `self` (the old master key), sealed again under `next`.
    ///
    /// # Errors
    /// [`Error::Crypto`] when it does not open under this key.
    pub fn reseal_factor_key(&self, sealed: &str, next: &Self) -> Result<String, Error> {
        let key = self.open_bytes(sealed)?;
        next.seal_bytes(&key, "tessera-factor-key")
    }

    fn factor_key(&self) -> Result<&Jwk, Error> {
        self.factor
            .as_ref()
            .map(|(jwk, _)| jwk)
            .ok_or_else(|| Error::MasterKey("the factor key is not loaded".into()))
    }

    /// Encrypts a person's one-time-code secret for storage under the factor key (compact
    /// JWE, `dir` + `A256GCM`).
    ///
    /// # Errors
    /// [`Error::Crypto`] if encryption fails or the factor key is not loaded.
    pub fn seal_factor(&self, secret: &[u8]) -> Result<String, Error> {
        let e = Encrypter::new(self.factor_key()?, JweAlg::Dir)?;
        Ok(JweBuilder::new(secret, Enc::A256Gcm)
            .protected(Header::empty().cty("tessera-totp"))
            .recipient(&e)
            .compact()?)
    }

    /// Decrypts a stored one-time-code secret.
    ///
    /// # Errors
    /// [`Error::Crypto`] for another factor key or altered data.
    pub fn open_factor(&self, sealed: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        let d = Decrypter::builder(self.factor_key()?.clone())
            .algorithms([JweAlg::Dir])
            .encryptions([Enc::A256Gcm])
            .build()?;
        let plain = d.decrypt(sealed)?;
        Ok(Zeroizing::new(plain.plaintext().to_vec()))
    }

    /// The stored form of a recovery code: HMAC-SHA-256 under the factor key, so a copy of the
    /// store alone cannot be searched for the codes. Empty when the key is not loaded (matches
    /// nothing).
    #[must_use]
    pub fn factor_hash(&self, label: &str, value: &str) -> String {
        let Some((_, k)) = &self.factor else {
            return String::new();
        };
        tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
            k,
            format!("factor|{label}|{value}").as_bytes(),
        ))
    }

    /// A keyed MAC of `data` for values the pages hand to a browser and read back (the
    /// pending second-factor step), base64url.
    #[must_use]
    pub fn page_mac(&self, data: &str) -> String {
        tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
            self.pages.as_slice(),
            format!("mac|{data}").as_bytes(),
        ))
    }

    /// Decrypts a stored private JWK.
    ///
    /// # Errors
    /// [`Error::Crypto`] for a wrong master key or altered data.
    pub fn open(&self, jwe: &str) -> Result<Jwk, Error> {
        Ok(Jwk::from_slice(&self.open_bytes(jwe)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_jose::JwsAlg;

    #[test]
    fn secrets_seal_and_hash() {
        let s = Secrets::from_master(&[1u8; 32]);
        let jwk = Jwk::generate(JwsAlg::ES256).unwrap();
        let sealed = s.seal(&jwk).unwrap();
        assert!(!sealed.contains(jwk.to_json().as_str()));
        assert_eq!(s.open(&sealed).unwrap(), jwk);
        assert!(Secrets::from_master(&[2u8; 32]).open(&sealed).is_err());
        assert_eq!(s.hash_secret("x"), s.hash_secret("x"));
        assert_ne!(
            s.hash_secret("x"),
            Secrets::from_master(&[2u8; 32]).hash_secret("x")
        );
        assert_eq!(format!("{s:?}"), "Secrets(<redacted>)");
    }

    #[test]
    fn the_factor_key_outlives_a_new_master_key() {
        let old = Secrets::from_master(&[1u8; 32]);
        assert!(old.seal_factor(b"s").is_err(), "not loaded: nothing sealed");
        assert_eq!(
            old.factor_hash("recovery", "abc"),
            "",
            "not loaded: matches nothing"
        );
        let sealed = old.new_factor_key().unwrap();
        let old = old.with_factor_key(&sealed).unwrap();
        let totp = old.seal_factor(b"12345678901234567890").unwrap();
        let hash = old.factor_hash("recovery", "abcdefghij");
        assert!(!hash.is_empty());
        // Another master key cannot open the factor key; once sealed again under it, it can,
        // and what people set up under the old one still works.
        assert!(
            Secrets::from_master(&[2u8; 32])
                .with_factor_key(&sealed)
                .is_err()
        );
        let new = Secrets::from_master(&[2u8; 32]);
        let resealed = old.reseal_factor_key(&sealed, &new).unwrap();
        let new = new.with_factor_key(&resealed).unwrap();
        assert_eq!(&*new.open_factor(&totp).unwrap(), b"12345678901234567890");
        assert_eq!(new.factor_hash("recovery", "abcdefghij"), hash);
        assert_ne!(new.factor_hash("recovery", "abcdefghik"), hash);
    }
}
