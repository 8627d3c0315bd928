//! The debugger's JSON API: inspect, verify, encode, decrypt, make keys, examples. Each takes
//! the request body and returns the answer; failures of verification are answers
//! (`"verified": false` with the library's code, as `tessera verify --json` prints), bad input
//! is an [`ApiError`].

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::{Decrypter, Encrypter, Jwe, JweBuilder};
use tessera_jose::jwk::ThumbprintHash;
use tessera_jose::jws::{Header, Jws, JwsVerifier, Signer};
use tessera_jose::jwt::{Claims, JwtSigner, Verifier};
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwsAlg, b64, json as strict};

use super::ApiError;
use super::claims::{self, warning};
use super::input::{self, KeyInput, MAX_TOKEN};

/// `POST api/inspect`: `{"token"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectRequest {
    token: String,
}

/// The claim checks of `verify` and `decrypt`, all optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClaimChecks {
    /// Expected `iss`.
    #[serde(default)]
    iss: Option<String>,
    /// An audience `aud` must contain.
    #[serde(default)]
    aud: Option<String>,
    /// Leeway for `exp`, `nbf` and `iat`, in seconds.
    #[serde(default)]
    leeway: Option<u64>,
    /// Reject a token without `exp` (default: yes, as `tessera verify`).
    #[serde(default)]
    require_exp: Option<bool>,
}

/// `POST api/verify`: `{"token", "key": {"text", "encoding"}, "checks": {...}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    token: String,
    key: KeyInput,
    #[serde(default)]
    checks: ClaimChecks,
}

/// `POST api/encode`: `{"header", "payload", "key"}`, header and payload as JSON text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeRequest {
    header: String,
    payload: String,
    key: KeyInput,
}

/// `POST api/decrypt`: `{"token", "key" | "password", "verify_key", "checks"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptRequest {
    token: String,
    #[serde(default)]
    key: Option<KeyInput>,
    #[serde(default)]
    password: Option<String>,
    /// The signing key of a nested token's inner JWT.
    #[serde(default)]
    verify_key: Option<KeyInput>,
    #[serde(default)]
    checks: ClaimChecks,
}

/// `POST api/keys`: `{"alg"}`, any JWS or JWE algorithm.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    alg: String,
}

/// One call of the API: `endpoint` (`inspect`, `verify`, `encode`, `decrypt`, `keys`) with the
/// request's JSON body.
///
/// # Errors
/// [`ApiError`] for a body that is not the endpoint's request, or bad input in it.
pub fn answer(endpoint: &str, body: &[u8]) -> Result<Value, ApiError> {
    fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
        // serde_json's messages name the field and position, never the value.
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad("invalid_request", format!("the request body: {e}")))
    }
    match endpoint {
        "inspect" => inspect(parse(body)?),
        "verify" => verify(parse(body)?),
        "encode" => encode(parse(body)?),
        "decrypt" => decrypt(parse(body)?),
        "keys" => keys(parse(body)?),
        _ => Err(ApiError::new(404, "not_found", "no such API call")),
    }
}

/// Decodes a token without verifying it: its parts, header, payload, claims and warnings.
pub fn inspect(r: InspectRequest) -> Result<Value, ApiError> {
    let token = input::token(&r.token)?;
    inspect_token(&token, 0)
}

