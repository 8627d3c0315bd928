//! Generate a key, sign a JWT, publish the public key as a JWK Set, verify the token.
//!
//! `cargo run -p tessera-jose --example quickstart [ALG]` (default ES256).

use std::time::Duration;

use serde::Deserialize;
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{Claims, JwtSigner, Verifier};
use tessera_jose::{Error, Jwk, JwkSet, JwsAlg};

#[derive(Debug, Deserialize)]
struct AccessClaims {
    sub: String,
    scope: String,
    exp: i64,
}

fn main() -> Result<(), Error> {
    let alg = match std::env::args().nth(1) {
        Some(name) => JwsAlg::from_name(&name)?,
        None => JwsAlg::ES256,
    };

    let key = Jwk::generate(alg)?;
    let signer = JwtSigner::new(Signer::new(&key, alg)?);
    let token = Claims::new()
        .issuer("https://auth.example.com")
        .subject("user-8f14e45f")
        .audience("api://orders")
        .expires_in(Duration::from_secs(900))
        .claim("scope", "orders:read orders:write")?
        .random_jwt_id()?
        .sign(&signer)?;

    // What a resource server would fetch from the issuer: public keys only.
    let jwks_json = JwkSet::from(key.to_public()?).to_json();
    let verifier = Verifier::builder(JwkSet::from_json(&jwks_json)?)
        .algorithms([alg])
        .issuer("https://auth.example.com")
        .audience("api://orders")
        .leeway(Duration::from_secs(30))
        .build()?;
    let verified = verifier.verify::<AccessClaims>(&token)?;

    println!("key id:   {}", key.kid().unwrap_or("-"));
    println!("jwks:     {jwks_json}");
    println!("token:    {token}");
    println!(
        "verified: alg={} sub={} scope={:?} exp={}",
        verified.header().map_or("-", |h| h.alg.name()),
        verified.claims().sub,
        verified.claims().scope,
        verified.claims().exp
    );
    Ok(())
}
