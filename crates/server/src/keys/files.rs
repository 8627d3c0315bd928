//! The master key: where it comes from, and the check that it is the store's own.

use zeroize::Zeroizing;

use tessera_store::files::{check_private_file, create_private_dir, create_private_file};
use tessera_store::{MASTER_KEY_CHECK, Store};

use super::Secrets;
use crate::config::Config;
use crate::error::Error;

/// How to give a process the store's master key, for messages.
const HOW: &str = "give every process the same key: TESSERA_MASTER_KEY_FILE (a file of mode 0600 holding the first node's master.key), `master_key_file` in the config file, or TESSERA_MASTER_KEY";

/// The master key and where it came from.
pub struct MasterKey {
    /// The 32 bytes.
    pub key: Zeroizing<Vec<u8>>,
    /// Where they came from (a setting's name, or the key file's path).
    pub source: String,
    /// Whether this call made the key (a new store's first start).
    pub created: bool,
}

impl core::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MasterKey")
            .field("source", &self.source)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// Reads the master key: the configured one, else `master.key` in the data folder. Only with
/// `create` (a new store: `tessera serve`'s first start, `tessera init`) is a missing file
/// made (32 random bytes, base64url, mode 0600).
///
/// # Errors
/// [`Error::MasterKey`] when there is none and `create` is false; [`Error::Io`] when the file
/// cannot be read or created, or holds something else.
pub fn master_key(config: &Config, create: bool) -> Result<MasterKey, Error> {
    if let Some(k) = &config.master_key {
        return Ok(MasterKey {
            key: k.clone(),
            source: config
                .master_key_source
                .clone()
                .unwrap_or_else(|| "the configuration".into()),
            created: false,
        });
    }
    let path = config.data_dir.join("master.key");
    if create && !path.exists() {
        create_private_dir(&config.data_dir)?;
    }
    key_file(&path, create)?.ok_or_else(|| {
        Error::MasterKey(format!(
            "no master key: none is configured and there is no {}; this store already exists, so it has one: {HOW}",
            path.display()
        ))
    })
}

/// A master key file: read (mode 0600 or stricter, base64url of 32 bytes), or with `create`
/// made when missing (32 random bytes); `None` when it is missing and `create` is false.
///
/// # Errors
/// [`Error::Io`] when it cannot be read or made, is readable by others, or holds something
/// else.
pub fn key_file(path: &std::path::Path, create: bool) -> Result<Option<MasterKey>, Error> {
    let source = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            check_private_file(path)?;
            let key = tessera_jose::b64::decode(text.trim())
                .map_err(|_| Error::Io(format!("{source} is not base64url")))?;
            if key.len() != 32 {
                return Err(Error::Io(format!("{source} does not hold 32 bytes")));
            }
            Ok(Some(MasterKey {
                key: Zeroizing::new(key),
                source,
                created: false,
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let key = Zeroizing::new(tessera_jose::secret::random(32)?);
            create_private_file(
                path,
                format!("{}\n", tessera_jose::b64::encode(&key)).as_bytes(),
            )?;
            Ok(Some(MasterKey {
                key,
                source,
                created: true,
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io(format!("cannot read {source}: {e}"))),
    }
}

/// Fails when the store's master key is no longer this process's (it was rotated with
/// `tessera rekey` since this process started): nothing may be sealed or read under the old one.
///
/// # Errors
/// [`Error::MasterKey`] naming both check values; [`Error`] from the store.
pub async fn still_bound(store: &dyn Store, secrets: &Secrets) -> Result<(), Error> {
    match store.fact(MASTER_KEY_CHECK).await? {
        Some(expected) if expected != secrets.check_value() => Err(Error::MasterKey(format!(
            "the store's master key was rotated (it now has check value {expected}, this process's key {}): restart with the new key",
            secrets.check_value()
        ))),
        _ => Ok(()),
    }
}

/// The fact that holds the pepper of the master key before the last rotation, sealed under
/// the current one.
pub const PREVIOUS_PEPPER_FACT: &str = "previous_pepper";
/// The store fact holding the key of people's second factors, sealed under the master key.
pub const FACTOR_KEY_FACT: &str = "factor_key";

/// Makes sure `secrets` come from the store's own master key before anything is read or
/// written under them. A store records the check value of its key when it is made; a store made
/// before check values were kept has it recorded now, if its signing keys open under this key.
///
/// # Errors
/// [`Error::MasterKey`] naming both check values (which reveal nothing of the keys) and how to
/// give the right key; [`Error::Store`] when the store cannot be read.
pub async fn bind(store: &dyn Store, secrets: &Secrets, source: &str) -> Result<(), Error> {
    let mine = secrets.check_value();
    let wrong = |expected: &str| {
        Error::MasterKey(format!(
            "the master key from {source} is not this store's: the store expects the key with check value {expected}, this one's is {mine}; {HOW}"
        ))
    };
    if let Some(expected) = store.fact(MASTER_KEY_CHECK).await? {
        return if expected == mine {
            Ok(())
        } else {
            Err(wrong(&expected))
        };
    }
    // Made before check values: the stored signing keys tell which key made them.
    let keys = store.keys().await?;
    if !keys.is_empty() && keys.iter().all(|k| secrets.open(&k.private_jwe).is_err()) {
        return Err(Error::MasterKey(format!(
            "the master key from {source} does not open this store's signing keys: it is not the key the store was made with; {HOW}"
        )));
    }
    let recorded = store.record_fact(MASTER_KEY_CHECK, mine).await?;
    if recorded == mine {
        Ok(())
    } else {
        // Another process recorded its key a moment before.
        Err(wrong(&recorded))
    }
}
