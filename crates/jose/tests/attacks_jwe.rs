//! Attacks on JWE decryption: tampering with every part, key confusion, invalid-curve and
//! off-curve ephemeral keys, PBES2 iteration bombs, DEFLATE bombs, RSA1_5 padding oracles,
//! header placement tricks. Every cryptographic failure must be the one opaque error.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tessera_jose::error::Limit;
use tessera_jose::jwe::{Decrypter, Encrypter, Jwe, JweBuilder};
use tessera_jose::jws::Header;
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwkSet, JwsAlg, b64};

fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn flip(part: &str, at: usize) -> String {
    let mut bytes = b64::decode(part).unwrap();
    if bytes.is_empty() {
        return b64::encode([0u8]);
    }
    let i = at % bytes.len();
    bytes[i] ^= 0x01;
    b64::encode(bytes)
}

fn truncate(part: &str) -> String {
    let bytes = b64::decode(part).unwrap();
    b64::encode(&bytes[..bytes.len().saturating_sub(1)])
}

/// Every part of a compact token, changed or truncated, fails with `DecryptionFailed` (or, for
/// the protected header, a parse error when the change breaks the JSON).
#[test]
fn tampered_parts_fail_opaquely() {
    let cases: Vec<(JweAlg, Jwk)> = vec![
        (JweAlg::A128KW, Jwk::generate_jwe(JweAlg::A128KW).unwrap()),
        (
            JweAlg::A256GCMKW,
            Jwk::generate_jwe(JweAlg::A256GCMKW).unwrap(),
        ),
        (
            JweAlg::RsaOaep256,
            Jwk::generate_jwe(JweAlg::RsaOaep256).unwrap(),
        ),
        (
            JweAlg::EcdhEsA192KW,
            Jwk::generate_jwe(JweAlg::EcdhEsA192KW).unwrap(),
        ),
        (JweAlg::Dir, Jwk::generate_jwe(JweAlg::Dir).unwrap()),
    ];
    for (alg, key) in cases {
        for enc in [Enc::A256Gcm, Enc::A128CbcHs256] {
            if alg == JweAlg::Dir && enc.cek_len() != 32 {
                continue;
            }
            let e = Encrypter::new(&key.to_public().unwrap_or_else(|_| key.clone()), alg).unwrap();
            let d = Decrypter::builder(key.clone())
                .algorithms_from_keys()
                .build()
                .unwrap();
            let token = JweBuilder::new(b"attack at dawn", enc)
                .recipient(&e)
                .compact()
                .unwrap();
            assert!(d.decrypt(&token).is_ok());
            let p = parts(&token);
            for (i, part) in p.iter().enumerate().skip(1) {
                if i == 1 && alg == JweAlg::Dir {
                    continue;
                }
                for changed in [flip(part, 0), flip(part, 7), truncate(part)] {
                    let mut q = p.clone();
                    q[i] = changed;
                    let got = d.decrypt(&q.join("."));
                    assert_eq!(
                        got.unwrap_err(),
                        Error::DecryptionFailed,
                        "{alg} {enc} part {i}"
                    );
                }
            }
            // The protected header is the AAD: adding a parameter breaks the tag.
            let mut h: Value = serde_json::from_slice(&b64::decode(&p[0]).unwrap()).unwrap();
            h["x"] = json!(1);
            let mut q = p.clone();
            q[0] = b64::encode(h.to_string());
            assert_eq!(
                d.decrypt(&q.join(".")).unwrap_err(),
                Error::DecryptionFailed
            );
        }
    }
}

