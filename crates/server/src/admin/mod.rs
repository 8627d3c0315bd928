//! What the operator's commands do (`tessera client`, `tessera keys`, `tessera events`), on
//! the store directly, beside running servers: every change bumps the store's generation, so
//! running nodes pick it up without a restart. Each change is an audit event.

mod users;

use std::sync::Arc;

use serde_json::json;

pub use users::{Imported, NewUser, UserChange};

use crate::config::Config;
use crate::error::Error;
use crate::keys::{Policy, Secrets, Step};
use tessera_store::{Client, Event, KeyPurpose, KeyState, Store};

/// The store and secrets of one deployment, for administration.
pub struct Admin {
    store: Arc<dyn Store>,
    secrets: Secrets,
    config: Config,
    clock: Arc<dyn tessera_jose::jwt::Clock>,
}

/// A new client's credentials, shown once. `Debug` does not print the secret.
#[derive(serde::Serialize)]
pub struct NewCredentials {
    /// The `client_id`.
    pub client_id: String,
    /// The secret (256 random bits, base64url); none for a public client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes.
    pub scope: String,
    /// Audiences.
    pub audience: Vec<String>,
    /// Token lifetime, seconds.
    pub token_ttl: i64,
    /// Its tokens must be DPoP-bound.
    pub dpop_bound: bool,
    /// It may introspect tokens meant for its audiences.
    pub introspect: bool,
    /// The grant types it may use.
    pub grant_types: Vec<String>,
    /// Where people may be sent back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// A public client (no secret).
    pub public: bool,
}

impl core::fmt::Debug for NewCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NewCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// What `client create` and `client update` set.
#[derive(Debug, Default, Clone)]
pub struct ClientSpec {
    /// The name.
    pub name: Option<String>,
    /// Space-separated scopes.
    pub scopes: Option<Vec<String>>,
    /// Audiences.
    pub audiences: Option<Vec<String>>,
    /// Token lifetime, seconds.
    pub token_ttl: Option<i64>,
    /// Whether its access tokens must be DPoP-bound (RFC 9449 §5.2); default on creation: no.
    pub dpop_bound: Option<bool>,
    /// Whether it may introspect tokens (RFC 7662 §4), those meant for one of its audiences;
    /// default on creation: no.
    pub introspect: Option<bool>,
    /// A public client (no secret; SPAs and native apps), at creation only.
    pub public: Option<bool>,
    /// Redirect URIs (replacing the registered ones).
    pub redirect_uris: Option<Vec<String>>,
    /// Post-logout redirect URIs (replacing the registered ones).
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Grant types; default on creation: `authorization_code` with redirect URIs (or for a
    /// public client), else `client_credentials`.
    pub grant_types: Option<Vec<String>>,
    /// The operator's own application (no consent asked).
    pub first_party: Option<bool>,
    /// Browser origins allowed to call the token endpoint and others (CORS), replacing the
    /// registered ones.
    pub web_origins: Option<Vec<String>>,
    /// Whether its authorization requests must be pushed (RFC 9126).
    pub require_par: Option<bool>,
    /// Where it is told that a session ended (Back-Channel Logout); empty removes it.
    pub backchannel_logout_uri: Option<String>,
    /// Its userinfo claim rules (`rename:FROM=TO`, `add:NAME`, `drop:NAME`), replacing the
    /// registered ones.
    pub claim_map: Option<Vec<String>>,
    /// The algorithm of its ID tokens (OpenID Connect Registration
    /// `id_token_signed_response_alg`); empty resets it to RS256, the default.
    pub id_token_alg: Option<String>,
    /// Pairwise subject identifiers (`true`) or public ones (`false`, the default).
    pub pairwise: Option<bool>,
    /// The sector whose clients share pairwise subjects: a host, or an https URL whose host
    /// it is; empty removes it (the redirect URIs' one host is the sector).
    pub sector_identifier: Option<String>,
    /// Its refresh-token families' idle lifetime, seconds (0: the server's).
    pub refresh_idle_ttl: Option<i64>,
    /// Its refresh-token families' absolute lifetime, seconds (0: the server's).
    pub refresh_absolute_ttl: Option<i64>,
    /// The level every sign-in for it must reach: `mfa`, `phishing-resistant`, or empty
    /// (none; `password` is the same).
    pub require_acr: Option<String>,
}

/// A sector identifier as given (`host`, or an `https://host/...` URL): its host, lowercased.
fn sector_host(given: &str) -> Option<String> {
    let host = if given.contains("://") {
        if !given.starts_with("https://") {
            return None;
        }
        crate::users::subjects::host_of(given)?
    } else {
        given.to_ascii_lowercase()
    };
    (!host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':')))
    .then_some(host)
}

