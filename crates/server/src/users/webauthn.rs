//! The relying party's checks for passkeys (Web Authentication Level 3, §7.1 registration and
//! §7.2 authentication), on `tessera-jose`'s crypto: a COSE key becomes a [`Jwk`] and
//! signatures are verified by [`tessera_jose::jws::verify_raw`], the same aws-lc-rs key
//! objects as every JWS. CBOR (attestation objects, COSE keys) is read with `ciborium`.
//!
//! Algorithms: ES256 (COSE -7), EdDSA over Ed25519 (-8), RS256 (-257). Attestation: `none`,
//! and `packed` self-attestation (verified with the credential's own key); attestation with
//! certificates is refused (the service asks browsers for `none`).

use serde::Deserialize;
use tessera_jose::{Jwk, JwsAlg};

/// COSE algorithm identifiers this relying party accepts, in order of preference.
pub const COSE_ALGS: [i64; 3] = [-7, -8, -257];

/// Whether `host` (the issuer's) can be an RP ID: browsers take a domain name there, never an
/// IP address.
#[must_use]
pub fn rp_id_usable(host: &str) -> bool {
    !host.is_empty() && !host.starts_with('[') && host.parse::<std::net::IpAddr>().is_err()
}

/// Flags of authenticator data (§6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;
const ED: u8 = 0x80;

/// Why a response was refused. The messages name the check, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebAuthnError {
    /// The JSON, base64url, CBOR or authenticator data is malformed.
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    /// `clientDataJSON.type` is not the ceremony's.
    #[error("the response is for another ceremony")]
    Type,
    /// The challenge is not the one issued.
    #[error("the challenge does not match")]
    Challenge,
    /// The origin is not this service's (or the request was cross-origin).
    #[error("the origin does not match")]
    Origin,
    /// The RP ID hash is not this service's.
    #[error("the relying party ID does not match")]
    RpId,
    /// User presence was not tested.
    #[error("the user was not present")]
    UserPresence,
    /// User verification was required and not done.
    #[error("the user was not verified")]
    UserVerification,
    /// The key's algorithm is not allowed (or not the attestation's).
    #[error("the algorithm is not allowed")]
    Algorithm,
    /// An attestation format this service does not take.
    #[error("attestation format not supported")]
    Attestation,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Signature,
}

/// A credential response as the browser's `PublicKeyCredential.toJSON()` gives it (§5.1).
#[derive(Debug, Deserialize)]
pub struct CredentialJson {
    /// The credential id, base64url.
    pub id: String,
    /// The same, base64url.
    #[serde(rename = "rawId")]
    pub raw_id: String,
    /// `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The authenticator's response.
    pub response: ResponseJson,
}

/// `AuthenticatorAttestationResponseJSON` / `AuthenticatorAssertionResponseJSON`.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct ResponseJson {
    /// base64url.
    pub clientDataJSON: String,
    /// Registration: base64url.
    #[serde(default)]
    pub attestationObject: Option<String>,
    /// Registration: how the authenticator is reached.
    #[serde(default)]
    pub transports: Option<Vec<String>>,
    /// Authentication: base64url.
    #[serde(default)]
    pub authenticatorData: Option<String>,
    /// Authentication: base64url.
    #[serde(default)]
    pub signature: Option<String>,
    /// Authentication: the user handle, base64url (discoverable credentials).
    #[serde(default)]
    pub userHandle: Option<String>,
}

impl CredentialJson {
    /// Parses the JSON a form carried.
    ///
    /// # Errors
    /// [`WebAuthnError::Malformed`].
    pub fn parse(text: &str) -> Result<Self, WebAuthnError> {
        let c: Self = serde_json::from_str(text)
            .map_err(|_| WebAuthnError::Malformed("not a credential response"))?;
        if c.kind != "public-key" || c.id != c.raw_id || c.id.is_empty() || c.id.len() > 1400 {
            return Err(WebAuthnError::Malformed("credential id or type"));
        }
        Ok(c)
    }
}

/// What the relying party expects of a ceremony.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The challenge issued, base64url.
    pub challenge: &'a str,
    /// This service's origin (`https://host[:port]`).
    pub origin: &'a str,
    /// The RP ID (the issuer's host).
    pub rp_id: &'a str,
    /// Whether user verification is required.
    pub require_uv: bool,
}

