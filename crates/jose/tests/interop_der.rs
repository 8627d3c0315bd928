//! Our DER exports are accepted by aws-lc-rs's own parsers (an independent DER reader).
#![allow(clippy::unwrap_used)]

use aws_lc_rs::signature::{self, KeyPair as _};
use tessera_jose::{Jwk, JwsAlg};

#[test]
fn pkcs8_and_spki_exports_parse_in_aws_lc() {
    for _ in 0..6 {
        let rsa = Jwk::generate_rsa(2048).unwrap();
        let der = rsa.to_pkcs8_der().unwrap();
        let pair = signature::RsaKeyPair::from_pkcs8(&der)
            .unwrap_or_else(|e| panic!("{e:?}: {}", tessera_jose::b64::encode(&*der)));
        let spki = rsa.to_spki_der().unwrap();
        signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &spki).unwrap();
        assert_eq!(pair.public_modulus_len(), 256);
    }
    for alg in [JwsAlg::ES256, JwsAlg::ES384, JwsAlg::ES512] {
        let ec = Jwk::generate(alg).unwrap();
        let signing = match alg {
            JwsAlg::ES256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            JwsAlg::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            _ => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        };
        signature::EcdsaKeyPair::from_pkcs8(signing, &ec.to_pkcs8_der().unwrap()).unwrap();
    }
    let ed = Jwk::generate(JwsAlg::EdDSA).unwrap();
    let pair = signature::Ed25519KeyPair::from_pkcs8(&ed.to_pkcs8_der().unwrap()).unwrap();
    assert_eq!(
        tessera_jose::b64::encode(pair.public_key().as_ref()),
        ed.to_value()["x"].as_str().unwrap()
    );
}