/// Verifies a signed token's signature with the given keys, then (for a compact JWT) the
/// claims.
pub fn verify(r: VerifyRequest) -> Result<Value, ApiError> {
    let token = input::token(&r.token)?;
    if is_encrypted(&token) {
        return Err(ApiError::bad(
            "token_kind",
            "this token is encrypted (a JWE): decrypt it with its key first",
        ));
    }
    verify_signed(&token, &r.key, &r.checks)
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

/// Decrypts a JWE with a key or a password; a nested token's inner JWT is shown and, given
/// its key, verified.
pub fn decrypt(r: DecryptRequest) -> Result<Value, ApiError> {
    let token = input::token(&r.token)?;
    if !is_encrypted(&token) {
        return Err(ApiError::bad(
            "token_kind",
            "this token is signed, not encrypted: verify it instead",
        ));
    }
    let password = r.password.filter(|p| !p.is_empty());
    let builder = match (&password, &r.key) {
        (Some(pw), _) => Decrypter::builder(Jwk::from_secret(pw.as_bytes()))
            .allow_pbes2()
            .algorithms(
                JweAlg::ALL
                    .into_iter()
                    .filter(|a| a.mode() == KeyManagement::Pbes2),
            ),
        (None, Some(k)) => Decrypter::builder(k.keys()?.set).algorithms_from_keys_and(
            JweAlg::ALL
                .into_iter()
                .filter(|a| !matches!(a.mode(), KeyManagement::Pbes2 | KeyManagement::RsaPkcs1)),
        ),
        (None, None) => {
            return Err(ApiError::bad(
                "key_missing",
                "no key given: paste the decryption key, or a password for PBES2",
            ));
        }
    };
    let decrypter = match builder.max_size(MAX_TOKEN).build() {
        Ok(d) => d,
        Err(e) => return Ok(failed("decrypted", "key", &e)),
    };
    let out = match decrypter.decrypt(&token) {
        Ok(out) => out,
        Err(e) => {
            let mut v = failed("decrypted", "decryption", &e);
            if e == Error::AlgorithmNotAllowed {
                v["message"] = json!(format!(
                    "{e}: RSA1_5 is refused as dangerous (RFC 8725 §3.2), and a key's own `alg` limits it to that algorithm"
                ));
            }
            return Ok(v);
        }
    };
    let header = out.protected().as_map().clone();
    let mut warnings = Vec::new();
    claims::header_warnings(&header, &mut warnings);
    let plaintext = out.plaintext();
    let mut answer = json!({
        "decrypted": true,
        "alg": out.alg().name(),
        "enc": out.enc().name(),
        "kid": out.kid(),
        "header": header,
        "bytes": plaintext.len(),
    });
    let text = std::str::from_utf8(plaintext).ok();
    if let Some(inner) = text.filter(|t| t.split('.').count() == 3 && !t.starts_with('{')) {
        if !header
            .get("cty")
            .and_then(Value::as_str)
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
        {
            warnings.push(warning(
                "cty_missing",
                "the plaintext is a signed JWT but the header has no `cty: JWT` (RFC 7519 §5.2): verifiers of nested tokens reject it",
            ));
        }
        answer["plaintext_kind"] = json!("jwt");
        answer["plaintext"] = json!(inner);
        answer["inner"] = inspect_token(inner, 1).unwrap_or_else(|e| json!({"error": e.body()}));
        if let Some(k) = r.verify_key.as_ref().filter(|k| !k.text.trim().is_empty()) {
            answer["inner_verification"] = verify_signed(inner, k, &r.checks)?;
        }
    } else if let Ok(Value::Object(c)) = serde_json::from_slice::<Value>(plaintext) {
        if out.alg().is_public_key() {
            warnings.push(warning(
                "unauthenticated",
                "encrypted to a public key and not signed: anyone with the public key can make such a token; sign it and nest it",
            ));
        }
        claims::claim_warnings(&c, claims::now(), &mut warnings);
        answer["plaintext_kind"] = json!("json");
        answer["plaintext"] = json!(pretty(&Value::Object(c.clone())));
        answer["claims"] = json!(claims::table(&c));
    } else if let Some(t) = text {
        answer["plaintext_kind"] = json!("text");
        answer["plaintext"] = json!(t);
    } else {
        answer["plaintext_kind"] = json!("binary");
        answer["plaintext"] = json!(b64::encode(plaintext));
    }
    answer["warnings"] = json!(warnings);
    Ok(answer)
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
    Ok(json!({"examples": list, "algorithms": {"jws": jws, "jwe": jwe}}))
}

/// A signed token checked with `key`: signature first (any serialization), then the claims of a
/// compact JWT.
fn verify_signed(token: &str, key: &KeyInput, checks: &ClaimChecks) -> Result<Value, ApiError> {
    let keys = key.keys()?;
    let mut warnings: Vec<Value> = keys
        .skipped
        .iter()
        .map(|s| warning("key_skipped", s.clone()))
        .collect();
    if let Some(s) = &keys.secret {
        secret_warnings(s, &mut warnings);
    }
    let with_warnings = |mut v: Value, warnings: Vec<Value>| {
        v["warnings"] = json!(warnings);
        v
    };
    let jws = JwsVerifier::builder(keys.set.clone())
        .algorithms_from_keys()
        .max_size(MAX_TOKEN)
        .build();
    let jws = match jws {
        Ok(v) => v,
        Err(e) => {
            return Ok(with_warnings(
                key_failure(&e, keys.secret.as_ref()),
                warnings,
            ));
        }
    };
    let signature = match jws.verify(token) {
        Ok(v) => v,
        Err(e) => return Ok(with_warnings(failed("verified", "signature", &e), warnings)),
    };
    let (alg, kid) = signature
        .verified()
        .next()
        .map(|s| (Some(s.alg.name()), s.kid.clone()))
        .unwrap_or_default();
    let mut answer = json!({
        "verified": true,
        "signature": true,
        "alg": alg,
        "kid": kid,
        "claims_checked": false,
    });
    if token.starts_with('{') {
        // JWTs are compact only (RFC 7519 §7.2): a JSON serialization has its signature checked.
        return Ok(with_warnings(answer, warnings));
    }
    let mut b = Verifier::builder(keys.set)
        .algorithms_from_keys()
        .max_token_size(MAX_TOKEN);
    if let Some(iss) = checks
        .iss
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        b = b.issuer(iss);
    }
    b = match checks
        .aud
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(aud) => b.audience(aud),
        None => b.skip_audience_check(),
    };
    if let Some(l) = checks.leeway {
        b = b.leeway(Duration::from_secs(l.min(86_400)));
    }
    if checks.require_exp == Some(false) {
        b = b.allow_missing_exp();
    }
    let verifier = match b.build() {
        Ok(v) => v,
        Err(e) => return Ok(with_warnings(key_failure(&e, None), warnings)),
    };
    answer["claims_checked"] = json!(true);
    if let Err(e) = verifier.verify::<Value>(token) {
        answer["verified"] = json!(false);
        answer["stage"] = json!("claims");
        answer["code"] = json!(e.code());
        answer["message"] = json!(e.to_string());
    }
    Ok(with_warnings(answer, warnings))
}