/// A registered credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// Its id, base64url.
    pub id: String,
    /// Its COSE public key, base64url.
    pub public_key: String,
    /// Its COSE algorithm.
    pub alg: i64,
    /// The authenticator's sign count.
    pub sign_count: u32,
    /// Backup eligible (a synced passkey).
    pub backup_eligible: bool,
    /// Backed up now.
    pub backed_up: bool,
    /// User verification was done.
    pub user_verified: bool,
    /// The authenticator model, hex.
    pub aaguid: String,
    /// How it is reached (as the browser said).
    pub transports: Vec<String>,
    /// The attestation format (`none` or `packed`).
    pub fmt: String,
}

/// A verified assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The authenticator's new sign count.
    pub sign_count: u32,
    /// User verification was done.
    pub user_verified: bool,
    /// Backup eligible (a synced passkey).
    pub backup_eligible: bool,
    /// The user handle the authenticator returned, if any.
    pub user_handle: Option<Vec<u8>>,
}

fn b64(s: &str, what: &'static str) -> Result<Vec<u8>, WebAuthnError> {
    tessera_jose::b64::decode(s).map_err(|_| WebAuthnError::Malformed(what))
}

/// `clientDataJSON` (§5.8.1), checked for the ceremony; returns its SHA-256.
fn client_data(raw: &[u8], kind: &str, e: &Expected<'_>) -> Result<Vec<u8>, WebAuthnError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ClientData {
        #[serde(rename = "type")]
        kind: String,
        challenge: String,
        origin: String,
        #[serde(default)]
        cross_origin: Option<bool>,
        #[serde(default)]
        top_origin: Option<String>,
    }
    let c: ClientData =
        serde_json::from_slice(raw).map_err(|_| WebAuthnError::Malformed("clientDataJSON"))?;
    if c.kind != kind {
        return Err(WebAuthnError::Type);
    }
    if !tessera_jose::secret::ct_eq(c.challenge.as_bytes(), e.challenge.as_bytes()) {
        return Err(WebAuthnError::Challenge);
    }
    if c.origin != e.origin || c.cross_origin == Some(true) || c.top_origin.is_some() {
        return Err(WebAuthnError::Origin);
    }
    Ok(tessera_jose::secret::sha2(256, raw))
}

/// Authenticator data (§6.1).
struct AuthData<'a> {
    rp_id_hash: &'a [u8],
    flags: u8,
    sign_count: u32,
    /// Attested credential data: aaguid, credential id, COSE key bytes.
    attested: Option<(&'a [u8], &'a [u8], &'a [u8])>,
}

fn auth_data(d: &[u8]) -> Result<AuthData<'_>, WebAuthnError> {
    let bad = WebAuthnError::Malformed("authenticator data");
    if d.len() < 37 {
        return Err(bad);
    }
    let flags = d[32];
    let sign_count = u32::from_be_bytes([d[33], d[34], d[35], d[36]]);
    let rest = &d[37..];
    let attested = if flags & AT != 0 {
        if rest.len() < 18 {
            return Err(bad);
        }
        let aaguid = &rest[..16];
        let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        let after = &rest[18..];
        if len == 0 || len > 1023 || after.len() < len {
            return Err(bad);
        }
        let (cred_id, key_and_more) = after.split_at(len);
        let mut reader = key_and_more;
        let _: ciborium::Value = ciborium::de::from_reader(&mut reader).map_err(|_| bad.clone())?;
        let key_len = key_and_more.len() - reader.len();
        // What follows the key is extensions (ED), and nothing else.
        if (flags & ED == 0) != reader.is_empty() {
            return Err(bad);
        }
        Some((aaguid, cred_id, &key_and_more[..key_len]))
    } else {
        if flags & ED == 0 && !rest.is_empty() {
            return Err(bad);
        }
        None
    };
    if flags & BS != 0 && flags & BE == 0 {
        return Err(bad);
    }
    Ok(AuthData {
        rp_id_hash: &d[..32],
        flags,
        sign_count,
        attested,
    })
}

/// The flags every ceremony checks: the RP ID hash, user presence, and user verification when
/// required.
fn check_flags(a: &AuthData<'_>, e: &Expected<'_>) -> Result<(), WebAuthnError> {
    let want = tessera_jose::secret::sha2(256, e.rp_id.as_bytes());
    if !tessera_jose::secret::ct_eq(a.rp_id_hash, &want) {
        return Err(WebAuthnError::RpId);
    }
    if a.flags & UP == 0 {
        return Err(WebAuthnError::UserPresence);
    }
    if e.require_uv && a.flags & UV == 0 {
        return Err(WebAuthnError::UserVerification);
    }
    Ok(())
}

fn int(v: &ciborium::Value) -> Option<i64> {
    v.as_integer().and_then(|i| i64::try_from(i).ok())
}

