//! Interop with two independent implementations, Python `jwcrypto` and Node `jose`, installed by
//! `.ci/run` from the package registries. In both directions: Tessera (the `tessera` binary)
//! signs or encrypts and the peer verifies or decrypts; the peer signs or encrypts and Tessera
//! verifies or decrypts. JWS, JWE and nested JWTs, every algorithm and serialization both
//! support. Each peer runs once per direction on a batch of requests (see `interop/*_peer.*`).
//!
//! Where a peer is not installed the test says so and passes, unless `TESSERA_REQUIRE_INTEROP`
//! is set (`.ci/run` sets it, so CI cannot skip).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

const FORMATS: [&str; 3] = ["compact", "flattened", "general"];

const JWS_BOTH: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA",
];
/// Every key-management algorithm except those a peer lacks: jwcrypto has no RSA-OAEP-384/512,
/// Node jose 6 no RSA1_5.
fn jwe_algs(except: &[&str]) -> Vec<&'static str> {
    tessera_jose::JweAlg::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| !except.contains(n))
        .collect()
}
const ENCS: &[&str] = &[
    "A128GCM",
    "A192GCM",
    "A256GCM",
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
];

struct Peer {
    name: &'static str,
    program: &'static str,
    script: PathBuf,
    env: Vec<(String, String)>,
    jws: Vec<&'static str>,
    jwe: Vec<&'static str>,
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty())
}

