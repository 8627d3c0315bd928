//! Invalid verifier configurations are errors at build time, never silently disabled checks.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tessera_jose::jws::JwsVerifier;
use tessera_jose::jwt::Verifier;
use tessera_jose::{Error, Jwk, JwkSet, JwsAlg};

fn key() -> Jwk {
    Jwk::generate(JwsAlg::ES256).unwrap().to_public().unwrap()
}

#[test]
fn verifier_configuration_errors() {
    let cases: Vec<(&str, Result<Verifier, Error>)> = vec![
        (
            "empty algorithm list",
            Verifier::builder(key()).algorithms([]).build(),
        ),
        (
            "no key fits the algorithms",
            Verifier::builder(key()).algorithms([JwsAlg::RS256]).build(),
        ),
        (
            "empty key source",
            Verifier::builder(JwkSet::new())
                .algorithms_from_keys()
                .build(),
        ),
        (
            "empty issuer",
            Verifier::builder(key())
                .algorithms_from_keys()
                .issuer("")
                .build(),
        ),
        (
            "empty audience",
            Verifier::builder(key())
                .algorithms_from_keys()
                .audience("")
                .build(),
        ),
        (
            "audience both required and skipped",
            Verifier::builder(key())
                .algorithms_from_keys()
                .audience("api")
                .skip_audience_check()
                .build(),
        ),
        (
            "empty typ",
            Verifier::builder(key())
                .algorithms_from_keys()
                .typ("")
                .build(),
        ),
        (
            "JSON depth below 2",
            Verifier::builder(key())
                .algorithms_from_keys()
                .max_json_depth(1)
                .build(),
        ),
    ];
    for (what, result) in cases {
        assert_eq!(result.unwrap_err().code(), "config", "{what}");
    }
    // ML-DSA requested from a build without it is unsupported, not ignored.
    #[cfg(not(feature = "ml-dsa"))]
    assert!(matches!(
        Verifier::builder(key())
            .algorithms([JwsAlg::MlDsa44])
            .build(),
        Err(Error::UnsupportedAlgorithm(_))
    ));
    // A valid configuration builds.
    assert!(
        Verifier::builder(key())
            .algorithms([JwsAlg::ES256])
            .issuer("https://issuer")
            .audiences(["a", "b"])
            .leeway(Duration::from_secs(5))
            .max_age(Duration::from_secs(60))
            .build()
            .is_ok()
    );
    assert_eq!(
        JwsVerifier::builder(key())
            .algorithms([])
            .build()
            .unwrap_err()
            .code(),
        "config"
    );
}

#[test]
fn verifiers_and_signers_are_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Verifier>();
    shared::<JwsVerifier>();
    shared::<tessera_jose::jws::Signer>();
    shared::<tessera_jose::jwt::JwtSigner>();
    shared::<Jwk>();
    shared::<JwkSet>();
}
