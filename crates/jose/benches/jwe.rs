//! JWE benchmark: encrypt and decrypt of the WORKLOAD token's claims (serialized once) with
//! `dir`+A256GCM, A256KW+A256GCM, ECDH-ES+A256KW (P-256)+A256GCM and RSA-OAEP-256+A256GCM,
//! against the bare aws-lc-rs operations on the same bytes, interleaved in one run.
//!
//! - tessera encrypt: plaintext → compact JWE (`JweBuilder` with a pre-parsed `Encrypter`).
//! - tessera decrypt: compact JWE → plaintext (`Decrypter::decrypt`).
//! - floor encrypt: random CEK and IV, the key management (AES-KW wrap; ephemeral P-256 key,
//!   ECDH, Concat KDF, AES-KW wrap; RSA-OAEP-256 encryption) and AES-256-GCM sealing with the
//!   same AAD; no base64url, no JSON.
//! - floor decrypt: the inverse (unwrap / agree+KDF+unwrap / RSA-OAEP-256 decryption, AES-GCM
//!   open) on the decoded parts of the same token.
//!
//! Run: `cargo bench -p tessera-jose --bench jwe` (`-- --rounds N`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "runner.rs"]
mod runner;
#[path = "setup.rs"]
mod setup;

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrap};
use aws_lc_rs::rand;
use aws_lc_rs::rsa::{
    OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use runner::{Op, fmt, median, median_ratio, rounds_arg};
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::{Enc, JweAlg, Jwk, b64};

enum FloorKey {
    Dir(LessSafeKey),
    /// `AesKek` is consumed by each wrap, so the floor builds it per token too.
    Kw(Vec<u8>),
    Ecdh {
        recipient_public: Vec<u8>,
        recipient_private: PrivateKey,
    },
    Rsa(OaepPublicEncryptingKey, OaepPrivateDecryptingKey),
}

struct Case {
    alg: JweAlg,
    plaintext: Vec<u8>,
    encrypter: Encrypter,
    decrypter: Decrypter,
    token: String,
    floor: FloorKey,
    /// The decoded parts of `token`, and its AAD, for the floor's decryption.
    aad: Vec<u8>,
    parts: Vec<Vec<u8>>,
}

fn gcm_key(k: &[u8]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, k).unwrap())
}

/// The Concat KDF for one SHA-256 block (A256KW needs 256 bits), as RFC 7518 §4.6.2 defines it.
fn concat_kdf_256(z: &[u8], alg: &str) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(&1u32.to_be_bytes());
    ctx.update(z);
    ctx.update(&u32::try_from(alg.len()).unwrap().to_be_bytes());
    ctx.update(alg.as_bytes());
    ctx.update(&[0u8; 8]);
    ctx.update(&256u32.to_be_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn seal(key: &LessSafeKey, aad: &[u8], plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut iv = [0u8; 12];
    rand::fill(&mut iv).unwrap();
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf)
        .unwrap();
    (buf, tag.as_ref().to_vec())
}

fn open(key: &LessSafeKey, aad: &[u8], iv: &[u8], ct: &[u8], tag: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(ct.len() + tag.len());
    buf.extend_from_slice(ct);
    buf.extend_from_slice(tag);
    let n = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(iv).unwrap(),
            Aad::from(aad),
            &mut buf,
        )
        .unwrap()
        .len();
    buf.truncate(n);
    buf
}

impl Case {
    fn new(alg: JweAlg) -> Self {
        let plaintext = serde_json::to_vec(&setup::claims()).unwrap();
        let key = Jwk::generate_jwe(alg).unwrap().with_kid("k1");
        let encrypter =
            Encrypter::new(&key.to_public().unwrap_or_else(|_| key.clone()), alg).unwrap();
        let decrypter = Decrypter::builder(key.clone())
            .algorithms([alg])
            .build()
            .unwrap();
        let token = JweBuilder::new(&plaintext, Enc::A256Gcm)
            .recipient(&encrypter)
            .compact()
            .unwrap();
        let parts: Vec<Vec<u8>> = token.split('.').map(|p| b64::decode(p).unwrap()).collect();
        let aad = token.split('.').next().unwrap().as_bytes().to_vec();
        let jwk = key.to_value();
        let bytes = |name: &str| b64::decode(jwk[name].as_str().unwrap()).unwrap();
        let floor = match alg {
            JweAlg::Dir => FloorKey::Dir(gcm_key(&bytes("k"))),
            JweAlg::A256KW => FloorKey::Kw(bytes("k")),
            JweAlg::EcdhEsA256KW => {
                let mut public = vec![4u8];
                public.extend(bytes("x"));
                public.extend(bytes("y"));
                FloorKey::Ecdh {
                    recipient_public: public,
                    recipient_private: PrivateKey::from_private_key(
                        &agreement::ECDH_P256,
                        &bytes("d"),
                    )
                    .unwrap(),
                }
            }
            _ => {
                let pkcs8 = key.to_pkcs8_der().unwrap();
                let private = PrivateDecryptingKey::from_pkcs8(&pkcs8).unwrap();
                let public = PublicEncryptingKey::from_der(&key.to_spki_der().unwrap()).unwrap();
                FloorKey::Rsa(
                    OaepPublicEncryptingKey::new(public).unwrap(),
                    OaepPrivateDecryptingKey::new(private).unwrap(),
                )
            }
        };
        Self {
            alg,
            plaintext,
            encrypter,
            decrypter,
            token,
            floor,
            aad,
            parts,
        }
    }

    fn tessera_encrypt(&self) -> String {
        JweBuilder::new(&self.plaintext, Enc::A256Gcm)
            .recipient(&self.encrypter)
            .compact()
            .unwrap()
    }

