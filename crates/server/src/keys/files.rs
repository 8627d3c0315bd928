//! The master key file.

use std::path::Path;

use zeroize::Zeroizing;

use tessera_store::files::{check_private_file, create_private_dir, create_private_file};

use crate::error::Error;

/// Reads the master key: the configured one, else `master.key` in the data folder, created
/// (32 random bytes, base64url, mode 0600) on first start.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read or created, or holds something else.
pub fn master_key(
    configured: Option<&Zeroizing<Vec<u8>>>,
    data_dir: &Path,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if let Some(k) = configured {
        return Ok(k.clone());
    }
    let path = data_dir.join("master.key");
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
            Ok(Zeroizing::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(data_dir)?;
            let key = Zeroizing::new(tessera_jose::secret::random(32)?);
            create_private_file(
                &path,
                format!("{}\n", tessera_jose::b64::encode(&key)).as_bytes(),
            )?;
            Ok(key)
        }
        Err(e) => Err(Error::Io(format!("cannot read {}: {e}", path.display()))),
    }
}
