//! Property tests: sign→verify round trips for every algorithm and serialization; any change to
//! any byte of a token is rejected; no parser panics on any input.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use tessera_jose::jws::{Header, Jws, JwsBuilder, JwsVerifier, Signer};
use tessera_jose::jwt::{Claims, FixedClock, JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

/// One key per algorithm, generated once (RSA generation is slow).
fn keys() -> &'static HashMap<JwsAlg, Jwk> {
    static KEYS: OnceLock<HashMap<JwsAlg, Jwk>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = Jwk::generate_rsa(2048).unwrap();
        JwsAlg::ALL
            .iter()
            .filter(|a| a.is_supported())
            .map(|&a| {
                let key = match a.family() {
                    tessera_jose::alg::Family::RsaPkcs1 | tessera_jose::alg::Family::RsaPss => {
                        rsa.clone()
                    }
                    _ => Jwk::generate(a).unwrap(),
                };
                (a, key)
            })
            .collect()
    })
}

fn supported() -> Vec<JwsAlg> {
    JwsAlg::ALL
        .iter()
        .copied()
        .filter(|a| a.is_supported())
        .collect()
}

/// What a verifier holds: the public key, or the secret itself for HMAC.
fn verification_key(key: &Jwk) -> Jwk {
    key.to_public().unwrap_or_else(|_| key.clone())
}

fn jws_verifier(alg: JwsAlg) -> JwsVerifier {
    JwsVerifier::builder(JwkSet::from(verification_key(&keys()[&alg])))
        .algorithms([alg])
        .build()
        .unwrap()
}

#[derive(Debug, Clone, Copy)]
enum Form {
    Compact,
    Flattened,
    General,
}

fn build(alg: JwsAlg, payload: &[u8], form: Form, detached: bool, unencoded: bool) -> String {
    let signer = Signer::new(&keys()[&alg], alg).unwrap();
    let mut b = JwsBuilder::new(payload);
    if detached {
        b = b.detached();
    }
    if unencoded {
        b = b.unencoded();
    }
    let b = b.signature(&signer, Header::new(alg), None);
    match form {
        Form::Compact => b.compact(),
        Form::Flattened => b.flattened(),
        Form::General => b.general(),
    }
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_every_algorithm_and_serialization(
        alg_index in 0usize..64,
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        text in "[a-zA-Z0-9 $]{0,40}",
        form in prop_oneof![Just(Form::Compact), Just(Form::Flattened), Just(Form::General)],
        detached in any::<bool>(),
        unencoded in any::<bool>(),
    ) {
        let algs = supported();
        let alg = algs[alg_index % algs.len()];
        let verifier = jws_verifier(alg);
        // Unencoded payloads must be text without '.' to fit the compact form.
        let payload = if unencoded { text.into_bytes() } else { payload };
        let jws = build(alg, &payload, form, detached, unencoded);
        let verified = if detached {
            verifier.verify_detached(&jws, &payload)
        } else {
            verifier.verify(&jws)
        };
        let verified = verified.unwrap();
        prop_assert_eq!(verified.payload(), &payload[..]);
    }

    #[test]
    fn any_byte_change_is_rejected(
        alg_index in 0usize..64,
        payload in proptest::collection::vec(any::<u8>(), 1..64),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let algs = supported();
        let alg = algs[alg_index % algs.len()];
        let token = build(alg, &payload, Form::Compact, false, false);
        let i = position.index(token.len());
        let mut bytes = token.clone().into_bytes();
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let Ok(tampered) = String::from_utf8(bytes) else {
            // Not text: cannot even be handed to the verifier.
            return Ok(());
        };
        prop_assert!(jws_verifier(alg).verify(&tampered).is_err(), "{} accepted after change at {}", alg, i);
    }

    #[test]
    fn jwt_round_trip_and_tamper(
        alg_index in 0usize..64,
        sub in "[a-z0-9]{1,16}",
        position in any::<prop::sample::Index>(),
    ) {
        let algs = supported();
        let alg = algs[alg_index % algs.len()];
        let clock = FixedClock(1_800_000_000);
        let signer = JwtSigner::new(Signer::new(&keys()[&alg], alg).unwrap());
        let token = Claims::with_clock(&clock)
            .subject(sub.clone())
            .expires_in(std::time::Duration::from_secs(60))
            .sign(&signer)
            .unwrap();
        let verifier = Verifier::builder(JwkSet::from(verification_key(&keys()[&alg])))
            .algorithms([alg])
            .subject(sub)
            .clock(clock)
            .build()
            .unwrap();
        prop_assert!(verifier.verify::<serde_json::Value>(&token).is_ok());
        let i = position.index(token.len());
        let mut bytes = token.into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(verifier.verify::<serde_json::Value>(&tampered).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_text(input in ".{0,300}") {
        let _ = Jwk::from_json(&input);
        let _ = JwkSet::from_json(&input);
        let _ = Jwk::from_pem(&input);
        let _ = Jws::parse(&input, 1 << 20);
        let _ = tessera_jose::dangerous::decode_unverified(&input);
        let _ = tessera_jose::dangerous::peek_header_unverified(&input);
        let _ = tessera_jose::json::check(input.as_bytes(), 8);
        let _ = jws_verifier(JwsAlg::HS256).verify(&input);
    }

    #[test]
    fn parsers_never_panic_on_bytes(input in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Jwk::import(&input);
        let _ = Jwk::from_der(&input);
        let _ = tessera_jose::b64::decode(&input);
        let _ = tessera_jose::json::check(&input, 8);
    }

    #[test]
    fn json_shaped_garbage_never_panics(
        parts in proptest::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\""),
            Just("\\"), Just("\"kty\""), Just("\"RSA\""), Just("\"EC\""), Just("\"oct\""),
            Just("\"k\""), Just("\"n\""), Just("\"e\""), Just("\"AQAB\""), Just("\"crv\""),
            Just("\"P-256\""), Just("\"x\""), Just("\"keys\""), Just("1"), Just("null"),
        ], 0..40)
    ) {
        let doc: String = parts.concat();
        let _ = Jwk::from_json(&doc);
        let _ = JwkSet::from_json(&doc);
        let token = format!("{}.{}.", tessera_jose::b64::encode(&doc), tessera_jose::b64::encode(&doc));
        let _ = tessera_jose::dangerous::decode_unverified(&token);
        let _ = jws_verifier(JwsAlg::HS256).verify(&token);
    }
}

