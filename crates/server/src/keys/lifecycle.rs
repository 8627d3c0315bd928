//! The signing keys' life cycle: what is due at a time (pure), the steps applied to the store,
//! and the tick under the rotation lease.

use serde_json::Value;
use tessera_jose::{Jwk, JwsAlg};

use super::Secrets;
use crate::error::Error;
use tessera_store::{Event, KeyPurpose, KeyState, Store, StoredKey};

/// The algorithm of ID tokens for clients that registered none (OpenID Connect Registration's
/// default; Discovery requires it among the supported ones).
pub const DEFAULT_ID_ALG: JwsAlg = JwsAlg::RS256;

/// The algorithm of a new store's keys.
pub const DEFAULT_ALG: JwsAlg = JwsAlg::ES256;

/// The fact that holds the store's signing algorithm: every node makes keys of it, whatever
/// its own configuration, so nodes never undo each other's keys.
pub const SIGNING_ALG_FACT: &str = "signing_alg";

/// The store's signing algorithm: as recorded, else the current key's (a store made before
/// the algorithm was recorded), else `None` (a new store).
///
/// # Errors
/// [`Error`] from the store, or a recorded name that is not an algorithm.
pub async fn store_alg(store: &dyn Store) -> Result<Option<JwsAlg>, Error> {
    let name = match store.fact(SIGNING_ALG_FACT).await? {
        Some(name) => name,
        None => match store
            .keys()
            .await?
            .into_iter()
            .find(|k| k.state == KeyState::Current && k.purpose == KeyPurpose::Access)
        {
            Some(k) => k.alg,
            None => return Ok(None),
        },
    };
    JwsAlg::from_name(&name).map(Some).map_err(|_| {
        Error::Invalid(format!(
            "the store's signing algorithm `{}` is not one this tessera knows",
            tessera_jose::error::escaped(&name)
        ))
    })
}

/// The lease under which one node at a time runs the key life cycle.
pub const ROTATION_LEASE: &str = "key-rotation";

/// The timing of the life cycle.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long a key signs, seconds.
    pub rotation_period: i64,
    /// The JWKS max-age, seconds.
    pub jwks_max_age: i64,
    /// The longest token lifetime, seconds.
    pub max_token_ttl: i64,
    /// Algorithm of new keys.
    pub alg: JwsAlg,
    /// Seconds added to every wait (clock skew, polling delay).
    pub margin: i64,
}

/// One step of the life cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create an access-token key of the policy's algorithm in this state (current only when
    /// there is none at all).
    Create(KeyState),
    /// Create an ID-token key of this algorithm in this state (current only in a new store).
    CreateId(JwsAlg, KeyState),
    /// A current key whose chain is no longer needed stops signing (it stays published until
    /// its last token has expired).
    Retire(String),
    /// The next key starts signing; the current one retires.
    Promote {
        /// The next key.
        next: String,
        /// The current key, if any.
        current: Option<String>,
    },
    /// A previous key leaves the JWKS.
    Remove(String),
}

/// What the life cycle asks for at `now` (pure, so it can be tested with any clock): the
/// access-token chain of the policy's algorithm, one ID-token chain per algorithm of `id_algs`,
/// and the removal of previous keys whose tokens have all expired.
#[must_use]
pub fn plan(keys: &[StoredKey], now: i64, p: &Policy, id_algs: &[JwsAlg]) -> Vec<Step> {
    let mut steps = Vec::new();
    let access: Vec<&StoredKey> = keys
        .iter()
        .filter(|k| k.purpose == KeyPurpose::Access)
        .collect();
    let current = access.iter().find(|k| k.state == KeyState::Current);
    let next = access.iter().find(|k| k.state == KeyState::Next);
    match (current, next) {
        (None, None) => {
            // First start: nothing has been published, so nothing can be cached.
            steps.push(Step::Create(KeyState::Current));
            steps.push(Step::Create(KeyState::Next));
        }
        (None, Some(n)) => steps.push(Step::Promote {
            next: n.kid.clone(),
            current: None,
        }),
        (Some(_), None) => steps.push(Step::Create(KeyState::Next)),
        (Some(_), Some(n)) if n.alg != p.alg.name() => {
            // The store's algorithm changed (`keys rotate --alg`): the next key has signed
            // nothing, so it is replaced by one of the new algorithm.
            steps.push(Step::Remove(n.kid.clone()));
            steps.push(Step::Create(KeyState::Next));
        }
        (Some(c), Some(n)) => {
            // A current key of another algorithm is due as soon as its successor may sign.
            let due = c.activated_at.unwrap_or(c.created_at) + p.rotation_period <= now
                || c.alg != p.alg.name();
            if due && published_long_enough(n, now, p) {
                steps.push(Step::Promote {
                    next: n.kid.clone(),
                    current: Some(c.kid.clone()),
                });
                steps.push(Step::Create(KeyState::Next));
            }
        }
    }
    steps.extend(plan_id(keys, now, p, id_algs, IdRotation::WhenDue));
    for k in keys.iter().filter(|k| k.state == KeyState::Previous) {
        if k.remove_after.is_some_and(|t| t <= now) {
            steps.push(Step::Remove(k.kid.clone()));
        }
    }
    steps
}

