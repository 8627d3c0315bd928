//! JWE property tests: encrypt→decrypt round trips for every `alg` × `enc` pair in every
//! serialization; any change to any byte of a token is rejected; parsers never panic.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::{Decrypter, Encrypter, Jwe, JweBuilder, MIN_PBES2_COUNT};
use tessera_jose::jws::{Format, Header};
use tessera_jose::{Enc, Error, JweAlg, Jwk};

/// One private key per algorithm, generated once (RSA generation is slow). ECDH-ES keys cycle
/// through P-256, P-384, P-521 and X25519.
fn keys() -> &'static HashMap<JweAlg, Jwk> {
    static KEYS: OnceLock<HashMap<JweAlg, Jwk>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = Jwk::generate_rsa(2048).unwrap();
        let curves = [
            Jwk::generate(tessera_jose::JwsAlg::ES256)
                .unwrap()
                .without_alg(),
            Jwk::generate(tessera_jose::JwsAlg::ES384)
                .unwrap()
                .without_alg(),
            Jwk::generate(tessera_jose::JwsAlg::ES512)
                .unwrap()
                .without_alg(),
            Jwk::generate_x25519().unwrap(),
        ];
        JweAlg::ALL
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let key = match a.mode() {
                    KeyManagement::RsaOaep | KeyManagement::RsaPkcs1 => rsa.clone(),
                    KeyManagement::EcdhEs | KeyManagement::EcdhEsKw => curves[i % 4].clone(),
                    _ => Jwk::generate_jwe(a).unwrap().without_alg(),
                };
                (a, key)
            })
            .collect()
    })
}

fn encrypter(alg: JweAlg, key: &Jwk) -> Encrypter {
    match alg.mode() {
        KeyManagement::RsaPkcs1 => Encrypter::rsa1_5(&key.to_public().unwrap()).unwrap(),
        KeyManagement::Pbes2 => Encrypter::password(b"correct horse battery staple", alg)
            .unwrap()
            .pbes2_count(MIN_PBES2_COUNT)
            .unwrap(),
        _ => Encrypter::new(&key.to_public().unwrap_or_else(|_| key.clone()), alg).unwrap(),
    }
}

fn decrypter(alg: JweAlg, key: &Jwk) -> Decrypter {
    let key = match alg.mode() {
        KeyManagement::Pbes2 => Jwk::from_secret(b"correct horse battery staple"),
        KeyManagement::Direct => key.clone(),
        _ => key.clone(),
    };
    Decrypter::builder(key)
        .algorithms([alg])
        .dangerous_allow_rsa1_5()
        .allow_pbes2()
        .build()
        .unwrap()
}

fn direct_key(enc: Enc) -> Jwk {
    Jwk::generate_oct(enc.cek_len()).unwrap()
}

const FORMATS: [Format; 3] = [Format::Compact, Format::Flattened, Format::General];

#[test]
fn every_alg_enc_and_serialization_round_trips() {
    for alg in JweAlg::ALL {
        for enc in Enc::ALL {
            let key = if alg == JweAlg::Dir {
                direct_key(enc)
            } else {
                keys()[&alg].clone()
            };
            let e = encrypter(alg, &key);
            let d = decrypter(alg, &key);
            for format in FORMATS {
                let plaintext = format!("{alg} {enc} {format:?}");
                let token = JweBuilder::new(plaintext.as_bytes(), enc)
                    .protected(Header::empty().typ("example"))
                    .recipient(&e)
                    .serialize(format)
                    .unwrap_or_else(|err| panic!("{alg} {enc} {format:?}: {err}"));
                let out = d
                    .decrypt(&token)
                    .unwrap_or_else(|err| panic!("{alg} {enc} {format:?}: {err}"));
                assert_eq!(out.plaintext(), plaintext.as_bytes());
                assert_eq!((out.alg(), out.enc(), out.format()), (alg, enc, format));
                assert_eq!(out.protected().typ_value(), Some("example"));
            }
        }
    }
}

