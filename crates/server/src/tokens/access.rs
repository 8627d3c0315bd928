//! RFC 9068 JWT access tokens: their claims, in a stable order.

use serde::Serialize;

/// The RFC 9068 claims (§2.2), in a stable order.
#[derive(Serialize)]
pub struct AccessClaims<'a> {
    /// This issuer.
    pub iss: &'a str,
    /// Whom the token is about: the client itself for `client_credentials`.
    pub sub: &'a str,
    /// The resource servers it is meant for.
    pub aud: Audience<'a>,
    /// Expiry (never later than the server's `max_token_ttl` allows).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// A unique id (revocation names it).
    pub jti: String,
    /// The client it was issued to.
    pub client_id: &'a str,
    /// The granted scope, space-separated.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub scope: &'a str,
    /// The proof-of-possession key (RFC 7800 §3.1, RFC 9449 §6.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation<'a>>,
    /// When the person signed in (a token for a person: RFC 9068 §2.2.1); its presence is
    /// what marks a person's token, whose `sub` is the person's subject id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The authentication context class the sign-in satisfied (OpenID Connect Core §2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<&'a str>,
    /// How the person signed in (RFC 8176).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<&'a [&'a str]>,
    /// The grant (refresh-token family) it was issued under: revoking the family makes it
    /// inactive at introspection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<&'a str>,
    /// Where its status is published (Token Status List §6.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<tessera_jose::status::StatusClaim>,
}

/// `cnf` of a DPoP-bound token.
#[derive(Serialize)]
pub struct Confirmation<'a> {
    /// The RFC 7638 thumbprint of the proof key.
    pub jkt: &'a str,
}

/// `aud`: a string for one audience, an array for several.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Audience<'a> {
    /// One audience (a string).
    One(&'a str),
    /// Several (an array).
    Many(Vec<&'a str>),
}

/// What an access token is for: everything but the issuer, the times and the client, which
/// [`mint`] sets.
pub struct Issue<'a> {
    /// The subject: the client itself, or the person's subject id.
    pub sub: &'a str,
    /// The audiences (at least one).
    pub aud: Vec<&'a str>,
    /// The granted scope, space-separated.
    pub scope: &'a str,
    /// Its `jti` ([`new_jti`] of `issued_ms`).
    pub jti: String,
    /// When it is issued, Unix milliseconds (`iat` is its second).
    pub issued_ms: i64,
    /// The thumbprint of the DPoP key it is bound to.
    pub jkt: Option<&'a str>,
    /// For a person's token: when and how the person authenticated (`auth_time`, `amr`,
    /// `acr`).
    pub person: Option<(i64, &'a [&'a str], &'a str)>,
    /// The refresh-token family it belongs to.
    pub grant_id: Option<&'a str>,
    /// Its place in a status list.
    pub status: Option<super::status::Assigned>,
}

/// A signed access token and its lifetime.
pub struct Minted {
    /// The token.
    pub token: String,
    /// Its lifetime, seconds.
    pub ttl: i64,
    /// Its `exp`.
    pub exp: i64,
}

/// Signs an RFC 9068 access token for `client` with the ring's current key: `exp` never later
/// than the server's `max_token_ttl` allows whatever the client was created with (the key life
/// cycle keeps a retired key published that long), and the ring told what it signed.
///
/// # Errors
/// `temporarily_unavailable` without a current key, `server_error` when signing fails.
pub fn mint(
    state: &crate::state::AppState,
    keys: &crate::keys::KeyRing,
    client: &tessera_store::Client,
    g: Issue<'_>,
) -> Result<Minted, crate::error::OAuthError> {
    use crate::error::OAuthError;
    let (_, signer) = keys.current.as_ref().ok_or_else(OAuthError::unavailable)?;
    let now = g.issued_ms.div_euclid(1000);
    let ttl = client.token_ttl.clamp(1, state.policy().max_token_ttl);
    let exp = now + ttl;
    keys.signed_until(exp);
    let claims = AccessClaims {
        iss: &state.config().issuer,
        sub: g.sub,
        aud: if g.aud.len() == 1 {
            Audience::One(g.aud[0])
        } else {
            Audience::Many(g.aud)
        },
        exp,
        iat: now,
        jti: g.jti,
        client_id: &client.id,
        scope: g.scope,
        cnf: g.jkt.map(|jkt| Confirmation { jkt }),
        auth_time: g.person.map(|(t, _, _)| t),
        acr: g.person.map(|(_, _, acr)| acr),
        amr: g.person.map(|(_, amr, _)| amr),
        grant_id: g.grant_id,
        status: g.status.map(|a| tessera_jose::status::StatusClaim {
            status_list: tessera_jose::status::StatusRef {
                idx: a.idx,
                uri: state.urls().status_list(a.list_id),
            },
        }),
    };
    let token = signer.sign(&claims).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        OAuthError::server_error()
    })?;
    Ok(Minted { token, ttl, exp })
}

/// A new `jti`: when the token was issued, in Unix milliseconds (6 bytes, big-endian), then 12
/// random bytes; 24 base64url characters. Revocation by time (`client revoke-tokens`) reads
/// the instant back with [`issued_millis`], so a cut-off holds to the millisecond although
/// `iat` counts seconds.
///
/// # Errors
/// When the system's random number generator fails.
pub fn new_jti(issued_ms: i64) -> Result<String, tessera_jose::Error> {
    let mut bytes = [0u8; 18];
    let ms = u64::try_from(issued_ms).unwrap_or(0).to_be_bytes();
    bytes[..6].copy_from_slice(&ms[2..]);
    bytes[6..].copy_from_slice(&tessera_jose::secret::random(12)?);
    Ok(tessera_jose::b64::encode(bytes))
}

/// When a token of this issuer was issued, in Unix milliseconds: from its `jti` when the
/// `jti` is one of [`new_jti`] and agrees with `iat`, else the start of the `iat` second
/// (tokens issued before the `jti` carried the instant: a cut-off in that second revokes them).
#[must_use]
pub fn issued_millis(jti: &str, iat: i64) -> i64 {
    let start = iat.saturating_mul(1000);
    if jti.len() != 24 {
        return start;
    }
    let Ok(bytes) = tessera_jose::b64::decode(jti) else {
        return start;
    };
    let mut ms = [0u8; 8];
    ms[2..].copy_from_slice(&bytes[..6]);
    let ms = i64::try_from(u64::from_be_bytes(ms)).unwrap_or(0);
    if ms.div_euclid(1000) == iat {
        ms
    } else {
        start
    }
}

#[cfg(test)]
mod tests {
    use super::{issued_millis, new_jti};

    #[test]
    fn a_jti_carries_the_millisecond_it_was_issued() {
        let jti = new_jti(1_800_000_000_123).unwrap();
        assert_eq!(jti.len(), 24);
        assert_ne!(
            jti,
            new_jti(1_800_000_000_123).unwrap(),
            "random after the instant"
        );
        assert_eq!(issued_millis(&jti, 1_800_000_000), 1_800_000_000_123);
        // A jti that disagrees with iat, or one of the old random kind, counts from the
        // start of the iat second.
        assert_eq!(issued_millis(&jti, 1_800_000_001), 1_800_000_001_000);
        assert_eq!(
            issued_millis("AAAAAAAAAAAAAAAAAAAAAA", 1_800_000_000),
            1_800_000_000_000
        );
        assert_eq!(issued_millis("not base64 at all!!!!!!!", 7), 7000);
    }
}
