//! Files that hold secrets: the data folder (0700), the database and key files (0600).

use std::path::Path;

use crate::StoreError;

/// Refuses a secret file that its group or others may read or write (as ssh refuses a loose
/// private key), naming the command that fixes it.
///
/// # Errors
/// [`StoreError::Io`] for a loose mode or an unreadable file.
pub fn check_private_file(path: &Path) -> Result<(), StoreError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| StoreError::Io(format!("cannot read {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Io(format!(
                "{} holds a secret but others may read it (mode {mode:o}): run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// Creates a folder (and its parents) that only its owner may enter (0700); an existing one is
/// left as it is, with a warning when others may enter it.
///
/// # Errors
/// [`StoreError::Io`] when it cannot be created.
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
    // A folder that existed before is not changed (it may be the operator's own), but a loose
    // one is worth a warning: the database in it is private, other files may not be.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir)
            .map_err(|e| StoreError::Io(format!("cannot read {}: {e}", dir.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                folder = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                "the data folder may be entered by others: `chmod 700` it"
            );
        }
    }
    Ok(())
}

/// Makes a file readable by its owner only (0600), creating it empty if it does not exist.
///
/// # Errors
/// [`StoreError::Io`] when it cannot be created or changed.
pub fn ensure_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let perms = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(path, perms)
            .map_err(|e| StoreError::Io(format!("cannot change {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Creates a file readable by its owner only (0600) holding `bytes`, failing if it exists.
///
/// # Errors
/// [`StoreError::Io`] when it exists or cannot be written.
pub fn create_private_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::Io(format!("cannot write {}: {e}", path.display())))
}