/// A failed step: `{field: false, "stage", "code", "message"}` with the library's code.
fn failed(field: &str, stage: &str, e: &Error) -> Value {
    json!({field: false, "stage": stage, "code": e.code(), "message": e.to_string()})
}

/// A verifier that cannot be built from the keys, explained.
fn key_failure(e: &Error, secret: Option<&input::SecretInfo>) -> Value {
    let err = key_error(e, secret);
    json!({"verified": false, "stage": "key", "code": err.code, "message": err.message})
}

fn key_error(e: &Error, secret: Option<&input::SecretInfo>) -> ApiError {
    use tessera_jose::error::KeyProblem;
    match (e, secret) {
        (Error::InvalidKey(KeyProblem::HmacTooShort), _) | (Error::Config(_), Some(_))
            if secret.is_some_and(|s| s.len < 32) =>
        {
            ApiError::bad(
                "weak_secret",
                format!(
                    "the secret is {} bytes: HMAC needs at least as many bytes as its hash (HS256: 32, HS384: 48, HS512: 64; RFC 7518 §3.2); a shorter one can be brute-forced",
                    secret.map_or(0, |s| s.len)
                ),
            )
        }
        (Error::Config(m), _) if m.starts_with("no key") => ApiError::bad(
            "no_matching_key",
            format!("{e}: the key's type and `alg` allow no algorithm here"),
        ),
        _ => ApiError::bad(e.code(), e.to_string()),
    }
}

fn secret_warnings(s: &input::SecretInfo, out: &mut Vec<Value>) {
    if s.guessable {
        out.push(warning(
            "weak_secret",
            "this secret is published in examples or repeats a few characters: anyone can guess it and sign tokens",
        ));
    }
}

