//! DPoP interop, both ways, with independent implementations from the npm registry: proofs made
//! by panva's `dpop` package are checked by `tessera dpop verify`, and proofs made by `tessera
//! dpop proof` are checked with Node `jose` (signature by the embedded key, claims, `ath`,
//! thumbprint). Skipped without Node and the packages, unless `TESSERA_REQUIRE_INTEROP` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Env, json};

fn node_env() -> Option<Vec<(String, String)>> {
    let jose = std::env::var("TESSERA_JOSE_DIR").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ci/node/node_modules/jose"),
        PathBuf::from,
    );
    let dpop = jose.join("../dpop/build/index.js").canonicalize().ok()?;
    let jose = jose.join("dist/webapi/index.js").canonicalize().ok()?;
    let ok = Command::new("node")
        .arg("-e")
        .arg("0")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| {
        vec![
            (
                "TESSERA_JOSE_MODULE".into(),
                format!("file://{}", jose.display()),
            ),
            (
                "TESSERA_DPOP_MODULE".into(),
                format!("file://{}", dpop.display()),
            ),
        ]
    })
}

fn peer(env: &[(String, String)], args: &[&str]) -> (bool, serde_json::Value) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/dpop_peer.mjs");
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    (
        out.status.success(),
        serde_json::from_str(text.trim())
            .unwrap_or_else(|_| panic!("{text} {}", String::from_utf8_lossy(&out.stderr))),
    )
}

#[test]
fn dpop_proofs_both_ways() {
    let Some(node) = node_env() else {
        let required = std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "Node with the `dpop` and `jose` packages is required"
        );
        eprintln!("skipping DPoP interop: Node or its packages are missing");
        return;
    };
    let env = Env::new();
    let htu = "https://api.example.com/orders";
    let token = "an.access.token";
    // The peer makes proofs; Tessera checks them (with ath and the peer's jkt).
    for alg in ["ES256", "PS256", "RS256", "Ed25519"] {
        let (ok, made) = peer(&node, &["make", alg, htu, "POST", "", token]);
        assert!(ok, "{made}");
        let proof = made["proof"].as_str().unwrap();
        let jkt = made["jkt"].as_str().unwrap();
        let v = json(&env.ok(&[
            "dpop",
            "verify",
            proof,
            "--htm",
            "POST",
            "--htu",
            htu,
            "--access-token",
            token,
            "--jkt",
            jkt,
            "--json",
        ]));
        assert_eq!(v["valid"], true, "{alg}: {v}");
        assert_eq!(v["jkt"], jkt);
        // A tampered request is refused with its code.
        let r = env.run(&[
            "dpop", "verify", proof, "--htm", "GET", "--htu", htu, "--json",
        ]);
        assert_eq!(
            (r.code, json(&r.stdout)["code"].as_str()),
            (1, Some("dpop_method")),
            "{alg}"
        );
    }
    // Tessera makes proofs; the peer checks them.
    for (args, alg) in [
        (&["--kty", "EC", "--crv", "P-256"][..], "ES256"),
        (&["--alg", "EdDSA"], "EdDSA"),
        (&["--alg", "PS256"], "PS256"),
    ] {
        let key = env.key(&format!("{alg}.jwk"), args);
        let proof = env.ok(&[
            "dpop",
            "proof",
            "--key",
            &key,
            "--alg",
            alg,
            "--htm",
            "PUT",
            "--htu",
            htu,
            "--access-token",
            token,
        ]);
        let (ok, checked) = peer(&node, &["verify", proof.trim(), "PUT", htu, token]);
        assert!(ok, "{alg}: {checked}");
        let thumb = env.ok(&["jwk", "thumbprint", &key]);
        assert_eq!(checked["jkt"], thumb.trim(), "{alg}");
        // The peer refuses a proof for another token.
        let (ok, _) = peer(&node, &["verify", proof.trim(), "PUT", htu, "other.token"]);
        assert!(!ok);
    }
}