#[test]
fn json_aad_and_unprotected_changes() {
    let key = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let e = Encrypter::new(&key, JweAlg::A256KW).unwrap();
    let d = Decrypter::builder(key)
        .algorithms_from_keys()
        .build()
        .unwrap();
    let token = JweBuilder::new(b"x", Enc::A256Gcm)
        .aad(b"bound")
        .recipient(&e)
        .flattened()
        .unwrap();
    let v: Value = serde_json::from_str(&token).unwrap();
    let mut changed = v.clone();
    changed["aad"] = b64::encode(b"Bound").into();
    assert_eq!(
        d.decrypt(&changed.to_string()).unwrap_err(),
        Error::DecryptionFailed
    );
    let mut removed = v.clone();
    removed.as_object_mut().unwrap().remove("aad");
    assert_eq!(
        d.decrypt(&removed.to_string()).unwrap_err(),
        Error::DecryptionFailed
    );
    // Moving alg out of the protected header to the unprotected one is a different AAD.
    let mut moved = v.clone();
    moved["protected"] = b64::encode(r#"{"enc":"A256GCM"}"#).into();
    moved["header"] = json!({"alg": "A256KW", "kid": key_kid(&v)});
    assert_eq!(
        d.decrypt(&moved.to_string()).unwrap_err(),
        Error::DecryptionFailed
    );
}

fn key_kid(v: &Value) -> Value {
    let h: Value =
        serde_json::from_slice(&b64::decode(v["protected"].as_str().unwrap()).unwrap()).unwrap();
    h["kid"].clone()
}

/// A key bound to one algorithm never serves another: GCMKW vs KW, OAEP vs RSA1_5, a signing
/// key for encryption, an EC key for an RSA algorithm.
#[test]
fn key_and_algorithm_confusion() {
    let gcmkw = Jwk::generate_jwe(JweAlg::A128GCMKW).unwrap();
    // The same bytes, presented as A128KW by the attacker.
    let as_kw = Jwk::from_json(&gcmkw.to_json().replace("A128GCMKW", "A128KW")).unwrap();
    let token = JweBuilder::new(b"x", Enc::A128Gcm)
        .recipient(&Encrypter::new(&as_kw, JweAlg::A128KW).unwrap())
        .compact()
        .unwrap();
    let d = Decrypter::builder(gcmkw.clone())
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap_err(), Error::AlgorithmNotAllowed);
    // Even with both algorithms allowed, the A128GCMKW key is not used for A128KW.
    let d = Decrypter::builder(gcmkw)
        .algorithms([JweAlg::A128GCMKW, JweAlg::A128KW])
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap_err(), Error::NoMatchingKey);

    let oaep = Jwk::generate_jwe(JweAlg::RsaOaep).unwrap();
    let legacy = JweBuilder::new(b"x", Enc::A128CbcHs256)
        .recipient(&Encrypter::rsa1_5(&oaep.to_public().unwrap().without_alg()).unwrap())
        .compact()
        .unwrap();
    let d = Decrypter::builder(oaep.clone())
        .algorithms_from_keys()
        .dangerous_allow_rsa1_5()
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&legacy).unwrap_err(), Error::AlgorithmNotAllowed);
    let d = Decrypter::builder(oaep)
        .algorithms([JweAlg::RsaOaep, JweAlg::Rsa1_5])
        .dangerous_allow_rsa1_5()
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&legacy).unwrap_err(), Error::NoMatchingKey);

    // `use: sig` keys never decrypt; an EC key is not an RSA key.
    let sig = Jwk::generate(JwsAlg::ES256)
        .unwrap()
        .without_alg()
        .with_use(tessera_jose::jwk::KeyUse::Sig);
    let err = Decrypter::builder(sig)
        .algorithms([JweAlg::EcdhEs])
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    let ec = Jwk::generate(JwsAlg::ES256).unwrap().without_alg();
    assert!(Encrypter::new(&ec, JweAlg::RsaOaep).is_err());
    assert!(matches!(
        Decrypter::builder(ec)
            .algorithms([JweAlg::RsaOaep256])
            .build(),
        Err(Error::Config(_))
    ));
    // A JWE key cannot sign, and a signing algorithm's key cannot be forced into JWE use.
    let kw = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    assert!(tessera_jose::jws::Signer::new(&kw, JwsAlg::HS256).is_err());
}

