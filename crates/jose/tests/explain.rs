//! `Verifier::explain`: a rejection says what the token had and what the verifier expected,
//! escaped and bounded, and stays silent where the error must stay opaque.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::Value;
use tessera_jose::jwe::{Decrypter, Encrypter};
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{Claims, FixedClock, JwtEncrypter, JwtSigner, Verifier};
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwkSet, JwsAlg};

const NOW: i64 = 1_800_000_000;

fn claims() -> Claims {
    Claims::with_clock(&FixedClock(NOW))
        .issuer("https://issuer.example")
        .subject("u1")
        .audience("api://billing")
        .expires_in(Duration::from_secs(300))
        .issued_now()
}

fn es256(kid: &str) -> Jwk {
    Jwk::generate(JwsAlg::ES256).unwrap().with_kid(kid)
}

fn sign(key: &Jwk, claims: &Claims) -> String {
    claims
        .sign(&JwtSigner::new(Signer::new(key, JwsAlg::ES256).unwrap()))
        .unwrap()
}

/// The rejection and its explanation.
fn rejected(v: &Verifier, token: &str) -> (Error, Option<String>) {
    let err = v.verify::<Value>(token).unwrap_err();
    let explained = v.explain(token, &err);
    (err, explained)
}

#[test]
fn claims_show_what_the_token_had_and_what_was_expected() {
    let key = es256("k1");
    let token = sign(&key, &claims());
    let base = || {
        Verifier::builder(JwkSet::from(key.to_public().unwrap()))
            .algorithms([JwsAlg::ES256])
            .clock(FixedClock(NOW))
    };
    let v = base().audience("api://orders").build().unwrap();
    assert_eq!(
        rejected(&v, &token),
        (
            Error::Audience,
            Some("the token's aud is `api://billing`; expected `api://orders`".into())
        )
    );
    // No audience named is another message than a wrong one.
    let v = base().build().unwrap();
    let (err, why) = rejected(&v, &token);
    assert_eq!(err, Error::Audience);
    assert!(
        why.as_deref()
            .unwrap()
            .contains("no audience was named as accepted"),
        "{why:?}"
    );
    let v = base()
        .audience("api://billing")
        .issuers(["https://a.example", "https://b.example"])
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token).1.unwrap(),
        "the token's iss is `https://issuer.example`; expected `https://a.example`, `https://b.example`"
    );
    let v = base()
        .audience("api://billing")
        .subject("u2")
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token).1.unwrap(),
        "the token's sub is `u1`; expected `u2`"
    );
    let v = base()
        .audience("api://billing")
        .clock(FixedClock(NOW + 400))
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token),
        (
            Error::Expired,
            Some(format!(
                "the token expired at {}, 100 s before now ({}; leeway 0 s)",
                NOW + 300,
                NOW + 400
            ))
        )
    );
    let v = base()
        .audience("api://billing")
        .typ("at+jwt")
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token),
        (
            Error::Type,
            Some("the token's typ is `JWT`; expected `at+jwt`".into())
        )
    );
}

#[test]
fn keys_and_algorithms_on_offer_are_listed() {
    let key = es256("k-old");
    let token = sign(&key, &claims());
    let offered = JwkSet::from(vec![
        es256("k1").to_public().unwrap(),
        es256("k2").to_public().unwrap(),
    ]);
    let v = Verifier::builder(offered)
        .algorithms([JwsAlg::ES256])
        .audience("api://billing")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token),
        (
            Error::NoMatchingKey,
            Some(
                "the token has kid `k-old` (alg `ES256`); keys on offer for `ES256`: `k1`, `k2`"
                    .into()
            )
        )
    );
    let rsa = Jwk::generate(JwsAlg::RS256).unwrap().with_kid("r1");
    let v = Verifier::builder(JwkSet::from(rsa.to_public().unwrap()))
        .algorithms([JwsAlg::RS256, JwsAlg::PS256])
        .audience("api://billing")
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token),
        (
            Error::AlgorithmNotAllowed,
            Some("the token's alg is `ES256`; this verifier accepts RS256, PS256".into())
        )
    );
}

#[test]
fn what_comes_from_the_token_is_escaped_and_bounded() {
    let key = es256("k1");
    let hostile = format!("\u{202e}<script>{}", "a".repeat(500));
    let token = sign(&key, &claims().audience(hostile));
    let v = Verifier::builder(JwkSet::from(key.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .audience("api://orders")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    let why = rejected(&v, &token).1.unwrap();
    assert!(why.contains("\\u{202e}\\u{3c}script\\u{3e}"), "{why}");
    assert!(!why.contains('<') && !why.contains('\u{202e}'), "{why}");
    assert!(why.len() < 200, "bounded: {why}");
    // A kid from the token too.
    let odd = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("k\n1");
    let (_, why) = rejected(&v, &sign(&odd, &claims()));
    assert!(why.unwrap().contains("kid `k\\u{a}1`"));
}

#[test]
fn opaque_errors_stay_opaque() {
    let key = es256("k1");
    let other = es256("k1");
    // Signed by another key with the same kid: the signature fails, and nothing is said.
    let token = sign(&other, &claims());
    let v = Verifier::builder(JwkSet::from(key.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .audience("api://orders")
        .clock(FixedClock(NOW))
        .build()
        .unwrap();
    assert_eq!(rejected(&v, &token), (Error::SignatureInvalid, None));
    assert_eq!(v.explain("not a token", &Error::Audience), None);
}

#[test]
fn nested_tokens_are_explained_from_their_inner_token() {
    let sig = es256("k1");
    let enc = Jwk::generate_jwe(JweAlg::A128KW).unwrap();
    let token = claims()
        .sign_and_encrypt(
            &JwtSigner::new(Signer::new(&sig, JwsAlg::ES256).unwrap()),
            &JwtEncrypter::new(Encrypter::new(&enc, JweAlg::A128KW).unwrap(), Enc::A128Gcm),
        )
        .unwrap();
    let v = Verifier::builder(JwkSet::from(sig.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .audience("api://orders")
        .clock(FixedClock(NOW))
        .decrypt_with(
            Decrypter::builder(enc.clone())
                .algorithms([JweAlg::A128KW])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token).1.unwrap(),
        "the token's aud is `api://billing`; expected `api://orders`"
    );
    // The encryption layer's algorithm, when that is what is refused.
    let other = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let v = Verifier::builder(JwkSet::from(sig.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .audience("api://billing")
        .decrypt_with(
            Decrypter::builder(other)
                .algorithms([JweAlg::A256KW])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        rejected(&v, &token),
        (
            Error::AlgorithmNotAllowed,
            Some("the token's alg is `A128KW`; this verifier decrypts A256KW".into())
        )
    );
}