/// Whether a token is a JWE (five compact parts, or JSON with `ciphertext`).
fn is_encrypted(token: &str) -> bool {
    if token.starts_with('{') {
        serde_json::from_str::<Value>(token).is_ok_and(|v| v.get("ciphertext").is_some())
    } else {
        token.split('.').count() == 5
    }
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

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A base64url part decoded as JSON: the value, its text for display (as written when a member
/// name repeats: a parsed view would hide one of the values) and whether one does.
fn json_part(name: &str, part: &str) -> Result<(Value, String, bool), ApiError> {
    let bytes = b64::decode(part)
        .map_err(|_| ApiError::bad("malformed", format!("the {name} is not base64url")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad("malformed", format!("the {name} is not UTF-8")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad("malformed", format!("the {name} is not JSON: {e}")))?;
    let duplicate = matches!(
        strict::check(&bytes, strict::DEFAULT_MAX_DEPTH),
        Err(Error::Malformed(
            tessera_jose::error::Malformed::DuplicateMember
        ))
    );
    let shown = if duplicate {
        text.to_owned()
    } else {
        pretty(&value)
    };
    Ok((value, shown, duplicate))
}

fn duplicate_warning(name: &str) -> Value {
    warning(
        "duplicate_member",
        format!(
            "the {name} repeats a member name (shown as written): parsers disagree on which value wins, so verifiers reject it"
        ),
    )
}

/// The payload of a JWS: JSON (claims when an object), text, or binary (base64url).
fn payload_view(bytes: &[u8], out: &mut Map<String, Value>, warnings: &mut Vec<Value>) {
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        let duplicate = matches!(
            strict::check(bytes, strict::DEFAULT_MAX_DEPTH),
            Err(Error::Malformed(
                tessera_jose::error::Malformed::DuplicateMember
            ))
        );
        if duplicate {
            warnings.push(duplicate_warning("payload"));
        }
        let shown = if duplicate {
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            pretty(&value)
        };
        if let Value::Object(c) = &value {
            claims::claim_warnings(c, claims::now(), warnings);
            out.insert("claims".into(), json!(claims::table(c)));
        }
        out.insert("payload_kind".into(), json!("json"));
        out.insert("payload".into(), value);
        out.insert("payload_text".into(), json!(shown));
    } else if let Ok(t) = std::str::from_utf8(bytes) {
        out.insert("payload_kind".into(), json!("text"));
        out.insert("payload_text".into(), json!(t));
    } else {
        out.insert("payload_kind".into(), json!("binary"));
        out.insert("payload_text".into(), json!(b64::encode(bytes)));
    }
}

fn inspect_token(token: &str, depth: u8) -> Result<Value, ApiError> {
    if token.starts_with('{') {
        return json_serialization(token);
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [h, p, s] => compact_jws(token, h, p, s, depth),
        [h, k, iv, ct, tag] => compact_jwe(token, [h, k, iv, ct, tag]),
        _ => Err(ApiError::bad(
            "malformed",
            format!(
                "a compact token has 3 parts (JWS) or 5 (JWE) separated by dots; this one has {}",
                parts.len()
            ),
        )),
    }
}

fn compact_jws(token: &str, h: &str, p: &str, s: &str, depth: u8) -> Result<Value, ApiError> {
    let (header, header_text, duplicate) = json_part("header", h)?;
    let Value::Object(hmap) = &header else {
        return Err(ApiError::bad(
            "malformed",
            "the header is not a JSON object",
        ));
    };
    let mut warnings = Vec::new();
    if duplicate {
        warnings.push(duplicate_warning("header"));
    }
    claims::header_warnings(hmap, &mut warnings);
    let encoded = hmap.get("b64") != Some(&Value::Bool(false));
    let payload = if encoded {
        b64::decode(p).map_err(|_| ApiError::bad("malformed", "the payload is not base64url"))?
    } else {
        p.as_bytes().to_vec()
    };
    let signature =
        b64::decode(s).map_err(|_| ApiError::bad("malformed", "the signature is not base64url"))?;
    let mut out = Map::new();
    payload_view(&payload, &mut out, &mut warnings);
    let nested = hmap
        .get("cty")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"));
    if nested
        && depth == 0
        && let Ok(inner) = std::str::from_utf8(&payload)
    {
        out.insert(
            "inner".into(),
            inspect_token(inner, 1).unwrap_or_else(|e| json!({"error": e.body()})),
        );
    }
    let mut v = json!({
        "kind": "jws",
        "format": "compact",
        "token": token,
        "parts": [
            {"name": "header", "text": h},
            {"name": "payload", "text": p},
            {"name": "signature", "text": s},
        ],
        "header": header,
        "header_text": header_text,
        "signature_bytes": signature.len(),
        "nested": nested,
    });
    if let Value::Object(m) = &mut v {
        m.extend(out);
    }
    v["warnings"] = json!(warnings);
    Ok(v)
}

fn compact_jwe(token: &str, parts: [&&str; 5]) -> Result<Value, ApiError> {
    let (header, header_text, duplicate) = json_part("protected header", parts[0])?;
    let Value::Object(hmap) = &header else {
        return Err(ApiError::bad(
            "malformed",
            "the protected header is not a JSON object",
        ));
    };
    let mut warnings = Vec::new();
    if duplicate {
        warnings.push(duplicate_warning("protected header"));
    }
    claims::header_warnings(hmap, &mut warnings);
    if let Err(e) = Jwe::parse(token, MAX_TOKEN) {
        warnings.push(warning(e.code(), format!("decryption will fail: {e}")));
    }
    let names = ["header", "encrypted_key", "iv", "ciphertext", "tag"];
    let mut sizes = Map::new();
    for (name, part) in names.iter().zip(parts) {
        let len = b64::decode(part).map_or(Value::Null, |b| json!(b.len()));
        sizes.insert((*name).to_owned(), len);
    }
    let nested = hmap
        .get("cty")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("JWT"));
    Ok(json!({
        "kind": "jwe",
        "format": "compact",
        "token": token,
        "parts": names.iter().zip(parts).map(|(n, t)| json!({"name": n, "text": t})).collect::<Vec<_>>(),
        "header": header,
        "header_text": header_text,
        "sizes": sizes,
        "nested": nested,
        "warnings": warnings,
    }))
}

fn json_serialization(token: &str) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_str(token)
        .map_err(|e| ApiError::bad("malformed", format!("the token is not valid JSON: {e}")))?;
    let rejected = |e: Error| ApiError::bad(e.code(), e.to_string());
    if value.get("ciphertext").is_some() {
        let jwe = Jwe::parse(token, MAX_TOKEN).map_err(rejected)?;
        let mut warnings = Vec::new();
        claims::header_warnings(jwe.protected(), &mut warnings);
        let [key, iv, ct, tag] = jwe.part_sizes();
        let recipients: Vec<Value> = jwe
            .recipient_headers()
            .map(|h| h.map_or(Value::Null, |m| Value::Object(m.clone())))
            .collect();
        return Ok(json!({
            "kind": "jwe",
            "format": "json",
            "token": token,
            "parts": [],
            "header": Value::Object(jwe.protected().clone()),
            "header_text": pretty(&Value::Object(jwe.protected().clone())),
            "unprotected": jwe.unprotected().map(|m| Value::Object(m.clone())),
            "recipients": recipients,
            "sizes": {"encrypted_key": key, "iv": iv, "ciphertext": ct, "tag": tag},
            "nested": false,
            "warnings": warnings,
        }));
    }
    let jws = Jws::parse(token, MAX_TOKEN).map_err(rejected)?;
    let mut warnings = Vec::new();
    let signatures: Vec<Value> = jws
        .signatures()
        .iter()
        .map(|s| {
            claims::header_warnings(s.protected(), &mut warnings);
            json!({
                "protected": Value::Object(s.protected().clone()),
                "header": s.unprotected().map(|m| Value::Object(m.clone())),
            })
        })
        .collect();
    let mut out = Map::new();
    if let Some(p) = value.get("payload").and_then(Value::as_str) {
        let unencoded = jws
            .signatures()
            .first()
            .is_some_and(|s| s.protected().get("b64") == Some(&Value::Bool(false)));
        let bytes = if unencoded {
            p.as_bytes().to_vec()
        } else {
            b64::decode(p)
                .map_err(|_| ApiError::bad("malformed", "the payload is not base64url"))?
        };
        payload_view(&bytes, &mut out, &mut warnings);
    }
    let first = jws
        .signatures()
        .first()
        .map(|s| Value::Object(s.protected().clone()));
    let mut v = json!({
        "kind": "jws",
        "format": "json",
        "token": token,
        "parts": [],
        "header": first.clone().unwrap_or(Value::Null),
        "header_text": first.as_ref().map(pretty).unwrap_or_default(),
        "signatures": signatures,
        "nested": false,
    });
    if let Value::Object(m) = &mut v {
        m.extend(out);
    }
    v["warnings"] = json!(warnings);
    Ok(v)
}
