//! Encrypted and nested JWTs: the caller states what it expects (signed, encrypted or nested),
//! both layers' policies apply, and the claims are validated exactly as for signed tokens.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::Value;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Claims, FixedClock, JwtEncrypter, JwtSigner, Verifier};
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwkSet, JwsAlg};

const NOW: i64 = 1_800_000_000;

struct Keys {
    sig: Jwk,
    enc: Jwk,
}

fn keys() -> Keys {
    Keys {
        sig: Jwk::generate(JwsAlg::ES256).unwrap(),
        enc: Jwk::generate_jwe(JweAlg::A128KW).unwrap(),
    }
}

fn claims() -> Claims {
    Claims::with_clock(&FixedClock(NOW))
        .issuer("https://issuer.example")
        .subject("u1")
        .audience("api")
        .expires_in(Duration::from_secs(300))
        .issued_now()
}

fn signer(k: &Keys) -> JwtSigner {
    JwtSigner::new(Signer::new(&k.sig, JwsAlg::ES256).unwrap())
}

fn encrypter(k: &Keys) -> JwtEncrypter {
    JwtEncrypter::new(
        Encrypter::new(&k.enc, JweAlg::A128KW).unwrap(),
        Enc::A128Gcm,
    )
}

fn decrypter(k: &Keys) -> Decrypter {
    Decrypter::builder(k.enc.clone())
        .algorithms([JweAlg::A128KW])
        .build()
        .unwrap()
}

