//! The tower layer: finds the access token (`Authorization: Bearer` or `DPoP`; a cookie or the
//! query string only when enabled), verifies it, checks DPoP proofs and the route's scopes, and
//! hands the verified token to the handler as a request extension.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use axum::response::Response;
use tessera_jose::dpop::{ProofVerifier, Request as ProofRequest};
use tessera_jose::error::DpopProblem;
use tessera_jose::jwt::Verifier;
use tower::{Layer, Service};

use crate::error::{Challenge, GuardError, Rejection};
use crate::extract::AccessToken;
use crate::introspect::Introspection;
use crate::jwks::RemoteVerifier;
use crate::status::StatusLists;

/// The claims the guard itself reads.
#[derive(serde::Deserialize)]
struct Needed {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<Vec<String>>,
    /// `cnf` (RFC 7800): every member is a confirmation method the presenter must satisfy.
    #[serde(default)]
    cnf: Option<serde_json::Map<String, serde_json::Value>>,
    /// `exp` (bounds how long an introspection answer is used).
    #[serde(default)]
    exp: Option<i64>,
    /// `status` (Token Status List), read only when the guard checks it: a token whose
    /// `status` has other mechanisms passes a guard that does not.
    #[serde(default)]
    status: Option<serde_json::Value>,
    /// `acr`: the level the person's sign-in reached (OpenID Connect Core §2, RFC 9068 §2.2.1).
    #[serde(default)]
    acr: Option<String>,
    /// `auth_time`: when the person last authenticated.
    #[serde(default)]
    auth_time: Option<i64>,
}

/// What a route requires of a token beside a valid signature: scopes, and of the person's
/// sign-in a level (`acr`) or recency (RFC 9470).
#[derive(Debug, Clone, Default)]
pub struct RouteNeeds {
    /// Every one of these scopes.
    pub scopes: Vec<String>,
    /// One of these `acr` values (empty: any).
    pub acr: Vec<String>,
    /// An authentication at most this many seconds old (`auth_time`).
    pub max_age: Option<u64>,
}

impl RouteNeeds {
    /// Whether the token's `acr` and `auth_time` satisfy the route, at Unix time `now`.
    fn user_authentication(&self, needed: &Needed, now: i64) -> Result<(), Rejection> {
        let acr_ok = self.acr.is_empty()
            || needed
                .acr
                .as_deref()
                .is_some_and(|a| self.acr.iter().any(|want| want == a));
        let recent_ok = self.max_age.is_none_or(|max| {
            needed.auth_time.is_some_and(|t| {
                t <= now + 60 && now.saturating_sub(t) <= i64::try_from(max).unwrap_or(i64::MAX)
            })
        });
        if acr_ok && recent_ok {
            return Ok(());
        }
        Err(Rejection::InsufficientUserAuthentication {
            acr_values: (!self.acr.is_empty()).then(|| self.acr.join(" ")),
            max_age: self.max_age,
        })
    }
}

impl Needed {
    /// The DPoP key thumbprint the token is bound to (`cnf.jkt`), or `None` for a bearer
    /// token. A `cnf` with any other member (`x5t#S256` for mutual TLS, `jwk`, `kid`, ...) binds
    /// the token to something this guard cannot check: such a token is refused, never accepted
    /// as a plain bearer token.
    fn binding(&mut self) -> Result<Option<String>, Rejection> {
        let Some(cnf) = self.cnf.take() else {
            return Ok(None);
        };
        let mut jkt = None;
        for (method, value) in cnf {
            match (method.as_str(), value) {
                ("jkt", serde_json::Value::String(t)) if !t.is_empty() => jkt = Some(t),
                _ => {
                    return Err(Rejection::InvalidToken(
                        "the access token is bound by a confirmation method this API cannot check",
                    ));
                }
            }
        }
        jkt.map(Some).ok_or(Rejection::InvalidToken(
            "the access token is bound by a confirmation method this API cannot check",
        ))
    }
}

