//! Runs JWE encrypt and decrypt (`dir` + A256GCM by default, or the `alg` given) of the WORKLOAD
//! claims in a loop, for instruction counts: `valgrind --tool=callgrind
//! target/release/examples/jwe_count [alg] [encrypt|decrypt] [iterations]`.
#![allow(clippy::unwrap_used)]

use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::{Enc, JweAlg, Jwk};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let alg = JweAlg::from_name(args.get(1).map_or("dir", String::as_str)).unwrap();
    let op = args.get(2).map_or("decrypt", String::as_str);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let claims = br#"{"iss":"https://auth.example.com","sub":"user-8f14e45f","aud":"api://orders","exp":1800003600,"nbf":1799999990,"iat":1799999990,"jti":"4b1f0c2e-9c3a-4d7e-8a51-1f2b3c4d5e6f","scope":"orders:read orders:write profile","roles":["admin","billing"]}"#;
    let key = Jwk::generate_jwe(alg).unwrap().with_kid("k1");
    let e = Encrypter::new(&key.to_public().unwrap_or_else(|_| key.clone()), alg).unwrap();
    let d = Decrypter::builder(key).algorithms([alg]).build().unwrap();
    let token = JweBuilder::new(claims, Enc::A256Gcm)
        .recipient(&e)
        .compact()
        .unwrap();
    let mut total = 0usize;
    for _ in 0..n {
        total += if op == "encrypt" {
            JweBuilder::new(claims, Enc::A256Gcm)
                .recipient(&e)
                .compact()
                .unwrap()
                .len()
        } else {
            d.decrypt(&token).unwrap().plaintext().len()
        };
    }
    println!("{total}");
}