fn published_long_enough(next: &StoredKey, now: i64, p: &Policy) -> bool {
    next.created_at + p.jwks_max_age + p.margin <= now
}

/// When the ID-token chains' next keys start signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRotation {
    /// The life cycle: when the current key's period is over and the next one has been
    /// published long enough.
    WhenDue,
    /// The operator's `keys rotate`: now, if the next key has been published long enough.
    Now,
    /// `keys rotate --force`: now, whatever the next key's age; a chain without keys (a client
    /// registered its algorithm since the life cycle last ran) starts signing at once.
    Forced,
}

/// The ID-token chains: one per needed algorithm, rotated on the same period as the access
/// chain (or at once, see [`IdRotation`]). A chain that starts in a store that already
/// published keys starts with a next key only, which signs once it has been published long
/// enough; a chain no longer needed retires.
#[must_use]
pub fn plan_id(
    keys: &[StoredKey],
    now: i64,
    p: &Policy,
    id_algs: &[JwsAlg],
    when: IdRotation,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let id_key = |alg: &str, state: KeyState| {
        keys.iter()
            .find(|k| k.purpose == KeyPurpose::IdToken && k.alg == alg && k.state == state)
    };
    let mut seen: Vec<&str> = Vec::new();
    for alg in id_algs {
        if seen.contains(&alg.name()) {
            continue;
        }
        seen.push(alg.name());
        let current = id_key(alg.name(), KeyState::Current);
        match (current, id_key(alg.name(), KeyState::Next)) {
            // A new store (nothing published, so nothing cached), or the operator's force.
            (None, None)
                if (when == IdRotation::WhenDue && keys.is_empty())
                    || when == IdRotation::Forced =>
            {
                steps.push(Step::CreateId(*alg, KeyState::Current));
                steps.push(Step::CreateId(*alg, KeyState::Next));
            }
            (_, None) => steps.push(Step::CreateId(*alg, KeyState::Next)),
            (c, Some(n)) => {
                let due = when != IdRotation::WhenDue
                    || c.is_none_or(|c| {
                        c.activated_at.unwrap_or(c.created_at) + p.rotation_period <= now
                    });
                if due && (when == IdRotation::Forced || published_long_enough(n, now, p)) {
                    steps.push(Step::Promote {
                        next: n.kid.clone(),
                        current: c.map(|c| c.kid.clone()),
                    });
                    steps.push(Step::CreateId(*alg, KeyState::Next));
                }
            }
        }
    }
    for k in keys
        .iter()
        .filter(|k| k.purpose == KeyPurpose::IdToken && !seen.contains(&k.alg.as_str()))
    {
        match k.state {
            KeyState::Current => steps.push(Step::Retire(k.kid.clone())),
            KeyState::Next => steps.push(Step::Remove(k.kid.clone())),
            KeyState::Previous => {}
        }
    }
    steps
}

/// The algorithms of the ID-token chains the store's clients need: RS256 (the default) and
/// every algorithm a client registered.
///
/// # Errors
/// [`Error`] from the store.
pub async fn id_algs(store: &dyn Store) -> Result<Vec<JwsAlg>, Error> {
    let mut algs = vec![DEFAULT_ID_ALG];
    for c in store.clients().await? {
        if let Some(alg) = c
            .id_token_alg
            .as_deref()
            .and_then(|a| JwsAlg::from_name(a).ok())
            && !algs.contains(&alg)
        {
            algs.push(alg);
        }
    }
    Ok(algs)
}