fn ecdh_token(recipient: &Jwk) -> (String, Decrypter) {
    let e = Encrypter::new(&recipient.to_public().unwrap(), JweAlg::EcdhEs).unwrap();
    let token = JweBuilder::new(b"x", Enc::A128Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    let d = Decrypter::builder(recipient.clone())
        .algorithms([JweAlg::EcdhEs])
        .build()
        .unwrap();
    (token, d)
}

fn with_epk(token: &str, epk: Value) -> String {
    let mut p = parts(token);
    let mut h: Value = serde_json::from_slice(&b64::decode(&p[0]).unwrap()).unwrap();
    h["epk"] = epk;
    p[0] = b64::encode(h.to_string());
    p.join(".")
}

/// Invalid-curve attacks: an `epk` off the curve, on another curve, of the wrong type, a
/// low-order X25519 point, or carrying a private part, never reaches a key agreement.
#[test]
fn invalid_and_off_curve_epk() {
    let p256 = Jwk::generate(JwsAlg::ES256).unwrap().without_alg();
    let (token, d) = ecdh_token(&p256);
    assert!(d.decrypt(&token).is_ok());
    let h: Value =
        serde_json::from_slice(&b64::decode(parts(&token)[0].as_str()).unwrap()).unwrap();
    let mut off = h["epk"].clone();
    off["y"] = b64::encode([1u8; 32]).into();
    assert_eq!(
        d.decrypt(&with_epk(&token, off)).unwrap_err(),
        Error::DecryptionFailed
    );
    // A point of small order on a twist: x = 0 with an arbitrary y is not on P-256.
    let zero = json!({"kty": "EC", "crv": "P-256", "x": b64::encode([0u8; 32]), "y": b64::encode([0u8; 32])});
    assert_eq!(
        d.decrypt(&with_epk(&token, zero)).unwrap_err(),
        Error::DecryptionFailed
    );
    let p384 = Jwk::generate(JwsAlg::ES384)
        .unwrap()
        .to_public()
        .unwrap()
        .without_alg();
    assert_eq!(
        d.decrypt(&with_epk(&token, p384.to_value())).unwrap_err(),
        Error::DecryptionFailed
    );
    let x25519 = Jwk::generate_x25519().unwrap().to_public().unwrap();
    assert_eq!(
        d.decrypt(&with_epk(&token, x25519.to_value())).unwrap_err(),
        Error::DecryptionFailed
    );
    let mut with_d = h["epk"].clone();
    with_d["d"] = b64::encode([1u8; 32]).into();
    assert!(matches!(
        d.decrypt(&with_epk(&token, with_d)),
        Err(Error::Malformed(_))
    ));
    assert!(matches!(
        d.decrypt(&with_epk(&token, json!("epk"))),
        Err(Error::Malformed(_))
    ));

    let x = Jwk::generate_x25519().unwrap();
    let (token, d) = ecdh_token(&x);
    assert!(d.decrypt(&token).is_ok());
    for low_order in [[0u8; 32], {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    }] {
        let epk = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(low_order)});
        assert_eq!(
            d.decrypt(&with_epk(&token, epk)).unwrap_err(),
            Error::DecryptionFailed
        );
    }
}

