//! JWK import policy, PEM/DER formats, generation and JWKS key selection.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use tessera_jose::error::{KeyProblem, Malformed};
use tessera_jose::jwk::{KeyQuery, KeyUse, ThumbprintHash};
use tessera_jose::jws::Signer;
use tessera_jose::{Error, Jwk, JwkSet, JwsAlg, b64};

fn rsa() -> Jwk {
    use std::sync::OnceLock;
    static K: OnceLock<Jwk> = OnceLock::new();
    K.get_or_init(|| Jwk::generate(JwsAlg::PS256).unwrap())
        .clone()
}

fn value(k: &Jwk) -> serde_json::Value {
    k.to_value()
}

#[test]
fn generated_keys_have_thumbprint_kids_and_alg() {
    for alg in JwsAlg::ALL.into_iter().filter(|a| a.is_supported()) {
        if matches!(
            alg,
            JwsAlg::RS256 | JwsAlg::RS384 | JwsAlg::RS512 | JwsAlg::PS384 | JwsAlg::PS512
        ) {
            continue; // RSA generation is covered once below; it is slow in debug builds.
        }
        let key = Jwk::generate(alg).unwrap();
        if key.kty() == tessera_jose::alg::Kty::Oct {
            // A secret's thumbprint is a hash of the secret: its kid is random instead.
            assert_ne!(key.kid().unwrap(), key.thumbprint(ThumbprintHash::Sha256));
            assert_eq!(key.kid().unwrap().len(), 22, "{alg}");
            assert_ne!(Jwk::generate(alg).unwrap().kid(), key.kid());
        } else {
            assert_eq!(
                key.kid().unwrap(),
                key.thumbprint(ThumbprintHash::Sha256),
                "{alg}"
            );
        }
        assert_eq!(key.alg(), Some(alg.name()));
        assert_eq!(key.allowed_algorithms(), vec![alg]);
    }
    let key = rsa();
    assert_eq!(key.alg(), Some("PS256"));
    assert!(Jwk::generate_rsa(1024).is_err());
}

#[test]
fn rsa_import_policy() {
    let small_n = b64::encode([0xc5u8; 128]);
    assert_eq!(
        Jwk::from_json(&json!({"kty":"RSA","n":small_n,"e":"AQAB"}).to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaTooSmall)
    );
    let mut v = value(&rsa().to_public().unwrap());
    v["e"] = json!(b64::encode([1, 0, 0]));
    assert_eq!(
        Jwk::from_json(&v.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaExponent)
    );
    v["e"] = json!("AQ");
    assert_eq!(
        Jwk::from_json(&v.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaExponent)
    );
    let mut p = value(&rsa());
    p["oth"] = json!([{"r": "AQAB", "d": "AQAB", "t": "AQAB"}]);
    assert_eq!(
        Jwk::from_json(&p.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaMultiPrime)
    );
    let mut p = value(&rsa());
    p.as_object_mut().unwrap().remove("qi");
    assert_eq!(
        Jwk::from_json(&p.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::RsaMissingCrt)
    );
    let mut p = value(&rsa());
    p["d"] = value(&Jwk::generate_rsa(2048).unwrap())["d"].clone();
    assert_eq!(
        Jwk::from_json(&p.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::Inconsistent)
    );
    // A leading zero octet in n (seen in the wild) is tolerated and normalized.
    let mut z = value(&rsa().to_public().unwrap());
    let n = b64::decode(z["n"].as_str().unwrap()).unwrap();
    z["n"] = json!(b64::encode([vec![0], n].concat()));
    assert_eq!(
        Jwk::from_json(&z.to_string()).unwrap(),
        rsa().to_public().unwrap()
    );
}

