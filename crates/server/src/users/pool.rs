//! Password work on a bounded pool: one hashing thread per core, each keeping its Argon2
//! memory from one hash to the next, and two turns per thread (one hashing, one ready to start
//! the moment the thread is free); beyond the turns a short wait, then "busy" (503 with
//! `Retry-After` at the login endpoint) instead of a queue that grows with a flood. An unknown
//! username costs the same hash as a wrong password.
//!
//! Why a ready turn: with exactly one turn per core, a core sat idle at every hand-over while
//! the finished hash's answer went out and the next sign-in was read, checked and handed to a
//! thread (about a tenth of the machine while people signed in, `login_bench`). A third thread
//! would fill that gap too, but its memory (19 MiB each) crowds the others out of the shared
//! cache and every hash gets slower. The threads are long-lived, like the bare Argon2 loop the
//! sign-in rate is measured against.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
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

/// Work for a hashing thread, with that thread's Argon2 memory.
type Job = Box<dyn FnOnce(&mut password::Memory) + Send>;

/// The password hasher of a node: parameters, the pool, and a hash to spend the same work on
/// when there is no account.
pub struct Passwords {
    params: Argon2Params,
    turns: Arc<tokio::sync::Semaphore>,
    wait: Duration,
    hashes: AtomicU64,
    decoy: String,
    /// To the hashing threads (they end when it is dropped).
    jobs: mpsc::Sender<Job>,
}

/// A hashing thread: takes the next job, lends it the thread's memory, until the pool is gone.
fn hashing_thread(jobs: &Mutex<mpsc::Receiver<Job>>, keep_kib: usize) {
    let mut memory = password::Memory::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A job that panics loses its answer (its sign-in gets "busy"), not the thread.
        let done =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory))).is_ok();
        // An imported hash that asked for more than the current parameters (it is replaced
        // at this sign-in anyway) does not leave its memory behind.
        if !done || memory.len() > keep_kib {
            memory = password::Memory::new();
        }
    }
}

impl Passwords {
    /// A pool of `size` hashing threads (at least one) and twice as many turns.
    ///
    /// # Errors
    /// [`PasswordError`] for parameters out of bounds or a thread that cannot start.
    pub fn new(params: Argon2Params, size: usize, wait: Duration) -> Result<Self, PasswordError> {
        let decoy = password::hash(
            params,
            &tessera_jose::b64::encode(
                tessera_jose::secret::random(24).map_err(|_| PasswordError::Random)?,
            ),
        )?;
        let size = size.max(1);
        let (jobs, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let keep = params.memory_kib as usize;
        for _ in 0..size {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name("tessera-hash".into())
                .spawn(move || hashing_thread(&rx, keep))
                .map_err(|e| {
                    PasswordError::Params(format!("cannot start a hashing thread: {e}"))
                })?;
        }
        Ok(Self {
            params,
            turns: Arc::new(tokio::sync::Semaphore::new(2 * size)),
            wait,
            hashes: AtomicU64::new(0),
            decoy,
            jobs,
        })
    }

    /// One hashing thread per core of this machine.
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
        let checked = self
            .turn(move |memory| password::verify_with(&target, &password, params, memory))
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
            .turn(move |_| password::hash(params, &password))
            .await??)
    }

    async fn turn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut password::Memory) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let turn = tokio::time::timeout(self.wait, Arc::clone(&self.turns).acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        self.hashes.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let done = work(memory);
            // The turn is free before the answer goes: the next one can be handed over.
            drop(turn);
            let _ = reply.send(done);
        });
        self.jobs.send(job).map_err(|_| Busy)?;
        answer.await.map_err(|_| Busy)
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
        // One thread: a turn hashing and a turn ready.
        let held = Arc::clone(&p.turns).acquire_many_owned(2).await.unwrap();
        assert_eq!(
            p.check(None, "x").await,
            Err(CheckError::Busy(Busy)),
            "no turn within 50 ms"
        );
        drop(held);
        assert_eq!(p.check(None, "x").await, Ok(Checked::Wrong));
    }

    #[tokio::test]
    async fn one_thread_answers_every_turn_in_turn() {
        let p = Arc::new(Passwords::new(cheap(), 1, Duration::from_secs(5)).unwrap());
        let stored = p.hash("correct horse battery staple").await.unwrap();
        let checks: Vec<_> = (0..6)
            .map(|i| {
                let (p, stored) = (Arc::clone(&p), stored.clone());
                tokio::spawn(async move {
                    let pw = if i % 2 == 0 {
                        "correct horse battery staple"
                    } else {
                        "wrong"
                    };
                    p.check(Some(&stored), pw).await
                })
            })
            .collect();
        for (i, c) in checks.into_iter().enumerate() {
            let want = if i % 2 == 0 {
                Checked::Right { rehash: false }
            } else {
                Checked::Wrong
            };
            assert_eq!(c.await.unwrap(), Ok(want), "check {i}");
        }
    }

    #[tokio::test]
    async fn a_job_that_panics_leaves_its_thread_working() {
        let p = Passwords::new(cheap(), 1, Duration::from_secs(5)).unwrap();
        assert_eq!(
            p.turn(|_| -> u8 { panic!("a job that fails") }).await,
            Err(Busy)
        );
        assert_eq!(p.check(None, "x").await, Ok(Checked::Wrong));
    }
}
