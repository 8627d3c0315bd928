//! RFC 7520 (JOSE cookbook): every JWK example (§3) and every JWS example (§4), plus the cookbook's
//! Ed25519 JWS. Deterministic signatures are reproduced byte for byte; every published
//! serialization is verified.
#![allow(clippy::unwrap_used)]

mod common;

use common::{alg, jwk, s, vector};
use serde_json::Value;
use tessera_jose::jws::{Header, JwsBuilder, JwsVerifier, SignaturePolicy, Signer};
use tessera_jose::{JwkSet, JwsAlg, b64};

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn jws_case(file: &str) {
    let v = vector(file);
    let payload = s(&v["input"], "payload").as_bytes();
    let keys: Vec<_> = as_list(&v["input"]["key"]).iter().map(jwk).collect();
    let algs: Vec<JwsAlg> = as_list(&v["input"]["alg"])
        .iter()
        .map(|a| alg(a.as_str().unwrap()))
        .collect();
    let signings = as_list(&v["signing"]);
    let detached = v["output"]["json"].get("payload").is_none();

    // Verify every published serialization with the public keys. One verifier per key: the
    // §4.8 example mixes an HMAC secret with public keys under a shared kid, which no single
    // verification key source may hold.
    let verifiers: Vec<JwsVerifier> = keys
        .iter()
        .zip(&algs)
        .map(|(k, a)| {
            JwsVerifier::builder(JwkSet::from(k.to_public().unwrap_or_else(|_| k.clone())))
                .algorithms([*a])
                .signature_policy(SignaturePolicy::AtLeast(1))
                .build()
                .unwrap()
        })
        .collect();
    let outputs: Vec<String> = ["compact", "json", "json_flat"]
        .iter()
        .filter_map(|form| match &v["output"][form] {
            Value::Null => None,
            Value::String(c) => Some(c.clone()),
            other => Some(other.to_string()),
        })
        .collect();
    assert!(!outputs.is_empty());
    for out in &outputs {
        let mut count = 0;
        for verifier in &verifiers {
            let verified = if detached {
                verifier.verify_detached(out, payload)
            } else {
                verifier.verify(out)
            }
            .unwrap_or_else(|e| panic!("{file}: {e}: {out}"));
            assert_eq!(verified.payload(), payload, "{file}");
            count += verified.verified().count();
        }
        assert_eq!(count, signings.len(), "{file}");
    }

    // Produce the same JWS from the inputs.
    let signers: Vec<Signer> = keys
        .iter()
        .zip(&algs)
        .map(|(k, a)| Signer::new(k, *a).unwrap())
        .collect();
    let protected_json: Vec<Option<String>> = signings
        .iter()
        .map(|sig| {
            sig.get("protected_b64u")
                .map(|p| String::from_utf8(b64::decode(p.as_str().unwrap()).unwrap()).unwrap())
        })
        .collect();
    let mut builder = JwsBuilder::new(payload);
    if detached {
        builder = builder.detached();
    }
    for ((sig, signer), protected) in signings.iter().zip(&signers).zip(&protected_json) {
        let unprotected = sig
            .get("unprotected")
            .map(|u| Header::from_map(u.as_object().unwrap().clone()));
        builder = match protected {
            Some(p) => builder.signature_raw_protected(signer, p, unprotected),
            None => builder.signature(signer, Header::empty(), unprotected),
        };
    }
    let reproducible = v["reproducible"].as_bool().unwrap_or(false);
    let ours_general: Value = serde_json::from_str(&builder.general().unwrap()).unwrap();
    let theirs_general = &v["output"]["json"];
    if reproducible {
        assert_eq!(&ours_general, theirs_general, "{file}: general JSON");
    } else {
        // Randomized signatures: everything but the signature values must match.
        let strip = |g: &Value| {
            let mut g = g.clone();
            for sig in g["signatures"].as_array_mut().unwrap() {
                sig.as_object_mut().unwrap().remove("signature");
            }
            g
        };
        assert_eq!(
            strip(&ours_general),
            strip(theirs_general),
            "{file}: general JSON"
        );
    }
    let general_text = ours_general.to_string();
    for verifier in &verifiers {
        let ours_ok = if detached {
            verifier.verify_detached(&general_text, payload)
        } else {
            verifier.verify(&general_text)
        };
        assert!(ours_ok.is_ok(), "{file}: our own output verifies");
    }
    if signings.len() == 1 {
        let flat: Value = serde_json::from_str(&builder.flattened().unwrap()).unwrap();
        if reproducible {
            assert_eq!(&flat, &v["output"]["json_flat"], "{file}: flattened JSON");
        }
        if let Some(compact) = v["output"]["compact"].as_str() {
            let ours = builder.compact().unwrap();
            if reproducible {
                assert_eq!(ours, compact, "{file}: compact");
            } else {
                assert_eq!(ours.split('.').next(), compact.split('.').next(), "{file}");
            }
        }
    }
}

