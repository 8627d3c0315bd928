//! What the debugger makes: tokens signed from the page's header and payload, keys for any
//! algorithm, and the example tokens.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::{Encrypter, JweBuilder};
use tessera_jose::jwk::ThumbprintHash;
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Claims, JwtSigner};
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwsAlg, json as strict};

use super::ApiError;
use super::api::{key_error, secret_warnings};
use super::claims::warning;
use super::decode::pretty;
use super::input::KeyInput;

/// `POST api/encode`: `{"header", "payload", "key"}`, header and payload as JSON text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeRequest {
    header: String,
    payload: String,
    key: KeyInput,
}

/// `POST api/keys`: `{"alg"}`, any JWS or JWE algorithm.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    alg: String,
}

/// Signs `payload` under `header` (its `alg` chooses the algorithm) with the key.
pub fn encode(r: EncodeRequest) -> Result<Value, ApiError> {
    let header = object("header", &r.header)?;
    let payload = object("payload", &r.payload)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad("header_invalid", "the header needs an `alg` (a string)"))?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(ApiError::bad(
            "alg_none",
            "`alg: none` makes an unsecured token that no verifier should accept: choose a signing algorithm",
        ));
    }
    let alg = JwsAlg::from_name(alg_name).map_err(|_| {
        ApiError::bad(
            "alg_unknown",
            format!(
                "`{}` is not a JWS algorithm Tessera knows",
                tessera_jose::error::escaped(alg_name)
            ),
        )
    })?;
    let keys = r.key.keys()?;
    let kid = header.get("kid").and_then(Value::as_str);
    let key = match (keys.set.keys(), kid) {
        ([one], _) => one,
        (many, Some(kid)) => many.iter().find(|k| k.kid() == Some(kid)).ok_or_else(|| {
            ApiError::bad(
                "key_invalid",
                "no key of the JWK Set has the header's `kid`",
            )
        })?,
        (many, None) => {
            return Err(ApiError::bad(
                "key_invalid",
                format!(
                    "the JWK Set holds {} keys: set `kid` in the header to choose one",
                    many.len()
                ),
            ));
        }
    };
    if !key.is_private() && key.kty().name() != "oct" {
        return Err(ApiError::bad(
            "key_public",
            "this is a public key: signing needs the private key (or generate a key pair)",
        ));
    }
    let mut warnings = Vec::new();
    if let Some(s) = &keys.secret {
        secret_warnings(s, &mut warnings);
    }
    let signer = Signer::new(key, alg).map_err(|e| key_error(&e, keys.secret.as_ref()))?;
    if let (None, Some(k)) = (kid, signer.kid()) {
        warnings.push(warning(
            "kid_added",
            format!(
                "`kid` {} added from the key",
                tessera_jose::error::escaped(k)
            ),
        ));
    }
    let signer = JwtSigner::with_header(signer, Header::from_map(header))
        .map_err(|e| ApiError::bad("header_invalid", format!("the header: {e}")))?;
    let token = signer
        .sign(&Value::Object(payload))
        .map_err(|e| ApiError::bad("sign_failed", format!("cannot sign: {e}")))?;
    Ok(json!({"token": token, "alg": alg.name(), "warnings": warnings}))
}

/// A new key for an algorithm, as JWK and PEM, with its RFC 7638 thumbprint.
pub fn keys(r: KeysRequest) -> Result<Value, ApiError> {
    let name = r.alg.trim();
    let made = if let Ok(alg) = JwsAlg::from_name(name) {
        Jwk::generate(alg)
    } else if let Ok(alg) = JweAlg::from_name(name) {
        Jwk::generate_jwe(alg)
    } else {
        return Err(ApiError::bad(
            "alg_unknown",
            format!(
                "`{}` is not a JWS or JWE algorithm Tessera knows",
                tessera_jose::error::escaped(name)
            ),
        ));
    };
    let jwk = made.map_err(|e| ApiError::bad("alg_unsupported", format!("{e}")))?;
    let public = jwk.to_public().ok();
    let pem = if jwk.kty().name() == "oct" {
        None
    } else {
        jwk.to_pem().ok().map(|p| p.to_string())
    };
    let public_pem = public
        .as_ref()
        .and_then(|p| p.to_public_pem().ok())
        .map(|p| p.to_string());
    let secret = jwk.to_value().get("k").cloned();
    Ok(json!({
        "alg": name,
        "kty": jwk.kty().name(),
        "kid": jwk.kid(),
        "jwk": pretty(&jwk.to_value()),
        "public_jwk": public.as_ref().map(|p| pretty(&p.to_value())),
        "pem": pem,
        "public_pem": public_pem,
        "secret_base64url": secret,
        "thumbprint": jwk.thumbprint(ThumbprintHash::Sha256),
        "thumbprint_uri": jwk.thumbprint_uri(ThumbprintHash::Sha256),
    }))
}