#[test]
fn several_recipients_each_decrypt() {
    let wrapping: Vec<JweAlg> = JweAlg::ALL
        .into_iter()
        .filter(|a| !a.is_single_recipient())
        .collect();
    let encrypters: Vec<Encrypter> = wrapping
        .iter()
        .map(|&a| encrypter(a, &keys()[&a]).kid(Some(a.name())))
        .collect();
    // 17 wrapping algorithms; a general JWE holds at most MAX_RECIPIENTS (16), so two halves.
    for enc in Enc::ALL {
        for (chunk, algs) in wrapping.chunks(9).enumerate() {
            let mut b = JweBuilder::new(b"to everyone", enc)
                .unprotected(Header::empty().param("note", "shared"))
                .aad(b"context");
            for e in &encrypters[chunk * 9..chunk * 9 + algs.len()] {
                b = b.recipient(e);
            }
            let token = b.general().unwrap();
            for (i, &alg) in algs.iter().enumerate() {
                let key = if alg.mode() == KeyManagement::Pbes2 {
                    Jwk::from_secret(b"correct horse battery staple")
                } else {
                    keys()[&alg].clone()
                };
                let d = Decrypter::builder(key.with_kid(alg.name()))
                    .algorithms([alg])
                    .dangerous_allow_rsa1_5()
                    .allow_pbes2()
                    .build()
                    .unwrap();
                let out = d
                    .decrypt(&token)
                    .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
                assert_eq!(out.plaintext(), b"to everyone");
                assert_eq!(out.recipient(), i);
                assert_eq!(out.unprotected().get_str("note"), Some("shared"));
            }
        }
    }
}

fn fixture() -> &'static (Decrypter, Vec<String>) {
    static F: OnceLock<(Decrypter, Vec<String>)> = OnceLock::new();
    F.get_or_init(|| {
        let key = keys()[&JweAlg::EcdhEsA128KW].clone();
        let e = encrypter(JweAlg::EcdhEsA128KW, &key);
        let tokens = [Enc::A128Gcm, Enc::A256CbcHs512]
            .into_iter()
            .flat_map(|enc| {
                let e = &e;
                FORMATS.into_iter().map(move |f| {
                    JweBuilder::new(b"property", enc)
                        .recipient(e)
                        .serialize(f)
                        .unwrap()
                })
            })
            .collect();
        (decrypter(JweAlg::EcdhEsA128KW, &key), tokens)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_plaintexts_and_aad_round_trip(
        plaintext in proptest::collection::vec(any::<u8>(), 0..512),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        alg_index in 0..JweAlg::ALL.len(),
        enc_index in 0..Enc::ALL.len(),
        zip in any::<bool>(),
    ) {
        let alg = JweAlg::ALL[alg_index];
        prop_assume!(alg.mode() != KeyManagement::Pbes2 && alg != JweAlg::Dir);
        let enc = Enc::ALL[enc_index];
        let key = &keys()[&alg];
        let e = encrypter(alg, key);
        let mut b = JweBuilder::new(&plaintext, enc).aad(&aad).recipient_with_header(&e, Header::empty());
        if zip {
            b = b.deflate();
        }
        let token = b.flattened().unwrap();
        let out = decrypter(alg, key).decrypt(&token).unwrap();
        prop_assert_eq!(out.plaintext(), &plaintext[..]);
    }

    #[test]
    fn any_changed_byte_is_rejected(index in any::<prop::sample::Index>(), byte in any::<u8>(), which in 0..6usize) {
        let (d, tokens) = fixture();
        let token = &tokens[which];
        let i = index.index(token.len());
        prop_assume!(token.as_bytes()[i] != byte);
        let mut bytes = token.as_bytes().to_vec();
        bytes[i] = byte;
        if let Ok(changed) = String::from_utf8(bytes) {
            match d.decrypt(&changed) {
                // JSON has insignificant bytes (whitespace, member order); only the same
                // plaintext may come out, never a different one.
                Ok(out) => prop_assert_eq!(out.plaintext(), b"property"),
                Err(e) => prop_assert!(!matches!(e, Error::Crypto), "{e}"),
            }
        }
    }

    #[test]
    fn parsers_never_panic(input in ".{0,400}") {
        let _ = Jwe::parse(&input, 1 << 20);
        let _ = fixture().0.decrypt(&input);
    }

    #[test]
    fn json_shaped_input_never_panics(
        parts in proptest::collection::vec("[A-Za-z0-9_-]{0,40}", 5),
        protected in "\\{(\"[a-z]{1,4}\":(\"[A-Za-z0-9+-]{0,12}\"|[0-9]{1,12}|\\{\\}),?){0,4}\\}",
    ) {
        let header = tessera_jose::b64::encode(protected.as_bytes());
        let compact = format!("{header}.{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[3]);
        let _ = fixture().0.decrypt(&compact);
        let json = format!(
            r#"{{"protected":"{header}","unprotected":{protected},"encrypted_key":"{}","iv":"{}","ciphertext":"{}","tag":"{}"}}"#,
            parts[0], parts[1], parts[2], parts[3]
        );
        let _ = fixture().0.decrypt(&json);
    }
}