#[test]
fn s4_1_rsa_v15_signature() {
    jws_case("rfc7520-cookbook/jws/4_1.rsa_v15_signature.json");
}

#[test]
fn s4_2_rsa_pss_signature() {
    jws_case("rfc7520-cookbook/jws/4_2.rsa-pss_signature.json");
}

#[test]
fn s4_3_ecdsa_signature() {
    jws_case("rfc7520-cookbook/jws/4_3.ecdsa_signature.json");
}

#[test]
fn s4_4_hmac_sha2_integrity_protection() {
    jws_case("rfc7520-cookbook/jws/4_4.hmac-sha2_integrity_protection.json");
}

#[test]
fn s4_5_signature_with_detached_content() {
    jws_case("rfc7520-cookbook/jws/4_5.signature_with_detached_content.json");
}

#[test]
fn s4_6_protecting_specific_header_fields() {
    jws_case("rfc7520-cookbook/jws/4_6.protecting_specific_header_fields.json");
}

#[test]
fn s4_7_protecting_content_only() {
    jws_case("rfc7520-cookbook/jws/4_7.protecting_content_only.json");
}

#[test]
fn s4_8_multiple_signatures() {
    // Two of its keys share a kid; the algorithm tells them apart.
    jws_case("rfc7520-cookbook/jws/4_8.multiple_signatures.json");
}

#[test]
fn cookbook_ed25519_signature() {
    jws_case("rfc7520-cookbook/curve25519/jws.json");
}

#[test]
fn s3_jwk_examples() {
    use tessera_jose::alg::{Curve, Kty};
    let cases = [
        ("3_1.ec_public_key.json", Kty::Ec, Some(Curve::P521), false),
        ("3_2.ec_private_key.json", Kty::Ec, Some(Curve::P521), true),
        ("3_3.rsa_public_key.json", Kty::Rsa, None, false),
        ("3_4.rsa_private_key.json", Kty::Rsa, None, true),
        (
            "3_5.symmetric_key_mac_computation.json",
            Kty::Oct,
            None,
            true,
        ),
        ("3_6.symmetric_key_encryption.json", Kty::Oct, None, true),
    ];
    for (file, kty, crv, private) in cases {
        let v = vector(&format!("rfc7520-cookbook/jwk/{file}"));
        let key = jwk(&v);
        assert_eq!(
            (key.kty(), key.curve(), key.is_private()),
            (kty, crv, private),
            "{file}"
        );
        // Serialization keeps every member, known or not.
        assert_eq!(key.to_value(), v, "{file}");
    }
    // The private keys' public halves are the public examples.
    for (private, public) in [
        ("3_2.ec_private_key.json", "3_1.ec_public_key.json"),
        ("3_4.rsa_private_key.json", "3_3.rsa_public_key.json"),
    ] {
        let a = jwk(&vector(&format!("rfc7520-cookbook/jwk/{private}")))
            .to_public()
            .unwrap();
        let b = jwk(&vector(&format!("rfc7520-cookbook/jwk/{public}")));
        assert_eq!(a, b);
    }
}
