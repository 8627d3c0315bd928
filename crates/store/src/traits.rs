//! The store, one trait per concern. Nothing here knows about HTTP or OAuth messages: the
//! callers pass records, ids and hashes.

use async_trait::async_trait;

use crate::{
    AuthCode, Client, Consent, Event, Factor, PendingLogout, RefreshFamily, Rotation, Session,
    SignInRead, StatusBlock, StatusListInfo, StoreError, StoredKey, TokenStatus, User,
};

/// Applications.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a new client.
    async fn insert_client(&self, c: &Client) -> Result<(), StoreError>;
    /// Replaces a client's record if its stored version is `c.version`
    /// ([`StoreError::Conflict`] otherwise: it changed since `c` was read); the stored version
    /// becomes `c.version + 1`.
    async fn update_client(&self, c: &Client) -> Result<(), StoreError>;
    /// One client.
    async fn client(&self, id: &str) -> Result<Option<Client>, StoreError>;
    /// Every client.
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;
    /// Deletes a client; false when there was none.
    async fn delete_client(&self, id: &str) -> Result<bool, StoreError>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key.
    async fn keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Inserts a key.
    async fn insert_key(&self, k: &StoredKey) -> Result<(), StoreError>;
    /// Replaces a key's state and times.
    async fn update_key(&self, k: &StoredKey) -> Result<(), StoreError>;
    /// Replaces the sealed private keys of these keys (`(kid, private_jwe)`, a master key
    /// rotation), in one transaction with one move of the generation; returns how many keys
    /// there were to change.
    async fn reseal_keys(&self, sealed: &[(String, String)]) -> Result<u64, StoreError>;
    /// A rotation's one step: the current key becomes previous and the next becomes current,
    /// in one transaction with one move of the generation, so no node ever loads a store with
    /// no current key (or two).
    async fn promote_key(
        &self,
        retired: Option<&StoredKey>,
        activated: &StoredKey,
    ) -> Result<(), StoreError>;
    /// Records that the key signed a token expiring at `until` (kept as the maximum); a retired
    /// key's `remove_after` becomes at least `until + margin`.
    async fn key_signed_until(&self, kid: &str, until: i64, margin: i64) -> Result<(), StoreError>;
    /// Adds to the counts of tokens the key signed, by the minute they expire (`(exp / 60,
    /// count)`); no generation bump (no cache holds them).
    async fn add_signed_counts(&self, kid: &str, counts: &[(i64, u64)]) -> Result<(), StoreError>;
    /// How many tokens the key signed that expire at `now` or later, as recorded (to the
    /// minute).
    async fn live_signed_count(&self, kid: &str, now: i64) -> Result<u64, StoreError>;
    /// Deletes a key.
    async fn delete_key(&self, kid: &str) -> Result<(), StoreError>;
}

/// Revocation of issued tokens.
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Puts a token's `jti` on the deny list until `expires_at`.
    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Whether a token is inactive by revocation: its `jti` is denied, or its client revoked
    /// every token issued up to a time at or after `issued_ms` (when the token was issued,
    /// Unix milliseconds), or the client is gone or disabled. One round trip.
    async fn is_revoked(
        &self,
        jti: &str,
        client_id: &str,
        issued_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Forgets revocations of tokens expired before `now`.
    async fn purge_revocations(&self, now: i64) -> Result<u64, StoreError>;
}

/// Audit events.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Records an event.
    async fn record(&self, e: &Event) -> Result<(), StoreError>;
    /// Records events in one transaction (one durable write for a burst).
    async fn record_all(&self, events: &[Event]) -> Result<(), StoreError>;
    /// Events at or after `since`, oldest first, at most `limit`.
    async fn events(&self, since: i64, limit: i64) -> Result<Vec<Event>, StoreError>;
}

