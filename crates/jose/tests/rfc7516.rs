//! RFC 7516 Appendix A: A.1 (RSA-OAEP + A256GCM), A.2 (RSA1_5 + A128CBC-HS256), A.3 (A128KW +
//! A128CBC-HS256), A.4 (general JSON, two recipients) and A.5 (flattened JSON). Each is
//! decrypted; each is encrypted again with the RFC's CEK and IV injected and compared: byte for
//! byte for A.3 and A.4's A128KW recipient, all but the randomized RSA encrypted key otherwise.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, s, vector};
use serde_json::Value;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder, Placement};
use tessera_jose::jws::Header;
use tessera_jose::{Enc, JweAlg, JwkSet, b64};

fn case(name: &str) -> Value {
    vector("rfc7516/appendix-a.json")[name].clone()
}

fn compact_case(name: &str, rsa: bool) {
    let v = case(name);
    let key = jwk(&v["key"]);
    let alg = JweAlg::from_name(s(&v, "alg")).unwrap();
    let enc = Enc::from_name(s(&v, "enc")).unwrap();
    let plaintext = s(&v, "plaintext").as_bytes();
    let d = Decrypter::builder(key.clone())
        .algorithms([alg])
        .dangerous_allow_rsa1_5()
        .build()
        .unwrap();
    let out = d.decrypt(s(&v, "compact")).unwrap();
    assert_eq!(out.plaintext(), plaintext);
    assert_eq!((out.alg(), out.enc()), (alg, enc));

    let e = if alg == JweAlg::Rsa1_5 {
        Encrypter::rsa1_5(&key.to_public().unwrap()).unwrap()
    } else {
        Encrypter::new(&key.to_public().unwrap_or_else(|_| key.clone()), alg).unwrap()
    };
    let ours = JweBuilder::new(plaintext, enc)
        .dangerous_fixed_cek(&b64::decode(s(&v, "cek")).unwrap())
        .dangerous_fixed_iv(&b64::decode(s(&v, "iv")).unwrap())
        .recipient(&e)
        .compact()
        .unwrap();
    let (o, t): (Vec<&str>, Vec<&str>) = (
        ours.split('.').collect(),
        s(&v, "compact").split('.').collect(),
    );
    for part in 0..5 {
        if !(rsa && part == 1) {
            assert_eq!(o[part], t[part], "{name} part {part}");
        }
    }
    assert_eq!(d.decrypt(&ours).unwrap().plaintext(), plaintext);
}

#[test]
fn a1_rsa_oaep_a256gcm() {
    compact_case("A.1", true);
}

#[test]
fn a2_rsa1_5_a128cbc_hs256() {
    compact_case("A.2", true);
}

#[test]
fn a3_a128kw_a128cbc_hs256() {
    compact_case("A.3", false);
}

#[test]
fn a4_general_two_recipients() {
    let v = case("A.4");
    let keys: JwkSet = v["keys"].as_array().unwrap().iter().map(jwk).collect();
    let d = Decrypter::builder(keys.clone())
        .algorithms([JweAlg::Rsa1_5, JweAlg::A128KW])
        .dangerous_allow_rsa1_5()
        .build()
        .unwrap();
    let text = v["general"].to_string();
    let out = d.decrypt(&text).unwrap();
    assert_eq!(out.plaintext(), b"Live long and prosper.");
    assert_eq!(
        out.unprotected().get_str("jku"),
        Some("https://server.example.com/keys.jwks")
    );
    // Each key alone decrypts through its own recipient.
    for (i, key) in keys.keys().iter().enumerate() {
        let alg = [JweAlg::Rsa1_5, JweAlg::A128KW][i];
        let one = Decrypter::builder(key.clone())
            .algorithms([alg])
            .dangerous_allow_rsa1_5()
            .build()
            .unwrap();
        let out = one.decrypt(&text).unwrap();
        assert_eq!(out.recipient(), i);
        assert_eq!(out.kid(), key.kid());
    }
    // Reproduced: the same headers, IV, ciphertext and tag; the A128KW key byte for byte.
    let rsa = Encrypter::rsa1_5(&keys.keys()[0].to_public().unwrap()).unwrap();
    let kw = Encrypter::new(&keys.keys()[1], JweAlg::A128KW).unwrap();
    let ours = JweBuilder::new(b"Live long and prosper.", Enc::A128CbcHs256)
        .dangerous_fixed_cek(&b64::decode(s(&v, "cek")).unwrap())
        .dangerous_fixed_iv(&b64::decode(s(&v, "iv")).unwrap())
        .unprotected(Header::empty().param("jku", "https://server.example.com/keys.jwks"))
        .key_placement(Placement::PerRecipient)
        .recipient(&rsa)
        .recipient(&kw)
        .general()
        .unwrap();
    let mut ours: Value = serde_json::from_str(&ours).unwrap();
    let mut theirs = v["general"].clone();
    ours["recipients"][0]["encrypted_key"] = Value::Null;
    theirs["recipients"][0]["encrypted_key"] = Value::Null;
    assert_eq!(ours, theirs);
    assert_eq!(
        d.decrypt(&ours.to_string()).unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn a5_flattened() {
    let v = case("A.5");
    let key = jwk(&case("A.4")["keys"][1]);
    let d = Decrypter::builder(key.clone())
        .algorithms([JweAlg::A128KW])
        .build()
        .unwrap();
    let text = v["flattened"].to_string();
    assert_eq!(
        d.decrypt(&text).unwrap().plaintext(),
        b"Live long and prosper."
    );
    let ours = JweBuilder::new(b"Live long and prosper.", Enc::A128CbcHs256)
        .dangerous_fixed_cek(&b64::decode(s(&case("A.4"), "cek")).unwrap())
        .dangerous_fixed_iv(&b64::decode(s(&case("A.4"), "iv")).unwrap())
        .unprotected(Header::empty().param("jku", "https://server.example.com/keys.jwks"))
        .key_placement(Placement::PerRecipient)
        .recipient(&Encrypter::new(&key, JweAlg::A128KW).unwrap())
        .flattened()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&ours).unwrap(),
        v["flattened"]
    );
}

/// Our own DEFLATE (the cookbook's §5.9 output came from zlib, whose bytes differ): content
/// compressed and decompressed through every serialization.
#[test]
fn zip_deflate_round_trip() {
    let key = tessera_jose::Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let e = Encrypter::new(&key, JweAlg::A256KW).unwrap();
    let d = Decrypter::builder(key.clone())
        .algorithms_from_keys()
        .build()
        .unwrap();
    let plaintext = "You can trust us to stick with you through thick and thin. ".repeat(50);
    for format in [
        tessera_jose::jws::Format::Compact,
        tessera_jose::jws::Format::Flattened,
        tessera_jose::jws::Format::General,
    ] {
        let jwe = JweBuilder::new(plaintext.as_bytes(), Enc::A256Gcm)
            .deflate()
            .recipient(&e)
            .serialize(format)
            .unwrap();
        assert!(jwe.len() < plaintext.len() / 2, "compressed");
        let out = d.decrypt(&jwe).unwrap();
        assert_eq!(out.plaintext(), plaintext.as_bytes());
        assert_eq!(out.protected().get_str("zip"), Some("DEF"));
    }
}
