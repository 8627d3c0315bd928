//! RFC 8037 Appendix A (the Ed25519 parts): keys, thumbprint, signing and verification.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, s, vector};
use tessera_jose::jwk::ThumbprintHash;
use tessera_jose::jws::{JwsBuilder, JwsVerifier, Signer};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

#[test]
fn a1_a2_keys() {
    let v = vector("rfc8037/appendix-a.json");
    let private = jwk(&v["A.1"]["jwk"]);
    let public = jwk(&v["A.2"]["jwk"]);
    assert!(private.is_private());
    assert_eq!(private.to_public().unwrap(), public);
    assert_eq!(
        public.to_public_pem().unwrap().as_str(),
        s(&v["A.2"], "spki_pem")
    );
    assert_eq!(Jwk::from_pem(s(&v["A.2"], "spki_pem")).unwrap(), public);
}

#[test]
fn a3_thumbprint() {
    let v = vector("rfc8037/appendix-a.json");
    let public = jwk(&v["A.2"]["jwk"]);
    assert_eq!(public.thumbprint_input(), s(&v["A.3"], "thumbprint_input"));
    assert_eq!(
        public.thumbprint(ThumbprintHash::Sha256),
        s(&v["A.3"], "thumbprint")
    );
}

#[test]
fn a4_a5_sign_and_verify() {
    let v = vector("rfc8037/appendix-a.json");
    let private = jwk(&v["A.1"]["jwk"]);
    let a4 = &v["A.4"];
    let signer = Signer::new(&private, JwsAlg::EdDSA).unwrap();
    let ours = JwsBuilder::new(s(a4, "payload").as_bytes())
        .signature_raw_protected(&signer, s(a4, "protected_json"), None)
        .compact()
        .unwrap();
    assert_eq!(
        ours,
        s(a4, "compact"),
        "Ed25519 is deterministic: byte for byte"
    );
    // A.5: verification with the public key.
    let verifier = JwsVerifier::builder(JwkSet::from(private.to_public().unwrap()))
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert_eq!(
        verifier.verify(s(a4, "compact")).unwrap().payload(),
        s(a4, "payload").as_bytes()
    );
    // RFC 9864's fully-specified name signs the same bytes under another header.
    let fully = Signer::new(&private, JwsAlg::Ed25519).unwrap();
    let token = JwsBuilder::new(b"x")
        .signature(
            &fully,
            tessera_jose::jws::Header::new(JwsAlg::Ed25519),
            None,
        )
        .compact()
        .unwrap();
    assert!(token.starts_with("eyJhbGciOiJFZDI1NTE5In0."));
    assert!(verifier.verify(&token).is_ok());
}

#[test]
fn ed448_and_x448_are_parsed_but_unsupported() {
    let x = tessera_jose::b64::encode([7u8; 57]);
    let ed448 = Jwk::from_json(&format!(r#"{{"kty":"OKP","crv":"Ed448","x":"{x}"}}"#)).unwrap();
    assert!(!ed448.is_supported());
    assert_eq!(
        JwsVerifier::builder(JwkSet::from(ed448.clone()))
            .algorithms([JwsAlg::EdDSA])
            .build()
            .unwrap_err(),
        tessera_jose::Error::UnsupportedAlgorithm("Ed448".into())
    );
    let d = tessera_jose::b64::encode([9u8; 57]);
    let ed448_private = Jwk::from_json(&format!(
        r#"{{"kty":"OKP","crv":"Ed448","x":"{x}","d":"{d}"}}"#
    ))
    .unwrap();
    assert_eq!(
        Signer::new(&ed448_private, JwsAlg::EdDSA).unwrap_err(),
        tessera_jose::Error::UnsupportedAlgorithm("Ed448".into())
    );
    let x448 = tessera_jose::b64::encode([7u8; 56]);
    let key = Jwk::from_json(&format!(r#"{{"kty":"OKP","crv":"X448","x":"{x448}"}}"#)).unwrap();
    assert!(!key.is_supported());
}

/// RFC 8037 Appendix A.6: ECDH-ES with X25519. The RFC's ephemeral secret is injected; the `epk`
/// must be the RFC's, and Bob must decrypt. (The shared secret `Z` itself is checked against the
/// RFC in the crate's unit tests, where the agreement is reachable.)
#[test]
fn a6_x25519_ecdh_es() {
    use tessera_jose::jwe::{Decrypter, Encrypter, Jwe, JweBuilder};
    use tessera_jose::{Enc, JweAlg};
    let v = common::vector("rfc8037/appendix-a.json")["A.6"].clone();
    let bob = common::jwk(&v["bob"]);
    let secret: Vec<u8> = (0..32)
        .map(|i| {
            u8::from_str_radix(
                &v["ephemeral_secret_hex"].as_str().unwrap()[2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        })
        .collect();
    let mut ephemeral = v["epk"].clone();
    ephemeral["d"] = tessera_jose::b64::encode(&secret).into();
    let e = Encrypter::new(&bob.to_public().unwrap(), JweAlg::EcdhEsA128KW)
        .unwrap()
        .dangerous_fixed_ephemeral(&common::jwk(&ephemeral))
        .unwrap();
    let token = JweBuilder::new(b"hi Bob", Enc::A128Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    let parsed = Jwe::parse(&token, 1 << 20).unwrap();
    assert_eq!(parsed.protected()["epk"], v["header"]["epk"]);
    assert_eq!(parsed.protected()["kid"], v["header"]["kid"]);
    let d = Decrypter::builder(bob)
        .algorithms([JweAlg::EcdhEsA128KW])
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap().plaintext(), b"hi Bob");
}