    fn tessera_decrypt(&self) -> usize {
        self.decrypter
            .decrypt(&self.token)
            .unwrap()
            .plaintext()
            .len()
    }

    /// Returns (encrypted key, ciphertext, tag) so nothing is optimized away.
    fn floor_encrypt(&self) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let aad = &self.aad;
        let mut cek = [0u8; 32];
        match &self.floor {
            FloorKey::Dir(key) => {
                let (ct, tag) = seal(key, aad, &self.plaintext);
                (Vec::new(), ct, tag)
            }
            FloorKey::Kw(kek) => {
                rand::fill(&mut cek).unwrap();
                let mut wrapped = [0u8; 40];
                AesKek::new(&AES_256, kek)
                    .unwrap()
                    .wrap(&cek, &mut wrapped)
                    .unwrap();
                let (ct, tag) = seal(&gcm_key(&cek), aad, &self.plaintext);
                (wrapped.to_vec(), ct, tag)
            }
            FloorKey::Ecdh {
                recipient_public, ..
            } => {
                let ephemeral = PrivateKey::generate(&agreement::ECDH_P256).unwrap();
                let epk = ephemeral.compute_public_key().unwrap();
                black_box(epk.as_ref());
                let kek = agreement::agree(
                    &ephemeral,
                    UnparsedPublicKey::new(&agreement::ECDH_P256, recipient_public),
                    (),
                    |z| Ok(concat_kdf_256(z, "ECDH-ES+A256KW")),
                )
                .unwrap();
                rand::fill(&mut cek).unwrap();
                let mut wrapped = [0u8; 40];
                AesKek::new(&AES_256, &kek)
                    .unwrap()
                    .wrap(&cek, &mut wrapped)
                    .unwrap();
                let (ct, tag) = seal(&gcm_key(&cek), aad, &self.plaintext);
                (wrapped.to_vec(), ct, tag)
            }
            FloorKey::Rsa(public, _) => {
                rand::fill(&mut cek).unwrap();
                let mut out = vec![0u8; public.ciphertext_size()];
                public
                    .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut out, None)
                    .unwrap();
                let (ct, tag) = seal(&gcm_key(&cek), aad, &self.plaintext);
                (out, ct, tag)
            }
        }
    }

    fn floor_decrypt(&self) -> Vec<u8> {
        let p = &self.parts;
        let (iv, ct, tag) = (&p[2], &p[3], &p[4]);
        let key = match &self.floor {
            FloorKey::Dir(key) => return open(key, &self.aad, iv, ct, tag),
            FloorKey::Kw(kek) => {
                let mut cek = [0u8; 32];
                AesKek::new(&AES_256, kek)
                    .unwrap()
                    .unwrap(&p[1], &mut cek)
                    .unwrap();
                gcm_key(&cek)
            }
            FloorKey::Ecdh {
                recipient_private, ..
            } => {
                // The ephemeral public key as the token carries it (decoded from its header).
                let header: serde_json::Value = serde_json::from_slice(&p[0]).unwrap();
                let mut epk = vec![4u8];
                epk.extend(b64::decode(header["epk"]["x"].as_str().unwrap()).unwrap());
                epk.extend(b64::decode(header["epk"]["y"].as_str().unwrap()).unwrap());
                let kek = agreement::agree(
                    recipient_private,
                    UnparsedPublicKey::new(&agreement::ECDH_P256, &epk),
                    (),
                    |z| Ok(concat_kdf_256(z, "ECDH-ES+A256KW")),
                )
                .unwrap();
                let mut cek = [0u8; 32];
                AesKek::new(&AES_256, &kek)
                    .unwrap()
                    .unwrap(&p[1], &mut cek)
                    .unwrap();
                gcm_key(&cek)
            }
            FloorKey::Rsa(_, private) => {
                let mut out = vec![0u8; private.min_output_size()];
                let n = private
                    .decrypt(&OAEP_SHA256_MGF1SHA256, &p[1], &mut out, None)
                    .unwrap()
                    .len();
                gcm_key(&out[..n])
            }
        };
        open(&key, &self.aad, iv, ct, tag)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = rounds_arg(&args);
    let batch = Duration::from_millis(20);
    println!("| alg + enc | op | tessera | floor (aws-lc-rs) | tessera / floor |");
    println!("|---|---|---|---|---|");
    for alg in [
        JweAlg::Dir,
        JweAlg::A256KW,
        JweAlg::EcdhEsA256KW,
        JweAlg::RsaOaep256,
    ] {
        let case = Case::new(alg);
        assert_eq!(case.floor_decrypt(), case.plaintext, "floor decrypt");
        assert_eq!(case.tessera_decrypt(), case.plaintext.len());
        for op in ["encrypt", "decrypt"] {
            let mut fns: Vec<Op<'_>> = if op == "encrypt" {
                vec![
                    (
                        "tessera",
                        Box::new(|| drop(black_box(black_box(&case).tessera_encrypt()))),
                    ),
                    (
                        "floor",
                        Box::new(|| drop(black_box(black_box(&case).floor_encrypt()))),
                    ),
                ]
            } else {
                vec![
                    (
                        "tessera",
                        Box::new(|| {
                            black_box(black_box(&case).tessera_decrypt());
                        }),
                    ),
                    (
                        "floor",
                        Box::new(|| drop(black_box(black_box(&case).floor_decrypt()))),
                    ),
                ]
            };
            let mut times = runner::interleave(&mut fns, rounds, batch);
            let ratio = median_ratio(&times[0], &times[1]);
            let med: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
            println!(
                "| {} + A256GCM | {op} | {} | {} | {ratio:.2}× |",
                case.alg.name(),
                fmt(med[0]),
                fmt(med[1]),
            );
        }
    }
}
