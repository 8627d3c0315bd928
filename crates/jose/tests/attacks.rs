//! Known attacks on JOSE implementations. Each must be rejected, with the right error.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use serde_json::{Value, json};
use tessera_jose::error::{Limit, Malformed};
use tessera_jose::jws::{JwsVerifier, Signer};
use tessera_jose::jwt::{Claims, FixedClock, JwtSigner, Verifier};
use tessera_jose::{Error, Jwk, JwkSet, JwsAlg, b64};

const NOW: i64 = 1_800_000_000;

struct Keys {
    hmac: Jwk,
    rsa: Jwk,
    ec: Jwk,
    ed: Jwk,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        hmac: Jwk::generate(JwsAlg::HS256).unwrap(),
        rsa: Jwk::generate(JwsAlg::RS256).unwrap(),
        ec: Jwk::generate(JwsAlg::ES256).unwrap(),
        ed: Jwk::generate(JwsAlg::EdDSA).unwrap(),
    })
}

fn claims() -> Value {
    json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "sub": "u1"})
}

/// A compact token from raw header and payload JSON, signed (or not) by `signer`.
fn forge(header: &str, payload: &str, signer: Option<&Signer>) -> String {
    let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
    let sig = signer
        .map(|s| s.sign(input.as_bytes()).unwrap())
        .unwrap_or_default();
    format!("{input}.{}", b64::encode(sig))
}

fn hs_signer() -> Signer {
    Signer::new(&keys().hmac, JwsAlg::HS256).unwrap()
}

/// What a verifier holds: the public key, or the secret itself for HMAC.
fn verification_key(key: &Jwk) -> Jwk {
    key.to_public().unwrap_or_else(|_| key.clone())
}

fn verifier_for(key: &Jwk, algs: &[JwsAlg]) -> Verifier {
    Verifier::builder(JwkSet::from(verification_key(key)))
        .algorithms(algs.iter().copied())
        .issuer("https://issuer")
        .audience("api")
        .clock(FixedClock(NOW))
        .build()
        .unwrap()
}

fn hs_verifier() -> Verifier {
    verifier_for(&keys().hmac, &[JwsAlg::HS256])
}

fn verify(v: &Verifier, token: &str) -> Result<Value, Error> {
    v.verify::<Value>(token)
        .map(tessera_jose::jwt::Verified::into_claims)
}

#[test]
fn a_valid_token_passes() {
    let token = forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &claims().to_string(),
        Some(&hs_signer()),
    );
    assert_eq!(verify(&hs_verifier(), &token).unwrap()["sub"], "u1");
}

