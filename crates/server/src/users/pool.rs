//! Password work on a bounded pool: at most one hash per core at a time (each holds its
//! Argon2 memory), a short wait for a turn, then "busy" (503 with `Retry-After` at the login
//! endpoint) instead of a queue that grows with a flood. An unknown username costs the same
//! hash as a wrong password.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::password::{self, Argon2Params, Checked, PasswordError};

/// No turn on the pool within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins at once: try again in a moment")]
pub struct Busy;

/// What a password check can end in besides an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// No turn on the pool.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The stored hash cannot be checked.
    #[error(transparent)]
    Hash(#[from] PasswordError),
}

/// The password hasher of a node: parameters, the pool, and a hash to spend the same work on
/// when there is no account.
pub struct Passwords {
    params: Argon2Params,
    turns: Arc<tokio::sync::Semaphore>,
    wait: Duration,
    hashes: AtomicU64,
    decoy: String,
    /// Argon2 memory of the turns not in use (at most one buffer per turn exists).
    memory: Arc<std::sync::Mutex<Vec<password::Memory>>>,
}

impl Passwords {
    /// A pool of `size` turns (at least one).
    ///
    /// # Errors
    /// [`PasswordError`] for parameters out of bounds.
    pub fn new(params: Argon2Params, size: usize, wait: Duration) -> Result<Self, PasswordError> {
        let decoy = password::hash(
            params,
            &tessera_jose::b64::encode(
                tessera_jose::secret::random(24).map_err(|_| PasswordError::Random)?,
            ),
        )?;
        Ok(Self {
            params,
            turns: Arc::new(tokio::sync::Semaphore::new(size.max(1))),
            wait,
            hashes: AtomicU64::new(0),
            decoy,
            memory: Arc::new(std::sync::Mutex::new(Vec::new())),
        })
    }

    /// One turn per core of this machine.
    ///
    /// # Errors
    /// As [`Passwords::new`].
    pub fn sized_to_machine(params: Argon2Params, wait: Duration) -> Result<Self, PasswordError> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(params, cores, wait)
    }

    /// The parameters of new hashes.
    #[must_use]
    pub fn params(&self) -> Argon2Params {
        self.params
    }

    /// How many hashes this node computed (for tests and metrics).
    #[must_use]
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::Relaxed)
    }

    /// Checks `password` against the stored hash, or against a decoy when there is no account
    /// or no password (the same work, and [`Checked::Wrong`]).
    ///
    /// # Errors
    /// [`CheckError::Busy`] without a turn; [`CheckError::Hash`] for a stored hash that cannot
    /// be checked.
    pub async fn check(&self, stored: Option<&str>, password: &str) -> Result<Checked, CheckError> {
        let (target, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        let params = self.params;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let pool = Arc::clone(&self.memory);
        let checked = self
            .turn(move || {
                let mut memory = pool
                    .lock()
                    .ok()
                    .and_then(|mut m| m.pop())
                    .unwrap_or_default();
                let checked = password::verify_with(&target, &password, params, &mut memory);
                // Kept for the next turn, unless an imported hash asked for more than the
                // current parameters (it is replaced at this sign-in anyway).
                if memory.len() <= params.memory_kib as usize
                    && let Ok(mut m) = pool.lock()
                {
                    m.push(memory);
                }
                checked
            })
            .await??;
        Ok(if real { checked } else { Checked::Wrong })
    }

    /// A new hash of `password`.
    ///
    /// # Errors
    /// [`CheckError::Busy`] without a turn.
    pub async fn hash(&self, password: &str) -> Result<String, CheckError> {
        let params = self.params;
        let password = zeroize::Zeroizing::new(password.to_owned());
        Ok(self
            .turn(move || password::hash(params, &password))
            .await??)
    }

    async fn turn<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let turn = tokio::time::timeout(self.wait, Arc::clone(&self.turns).acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        self.hashes.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(|_| Busy)
    }
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

    #[tokio::test]
    async fn no_account_costs_the_same_hash_as_a_wrong_password() {
        let p = Passwords::new(cheap(), 2, Duration::from_secs(1)).unwrap();
        let stored = p.hash("correct horse battery staple").await.unwrap();
        let before = p.hashes();
        assert_eq!(p.check(Some(&stored), "wrong").await, Ok(Checked::Wrong));
        assert_eq!(p.hashes(), before + 1);
        assert_eq!(p.check(None, "wrong").await, Ok(Checked::Wrong));
        assert_eq!(p.hashes(), before + 2, "the same work without an account");
        // Even the decoy's own password does not open "no account".
        assert_eq!(
            p.check(Some(&stored), "correct horse battery staple").await,
            Ok(Checked::Right { rehash: false })
        );
    }

    #[tokio::test]
    async fn a_full_pool_answers_busy_after_the_wait() {
        let p = Arc::new(Passwords::new(cheap(), 1, Duration::from_millis(50)).unwrap());
        let held = Arc::clone(&p.turns).acquire_owned().await.unwrap();
        assert_eq!(
            p.check(None, "x").await,
            Err(CheckError::Busy(Busy)),
            "no turn within 50 ms"
        );
        drop(held);
        assert_eq!(p.check(None, "x").await, Ok(Checked::Wrong));
    }
}