/// Applies what a spec changes to a client (an update, and its preview).
fn apply_spec(c: &mut Client, spec: &ClientSpec) {
    if let Some(n) = &spec.name {
        c.name.clone_from(n);
    }
    if let Some(s) = &spec.scopes {
        c.scopes.clone_from(s);
    }
    if let Some(a) = &spec.audiences {
        c.audiences.clone_from(a);
    }
    if let Some(t) = spec.token_ttl {
        c.token_ttl = t;
    }
    if let Some(d) = spec.dpop_bound {
        c.dpop_bound = d;
    }
    if let Some(i) = spec.introspect {
        c.introspect = i;
    }
    if let Some(r) = &spec.redirect_uris {
        c.redirect_uris.clone_from(r);
    }
    if let Some(r) = &spec.post_logout_redirect_uris {
        c.post_logout_redirect_uris.clone_from(r);
    }
    if let Some(g) = &spec.grant_types {
        c.grant_types.clone_from(g);
    }
    if let Some(f) = spec.first_party {
        c.first_party = f;
    }
    if let Some(o) = &spec.web_origins {
        c.web_origins.clone_from(o);
    }
    if let Some(r) = spec.require_par {
        c.require_par = r;
    }
    if let Some(u) = &spec.backchannel_logout_uri {
        c.backchannel_logout_uri = Some(u.clone()).filter(|u| !u.is_empty());
    }
    if let Some(m) = &spec.claim_map {
        c.claim_map.clone_from(m);
    }
    if let Some(a) = &spec.id_token_alg {
        c.id_token_alg = Some(a.clone()).filter(|a| !a.is_empty());
    }
    if let Some(p) = spec.pairwise {
        c.pairwise = p;
    }
    if let Some(s) = &spec.sector_identifier {
        c.sector_identifier = sector_host(s);
    }
    if let Some(t) = spec.refresh_idle_ttl {
        c.refresh_idle_ttl = Some(t).filter(|t| *t > 0);
    }
    if let Some(t) = spec.refresh_absolute_ttl {
        c.refresh_absolute_ttl = Some(t).filter(|t| *t > 0);
    }
    if let Some(a) = &spec.require_acr {
        c.require_acr = Some(a.clone()).filter(|a| !a.is_empty() && a != "password");
    }
}

/// Whether `o` is a web origin as browsers send it: `https://host[:port]` (or `http` on a
/// loopback host), no path, no trailing slash.
fn is_web_origin(o: &str) -> bool {
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    let host = rest.split(':').next().unwrap_or_default();
    let port_ok = rest.split_once(':').is_none_or(|(_, p)| {
        !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
    });
    let loopback = matches!(host, "127.0.0.1" | "localhost") || rest.starts_with("[::1]");
    (scheme == "https" || (scheme == "http" && loopback))
        && !host.is_empty()
        && port_ok
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The grant types a client may be given.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "client_credentials", "refresh_token"];

/// Opens the deployment's store and its master key, and checks that the key is the store's
/// ([`crate::keys::bind`]). With `create` (`tessera serve`, `tessera init`), a store is made
/// when there is none, with a new master key unless one is configured, and pending migrations
/// are applied; without (the operator commands), nothing is created or migrated: a missing
/// store, a missing key and a schema that is not this build's are errors that say what to do.
///
/// # Errors
/// [`Error::Store`] and [`Error::MasterKey`] as above.
pub async fn open_store(config: &Config, create: bool) -> Result<Opened, Error> {
    let location = tessera_store::Location::new(config.database_url.as_deref(), &config.data_dir);
    let (store, master): (Arc<dyn Store>, _) = if create {
        let store = tessera_store::connect(location, true).await?;
        // A new store gets a new master key (unless one is configured), made before the
        // schema: a start that fails in between finds the key at the next one.
        let new = store.schema().await? == tessera_store::Schema::Empty;
        let master = crate::keys::master_key(config, new)?;
        store.migrate().await?;
        (Arc::new(store), master)
    } else {
        let store = tessera_store::open(location, tessera_store::Migrations::Require).await?;
        (store, crate::keys::master_key(config, false)?)
    };
    let mut secrets = Secrets::from_master(&master.key);
    crate::keys::bind(store.as_ref(), &secrets, &master.source).await?;
    if let Some(sealed) = store.fact(crate::keys::PREVIOUS_PEPPER_FACT).await? {
        secrets = secrets.with_previous(&sealed).map_err(|_| {
            Error::MasterKey(
                "the pepper of the previous master key does not open under this one: the store is damaged".into(),
            )
        })?;
    }
    // The factor key: made once (the first node or command to get here records it; any other
    // takes the recorded one), sealed under the master key.
    let sealed = match store.fact(crate::keys::FACTOR_KEY_FACT).await? {
        Some(s) => s,
        None => {
            store
                .record_fact(crate::keys::FACTOR_KEY_FACT, &secrets.new_factor_key()?)
                .await?
        }
    };
    secrets = secrets.with_factor_key(&sealed).map_err(|_| {
        Error::MasterKey(
            "the key of people's second factors does not open under this master key: the store is damaged".into(),
        )
    })?;
    Ok(Opened {
        store,
        secrets,
        key_source: master.source,
    })
}