/// The `typ` of RFC 9068 access tokens.
const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Where keys come from.
pub enum Keys {
    /// A remote JWK Set (fetched and cached).
    Remote(RemoteVerifier),
    /// A verifier with local keys.
    Local(Box<Verifier>),
}

/// The guard's configuration, shared by every route it protects. Cheap to clone.
#[derive(Clone)]
pub struct Guard {
    inner: Arc<GuardInner>,
}

struct GuardInner {
    keys: Keys,
    challenge: Challenge,
    dpop: Option<ProofVerifier>,
    nonces: Option<Nonces>,
    origin: Option<String>,
    cookie: Option<String>,
    query: bool,
    any_typ: bool,
    status: Option<StatusLists>,
    introspection: Option<Introspection>,
}

/// Server nonces for DPoP (RFC 9449 §8): a random value that changes every `every`; the
/// current and the previous one are accepted. Without a random value (the system's generator
/// failed) there is no nonce at all, and requests that need one are refused: a guessable nonce
/// is never made up.
struct Nonces {
    every: Duration,
    /// The current nonce, the previous one, and when the current one was made.
    state: Mutex<Option<(String, String, Instant)>>,
}

impl Nonces {
    fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new(None),
        }
    }

    /// The current and the previous nonce, made anew when due; `None` when no random value
    /// could be had.
    fn current(&self) -> Option<(String, String)> {
        self.current_with(fresh)
    }

    fn current_with(&self, make: impl FnOnce() -> Option<String>) -> Option<(String, String)> {
        let mut s = self.state.lock().ok()?;
        let due = s
            .as_ref()
            .is_none_or(|(_, _, at)| at.elapsed() >= self.every);
        if due {
            let next = make()?;
            let previous = s
                .take()
                .map_or_else(|| next.clone(), |(current, _, _)| current);
            *s = Some((next, previous, Instant::now()));
        }
        s.as_ref().map(|(c, p, _)| (c.clone(), p.clone()))
    }
}

fn fresh() -> Option<String> {
    tessera_jose::secret::random(16)
        .ok()
        .map(tessera_jose::b64::encode)
}

/// Builder of a [`Guard`].
pub struct GuardBuilder {
    keys: Keys,
    realm: String,
    dpop: Option<ProofVerifier>,
    nonce_every: Option<Duration>,
    origin: Option<String>,
    cookie: Option<String>,
    query: bool,
    any_typ: bool,
    status: Option<StatusLists>,
    introspection: Option<Introspection>,
}

impl Guard {
    /// A guard over a key source; the verifier decides issuer, audience and algorithms. The
    /// guard itself requires `typ: at+jwt` (RFC 9068 §4: an ID token or another JWT signed by
    /// the same issuer is not an access token) unless
    /// [`GuardBuilder::accept_untyped_tokens`] says otherwise.
    #[must_use]
    pub fn builder(keys: Keys) -> GuardBuilder {
        GuardBuilder {
            keys,
            realm: "api".into(),
            dpop: None,
            nonce_every: None,
            origin: None,
            cookie: None,
            query: false,
            any_typ: false,
            status: None,
            introspection: None,
        }
    }

    /// A layer that also requires these scopes (`scope` string or `scp` array); see
    /// [`GuardLayer::require_acr`] and [`GuardLayer::require_auth_within`] for step-up.
    #[must_use]
    pub fn layer<I: Into<String>>(&self, scopes: impl IntoIterator<Item = I>) -> GuardLayer {
        GuardLayer {
            guard: self.clone(),
            needs: Arc::new(RouteNeeds {
                scopes: scopes.into_iter().map(Into::into).collect(),
                ..RouteNeeds::default()
            }),
        }
    }

    /// Checks a request; on success returns the verified token.
    ///
    /// # Errors
    /// The [`Rejection`] to answer with.
    pub async fn check(
        &self,
        method: &str,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
        scopes: &[String],
    ) -> Result<AccessToken, Rejection> {
        let needs = RouteNeeds {
            scopes: scopes.to_vec(),
            ..RouteNeeds::default()
        };
        self.check_route(method, uri, headers, &needs).await
    }

