//! Password hashes: Argon2id in PHC form for every new hash, and the kinds people bring from
//! other systems (`user import`), checked as they are and replaced at the next sign-in.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id parameters. The default is OWASP's first recommendation: 19 MiB, two passes, one
/// lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Params {
    fn argon2(self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Checks the parameters (the bounds of RFC 9106 and the `argon2` crate).
    ///
    /// # Errors
    /// [`PasswordError::Params`] saying which bound.
    pub fn check(self) -> Result<(), PasswordError> {
        self.argon2().map(|_| ())
    }
}

/// What went wrong with a password hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The hash is of a kind this service does not check.
    #[error(
        "unsupported password hash: {0} (argon2id, argon2i, argon2d, bcrypt $2a$/$2b$/$2y$, pbkdf2-sha256 and pbkdf2-sha512 are)"
    )]
    Unsupported(String),
    /// The hash is of a known kind but malformed.
    #[error("malformed {0} hash")]
    Malformed(&'static str),
    /// Argon2 parameters out of bounds.
    #[error("Argon2 parameters: {0}")]
    Params(String),
    /// The random number generator failed.
    #[error("cannot make a salt")]
    Random,
}

/// A new Argon2id hash of `password` (PHC string, 16-byte random salt).
///
/// # Errors
/// [`PasswordError`] for parameters out of bounds or a failed generator.
pub fn hash(params: Argon2Params, password: &str) -> Result<String, PasswordError> {
    let salt = tessera_jose::secret::random(16).map_err(|_| PasswordError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Random)?;
    Ok(params
        .argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordError::Params(e.to_string()))?
        .to_string())
}

/// The outcome of checking a password against a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The password is not this one.
    Wrong,
    /// The password is right; `rehash` when the hash is not Argon2id at `params` (an imported
    /// kind, or older parameters): it is replaced after this sign-in.
    Right {
        /// Whether the hash should be replaced.
        rehash: bool,
    },
}

/// The most Argon2 memory a stored hash may ask for, KiB (256 MiB): an imported hash asking
/// for more is refused at import, and never allocated at sign-in.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;

/// The kind of a stored hash, from its prefix; `None` for an unknown kind.
#[must_use]
pub fn kind(phc: &str) -> Option<&'static str> {
    [
        ("$argon2id$", "argon2id"),
        ("$argon2i$", "argon2i"),
        ("$argon2d$", "argon2d"),
        ("$2a$", "bcrypt"),
        ("$2b$", "bcrypt"),
        ("$2y$", "bcrypt"),
        ("$pbkdf2-sha256$", "pbkdf2-sha256"),
        ("$pbkdf2-sha512$", "pbkdf2-sha512"),
    ]
    .into_iter()
    .find_map(|(prefix, kind)| phc.starts_with(prefix).then_some(kind))
}

/// Checks that a stored hash can be checked (for `user import`): a known kind, well formed.
///
/// # Errors
/// [`PasswordError`] saying what is wrong.
pub fn parse(phc: &str) -> Result<&'static str, PasswordError> {
    let kind = kind(phc).ok_or_else(|| {
        PasswordError::Unsupported(format!(
            "`{}`",
            tessera_jose::error::escaped(phc.split('$').nth(1).unwrap_or_default())
        ))
    })?;
    match kind {
        "bcrypt" => {
            // $2b$NN$ + 22 characters of salt + 31 of hash.
            let ok = phc.len() == 60
                && phc[4..6].bytes().all(|b| b.is_ascii_digit())
                && phc.as_bytes()[6] == b'$';
            ok.then_some(kind).ok_or(PasswordError::Malformed("bcrypt"))
        }
        "pbkdf2-sha256" | "pbkdf2-sha512" => pbkdf2_parts(phc).map(|_| kind),
        _ => {
            let h = PasswordHash::new(phc)
                .ok()
                .filter(|h| h.salt.is_some() && h.hash.is_some())
                .ok_or(PasswordError::Malformed("argon2"))?;
            let p = Params::try_from(&h).map_err(|_| PasswordError::Malformed("argon2"))?;
            if p.m_cost() > MAX_ARGON2_MEMORY_KIB {
                return Err(PasswordError::Params(format!(
                    "the hash asks for {} KiB of memory, more than the {MAX_ARGON2_MEMORY_KIB} KiB accepted",
                    p.m_cost()
                )));
            }
            Ok(kind)
        }
    }
}

/// Memory for Argon2 (1 KiB blocks), reused from one check to the next by a hashing thread: a
/// flood of sign-ins then holds one buffer per thread instead of asking the allocator for (and
/// keeping) 19 MiB per check.
pub type Memory = Vec<argon2::Block>;

/// Checks `password` against a stored hash of any supported kind.
///
/// # Errors
/// [`PasswordError`] for a hash that cannot be checked (never for a wrong password).
pub fn verify(phc: &str, password: &str, params: Argon2Params) -> Result<Checked, PasswordError> {
    verify_with(phc, password, params, &mut Memory::new())
}

/// The Argon2 hash of `password` under the parameters and salt of a stored PHC hash, in
/// `memory`, compared with the stored one in constant time.
fn argon2_matches(phc: &str, password: &str, memory: &mut Memory) -> Result<bool, PasswordError> {
    let bad = || PasswordError::Malformed("argon2");
    let parsed = PasswordHash::new(phc).map_err(|_| bad())?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|_| bad())?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|_| bad())?,
        None => Version::V0x13,
    };
    let p = Params::try_from(&parsed).map_err(|_| bad())?;
    let mut salt = [0u8; 64];
    let salt = parsed
        .salt
        .ok_or_else(bad)?
        .decode_b64(&mut salt)
        .map_err(|_| bad())?;
    let expected = parsed.hash.ok_or_else(bad)?;
    let mut out = vec![0u8; expected.len()];
    memory.resize(p.block_count(), argon2::Block::default());
    Argon2::new(algorithm, version, p)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
        .map_err(|_| bad())?;
    Ok(tessera_jose::secret::ct_eq(&out, expected.as_bytes()))
}