fn available(program: &str, args: &[&str], env: &[(String, String)]) -> bool {
    Command::new(program)
        .args(args)
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn jwcrypto() -> Option<Peer> {
    let ok = available("python3", &["-c", "import jwcrypto"], &[]);
    ok.then(|| Peer {
        name: "jwcrypto",
        program: "python3",
        script: manifest().join("tests/interop/jwcrypto_peer.py"),
        env: Vec::new(),
        jws: [
            JWS_BOTH,
            &["ES256K", "Ed25519", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"],
        ]
        .concat(),
        jwe: jwe_algs(&["RSA-OAEP-384", "RSA-OAEP-512"]),
    })
}

fn jose() -> Option<Peer> {
    let module = std::env::var("TESSERA_JOSE_DIR").map_or_else(
        |_| manifest().join("../../.ci/node/node_modules/jose"),
        PathBuf::from,
    );
    let entry = module.join("dist/webapi/index.js");
    let env = vec![(
        "TESSERA_JOSE_MODULE".to_owned(),
        format!("file://{}", entry.canonicalize().ok()?.display()),
    )];
    let ok = available("node", &["-e", "process.exit(0)"], &env);
    ok.then(|| Peer {
        name: "jose",
        program: "node",
        script: manifest().join("tests/interop/jose_peer.mjs"),
        env,
        jws: [JWS_BOTH, &["Ed25519"]].concat(),
        jwe: jwe_algs(&["RSA1_5"]),
    })
}

fn peer_or_skip(peer: Option<Peer>, name: &str) -> Option<Peer> {
    if peer.is_none() {
        assert!(
            !required(),
            "{name} is not installed but TESSERA_REQUIRE_INTEROP is set (.ci/run installs it)"
        );
        eprintln!("skipped: {name} is not installed (run .ci/run, which installs it)");
    }
    peer
}

/// Runs a command with `input` on its stdin, capturing stdout and stderr.
fn run_with_input(command: &mut Command, input: &[u8]) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

impl Peer {
    fn batch(&self, requests: &[Value]) -> Vec<Value> {
        let out = run_with_input(
            Command::new(self.program)
                .arg(&self.script)
                .envs(self.env.iter().cloned()),
            Value::Array(requests.to_vec()).to_string().as_bytes(),
        );
        assert!(
            out.status.success(),
            "{}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(answers.len(), requests.len());
        answers
    }
}

/// The `tessera` binary, in a temporary directory.
struct Tessera {
    dir: tempfile::TempDir,
    keys: HashMap<String, (String, Value)>,
}

impl Tessera {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            keys: HashMap::new(),
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> (i32, Vec<u8>, String) {
        let out = run_with_input(
            Command::new(env!("CARGO_BIN_EXE_tessera"))
                .args(args)
                .current_dir(self.dir.path()),
            stdin.unwrap_or_default(),
        );
        (
            out.status.code().unwrap_or(-1),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        let (code, out, err) = self.run(args, stdin);
        assert_eq!(code, 0, "tessera {args:?}: {err}");
        out
    }

    /// A key (generated once per kind) as (file, JWK).
    fn key(&mut self, kind: &str) -> (String, Value) {
        if let Some(k) = self.keys.get(kind) {
            return k.clone();
        }
        let args: Vec<&str> = match kind {
            "rsa" => vec!["--kty", "RSA"],
            "p256" => vec!["--kty", "EC", "--crv", "P-256"],
            "p384" => vec!["--kty", "EC", "--crv", "P-384"],
            "p521" => vec!["--kty", "EC", "--crv", "P-521"],
            "k256" => vec!["--kty", "EC", "--crv", "secp256k1"],
            "ed25519" => vec!["--kty", "OKP", "--crv", "Ed25519"],
            "x25519" => vec!["--kty", "OKP", "--crv", "X25519"],
            ml if ml.starts_with("ML-DSA") => vec!["--alg", ml],
            bits => vec!["--kty", "oct", "--bits", bits],
        };
        let mut all = vec!["jwk", "generate"];
        all.extend(args);
        let jwk = self.ok(&all, None);
        let path = self.dir.path().join(format!("{kind}.jwk"));
        std::fs::write(&path, &jwk).unwrap();
        let v: Value = serde_json::from_slice(&jwk).unwrap();
        let entry = (path.to_string_lossy().into_owned(), v);
        self.keys.insert(kind.to_owned(), entry.clone());
        entry
    }
}

fn jws_key_kind(alg: &str) -> &'static str {
    match alg {
        "HS256" => "256",
        "HS384" => "384",
        "HS512" => "512",
        "ES256" => "p256",
        "ES384" => "p384",
        "ES512" => "p521",
        "ES256K" => "k256",
        "EdDSA" | "Ed25519" => "ed25519",
        "ML-DSA-44" => "ML-DSA-44",
        "ML-DSA-65" => "ML-DSA-65",
        "ML-DSA-87" => "ML-DSA-87",
        _ => "rsa",
    }
}

fn jwe_key_kind(alg: &str, enc: &str, index: usize) -> String {
    match alg {
        "dir" => (enc_bytes(enc) * 8).to_string(),
        "A128KW" | "A128GCMKW" => "128".into(),
        "A192KW" | "A192GCMKW" => "192".into(),
        "A256KW" | "A256GCMKW" => "256".into(),
        a if a.starts_with("ECDH-ES") => ["p256", "p384", "p521", "x25519"][index % 4].into(),
        a if a.starts_with("PBES2") => "password".into(),
        _ => "rsa".into(),
    }
}

fn enc_bytes(enc: &str) -> usize {
    match enc {
        "A128GCM" => 16,
        "A192GCM" => 24,
        "A256GCM" | "A128CBC-HS256" => 32,
        "A192CBC-HS384" => 48,
        _ => 64,
    }
}

const PASSWORD: &str = "correct horse battery staple";

fn password_key() -> Value {
    json!({"kty": "oct", "k": tessera_jose::b64::encode(PASSWORD)})
}

fn check(peer: &Peer, what: &str, answers: &[Value]) -> Vec<String> {
    let failures: Vec<String> = answers
        .iter()
        .filter(|a| a["ok"] != true)
        .map(|a| a["error"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert!(failures.is_empty(), "{} {what}: {failures:#?}", peer.name);
    answers
        .iter()
        .map(|a| a["result"].as_str().unwrap().to_owned())
        .collect()
}

fn jws_both_ways(peer: &Peer) {
    let mut t = Tessera::new();
    let payload = br#"{"iss":"interop","n":1}"#;
    // Tessera signs, the peer verifies.
    let mut requests = Vec::new();
    for &alg in &peer.jws {
        for format in FORMATS {
            let (file, jwk) = t.key(jws_key_kind(alg));
            let token = t.ok(
                &[
                    "jws", "sign", "--key", &file, "--alg", alg, "--format", format,
                ],
                Some(payload),
            );
            let token = String::from_utf8(token).unwrap().trim().to_owned();
            requests.push(
                json!({"op": "verify", "alg": alg, "key": jwk, "token": token, "format": format}),
            );
        }
    }
    for r in check(peer, "verifying Tessera's JWS", &peer.batch(&requests)) {
        assert_eq!(tessera_jose::b64::decode(r).unwrap(), payload);
    }
    // The peer signs, Tessera verifies.
    let mut requests = Vec::new();
    let mut expect = Vec::new();
    for &alg in &peer.jws {
        for format in FORMATS {
            let (file, jwk) = t.key(jws_key_kind(alg));
            requests.push(
                json!({"op": "sign", "alg": alg, "key": jwk, "format": format,
                "data": tessera_jose::b64::encode(payload)}),
            );
            expect.push((alg, file));
        }
    }
    let tokens = check(peer, "signing", &peer.batch(&requests));
    for (token, (alg, file)) in tokens.iter().zip(expect) {
        let out = t.ok(
            &["jws", "verify", token, "--key", &file, "--alg", alg],
            None,
        );
        assert_eq!(out, payload, "{} {alg}", peer.name);
    }
}

fn jwe_both_ways(peer: &Peer) {
    let mut t = Tessera::new();
    let plaintext = b"interop plaintext \xe2\x9c\x93";
    let mut cases = Vec::new();
    for (i, &alg) in peer.jwe.iter().enumerate() {
        for (j, &enc) in ENCS.iter().enumerate() {
            // Every alg with every enc; every serialization across the combinations.
            cases.push((alg, enc, FORMATS[(i + j) % 3], i + j));
        }
    }
    let key_of = |t: &mut Tessera, alg: &str, enc: &str, n: usize| -> (Option<String>, Value) {
        let kind = jwe_key_kind(alg, enc, n);
        if kind == "password" {
            (None, password_key())
        } else {
            let (f, k) = t.key(&kind);
            (Some(f), k)
        }
    };
    // Tessera encrypts, the peer decrypts.
    let mut requests = Vec::new();
    for &(alg, enc, format, n) in &cases {
        let (file, jwk) = key_of(&mut t, alg, enc, n);
        let mut args = vec![
            "jwe", "encrypt", "--alg", alg, "--enc", enc, "--format", format,
        ];
        match &file {
            Some(f) => args.extend(["--key", f.as_str()]),
            None => args.extend(["--password", PASSWORD]),
        }
        let token = String::from_utf8(t.ok(&args, Some(plaintext))).unwrap();
        requests.push(json!({"op": "decrypt", "alg": alg, "enc": enc, "key": jwk,
            "token": token.trim(), "format": format}));
    }
    for r in check(peer, "decrypting Tessera's JWE", &peer.batch(&requests)) {
        assert_eq!(tessera_jose::b64::decode(r).unwrap(), plaintext);
    }
    // The peer encrypts, Tessera decrypts.
    let mut requests = Vec::new();
    let mut files = Vec::new();
    for &(alg, enc, format, n) in &cases {
        let (file, jwk) = key_of(&mut t, alg, enc, n);
        let public = if jwk["kty"] == "oct" {
            jwk.clone()
        } else {
            let mut p = jwk.clone();
            for m in ["d", "p", "q", "dp", "dq", "qi"] {
                p.as_object_mut().unwrap().remove(m);
            }
            p
        };
        requests.push(
            json!({"op": "encrypt", "alg": alg, "enc": enc, "key": public,
            "format": format, "data": tessera_jose::b64::encode(plaintext)}),
        );
        files.push((alg, enc, file));
    }
    let tokens = check(peer, "encrypting", &peer.batch(&requests));
    for (token, (alg, enc, file)) in tokens.iter().zip(files) {
        let mut args = vec!["jwe", "decrypt", token.as_str(), "--allow-alg", alg];
        match &file {
            Some(f) => args.extend(["--key", f.as_str()]),
            None => args.extend(["--password", PASSWORD]),
        }
        let out = t.ok(&args, None);
        assert_eq!(out, plaintext, "{} {alg} {enc}", peer.name);
    }
}

/// Nested JWTs (signed, then encrypted with `cty: JWT`) both ways.
fn nested_both_ways(peer: &Peer) {
    let mut t = Tessera::new();
    let combos = [
        ("ES256", "ECDH-ES+A256KW", "A256GCM"),
        ("PS256", "RSA-OAEP-256", "A128CBC-HS256"),
        ("EdDSA", "A256KW", "A256GCM"),
    ];
    for (sig_alg, jwe_alg, enc) in combos {
        let (sig_file, sig_jwk) = t.key(jws_key_kind(sig_alg));
        let (enc_file, enc_jwk) = t.key(&jwe_key_kind(jwe_alg, enc, 0));
        // Tessera: sign, then encrypt; the peer decrypts, then verifies.
        let signed = t.ok(
            &[
                "sign",
                r#"{"sub":"nested"}"#,
                "--key",
                &sig_file,
                "--alg",
                sig_alg,
                "--exp",
                "+10m",
            ],
            None,
        );
        let signed = String::from_utf8(signed).unwrap();
        let nested = t.ok(
            &[
                "jwe",
                "encrypt",
                signed.trim(),
                "--key",
                &enc_file,
                "--alg",
                jwe_alg,
                "--enc",
                enc,
                "--cty",
                "JWT",
            ],
            None,
        );
        let nested = String::from_utf8(nested).unwrap();
        let inner = check(peer, "decrypting a nested JWT", &peer.batch(&[json!({"op": "decrypt",
            "alg": jwe_alg, "enc": enc, "key": enc_jwk, "token": nested.trim(), "format": "compact"})]));
        let inner = String::from_utf8(tessera_jose::b64::decode(&inner[0]).unwrap()).unwrap();
        assert_eq!(inner, signed.trim());
        let payload = check(
            peer,
            "verifying the inner JWT",
            &peer.batch(&[json!({"op": "verify",
            "alg": sig_alg, "key": sig_jwk, "token": inner, "format": "compact"})]),
        );
        let claims: Value =
            serde_json::from_slice(&tessera_jose::b64::decode(&payload[0]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "nested");
        // The peer: sign, then encrypt with cty JWT; Tessera verifies both layers.
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 600;
        let claims = format!(r#"{{"sub":"from-{}","exp":{exp}}}"#, peer.name);
        let signed = check(
            peer,
            "signing a JWT",
            &peer.batch(&[json!({"op": "sign", "alg": sig_alg,
            "key": sig_jwk, "format": "compact", "data": tessera_jose::b64::encode(&claims)})]),
        );
        let mut public = enc_jwk.clone();
        if public["kty"] != "oct" {
            for m in ["d", "p", "q", "dp", "dq", "qi"] {
                public.as_object_mut().unwrap().remove(m);
            }
        }
        let nested = check(
            peer,
            "encrypting a JWT",
            &peer.batch(&[json!({"op": "encrypt",
            "alg": jwe_alg, "enc": enc, "key": public, "format": "compact", "cty": "JWT",
            "data": tessera_jose::b64::encode(&signed[0])})]),
        );
        let out = t.ok(
            &[
                "verify",
                "--json",
                &nested[0],
                "--key",
                &sig_file,
                "--decrypt-key",
                &enc_file,
                // Named algorithms are the whole policy: one for each layer.
                "--alg",
                sig_alg,
                "--alg",
                jwe_alg,
            ],
            None,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["claims"]["sub"], format!("from-{}", peer.name));
        assert_eq!(v["encryption"]["alg"], jwe_alg);
    }
}

#[test]
fn jwcrypto_interop() {
    let Some(peer) = peer_or_skip(jwcrypto(), "Python jwcrypto") else {
        return;
    };
    jws_both_ways(&peer);
    jwe_both_ways(&peer);
    nested_both_ways(&peer);
}

#[test]
fn jose_interop() {
    let Some(peer) = peer_or_skip(jose(), "Node jose") else {
        return;
    };
    jws_both_ways(&peer);
    jwe_both_ways(&peer);
    nested_both_ways(&peer);
}