/// What `tessera rekey` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rekeyed {
    /// The file of the new master key.
    pub new_key: String,
    /// Whether that file was made by this call.
    pub made: bool,
    /// The new key's check value, which the store now records.
    pub check_value: String,
    /// How many signing keys were sealed anew (fewer when a stopped run is resumed).
    pub keys_resealed: usize,
}

/// Rotates the store's master key to the one in `new_key_file` (made there, mode 0600, when
/// it does not exist): the signing keys are sealed again under it, the store records its check
/// value, and the old key's pepper is kept (sealed under the new key) so client secrets hashed
/// under it still authenticate; each is hashed again under the new key at its next use. Every
/// node must be stopped first and started again with the new key (a node still running with the
/// old one turns unready and writes nothing). A run that stopped half-way is resumed by the
/// same command.
///
/// # Errors
/// [`Error::MasterKey`] when the configured (old) key is not the store's, or the new key is
/// the same; [`Error`] from the store or the files.
pub async fn rekey(config: &Config, new_key_file: &std::path::Path) -> Result<Rekeyed, Error> {
    use tessera_store::MASTER_KEY_CHECK;
    let location = tessera_store::Location::new(config.database_url.as_deref(), &config.data_dir);
    let store = tessera_store::open(location, tessera_store::Migrations::Require).await?;
    let old_master = crate::keys::master_key(config, false)?;
    let new_master = crate::keys::key_file(new_key_file, true)?
        .ok_or_else(|| Error::Io(format!("cannot make {}", new_key_file.display())))?;
    let (old, new) = (
        Secrets::from_master(&old_master.key),
        Secrets::from_master(&new_master.key),
    );
    if old.check_value() == new.check_value() {
        return Err(Error::MasterKey(format!(
            "{} holds the store's current master key: give rekey a new one (a missing file is made)",
            new_master.source
        )));
    }
    let recorded = match store.fact(MASTER_KEY_CHECK).await? {
        Some(c) => c,
        None => {
            crate::keys::bind(store.as_ref(), &old, &old_master.source).await?;
            old.check_value().to_owned()
        }
    };
    if recorded == old.check_value() {
        // The old pepper first, under the new key: from the moment the store names the new key,
        // the secrets hashed under the old one can be checked.
        store
            .set_fact(
                crate::keys::PREVIOUS_PEPPER_FACT,
                &old.seal_pepper_for(&new)?,
            )
            .await?;
        store.set_fact(MASTER_KEY_CHECK, new.check_value()).await?;
    } else if recorded != new.check_value() {
        return Err(Error::MasterKey(format!(
            "the master key from {} is not this store's (the store expects check value {recorded}, this key's is {}): rekey starts from the store's current key",
            old_master.source,
            old.check_value()
        )));
    }
    let mut sealed = Vec::new();
    for k in store.keys().await? {
        if new.open(&k.private_jwe).is_ok() {
            continue;
        }
        let jwk = old.open(&k.private_jwe).map_err(|_| {
            Error::MasterKey(format!(
                "signing key {} opens under neither the old nor the new master key",
                k.kid
            ))
        })?;
        sealed.push((k.kid, new.seal(&jwk)?));
    }
    // The factor key: sealed again under the new key (a resumed run finds it done).
    if let Some(f) = store.fact(crate::keys::FACTOR_KEY_FACT).await?
        && Secrets::from_master(&new_master.key)
            .with_factor_key(&f)
            .is_err()
    {
        let again = old.reseal_factor_key(&f, &new).map_err(|_| {
            Error::MasterKey(
                "the key of people's second factors opens under neither the old nor the new master key".into(),
            )
        })?;
        store.set_fact(crate::keys::FACTOR_KEY_FACT, &again).await?;
    }
    // All at once: no node ever loads some keys under one master key and some under the other.
    let resealed = usize::try_from(store.reseal_keys(&sealed).await?).unwrap_or(usize::MAX);
    store
        .record(&Event {
            at: tessera_jose::jwt::Clock::now(&tessera_jose::jwt::SystemClock),
            kind: "master_key.rotated".into(),
            client_id: None,
            detail: json!({"from": old.check_value(), "to": new.check_value()}),
        })
        .await?;
    // Nodes still running with the old key look at the store now, and turn unready.
    store.bump().await?;
    Ok(Rekeyed {
        new_key: new_master.source,
        made: new_master.created,
        check_value: new.check_value().to_owned(),
        keys_resealed: resealed,
    })
}

/// A store opened with its master key ([`open_store`]).
pub struct Opened {
    /// The store.
    pub store: Arc<dyn Store>,
    /// What derives from its master key.
    pub secrets: Secrets,
    /// Where the master key came from.
    pub key_source: String,
}