/// Applies the steps to the store and returns the audit events.
///
/// # Errors
/// [`Error`] from the store or key generation.
pub async fn apply(
    store: &dyn Store,
    secrets: &Secrets,
    steps: &[Step],
    now: i64,
    p: &Policy,
) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    let event = |kind: &str, kid: &str| Event {
        at: now,
        kind: kind.into(),
        client_id: None,
        detail: serde_json::json!({ "kid": kid }),
    };
    for step in steps {
        match step {
            Step::Create(state) | Step::CreateId(_, state) => {
                let (purpose, alg) = match step {
                    Step::CreateId(alg, _) => (KeyPurpose::IdToken, *alg),
                    _ => (KeyPurpose::Access, p.alg),
                };
                let key = new_key(secrets, alg, purpose, *state, now)?;
                store.insert_key(&key).await?;
                events.push(event("key.created", &key.kid));
                if *state == KeyState::Current {
                    events.push(event("key.activated", &key.kid));
                }
            }
            Step::Retire(kid) => {
                if let Some(c) = store.keys().await?.iter().find(|k| &k.kid == kid) {
                    let mut c = c.clone();
                    c.state = KeyState::Previous;
                    c.retired_at = Some(now);
                    c.remove_after = Some(retire_until(&c, now, p));
                    store.update_key(&c).await?;
                    events.push(event("key.retired", kid));
                }
            }
            Step::Promote { next, current } => {
                let keys = store.keys().await?;
                let retired = current
                    .as_ref()
                    .and_then(|c| keys.iter().find(|k| &k.kid == c))
                    .map(|c| {
                        let mut c = c.clone();
                        c.state = KeyState::Previous;
                        c.retired_at = Some(now);
                        c.remove_after = Some(retire_until(&c, now, p));
                        c
                    });
                if let Some(n) = keys.iter().find(|k| &k.kid == next) {
                    let mut n = n.clone();
                    n.state = KeyState::Current;
                    n.activated_at = Some(now);
                    // One transaction: no node may load a store without a current key.
                    store.promote_key(retired.as_ref(), &n).await?;
                    if let Some(c) = &retired {
                        events.push(event("key.retired", &c.kid));
                    }
                    events.push(event("key.activated", &n.kid));
                } else if let Some(c) = &retired {
                    store.update_key(c).await?;
                    events.push(event("key.retired", &c.kid));
                }
            }
            Step::Remove(kid) => {
                store.delete_key(kid).await?;
                events.push(event("key.removed", kid));
            }
        }
    }
    for e in &events {
        store.record(e).await?;
    }
    Ok(events)
}

/// One life-cycle tick: under the rotation lease, plan and apply. Returns the events (none
/// when another node holds the lease or nothing was due).
///
/// # Errors
/// [`Error`] from the store.
pub async fn tick(
    store: &dyn Store,
    secrets: &Secrets,
    p: &Policy,
    now: i64,
    holder: &str,
) -> Result<Vec<Event>, Error> {
    // The store's algorithm, which `keys rotate --alg` may have changed since this node
    // started.
    let p = &Policy {
        alg: store_alg(store).await?.unwrap_or(p.alg),
        ..*p
    };
    let id_algs = id_algs(store).await?;
    let keys = store.keys().await?;
    let steps = plan(&keys, now, p, &id_algs);
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    if !store.lease(ROTATION_LEASE, holder, now, now + 30).await? {
        return Ok(Vec::new());
    }
    // Nothing is sealed under a master key the store no longer has (`tessera rekey`).
    super::still_bound(store, secrets).await?;
    // Plan again under the lease: another node may have acted in between.
    let keys = store.keys().await?;
    let steps = plan(&keys, now, p, &id_algs);
    apply(store, secrets, &steps, now, p).await
}

/// When a key retired at `now` may leave the JWKS: after the last token it can have signed
/// has expired (this node's lifetimes are capped at `max_token_ttl`; every node records the
/// latest `exp` it signed, which covers nodes configured otherwise), plus the margin.
#[must_use]
pub fn retire_until(k: &StoredKey, now: i64, p: &Policy) -> i64 {
    now.saturating_add(p.max_token_ttl)
        .max(k.signed_until.unwrap_or(0))
        .saturating_add(p.margin)
}

