//! RFC 7517 Appendices A–C: key sets, private keys, symmetric keys, `x5c`, and PEM agreement.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, vector};
use tessera_jose::alg::{Curve, Kty};
use tessera_jose::error::KeyProblem;
use tessera_jose::jwk::{JwkSet, KeyQuery, KeyUse};
use tessera_jose::{Error, Jwk, JwsAlg};

fn appendices() -> serde_json::Value {
    vector("rfc7517/appendices.json")
}

#[test]
fn a1_public_keys() {
    let v = &appendices()["A.1"];
    let set = JwkSet::from_json_strict(&v["jwks"].to_string()).unwrap();
    assert_eq!(set.keys().len(), 2);
    let ec = &set.keys()[0];
    assert_eq!((ec.kty(), ec.curve()), (Kty::Ec, Some(Curve::P256)));
    assert_eq!((ec.kid(), ec.key_use()), (Some("1"), Some("enc")));
    let rsa = &set.keys()[1];
    assert_eq!(
        (rsa.kty(), rsa.alg(), rsa.kid()),
        (Kty::Rsa, Some("RS256"), Some("2011-04-29"))
    );
    assert!(!ec.is_private() && !rsa.is_private());

    // The SPKI PEM of each key, exported byte for byte, and imported back to the same key.
    for (key, pem) in set.keys().iter().zip(v["spki_pem"].as_array().unwrap()) {
        let pem = pem.as_str().unwrap();
        assert_eq!(key.to_public_pem().unwrap().as_str(), pem);
        let imported = Jwk::from_pem(pem).unwrap();
        assert_eq!(imported.thumbprint_input(), key.thumbprint_input());
    }
    // Round trip through JSON keeps every member.
    let again = JwkSet::from_json_strict(&set.to_json()).unwrap();
    assert_eq!(again, set);
}

#[test]
fn a2_private_keys() {
    let a = appendices();
    let private = JwkSet::from_json_strict(&a["A.2"]["jwks"].to_string()).unwrap();
    let public = JwkSet::from_json_strict(&a["A.1"]["jwks"].to_string()).unwrap();
    assert!(private.keys().iter().all(Jwk::is_private));
    assert_eq!(private.to_public(), public);
    // Private keys round-trip through PKCS#8 PEM.
    for key in private.keys() {
        let pem = key.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = Jwk::from_pem(&pem).unwrap();
        assert!(back.is_private());
        assert_eq!(back.thumbprint_input(), key.thumbprint_input());
        assert_eq!(
            back.to_pem().unwrap(),
            pem,
            "PKCS#8 export is deterministic"
        );
    }
}

#[test]
fn a3_symmetric_keys() {
    let v = &appendices()["A.3"];
    let set = JwkSet::from_json_strict(&v["jwks"].to_string()).unwrap();
    assert_eq!(set.keys()[0].alg(), Some("A128KW"));
    assert_eq!(
        set.keys()[1].kid(),
        Some("HMAC key used in JWS spec Appendix A.1 example")
    );
    // The A128KW key is never offered for JWS; the HMAC key is.
    let q = KeyQuery {
        alg: Some(JwsAlg::HS256),
        ..KeyQuery::default()
    };
    assert_eq!(set.select(&q).unwrap().kid(), set.keys()[1].kid());
    assert!(set.keys()[0].allowed_algorithms().is_empty());
    // Symmetric keys have no PEM form.
    assert_eq!(
        set.keys()[1].to_pem().unwrap_err(),
        Error::InvalidKey(KeyProblem::WrongKeyType)
    );
}

#[test]
fn b_x5c_is_parsed_and_checked_but_not_trusted() {
    let v = &appendices()["B"];
    let key = jwk(&v["jwk"]);
    let chain = key.x5c().unwrap();
    assert_eq!(chain.len(), 1);
    // The certificate's public key is the JWK's key.
    let from_cert = Jwk::from_der(&chain[0]).unwrap();
    assert_eq!(from_cert.thumbprint_input(), key.thumbprint_input());
    assert_eq!(
        key.to_public_pem().unwrap().as_str(),
        v["spki_pem"].as_str().unwrap()
    );
    // A JWK whose x5c carries another key is rejected.
    let mut other = v["jwk"].clone();
    other["n"] = appendices()["A.1"]["jwks"]["keys"][1]["n"].clone();
    assert_eq!(
        Jwk::from_json(&other.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::Inconsistent)
    );
    // The chain survives serialization.
    assert_eq!(Jwk::from_json(&key.to_json()).unwrap(), key);
}

