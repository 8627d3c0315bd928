//! DPoP (RFC 9449): the RFC's examples (§4.1 proof, §6.1 `jkt`, §7.1 `ath`) reproduced, and
//! every check: each field tampered, replay, algorithm and key rules.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tessera_jose::dpop::{Proof, ProofVerifier, Request, access_token_hash};
use tessera_jose::error::DpopProblem;
use tessera_jose::jwk::ThumbprintHash;
use tessera_jose::jws::{Header, JwsBuilder, Signer};
use tessera_jose::jwt::FixedClock;
use tessera_jose::{Error, Jwk, JwsAlg, b64};

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/rfc9449/examples.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn verifier(now: i64) -> ProofVerifier {
    ProofVerifier::builder()
        .clock(FixedClock(now))
        .build()
        .unwrap()
}

#[test]
fn rfc9449_examples() {
    let v = vectors();
    // §4.1: the token request proof verifies at its time.
    let t = &v["token_request_proof"];
    let proof = t["proof"].as_str().unwrap();
    let checked = verifier(t["iat"].as_i64().unwrap())
        .verify(
            proof,
            &Request::new("POST", "https://server.example.com/token"),
        )
        .unwrap();
    // §6.1: its key's thumbprint is the jkt of a bound token.
    assert_eq!(checked.jkt(), v["jkt"]["jkt"].as_str().unwrap());
    let jwk = Jwk::from_json(&v["jkt"]["jwk"].to_string()).unwrap();
    assert_eq!(
        jwk.thumbprint(ThumbprintHash::Sha256),
        v["jkt"]["jkt"].as_str().unwrap()
    );
    // §7.1: ath of the example access token, and the resource proof with it.
    let r = &v["resource_request_proof"];
    let token = r["access_token"].as_str().unwrap();
    assert_eq!(access_token_hash(token), r["ath"].as_str().unwrap());
    let req = Request::new("GET", "https://resource.example.org/protectedresource")
        .access_token(token)
        .jkt(v["jkt"]["jkt"].as_str().unwrap());
    verifier(r["iat"].as_i64().unwrap())
        .verify(r["proof"].as_str().unwrap(), &req)
        .unwrap();
    // The same proof with another token, or another method, fails with its own code.
    let other =
        Request::new("GET", "https://resource.example.org/protectedresource").access_token("other");
    assert_eq!(
        verifier(r["iat"].as_i64().unwrap())
            .verify(r["proof"].as_str().unwrap(), &other)
            .unwrap_err(),
        Error::Dpop(DpopProblem::AccessTokenHash)
    );
}

/// A proof with any header and claims, signed by `key`.
fn forge(key: &Jwk, alg: JwsAlg, header: Value, claims: Value) -> String {
    let mut h = Header::new(alg);
    for (k, v) in header.as_object().unwrap() {
        h = h.param(k, v.clone());
    }
    JwsBuilder::new(claims.to_string().as_bytes())
        .signature(&Signer::new(key, alg).unwrap(), h, None)
        .compact()
        .unwrap()
}

const NOW: i64 = 1_800_000_000;
const HTU: &str = "https://api.example.com/orders";