#[test]
fn alg_none_in_every_letter_case() {
    let payload = claims().to_string();
    for variant in ["none", "None", "NONE", "nOnE", "NoNe", "nONE"] {
        let header = format!(r#"{{"alg":"{variant}"}}"#);
        // With an empty signature and with a real HMAC over the input.
        for signer in [None, Some(hs_signer())] {
            let token = forge(&header, &payload, signer.as_ref());
            for v in [
                hs_verifier(),
                verifier_for(&keys().rsa, &[JwsAlg::RS256]),
                verifier_for(&keys().ed, &[JwsAlg::EdDSA, JwsAlg::Ed25519]),
            ] {
                assert_eq!(
                    verify(&v, &token).unwrap_err(),
                    Error::AlgorithmNotAllowed,
                    "{variant}"
                );
            }
        }
    }
}

#[test]
fn asymmetric_to_hmac_key_confusion() {
    let payload = claims().to_string();
    for (key, alg) in [
        (&keys().rsa, JwsAlg::RS256),
        (&keys().ec, JwsAlg::ES256),
        (&keys().ed, JwsAlg::EdDSA),
    ] {
        let public = key.to_public().unwrap();
        // Everything an attacker could pass off as the "secret": PEM, DER and JWK bytes.
        let secrets: Vec<Vec<u8>> = vec![
            public.to_public_pem().unwrap().as_bytes().to_vec(),
            public.to_spki_der().unwrap(),
            public.to_json().into_bytes(),
        ];
        for secret in secrets {
            let forged_signer = Signer::hmac(&secret, JwsAlg::HS256).unwrap();
            let token = forge(r#"{"alg":"HS256"}"#, &payload, Some(&forged_signer));
            // Policy derived from the key: HS256 is not in it.
            let from_key = Verifier::builder(JwkSet::from(public.clone()))
                .algorithms_from_keys()
                .audience("api")
                .clock(FixedClock(NOW))
                .build()
                .unwrap();
            assert_eq!(
                verify(&from_key, &token).unwrap_err(),
                Error::AlgorithmNotAllowed
            );
            // Even a careless explicit policy that lists HS256 finds no key for it: a public key
            // never becomes an HMAC secret.
            let careless = verifier_for(key, &[alg, JwsAlg::HS256]);
            assert_eq!(verify(&careless, &token).unwrap_err(), Error::NoMatchingKey);
        }
        // And an HMAC signer cannot be made from the JWK itself.
        assert!(Signer::new(&public, JwsAlg::HS256).is_err());
    }
}

#[test]
fn header_key_material_is_ignored() {
    let attacker = Jwk::generate(JwsAlg::ES256).unwrap();
    let attacker_signer = Signer::new(&attacker, JwsAlg::ES256).unwrap();
    let embedded = attacker.to_public().unwrap().to_value();
    let x5c = format!(
        "{{\"alg\":\"ES256\",\"x5c\":[\"{}\"]}}",
        base64_std(&attacker.to_spki_der().unwrap())
    );
    let headers = [
        json!({"alg": "ES256", "jwk": embedded}).to_string(),
        r#"{"alg":"ES256","jku":"https://attacker.example/jwks.json"}"#.to_owned(),
        r#"{"alg":"ES256","x5u":"https://attacker.example/cert.pem"}"#.to_owned(),
        x5c,
    ];
    let v = verifier_for(&keys().ec, &[JwsAlg::ES256]);
    for header in headers {
        let token = forge(&header, &claims().to_string(), Some(&attacker_signer));
        assert_eq!(
            verify(&v, &token).unwrap_err(),
            Error::SignatureInvalid,
            "{header}"
        );
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn kid_with_path_or_sql_text_matches_nothing() {
    let key = keys().hmac.clone().with_kid("k1");
    let signer = Signer::new(&key, JwsAlg::HS256).unwrap();
    let v = verifier_for(&key, &[JwsAlg::HS256]);
    for kid in [
        "../../../../../../dev/null",
        "/etc/passwd",
        "k1' OR '1'='1",
        "k1\"; DROP TABLE keys; --",
        "k1\u{0}",
        "K1",
        "",
    ] {
        let header = json!({"alg": "HS256", "kid": kid}).to_string();
        let token = forge(&header, &claims().to_string(), Some(&signer));
        assert_eq!(
            verify(&v, &token).unwrap_err(),
            Error::NoMatchingKey,
            "{kid:?}"
        );
    }
}

#[test]
fn ecdsa_psychic_signatures_and_out_of_range_scalars() {
    // P-256 group order n.
    let n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let v = verifier_for(&keys().ec, &[JwsAlg::ES256]);
    let input = format!(
        "{}.{}",
        b64::encode(r#"{"alg":"ES256"}"#),
        b64::encode(claims().to_string())
    );
    let good = Signer::new(&keys().ec, JwsAlg::ES256)
        .unwrap()
        .sign(input.as_bytes())
        .unwrap();
    let mut n_plus_r = n.clone();
    n_plus_r.extend_from_slice(&good[32..]);
    let mut r_then_n = good[..32].to_vec();
    r_then_n.extend_from_slice(&n);
    let ff = vec![0xffu8; 64];
    for sig in [
        vec![0u8; 64],
        n_plus_r,
        r_then_n,
        ff,
        [n.clone(), n.clone()].concat(),
    ] {
        let token = format!("{input}.{}", b64::encode(&sig));
        assert_eq!(verify(&v, &token).unwrap_err(), Error::SignatureInvalid);
    }
    let token = format!("{input}.{}", b64::encode(&good));
    assert!(verify(&v, &token).is_ok());
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn truncated_extended_and_empty_signatures() {
    for (key, alg) in [
        (&keys().hmac, JwsAlg::HS256),
        (&keys().rsa, JwsAlg::RS256),
        (&keys().ec, JwsAlg::ES256),
        (&keys().ed, JwsAlg::EdDSA),
    ] {
        let signer = Signer::new(key, alg).unwrap();
        let header = format!(r#"{{"alg":"{}"}}"#, alg.name());
        let token = forge(&header, &claims().to_string(), Some(&signer));
        let v = verifier_for(key, &[alg]);
        assert!(verify(&v, &token).is_ok());
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = b64::decode(sig).unwrap();
        let variants = [
            sig[..sig.len() - 1].to_vec(),
            sig[..sig.len() / 2].to_vec(),
            [sig.clone(), vec![0]].concat(),
            [vec![0], sig.clone()].concat(),
            Vec::new(),
        ];
        for bad in variants {
            let forged = format!("{input}.{}", b64::encode(&bad));
            assert_eq!(
                verify(&v, &forged).unwrap_err(),
                Error::SignatureInvalid,
                "{alg}"
            );
        }
    }
}

#[test]
fn non_canonical_base64url() {
    let token = forge(
        r#"{"alg":"HS256"}"#,
        &claims().to_string(),
        Some(&hs_signer()),
    );
    let (h, rest) = token.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    // HS256 signatures are 32 bytes: 43 characters whose last one carries 2 unused bits.
    let last = s.chars().last().unwrap();
    let sibling = b64::encode([0u8; 32]); // ends in 'A'
    assert!(sibling.ends_with('A'));
    let mut non_canonical = s[..s.len() - 1].to_owned();
    // Same 6-bit prefix as `last` (4 significant bits), different unused bits.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    non_canonical.push(alphabet.as_bytes()[(idx & !3) | ((idx + 1) & 3)] as char);
    let cases = [
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}.{s}="),
        format!("{h}.{p}.{non_canonical}"),
        format!("{}.{p}.{s}", h.replace('J', "+")),
        format!("{h}.{p} .{s}"),
        // The standard alphabet's '+' and '/' are not base64url.
        format!("{h}.{p}.+{}", &s[1..]),
        format!("{h}.{p}./{}", &s[1..]),
    ];
    for t in &cases {
        assert_eq!(
            verify(&hs_verifier(), t).unwrap_err(),
            Error::Malformed(Malformed::Base64),
            "{t}"
        );
    }
}

#[test]
fn duplicate_members_in_header_and_claims() {
    let signer = hs_signer();
    let dup_header = forge(
        r#"{"alg":"HS256","alg":"none"}"#,
        &claims().to_string(),
        Some(&signer),
    );
    assert_eq!(
        verify(&hs_verifier(), &dup_header).unwrap_err(),
        Error::Malformed(Malformed::DuplicateMember)
    );
    let payload = format!(
        r#"{{"iss":"https://issuer","aud":"api","exp":{},"exp":{}}}"#,
        NOW - 10,
        NOW + 600
    );
    let dup_claims = forge(r#"{"alg":"HS256"}"#, &payload, Some(&signer));
    assert_eq!(
        verify(&hs_verifier(), &dup_claims).unwrap_err(),
        Error::Malformed(Malformed::DuplicateMember)
    );
    // Escaped duplicates are duplicates too.
    let escaped = forge(
        r#"{"alg":"HS256","\u0061lg":"HS256"}"#,
        &claims().to_string(),
        Some(&signer),
    );
    assert_eq!(
        verify(&hs_verifier(), &escaped).unwrap_err(),
        Error::Malformed(Malformed::DuplicateMember)
    );
}

#[test]
fn crit_is_enforced() {
    let signer = hs_signer();
    let payload = claims().to_string();
    for header in [
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":["x"]}"#,
        r#"{"alg":"HS256","crit":"x","x":1}"#,
        r#"{"alg":"HS256","crit":["alg"]}"#,
        r#"{"alg":"HS256","b64":false}"#,
    ] {
        let token = forge(header, &payload, Some(&signer));
        assert_eq!(
            verify(&hs_verifier(), &token).unwrap_err(),
            Error::Crit,
            "{header}"
        );
    }
    // A parameter the application declares understood is accepted.
    let token = forge(
        r#"{"alg":"HS256","crit":["x"],"x":1}"#,
        &payload,
        Some(&signer),
    );
    let v = Verifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .audience("api")
        .critical(["x"])
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    assert!(verify(&v, &token).is_ok());
    // crit in an unprotected header (JSON serialization) is rejected.
    let flat = flattened_hs256(
        r#"{"alg":"HS256"}"#,
        &b64::encode("p"),
        Some(json!({"crit": ["b64"], "b64": false})),
    );
    assert_eq!(hs_jws_verifier().verify(&flat).unwrap_err(), Error::Crit);
}

/// A flattened JWS signed with the HMAC test key: protected header JSON, payload segment as it
/// goes into the signing input, optional unprotected header.
fn flattened_hs256(protected_json: &str, payload_segment: &str, header: Option<Value>) -> String {
    let protected = b64::encode(protected_json);
    let input = format!("{protected}.{payload_segment}");
    let mut flat = json!({
        "payload": payload_segment,
        "protected": protected,
        "signature": b64::encode(hs_signer().sign(input.as_bytes()).unwrap()),
    });
    if let Some(h) = header {
        flat["header"] = h;
    }
    flat.to_string()
}

fn hs_jws_verifier() -> JwsVerifier {
    JwsVerifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .build()
        .unwrap()
}

#[test]
fn b64_false_without_crit_in_jws_json() {
    let flat = flattened_hs256(r#"{"alg":"HS256","b64":false}"#, "payload", None);
    assert_eq!(hs_jws_verifier().verify(&flat).unwrap_err(), Error::Crit);
    // The same header with b64 listed in crit verifies.
    let ok = flattened_hs256(
        r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
        "payload",
        None,
    );
    assert_eq!(hs_jws_verifier().verify(&ok).unwrap().payload(), b"payload");
}

#[test]
fn oversized_tokens_and_deep_nesting() {
    let signer = hs_signer();
    let big = json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "pad": "x".repeat(100_000)});
    let token = forge(r#"{"alg":"HS256"}"#, &big.to_string(), Some(&signer));
    assert_eq!(
        verify(&hs_verifier(), &token).unwrap_err(),
        Error::LimitExceeded(Limit::Size)
    );
    let deep = format!(
        r#"{{"iss":"https://issuer","aud":"api","exp":{},"x":{}0{}}}"#,
        NOW + 600,
        "[".repeat(100),
        "]".repeat(100)
    );
    let token = forge(r#"{"alg":"HS256"}"#, &deep, Some(&signer));
    assert_eq!(
        verify(&hs_verifier(), &token).unwrap_err(),
        Error::LimitExceeded(Limit::Depth)
    );
    let deep_header = format!(
        r#"{{"alg":"HS256","x":{}0{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let token = forge(&deep_header, &claims().to_string(), Some(&signer));
    assert_eq!(
        verify(&hs_verifier(), &token).unwrap_err(),
        Error::LimitExceeded(Limit::Depth)
    );
    // The raw JWS verifier and the JWK parsers have limits too.
    let jv = JwsVerifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .max_size(1000)
        .build()
        .unwrap();
    assert_eq!(
        jv.verify(&"a".repeat(1001)).unwrap_err(),
        Error::LimitExceeded(Limit::Size)
    );
    assert!(
        Jwk::from_json(&format!(
            r#"{{"kty":"oct","k":"AAAA","x":{}{}}}"#,
            "[".repeat(64),
            "]".repeat(64)
        ))
        .is_err()
    );
}

#[test]
fn registered_claims_of_the_wrong_type() {
    let signer = hs_signer();
    let cases: [(Value, &str); 7] = [
        (
            json!({"iss": "https://issuer", "aud": "api", "exp": (NOW + 600).to_string()}),
            "exp",
        ),
        (
            json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "nbf": "0"}),
            "nbf",
        ),
        (
            json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "iat": null}),
            "iat",
        ),
        (
            json!({"iss": "https://issuer", "aud": "api", "exp": true}),
            "exp",
        ),
        (
            json!({"iss": ["https://issuer"], "aud": "api", "exp": NOW + 600}),
            "iss",
        ),
        (
            json!({"iss": "https://issuer", "aud": [1], "exp": NOW + 600}),
            "aud",
        ),
        (
            json!({"iss": "https://issuer", "aud": {"api": true}, "exp": NOW + 600}),
            "aud",
        ),
    ];
    for (payload, claim) in cases {
        let token = forge(r#"{"alg":"HS256"}"#, &payload.to_string(), Some(&signer));
        assert_eq!(
            verify(&hs_verifier(), &token).unwrap_err(),
            Error::InvalidClaim(claim),
            "{payload}"
        );
    }
}

#[test]
fn audience_string_and_array_confusion() {
    let signer = hs_signer();
    let with_aud = |aud: Value| {
        let payload = json!({"iss": "https://issuer", "aud": aud, "exp": NOW + 600});
        forge(r#"{"alg":"HS256"}"#, &payload.to_string(), Some(&signer))
    };
    let v = hs_verifier();
    assert!(verify(&v, &with_aud(json!("api"))).is_ok());
    assert!(verify(&v, &with_aud(json!(["other", "api"]))).is_ok());
    for aud in [
        json!("[\"api\"]"),
        json!("api other"),
        json!(["apix"]),
        json!([]),
        json!("API"),
    ] {
        assert_eq!(
            verify(&v, &with_aud(aud.clone())).unwrap_err(),
            Error::Audience,
            "{aud}"
        );
    }
    // A verifier that names no audience rejects tokens that carry one.
    let no_aud = Verifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    assert_eq!(
        verify(&no_aud, &with_aud(json!("api"))).unwrap_err(),
        Error::Audience
    );
}

#[test]
fn claim_checks_say_which_failed() {
    let signer = JwtSigner::new(hs_signer());
    let clock = FixedClock(NOW);
    let base = || {
        Claims::with_clock(&clock)
            .issuer("https://issuer")
            .audience("api")
    };
    let v = hs_verifier();
    let t = |c: Claims| c.sign(&signer).unwrap();
    use tessera_jose::jwt::NumericDate as D;
    assert_eq!(
        verify(&v, &t(base().expires_at(D::from_secs(NOW)))).unwrap_err(),
        Error::Expired
    );
    assert_eq!(
        verify(&v, &t(base())).unwrap_err(),
        Error::MissingClaim("exp".into())
    );
    let valid = || base().expires_at(D::from_secs(NOW + 60));
    assert_eq!(
        verify(&v, &t(valid().not_before(D::from_secs(NOW + 5)))).unwrap_err(),
        Error::NotYetValid
    );
    // An issuer clock up to a minute ahead is tolerated for `iat` by default, not beyond.
    assert!(verify(&v, &t(valid().issued_at(D::from_secs(NOW + 60)))).is_ok());
    assert_eq!(
        verify(&v, &t(valid().issued_at(D::from_secs(NOW + 61)))).unwrap_err(),
        Error::IssuedAt
    );
    assert_eq!(
        verify(&v, &t(valid().issuer("https://evil"))).unwrap_err(),
        Error::Issuer
    );
    // Leeway is explicit and applies to exp, nbf and iat.
    let lenient = Verifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .issuer("https://issuer")
        .audience("api")
        .leeway(std::time::Duration::from_secs(10))
        .max_age(std::time::Duration::from_secs(100))
        .subject("u1")
        .typ("JWT")
        .require("jti")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    let ok = valid()
        .subject("u1")
        .issued_at(D::from_secs(NOW - 50))
        .jwt_id("j");
    assert!(verify(&lenient, &t(ok.clone())).is_ok());
    assert!(verify(&lenient, &t(ok.clone().expires_at(D::from_secs(NOW - 5)))).is_ok());
    assert_eq!(
        verify(&lenient, &t(ok.clone().expires_at(D::from_secs(NOW - 10)))).unwrap_err(),
        Error::Expired
    );
    assert_eq!(
        verify(&lenient, &t(ok.clone().issued_at(D::from_secs(NOW - 200)))).unwrap_err(),
        Error::IssuedAt
    );
    assert_eq!(
        verify(&lenient, &t(ok.clone().subject("u2"))).unwrap_err(),
        Error::Subject
    );
    let no_jti = valid().subject("u1").issued_at(D::from_secs(NOW));
    assert_eq!(
        verify(&lenient, &t(no_jti)).unwrap_err(),
        Error::MissingClaim("jti".into())
    );
    // Expected typ, compared as a media type.
    let at = JwtSigner::with_header(
        hs_signer(),
        tessera_jose::jws::Header::empty().typ("application/AT+JWT"),
    )
    .unwrap();
    assert_eq!(
        verify(&lenient, &ok.sign(&at).unwrap()).unwrap_err(),
        Error::Type
    );
}

#[test]
fn errors_have_stable_codes_and_leak_no_secrets() {
    let e = verify(&hs_verifier(), "not a token").unwrap_err();
    assert_eq!(e.code(), "malformed");
    let debug = format!("{:?}", keys().hmac);
    let secret = keys().hmac.to_json();
    let k = serde_json::from_str::<Value>(&secret).unwrap()["k"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!debug.contains(&k), "Debug must not print key material");
    assert!(!format!("{:?}", Signer::new(&keys().hmac, JwsAlg::HS256).unwrap()).contains(&k));
    let rsa_debug = format!("{:?}", keys().rsa);
    assert!(!rsa_debug.contains("\"d\""));
}

#[test]
fn remembered_headers_never_skip_the_signature() {
    let v = hs_verifier();
    let signer = hs_signer();
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let good = forge(header, &claims().to_string(), Some(&signer));
    for _ in 0..3 {
        assert!(verify(&v, &good).is_ok());
    }
    // Same header bytes, forged or altered parts: still rejected.
    let (input, _) = good.rsplit_once('.').unwrap();
    let attacker = Signer::hmac(&[9u8; 32], JwsAlg::HS256).unwrap();
    let forged = forge(header, &claims().to_string(), Some(&attacker));
    assert_eq!(verify(&v, &forged).unwrap_err(), Error::SignatureInvalid);
    assert_eq!(
        verify(&v, &format!("{input}.")).unwrap_err(),
        Error::SignatureInvalid
    );
    let other_claims =
        json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "sub": "admin"});
    let (h, _) = good.split_once('.').unwrap();
    let spliced = format!(
        "{h}.{}.{}",
        b64::encode(other_claims.to_string()),
        good.rsplit_once('.').unwrap().1
    );
    assert_eq!(verify(&v, &spliced).unwrap_err(), Error::SignatureInvalid);
    // Claims are still checked on the fast path.
    let expired = json!({"iss": "https://issuer", "aud": "api", "exp": NOW - 1});
    assert_eq!(
        verify(&v, &forge(header, &expired.to_string(), Some(&signer))).unwrap_err(),
        Error::Expired
    );
    // And a typ requirement still applies to a header seen before by another verifier.
    let strict = Verifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .audience("api")
        .typ("at+jwt")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    assert_eq!(verify(&strict, &good).unwrap_err(), Error::Type);
    assert_eq!(verify(&strict, &good).unwrap_err(), Error::Type);
}

#[test]
fn wrong_number_of_parts_is_malformed() {
    let good = forge(
        r#"{"alg":"HS256"}"#,
        &claims().to_string(),
        Some(&hs_signer()),
    );
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    for t in [
        String::new(),
        "x".to_owned(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{p}.{s}"),
        "..".to_owned(),
        "...".to_owned(),
        format!(".{p}.{s}"),
    ] {
        let e = verify(&hs_verifier(), &t).unwrap_err();
        assert_eq!(e.code(), "malformed", "{t}: {e}");
    }
}

#[test]
fn only_json_objects_are_signed_as_claims() {
    let signer = JwtSigner::new(hs_signer());
    assert!(matches!(signer.sign(&vec![1, 2]), Err(Error::Claims(_))));
    assert!(matches!(signer.sign("x"), Err(Error::Claims(_))));
    assert!(matches!(signer.sign(&42), Err(Error::Claims(_))));
    assert!(matches!(signer.sign(&Value::Null), Err(Error::Claims(_))));
    let token = signer.sign(&json!({})).unwrap();
    assert_eq!(token.split('.').nth(1), Some("e30"));
    // Long claims still round-trip (the size hint grows).
    let big =
        json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "pad": "y".repeat(5000)});
    let token = signer.sign(&big).unwrap();
    assert_eq!(
        verify(&hs_verifier(), &token).unwrap()["pad"]
            .as_str()
            .unwrap()
            .len(),
        5000
    );
}

#[test]
fn claim_type_errors_do_not_echo_token_values() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        exp: i64,
        ssn: u64,
    }
    let payload =
        json!({"iss": "https://issuer", "aud": "api", "exp": NOW + 600, "ssn": "123-45-6789"});
    let token = forge(
        r#"{"alg":"HS256"}"#,
        &payload.to_string(),
        Some(&hs_signer()),
    );
    let e = hs_verifier().verify::<Strict>(&token).unwrap_err();
    assert_eq!(e.code(), "claims");
    let text = e.to_string();
    assert!(!text.contains("123-45-6789"), "{text}");
    assert!(text.contains("expected u64"), "{text}");
}

// ---- Security review (issue 8): where the verifying key and header values come from ----

/// In {RSA key `kid=rsa1`, secret without kid}, an HS256 token claiming `kid=rsa1` must not be
/// verified by the secret: a key carrying the token's kid exists, so only it may verify.
#[test]
fn a_token_kid_is_only_verified_by_the_key_with_that_kid() {
    let rsa = keys().rsa.to_public().unwrap().with_kid("rsa1");
    let ec = keys().ec.to_public().unwrap().with_kid("ec1");
    let anon = keys().ed.to_public().unwrap().with_kid_removed();
    let v = Verifier::builder(JwkSet::from(vec![rsa, ec, anon]))
        .algorithms_from_keys()
        .issuer("https://issuer")
        .audience("api")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    let ed = Signer::new(&keys().ed, JwsAlg::EdDSA).unwrap();
    // An EdDSA token naming the RSA key is not verified by the kid-less Ed25519 key.
    let named = forge(
        r#"{"alg":"EdDSA","kid":"rsa1"}"#,
        &claims().to_string(),
        Some(&ed),
    );
    assert_eq!(verify(&v, &named).unwrap_err(), Error::NoMatchingKey);
    // A kid that no key carries may fall back to the key without kid, and the result reports
    // the verifying key's own kid (none), not the token's.
    let unknown = forge(
        r#"{"alg":"EdDSA","kid":"elsewhere"}"#,
        &claims().to_string(),
        Some(&ed),
    );
    let verified = v.verify::<Value>(&unknown).unwrap();
    assert_eq!(verified.header().unwrap().kid, None);
    // The JWS verifier reports the verifying key's kid the same way.
    let jv = JwsVerifier::builder(JwkSet::from(
        keys().ed.to_public().unwrap().with_kid_removed(),
    ))
    .algorithms([JwsAlg::EdDSA])
    .build()
    .unwrap();
    let out = jv.verify(&unknown).unwrap();
    assert_eq!(out.verified().next().unwrap().kid, None);
}

#[test]
fn verification_key_sources_are_coherent() {
    let secret = keys().hmac.clone();
    let public = keys().rsa.to_public().unwrap().with_kid("rsa1");
    // A secret beside public keys is refused (a leaked secret in a published set).
    for built in [
        Verifier::builder(JwkSet::from(vec![public.clone(), secret.clone()]))
            .algorithms([JwsAlg::RS256])
            .build()
            .map(|_| ()),
        JwsVerifier::builder(JwkSet::from(vec![secret.clone(), public.clone()]))
            .algorithms_from_keys()
            .build()
            .map(|_| ()),
    ] {
        assert!(matches!(built, Err(Error::Config(m)) if m.contains("oct")));
    }
    // Two keys with one kid are refused, naming the kid.
    let twice = JwkSet::from(vec![
        public.clone(),
        keys().ec.to_public().unwrap().with_kid("rsa1"),
    ]);
    let err = Verifier::builder(twice)
        .algorithms_from_keys()
        .build()
        .unwrap_err();
    assert_eq!(err, Error::DuplicateKid("rsa1".into()));
    assert!(err.to_string().contains("`rsa1`"));
    // The kid in that message is escaped: a bidi override or markup cannot reach a terminal.
    let evil = "a\u{202e}<script>";
    let err = Verifier::builder(JwkSet::from(vec![
        public.clone().with_kid(evil),
        keys().ec.to_public().unwrap().with_kid(evil),
    ]))
    .algorithms_from_keys()
    .build()
    .unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains('\u{202e}') && !msg.contains('<'), "{msg}");
}

#[test]
fn a_kid_shared_with_a_skipped_entry_is_refused() {
    // One good key, and an entry with the same kid that is skipped as malformed (an EC key
    // whose point is off the curve, or a kty nobody knows): the set is broken or tampered.
    let good = keys().ec.to_public().unwrap().with_kid("k1");
    let good_json = good.to_json();
    for bad in [
        r#"{"kty":"EC","crv":"P-256","kid":"k1","x":"AAAA","y":"AAAA"}"#,
        r#"{"kty":"XYZ","kid":"k1"}"#,
    ] {
        for doc in [
            format!(r#"{{"keys":[{good_json},{bad}]}}"#),
            format!(r#"{{"keys":[{bad},{good_json}]}}"#),
        ] {
            let set = JwkSet::from_json(&doc).unwrap();
            assert_eq!((set.keys().len(), set.skipped().len()), (1, 1), "{doc}");
            let err = Verifier::builder(set.clone())
                .algorithms_from_keys()
                .build()
                .unwrap_err();
            assert_eq!(err, Error::DuplicateKid("k1".into()), "{doc}");
            let err = JwsVerifier::builder(set)
                .algorithms_from_keys()
                .build()
                .unwrap_err();
            assert_eq!(err, Error::DuplicateKid("k1".into()), "{doc}");
        }
    }
    // Two skipped entries sharing a kid are refused too; a skipped entry with its own kid is not.
    let two_bad = format!(
        r#"{{"keys":[{good_json},{{"kty":"XYZ","kid":"k2"}},{{"kty":"XYZ","kid":"k2"}}]}}"#
    );
    let err = Verifier::builder(JwkSet::from_json(&two_bad).unwrap())
        .algorithms_from_keys()
        .build()
        .unwrap_err();
    assert_eq!(err, Error::DuplicateKid("k2".into()));
    let other = format!(r#"{{"keys":[{good_json},{{"kty":"XYZ","kid":"k3"}}]}}"#);
    assert!(
        Verifier::builder(JwkSet::from_json(&other).unwrap())
            .algorithms_from_keys()
            .build()
            .is_ok()
    );
}

#[test]
fn jwts_are_compact_and_only_protected_headers_count() {
    let v = hs_verifier();
    let token = forge(
        r#"{"alg":"HS256"}"#,
        &claims().to_string(),
        Some(&hs_signer()),
    );
    let p: Vec<&str> = token.split('.').collect();
    // The same signature as flattened JSON, with an unprotected typ, is not a JWT.
    let flattened = json!({"protected": p[0], "payload": p[1], "signature": p[2],
        "header": {"typ": "at+jwt"}})
    .to_string();
    assert!(matches!(verify(&v, &flattened), Err(Error::Malformed(_))));
    // The JWT result exposes the whole protected header, including understood crit params.
    let crit_v = Verifier::builder(JwkSet::from(keys().hmac.clone()))
        .algorithms([JwsAlg::HS256])
        .critical(["exp_hint"])
        .issuer("https://issuer")
        .audience("api")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    let with_crit = forge(
        r#"{"alg":"HS256","crit":["exp_hint"],"exp_hint":7}"#,
        &claims().to_string(),
        Some(&hs_signer()),
    );
    let verified = crit_v.verify::<Value>(&with_crit).unwrap();
    assert_eq!(
        verified.header().unwrap().protected.get("exp_hint"),
        Some(&json!(7))
    );
}

#[test]
fn multi_signature_policies_name_what_must_be_present() {
    use tessera_jose::jws::{Header, JwsBuilder, SignaturePolicy};
    let rsa = keys().rsa.clone().with_kid("rsa1");
    let ec = keys().ec.clone().with_kid("ec1");
    let jws = JwsBuilder::new(b"deal")
        .signature(
            &Signer::new(&rsa, JwsAlg::RS256).unwrap(),
            Header::new(JwsAlg::RS256).kid("rsa1"),
            Some(Header::empty().param("note", "unprotected")),
        )
        .signature(
            &Signer::new(&ec, JwsAlg::ES256).unwrap(),
            Header::new(JwsAlg::ES256).kid("ec1"),
            None,
        )
        .general()
        .unwrap();
    // An attacker strips the EC signature: what remains still "all verifies".
    let mut doc: Value = serde_json::from_str(&jws).unwrap();
    doc["signatures"].as_array_mut().unwrap().truncate(1);
    let stripped = doc.to_string();
    let set = || JwkSet::from(vec![rsa.to_public().unwrap(), ec.to_public().unwrap()]);
    let build = |p: SignaturePolicy| {
        JwsVerifier::builder(set())
            .algorithms([JwsAlg::RS256, JwsAlg::ES256])
            .signature_policy(p)
            .build()
    };
    let both = build(SignaturePolicy::Signers(vec!["rsa1".into(), "ec1".into()])).unwrap();
    let two = build(SignaturePolicy::AtLeast(2)).unwrap();
    for v in [&both, &two] {
        assert!(v.verify(&jws).is_ok());
        assert!(v.verify(&stripped).is_err());
    }
    // Header values stay apart: the unprotected one is never merged into the protected one.
    let out = both.verify(&jws).unwrap();
    let first = out.verified().next().unwrap();
    assert_eq!(first.protected.get_str("note"), None);
    assert_eq!(first.unprotected.get_str("note"), Some("unprotected"));
    // Policies that ask for nothing, or for a signer no key is, are configuration errors.
    assert!(build(SignaturePolicy::AtLeast(0)).is_err());
    assert!(build(SignaturePolicy::Signers(vec![])).is_err());
    assert!(build(SignaturePolicy::Signers(vec!["nobody".into()])).is_err());
}

#[test]
fn errors_escape_what_the_token_says() {
    let v = hs_verifier();
    let err = JwsAlg::from_name("HS256\u{202e}<img src=x>").unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains('\u{202e}') && !msg.contains('<'), "{msg}");
    // serde's "unknown variant" names the token's value: it is not echoed.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Typed {
        role: Role,
    }
    #[derive(Debug, serde::Deserialize)]
    enum Role {
        Admin,
    }
    let mut c = claims();
    c["role"] = json!("\u{200b}<b>root</b>");
    let token = forge(r#"{"alg":"HS256"}"#, &c.to_string(), Some(&hs_signer()));
    let err = v.verify::<Typed>(&token).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Claims(_)), "{err:?}");
    assert!(!msg.contains("root") && !msg.contains('\u{200b}'), "{msg}");
    assert!(msg.contains("unknown variant"), "{msg}");
}

/// A 2048-bit modulus with the ROCA fingerprint, constructed for this test as Infineon RSALib's
/// primes are (n = k·M + (65537^c mod M), M the product of the 38 primes 3..=167, c =
/// 1018338530599, k random, Python's `random.seed(15361)`): n mod r lies in ⟨65537⟩ mod r for
/// every listed prime r. It is not a product of two primes; the fingerprint test only reads
/// the residues.
const ROCA_N: &str = "tzpq8IfzStxsQy8Px87kWU7vPSLluAR7vQaV995vFAT_phiszJFDrs9yhbh_HxYqwtCCEwTSvBNwiTYMbfE7W0rD2FYZf_VtEis_tCoNRDdXcnoRkK1dg0Rv2ZyPIDicIepo1bWF3ABRTyBzxn9LbTXEpilPDmPOgEBY-MBOL5TfXnOjj1G0UKW1pe7lpBt-sxCg3O8NhhMJPx7rPmpKDPRMGKCb33xGFTJ5Zw4QNDN9UDrSJ40WydKDK6vYErASfWtQeHFQ9cL14PBAPTPBs9DAsyJ8Xgu4BAYcqKptEr5xoo6LUGsRMDijn1FFFMINADhNxflzOoFexj78C5s8zw";

#[test]
fn weak_rsa_keys_are_refused_on_import() {
    use tessera_jose::error::KeyProblem;
    let rsa = |n: &str, e: &str| Jwk::from_json(&json!({"kty": "RSA", "n": n, "e": e}).to_string());
    assert_eq!(
        rsa(ROCA_N, "AQAB").unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaRoca)
    );
    // The same modulus plus 2 (still odd) has lost the fingerprint.
    let mut bytes = b64::decode(ROCA_N).unwrap();
    *bytes.last_mut().unwrap() += 2;
    assert!(rsa(&b64::encode(&bytes), "AQAB").is_ok());
    // Generated keys never carry it.
    assert!(Jwk::from_json(&keys().rsa.to_public().unwrap().to_json()).is_ok());
    // Public exponents below 65537 (3, 17, 257) are refused; 65537 and larger odd ones pass.
    let n = json!(keys().rsa.to_public().unwrap().to_value()["n"]);
    let n = n.as_str().unwrap();
    for e in [3u32, 17, 257, 65_535] {
        assert_eq!(
            rsa(n, &b64::encode(e.to_be_bytes())).unwrap_err(),
            Error::InvalidKey(KeyProblem::RsaExponent),
            "{e}"
        );
    }
    assert!(rsa(n, &b64::encode(65_539u32.to_be_bytes())).is_ok());
    // Sizes outside 2048..=8192 bits are refused on import, not misreported later.
    let mut big = vec![0xffu8; 8320 / 8];
    *big.last_mut().unwrap() = 0xfb;
    assert_eq!(
        rsa(&b64::encode(&big), "AQAB").unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaTooLarge)
    );
    let mut top = vec![0xffu8; 8192 / 8];
    *top.last_mut().unwrap() = 0xfb;
    assert!(rsa(&b64::encode(&top), "AQAB").is_ok());
}