/// What `tessera init` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Initialized {
    /// Whether a store was made (else one was there, with this master key).
    pub created: bool,
    /// Where the store is.
    pub store: String,
    /// Where the master key is (or which setting gave it).
    pub master_key: String,
    /// Its check value.
    pub check_value: String,
}

/// Makes the deployment's store and master key (what `tessera serve` does at its first start),
/// or checks an existing store against the configured key.
///
/// # Errors
/// [`Error`] when the store cannot be made or the key is not the store's.
pub async fn init(config: &Config) -> Result<Initialized, Error> {
    // An existing store is only checked (its schema and key); a missing one is made as the
    // first `serve` makes it.
    let (created, opened) = match open_store(config, false).await {
        Err(Error::Store(tessera_store::StoreError::NoStore(_))) => {
            (true, open_store(config, true).await?)
        }
        opened => (false, opened?),
    };
    Ok(Initialized {
        created,
        store: tessera_store::Location::new(config.database_url.as_deref(), &config.data_dir)
            .describe(),
        check_value: opened.secrets.check_value().to_owned(),
        master_key: opened.key_source,
    })
}

/// Applies the migrations the deployment's store does not hold yet; returns their versions,
/// oldest first. It never creates a store.
///
/// # Errors
/// [`Error::Store`] when there is no store, it cannot be opened or a migration fails.
pub async fn migrate(config: &Config) -> Result<Vec<i64>, Error> {
    let location = tessera_store::Location::new(config.database_url.as_deref(), &config.data_dir);
    let store = tessera_store::connect(location, false).await?;
    if store.schema().await? == tessera_store::Schema::Empty {
        return Err(tessera_store::StoreError::NoStore(location.describe()).into());
    }
    Ok(store.migrate().await?)
}

impl Admin {
    /// Opens the deployment's store and master key for an operator command: nothing is created
    /// or migrated ([`open_store`]).
    ///
    /// # Errors
    /// [`Error`] when either cannot be opened.
    pub async fn open(config: Config) -> Result<Self, Error> {
        let Opened { store, secrets, .. } = open_store(&config, false).await?;
        Ok(Self {
            store,
            secrets,
            config,
            clock: Arc::new(tessera_jose::jwt::SystemClock),
        })
    }

    /// Over an open store, with a clock (tests inject one).
    #[must_use]
    pub fn new(
        store: Arc<dyn Store>,
        secrets: Secrets,
        config: Config,
        clock: Arc<dyn tessera_jose::jwt::Clock>,
    ) -> Self {
        Self {
            store,
            secrets,
            config,
            clock,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    async fn event(
        &self,
        kind: &str,
        client_id: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), Error> {
        tracing::info!(event = kind, client_id = client_id.unwrap_or("-"), "audit");
        self.store
            .record(&Event {
                at: self.now(),
                kind: kind.into(),
                client_id: client_id.map(str::to_owned),
                detail,
            })
            .await?;
        Ok(())
    }

    fn check(&self, spec: &ClientSpec) -> Result<(), Error> {
        if let Some(scopes) = &spec.scopes
            && scopes.iter().any(|s| {
                !s.bytes()
                    .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
            })
        {
            return Err(Error::Invalid(
                "a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)"
                    .into(),
            ));
        }
        if let Some(auds) = &spec.audiences
            && (auds.is_empty() || auds.iter().any(|a| a.is_empty() || a.contains(' ')))
        {
            return Err(Error::Invalid(
                "give at least one audience, without spaces".into(),
            ));
        }
        for uri in spec
            .redirect_uris
            .iter()
            .chain(&spec.post_logout_redirect_uris)
            .flatten()
        {
            crate::oauth::redirect::check_registrable(uri).map_err(|e| {
                Error::Invalid(format!("{e}: `{}`", tessera_jose::error::escaped(uri)))
            })?;
        }
        if let Some(uri) = spec
            .backchannel_logout_uri
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            let web = uri.starts_with("https://") || uri.starts_with("http://");
            crate::oauth::redirect::check_registrable(uri)
                .and_then(|()| {
                    web.then_some(()).ok_or_else(|| {
                        "a back-channel logout URI is https (or http on a loopback host)".to_owned()
                    })
                })
                .map_err(|e| {
                    Error::Invalid(format!("{e}: `{}`", tessera_jose::error::escaped(uri)))
                })?;
        }
        for rule in spec.claim_map.iter().flatten() {
            crate::users::attributes::ClaimRule::parse(rule).map_err(Error::Invalid)?;
        }
        if let Some(name) = spec.id_token_alg.as_deref().filter(|a| !a.is_empty()) {
            let usable = tessera_jose::JwsAlg::from_name(name).is_ok_and(|alg| {
                alg.is_supported() && alg.family() != tessera_jose::alg::Family::Hmac
            });
            if !usable {
                return Err(Error::Invalid(format!(
                    "`{}` cannot sign ID tokens here: expected an asymmetric algorithm (RS256, PS256, ES256, ES384, EdDSA, ...)",
                    tessera_jose::error::escaped(name)
                )));
            }
        }
        if let Some(given) = spec.sector_identifier.as_deref().filter(|s| !s.is_empty())
            && sector_host(given).is_none()
        {
            return Err(Error::Invalid(format!(
                "`{}` is not a sector identifier: a host name, or an https URL whose host it is",
                tessera_jose::error::escaped(given)
            )));
        }
        if let Some(o) = spec
            .web_origins
            .iter()
            .flatten()
            .find(|o| !is_web_origin(o))
        {
            return Err(Error::Invalid(format!(
                "`{}` is not a web origin: https://host or https://host:port, no path (http only on a loopback host)",
                tessera_jose::error::escaped(o)
            )));
        }
        if let Some(g) = spec
            .grant_types
            .iter()
            .flatten()
            .find(|g| !GRANT_TYPES.contains(&g.as_str()))
        {
            return Err(Error::Invalid(format!(
                "unknown grant type `{}`: one of {}",
                tessera_jose::error::escaped(g),
                GRANT_TYPES.join(", ")
            )));
        }
        if let Some(ttl) = spec.token_ttl {
            let max = i64::try_from(self.config.max_token_ttl.as_secs()).unwrap_or(i64::MAX);
            if ttl < 1 || ttl > max {
                return Err(Error::Invalid(format!(
                    "the token lifetime must be between 1s and max_token_ttl ({max}s)"
                )));
            }
        }
        if spec
            .name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty() || n.len() > 200)
        {
            return Err(Error::Invalid(
                "the name must be 1 to 200 characters".into(),
            ));
        }
        Ok(())
    }

