//! RFC 7515 Appendix A: every example, reproduced where deterministic, verified everywhere.
#![allow(clippy::unwrap_used)]

mod common;

use common::{alg, jwk, s, set, vector};
use tessera_jose::jws::{Format, Jws, JwsBuilder, JwsVerifier, Signer};
use tessera_jose::{Error, JwkSet, JwsAlg};

fn appendix() -> serde_json::Value {
    vector("rfc7515/appendix-a.json")
}

fn check_compact_example(id: &str) {
    let v = &appendix()[id];
    let key = jwk(&v["key"]);
    let a = alg(s(v, "alg"));
    let compact = s(v, "compact");

    // Verify the published token with the public key.
    let verifier = JwsVerifier::builder(JwkSet::from(
        key.to_public().unwrap_or_else(|_| key.clone()),
    ))
    .algorithms([a])
    .build()
    .unwrap();
    let verified = verifier.verify(compact).unwrap();
    assert_eq!(verified.payload(), s(v, "payload").as_bytes(), "{id}");

    // Sign the same input again: byte for byte where the algorithm is deterministic.
    let signer = Signer::new(&key, a).unwrap();
    let ours = JwsBuilder::new(s(v, "payload").as_bytes())
        .signature_raw_protected(&signer, s(v, "protected_json"), None)
        .compact()
        .unwrap();
    if v["reproducible"].as_bool().unwrap() {
        assert_eq!(ours, compact, "{id} must be reproduced byte for byte");
    } else {
        let (ours_input, _) = ours.rsplit_once('.').unwrap();
        let (theirs_input, _) = compact.rsplit_once('.').unwrap();
        assert_eq!(ours_input, theirs_input, "{id} signing input");
    }
    assert!(
        verifier.verify(&ours).is_ok(),
        "{id} own signature verifies"
    );
}

#[test]
fn a1_hs256() {
    check_compact_example("A.1");
}

#[test]
fn a2_rs256() {
    check_compact_example("A.2");
}

#[test]
fn a3_es256() {
    check_compact_example("A.3");
}

#[test]
fn a4_es512() {
    check_compact_example("A.4");
}

#[test]
fn a5_unsecured_is_never_accepted() {
    let v = &appendix()["A.5"];
    // Any verifier, whatever its keys, rejects alg "none".
    let key = jwk(&appendix()["A.1"]["key"]);
    let verifier = JwsVerifier::builder(JwkSet::from(key))
        .algorithms([JwsAlg::HS256])
        .build()
        .unwrap();
    assert_eq!(
        verifier.verify(s(v, "compact")).unwrap_err(),
        Error::AlgorithmNotAllowed
    );
    // and "none" is not even an algorithm name a policy can hold.
    assert!(JwsAlg::from_name("none").is_err());
    // The dangerous module can still read it, for debuggers.
    let u = tessera_jose::dangerous::decode_unverified(s(v, "compact")).unwrap();
    assert_eq!(u.header.alg(), Some("none"));
    assert!(u.signature.is_empty());
}

#[test]
fn a6_general_json_two_signatures() {
    let v = &appendix()["A.6"];
    let keys: JwkSet = v["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(kid, k)| jwk(k).to_public().unwrap().with_kid(kid.clone()))
        .collect();
    let json = v["json"].to_string();
    let parsed = Jws::parse(&json, 1 << 20).unwrap();
    assert_eq!(parsed.format(), Format::General);
    assert_eq!(parsed.signature_count(), 2);
    let signers: Vec<String> = keys
        .keys()
        .iter()
        .filter_map(|k| k.kid().map(Into::into))
        .collect();
    let verifier = JwsVerifier::builder(keys)
        .algorithms([JwsAlg::RS256, JwsAlg::ES256])
        .signature_policy(tessera_jose::jws::SignaturePolicy::Signers(signers))
        .build()
        .unwrap();
    let verified = verifier.verify(&json).unwrap();
    let algs: Vec<_> = verified.verified().map(|s| s.alg).collect();
    assert_eq!(algs, [JwsAlg::RS256, JwsAlg::ES256]);
    assert_eq!(
        verified.outcomes()[1]
            .result
            .as_ref()
            .unwrap()
            .kid
            .as_deref(),
        Some("e9bc097a-ce51-4036-9562-d2ade882db0d")
    );
}

#[test]
fn a6_reports_which_signatures_verified() {
    let v = &appendix()["A.6"];
    // Only the EC key is known: the RSA signature is reported as failed, the EC one as verified.
    let ec = jwk(&v["keys"]["e9bc097a-ce51-4036-9562-d2ade882db0d"])
        .to_public()
        .unwrap()
        .with_kid("e9bc097a-ce51-4036-9562-d2ade882db0d");
    let verifier = JwsVerifier::builder(JwkSet::from(ec))
        .algorithms([JwsAlg::RS256, JwsAlg::ES256])
        .build();
    // RS256 is allowed but no key can verify it, which is fine as long as one key is usable.
    let verifier = verifier.unwrap();
    let verified = verifier.verify(&v["json"].to_string()).unwrap();
    assert_eq!(
        verified.outcomes()[0].result.as_ref().unwrap_err(),
        &Error::NoMatchingKey
    );
    assert!(verified.outcomes()[1].result.is_ok());
}

#[test]
fn a7_flattened_json() {
    let v = &appendix()["A.7"];
    let key = jwk(&v["keys"]["e9bc097a-ce51-4036-9562-d2ade882db0d"])
        .to_public()
        .unwrap()
        .with_kid("e9bc097a-ce51-4036-9562-d2ade882db0d");
    let json = v["json"].to_string();
    assert_eq!(
        Jws::parse(&json, 1 << 20).unwrap().format(),
        Format::Flattened
    );
    let verifier = JwsVerifier::builder(set(&key.to_value()))
        .algorithms([JwsAlg::ES256])
        .build()
        .unwrap();
    let verified = verifier.verify(&json).unwrap();
    assert!(verified.payload().starts_with(b"{\"iss\":\"joe\""));
}