    /// Checks a request against everything a route needs (scopes, a level, a recent
    /// sign-in); on success returns the verified token.
    ///
    /// # Errors
    /// The [`Rejection`] to answer with.
    pub async fn check_route(
        &self,
        method: &str,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
        needs: &RouteNeeds,
    ) -> Result<AccessToken, Rejection> {
        let scopes = &needs.scopes;
        let g = &self.inner;
        let (scheme, token) = credentials(headers, g.cookie.as_deref(), g.query.then_some(uri))?;
        if scheme == Scheme::Dpop && g.dpop.is_none() {
            return Err(Rejection::Missing);
        }
        // Only what the guard needs is deserialized here; handlers that want every claim get
        // them from the verified token, parsed on first use.
        let verified = match &g.keys {
            Keys::Remote(r) => r.verify::<Needed>(&token).await,
            Keys::Local(v) => v.verify::<Needed>(&token).map_err(GuardError::Token),
        };
        let mut needed = match verified {
            Ok(v) => {
                let typed = v
                    .header()
                    .and_then(|h| h.typ.as_deref())
                    .is_some_and(|t| tessera_jose::jws::typ_matches(t, ACCESS_TOKEN_TYP));
                if !typed && !g.any_typ {
                    return Err(Rejection::InvalidToken(
                        "the token is not an access token (typ at+jwt)",
                    ));
                }
                v.into_claims()
            }
            Err(GuardError::Token(e)) => {
                // The client is told little; the operator's log says what the token had beside
                // what was expected.
                if tracing::enabled!(tracing::Level::DEBUG) {
                    let detail = match &g.keys {
                        Keys::Remote(r) => r.explain(&token, &e),
                        Keys::Local(v) => v.explain(&token, &e),
                    };
                    tracing::debug!(
                        code = e.code(),
                        detail = detail.as_deref().unwrap_or_default(),
                        "access token rejected: {e}"
                    );
                }
                return Err(Rejection::InvalidToken(
                    if e == tessera_jose::Error::Expired {
                        "the access token expired"
                    } else {
                        "the access token is invalid"
                    },
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "no keys to verify access tokens with");
                return Err(Rejection::Unavailable);
            }
        };
        let jkt = needed.binding()?;
        match (&scheme, &jkt) {
            (Scheme::Dpop, None) => {
                return Err(Rejection::InvalidToken(
                    "the access token is not DPoP-bound",
                ));
            }
            (Scheme::Bearer, Some(_)) => {
                return Err(Rejection::InvalidToken(
                    "a DPoP-bound access token needs a DPoP proof",
                ));
            }
            (Scheme::Dpop, Some(jkt)) => self.check_proof(method, uri, headers, &token, jkt)?,
            (Scheme::Bearer, None) => {}
        }
        let granted: Vec<&str> = match (&needed.scope, &needed.scp) {
            (Some(s), _) => s.split(' ').collect(),
            (None, Some(a)) => a.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        };
        if scopes.iter().any(|s| !granted.contains(&s.as_str())) {
            return Err(Rejection::InsufficientScope(scopes.join(" ")));
        }
        if let Some(lists) = &g.status {
            self.check_status(lists, needed.status.as_ref()).await?;
        }
        if let Some(i) = &g.introspection {
            match i.active(&token, needed.exp).await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Rejection::InvalidToken("the access token was revoked"));
                }
                Err(e) if i.options().fail_open => {
                    tracing::warn!(error = %e, "introspection failed; the token is accepted (fail_open)");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "introspection failed; the token is refused");
                    return Err(Rejection::Unavailable);
                }
            }
        }
        // Last: a revoked token is `invalid_token`, not a reason to sign in again.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        needs.user_authentication(&needed, now)?;
        Ok(AccessToken::new(token, jkt))
    }

    /// The token's status in its status list: valid, or refused.
    async fn check_status(
        &self,
        lists: &StatusLists,
        claim: Option<&serde_json::Value>,
    ) -> Result<(), Rejection> {
        let reference = match claim.map(tessera_jose::status::StatusRef::from_status) {
            Some(Ok(r)) => r,
            Some(Err(_)) => {
                return Err(Rejection::InvalidToken(
                    "the access token's status cannot be checked",
                ));
            }
            None => None,
        };
        let Some(reference) = reference else {
            if lists.options().allow_missing {
                return Ok(());
            }
            return Err(Rejection::InvalidToken("the access token has no status"));
        };
        match lists.status(&reference).await {
            Ok(s) if s.is_valid() => Ok(()),
            Ok(_) => Err(Rejection::InvalidToken("the access token was revoked")),
            Err(GuardError::Status(why)) => {
                tracing::debug!(why, "the token's status is not usable");
                Err(Rejection::InvalidToken(
                    "the access token's status cannot be checked",
                ))
            }
            Err(e) if lists.options().fail_open => {
                tracing::warn!(error = %e, "no status list; the token is accepted (fail_open)");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "no status list; the token is refused");
                Err(Rejection::Unavailable)
            }
        }
    }

    fn check_proof(
        &self,
        method: &str,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
        token: &str,
        jkt: &str,
    ) -> Result<(), Rejection> {
        let g = &self.inner;
        let Some(verifier) = &g.dpop else {
            return Err(Rejection::Missing);
        };
        let mut proofs = headers.get_all("dpop").iter();
        let proof = proofs
            .next()
            .and_then(|v| v.to_str().ok())
            .ok_or(Rejection::InvalidProof("a DPoP proof is required"))?;
        if proofs.next().is_some() {
            return Err(Rejection::InvalidProof("more than one DPoP proof"));
        }
        // The origin is configured (never the client's Host header), and the path is the
        // request's own (`uri` is the original one, before `Router::nest` stripped a prefix).
        let Some(origin) = &g.origin else {
            return Err(Rejection::Missing);
        };
        let htu = format!("{origin}{}", uri.path());
        let nonces = match g.nonces.as_ref().map(Nonces::current) {
            // Nonces are required but none can be made: refuse rather than guess.
            Some(None) => return Err(Rejection::Unavailable),
            other => other.flatten(),
        };
        // The previous nonce is still accepted right after a change.
        let accepted: Vec<&str> = nonces
            .as_ref()
            .map(|(current, previous)| vec![current.as_str(), previous.as_str()])
            .unwrap_or_default();
        let req = ProofRequest::new(method, &htu)
            .access_token(token)
            .jkt(jkt)
            .nonces(&accepted);
        let checked = verifier.verify(proof, &req);
        if let Err(e) = &checked
            && tracing::enabled!(tracing::Level::DEBUG)
        {
            tracing::debug!(
                code = e.code(),
                detail = verifier.explain(proof, &req, e).unwrap_or_default(),
                "DPoP proof rejected: {e}"
            );
        }
        match checked {
            Ok(_) => Ok(()),
            Err(tessera_jose::Error::Dpop(DpopProblem::Nonce)) => {
                Err(Rejection::UseNonce(nonces.map(|n| n.0).unwrap_or_default()))
            }
            Err(tessera_jose::Error::Dpop(p)) => Err(Rejection::InvalidProof(match p {
                DpopProblem::Binding => "the proof key is not the one the token is bound to",
                DpopProblem::Replay => "the proof was used before",
                DpopProblem::Busy => "too many proofs of this key at once: retry shortly",
                DpopProblem::IssuedAt => "the proof is too old or from the future",
                DpopProblem::Method | DpopProblem::Uri => "the proof is for another request",
                DpopProblem::AccessTokenHash => "the proof is for another access token",
                _ => "the DPoP proof is invalid",
            })),
            Err(_) => Err(Rejection::InvalidProof("the DPoP proof is invalid")),
        }
    }

    /// The challenge parameters.
    #[must_use]
    pub fn challenge(&self) -> &Challenge {
        &self.inner.challenge
    }
}

