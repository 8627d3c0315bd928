//! Producing JWEs: [`Encrypter`] (a recipient key parsed once for one algorithm) and
//! [`JweBuilder`] (content, headers, recipients, serialization).

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::format::{Jwe, Recipient};
use super::keys::{self, Direction, Fixed, WrapSettings, Wrapper};
use crate::alg::{Enc, JweAlg, KeyManagement};
use crate::b64;
use crate::crypto;
use crate::error::{Error, KeyProblem};
use crate::jwk::Jwk;
use crate::jws::{Format, Header};

/// Default PBES2 iteration count for encryption: the default decryption cap, so that tokens
/// this crate produces are accepted by its own default decrypter.
pub const DEFAULT_PBES2_COUNT: u32 = 10_000;

/// Fewest PBES2 iterations encryption accepts (RFC 7518 §4.8.1.2 recommends at least 1000).
pub const MIN_PBES2_COUNT: u32 = 1000;

/// A recipient key parsed once for one key-management algorithm. `Send + Sync`; reuse it.
///
/// ```
/// use tessera_jose::{Jwk, alg::{Enc, JweAlg}, jwe::{Decrypter, Encrypter, JweBuilder}};
/// let key = Jwk::generate_jwe(JweAlg::A256KW)?;
/// let jwe = JweBuilder::new(b"secret", Enc::A256Gcm)
///     .recipient(&Encrypter::new(&key, JweAlg::A256KW)?)
///     .compact()?;
/// let decrypter = Decrypter::builder(key).algorithms_from_keys().build()?;
/// assert_eq!(decrypter.decrypt(&jwe)?.plaintext(), b"secret");
/// # Ok::<(), tessera_jose::Error>(())
/// ```
pub struct Encrypter {
    alg: JweAlg,
    kid: Option<String>,
    key: Wrapper,
    p2c: u32,
    apu: Option<Vec<u8>>,
    apv: Option<Vec<u8>>,
    fixed: Fixed,
}

impl Encrypter {
    /// Parses the recipient's (public) key for `alg`. The key's `alg`, `use` and `key_ops`
    /// must allow it. `RSA1_5` is refused here: use [`Encrypter::rsa1_5`].
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the key does not fit or its metadata forbids the use;
    /// [`Error::Config`] for `RSA1_5`.
    pub fn new(key: &Jwk, alg: JweAlg) -> Result<Self, Error> {
        if alg == JweAlg::Rsa1_5 {
            return Err(Error::Config(
                "RSA1_5 is a legacy algorithm; enable it with Encrypter::rsa1_5",
            ));
        }
        Self::parse(key, alg)
    }

    /// RSAES-PKCS1-v1_5 key encryption, for recipients that support nothing better.
    ///
    /// # Errors
    /// As [`Encrypter::new`].
    pub fn rsa1_5(key: &Jwk) -> Result<Self, Error> {
        Self::parse(key, JweAlg::Rsa1_5)
    }

    /// PBES2 with a password, at [`DEFAULT_PBES2_COUNT`] iterations and a 16-byte random salt.
    ///
    /// # Errors
    /// [`Error::Config`] when `alg` is not a PBES2 algorithm or the password is empty.
    pub fn password(password: &[u8], alg: JweAlg) -> Result<Self, Error> {
        if alg.mode() != KeyManagement::Pbes2 {
            return Err(Error::Config("Encrypter::password needs a PBES2 algorithm"));
        }
        if password.is_empty() {
            return Err(Error::Config("the password is empty"));
        }
        Self::parse(&Jwk::from_secret(password), alg)
    }

    fn parse(key: &Jwk, alg: JweAlg) -> Result<Self, Error> {
        keys::check_fits(key, alg)?;
        if !keys::permits(key, alg, None, Direction::Encrypt) {
            return Err(KeyProblem::UsageNotAllowed.into());
        }
        Ok(Self {
            alg,
            kid: key.kid().map(str::to_owned),
            key: Wrapper::new(key, alg)?,
            p2c: DEFAULT_PBES2_COUNT,
            apu: None,
            apv: None,
            fixed: Fixed::default(),
        })
    }

    /// The PBES2 iteration count.
    ///
    /// # Errors
    /// [`Error::Config`] below [`MIN_PBES2_COUNT`].
    pub fn pbes2_count(mut self, count: u32) -> Result<Self, Error> {
        if count < MIN_PBES2_COUNT {
            return Err(Error::Config("PBES2 needs at least 1000 iterations"));
        }
        self.p2c = count;
        Ok(self)
    }

    /// `apu` and `apv` (party information) for the ECDH-ES Concat KDF.
    #[must_use]
    pub fn agreement_info(mut self, apu: &[u8], apv: &[u8]) -> Self {
        self.apu = Some(apu.to_vec());
        self.apv = Some(apv.to_vec());
        self
    }