fn nested_verifier(k: &Keys, now: i64) -> Verifier {
    Verifier::builder(JwkSet::from(k.sig.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .issuer("https://issuer.example")
        .audience("api")
        .clock(FixedClock(now))
        .decrypt_with(decrypter(k))
        .build()
        .unwrap()
}

fn encrypted_verifier(k: &Keys, now: i64) -> Verifier {
    Verifier::encrypted(decrypter(k))
        .issuer("https://issuer.example")
        .audience("api")
        .typ("JWT")
        .clock(FixedClock(now))
        .build()
        .unwrap()
}

fn signed_verifier(k: &Keys) -> Verifier {
    Verifier::builder(JwkSet::from(k.sig.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .issuer("https://issuer.example")
        .audience("api")
        .clock(FixedClock(NOW))
        .build()
        .unwrap()
}

#[test]
fn nested_round_trip_checks_both_layers() {
    let k = keys();
    let token = claims()
        .sign_and_encrypt(&signer(&k), &encrypter(&k))
        .unwrap();
    assert_eq!(token.split('.').count(), 5);
    let v = nested_verifier(&k, NOW).verify::<Value>(&token).unwrap();
    assert_eq!(v.claims()["sub"], "u1");
    assert_eq!(v.header().unwrap().alg, JwsAlg::ES256);
    let e = v.encryption().unwrap();
    assert_eq!(
        (e.alg, e.enc, e.cty.as_deref()),
        (JweAlg::A128KW, Enc::A128Gcm, Some("JWT"))
    );
    assert_eq!(e.kid.as_deref(), k.enc.kid());
}

#[test]
fn encrypted_round_trip() {
    let k = keys();
    let token = claims().encrypt(&encrypter(&k)).unwrap();
    let v = encrypted_verifier(&k, NOW).verify::<Value>(&token).unwrap();
    assert_eq!(v.claims()["iss"], "https://issuer.example");
    assert!(v.header().is_none());
    assert_eq!(v.encryption().unwrap().typ.as_deref(), Some("JWT"));
}

#[test]
fn claims_are_validated_as_for_signed_tokens() {
    let k = keys();
    let nested = claims()
        .sign_and_encrypt(&signer(&k), &encrypter(&k))
        .unwrap();
    let encrypted = claims().encrypt(&encrypter(&k)).unwrap();
    // Expired (exp = NOW + 300).
    assert_eq!(
        nested_verifier(&k, NOW + 300)
            .verify::<Value>(&nested)
            .unwrap_err(),
        Error::Expired
    );
    assert_eq!(
        encrypted_verifier(&k, NOW + 300)
            .verify::<Value>(&encrypted)
            .unwrap_err(),
        Error::Expired
    );
    // Issued in the future (beyond the default minute of tolerance).
    assert_eq!(
        nested_verifier(&k, NOW - 61)
            .verify::<Value>(&nested)
            .unwrap_err(),
        Error::IssuedAt
    );
    // Wrong issuer and audience, and a claim of the wrong type.
    let with = |name: &str, value: Value| {
        let mut m = claims().as_map().clone();
        m.insert(name.into(), value);
        Value::Object(m)
    };
    for (c, err) in [
        (with("iss", "https://evil.example".into()), Error::Issuer),
        (with("aud", "other".into()), Error::Audience),
        (with("exp", "tomorrow".into()), Error::InvalidClaim("exp")),
    ] {
        let n = encrypter(&k)
            .encrypt_signed(&signer(&k).sign(&c).unwrap())
            .unwrap();
        let e = encrypter(&k).encrypt(&c).unwrap();
        assert_eq!(
            nested_verifier(&k, NOW).verify::<Value>(&n).unwrap_err(),
            err
        );
        assert_eq!(
            encrypted_verifier(&k, NOW).verify::<Value>(&e).unwrap_err(),
            err
        );
    }
}

#[test]
fn the_caller_states_the_expected_kind() {
    let k = keys();
    let signed = claims().sign(&signer(&k)).unwrap();
    let nested = claims()
        .sign_and_encrypt(&signer(&k), &encrypter(&k))
        .unwrap();
    let encrypted = claims().encrypt(&encrypter(&k)).unwrap();
    let kind = |r: Result<_, Error>| matches!(r, Err(Error::TokenKind(_)));
    assert!(kind(signed_verifier(&k).verify::<Value>(&nested)));
    assert!(kind(signed_verifier(&k).verify::<Value>(&encrypted)));
    assert!(kind(nested_verifier(&k, NOW).verify::<Value>(&signed)));
    assert!(kind(nested_verifier(&k, NOW).verify::<Value>(&encrypted)));
    assert!(kind(encrypted_verifier(&k, NOW).verify::<Value>(&signed)));
    assert!(kind(encrypted_verifier(&k, NOW).verify::<Value>(&nested)));
    assert_eq!(Error::TokenKind("a signed JWT").code(), "token_kind");
}

#[test]
fn both_layers_policies_apply() {
    let k = keys();
    // The inner JWS must use an allowed algorithm with the verifier's key.
    let other = Jwk::generate(JwsAlg::ES256)
        .unwrap()
        .with_kid(k.sig.kid().unwrap());
    let forged = claims()
        .sign_and_encrypt(
            &JwtSigner::new(Signer::new(&other, JwsAlg::ES256).unwrap()),
            &encrypter(&k),
        )
        .unwrap();
    assert_eq!(
        nested_verifier(&k, NOW)
            .verify::<Value>(&forged)
            .unwrap_err(),
        Error::SignatureInvalid
    );
    let hs = Jwk::generate(JwsAlg::HS256).unwrap();
    let wrong_alg = claims()
        .sign_and_encrypt(
            &JwtSigner::new(Signer::new(&hs, JwsAlg::HS256).unwrap()),
            &encrypter(&k),
        )
        .unwrap();
    assert_eq!(
        nested_verifier(&k, NOW)
            .verify::<Value>(&wrong_alg)
            .unwrap_err(),
        Error::AlgorithmNotAllowed
    );
    // An unsigned inner token (alg none) is never accepted.
    let none = format!(
        "{}.{}.",
        tessera_jose::b64::encode(r#"{"alg":"none"}"#),
        tessera_jose::b64::encode(serde_json::to_vec(claims().as_map()).unwrap())
    );
    let wrapped = encrypter(&k).encrypt_signed(&none).unwrap();
    assert!(nested_verifier(&k, NOW).verify::<Value>(&wrapped).is_err());
    // The JWE must use an allowed algorithm: A256KW is not A128KW.
    let kw = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let other_jwe = JweBuilder::new(claims().sign(&signer(&k)).unwrap().as_bytes(), Enc::A128Gcm)
        .protected(Header::empty().cty("JWT"))
        .recipient(&Encrypter::new(&kw, JweAlg::A256KW).unwrap())
        .compact()
        .unwrap();
    assert_eq!(
        nested_verifier(&k, NOW)
            .verify::<Value>(&other_jwe)
            .unwrap_err(),
        Error::AlgorithmNotAllowed
    );
    // A tampered JWE is the opaque decryption error.
    let mut p: Vec<String> = claims()
        .sign_and_encrypt(&signer(&k), &encrypter(&k))
        .unwrap()
        .split('.')
        .map(str::to_owned)
        .collect();
    p[3] = tessera_jose::b64::encode(vec![0u8; tessera_jose::b64::decode(&p[3]).unwrap().len()]);
    assert_eq!(
        nested_verifier(&k, NOW)
            .verify::<Value>(&p.join("."))
            .unwrap_err(),
        Error::DecryptionFailed
    );
    // The JWE's `typ` is checked for encrypted JWTs.
    let typed = JwtEncrypter::new(
        Encrypter::new(&k.enc, JweAlg::A128KW).unwrap(),
        Enc::A128Gcm,
    )
    .with_header(Header::empty().typ("secevent+jwt"))
    .encrypt(claims().as_map())
    .unwrap();
    assert_eq!(
        encrypted_verifier(&k, NOW)
            .verify::<Value>(&typed)
            .unwrap_err(),
        Error::Type
    );
    // JSON serializations are not JWTs.
    let json = JweBuilder::new(b"{}", Enc::A128Gcm)
        .recipient(&Encrypter::new(&k.enc, JweAlg::A128KW).unwrap())
        .flattened()
        .unwrap();
    assert!(encrypted_verifier(&k, NOW).verify::<Value>(&json).is_err());
}