/// A COSE key (RFC 9053) as a public JWK and its algorithm; only the allowed ones.
///
/// # Errors
/// [`WebAuthnError::Algorithm`] for another algorithm or key type, `Malformed` for a broken key.
pub fn cose_key(bytes: &[u8]) -> Result<(Jwk, JwsAlg, i64), WebAuthnError> {
    let bad = WebAuthnError::Malformed("COSE key");
    let v: ciborium::Value = ciborium::de::from_reader(bytes).map_err(|_| bad.clone())?;
    let map = v.as_map().ok_or(bad.clone())?;
    let get = |k: i64| {
        map.iter()
            .find(|(key, _)| int(key) == Some(k))
            .map(|(_, v)| v)
    };
    let kty = get(1).and_then(int).ok_or(bad.clone())?;
    let alg = get(3).and_then(int).ok_or(bad.clone())?;
    let bytes_of = |k: i64| -> Result<String, WebAuthnError> {
        get(k)
            .and_then(ciborium::Value::as_bytes)
            .map(tessera_jose::b64::encode)
            .ok_or(bad.clone())
    };
    let (json, jose_alg) = match (kty, alg) {
        (2, -7) => {
            if get(-1).and_then(int) != Some(1) {
                return Err(WebAuthnError::Algorithm);
            }
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": bytes_of(-2)?, "y": bytes_of(-3)?}),
                JwsAlg::ES256,
            )
        }
        (1, -8) => {
            if get(-1).and_then(int) != Some(6) {
                return Err(WebAuthnError::Algorithm);
            }
            (
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": bytes_of(-2)?}),
                JwsAlg::EdDSA,
            )
        }
        (3, -257) => (
            serde_json::json!({"kty": "RSA", "n": bytes_of(-1)?, "e": bytes_of(-2)?}),
            JwsAlg::RS256,
        ),
        _ => return Err(WebAuthnError::Algorithm),
    };
    let jwk = Jwk::from_json(&json.to_string()).map_err(|_| bad)?;
    Ok((jwk, jose_alg, alg))
}

/// An ASN.1 DER ECDSA signature (what WebAuthn carries) in JOSE form, `r‖s` of `n` bytes each.
fn der_to_fixed(der: &[u8], n: usize) -> Result<Vec<u8>, WebAuthnError> {
    let bad = WebAuthnError::Signature;
    let seq = match der {
        [0x30, len, rest @ ..] if usize::from(*len) == rest.len() && *len < 0x80 => rest,
        _ => return Err(bad),
    };
    let mut out = Vec::with_capacity(2 * n);
    let mut rest = seq;
    for _ in 0..2 {
        let (int, tail) = match rest {
            [0x02, len, tail @ ..] if usize::from(*len) <= tail.len() && *len > 0 => {
                tail.split_at(usize::from(*len))
            }
            _ => return Err(bad),
        };
        // Minimal encoding: a leading zero only before a high bit.
        if int[0] & 0x80 != 0 || (int.len() > 1 && int[0] == 0 && int[1] & 0x80 == 0) {
            return Err(bad);
        }
        let digits = if int[0] == 0 { &int[1..] } else { int };
        if digits.len() > n {
            return Err(bad);
        }
        out.extend(std::iter::repeat_n(0u8, n - digits.len()));
        out.extend_from_slice(digits);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad);
    }
    Ok(out)
}

/// Verifies a WebAuthn signature (DER for ECDSA) over `msg` with `jwk`.
fn verify_sig(jwk: &Jwk, alg: JwsAlg, msg: &[u8], sig: &[u8]) -> Result<(), WebAuthnError> {
    let sig = if alg == JwsAlg::ES256 {
        der_to_fixed(sig, 32)?
    } else {
        sig.to_vec()
    };
    tessera_jose::jws::verify_raw(jwk, alg, msg, &sig).map_err(|_| WebAuthnError::Signature)
}