    /// Overrides the `kid` written in the header (default: the key's).
    #[must_use]
    pub fn kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(str::to_owned);
        self
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> JweAlg {
        self.alg
    }

    /// **Reproducing published examples only.** Uses this ephemeral private key for ECDH-ES
    /// instead of a fresh one; reusing an ephemeral key links messages and, with `ECDH-ES`,
    /// reuses the CEK.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the key is not a private key-agreement key.
    pub fn dangerous_fixed_ephemeral(mut self, epk: &Jwk) -> Result<Self, Error> {
        self.fixed.ephemeral = Some(keys::fixed_ephemeral(epk)?);
        Ok(self)
    }

    /// **Reproducing published examples only.** Uses this PBES2 salt (at least 8 bytes).
    ///
    /// # Errors
    /// [`Error::Config`] for a salt shorter than 8 bytes.
    pub fn dangerous_fixed_salt(mut self, p2s: &[u8]) -> Result<Self, Error> {
        if p2s.len() < 8 {
            return Err(Error::Config("the PBES2 salt must be at least 8 bytes"));
        }
        self.fixed.salt = Some(p2s.to_vec());
        Ok(self)
    }

    /// **Reproducing published examples only.** Uses this 12-byte IV for GCM key wrapping;
    /// reusing an IV under the same key breaks AES-GCM.
    #[must_use]
    pub fn dangerous_fixed_iv(mut self, iv: &[u8]) -> Self {
        self.fixed.iv = Some(iv.to_vec());
        self
    }

    fn settings(&self) -> WrapSettings<'_> {
        WrapSettings {
            p2c: self.p2c,
            apu: self.apu.as_deref(),
            apv: self.apv.as_deref(),
            fixed: &self.fixed,
        }
    }

    /// `alg`, `kid`, then the key-management parameters, in that order.
    fn base_params(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("alg".into(), self.alg.name().into());
        if let Some(kid) = &self.kid {
            m.insert("kid".into(), kid.clone().into());
        }
        m
    }
}

/// Where a recipient's `alg`, `kid` and key-management parameters (or `enc`) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The protected header (integrity-protected; required for the compact serialization).
    Protected,
    /// The shared unprotected header.
    Shared,
    /// The per-recipient header (the default with several recipients).
    PerRecipient,
}

/// Builds a JWE in any serialization, for one or several recipients.
///
/// Header parameters are written in a stable order: `alg`, `kid`, the key-management parameters
/// (`epk`, `apu`, `apv`, `tag`, `iv`, `p2s`, `p2c`), the caller's parameters, then `enc` and
/// `zip`.
pub struct JweBuilder<'a> {
    plaintext: &'a [u8],
    enc: Enc,
    protected: Header,
    unprotected: Header,
    aad: Option<Vec<u8>>,
    zip: bool,
    precompressed: bool,
    recipients: Vec<(&'a Encrypter, Header)>,
    placement: Option<Placement>,
    enc_placement: Placement,
    cek: Option<Zeroizing<Vec<u8>>>,
    iv: Option<Vec<u8>>,
}

impl<'a> JweBuilder<'a> {
    /// Starts a JWE of `plaintext` encrypted with `enc`.
    #[must_use]
    pub fn new(plaintext: &'a [u8], enc: Enc) -> Self {
        Self {
            plaintext,
            enc,
            protected: Header::empty(),
            unprotected: Header::empty(),
            aad: None,
            zip: false,
            precompressed: false,
            recipients: Vec::new(),
            placement: None,
            enc_placement: Placement::Protected,
            cek: None,
            iv: None,
        }
    }

    /// Adds a recipient.
    #[must_use]
    pub fn recipient(self, encrypter: &'a Encrypter) -> Self {
        self.recipient_with_header(encrypter, Header::empty())
    }

    /// Adds a recipient with extra per-recipient header parameters.
    #[must_use]
    pub fn recipient_with_header(mut self, encrypter: &'a Encrypter, header: Header) -> Self {
        self.recipients.push((encrypter, header));
        self
    }

    /// Extra protected header parameters (`typ`, `cty`, ...).
    #[must_use]
    pub fn protected(mut self, header: Header) -> Self {
        self.protected = header;
        self
    }

    /// The shared unprotected header (JSON serializations only).
    #[must_use]
    pub fn unprotected(mut self, header: Header) -> Self {
        self.unprotected = header;
        self
    }

    /// Additional authenticated data (JSON serializations only).
    #[must_use]
    pub fn aad(mut self, aad: &[u8]) -> Self {
        self.aad = Some(aad.to_vec());
        self
    }