fn new_key(
    secrets: &Secrets,
    alg: JwsAlg,
    purpose: KeyPurpose,
    state: KeyState,
    now: i64,
) -> Result<StoredKey, Error> {
    let jwk = Jwk::generate(alg)?.with_use(tessera_jose::jwk::KeyUse::Sig);
    let public = jwk.to_public()?;
    let kid =
        jwk.kid()
            .map(str::to_owned)
            .ok_or(Error::Store(tessera_store::StoreError::Corrupt(
                "generated key without kid",
            )))?;
    let mut public_value = public.to_value();
    if let Value::Object(m) = &mut public_value {
        m.insert("alg".into(), alg.name().into());
    }
    Ok(StoredKey {
        kid,
        alg: alg.name().into(),
        purpose,
        state,
        private_jwe: secrets.seal(&jwk)?,
        public_jwk: public_value.to_string(),
        created_at: now,
        activated_at: (state == KeyState::Current).then_some(now),
        retired_at: None,
        remove_after: None,
        signed_until: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyRing, MARGIN};

    fn key(kid: &str, state: KeyState, created: i64, activated: Option<i64>) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: "ES256".into(),
            purpose: KeyPurpose::Access,
            state,
            private_jwe: String::new(),
            public_jwk: String::new(),
            created_at: created,
            activated_at: activated,
            retired_at: None,
            remove_after: None,
            signed_until: None,
        }
    }

    const P: Policy = Policy {
        rotation_period: 1000,
        jwks_max_age: 100,
        max_token_ttl: 300,
        alg: JwsAlg::ES256,
        margin: MARGIN,
    };

    #[test]
    fn the_plan_follows_the_life_cycle() {
        assert_eq!(
            plan(&[], 0, &P, &[]),
            [
                Step::Create(KeyState::Current),
                Step::Create(KeyState::Next)
            ]
        );
        let c = key("c", KeyState::Current, 0, Some(0));
        let n = key("n", KeyState::Next, 950, None);
        // Due, but the next key has not been published for max-age + margin yet.
        assert!(plan(&[c.clone(), n.clone()], 1000, &P, &[]).is_empty());
        assert_eq!(
            plan(&[c.clone(), n.clone()], 950 + 100 + MARGIN, &P, &[]),
            [
                Step::Promote {
                    next: "n".into(),
                    current: Some("c".into())
                },
                Step::Create(KeyState::Next)
            ]
        );
        let mut old = key("o", KeyState::Previous, 0, Some(0));
        old.remove_after = Some(500);
        assert_eq!(plan(&[c.clone(), n.clone(), old.clone()], 499, &P, &[]), []);
        assert_eq!(plan(&[c, n, old], 500, &P, &[]), [Step::Remove("o".into())]);
    }

    /// A change of the store's algorithm (`keys rotate --alg`) goes through a rotation: the
    /// unused next key is replaced, and the new one signs once it has been published long
    /// enough, before the rotation period is over.
    #[test]
    fn a_new_algorithm_takes_effect_through_a_rotation() {
        let rs = Policy {
            alg: JwsAlg::RS256,
            ..P
        };
        let c = key("c", KeyState::Current, 0, Some(0));
        let n = key("n", KeyState::Next, 10, None);
        assert_eq!(
            plan(&[c.clone(), n], 20, &rs, &[]),
            [Step::Remove("n".into()), Step::Create(KeyState::Next)]
        );
        let mut n = key("n2", KeyState::Next, 20, None);
        n.alg = "RS256".into();
        assert!(plan(&[c.clone(), n.clone()], 20 + 100 + MARGIN - 1, &rs, &[]).is_empty());
        // Well before the rotation period (1000): the algorithm makes it due.
        assert_eq!(
            plan(&[c, n], 20 + 100 + MARGIN, &rs, &[]),
            [
                Step::Promote {
                    next: "n2".into(),
                    current: Some("c".into())
                },
                Step::Create(KeyState::Next)
            ]
        );
    }

    fn id_key(kid: &str, alg: &str, state: KeyState, created: i64) -> StoredKey {
        StoredKey {
            alg: alg.into(),
            purpose: KeyPurpose::IdToken,
            ..key(
                kid,
                state,
                created,
                (state == KeyState::Current).then_some(created),
            )
        }
    }

    /// ID tokens have chains of their own, one per algorithm clients need, beside the access
    /// chain: made signing at once only in a new store, else published first.
    #[test]
    fn id_token_chains_follow_the_algorithms_clients_need() {
        let rs = [JwsAlg::RS256];
        assert_eq!(
            plan(&[], 0, &P, &rs),
            [
                Step::Create(KeyState::Current),
                Step::Create(KeyState::Next),
                Step::CreateId(JwsAlg::RS256, KeyState::Current),
                Step::CreateId(JwsAlg::RS256, KeyState::Next),
            ]
        );
        // A store made before ID-token chains: a next key, which signs once published long
        // enough (ID tokens are signed by the access key until then).
        let c = key("c", KeyState::Current, 0, Some(600));
        let n = key("n", KeyState::Next, 0, None);
        let old = [c.clone(), n.clone()];
        assert_eq!(
            plan(&old, 10, &P, &rs),
            [Step::CreateId(JwsAlg::RS256, KeyState::Next)]
        );
        let idn = id_key("i1", "RS256", KeyState::Next, 10);
        let with_next = [c.clone(), n.clone(), idn.clone()];
        assert!(plan(&with_next, 10 + 100 + MARGIN - 1, &P, &rs).is_empty());
        assert_eq!(
            plan(&with_next, 10 + 100 + MARGIN, &P, &rs),
            [
                Step::Promote {
                    next: "i1".into(),
                    current: None
                },
                Step::CreateId(JwsAlg::RS256, KeyState::Next)
            ]
        );
        // Rotated on the access chain's period, independently of it.
        let idc = id_key("i1", "RS256", KeyState::Current, 10);
        let idn = id_key("i2", "RS256", KeyState::Next, 20);
        let both = [c.clone(), n.clone(), idc.clone(), idn.clone()];
        assert!(plan(&both, 500, &P, &rs).is_empty());
        assert_eq!(
            plan(&both, 1010, &P, &rs),
            [
                Step::Promote {
                    next: "i2".into(),
                    current: Some("i1".into())
                },
                Step::CreateId(JwsAlg::RS256, KeyState::Next)
            ]
        );
        // A client registers ES384: a second chain. The last such client goes: it retires.
        assert_eq!(
            plan(&both, 500, &P, &[JwsAlg::RS256, JwsAlg::ES384]),
            [Step::CreateId(JwsAlg::ES384, KeyState::Next)]
        );
        let es = id_key("e1", "ES384", KeyState::Current, 10);
        let esn = id_key("e2", "ES384", KeyState::Next, 20);
        assert_eq!(
            plan(&[c, n, idc, idn, es, esn], 500, &P, &rs),
            [Step::Retire("e1".into()), Step::Remove("e2".into())]
        );
    }

    /// The operator's rotation: `Now` promotes a next key published long enough, `Forced` any,
    /// and starts a chain without keys signing at once.
    #[test]
    fn the_operator_rotates_id_chains_now() {
        let rs = [JwsAlg::RS256];
        let c = key("c", KeyState::Current, 0, Some(600));
        let n = key("n", KeyState::Next, 0, None);
        let idc = id_key("i1", "RS256", KeyState::Current, 10);
        let idn = id_key("i2", "RS256", KeyState::Next, 20);
        let keys = [c.clone(), n.clone(), idc, idn];
        let promote = [
            Step::Promote {
                next: "i2".into(),
                current: Some("i1".into()),
            },
            Step::CreateId(JwsAlg::RS256, KeyState::Next),
        ];
        assert!(
            plan_id(&keys, 30, &P, &rs, IdRotation::Now).is_empty(),
            "too new"
        );
        assert_eq!(plan_id(&keys, 30, &P, &rs, IdRotation::Forced), promote);
        assert_eq!(
            plan_id(&keys, 20 + 100 + MARGIN, &P, &rs, IdRotation::Now),
            promote
        );
        assert_eq!(
            plan_id(&[], 30, &P, &rs, IdRotation::Now),
            [Step::CreateId(JwsAlg::RS256, KeyState::Next)],
            "the operator's rotation of an empty store publishes first"
        );
        let bare = [c, n];
        assert_eq!(
            plan_id(&bare, 30, &P, &[JwsAlg::ES384], IdRotation::Now),
            [Step::CreateId(JwsAlg::ES384, KeyState::Next)]
        );
        assert_eq!(
            plan_id(&bare, 30, &P, &[JwsAlg::ES384], IdRotation::Forced),
            [
                Step::CreateId(JwsAlg::ES384, KeyState::Current),
                Step::CreateId(JwsAlg::ES384, KeyState::Next)
            ]
        );
    }

    #[test]
    fn a_retired_key_outlives_the_last_token_it_signed() {
        let mut c = key("c", KeyState::Current, 0, Some(0));
        // Nothing recorded: the longest lifetime this node allows.
        assert_eq!(retire_until(&c, 1000, &P), 1000 + 300 + MARGIN);
        // A node with a longer lifetime signed a token expiring later: that counts.
        c.signed_until = Some(5000);
        assert_eq!(retire_until(&c, 1000, &P), 5000 + MARGIN);
        c.signed_until = Some(1100);
        assert_eq!(retire_until(&c, 1000, &P), 1000 + 300 + MARGIN);
        // The ring reports what it signed beyond what the store holds, once.
        let ring = KeyRing::empty();
        ring.signed_until(2000);
        assert!(ring.unrecorded().is_none(), "no current key");
    }
}