#[test]
fn every_check_has_its_own_error() {
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let public = key.to_public().unwrap().with_kid_removed().to_value();
    let claims = || json!({"jti": "j1", "htm": "GET", "htu": HTU, "iat": NOW});
    let header = || json!({"typ": "dpop+jwt", "jwk": public});
    let check = |proof: &str, req: &Request<'_>| {
        verifier(NOW)
            .verify(proof, req)
            .map(|_| ())
            .map_err(|e| e.code())
    };
    let req = Request::new("GET", HTU);
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, header(), claims()), &req),
        Ok(())
    );
    let mut c = claims();
    c["htm"] = json!("POST");
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, header(), c), &req),
        Err("dpop_method")
    );
    let mut c = claims();
    c["htu"] = json!("https://api.example.com/other");
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, header(), c), &req),
        Err("dpop_uri")
    );
    // htu compares after normalisation: case, default port, query and fragment.
    let mut c = claims();
    c["htu"] = json!("HTTPS://API.example.com:443/orders?page=2#x");
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, header(), c), &req),
        Ok(())
    );
    for iat in [NOW - 70, NOW + 10] {
        let mut c = claims();
        c["iat"] = json!(iat);
        assert_eq!(
            check(&forge(&key, JwsAlg::ES256, header(), c), &req),
            Err("dpop_iat"),
            "{iat}"
        );
    }
    let mut c = claims();
    c["iat"] = json!("1800000000");
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, header(), c), &req),
        Err("dpop_iat")
    );
    let mut h = header();
    h["typ"] = json!("JWT");
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, h, claims()), &req),
        Err("dpop_type")
    );
    // A private key in the header, a secret, no key.
    let mut h = header();
    h["jwk"] = key.to_value();
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, h, claims()), &req),
        Err("dpop_key")
    );
    let mut h = header();
    h["jwk"] = json!({"kty": "oct", "k": b64::encode([1u8; 32])});
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, h, claims()), &req),
        Err("dpop_key")
    );
    let mut h = header();
    h.as_object_mut().unwrap().remove("jwk");
    assert_eq!(
        check(&forge(&key, JwsAlg::ES256, h, claims()), &req),
        Err("dpop_key")
    );
    // HMAC proofs are never accepted.
    let secret = Jwk::generate(JwsAlg::HS256).unwrap();
    assert_eq!(
        check(&forge(&secret, JwsAlg::HS256, header(), claims()), &req),
        Err("dpop_algorithm")
    );
    // Signed by another key than the one in the header.
    let other = Jwk::generate(JwsAlg::ES256).unwrap();
    assert_eq!(
        check(&forge(&other, JwsAlg::ES256, header(), claims()), &req),
        Err("signature_invalid")
    );
    // ath, nonce and the token binding.
    let token = "the.access.token";
    let mut c = claims();
    c["jti"] = json!("j2");
    c["ath"] = json!(access_token_hash(token));
    c["nonce"] = json!("n-1");
    let good = forge(&key, JwsAlg::ES256, header(), c);
    let jkt = key.thumbprint(ThumbprintHash::Sha256);
    let with = |t: &'static str, n: &'static str, k: &str| {
        let r = Request::new("GET", HTU).access_token(t).nonce(n);
        let k = k.to_owned();
        verifier(NOW)
            .verify(&good, &r.jkt(&k))
            .map(|_| ())
            .map_err(|e| e.code())
    };
    assert_eq!(with("other", "n-1", &jkt), Err("dpop_ath"));
    assert_eq!(with(token, "n-2", &jkt), Err("dpop_nonce"));
    assert_eq!(with(token, "n-1", "not-the-key"), Err("dpop_binding"));
    assert_eq!(with(token, "n-1", &jkt), Ok(()));
    // A set of accepted nonces (current and previous): the proof's is one of them.
    let c = json!({"jti": "j3", "htm": "GET", "htu": HTU, "iat": NOW, "nonce": "old"});
    let p = forge(&key, JwsAlg::ES256, header(), c);
    assert_eq!(
        check(&p, &Request::new("GET", HTU).nonces(&["new", "other"])),
        Err("dpop_nonce")
    );
    assert_eq!(
        check(&p, &Request::new("GET", HTU).nonces(&["new", "old"])),
        Ok(())
    );
    // A token presented without ath in the proof.
    let c = claims();
    assert_eq!(
        check(
            &forge(&key, JwsAlg::ES256, header(), c),
            &Request::new("GET", HTU).access_token(token)
        ),
        Err("dpop_ath")
    );
    // Garbage.
    assert_eq!(check("a.b", &req), Err("dpop_malformed"));
    assert_eq!(check("x.y.z", &req), Err("dpop_malformed"));
}

#[test]
fn replays_are_refused_and_only_valid_proofs_are_remembered() {
    let key = Jwk::generate(JwsAlg::EdDSA).unwrap();
    let v = verifier(NOW);
    let proof = Proof::new(&key, JwsAlg::EdDSA)
        .unwrap()
        .issued_at(NOW)
        .jwt_id("once")
        .sign("GET", HTU)
        .unwrap();
    // A failed check does not record the jti...
    assert!(v.verify(&proof, &Request::new("POST", HTU)).is_err());
    // ...so the proof still works once, then never again.
    v.verify(&proof, &Request::new("GET", HTU)).unwrap();
    assert_eq!(
        v.verify(&proof, &Request::new("GET", HTU)).unwrap_err(),
        Error::Dpop(DpopProblem::Replay)
    );
    // Proofs made by Proof carry exactly what RFC 9449 §4.2 lists, and a public jwk only.
    let p = Proof::new(&key, JwsAlg::EdDSA)
        .unwrap()
        .access_token("t")
        .nonce("n")
        .sign("POST", HTU)
        .unwrap();
    let u = tessera_jose::dangerous::decode_unverified(&p).unwrap();
    assert_eq!(u.header.typ_value(), Some("dpop+jwt"));
    let jwk = u.header.get("jwk").unwrap();
    assert!(jwk.get("d").is_none() && jwk.get("kid").is_none());
    let claims = u.claims.unwrap();
    let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["ath", "htm", "htu", "iat", "jti", "nonce"]);
    assert!(Proof::new(&Jwk::generate(JwsAlg::HS256).unwrap(), JwsAlg::HS256).is_err());
    assert!(
        ProofVerifier::builder()
            .algorithms([JwsAlg::HS256])
            .build()
            .is_err()
    );
}