/// What nodes sharing a store coordinate through.
#[async_trait]
pub trait Coordination: Send + Sync {
    /// The change generation: it moves whenever a client or key changes.
    async fn generation(&self) -> Result<i64, StoreError>;
    /// Moves the change generation.
    async fn bump(&self) -> Result<(), StoreError>;
    /// Takes or renews the named lease for `holder` until `until`; false when another holder
    /// has it and it has not expired at `now`.
    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError>;
    /// Gives up the named lease if `holder` has it (a node that stops), so another node need
    /// not wait for it to expire.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// A fact about the store ([`MASTER_KEY_CHECK`](crate::MASTER_KEY_CHECK), ...), if one is
    /// recorded under that name.
    async fn fact(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Records a fact unless one is recorded under that name already; returns the value the
    /// store holds afterwards (this one, or the one recorded first).
    async fn record_fact(&self, name: &str, value: &str) -> Result<String, StoreError>;
    /// Records a fact, replacing what was recorded under that name.
    async fn set_fact(&self, name: &str, value: &str) -> Result<(), StoreError>;
}

/// People's accounts. Users are not cached by the nodes (a sign-in reads its account), so
/// their writes do not move the change generation.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts an account; [`StoreError::Conflict`] when its id or username key is taken.
    async fn insert_user(&self, u: &User) -> Result<(), StoreError>;
    /// Inserts every account in one transaction, or none: the error names the first account
    /// that could not be inserted (its username, or its position).
    async fn import_users(&self, users: &[User]) -> Result<(), StoreError>;
    /// Replaces an account, if its version is the stored one ([`StoreError::Conflict`] when
    /// another change landed since it was read; also when the new username key is taken).
    async fn update_user(&self, u: &User) -> Result<(), StoreError>;
    /// The account with this subject id.
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// The account with this username key (PRECIS UsernameCaseMapped).
    async fn user_by_username(&self, key: &str) -> Result<Option<User>, StoreError>;
    /// A sign-in's reads in one: the account with `username_key` (none for `None`), how many
    /// factors besides recovery codes it holds, and the failure counts of `throttle_keys` (as
    /// [`SessionStore::throttles`] gives them).
    async fn sign_in_read(
        &self,
        username_key: Option<&str>,
        throttle_keys: [&str; 2],
    ) -> Result<SignInRead, StoreError>;
    /// Every account, oldest first.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Deletes an account, with its consents and codes; whether there was one.
    async fn delete_user(&self, id: &str) -> Result<bool, StoreError>;
}

/// Browser sessions and the sign-in throttle. Read on every request that carries a session
/// (a session made on one node works on every node; an ended one ends everywhere).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a new session: committed, so every node sees it, but not necessarily synced to
    /// the disk (a session lost to a power failure only asks its person to sign in again).
    async fn insert_session(&self, s: &Session) -> Result<(), StoreError>;
    /// The session with this hash.
    async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError>;
    /// Replaces how a session's person signed in (a step-up); `false`: no such session.
    async fn set_session_auth(&self, id_hash: &str, auth: &str) -> Result<bool, StoreError>;
    /// Notes that the session was used at `now` (seconds).
    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError>;
    /// Ends a session; whether there was one. The clients that got tokens in it and have a
    /// back-channel logout URI get a notice in the outbox, in the same transaction (so do the
    /// other ways of ending sessions below).
    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Ends every session of a user but `keep`; how many ended.
    async fn delete_sessions_of(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<u64, StoreError>;
    /// A user's sessions, newest first.
    async fn sessions_of(&self, user_id: &str) -> Result<Vec<Session>, StoreError>;
    /// Ends the sessions last used before `before` (seconds); how many.
    async fn purge_sessions(&self, before: i64) -> Result<u64, StoreError>;
    /// Two throttle counters in one read (an account's and a client address's), in order, each
    /// `(failures, last failure in Unix milliseconds)`.
    async fn throttles(&self, keys: [&str; 2]) -> Result<[Option<(i64, i64)>; 2], StoreError>;
    /// Counts a failure at `now_ms`: one more, or 1 when the last one is older than `reset_ms`.
    async fn throttle_failure(
        &self,
        key: &str,
        now_ms: i64,
        reset_ms: i64,
    ) -> Result<(), StoreError>;
    /// Forgets a counter (a successful sign-in).
    async fn throttle_clear(&self, key: &str) -> Result<(), StoreError>;
    /// Forgets the counters whose last failure is before `before_ms`; how many.
    async fn purge_throttle(&self, before_ms: i64) -> Result<u64, StoreError>;
}