fn pbes2_token(p2c: u64) -> String {
    let e = Encrypter::password(b"hunter22", JweAlg::Pbes2Hs256A128KW).unwrap();
    let token = JweBuilder::new(b"x", Enc::A128Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    let mut p = parts(&token);
    let mut h: Value = serde_json::from_slice(&b64::decode(&p[0]).unwrap()).unwrap();
    h["p2c"] = json!(p2c);
    p[0] = b64::encode(h.to_string());
    p.join(".")
}

fn pbes2_decrypter() -> tessera_jose::jwe::DecrypterBuilder<tessera_jose::jwe::WithKeyManagement> {
    Decrypter::builder(Jwk::from_secret(b"hunter22")).algorithms([JweAlg::Pbes2Hs256A128KW])
}

/// PBES2 is off by default; a `p2c` of 10^9 is rejected before any work.
#[test]
fn pbes2_off_by_default_and_iteration_bomb() {
    let e = Encrypter::password(b"hunter22", JweAlg::Pbes2Hs256A128KW).unwrap();
    let token = JweBuilder::new(b"x", Enc::A128Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    assert!(matches!(pbes2_decrypter().build(), Err(Error::Config(_))));
    let d = Decrypter::builder(Jwk::from_secret(b"hunter22"))
        .algorithms([JweAlg::A128KW])
        .build();
    assert!(d.is_err(), "a password is not an A128KW key");
    let d = pbes2_decrypter().allow_pbes2().build().unwrap();
    assert_eq!(d.decrypt(&token).unwrap().plaintext(), b"x");

    let bomb = pbes2_token(1_000_000_000);
    let start = Instant::now();
    let err = d.decrypt(&bomb).unwrap_err();
    let took = start.elapsed();
    assert_eq!(err, Error::LimitExceeded(Limit::Pbes2Count));
    // A billion PBKDF2 iterations would take many minutes; the bound leaves room for a loaded
    // CI machine (the rejection itself takes microseconds).
    assert!(took < Duration::from_secs(1), "rejected in {took:?}");
    assert_eq!(
        d.decrypt(&pbes2_token(10_001)).unwrap_err(),
        Error::LimitExceeded(Limit::Pbes2Count)
    );
    assert_eq!(d.decrypt(&pbes2_token(0)).unwrap_err().code(), "malformed");
    // A raised cap admits more; the tampered header then fails the tag.
    let d = pbes2_decrypter()
        .allow_pbes2()
        .max_pbes2_count(20_000)
        .build()
        .unwrap();
    assert_eq!(
        d.decrypt(&pbes2_token(10_001)).unwrap_err(),
        Error::DecryptionFailed
    );

    // Encryption refuses weak parameters.
    assert!(
        Encrypter::password(b"pw", JweAlg::Pbes2Hs512A256KW)
            .unwrap()
            .pbes2_count(999)
            .is_err()
    );
    assert!(
        Encrypter::password(b"pw", JweAlg::Pbes2Hs512A256KW)
            .unwrap()
            .dangerous_fixed_salt(&[0; 7])
            .is_err()
    );
    assert!(Encrypter::password(b"", JweAlg::Pbes2Hs512A256KW).is_err());
    assert!(Encrypter::password(b"pw", JweAlg::A128KW).is_err());
}

/// A DEFLATE bomb (10 MB of zeros in about 10 kB) is stopped at the cap.
#[test]
fn zip_bomb_rejected_at_cap() {
    let key = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let e = Encrypter::new(&key, JweAlg::A256KW).unwrap();
    let bomb = vec![0u8; 10_000_000];
    let token = JweBuilder::new(&bomb, Enc::A256Gcm)
        .deflate()
        .recipient(&e)
        .compact()
        .unwrap();
    assert!(token.len() < 20_000, "{}", token.len());
    let d = Decrypter::builder(key.clone())
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert_eq!(
        d.decrypt(&token).unwrap_err(),
        Error::LimitExceeded(Limit::Decompressed)
    );
    let fits = vec![0u8; 250_000];
    let token = JweBuilder::new(&fits, Enc::A256Gcm)
        .deflate()
        .recipient(&e)
        .compact()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap().plaintext().len(), 250_000);
    let over = JweBuilder::new(&[0u8; 250_001], Enc::A256Gcm)
        .deflate()
        .recipient(&e)
        .compact()
        .unwrap();
    assert_eq!(
        d.decrypt(&over).unwrap_err(),
        Error::LimitExceeded(Limit::Decompressed)
    );
    let d = Decrypter::builder(key)
        .algorithms_from_keys()
        .max_decompressed_size(20_000_000)
        .build()
        .unwrap();
    let token = JweBuilder::new(&bomb, Enc::A256Gcm)
        .deflate()
        .recipient(&e)
        .compact()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap().plaintext().len(), bomb.len());
}

/// `zip` is only honoured from the protected header.
#[test]
fn zip_only_from_protected_header() {
    let key = Jwk::generate_jwe(JweAlg::A128KW).unwrap();
    let e = Encrypter::new(&key, JweAlg::A128KW).unwrap();
    let d = Decrypter::builder(key)
        .algorithms_from_keys()
        .build()
        .unwrap();
    let token = JweBuilder::new(b"x", Enc::A128Gcm)
        .recipient(&e)
        .flattened()
        .unwrap();
    let mut v: Value = serde_json::from_str(&token).unwrap();
    v["unprotected"] = json!({"zip": "DEF"});
    assert!(matches!(
        d.decrypt(&v.to_string()),
        Err(Error::Malformed(_))
    ));
    assert!(
        JweBuilder::new(b"x", Enc::A128Gcm)
            .unprotected(Header::empty().param("zip", "DEF"))
            .recipient(&e)
            .flattened()
            .is_err()
    );
}

