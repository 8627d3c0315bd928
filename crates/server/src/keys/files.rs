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
    let source = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            check_private_file(&path)?;
            let key = tessera_jose::b64::decode(text.trim())
                .map_err(|_| Error::Io(format!("{} is not base64url", path.display())))?;
            if key.len() != 32 {
                return Err(Error::Io(format!(
                    "{} does not hold 32 bytes",
                    path.display()
                )));
            }
            Ok(MasterKey {
                key: Zeroizing::new(key),
                source,
                created: false,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            create_private_dir(&config.data_dir)?;
            let key = Zeroizing::new(tessera_jose::secret::random(32)?);
            create_private_file(
                &path,
                format!("{}\n", tessera_jose::b64::encode(&key)).as_bytes(),
            )?;
            Ok(MasterKey {
                key,
                source,
                created: true,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::MasterKey(format!(
            "no master key: none is configured and there is no {source}; this store already exists, so it has one: {HOW}"
        ))),
        Err(e) => Err(Error::Io(format!("cannot read {}: {e}", path.display()))),
    }
}

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