    /// Compresses the plaintext with DEFLATE (`zip: "DEF"` in the protected header).
    #[must_use]
    pub fn deflate(mut self) -> Self {
        self.zip = true;
        self
    }

    /// Declares the plaintext as already DEFLATE-compressed by the caller: writes
    /// `zip: "DEF"` without compressing again (for content compressed once and sent many times).
    #[must_use]
    pub fn deflate_precompressed(mut self) -> Self {
        self.zip = true;
        self.precompressed = true;
        self
    }

    /// Where recipients' `alg`, `kid` and key-management parameters go (default: protected
    /// with one recipient, per-recipient with several).
    #[must_use]
    pub fn key_placement(mut self, placement: Placement) -> Self {
        self.placement = Some(placement);
        self
    }

    /// Where `enc` goes: [`Placement::Protected`] (default) or [`Placement::Shared`].
    #[must_use]
    pub fn enc_placement(mut self, placement: Placement) -> Self {
        self.enc_placement = placement;
        self
    }

    /// **Reproducing published examples only.** Uses this CEK instead of a random one.
    #[must_use]
    pub fn dangerous_fixed_cek(mut self, cek: &[u8]) -> Self {
        self.cek = Some(Zeroizing::new(cek.to_vec()));
        self
    }

    /// **Reproducing published examples only.** Uses this content-encryption IV; reusing an
    /// IV under the same CEK breaks AES-GCM.
    #[must_use]
    pub fn dangerous_fixed_iv(mut self, iv: &[u8]) -> Self {
        self.iv = Some(iv.to_vec());
        self
    }

    /// The compact serialization.
    ///
    /// # Errors
    /// As [`JweBuilder::build`], and [`Error::Config`] when the JWE cannot be compact.
    pub fn compact(self) -> Result<String, Error> {
        self.build()?.to_compact()
    }

    /// The flattened JSON serialization.
    ///
    /// # Errors
    /// As [`JweBuilder::build`], and [`Error::Config`] with several recipients.
    pub fn flattened(self) -> Result<String, Error> {
        self.build()?.to_flattened()
    }

    /// The general JSON serialization.
    ///
    /// # Errors
    /// As [`JweBuilder::build`].
    pub fn general(self) -> Result<String, Error> {
        Ok(self.build()?.to_general())
    }

    /// Serializes in `format`.
    ///
    /// # Errors
    /// As the format's method.
    pub fn serialize(self, format: Format) -> Result<String, Error> {
        self.build()?.serialize(format)
    }