#[test]
fn c1_rsa_private_key() {
    let v = &appendices()["C.1"];
    let key = jwk(&v["jwk"]);
    assert!(key.is_private());
    assert_eq!(
        (key.kid(), key.key_use()),
        (Some("juliet@capulet.lit"), Some("enc"))
    );
    // An `enc` key is never selected for signatures.
    let set = JwkSet::from(key.clone());
    let q = KeyQuery {
        key_use: Some(KeyUse::Sig),
        ..KeyQuery::default()
    };
    assert_eq!(set.select(&q).unwrap_err(), Error::NoMatchingKey);
    assert!(tessera_jose::jws::Signer::new(&key, JwsAlg::RS256).is_err());
}

/// RFC 7517 Appendix C.2–C.8: the C.1 key encrypted with PBES2-HS256+A128KW and A128CBC-HS256.
/// JWE itself is not part of this library yet, so this test undoes the published JWE step by
/// step with the bare aws-lc-rs primitives (checking each intermediate value the appendix
/// gives), and then hands the plaintext to Tessera's JWK parser, which must yield the C.1 key.
#[test]
fn c2_to_c8_encrypted_key_decrypts_to_c1() {
    use aws_lc_rs::cipher::{
        AES_128, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey,
    };
    use aws_lc_rs::key_wrap::{AES_128 as KW_AES_128, AesKek, KeyWrap as _};
    use aws_lc_rs::{hmac, pbkdf2};
    use tessera_jose::b64;

    let v = &appendices()["C.8"];
    let bytes = |name: &str| -> Vec<u8> {
        v[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
            .collect()
    };
    let parts: Vec<&str> = v["compact"].as_str().unwrap().split('.').collect();
    assert_eq!(parts.len(), 5);
    let header: serde_json::Value =
        serde_json::from_slice(&b64::decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "PBES2-HS256+A128KW");
    assert_eq!(header["enc"], "A128CBC-HS256");
    assert_eq!(header["p2s"], v["p2s"]);
    assert_eq!(header["p2c"], v["p2c"]);

    // C.3/C.4: salt = alg || 0x00 || p2s; KEK = PBKDF2-HMAC-SHA256(password, salt, p2c).
    let mut salt = b"PBES2-HS256+A128KW\0".to_vec();
    salt.extend(b64::decode(v["p2s"].as_str().unwrap()).unwrap());
    let mut kek = [0u8; 16];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(4096).unwrap(),
        &salt,
        v["password"].as_str().unwrap().as_bytes(),
        &mut kek,
    );
    assert_eq!(kek.to_vec(), bytes("kek"));

    // C.4: the CEK, unwrapped with AES-128 key wrap.
    let mut cek = [0u8; 32];
    let unwrapped = AesKek::new(&KW_AES_128, &kek)
        .unwrap()
        .unwrap(&b64::decode(parts[1]).unwrap(), &mut cek)
        .unwrap()
        .to_vec();
    assert_eq!(unwrapped, bytes("cek"));

    // C.5–C.7: check the HMAC-SHA-256 tag (first 16 bytes) over AAD || IV || ciphertext || AL,
    // then AES-128-CBC decrypt.
    let iv = b64::decode(parts[2]).unwrap();
    assert_eq!(iv, bytes("iv"));
    let ciphertext = b64::decode(parts[3]).unwrap();
    let aad = parts[0].as_bytes();
    let mut mac_input = aad.to_vec();
    mac_input.extend(&iv);
    mac_input.extend(&ciphertext);
    mac_input.extend((aad.len() as u64 * 8).to_be_bytes());
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &cek[..16]), &mac_input);
    assert_eq!(
        &tag.as_ref()[..16],
        b64::decode(parts[4]).unwrap().as_slice()
    );
    let key =
        PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_128, &cek[16..]).unwrap())
            .unwrap();
    let mut in_out = ciphertext.clone();
    let iv16: [u8; 16] = iv.as_slice().try_into().unwrap();
    let plaintext = key
        .decrypt(&mut in_out, DecryptionContext::Iv128(iv16.into()))
        .unwrap()
        .to_vec();

    // C.1 again, through Tessera.
    let key = Jwk::from_slice(&plaintext).unwrap();
    assert_eq!(key, jwk(&appendices()["C.1"]["jwk"]));
    assert_eq!(key.kid(), Some("juliet@capulet.lit"));
}