/// The authorization code flow: codes and consents.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Records a new code.
    async fn insert_code(&self, c: &AuthCode) -> Result<(), StoreError>;
    /// Redeems a code at `now`, once, noting `jti` as the access token it gives (in the same
    /// statement: one durable write): `Ok(Ok(code))` for the one caller that redeems it,
    /// `Ok(Err(Some(code)))` when it was redeemed before (a replay; its `issued_jti` is the
    /// first redemption's), `Ok(Err(None))` when there is no such code. `status`: the
    /// status-list record of the token the redemption gives, written in the same commit when
    /// this call redeems the code and the code is `status.client_id`'s (its `user_id` is the
    /// code's).
    async fn redeem_code(
        &self,
        code_hash: &str,
        now: i64,
        jti: &str,
        status: Option<&TokenStatus>,
    ) -> Result<Result<AuthCode, Option<AuthCode>>, StoreError>;
    /// Forgets codes and pushed requests that expired before `before`; how many.
    async fn purge_codes(&self, before: i64) -> Result<u64, StoreError>;
    /// Records a pushed authorization request (RFC 9126): its parameters (form-encoded) under
    /// the hash of its `request_uri`.
    async fn push_request(
        &self,
        uri_hash: &str,
        client_id: &str,
        params: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// A pushed request's `(client_id, params, expires_at)`, if it exists, has not expired at
    /// `now` and has not given a code.
    async fn pushed_request(
        &self,
        uri_hash: &str,
        now: i64,
    ) -> Result<Option<(String, String, i64)>, StoreError>;
    /// Marks a pushed request used (it gave a code); whether it was unused.
    async fn use_pushed_request(&self, uri_hash: &str) -> Result<bool, StoreError>;
    /// A person's consent to an application, if one was ever recorded (a removed one has no
    /// scopes).
    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, StoreError>;
    /// Records a consent (replacing the scopes; a removal's cut-off is kept).
    async fn grant_consent(&self, c: &Consent) -> Result<(), StoreError>;
    /// Removes a consent: no scopes, and the application's tokens for the person issued up to
    /// `now_ms` inactive. Whether there was one with scopes.
    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// A person's consents that have scopes, newest first.
    async fn consents_of(&self, user_id: &str) -> Result<Vec<Consent>, StoreError>;
    /// Notes that a client got tokens in a session (for back-channel logout).
    async fn note_session_client(
        &self,
        session_hash: &str,
        client_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError>;
    /// Takes up to `limit` logout notices due at `now` for delivery: each counts an attempt and
    /// is not due again before `retry_at` (so two nodes do not both deliver it).
    async fn claim_logouts(
        &self,
        now: i64,
        retry_at: i64,
        limit: i64,
    ) -> Result<Vec<PendingLogout>, StoreError>;
    /// Makes a notice due again at `next_at` (a failed delivery).
    async fn logout_retry(
        &self,
        session_hash: &str,
        client_id: &str,
        next_at: i64,
    ) -> Result<(), StoreError>;
    /// Forgets a notice (delivered, or given up).
    async fn logout_done(&self, session_hash: &str, client_id: &str) -> Result<(), StoreError>;
    /// Whether a code issued at `issued_ms` in the browser session `session_hash` may still
    /// give tokens to `client_id`: the session exists and the person's access holds (as
    /// [`Self::user_token_revoked`] says, without a grant). One round trip.
    async fn code_grant_holds(
        &self,
        session_hash: &str,
        user_id: &str,
        client_id: &str,
        issued_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Whether a token issued to `client_id` for `user_id` at `issued_ms` is inactive because
    /// of the person: the account is gone or disabled, a forced logout came after it, the
    /// consent was removed after it, or the refresh-token family of its grant (`grant_id`) was
    /// revoked. One round trip.
    async fn user_token_revoked(
        &self,
        user_id: &str,
        client_id: &str,
        issued_ms: i64,
        grant_id: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// The person's subject identifier for the clients of `sector` (OpenID Connect Core §8.1
    /// pairwise): the one recorded, else `candidate` (random, made by the caller) recorded now.
    /// Two callers racing both get the one that was recorded.
    async fn pairwise_subject(
        &self,
        sector: &str,
        user_id: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String, StoreError>;
    /// The person behind a pairwise subject identifier of `sector`, if any.
    async fn pairwise_user(
        &self,
        sector: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError>;
}

/// Refresh-token families: created with a grant, rotated one live token at a time, revoked.
#[async_trait]
pub trait RefreshStore: Send + Sync {
    /// Records a new family and its first token (generation 0).
    async fn create_family(&self, f: &RefreshFamily, token_hash: &str) -> Result<(), StoreError>;
    /// The family of a refresh token (by hash) and the token's generation.
    async fn refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshFamily, i64)>, StoreError>;
    /// Rotates a family whose live token is of generation `from`: records the new token and
    /// the grace of the presented one, moves the idle end, and (a session-bound family) marks
    /// its session used; one transaction. `false` when the family moved on meanwhile (another
    /// rotation won) or was revoked: nothing is written.
    async fn rotate_family(&self, id: &str, from: i64, r: &Rotation) -> Result<bool, StoreError>;
    /// Revokes a family (every token of it, and the access tokens of its grant at
    /// introspection). `false` when it was revoked already or is unknown.
    async fn revoke_family(&self, id: &str, now: i64, reason: &str) -> Result<bool, StoreError>;
    /// One family.
    async fn family(&self, id: &str) -> Result<Option<RefreshFamily>, StoreError>;
    /// The families alive at `now`, of a person or of a client (newest first): not revoked,
    /// not expired, the session of a session-bound one still there, and nothing that ended the
    /// person's tokens after it began (account disabled, forced logout, consent removed, the
    /// client disabled or its tokens revoked).
    async fn live_families(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
        now: i64,
    ) -> Result<Vec<RefreshFamily>, StoreError>;
    /// Deletes families that ended before `before` (expired, or revoked then), with their
    /// tokens; returns how many.
    async fn purge_families(&self, before: i64) -> Result<u64, StoreError>;
}

/// Token Status Lists: blocks of indices, who each index was given to, and which indices
/// introspection would call inactive.
#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Takes `block` counter values of the newest list open at `now` that has them, or makes
    /// `new` (its `id` is ignored) and takes its first block.
    async fn take_status_block(
        &self,
        now: i64,
        block: i64,
        new: &StatusListInfo,
    ) -> Result<StatusBlock, StoreError>;
    /// Records who a counter value (so an index) was given to (batched with other writes: one synced commit for
    /// many tokens); the token is answered only after it.
    async fn record_status(&self, t: &TokenStatus) -> Result<(), StoreError>;
    /// One list.
    async fn status_list(&self, id: i64) -> Result<Option<StatusListInfo>, StoreError>;
    /// The lists published at `now` (not expired), oldest first.
    async fn status_lists(&self, now: i64) -> Result<Vec<StatusListInfo>, StoreError>;
    /// The counter values of a list whose tokens introspection would call inactive: revoked by
    /// `jti`, their client gone, disabled or its tokens revoked after them, or, for a person's
    /// token, the account gone or disabled, a forced logout or a consent removal after them,
    /// or their grant revoked. Sorted.
    async fn revoked_seqs(&self, list_id: i64) -> Result<Vec<i64>, StoreError>;
    /// Deletes the lists expired before `now`, with their records, and the deletion marks
    /// no list needs; returns how many lists.
    async fn purge_status_lists(&self, now: i64) -> Result<u64, StoreError>;
}

/// Second factors, the operator's MFA requirement, and WebAuthn challenges.
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// Adds a factor.
    async fn insert_factor(&self, f: &Factor) -> Result<(), StoreError>;
    /// A person's factors, oldest first.
    async fn factors_of(&self, user_id: &str) -> Result<Vec<Factor>, StoreError>;
    /// A factor by id (a passkey by its credential id).
    async fn factor(&self, id: &str) -> Result<Option<Factor>, StoreError>;
    /// Moves a factor's counter to `to` and marks it used (and confirmed) at `now`, only if the
    /// counter is below `to` (a passkey whose counters are both 0 also passes: authenticators
    /// that do not count). `false`: already used (a replayed code, a cloned authenticator).
    async fn advance_factor(&self, id: &str, to: i64, now: i64) -> Result<bool, StoreError>;
    /// Removes a person's factor.
    async fn delete_factor(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Removes a person's factors of one kind, or all (`None`); returns how many.
    async fn delete_factors(&self, user_id: &str, kind: Option<&str>) -> Result<u64, StoreError>;
    /// Replaces a person's factors of `kind` with `new` in one transaction (a TOTP secret
    /// re-enrolled, a new set of recovery codes).
    async fn replace_factors(
        &self,
        user_id: &str,
        kind: &str,
        new: &[Factor],
    ) -> Result<(), StoreError>;
    /// Whether the operator requires a second factor of this person.
    async fn mfa_required(&self, user_id: &str) -> Result<bool, StoreError>;
    /// Sets whether the operator requires a second factor of this person.
    async fn set_mfa_required(&self, user_id: &str, required: bool) -> Result<(), StoreError>;
    /// Keeps a challenge (its hash) for `purpose` and a person ('' for none) until `expires_at`.
    async fn insert_challenge(
        &self,
        hash: &str,
        purpose: &str,
        user_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Takes a challenge once: its (purpose, person) if it exists and has not expired.
    async fn take_challenge(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<(String, String)>, StoreError>;
    /// Deletes the challenges expired before `now`.
    async fn purge_challenges(&self, now: i64) -> Result<u64, StoreError>;
}

/// The whole store.
pub trait Store:
    ClientStore
    + KeyStore
    + RevocationStore
    + EventStore
    + Coordination
    + UserStore
    + SessionStore
    + GrantStore
    + RefreshStore
    + StatusStore
    + FactorStore
{
}

impl<
    T: ClientStore
        + KeyStore
        + RevocationStore
        + EventStore
        + Coordination
        + UserStore
        + SessionStore
        + GrantStore
        + RefreshStore
        + StatusStore
        + FactorStore,
> Store for T
{
}