#[test]
fn secret_keys_cannot_leak_through_public_paths() {
    use tessera_jose::error::KeyProblem;
    let secret = Jwk::generate(JwsAlg::HS256).unwrap();
    // No "public part" of a secret: publishing it would publish the secret.
    assert_eq!(
        secret.to_public().unwrap_err(),
        Error::InvalidKey(KeyProblem::NoPublicPart)
    );
    assert!(JwkSet::from(secret.clone()).to_public().keys().is_empty());
    // Its default kid is random, not a hash of the secret (an offline guessing oracle).
    assert_ne!(
        secret.kid().unwrap(),
        secret.thumbprint(tessera_jose::jwk::ThumbprintHash::Sha256)
    );
    // Generated secrets have at least 128 bits.
    assert!(Jwk::generate_oct(15).is_err());
    assert!(Jwk::generate_oct(16).is_ok());
    // Equality still tells secrets apart (and is computed in constant time).
    let same = Jwk::from_json(&secret.to_json()).unwrap();
    assert_eq!(same, secret);
    let mut other = json!(secret.to_value());
    let mut k = b64::decode(other["k"].as_str().unwrap()).unwrap();
    k[31] ^= 1;
    other["k"] = json!(b64::encode(&k));
    assert_ne!(Jwk::from_json(&other.to_string()).unwrap(), secret);
}

#[test]
fn jwk_deserialize_applies_the_same_checks_as_from_json() {
    let key = keys().ec.to_public().unwrap().to_json();
    // A duplicate member: serde_json's own Map would keep the last one silently.
    let dup = key
        .replacen('{', r#"{"kid":"a","#, 1)
        .replacen('}', r#","kid":"b"}"#, 1);
    assert!(Jwk::from_json(&dup).is_err());
    assert!(serde_json::from_str::<Jwk>(&dup).is_err());
    // Deep nesting in an unknown member.
    let deep = format!(
        "{},\"ext\":{}1{}}}",
        &key[..key.len() - 1],
        "[".repeat(40),
        "]".repeat(40)
    );
    assert!(Jwk::from_json(&deep).is_err());
    assert!(serde_json::from_str::<Jwk>(&deep).is_err());
    // The key itself deserializes, and inside a larger document too.
    let parsed: Jwk = serde_json::from_str(&key).unwrap();
    assert_eq!(parsed, Jwk::from_json(&key).unwrap());
    let doc: Vec<Jwk> = serde_json::from_str(&format!("[{key}]")).unwrap();
    assert_eq!(doc.len(), 1);
}
