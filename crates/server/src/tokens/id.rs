//! OpenID Connect ID tokens (Core 1.0 §2): their claims, `at_hash` and `sid`.

use serde::Serialize;
use tessera_jose::JwsAlg;

/// The claims of an ID token, in a stable order.
#[derive(Serialize)]
pub struct IdClaims<'a> {
    /// This issuer.
    pub iss: &'a str,
    /// The person's subject identifier.
    pub sub: &'a str,
    /// The client.
    pub aud: &'a str,
    /// Expiry.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// When the person signed in.
    pub auth_time: i64,
    /// The authorization request's `nonce`, only when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    /// The authentication context class the sign-in satisfied.
    pub acr: &'a str,
    /// How the person signed in (RFC 8176).
    pub amr: &'a [&'a str],
    /// The authorized party: the client.
    pub azp: &'a str,
    /// The left half of the hash of the access token (Core §3.1.3.6).
    pub at_hash: String,
    /// The browser session (Front/Back-Channel Logout's `sid`); none for an offline grant's
    /// refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<&'a str>,
}

/// `at_hash`: base64url of the left half of the access token's hash, with the hash of the ID
/// token's algorithm (SHA-256 for `*256`, SHA-384 for `*384`, SHA-512 for `*512` and EdDSA).
#[must_use]
pub fn at_hash(alg: JwsAlg, access_token: &str) -> String {
    let bits = match alg.name() {
        n if n.ends_with("384") => 384,
        n if n.ends_with("512") || n == "EdDSA" => 512,
        _ => 256,
    };
    let d = tessera_jose::secret::sha2(bits, access_token.as_bytes());
    tessera_jose::b64::encode(&d[..d.len() / 2])
}

/// The `sid` of a session: derived from its stored hash, so every node names it alike and it
/// says nothing of the cookie.
#[must_use]
pub fn session_id(session_hash: &str) -> String {
    tessera_jose::b64::encode(
        &tessera_jose::secret::hmac_sha256(b"tessera/v1/sid", session_hash.as_bytes())[..16],
    )
}

/// The subject and audience of an ID token this service signed, expired or not: an
/// `id_token_hint` (authorization and sign-out requests).
#[must_use]
pub fn verify_hint(state: &crate::state::AppState, token: &str) -> Option<(String, String)> {
    use serde_json::Value;
    let keys = state.keys();
    let set = tessera_jose::JwkSet::from_json(&keys.jwks).ok()?;
    let verifier = tessera_jose::jwt::Verifier::builder(set)
        .algorithms_from_keys()
        .issuer(state.config().issuer.clone())
        .typ("JWT")
        .skip_audience_check()
        // "An expired one is fine": the hint names a past sign-in.
        .leeway(std::time::Duration::from_secs(400 * 24 * 3600))
        .build()
        .ok()?;
    let claims = verifier.verify::<Value>(token).ok()?.into_claims();
    let sub = claims.get("sub")?.as_str()?.to_owned();
    let aud = match claims.get("aud")? {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.first()?.as_str()?.to_owned(),
        _ => return None,
    };
    Some((sub, aud))
}

/// The person an ID token's subject names for its audience (a pairwise subject is looked up
/// in the client's sector); `None` when the client or the person is gone.
pub async fn hinted_user(state: &crate::state::AppState, sub: &str, aud: &str) -> Option<String> {
    let client = state.client(aud)?;
    crate::users::subjects::user_of(state.store(), &client, sub)
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::at_hash;
    use tessera_jose::JwsAlg;

    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        // OpenID Connect Core 1.0 Appendix A.3's access token and at_hash (RS256).
        assert_eq!(
            at_hash(JwsAlg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(at_hash(JwsAlg::ES384, "x").len(), 32);
        assert_eq!(at_hash(JwsAlg::EdDSA, "x").len(), 43);
    }
}