    /// Encrypts, returning the JWE in its parsed form.
    ///
    /// # Errors
    /// [`Error::Config`] without recipients, with `dir`/`ECDH-ES` among several recipients, or
    /// with a header parameter set twice; [`Error::InvalidKey`] for a `dir` key of the wrong
    /// length; [`Error::Crypto`] if a primitive fails.
    pub fn build(self) -> Result<Jwe, Error> {
        let enc = self.enc;
        let count = self.recipients.len();
        if count == 0 {
            return Err(Error::Config("a JWE needs at least one recipient"));
        }
        if count > 1
            && self
                .recipients
                .iter()
                .any(|(e, _)| e.alg.is_single_recipient())
        {
            return Err(Error::Config("dir and ECDH-ES allow only one recipient"));
        }
        let placement = match (self.placement, count) {
            (Some(Placement::Protected), n) if n > 1 => {
                return Err(Error::Config(
                    "several recipients cannot share the protected header",
                ));
            }
            (Some(p), _) => p,
            (None, 1) => Placement::Protected,
            (None, _) => Placement::PerRecipient,
        };
        if self.enc_placement == Placement::PerRecipient {
            return Err(Error::Config("enc is shared by all recipients"));
        }
        // 1. The CEK: chosen by a dir/ECDH-ES recipient, else random (or fixed).
        let mut params: Vec<Map<String, Value>> = Vec::with_capacity(count);
        let mut cek = None;
        for (e, _) in &self.recipients {
            let mut p = e.base_params();
            if let Some(agreed) = keys::agreed_cek(&e.key, e.alg, enc, &e.settings(), &mut p)? {
                cek = Some(agreed);
            }
            params.push(p);
        }
        let cek = match (cek, self.cek) {
            (Some(agreed), Some(fixed)) if *agreed != *fixed => {
                return Err(Error::Config(
                    "dir and ECDH-ES determine the CEK; a different fixed CEK was given",
                ));
            }
            (Some(agreed), _) => agreed,
            (None, Some(fixed)) if fixed.len() == enc.cek_len() => fixed,
            (None, Some(_)) => return Err(Error::Config("the fixed CEK has the wrong length")),
            (None, None) => {
                let mut k = Zeroizing::new(vec![0u8; enc.cek_len()]);
                crypto::random(&mut k)?;
                k
            }
        };
        // 2. Each recipient's encrypted key.
        let mut recipients = Vec::with_capacity(count);
        for ((e, _), p) in self.recipients.iter().zip(params.iter_mut()) {
            let encrypted_key = keys::wrap_cek(&e.key, e.alg, &cek, &e.settings(), p)?;
            recipients.push(encrypted_key);
        }
        // 3. Headers.
        let mut protected = Map::new();
        let mut shared = Map::new();
        let mut per_recipient: Vec<Map<String, Value>> = vec![Map::new(); count];
        let mut params = params;
        if placement == Placement::Protected {
            // One recipient: its parameters start the protected header (no copy).
            protected = params.pop().unwrap_or_default();
        }
        for (i, p) in params.into_iter().enumerate() {
            let target = match placement {
                Placement::Protected => &mut protected,
                Placement::Shared if count == 1 => &mut shared,
                Placement::Shared => {
                    return Err(Error::Config(
                        "several recipients cannot share the unprotected header",
                    ));
                }
                Placement::PerRecipient => &mut per_recipient[i],
            };
            target.extend(p);
        }
        merge(&mut protected, self.protected.as_map())?;
        merge(&mut shared, self.unprotected.as_map())?;
        let enc_target = match self.enc_placement {
            Placement::Shared => &mut shared,
            _ => &mut protected,
        };
        merge_one(enc_target, "enc", enc.name().into())?;
        if self.zip {
            merge_one(&mut protected, "zip", "DEF".into())?;
        }
        for (target, (_, extra)) in per_recipient.iter_mut().zip(&self.recipients) {
            merge(target, extra.as_map())?;
        }
        // A parameter may appear in only one of the headers (RFC 7516 §7.2.1).
        if per_recipient
            .iter()
            .any(|r| super::header::collides(&[&protected, &shared, r]))
        {
            return Err(Error::Config("a header parameter is set in two headers"));
        }
        for name in ["zip", "crit"] {
            if shared.contains_key(name) || per_recipient.iter().any(|r| r.contains_key(name)) {
                return Err(Error::Config("zip and crit belong in the protected header"));
            }
        }
        // 4. Content encryption.
        let protected_b64 = if protected.is_empty() {
            String::new()
        } else {
            b64::encode(serde_json::to_vec(&protected).map_err(|_| Error::Crypto)?)
        };
        let aad_b64 = self.aad.as_ref().map(b64::encode);
        let iv = match self.iv {
            Some(iv) if iv.len() == enc.iv_len() => iv,
            Some(_) => return Err(Error::Config("the fixed IV has the wrong length")),
            None => {
                let mut iv = vec![0u8; enc.iv_len()];
                crypto::random(&mut iv)?;
                iv
            }
        };
        let compressed;
        let plaintext = if self.zip && !self.precompressed {
            compressed = super::zip::compress(self.plaintext);
            &compressed[..]
        } else {
            self.plaintext
        };
        let mut jwe = Jwe {
            protected_b64,
            protected,
            unprotected: (!shared.is_empty()).then_some(shared),
            recipients: recipients
                .into_iter()
                .zip(per_recipient)
                .map(|(encrypted_key, h)| Recipient {
                    header: (!h.is_empty()).then_some(h),
                    encrypted_key,
                })
                .collect(),
            aad_b64,
            iv,
            ciphertext: Vec::new(),
            tag: Vec::new(),
            format: if count == 1 {
                Format::Flattened
            } else {
                Format::General
            },
        };
        let prepared = match self.recipients.as_slice() {
            [(e, _)] => e.key.direct_gcm(enc),
            _ => None,
        };
        let (ciphertext, tag) = match prepared {
            Some(key) => crypto::content::gcm_seal(key, &jwe.iv, &jwe.aad(), plaintext)?,
            None => crypto::content::encrypt(enc, &cek, &jwe.iv, &jwe.aad(), plaintext)?,
        };
        jwe.ciphertext = ciphertext;
        jwe.tag = tag;
        Ok(jwe)
    }
}

fn merge(target: &mut Map<String, Value>, extra: &Map<String, Value>) -> Result<(), Error> {
    for (k, v) in extra {
        merge_one(target, k, v.clone())?;
    }
    Ok(())
}

fn merge_one(target: &mut Map<String, Value>, name: &str, value: Value) -> Result<(), Error> {
    if target.contains_key(name) {
        return Err(Error::Config("a header parameter is set twice"));
    }
    target.insert(name.to_owned(), value);
    Ok(())
}

impl core::fmt::Debug for Encrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encrypter")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