    /// Whether a client's settings hang together: a public client has no client credentials
    /// grant, the code grant needs a redirect URI, client credentials need an audience.
    fn coherent(c: &Client) -> Result<(), Error> {
        if c.grant_types.is_empty() {
            return Err(Error::Invalid(
                "a client needs at least one --grant-type".into(),
            ));
        }
        if c.public && c.may_use("client_credentials") {
            return Err(Error::Invalid(
                "a public client has no secret, so it cannot use client_credentials".into(),
            ));
        }
        if c.public && c.introspect {
            return Err(Error::Invalid(
                "a public client cannot introspect tokens (it has no secret to prove who it is)"
                    .into(),
            ));
        }
        if c.may_use("authorization_code") && c.redirect_uris.is_empty() {
            return Err(Error::Invalid(
                "the authorization_code grant needs at least one --redirect-uri".into(),
            ));
        }
        if c.may_use("client_credentials") && c.audiences.is_empty() {
            return Err(Error::Invalid(
                "the client_credentials grant needs at least one --audience".into(),
            ));
        }
        if c.may_use("refresh_token") && !c.may_use("authorization_code") {
            return Err(Error::Invalid(
                "refresh tokens come with the authorization_code grant: give both --grant-type authorization_code and --grant-type refresh_token".into(),
            ));
        }
        if c.refresh_idle_ttl
            .zip(c.refresh_absolute_ttl)
            .is_some_and(|(i, a)| i > a)
        {
            return Err(Error::Invalid(
                "the refresh idle lifetime is longer than the absolute one".into(),
            ));
        }
        if let Some(a) = &c.require_acr
            && crate::users::auth::Level::from_keyword(a).is_none()
        {
            return Err(Error::Invalid(format!(
                "--require-acr takes mfa or phishing-resistant (or \"\" for none), not `{}`",
                tessera_jose::error::escaped(a)
            )));
        }
        if c.pairwise && crate::users::subjects::sector(c).is_none() {
            return Err(Error::Invalid(
                "pairwise subjects need one sector, and the redirect URIs have several hosts (or none, as a private-use scheme): give --sector-identifier".into(),
            ));
        }
        Ok(())
    }