/// Registration (§7.1): the credential to store.
///
/// # Errors
/// The check that failed.
pub fn verify_registration(
    c: &CredentialJson,
    e: &Expected<'_>,
) -> Result<NewCredential, WebAuthnError> {
    let cd = b64(&c.response.clientDataJSON, "clientDataJSON")?;
    let cd_hash = client_data(&cd, "webauthn.create", e)?;
    let att = b64(
        c.response
            .attestationObject
            .as_deref()
            .ok_or(WebAuthnError::Malformed("attestationObject"))?,
        "attestationObject",
    )?;
    let obj: ciborium::Value = ciborium::de::from_reader(att.as_slice())
        .map_err(|_| WebAuthnError::Malformed("attestationObject"))?;
    let map = obj
        .as_map()
        .ok_or(WebAuthnError::Malformed("attestationObject"))?;
    let field = |name: &str| {
        map.iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    };
    let fmt = field("fmt")
        .and_then(ciborium::Value::as_text)
        .ok_or(WebAuthnError::Malformed("fmt"))?;
    let stmt = field("attStmt")
        .and_then(ciborium::Value::as_map)
        .ok_or(WebAuthnError::Malformed("attStmt"))?;
    let raw_auth = field("authData")
        .and_then(ciborium::Value::as_bytes)
        .ok_or(WebAuthnError::Malformed("authData"))?;
    let a = auth_data(raw_auth)?;
    check_flags(&a, e)?;
    let (aaguid, cred_id, key) = a
        .attested
        .ok_or(WebAuthnError::Malformed("no attested credential"))?;
    if tessera_jose::b64::encode(cred_id) != c.id {
        return Err(WebAuthnError::Malformed("credential id"));
    }
    let (jwk, alg, cose_alg) = cose_key(key)?;
    match fmt {
        "none" if stmt.is_empty() => {}
        "packed" => {
            let get = |name: &str| {
                stmt.iter()
                    .find(|(k, _)| k.as_text() == Some(name))
                    .map(|(_, v)| v)
            };
            if get("x5c").is_some() || get("ecdaaKeyId").is_some() {
                return Err(WebAuthnError::Attestation);
            }
            if get("alg").and_then(int) != Some(cose_alg) {
                return Err(WebAuthnError::Algorithm);
            }
            let sig = get("sig")
                .and_then(ciborium::Value::as_bytes)
                .ok_or(WebAuthnError::Malformed("attStmt.sig"))?;
            let mut signed = raw_auth.clone();
            signed.extend_from_slice(&cd_hash);
            verify_sig(&jwk, alg, &signed, sig)?;
        }
        _ => return Err(WebAuthnError::Attestation),
    }
    Ok(NewCredential {
        id: c.id.clone(),
        public_key: tessera_jose::b64::encode(key),
        alg: cose_alg,
        sign_count: a.sign_count,
        backup_eligible: a.flags & BE != 0,
        backed_up: a.flags & BS != 0,
        user_verified: a.flags & UV != 0,
        aaguid: aaguid.iter().map(|b| format!("{b:02x}")).collect(),
        transports: c.response.transports.clone().unwrap_or_default(),
        fmt: fmt.to_owned(),
    })
}

/// Authentication (§7.2) with a stored credential's COSE key (base64url). The caller checks
/// that the credential is the one it expected, that the user handle names its owner, and
/// that the sign count moved forward.
///
/// # Errors
/// The check that failed.
pub fn verify_assertion(
    c: &CredentialJson,
    public_key: &str,
    e: &Expected<'_>,
) -> Result<Assertion, WebAuthnError> {
    let r = &c.response;
    let cd = b64(&r.clientDataJSON, "clientDataJSON")?;
    let cd_hash = client_data(&cd, "webauthn.get", e)?;
    let raw_auth = b64(
        r.authenticatorData
            .as_deref()
            .ok_or(WebAuthnError::Malformed("authenticatorData"))?,
        "authenticatorData",
    )?;
    let a = auth_data(&raw_auth)?;
    check_flags(&a, e)?;
    let sig = b64(
        r.signature
            .as_deref()
            .ok_or(WebAuthnError::Malformed("signature"))?,
        "signature",
    )?;
    let (jwk, alg, _) = cose_key(&b64(public_key, "stored key")?)?;
    let mut signed = raw_auth.clone();
    signed.extend_from_slice(&cd_hash);
    verify_sig(&jwk, alg, &signed, &sig)?;
    let user_handle = match r.userHandle.as_deref() {
        None | Some("") => None,
        Some(h) => Some(b64(h, "userHandle")?),
    };
    Ok(Assertion {
        sign_count: a.sign_count,
        user_verified: a.flags & UV != 0,
        backup_eligible: a.flags & BE != 0,
        user_handle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_signatures_become_fixed() {
        // r = 1, s = 0x80 (needs a leading zero in DER).
        let der = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        let fixed = der_to_fixed(&der, 32).unwrap();
        assert_eq!(fixed.len(), 64);
        assert_eq!(fixed[31], 1);
        assert_eq!(fixed[63], 0x80);
        // Negative, non-minimal, trailing bytes, too long: refused.
        assert!(der_to_fixed(&[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01], 32).is_err());
        assert!(der_to_fixed(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], 32).is_err());
        assert!(der_to_fixed(&[0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], 32).is_err());
        assert!(der_to_fixed(&[], 32).is_err());
    }
}
