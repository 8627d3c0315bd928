//! RFC 7518 Appendix C: the ECDH-ES key agreement example. The RFC's ephemeral key is injected;
//! the CEK Tessera derives must be the RFC's derived key, which is checked by opening the
//! content with bare AES-GCM under that key (an independent primitive, not Tessera's code path).
#![allow(clippy::unwrap_used)]

mod common;

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use common::{jwk, s, vector};
use serde_json::Value;
use tessera_jose::jwe::{Decrypter, Encrypter, Jwe, JweBuilder};
use tessera_jose::{Enc, JweAlg, b64};

#[test]
fn appendix_c_ecdh_es_derivation() {
    let v = vector("rfc7518/appendix-c.json");
    let bob = jwk(&v["bob"]);
    let alice = jwk(&v["alice_ephemeral"]);
    let apu = b64::decode(s(&v["header"], "apu")).unwrap();
    let apv = b64::decode(s(&v["header"], "apv")).unwrap();
    assert_eq!((&apu[..], &apv[..]), (&b"Alice"[..], &b"Bob"[..]));
    let e = Encrypter::new(&bob.to_public().unwrap(), JweAlg::EcdhEs)
        .unwrap()
        .kid(None)
        .agreement_info(&apu, &apv)
        .dangerous_fixed_ephemeral(&alice)
        .unwrap();
    let token = JweBuilder::new(b"attack at dawn", Enc::A128Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    // The header carries the RFC's parameters.
    let parsed = Jwe::parse(&token, 1 << 20).unwrap();
    let h = parsed.protected();
    assert_eq!(h["apu"], v["header"]["apu"]);
    assert_eq!(h["apv"], v["header"]["apv"]);
    let mut epk = v["alice_ephemeral"].clone();
    epk.as_object_mut().unwrap().remove("d");
    assert_eq!(h["epk"], epk);
    // The content opens under the RFC's derived key.
    let parts: Vec<Vec<u8>> = token.split('.').map(|p| b64::decode(p).unwrap()).collect();
    let derived = b64::decode(s(&v, "derived_key")).unwrap();
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &derived).unwrap());
    let mut buf = [parts[3].clone(), parts[4].clone()].concat();
    let pt = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(&parts[2]).unwrap(),
            Aad::from(token.split('.').next().unwrap().as_bytes()),
            &mut buf,
        )
        .unwrap();
    assert_eq!(pt, b"attack at dawn");
    // And Bob decrypts it.
    let d = Decrypter::builder(bob)
        .algorithms([JweAlg::EcdhEs])
        .build()
        .unwrap();
    assert_eq!(d.decrypt(&token).unwrap().plaintext(), b"attack at dawn");
    let _: Value = v;
}