#[test]
fn every_algorithm_in_every_serialization() {
    let payload = b"exhaustive round trip";
    for alg in supported() {
        let verifier = jws_verifier(alg);
        for form in [Form::Compact, Form::Flattened, Form::General] {
            for detached in [false, true] {
                for unencoded in [false, true] {
                    let jws = build(alg, payload, form, detached, unencoded);
                    let verified = if detached {
                        verifier.verify_detached(&jws, payload)
                    } else {
                        verifier.verify(&jws)
                    };
                    assert_eq!(
                        verified
                            .unwrap_or_else(|e| panic!(
                                "{alg} {form:?} {detached} {unencoded}: {e}"
                            ))
                            .payload(),
                        payload
                    );
                }
            }
        }
        // Every algorithm also signs and verifies JWTs.
        let signer = JwtSigner::new(Signer::new(&keys()[&alg], alg).unwrap());
        let token = Claims::new()
            .expires_in(std::time::Duration::from_secs(60))
            .sign(&signer)
            .unwrap();
        let v = Verifier::builder(JwkSet::from(verification_key(&keys()[&alg])))
            .algorithms([alg])
            .build()
            .unwrap();
        assert!(v.verify::<serde_json::Value>(&token).is_ok(), "{alg}");
    }
}

#[test]
fn generated_keys_round_trip_through_json_and_pem() {
    for alg in supported() {
        let key = &keys()[&alg];
        assert_eq!(&Jwk::from_json(&key.to_json()).unwrap(), key, "{alg}");
        if key.kty() != tessera_jose::alg::Kty::Oct {
            let pem = key.to_pem().unwrap();
            let back = Jwk::import(pem.as_bytes()).unwrap();
            assert_eq!(back.thumbprint_input(), key.thumbprint_input(), "{alg}");
            assert!(back.is_private());
            let public = Jwk::import(key.to_public_pem().unwrap().as_bytes()).unwrap();
            assert!(!public.is_private());
            let der = Jwk::import(&key.to_spki_der().unwrap()).unwrap();
            assert_eq!(der.thumbprint_input(), key.thumbprint_input(), "{alg}");
        }
    }
    let x25519 = Jwk::generate_x25519().unwrap();
    assert_eq!(Jwk::from_json(&x25519.to_json()).unwrap(), x25519);
    let pem = x25519.to_pem().unwrap();
    assert_eq!(
        Jwk::from_pem(&pem).unwrap().thumbprint_input(),
        x25519.thumbprint_input()
    );
}

#[test]
fn empty_payload_in_every_form() {
    for alg in [JwsAlg::HS256, JwsAlg::ES256] {
        let verifier = jws_verifier(alg);
        for form in [Form::Compact, Form::Flattened, Form::General] {
            for unencoded in [false, true] {
                let jws = build(alg, b"", form, false, unencoded);
                let verified = verifier
                    .verify(&jws)
                    .unwrap_or_else(|e| panic!("{form:?} {unencoded}: {e}: {jws}"));
                assert!(verified.payload().is_empty());
                // The same JWS also verifies as detached content of zero bytes.
                if matches!(form, Form::Compact) {
                    assert!(verifier.verify_detached(&jws, b"").is_ok());
                    assert!(verifier.verify_detached(&jws, b"x").is_err());
                }
            }
        }
    }
}