    /// Registers a client and returns its credentials (the secret is not stored).
    ///
    /// # Errors
    /// [`Error`] for bad input or a store failure.
    pub async fn create_client(&self, spec: ClientSpec) -> Result<NewCredentials, Error> {
        self.check(&spec)?;
        let name = spec
            .name
            .ok_or_else(|| Error::Invalid("a client needs --name".into()))?;
        let audiences = spec.audiences.unwrap_or_default();
        let public = spec.public.unwrap_or(false);
        let redirect_uris = spec.redirect_uris.unwrap_or_default();
        let grant_types = spec.grant_types.unwrap_or_else(|| {
            vec![if public || !redirect_uris.is_empty() {
                "authorization_code".to_owned()
            } else {
                "client_credentials".to_owned()
            }]
        });
        let scopes = spec.scopes.unwrap_or_default();
        let ttl = spec
            .token_ttl
            .unwrap_or_else(|| i64::try_from(self.config.token_ttl.as_secs()).unwrap_or(900));
        let id = format!(
            "tc_{}",
            tessera_jose::b64::encode(tessera_jose::secret::random(15).map_err(Error::from)?)
        );
        let secret = if public {
            None
        } else {
            Some(tessera_jose::b64::encode(
                tessera_jose::secret::random(32).map_err(Error::from)?,
            ))
        };
        let now = self.now();
        let client = Client {
            id: id.clone(),
            name,
            // A public client's is empty: no presented secret's hash is ever equal to it.
            secret_hash: secret
                .as_deref()
                .map_or_else(Vec::new, |s| self.secrets.hash_secret(s)),
            old_secret_hash: None,
            old_secret_until: None,
            scopes: scopes.clone(),
            audiences: audiences.clone(),
            token_ttl: ttl,
            enabled: true,
            tokens_revoked_before_ms: None,
            created_at: now,
            updated_at: now,
            dpop_bound: spec.dpop_bound.unwrap_or(false),
            introspect: spec.introspect.unwrap_or(false),
            version: 0,
            public,
            redirect_uris,
            post_logout_redirect_uris: spec.post_logout_redirect_uris.unwrap_or_default(),
            grant_types,
            first_party: spec.first_party.unwrap_or(false),
            web_origins: spec.web_origins.unwrap_or_default(),
            require_par: spec.require_par.unwrap_or(false),
            backchannel_logout_uri: spec.backchannel_logout_uri.filter(|u| !u.is_empty()),
            claim_map: spec.claim_map.unwrap_or_default(),
            id_token_alg: spec.id_token_alg.filter(|a| !a.is_empty()),
            pairwise: spec.pairwise.unwrap_or(false),
            sector_identifier: spec.sector_identifier.as_deref().and_then(sector_host),
            refresh_idle_ttl: spec.refresh_idle_ttl.filter(|t| *t > 0),
            refresh_absolute_ttl: spec.refresh_absolute_ttl.filter(|t| *t > 0),
            require_acr: spec
                .require_acr
                .filter(|a| !a.is_empty() && a != "password"),
        };
        Self::coherent(&client)?;
        self.store.insert_client(&client).await?;
        self.event(
            "client.created",
            Some(&id),
            json!({"name": client.name, "scope": scopes.join(" "), "audience": audiences, "dpop_bound": client.dpop_bound, "introspect": client.introspect, "public": client.public, "grant_types": client.grant_types, "redirect_uris": client.redirect_uris, "first_party": client.first_party, "web_origins": client.web_origins, "require_par": client.require_par, "id_token_alg": client.id_token_alg, "pairwise": client.pairwise}),
        )
        .await?;
        Ok(NewCredentials {
            client_id: id,
            client_secret: secret,
            scope: scopes.join(" "),
            audience: audiences,
            token_ttl: ttl,
            dpop_bound: client.dpop_bound,
            introspect: client.introspect,
            grant_types: client.grant_types,
            redirect_uris: client.redirect_uris,
            public,
        })
    }