impl GuardBuilder {
    /// The `realm` of the challenges (default `api`).
    #[must_use]
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Accepts DPoP-bound tokens, with proofs checked by `verifier` (a shared replay cache
    /// belongs in it). `public_origin` is the API's origin as clients call it
    /// (`https://api.example.com`, behind any proxy): a proof's `htu` must be that origin plus
    /// the request's path. It is required because the `Host` header is the client's to choose.
    #[must_use]
    pub fn dpop(mut self, public_origin: impl Into<String>, verifier: ProofVerifier) -> Self {
        self.origin = Some(public_origin.into().trim_end_matches('/').to_owned());
        self.dpop = Some(verifier);
        self
    }

    /// Requires a server nonce in DPoP proofs, changed every `every`.
    #[must_use]
    pub fn require_dpop_nonce(mut self, every: Duration) -> Self {
        self.nonce_every = Some(every);
        self
    }

    /// Accepts tokens without `typ: at+jwt` (issuers that do not type their access tokens).
    /// Off by default: with it, any JWT the issuer signs for this audience (an ID token, for
    /// one) passes as an access token.
    #[must_use]
    pub fn accept_untyped_tokens(mut self) -> Self {
        self.any_typ = true;
        self
    }

    /// Checks each token's `status` in the issuer's Token Status Lists (cached; see
    /// [`StatusLists`]): a revoked token is refused within the list's `ttl`.
    #[must_use]
    pub fn status_lists(mut self, lists: StatusLists) -> Self {
        self.status = Some(lists);
        self
    }

    /// Asks the issuer (RFC 7662) whether each token is still active, after it verified
    /// locally (answers cached briefly; see [`Introspection`]): for routes that must see a
    /// revocation at once. A guard for other routes is built without it.
    #[must_use]
    pub fn introspection(mut self, introspection: Introspection) -> Self {
        self.introspection = Some(introspection);
        self
    }

    /// Also reads the token from this cookie (off by default).
    #[must_use]
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Also reads `access_token` from the query string (off by default; RFC 6750 §2.3
    /// advises against it).
    #[must_use]
    pub fn allow_query_token(mut self) -> Self {
        self.query = true;
        self
    }

    /// The guard.
    #[must_use]
    pub fn build(self) -> Guard {
        let dpop_algs = self.dpop.as_ref().map(|v| {
            v.algorithms()
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(" ")
        });
        Guard {
            inner: Arc::new(GuardInner {
                keys: self.keys,
                challenge: Challenge {
                    realm: self.realm,
                    dpop_algs,
                },
                nonces: self
                    .nonce_every
                    .filter(|_| self.dpop.is_some())
                    .map(Nonces::new),
                dpop: self.dpop,
                origin: self.origin,
                cookie: self.cookie,
                query: self.query,
                any_typ: self.any_typ,
                status: self.status,
                introspection: self.introspection,
            }),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

/// The one token of the request, and how it came.
fn credentials(
    headers: &HeaderMap,
    cookie: Option<&str>,
    query: Option<&axum::http::Uri>,
) -> Result<(Scheme, String), Rejection> {
    let mut found: Vec<(Scheme, String)> = Vec::new();
    let mut auth = headers.get_all(header::AUTHORIZATION).iter();
    if let Some(value) = auth.next() {
        if auth.next().is_some() {
            return Err(Rejection::InvalidRequest(
                "more than one Authorization header",
            ));
        }
        let value = value
            .to_str()
            .map_err(|_| Rejection::InvalidRequest("malformed Authorization header"))?;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let scheme = if scheme.eq_ignore_ascii_case("bearer") {
            Some(Scheme::Bearer)
        } else if scheme.eq_ignore_ascii_case("dpop") {
            Some(Scheme::Dpop)
        } else {
            None
        };
        if let Some(s) = scheme {
            let token = rest.trim();
            if token.is_empty() || !token.bytes().all(is_token68) {
                return Err(Rejection::InvalidRequest("malformed access token"));
            }
            found.push((s, token.to_owned()));
        }
    }
    if let Some(name) = cookie {
        for c in headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            for pair in c.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k == name
                    && !v.is_empty()
                {
                    found.push((Scheme::Bearer, v.to_owned()));
                }
            }
        }
    }
    if let Some(uri) = query
        && let Some(q) = uri.query()
    {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("access_token=")
                && !v.is_empty()
            {
                found.push((Scheme::Bearer, v.to_owned()));
            }
        }
    }
    match found.len() {
        0 => Err(Rejection::Missing),
        1 => Ok(found.remove(0)),
        _ => Err(Rejection::InvalidRequest(
            "more than one access token in the request",
        )),
    }
}

/// RFC 6750 §2.1 `b64token` characters.
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// The layer of one route (or router): the guard and what the route requires.
#[derive(Clone)]
pub struct GuardLayer {
    guard: Guard,
    needs: Arc<RouteNeeds>,
}

impl GuardLayer {
    /// Requires the person's sign-in to have reached one of these levels (`acr` values, in
    /// order of preference): a token that did not gets 401 `insufficient_user_authentication`
    /// with `acr_values` (RFC 9470 §3), which the application passes on to the authorization
    /// server to have the person step up. A token without `acr` (a machine's) falls short.
    #[must_use]
    pub fn require_acr<I: Into<String>>(mut self, acr_values: impl IntoIterator<Item = I>) -> Self {
        Arc::make_mut(&mut self.needs).acr = acr_values.into_iter().map(Into::into).collect();
        self
    }

    /// Requires the person to have authenticated within `max_age` (the token's `auth_time`):
    /// else 401 `insufficient_user_authentication` with `max_age` (RFC 9470 §3).
    #[must_use]
    pub fn require_auth_within(mut self, max_age: Duration) -> Self {
        Arc::make_mut(&mut self.needs).max_age = Some(max_age.as_secs());
        self
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            guard: self.guard.clone(),
            needs: Arc::clone(&self.needs),
        }
    }
}

/// The service the layer wraps around a route.
#[derive(Clone)]
pub struct GuardService<S> {
    inner: S,
    guard: Guard,
    needs: Arc<RouteNeeds>,
}

impl<S> Service<Request<Body>> for GuardService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let guard = self.guard.clone();
        let needs = Arc::clone(&self.needs);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            // Under `Router::nest` the URI has lost its prefix; DPoP's `htu` is the original.
            let uri = req
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| req.uri().clone(), |o| o.0.clone());
            let checked = guard
                .check_route(req.method().as_str(), &uri, req.headers(), &needs)
                .await;
            match checked {
                Ok(token) => {
                    req.extensions_mut().insert(token);
                    inner.call(req).await
                }
                Err(r) => Ok(r.response(guard.challenge())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_change_when_due_and_are_never_made_up() {
        let n = Nonces::new(Duration::from_millis(30));
        // No random value: no nonce, not a constant.
        assert_eq!(n.current_with(|| None), None);
        let first = n.current_with(|| Some("a".into()));
        assert_eq!(first, Some(("a".into(), "a".into())));
        // Not due: the same, whatever the generator would give.
        assert_eq!(n.current_with(|| Some("b".into())), first);
        std::thread::sleep(Duration::from_millis(40));
        // Due, and the generator fails: refused, the old nonces are not stretched.
        assert_eq!(n.current_with(|| None), None);
        assert_eq!(
            n.current_with(|| Some("c".into())),
            Some(("c".into(), "a".into()))
        );
        let real = Nonces::new(Duration::from_secs(60)).current().unwrap();
        assert_eq!(real.0.len(), 22);
    }
}