/// [`verify`] with Argon2 memory lent by the caller.
///
/// # Errors
/// As [`verify`].
pub fn verify_with(
    phc: &str,
    password: &str,
    params: Argon2Params,
    memory: &mut Memory,
) -> Result<Checked, PasswordError> {
    let kind = parse(phc)?;
    let right = match kind {
        "bcrypt" => bcrypt::verify(password.as_bytes(), phc)
            .map_err(|_| PasswordError::Malformed("bcrypt"))?,
        "pbkdf2-sha256" | "pbkdf2-sha512" => {
            let (iterations, salt, expected) = pbkdf2_parts(phc)?;
            tessera_jose::secret::pbkdf2_verify(
                kind == "pbkdf2-sha512",
                iterations,
                &salt,
                password.as_bytes(),
                &expected,
            )
        }
        // The hash's own algorithm and parameters, whatever the current ones.
        _ => argon2_matches(phc, password, memory)?,
    };
    if !right {
        return Ok(Checked::Wrong);
    }
    Ok(Checked::Right {
        rehash: !is_current(phc, params),
    })
}

/// Whether a stored hash is Argon2id at `params` (else it is replaced at the next sign-in).
#[must_use]
pub fn is_current(phc: &str, params: Argon2Params) -> bool {
    kind(phc) == Some("argon2id")
        && PasswordHash::new(phc)
            .ok()
            .and_then(|h| Params::try_from(&h).ok())
            .is_some_and(|p| {
                p.m_cost() == params.memory_kib
                    && p.t_cost() == params.iterations
                    && p.p_cost() == params.parallelism
            })
}

/// `$pbkdf2-sha256$i=600000,l=32$SALT$HASH` (PHC, standard base64 without padding) or
/// passlib's `$pbkdf2-sha256$29000$SALT$HASH` (its "ab64": `.` for `+`): the iterations, salt
/// and derived key.
fn pbkdf2_parts(phc: &str) -> Result<(u32, Vec<u8>, Vec<u8>), PasswordError> {
    let bad = PasswordError::Malformed("pbkdf2");
    let mut parts = phc.split('$').skip(2);
    let (Some(params), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    let iterations = match params.parse::<u32>() {
        Ok(n) => n,
        Err(_) => params
            .split(',')
            .find_map(|p| p.strip_prefix("i="))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad.clone())?,
    };
    // The derived key's length: PHC's `l=`, else the hash's whole output (as passlib writes
    // it). A digest of any other length is refused: a truncated one must not verify as a
    // shorter key.
    let length = match params.split(',').find_map(|p| p.strip_prefix("l=")) {
        Some(l) => l.parse::<usize>().map_err(|_| bad.clone())?,
        None if phc.starts_with("$pbkdf2-sha512$") => 64,
        None => 32,
    };
    let decode = |text: &str| {
        let url: String = text
            .chars()
            .map(|c| match c {
                '+' | '.' => '-',
                '/' => '_',
                other => other,
            })
            .collect();
        tessera_jose::b64::decode(url)
    };
    let salt = decode(salt).map_err(|_| bad.clone())?;
    let hash = decode(hash).map_err(|_| bad.clone())?;
    if iterations == 0 || salt.is_empty() || length < 16 || hash.len() != length {
        return Err(bad);
    }
    Ok((iterations, salt, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Params {
        Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn argon2id_hashes_verify_and_say_when_to_rehash() {
        let h = hash(cheap(), "correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        assert_eq!(
            verify(&h, "correct horse battery staple", cheap()).unwrap(),
            Checked::Right { rehash: false }
        );
        assert_eq!(verify(&h, "wrong", cheap()).unwrap(), Checked::Wrong);
        // Other parameters now: still right, to be replaced.
        assert_eq!(
            verify(&h, "correct horse battery staple", Argon2Params::default()).unwrap(),
            Checked::Right { rehash: true }
        );
        assert_ne!(
            h,
            hash(cheap(), "correct horse battery staple").unwrap(),
            "salted"
        );
    }

    #[test]
    fn unknown_and_malformed_hashes_are_refused_by_name() {
        assert!(matches!(parse("$md5$x$y"), Err(PasswordError::Unsupported(k)) if k == "`md5`"));
        assert!(matches!(parse("plain"), Err(PasswordError::Unsupported(_))));
        assert_eq!(
            parse("$2b$12$short"),
            Err(PasswordError::Malformed("bcrypt"))
        );
        assert_eq!(
            parse("$pbkdf2-sha256$0$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"),
            Err(PasswordError::Malformed("pbkdf2"))
        );
        // A digest shorter than the hash's output (here 31 bytes of SHA-256's 32) is refused,
        // unless PHC's `l=` says that length.
        let short = "$pbkdf2-sha256$29000$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw";
        assert_eq!(parse(short), Err(PasswordError::Malformed("pbkdf2")));
        assert_eq!(
            parse("$pbkdf2-sha256$i=29000,l=31$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw"),
            Ok("pbkdf2-sha256")
        );
        assert_eq!(
            parse("$argon2id$junk"),
            Err(PasswordError::Malformed("argon2"))
        );
        // A hash asking for 4 GiB is refused, not allocated.
        let greedy =
            "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
        assert!(matches!(parse(greedy), Err(PasswordError::Params(m)) if m.contains("4194304")));
        assert!(verify(greedy, "x", cheap()).is_err());
    }
}