/// A clock the test moves.
#[derive(Clone)]
struct MovingClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl tessera_jose::jwt::Clock for MovingClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl MovingClock {
    fn set(&self, t: i64) {
        self.0.store(t, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn the_replay_window_is_the_acceptance_window() {
    // Defaults: proofs up to 60 s old, 5 s of skew either way.
    let clock = MovingClock(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(NOW)));
    let v = ProofVerifier::builder()
        .clock(clock.clone())
        .build()
        .unwrap();
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let proof = |iat: i64, jti: &str| {
        Proof::new(&key, JwsAlg::ES256)
            .unwrap()
            .issued_at(iat)
            .jwt_id(jti)
            .sign("GET", HTU)
            .unwrap()
    };
    let req = Request::new("GET", HTU);
    let code = |p: &str| v.verify(p, &req).map(|_| ()).map_err(|e| e.code());
    // The iat window's edges, at NOW: [NOW - 65, NOW + 5].
    assert_eq!(code(&proof(NOW + 5, "future-edge")), Ok(()));
    assert_eq!(code(&proof(NOW + 6, "future-past")), Err("dpop_iat"));
    assert_eq!(code(&proof(NOW - 65, "old-edge")), Ok(()));
    assert_eq!(code(&proof(NOW - 66, "old-past")), Err("dpop_iat"));
    // A proof used at the first second it is accepted is still refused as a replay at the
    // last second it would be accepted, and only refused for its age after that.
    let p = proof(NOW, "edge");
    clock.set(NOW - 5);
    assert_eq!(code(&p), Ok(()));
    clock.set(NOW + 65);
    assert_eq!(code(&p), Err("dpop_replay"));
    clock.set(NOW + 66);
    assert_eq!(code(&p), Err("dpop_iat"));
    // Its jti is forgotten then (held no longer than needed): a new proof may carry it.
    assert_eq!(code(&proof(NOW + 66, "edge")), Ok(()));
    // What a checked proof reports.
    let checked = v.verify(&proof(NOW + 66, "report"), &req).unwrap();
    assert_eq!(checked.claims()["jti"], "report");
    assert_eq!(checked.claims()["htm"], "GET");
    assert_eq!(checked.alg(), JwsAlg::ES256);
    assert!(v.algorithms().contains(&JwsAlg::ES256) && v.algorithms().len() == 7);
}

#[test]
fn the_window_must_be_positive() {
    let b = || ProofVerifier::builder().clock(FixedClock(NOW));
    assert!(b().max_age(1).leeway(0).build().is_ok());
    assert!(b().max_age(0).build().is_err());
    assert!(b().max_age(-5).build().is_err());
    assert!(b().leeway(-1).build().is_err());
    assert!(b().max_age(60).leeway(5).build().is_ok());
}

#[test]
fn jti_and_size_bounds() {
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let req = Request::new("GET", HTU);
    let v = verifier(NOW);
    let with = |jti: &str, nonce: &str| {
        Proof::new(&key, JwsAlg::ES256)
            .unwrap()
            .issued_at(NOW)
            .jwt_id(jti)
            .nonce(nonce)
            .sign("GET", HTU)
            .unwrap()
    };
    let code = |p: &str| v.verify(p, &req).map(|_| ()).map_err(|e| e.code());
    // jti: present, not empty, at most 256 characters.
    assert_eq!(code(&with("", "n")), Err("dpop_malformed"));
    assert_eq!(code(&with(&"j".repeat(256), "n")), Ok(()));
    assert_eq!(code(&with(&"k".repeat(257), "n")), Err("dpop_malformed"));
    let key_public = key.to_public().unwrap().with_kid_removed().to_value();
    let no_jti = forge(
        &key,
        JwsAlg::ES256,
        json!({"typ": "dpop+jwt", "jwk": key_public}),
        json!({"htm": "GET", "htu": HTU, "iat": NOW}),
    );
    assert_eq!(code(&no_jti), Err("dpop_malformed"));
    // Size: a proof of exactly 8192 bytes is read, one of 8193 is not.
    let mut exact = [None, None];
    'search: for pad in 5_000..6_500 {
        for j in 1..=4 {
            let jti = format!("{pad}-{}", "s".repeat(j));
            let p = with(&jti, &"x".repeat(pad));
            match p.len() {
                8192 if exact[0].is_none() => exact[0] = Some(p),
                8193 if exact[1].is_none() => exact[1] = Some(p),
                _ => {}
            }
            if exact.iter().all(Option::is_some) {
                break 'search;
            }
        }
    }
    let [Some(fits), Some(over)] = exact else {
        panic!("no proof of exactly 8192 and 8193 bytes was made");
    };
    assert_eq!(code(&fits), Ok(()));
    assert_eq!(code(&over), Err("dpop_malformed"));
}

#[test]
fn a_key_that_floods_the_replay_cache_is_refused_alone() {
    let cache = std::sync::Arc::new(tessera_jose::dpop::MemoryReplayCache::with_limits(1_000, 3));
    let v = ProofVerifier::builder()
        .clock(FixedClock(NOW))
        .replay_cache(cache.clone())
        .build()
        .unwrap();
    let flood = Jwk::generate(JwsAlg::ES256).unwrap();
    let other = Jwk::generate(JwsAlg::ES256).unwrap();
    let req = Request::new("GET", HTU);
    let proof = |key: &Jwk| {
        Proof::new(key, JwsAlg::ES256)
            .unwrap()
            .issued_at(NOW)
            .sign("GET", HTU)
            .unwrap()
    };
    for _ in 0..3 {
        v.verify(&proof(&flood), &req).unwrap();
    }
    assert_eq!(
        v.verify(&proof(&flood), &req).unwrap_err(),
        Error::Dpop(DpopProblem::Busy)
    );
    v.verify(&proof(&other), &req).unwrap();
    assert_eq!(cache.len(), 4);
}

/// `ProofVerifier::explain`: what the proof had beside what the request expected.
#[test]
fn rejections_are_explained() {
    let v = vectors();
    let r = &v["resource_request_proof"];
    let proof = r["proof"].as_str().unwrap();
    let iat = r["iat"].as_i64().unwrap();
    let token = r["access_token"].as_str().unwrap();
    let htu = "https://resource.example.org/protectedresource";
    let explain = |now: i64, req: &Request<'_>| {
        let verifier = verifier(now);
        let err = verifier.verify(proof, req).unwrap_err();
        verifier.explain(proof, req, &err)
    };
    assert_eq!(
        explain(iat + 600, &Request::new("GET", htu).access_token(token)).unwrap(),
        "the proof's iat is 1562262618, 600 s old; proofs are accepted up to 65 s old"
            .replace("1562262618", &iat.to_string())
    );
    assert_eq!(
        explain(iat - 60, &Request::new("GET", htu).access_token(token)).unwrap(),
        format!(
            "the proof's iat is {iat}, 60 s ahead of this server's clock ({}); at most 5 s are allowed",
            iat - 60
        )
    );
    let other = explain(iat, &Request::new("GET", htu).access_token("other")).unwrap();
    assert_eq!(
        other,
        format!(
            "the proof's ath is `{}`; the presented access token's is `{}`",
            access_token_hash(token),
            access_token_hash("other")
        )
    );
    let bound = explain(
        iat,
        &Request::new("GET", htu).access_token(token).jkt("another"),
    )
    .unwrap();
    assert_eq!(
        bound,
        format!(
            "the proof's key has thumbprint `{}`; the access token is bound to `another` (cnf.jkt)",
            v["jkt"]["jkt"].as_str().unwrap()
        )
    );
    // A replay says nothing more than its code.
    let verifier = verifier(iat);
    let req = Request::new("GET", htu).access_token(token);
    verifier.verify(proof, &req).unwrap();
    let err = verifier.verify(proof, &req).unwrap_err();
    assert_eq!(err, Error::Dpop(DpopProblem::Replay));
    assert_eq!(verifier.explain(proof, &req, &err), None);
}