/// RSA1_5 is refused unless enabled; enabled, every padding or length failure has the same
/// outcome as a wrong CEK (implicit rejection): the one opaque error.
#[test]
fn rsa1_5_disabled_by_default_and_constant_outcome() {
    let key = Jwk::generate_rsa(2048).unwrap();
    let e = Encrypter::rsa1_5(&key.to_public().unwrap()).unwrap();
    let token = JweBuilder::new(b"x", Enc::A128CbcHs256)
        .recipient(&e)
        .compact()
        .unwrap();
    let d = Decrypter::builder(key.clone())
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap_err(), Error::AlgorithmNotAllowed);
    assert!(matches!(
        Decrypter::builder(key.clone())
            .algorithms([JweAlg::Rsa1_5])
            .build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        Encrypter::new(&key.to_public().unwrap(), JweAlg::Rsa1_5),
        Err(Error::Config(_))
    ));

    let d = Decrypter::builder(key.clone())
        .algorithms([JweAlg::Rsa1_5])
        .dangerous_allow_rsa1_5()
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap().plaintext(), b"x");
    let p = parts(&token);
    // Bad padding: a random "encrypted key".
    let mut bad_padding = p.clone();
    bad_padding[1] = b64::encode([0x5au8; 256]);
    // Good padding, wrong length: a 16-byte CEK where A128CBC-HS256 needs 32.
    let short = JweBuilder::new(b"x", Enc::A128Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    let mut wrong_len = p.clone();
    wrong_len[1] = parts(&short)[1].clone();
    // Good padding, right length, wrong CEK.
    let other = JweBuilder::new(b"x", Enc::A128CbcHs256)
        .recipient(&e)
        .compact()
        .unwrap();
    let mut wrong_cek = p.clone();
    wrong_cek[1] = parts(&other)[1].clone();
    // Not even the modulus length.
    let mut short_ct = p.clone();
    short_ct[1] = b64::encode([1u8; 10]);
    for forged in [bad_padding, wrong_len, wrong_cek, short_ct] {
        assert_eq!(
            d.decrypt(&forged.join(".")).unwrap_err(),
            Error::DecryptionFailed
        );
    }
}

#[test]
fn single_recipient_algorithms_and_header_rules() {
    let dir = Jwk::generate_jwe(JweAlg::Dir).unwrap();
    let kw = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let e_dir = Encrypter::new(&dir, JweAlg::Dir).unwrap();
    let e_kw = Encrypter::new(&kw, JweAlg::A256KW).unwrap();
    assert!(matches!(
        JweBuilder::new(b"x", Enc::A256Gcm)
            .recipient(&e_dir)
            .recipient(&e_kw)
            .general(),
        Err(Error::Config(_))
    ));
    // A general JWE naming dir among several recipients is refused on input too.
    let token = JweBuilder::new(b"x", Enc::A256Gcm)
        .recipient(&e_kw)
        .recipient(&e_kw)
        .general()
        .unwrap();
    let mut v: Value = serde_json::from_str(&token).unwrap();
    v["recipients"][1]["header"]["alg"] = json!("dir");
    let d = Decrypter::builder(JwkSet::from(vec![dir, kw.clone()]))
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert!(matches!(
        d.decrypt(&v.to_string()),
        Err(Error::Malformed(_))
    ));

    // crit: unknown names and crit outside the protected header are rejected.
    let crit = JweBuilder::new(b"x", Enc::A256Gcm)
        .protected(
            Header::empty()
                .param("crit", json!(["exp"]))
                .param("exp", 1),
        )
        .recipient(&e_kw)
        .compact()
        .unwrap();
    let d = Decrypter::builder(kw.clone())
        .algorithms_from_keys()
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&crit).unwrap_err(), Error::Crit);
    let d2 = Decrypter::builder(kw.clone())
        .algorithms_from_keys()
        .critical(["exp"])
        .build()
        .unwrap();
    assert!(d2.decrypt(&crit).is_ok());
    let flat = JweBuilder::new(b"x", Enc::A256Gcm)
        .recipient(&e_kw)
        .flattened()
        .unwrap();
    let mut v: Value = serde_json::from_str(&flat).unwrap();
    v["unprotected"] = json!({"crit": ["x"], "x": 1});
    assert_eq!(d.decrypt(&v.to_string()).unwrap_err(), Error::Crit);
    // A parameter in two headers.
    let mut v: Value = serde_json::from_str(&flat).unwrap();
    v["unprotected"] = json!({"enc": "A256GCM"});
    assert!(matches!(
        d.decrypt(&v.to_string()),
        Err(Error::Malformed(_))
    ));
    // Unknown algorithms, `none`, and an `enc` outside the allowed list.
    for (alg, enc) in [("none", "A256GCM"), ("A256KW", "A256CBC"), ("dir", "none")] {
        let mut p = parts(&crate_compact(&e_kw));
        p[0] = b64::encode(json!({"alg": alg, "enc": enc}).to_string());
        assert!(
            matches!(d.decrypt(&p.join(".")), Err(Error::UnsupportedAlgorithm(_))),
            "{alg} {enc}"
        );
    }
    let only_gcm = Decrypter::builder(kw)
        .algorithms_from_keys()
        .encryptions([Enc::A128Gcm])
        .build()
        .unwrap();
    assert_eq!(
        only_gcm.decrypt(&crate_compact(&e_kw)).unwrap_err(),
        Error::AlgorithmNotAllowed
    );
    // Structural limits.
    assert!(matches!(
        Jwe::parse("a.b.c.d", 1000),
        Err(Error::Malformed(_))
    ));
    assert_eq!(
        Jwe::parse(&"a".repeat(2000), 1000).unwrap_err(),
        Error::LimitExceeded(Limit::Size)
    );
}