#[test]
fn ec_okp_oct_and_alg_import_policy() {
    let ec = Jwk::generate(JwsAlg::ES256).unwrap();
    let mut off = value(&ec.to_public().unwrap());
    let mut y = b64::decode(off["y"].as_str().unwrap()).unwrap();
    y[31] ^= 1;
    off["y"] = json!(b64::encode(&y));
    assert_eq!(
        Jwk::from_json(&off.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::EcPoint)
    );
    let mut short = value(&ec.to_public().unwrap());
    short["x"] = json!(b64::encode([1u8; 31]));
    assert_eq!(
        Jwk::from_json(&short.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::Length)
    );
    let mut wrong_d = value(&ec);
    wrong_d["d"] = value(&Jwk::generate(JwsAlg::ES256).unwrap())["d"].clone();
    assert!(Jwk::from_json(&wrong_d.to_string()).is_err());
    let mut crv = value(&ec.to_public().unwrap());
    crv["crv"] = json!("X25519");
    assert_eq!(
        Jwk::from_json(&crv.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::WrongCurve)
    );
    // alg must fit kty and crv.
    let mut mismatch = value(&ec.to_public().unwrap());
    mismatch["alg"] = json!("ES384");
    assert_eq!(
        Jwk::from_json(&mismatch.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::AlgMismatch)
    );
    mismatch["alg"] = json!("HS256");
    assert_eq!(
        Jwk::from_json(&mismatch.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::AlgMismatch)
    );
    // HMAC keys at least as long as the hash.
    let k = b64::encode([7u8; 31]);
    assert_eq!(
        Jwk::from_json(&json!({"kty":"oct","k":k,"alg":"HS256"}).to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::HmacTooShort)
    );
    let k32 = Jwk::from_json(&json!({"kty":"oct","k":b64::encode([7u8; 32])}).to_string()).unwrap();
    assert_eq!(k32.allowed_algorithms(), vec![JwsAlg::HS256]);
    assert_eq!(
        Signer::new(&k32, JwsAlg::HS512).unwrap_err(),
        Error::InvalidKey(KeyProblem::HmacTooShort)
    );
    assert_eq!(
        Signer::hmac(&[1; 16], JwsAlg::HS256).unwrap_err(),
        Error::InvalidKey(KeyProblem::HmacTooShort)
    );
    // key_ops without duplicates; members of the wrong type.
    let dup_ops = json!({"kty":"oct","k":b64::encode([7u8; 32]),"key_ops":["sign","sign"]});
    assert_eq!(
        Jwk::from_json(&dup_ops.to_string()).unwrap_err(),
        Error::Malformed(Malformed::Jwk)
    );
    assert!(Jwk::from_json(r#"{"kty":"oct","k":1}"#).is_err());
    assert!(Jwk::from_json(r#"{"kty":"oct","k":"AA==" }"#).is_err());
    assert!(Jwk::from_json(r#"{"k":"AAAA"}"#).is_err());
    assert_eq!(
        Jwk::from_json(r#"{"kty":"oct","k":"AAAA","k":"AAAB"}"#).unwrap_err(),
        Error::Malformed(Malformed::DuplicateMember)
    );
    // Unknown members are kept.
    let extra =
        Jwk::from_json(r#"{"kty":"oct","k":"AAAA","x-custom":{"a":[1,2]},"x5t":"abc"}"#).unwrap();
    assert_eq!(extra.to_value()["x-custom"], json!({"a":[1,2]}));
    assert_eq!(extra.to_value()["x5t"], "abc");
    // X25519 private and public must agree.
    let x = Jwk::generate_x25519().unwrap();
    let mut bad = value(&x);
    bad["x"] = value(&Jwk::generate_x25519().unwrap())["x"].clone();
    assert_eq!(
        Jwk::from_json(&bad.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::Inconsistent)
    );
}

#[test]
fn key_use_and_key_ops_are_honoured() {
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let enc = key.clone().with_use(KeyUse::Enc);
    assert_eq!(
        Signer::new(&enc, JwsAlg::ES256).unwrap_err(),
        Error::InvalidKey(KeyProblem::UsageNotAllowed)
    );
    let verify_only = key.clone().with_key_ops(["verify"]).unwrap();
    assert!(Signer::new(&verify_only, JwsAlg::ES256).is_err());
    let v = tessera_jose::jws::JwsVerifier::builder(JwkSet::from(enc.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .build();
    assert_eq!(
        v.unwrap_err().code(),
        "config",
        "an enc key never verifies signatures"
    );
    assert!(
        Signer::new(
            &key.clone().with_key_ops(["sign", "verify"]).unwrap(),
            JwsAlg::ES256
        )
        .is_ok()
    );
    assert!(Signer::new(&key.to_public().unwrap(), JwsAlg::ES256).is_err());
}

#[test]
fn pem_and_der_formats_are_detected_from_content() {
    let rsa = rsa();
    let ec = Jwk::generate(JwsAlg::ES384).unwrap();
    let k1 = Jwk::generate(JwsAlg::ES256K).unwrap();
    for key in [&rsa, &ec, &k1] {
        let pkcs8 = key.to_pem().unwrap();
        let spki = key.to_public_pem().unwrap();
        for pem in [&pkcs8, &spki] {
            let back = Jwk::import(pem.as_bytes()).unwrap();
            assert_eq!(back.thumbprint_input(), key.thumbprint_input());
            // DER of the same document, with no label to go by.
            let (_, der) = pem_rfc7468_decode(pem);
            assert_eq!(
                Jwk::import(&der).unwrap().thumbprint_input(),
                key.thumbprint_input()
            );
        }
    }
    // PKCS#1, both private and public.
    let pkcs1 = rsa.to_pkcs1_pem().unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(Jwk::import(pkcs1.as_bytes()).unwrap().is_private());
    let pkcs1_pub = rsa.to_public().unwrap().to_pkcs1_pem().unwrap();
    assert!(pkcs1_pub.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    assert_eq!(
        Jwk::import(pkcs1_pub.as_bytes()).unwrap(),
        rsa.to_public().unwrap().with_kid_removed().without_alg()
    );
    let (_, der) = pem_rfc7468_decode(&pkcs1);
    assert!(Jwk::from_der(&der).unwrap().is_private());
    // SEC1, with the curve named inside.
    let sec1 = ec.to_sec1_pem().unwrap();
    assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
    let back = Jwk::import(sec1.as_bytes()).unwrap();
    assert_eq!(back.thumbprint_input(), ec.thumbprint_input());
    assert!(back.is_private());
    // Text around the PEM block is ignored; garbage is an error, never a panic.
    let noisy = format!("subject=CN=test\n{}", ec.to_public_pem().unwrap().as_str());
    assert!(Jwk::import(noisy.as_bytes()).is_ok());
    assert!(
        Jwk::from_pem(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        )
        .is_err()
    );
    assert_eq!(
        Jwk::from_der(b"\x30\x03\x02\x01\x00").unwrap_err(),
        Error::Malformed(Malformed::Pem)
    );
}

fn pem_rfc7468_decode(pem: &str) -> (String, Vec<u8>) {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let label = pem.lines().next().unwrap().to_owned();
    (
        label,
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap(),
    )
}

#[test]
fn certificate_public_key() {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../test-vectors/rfc7517/appendices.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let b64cert = v["B"]["jwk"]["x5c"][0].as_str().unwrap();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        wrap(b64cert)
    );
    let from_cert = Jwk::import(pem.as_bytes()).unwrap();
    assert_eq!(
        from_cert.thumbprint_input(),
        Jwk::from_json(&v["B"]["jwk"].to_string())
            .unwrap()
            .thumbprint_input()
    );
}

fn wrap(s: &str) -> String {
    s.as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn jwks_selection() {
    let a = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("shared");
    let b = Jwk::generate(JwsAlg::EdDSA).unwrap().with_kid("shared");
    let c = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("other");
    let set = JwkSet::from(vec![a.clone(), b.clone(), c.clone()]);
    let q = |kid: Option<&'static str>, alg: Option<JwsAlg>| KeyQuery {
        kid,
        alg,
        ..KeyQuery::default()
    };
    // The shared kid is told apart by algorithm.
    assert_eq!(
        set.select(&q(Some("shared"), Some(JwsAlg::ES256))).unwrap(),
        &a
    );
    assert_eq!(
        set.select(&q(Some("shared"), Some(JwsAlg::EdDSA))).unwrap(),
        &b
    );
    assert_eq!(
        set.select(&q(Some("shared"), None)).unwrap_err(),
        Error::AmbiguousKey
    );
    assert_eq!(
        set.select(&q(None, Some(JwsAlg::ES256))).unwrap_err(),
        Error::AmbiguousKey
    );
    assert_eq!(
        set.select(&q(Some("nope"), None)).unwrap_err(),
        Error::NoMatchingKey
    );
    assert_eq!(
        set.select(&q(Some("other"), Some(JwsAlg::EdDSA)))
            .unwrap_err(),
        Error::NoMatchingKey
    );
    let by_type = KeyQuery {
        kty: Some(tessera_jose::alg::Kty::Okp),
        ..KeyQuery::default()
    };
    assert_eq!(set.select(&by_type).unwrap(), &b);
    let private = KeyQuery {
        kid: Some("other"),
        private: true,
        ..KeyQuery::default()
    };
    assert_eq!(
        set.to_public().select(&private).unwrap_err(),
        Error::NoMatchingKey
    );

    // A verification key source is stricter than a set: a kid names one key.
    assert_eq!(
        tessera_jose::jwt::Verifier::builder(set.to_public())
            .algorithms_from_keys()
            .build()
            .unwrap_err(),
        Error::DuplicateKid("shared".into())
    );
    // The JWT verifier applies the same rules to a token's kid and alg.
    let signer = tessera_jose::jwt::JwtSigner::new(Signer::new(&a, JwsAlg::ES256).unwrap());
    let token = tessera_jose::jwt::Claims::new()
        .expires_in(std::time::Duration::from_secs(60))
        .sign(&signer)
        .unwrap();
    let verifier = tessera_jose::jwt::Verifier::builder(JwkSet::from(vec![
        a.to_public().unwrap(),
        c.to_public().unwrap(),
    ]))
    .algorithms_from_keys()
    .build()
    .unwrap();
    assert!(verifier.verify::<serde_json::Value>(&token).is_ok());
    // Without a kid, two ES256 keys are ambiguous: the verifier does not guess.
    let anon = tessera_jose::jwt::JwtSigner::new(
        Signer::new(&a.clone().with_kid_removed(), JwsAlg::ES256).unwrap(),
    );
    let token = tessera_jose::jwt::Claims::new()
        .expires_in(std::time::Duration::from_secs(60))
        .sign(&anon)
        .unwrap();
    assert_eq!(
        verifier.verify::<serde_json::Value>(&token).unwrap_err(),
        Error::AmbiguousKey
    );

    // Lenient parsing skips what it does not understand and says so; strict parsing refuses.
    let doc = format!(
        r#"{{"keys":[{},{{"kty":"PQ","x":"y"}},{{"kty":"RSA","n":"AQAB","e":"AQAB"}}],"note":"kept"}}"#,
        a.to_public().unwrap().to_json()
    );
    let lenient = JwkSet::from_json(&doc).unwrap();
    assert_eq!(lenient.keys().len(), 1);
    assert_eq!(lenient.skipped().len(), 2);
    assert!(lenient.to_json().contains(r#""note":"kept""#));
    assert!(JwkSet::from_json_strict(&doc).is_err());
    assert!(JwkSet::from_json(r#"{"keys":{}}"#).is_err());
}

#[test]
fn debug_never_shows_key_material() {
    for key in [
        rsa(),
        Jwk::generate(JwsAlg::ES256).unwrap(),
        Jwk::generate(JwsAlg::HS256).unwrap(),
    ] {
        let debug = format!("{key:?}");
        for member in ["d", "p", "q", "k"] {
            if let Some(secret) = key.to_value().get(member).and_then(|v| v.as_str()) {
                assert!(!debug.contains(secret));
            }
        }
    }
}

#[test]
fn public_keys_get_the_public_operations() {
    let key = Jwk::generate(JwsAlg::ES256)
        .unwrap()
        .with_key_ops(["sign"])
        .unwrap();
    assert_eq!(key.to_public().unwrap().key_ops().unwrap(), ["verify"]);
    let both = Jwk::generate(JwsAlg::ES256)
        .unwrap()
        .with_key_ops(["sign", "verify"])
        .unwrap();
    assert_eq!(both.to_public().unwrap().key_ops().unwrap(), ["verify"]);
    // The public key of a signing-only private key verifies what the private key signs.
    let signer = tessera_jose::jwt::JwtSigner::new(Signer::new(&key, JwsAlg::ES256).unwrap());
    let token = tessera_jose::jwt::Claims::new()
        .expires_in(std::time::Duration::from_secs(60))
        .sign(&signer)
        .unwrap();
    let verifier = tessera_jose::jwt::Verifier::builder(JwkSet::from(key.to_public().unwrap()))
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert!(verifier.verify::<serde_json::Value>(&token).is_ok());
}

/// `Signer::from_key_bytes` skips only the duplicate import-time check: the signing key it
/// builds refuses the same inconsistent keys that `Jwk::import` refuses.
#[test]
fn signer_from_key_bytes_checks_the_material() {
    use tessera_jose::jws::Signer;
    for alg in [JwsAlg::ES256, JwsAlg::ES384, JwsAlg::EdDSA, JwsAlg::HS256] {
        let key = Jwk::generate(alg).unwrap();
        let ok = Signer::from_key_bytes(key.to_json().as_bytes(), alg).unwrap();
        assert_eq!(ok.kid(), key.kid());
        if alg != JwsAlg::HS256 {
            let pem = key.to_pem().unwrap();
            assert!(Signer::from_key_bytes(pem.as_bytes(), alg).is_ok());
            // The public part of another key: refused both ways.
            let other = Jwk::generate(alg).unwrap().to_value();
            let mut bad = key.to_value();
            for m in ["x", "y"] {
                if let Some(v) = other.get(m) {
                    bad[m] = v.clone();
                }
            }
            assert!(Jwk::from_json(&bad.to_string()).is_err(), "{alg}");
            assert!(
                Signer::from_key_bytes(bad.to_string().as_bytes(), alg).is_err(),
                "{alg}"
            );
        }
    }
    let short = r#"{"kty":"oct","k":"c2hvcnQ"}"#;
    assert!(Signer::from_key_bytes(short.as_bytes(), JwsAlg::HS256).is_err());
    let rsa = Jwk::generate(JwsAlg::RS256).unwrap();
    let mut bad = rsa.to_value();
    bad["d"] = bad["dp"].clone();
    assert!(Signer::from_key_bytes(bad.to_string().as_bytes(), JwsAlg::RS256).is_err());
    assert!(
        Signer::from_key_bytes(rsa.to_public().unwrap().to_json().as_bytes(), JwsAlg::RS256)
            .is_err()
    );
}

/// A token's `kid` selects the key with that `kid`; when no key has it, a key without `kid`
/// (which no token can name) serves; keys with another `kid` never do.
#[test]
fn kid_selects_exactly_then_falls_back_to_keys_without_kid() {
    use tessera_jose::jws::{Header, JwsBuilder, JwsVerifier};
    let named = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("a");
    let unnamed = Jwk::generate(JwsAlg::ES256).unwrap().with_kid_removed();
    let sign = |key: &Jwk, kid: &str| {
        JwsBuilder::new(b"p")
            .signature(
                &Signer::new(key, JwsAlg::ES256).unwrap(),
                Header::new(JwsAlg::ES256).kid(kid),
                None,
            )
            .compact()
            .unwrap()
    };
    let set = JwkSet::from(vec![
        named.to_public().unwrap(),
        unnamed.to_public().unwrap(),
    ]);
    let v = JwsVerifier::builder(set)
        .algorithms([JwsAlg::ES256])
        .build()
        .unwrap();
    assert!(v.verify(&sign(&named, "a")).is_ok());
    assert!(v.verify(&sign(&unnamed, "b")).is_ok());
    // "a" names the key with kid "a": the key without kid is not tried.
    assert_eq!(
        v.verify(&sign(&unnamed, "a")).unwrap_err(),
        Error::SignatureInvalid
    );
    // Only keys with other kids: no match.
    let only_named = JwsVerifier::builder(JwkSet::from(named.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .build()
        .unwrap();
    assert_eq!(
        only_named.verify(&sign(&named, "b")).unwrap_err(),
        Error::NoMatchingKey
    );
    // Two keys without kid: ambiguous for any kid.
    let two = JwkSet::from(vec![
        unnamed.to_public().unwrap(),
        Jwk::generate(JwsAlg::ES256)
            .unwrap()
            .with_kid_removed()
            .to_public()
            .unwrap(),
    ]);
    let v = JwsVerifier::builder(two)
        .algorithms([JwsAlg::ES256])
        .build()
        .unwrap();
    assert_eq!(
        v.verify(&sign(&unnamed, "x")).unwrap_err(),
        Error::AmbiguousKey
    );
}

/// PEM as OpenSSL writes it: PKCS#8 v1 for Ed25519/X25519, parameter blocks before an EC key,
/// password-protected PKCS#8; keys that cannot be used are named.
#[test]
fn pem_as_openssl_writes_it() {
    use tessera_jose::error::KeyProblem;
    // Ed25519 PKCS#8 is the 48-byte version 1 form (no public key), and reads back.
    let ed = Jwk::generate(JwsAlg::EdDSA).unwrap();
    let der = ed.to_pkcs8_der().unwrap();
    assert_eq!(der.len(), 48);
    assert_eq!(der[4], 0, "version 1 (v1 = 0)");
    let back = Jwk::from_der(&der).unwrap();
    assert_eq!(back.thumbprint_input(), ed.thumbprint_input());
    let x = Jwk::generate_x25519().unwrap();
    assert_eq!(x.to_pkcs8_der().unwrap().len(), 48);
    // `openssl ecparam -genkey` writes the curve's parameters first.
    let ec = Jwk::generate(JwsAlg::ES256).unwrap();
    let sec1 = ec.to_sec1_pem().unwrap();
    let with_params = format!(
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
        *sec1
    );
    assert_eq!(
        Jwk::from_pem(&with_params).unwrap().thumbprint_input(),
        ec.thumbprint_input()
    );
    // Password-protected PKCS#8.
    let encrypted = ec.to_encrypted_pem(b"pw", 10_000).unwrap();
    assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert_eq!(
        Jwk::from_pem(&encrypted).unwrap_err(),
        Error::InvalidKey(KeyProblem::Encrypted)
    );
    let read = Jwk::from_pem_with_password(&encrypted, b"pw").unwrap();
    assert!(read.is_private());
    assert_eq!(read.thumbprint_input(), ec.thumbprint_input());
    assert_eq!(
        Jwk::from_pem_with_password(&encrypted, b"wrong").unwrap_err(),
        Error::DecryptionFailed
    );
    assert!(ec.to_encrypted_pem(b"pw", 100).is_err());
    assert!(ec.to_encrypted_pem(b"", 10_000).is_err());
    // An unencrypted key reads the same with or without a password.
    assert!(Jwk::import_with_password(ec.to_pem().unwrap().as_bytes(), b"x").is_ok());
    // Keys this crate cannot use say what they are (a DSA public key, SPKI).
    // Generated for this test: `openssl genpkey -genparam -algorithm DSA -pkeyopt
    // dsa_paramgen_bits:1024`, then `openssl genpkey` and `openssl pkey -pubout`.
    let dsa = "-----BEGIN PUBLIC KEY-----\nMIIBvzCCATMGByqGSM44BAEwggEmAoGBAMPZaM3BA5eZmmJ6XtTpnOVxSLeP69UF\nmK2DrP0kRB37q2TAqmQYbSiNlCznO1MwEtVZb5+PqAnsYlRexDxCPLhZ3lBW65Bh\nzAlpWsmK0U0HKbpyGc3uHNGQ3pag27xF/bYLKsNj3p3qLWDKQOUxwwAPWQo0EIS3\n1Jlh9PFt2+31Ah0Aml9DKKhGX56rM8mVWPLYgoqUNXWL1E2Mt0NV/wKBgEAMT3t4\nd4z4sb+t5bHG63Z82HCyE/RqDY8lOR3ky6p55woqUe12chYnnSmTYEAUiOZeDqb7\nWMJk28rHSPLpuGjLnNSIYinF+cHdtMSabQ7knl/UqiQRHTnW4sJV8HAftbLamX8L\nubP/Xwax8vkJ4yGB1QUA5KOqVZwEzL25CchLA4GFAAKBgQCGJq7Q5c27FF/dY6m7\nMbE2a6i/+OH8/g1Ec4mQVoqI+BD9rxfdeM6p4ChvvOnLHXfkkvvKhQFlWVmfj4Fs\nft3AhimzBqO3cjzhj/h9Ly8OdLWI9PQjVRqdGdSzVpldCWmFuxPSugbu10CSz8on\n6ewzBMrAsA2GlPZvvQOGvpYXDw==\n-----END PUBLIC KEY-----\n";
    match Jwk::from_pem(dsa) {
        Err(Error::UnsupportedAlgorithm(what)) => assert!(what.contains("DSA"), "{what}"),
        other => panic!("{other:?}"),
    }
}