/// One example token per algorithm family, with the key that checks it. Fresh keys, made once
/// per process.
pub fn examples() -> Result<Value, ApiError> {
    let fail = |e: Error| ApiError::bad("internal_error", format!("cannot make the examples: {e}"));
    let claims = |sub: &str| {
        Claims::new()
            .issuer("https://issuer.example")
            .subject(sub)
            .audience("https://api.example")
            .issued_now()
            .expires_in(Duration::from_secs(3600))
            .claim("scope", "orders:read")
    };
    let mut list = Vec::new();
    let mut signed = |label: &str, alg: JwsAlg, key: &Jwk, verify: Value| -> Result<(), ApiError> {
        let signer = JwtSigner::new(Signer::new(key, alg).map_err(fail)?);
        let token = claims("user-42")
            .map_err(fail)?
            .sign(&signer)
            .map_err(fail)?;
        list.push(json!({"label": label, "kind": "jws", "alg": alg.name(), "token": token, "key": verify}));
        Ok(())
    };
    let secret = Jwk::generate(JwsAlg::HS256).map_err(fail)?;
    let secret_b64 = secret.to_value().get("k").cloned().unwrap_or_default();
    signed(
        "HS256 (shared secret)",
        JwsAlg::HS256,
        &secret,
        json!({"text": secret_b64, "encoding": "base64url"}),
    )?;
    let rsa = Jwk::generate(JwsAlg::RS256).map_err(fail)?.without_alg();
    let rsa_pem = rsa
        .to_public()
        .map_err(fail)?
        .to_public_pem()
        .map_err(fail)?;
    for alg in [JwsAlg::RS256, JwsAlg::PS256] {
        signed(
            &format!("{} (RSA)", alg.name()),
            alg,
            &rsa,
            json!({"text": rsa_pem.as_str(), "encoding": "auto"}),
        )?;
    }
    let ec = Jwk::generate(JwsAlg::ES256).map_err(fail)?;
    let ec_public = pretty(&ec.to_public().map_err(fail)?.to_value());
    signed(
        "ES256 (ECDSA P-256)",
        JwsAlg::ES256,
        &ec,
        json!({"text": ec_public, "encoding": "auto"}),
    )?;
    let ed = Jwk::generate(JwsAlg::EdDSA).map_err(fail)?;
    let ed_set = json!({"keys": [ed.to_public().map_err(fail)?.to_value(), ec.to_public().map_err(fail)?.to_value()]});
    signed(
        "EdDSA (Ed25519), checked by a JWK Set",
        JwsAlg::EdDSA,
        &ed,
        json!({"text": pretty(&ed_set), "encoding": "auto"}),
    )?;

    if JwsAlg::MlDsa44.is_supported() {
        let pq = Jwk::generate(JwsAlg::MlDsa44).map_err(fail)?;
        let pq_public = pretty(&pq.to_public().map_err(fail)?.to_value());
        signed(
            "ML-DSA-44 (post-quantum)",
            JwsAlg::MlDsa44,
            &pq,
            json!({"text": pq_public, "encoding": "auto"}),
        )?;
    }

    // Encrypted: `dir` with a shared 256-bit key, and a nested JWT (ES256 inside RSA-OAEP-256).
    let dir_key = Jwk::generate_jwe(JweAlg::Dir).map_err(fail)?;
    let claims_json = serde_json::to_string(claims("user-42").map_err(fail)?.as_map())
        .map_err(|_| ApiError::bad("internal_error", "cannot make the examples"))?;
    let dir = Encrypter::new(&dir_key, JweAlg::Dir).map_err(fail)?;
    let jwe = JweBuilder::new(claims_json.as_bytes(), Enc::A256Gcm)
        .protected(Header::empty().typ("JWT"))
        .recipient(&dir)
        .compact()
        .map_err(fail)?;
    list.push(
        json!({"label": "JWE dir + A256GCM (shared key)", "kind": "jwe", "alg": "dir", "token": jwe,
        "key": {"text": pretty(&dir_key.to_value()), "encoding": "auto"}}),
    );
    let oaep_key = Jwk::generate_jwe(JweAlg::RsaOaep256).map_err(fail)?;
    let inner = claims("user-42")
        .map_err(fail)?
        .sign(&JwtSigner::new(
            Signer::new(&ec, JwsAlg::ES256).map_err(fail)?,
        ))
        .map_err(fail)?;
    let oaep =
        Encrypter::new(&oaep_key.to_public().map_err(fail)?, JweAlg::RsaOaep256).map_err(fail)?;
    let nested = JweBuilder::new(inner.as_bytes(), Enc::A256Gcm)
        .protected(Header::empty().cty("JWT"))
        .recipient(&oaep)
        .compact()
        .map_err(fail)?;
    list.push(json!({"label": "Nested: ES256 JWT inside RSA-OAEP-256", "kind": "jwe", "alg": "RSA-OAEP-256", "token": nested,
        "key": {"text": pretty(&oaep_key.to_value()), "encoding": "auto"},
        "verify_key": {"text": ec_public, "encoding": "auto"}}));
    Ok(json!({"examples": list}))
}

/// The algorithms the page offers: every JWS algorithm this build supports, and every JWE
/// key management but the ones refused by default (RSA1_5) or made from passwords (PBES2).
pub fn algorithms() -> Value {
    let jws: Vec<&str> = JwsAlg::ALL
        .into_iter()
        .filter(|a| a.is_supported())
        .map(JwsAlg::name)
        .collect();
    let jwe: Vec<&str> = JweAlg::ALL
        .into_iter()
        .filter(|a| !matches!(a.mode(), KeyManagement::Pbes2 | KeyManagement::RsaPkcs1))
        .map(JweAlg::name)
        .collect();
    json!({"jws": jws, "jwe": jwe})
}

/// A JSON object from the page's editor: duplicate member names are an error (every verifier
/// rejects them), and a syntax error says where.
fn object(name: &str, text: &str) -> Result<Map<String, Value>, ApiError> {
    let code = if name == "header" {
        "header_invalid"
    } else {
        "payload_invalid"
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => {}
        Ok(_) => {
            return Err(ApiError::bad(
                code,
                format!("the {name} must be a JSON object"),
            ));
        }
        Err(e) => {
            return Err(ApiError::bad(
                code,
                format!("the {name} is not valid JSON: {e}"),
            ));
        }
    }
    strict::parse_object(text.as_bytes(), strict::DEFAULT_MAX_DEPTH)
        .map_err(|e| ApiError::bad(code, format!("the {name}: {e}")))
}