    /// Every client.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn clients(&self) -> Result<Vec<Client>, Error> {
        Ok(self.store.clients().await?)
    }

    /// One client.
    ///
    /// # Errors
    /// [`Error::Invalid`] when there is none.
    pub async fn client(&self, id: &str) -> Result<Client, Error> {
        self.store.client(id).await?.ok_or_else(|| {
            Error::Invalid(format!("no client `{}`", tessera_jose::error::escaped(id)))
        })
    }

    /// Applies `change` to the stored client and writes it back, only over the version it read:
    /// when another operator's change lands in between, the store refuses the write and the
    /// change is applied again on top of theirs (each command sets only the fields it names),
    /// up to five times.
    async fn change_client(&self, id: &str, change: impl Fn(&mut Client)) -> Result<Client, Error> {
        for _ in 0..5 {
            let mut c = self.client(id).await?;
            change(&mut c);
            match self.store.update_client(&c).await {
                Ok(()) => {
                    c.version += 1;
                    return Ok(c);
                }
                Err(tessera_store::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Invalid(format!(
            "client `{}` keeps changing under this command (other operators?): try again",
            tessera_jose::error::escaped(id)
        )))
    }

    /// Changes a client's name, scopes, audiences, token lifetime or DPoP requirement.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn update_client(&self, id: &str, spec: ClientSpec) -> Result<Client, Error> {
        self.check(&spec)?;
        if spec.public.is_some() {
            return Err(Error::Invalid(
                "a client is made public or confidential when it is created".into(),
            ));
        }
        let mut preview = self.client(id).await?;
        apply_spec(&mut preview, &spec);
        Self::coherent(&preview)?;
        let now = self.now();
        let c = self
            .change_client(id, |c| {
                apply_spec(c, &spec);
                c.updated_at = now;
            })
            .await?;
        self.event(
            "client.updated",
            Some(id),
            json!({"scope": c.scopes.join(" "), "audience": c.audiences, "token_ttl": c.token_ttl, "dpop_bound": c.dpop_bound, "introspect": c.introspect}),
        )
        .await?;
        Ok(c)
    }

    /// Enables or disables a client (a disabled client gets no tokens, and its tokens
    /// introspect inactive).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn set_enabled(&self, id: &str, enabled: bool) -> Result<(), Error> {
        let now_ms = self.clock.now_millis();
        let now = now_ms.div_euclid(1000);
        self.change_client(id, |c| {
            c.enabled = enabled;
            c.updated_at = now;
            if !enabled {
                // Tokens issued before a disable stay inactive when the client is enabled again.
                c.tokens_revoked_before_ms =
                    Some(c.tokens_revoked_before_ms.map_or(now_ms, |t| t.max(now_ms)));
            }
        })
        .await?;
        let kind = if enabled {
            "client.enabled"
        } else {
            "client.disabled"
        };
        self.event(kind, Some(id), json!({})).await?;
        Ok(())
    }

    /// Deletes a client (its tokens introspect inactive).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn delete_client(&self, id: &str) -> Result<(), Error> {
        if !self.store.delete_client(id).await? {
            return Err(Error::Invalid(format!(
                "no client `{}`",
                tessera_jose::error::escaped(id)
            )));
        }
        self.event("client.deleted", Some(id), json!({})).await?;
        Ok(())
    }

    /// A new secret; the old one keeps working for `grace` seconds.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn rotate_secret(&self, id: &str, grace: i64) -> Result<NewCredentials, Error> {
        if self.client(id).await?.public {
            return Err(Error::Invalid(
                "a public client has no secret to rotate".into(),
            ));
        }
        if grace < 0 {
            return Err(Error::Invalid("the grace period cannot be negative".into()));
        }
        let secret =
            tessera_jose::b64::encode(tessera_jose::secret::random(32).map_err(Error::from)?);
        let hash = self.secrets.hash_secret(&secret);
        let now = self.now();
        let c = self
            .change_client(id, |c| {
                if grace > 0 {
                    c.old_secret_hash = Some(std::mem::replace(&mut c.secret_hash, hash.clone()));
                    c.old_secret_until = Some(now + grace);
                } else {
                    c.secret_hash.clone_from(&hash);
                    c.old_secret_hash = None;
                    c.old_secret_until = None;
                }
                c.updated_at = now;
            })
            .await?;
        self.event(
            "client.secret_rotated",
            Some(id),
            json!({"grace_seconds": grace}),
        )
        .await?;
        Ok(NewCredentials {
            client_id: c.id,
            client_secret: Some(secret),
            scope: c.scopes.join(" "),
            audience: c.audiences,
            token_ttl: c.token_ttl,
            dpop_bound: c.dpop_bound,
            introspect: c.introspect,
            grant_types: c.grant_types,
            redirect_uris: c.redirect_uris,
            public: c.public,
        })
    }

    /// Every token issued to the client up to now (to the millisecond) becomes inactive; the
    /// cut-off is returned (Unix milliseconds).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn revoke_tokens(&self, id: &str) -> Result<i64, Error> {
        let now_ms = self.clock.now_millis();
        self.change_client(id, |c| {
            c.tokens_revoked_before_ms = Some(now_ms);
            c.updated_at = now_ms.div_euclid(1000);
        })
        .await?;
        self.event(
            "client.tokens_revoked",
            Some(id),
            json!({"issued_up_to_ms": now_ms}),
        )
        .await?;
        Ok(now_ms)
    }

    /// The signing keys: `(kid, alg, state, created, activated, retired, remove_after)`.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn keys(&self) -> Result<Vec<tessera_store::StoredKey>, Error> {
        Ok(self.store.keys().await?)
    }

    fn policy(&self) -> Policy {
        let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Policy {
            rotation_period: secs(self.config.rotation_period),
            jwks_max_age: secs(self.config.jwks_max_age),
            max_token_ttl: secs(self.config.max_token_ttl),
            alg: self.config.signing_alg.unwrap_or(crate::keys::DEFAULT_ALG),
            margin: secs(self.config.key_margin),
        }
    }

    /// Rotates now: the access chain's next key starts signing if it has been published for
    /// the JWKS max-age plus the margin (else the error says when it will be), or at once with
    /// `force` (a verifier that fetched the JWKS within the last max-age will not know the new
    /// key until it refetches); each ID-token chain's next key likewise, when it has been
    /// published long enough or with `force` (which also starts, signing, the chain of an
    /// algorithm a client registered since the life cycle last ran).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn rotate(&self, force: bool) -> Result<Vec<Event>, Error> {
        let now = self.now();
        let p = self.store_policy().await?;
        let keys = self.store.keys().await?;
        let access = |state| {
            keys.iter()
                .find(|k| k.purpose == KeyPurpose::Access && k.state == state)
        };
        let current = access(KeyState::Current);
        let mut steps = match access(KeyState::Next) {
            None => vec![Step::Create(KeyState::Next)],
            Some(n) => {
                let ready = n.created_at + p.jwks_max_age + p.margin;
                if ready > now && !force {
                    return Err(Error::Invalid(format!(
                        "the next key {} has been published for {}s; it can sign safely in {}s (or use --force, which verifiers that cached the JWKS may reject until they refetch it)",
                        n.kid,
                        now - n.created_at,
                        ready - now
                    )));
                }
                vec![
                    Step::Promote {
                        next: n.kid.clone(),
                        current: current.map(|c| c.kid.clone()),
                    },
                    Step::Create(KeyState::Next),
                ]
            }
        };
        let id_algs = crate::keys::id_algs(self.store.as_ref()).await?;
        let when = if force {
            crate::keys::IdRotation::Forced
        } else {
            crate::keys::IdRotation::Now
        };
        steps.extend(crate::keys::plan_id(&keys, now, &p, &id_algs, when));
        crate::keys::apply(self.store.as_ref(), &self.secrets, &steps, now, &p).await
    }

    /// The life-cycle policy with the store's signing algorithm.
    async fn store_policy(&self) -> Result<Policy, Error> {
        let p = self.policy();
        Ok(Policy {
            alg: crate::keys::store_alg(self.store.as_ref())
                .await?
                .unwrap_or(p.alg),
            ..p
        })
    }

    /// Changes the store's signing algorithm (every node makes keys of it): the next key is
    /// replaced by one of `alg` at once, and the nodes' life cycle promotes it once it has been
    /// published for the JWKS max-age plus the margin (or [`Admin::rotate`] with `force`,
    /// now). Returns the events and the new next key's kid.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a symmetric or unsupported algorithm; [`Error`] from the store.
    pub async fn change_alg(&self, alg: tessera_jose::JwsAlg) -> Result<Vec<Event>, Error> {
        if alg.family() == tessera_jose::alg::Family::Hmac || !alg.is_supported() {
            return Err(Error::Invalid(format!(
                "{} cannot sign access tokens here: expected an asymmetric algorithm (ES256, ES384, EdDSA, RS256, PS256, ...)",
                alg.name()
            )));
        }
        let now = self.now();
        let before = crate::keys::store_alg(self.store.as_ref()).await?;
        self.store
            .set_fact(crate::keys::SIGNING_ALG_FACT, alg.name())
            .await?;
        let p = Policy {
            alg,
            ..self.policy()
        };
        let keys = self.store.keys().await?;
        let steps = match keys
            .iter()
            .find(|k| k.purpose == KeyPurpose::Access && k.state == KeyState::Next)
        {
            Some(n) if n.alg == alg.name() => Vec::new(),
            Some(n) => vec![Step::Remove(n.kid.clone()), Step::Create(KeyState::Next)],
            None => vec![Step::Create(KeyState::Next)],
        };
        let mut events =
            crate::keys::apply(self.store.as_ref(), &self.secrets, &steps, now, &p).await?;
        let changed = Event {
            at: now,
            kind: "keys.algorithm_changed".into(),
            client_id: None,
            detail: json!({"from": before.map(|a| a.name()), "to": alg.name()}),
        };
        self.store.record(&changed).await?;
        events.push(changed);
        Ok(events)
    }

    /// Removes a previous key from the JWKS now (tokens it signed stop verifying). A key that
    /// signed tokens still valid (as the nodes recorded it) is retired only with `force`.
    ///
    /// # Errors
    /// [`Error`] for an unknown kid, a key that is not previous, or live tokens without `force`.
    pub async fn retire(&self, kid: &str, force: bool) -> Result<Vec<Event>, Error> {
        let keys = self.store.keys().await?;
        let k = keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
            Error::Invalid(format!("no key `{}`", tessera_jose::error::escaped(kid)))
        })?;
        if k.state != KeyState::Previous {
            return Err(Error::Invalid(format!(
                "key {kid} is {}: only a previous key can be retired (rotate first)",
                k.state.name()
            )));
        }
        let now = self.now();
        if let Some(until) = k.signed_until.filter(|t| *t > now)
            && !force
        {
            let live = self.store.live_signed_count(kid, now).await?;
            return Err(Error::Invalid(format!(
                "key {kid} signed {live} tokens that are still valid, the last until {until} (Unix time, in {} s; as the nodes recorded them, up to a minute behind): retired now, they fail verification everywhere. Wait, or use --force",
                until - now
            )));
        }
        crate::keys::apply(
            self.store.as_ref(),
            &self.secrets,
            &[Step::Remove(kid.to_owned())],
            self.now(),
            &self.policy(),
        )
        .await
    }

    /// The issuer of the service on this store: as its first node recorded it, else this
    /// configuration's.
    pub async fn issuer(&self) -> String {
        match self.store.fact(crate::server::ISSUER_FACT).await {
            Ok(Some(issuer)) => issuer,
            _ => self.config.issuer.clone(),
        }
    }

    /// Audit events since a Unix time.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn events(&self, since: i64, limit: i64) -> Result<Vec<Event>, Error> {
        Ok(self.store.events(since, limit).await?)
    }
}
