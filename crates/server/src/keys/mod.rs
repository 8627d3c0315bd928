//! The master key and what is derived from it, and the signing keys' life cycle.
//!
//! A signing key is *next* (published in the JWKS, not signing), then *current* (signing), then
//! *previous* (published, not signing), then removed. A next key signs only after it has been
//! published for the JWKS `max-age` plus a margin, so a verifier that caches the JWKS for as long
//! as it is told already has it; a previous key stays published until the last token it signed
//! has expired (plus the margin), so no verifier loses a key it still needs. With several nodes
//! on one database, a lease makes exactly one node perform each step; every node reloads the
//! keys when the store's change generation moves.
//!
//! [`secrets`]: the master key's derived secrets; [`files`]: the master key file and the data
//! folder's modes; [`ring`]: the keys in memory (signer, JWKS, verifier); [`lifecycle`]: the
//! plan and its steps under the rotation lease.

pub mod files;
pub mod lifecycle;
pub mod ring;
pub mod secrets;

pub use files::{
    FACTOR_KEY_FACT, MasterKey, PREVIOUS_PEPPER_FACT, bind, key_file, master_key, still_bound,
};
pub use lifecycle::{
    DEFAULT_ALG, DEFAULT_ID_ALG, IdRotation, Policy, ROTATION_LEASE, SIGNING_ALG_FACT, Step, apply,
    id_algs, plan, plan_id, retire_until, store_alg, tick,
};
pub use ring::{KeyRing, SharedClock};
pub use secrets::Secrets;

/// Default seconds added to every life-cycle wait, for clock skew and the nodes' polling delay.
pub const MARGIN: i64 = 60;