fn crate_compact(e: &Encrypter) -> String {
    JweBuilder::new(b"x", Enc::A256Gcm)
        .recipient(e)
        .compact()
        .unwrap()
}

/// Errors and `Debug` never show key material or plaintext.
#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let key = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let k = key.to_value()["k"].as_str().unwrap().to_owned();
    let e = Encrypter::new(&key, JweAlg::A256KW).unwrap();
    let d = Decrypter::builder(key)
        .algorithms_from_keys()
        .build()
        .unwrap();
    let token = JweBuilder::new(b"top secret plaintext", Enc::A256Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    let out = d.decrypt(&token).unwrap();
    for text in [format!("{e:?}"), format!("{d:?}")] {
        assert!(!text.contains(&k), "{text}");
    }
    let shown = format!("{out:?}");
    assert!(
        !shown.contains("116, 111, 112") && !shown.contains("top secret"),
        "{shown}"
    );
    assert!(shown.contains("plaintext_len: 20"), "{shown}");
}

/// A JWK whose `alg` names a JWE algorithm or content encryption it cannot serve is refused on
/// import, as for JWS algorithms.
#[test]
fn jwk_alg_consistency_on_import() {
    let k16 = b64::encode([7u8; 16]);
    for (alg, ok) in [
        ("A128KW", true),
        ("A256KW", false),
        ("A128GCM", true),
        ("A256GCM", false),
        ("RSA-OAEP", false),
        ("ECDH-ES", false),
        ("dir", true),
        ("PBES2-HS256+A128KW", true),
    ] {
        let json = format!(r#"{{"kty":"oct","alg":"{alg}","k":"{k16}"}}"#);
        assert_eq!(Jwk::from_json(&json).is_ok(), ok, "{alg}");
    }
    let ec = Jwk::generate(JwsAlg::ES256)
        .unwrap()
        .without_alg()
        .to_value();
    let mut v = ec.clone();
    v["alg"] = json!("ECDH-ES+A128KW");
    assert!(Jwk::from_json(&v.to_string()).is_ok());
    v["alg"] = json!("RSA-OAEP-256");
    assert!(Jwk::from_json(&v.to_string()).is_err());
    let mut k1 = Jwk::generate(JwsAlg::ES256K)
        .unwrap()
        .without_alg()
        .to_value();
    k1["alg"] = json!("ECDH-ES");
    assert!(
        Jwk::from_json(&k1.to_string()).is_err(),
        "secp256k1 is not a JWE curve"
    );
}

// ---- Security review (issue 8): the kind of token and who could have made it ----

fn jwt_claims() -> Value {
    json!({"sub": "admin", "exp": 4_000_000_000_i64})
}

/// An encrypted-only JWT under RSA-OAEP or ECDH-ES can be made by anyone with the public key:
/// the verifier refuses to be built for it unless the caller opts in by name.
#[test]
fn public_key_encrypted_jwts_need_an_explicit_opt_in() {
    use tessera_jose::jwt::{JwtEncrypter, Verifier};
    for alg in [JweAlg::RsaOaep256, JweAlg::EcdhEs, JweAlg::EcdhEsA256KW] {
        let private = Jwk::generate_jwe(alg).unwrap();
        // The forger only has the public key.
        let forged = JwtEncrypter::new(
            Encrypter::new(&private.to_public().unwrap(), alg).unwrap(),
            Enc::A256Gcm,
        )
        .encrypt(&jwt_claims())
        .unwrap();
        let decrypter = || {
            Decrypter::builder(private.clone())
                .algorithms_from_keys()
                .build()
                .unwrap()
        };
        let refused = Verifier::encrypted(decrypter()).build();
        assert!(matches!(refused, Err(Error::Config(_))), "{alg:?}");
        let opted = Verifier::encrypted(decrypter())
            .accept_unauthenticated_senders()
            .build()
            .unwrap();
        assert_eq!(
            opted.verify::<Value>(&forged).unwrap().claims()["sub"],
            "admin"
        );
    }
    // Shared-secret key management needs no opt-in.
    for alg in [JweAlg::Dir, JweAlg::A128KW, JweAlg::A256GCMKW] {
        let key = Jwk::generate_jwe(alg).unwrap();
        let token = JwtEncrypter::new(Encrypter::new(&key, alg).unwrap(), Enc::A256Gcm)
            .encrypt(&jwt_claims())
            .unwrap();
        let v = Verifier::encrypted(
            Decrypter::builder(key)
                .algorithms([alg])
                .encryptions([Enc::A256Gcm])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
        assert!(v.verify::<Value>(&token).is_ok(), "{alg:?}");
    }
}

/// A flattened JWE whose `typ` sits in the unprotected header is not an encrypted JWT of that
/// type: JWTs are compact, and `typ`/`cty` are read from the protected header only.
#[test]
fn encrypted_jwts_are_compact_and_typed_by_the_protected_header() {
    use tessera_jose::jwt::Verifier;
    let key = Jwk::generate_jwe(JweAlg::A256KW).unwrap();
    let v = Verifier::encrypted(
        Decrypter::builder(key.clone())
            .algorithms([JweAlg::A256KW])
            .build()
            .unwrap(),
    )
    .typ("at+jwt")
    .build()
    .unwrap();
    // Four dots in a header value give the JSON form a compact-looking dot count.
    let flattened = JweBuilder::new(jwt_claims().to_string().as_bytes(), Enc::A256Gcm)
        .unprotected(Header::empty().typ("at+jwt").param("pad", "...."))
        .recipient(&Encrypter::new(&key, JweAlg::A256KW).unwrap())
        .flattened()
        .unwrap();
    assert_eq!(flattened.matches('.').count(), 4);
    assert!(v.verify::<Value>(&flattened).is_err());
    // The library's decrypter keeps the two headers apart.
    let d = Decrypter::builder(key.clone())
        .algorithms([JweAlg::A256KW])
        .build()
        .unwrap();
    let out = d.decrypt(&flattened).unwrap();
    assert_eq!(out.protected().typ_value(), None);
    assert_eq!(out.unprotected().typ_value(), Some("at+jwt"));
    // The same token as a compact JWE with typ protected passes.
    let compact = JweBuilder::new(jwt_claims().to_string().as_bytes(), Enc::A256Gcm)
        .protected(Header::empty().typ("at+jwt"))
        .recipient(&Encrypter::new(&key, JweAlg::A256KW).unwrap())
        .compact()
        .unwrap();
    assert!(v.verify::<Value>(&compact).is_ok());
}

/// A JWE naming a key's kid is only decrypted by that key, never by a kid-less one.
#[test]
fn a_jwe_kid_is_only_served_by_the_key_with_that_kid() {
    let named = Jwk::generate_jwe(JweAlg::RsaOaep256)
        .unwrap()
        .with_kid("rsa1");
    let anon = Jwk::generate_jwe(JweAlg::A128KW)
        .unwrap()
        .with_kid_removed();
    let d = Decrypter::builder(JwkSet::from(vec![named, anon.clone()]))
        .algorithms([JweAlg::RsaOaep256, JweAlg::A128KW])
        .build()
        .unwrap();
    let token = JweBuilder::new(b"x", Enc::A128Gcm)
        .protected(Header::empty().kid("rsa1"))
        .recipient(&Encrypter::new(&anon, JweAlg::A128KW).unwrap())
        .compact()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap_err(), Error::NoMatchingKey);
}
