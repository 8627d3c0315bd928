//! What new users tripped over (issue 9), each checked with the real binary: wrong results
//! without an error, errors that pointed the wrong way, and the conveniences they reached for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Env, NOW, json};

/// The jwt.io example token and its (too short) secret.
const JWT_IO: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

#[test]
fn sign_keeps_what_the_caller_wrote() {
    let env = Env::new();
    let secret = "a-32-byte-long-secret-for-hs256!";
    // --no-iat only turns off the automatic iat.
    let t = env.ok(&[
        "sign",
        r#"{"sub":"u","iat":1516239022}"#,
        "--no-iat",
        "--no-exp",
        "--alg",
        "HS256",
        "--secret",
        secret,
    ]);
    let d = json(&env.ok(&["decode", "--json", t.trim()]));
    assert_eq!(d["payload"]["iat"], 1_516_239_022);
    // Empty claims are an input error, from an argument or from stdin.
    let r = env.run(&["sign", "", "--alg", "HS256", "--secret", secret]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("empty"), "{}", r.stderr);
    let r = env.run_in(&["sign", "--alg", "HS256", "--secret", secret], Some(b""));
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Without --exp: a warning that verify will reject the token; --no-exp silences it.
    let r = env.run(&["sign", "{}", "--alg", "HS256", "--secret", secret]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("no `exp`"), "{}", r.stderr);
    let r = env.run(&[
        "sign", "{}", "--alg", "HS256", "--secret", secret, "--no-exp",
    ]);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    // Claims that are not JSON say where and what.
    let r = env.run(&[
        "sign",
        "{\"a\":1,\n\"b\":}",
        "--alg",
        "HS256",
        "--secret",
        secret,
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not JSON") && r.stderr.contains("line 2"),
        "{}",
        r.stderr
    );
    let r = env.run(&["sign", "[1]", "--alg", "HS256", "--secret", secret]);
    assert!(r.stderr.contains("not an array"), "{}", r.stderr);
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
    let r = env.run(&["sign", &deep, "--alg", "HS256", "--secret", secret]);
    assert!(r.stderr.contains("nested too deeply"), "{}", r.stderr);
    // RFC 3339 dates and compound durations.
    let t = env.ok(&[
        "sign",
        "{}",
        "--alg",
        "HS256",
        "--secret",
        secret,
        "--exp",
        "2030-01-01T00:00:00Z",
        "--nbf",
        "+1h30m",
        "--now",
        NOW,
    ]);
    let d = json(&env.ok(&["decode", "--json", t.trim()]));
    assert_eq!(d["payload"]["exp"], 1_893_456_000);
    assert_eq!(d["payload"]["nbf"], 1_800_005_400);
    // --alg defaults to the key's own (Ed25519: EdDSA); an HMAC secret still needs it.
    let ed = env.key("ed.jwk", &["--kty", "OKP", "--crv", "Ed25519"]);
    let t = env.ok(&["sign", "{}", "--key", &ed, "--exp", "+5m"]);
    assert_eq!(
        json(&env.ok(&["decode", "--json", t.trim()]))["header"]["alg"],
        "EdDSA"
    );
    let r = env.run(&["sign", "{}", "--secret", secret, "--exp", "+5m"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("give --alg"), "{}", r.stderr);
    // --secret-file: one trailing newline (as echo writes) is not part of the secret.
    let f = env.write("secret.txt", &format!("{secret}\n"));
    let t = env.ok(&[
        "sign",
        "{}",
        "--alg",
        "HS256",
        "--secret-file",
        &f,
        "--exp",
        "+5m",
    ]);
    env.ok(&["verify", t.trim(), "--secret", secret]);
}

#[test]
fn jwk_generate_honours_or_refuses_its_options() {
    let env = Env::new();
    let generate = |args: &[&str]| env.run(&[&["jwk", "generate"][..], args].concat());
    let k = json(&generate(&["--alg", "ECDH-ES", "--crv", "X25519"]).stdout);
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str()),
        (Some("OKP"), Some("X25519"))
    );
    let k = json(&generate(&["--alg", "ECDH-ES+A128KW", "--crv", "P-384"]).stdout);
    assert_eq!(k["crv"], "P-384");
    let k = json(&generate(&["--alg", "RSA-OAEP-256", "--bits", "3072"]).stdout);
    assert_eq!(
        tessera_jose::b64::decode(k["n"].as_str().unwrap())
            .unwrap()
            .len(),
        384
    );
    let k = json(&generate(&["--alg", "dir", "--enc", "A128GCM"]).stdout);
    assert_eq!(
        tessera_jose::b64::decode(k["k"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );
    let k = json(&generate(&["--alg", "dir", "--bits", "512"]).stdout);
    assert_eq!(
        tessera_jose::b64::decode(k["k"].as_str().unwrap())
            .unwrap()
            .len(),
        64
    );
    for (args, needle) in [
        (&["--alg", "ES256", "--crv", "P-384"][..], "does not fit"),
        (
            &["--alg", "ES256", "--bits", "4096"],
            "--bits does not apply",
        ),
        (&["--alg", "A128KW", "--bits", "256"], "must be 128"),
        (
            &["--alg", "RS256", "--crv", "P-256"],
            "--crv does not apply",
        ),
        (
            &["--alg", "dir", "--enc", "A128GCM", "--bits", "256"],
            "does not fit --enc",
        ),
        (&["--alg", "Ed448"], "not supported by this build"),
        (&["--alg", "A256GCM"], "--alg dir --enc A256GCM"),
        (&["--alg", "A128KW", "--enc", "A128GCM"], "only a `dir` key"),
    ] {
        let r = generate(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn errors_point_at_the_cause() {
    let env = Env::new();
    // The jwt.io example secret is shorter than HS256 needs: say so, not "name --alg".
    let r = env.run(&[
        "verify",
        JWT_IO,
        "--secret",
        "your-256-bit-secret",
        "--alg",
        "HS256",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("HS256: 32") && !r.stderr.contains("name the algorithms"),
        "{}",
        r.stderr
    );
    let r = env.run(&["verify", JWT_IO, "--secret", "", "--alg", "HS256"]);
    assert!(r.stderr.contains("secret is empty"), "{}", r.stderr);
    // --alg ES384 with a P-256 key.
    let p256 = env.key("p256.jwk", &["--kty", "EC", "--crv", "P-256"]);
    let r = env.run(&["verify", JWT_IO, "--key", &p256, "--alg", "ES384"]);
    assert!(r.stderr.contains("no key fits --alg ES384"), "{}", r.stderr);
    // A nested token without --decrypt-key.
    let kw = env.key("kw.jwk", &["--alg", "A256KW"]);
    let sig = env.key("sig.jwk", &["--alg", "ES256"]);
    let signed = env.ok(&["sign", "{}", "--key", &sig, "--exp", "+5m"]);
    let nested = env.ok(&[
        "jwe",
        "encrypt",
        signed.trim(),
        "--key",
        &kw,
        "--enc",
        "A256GCM",
        "--cty",
        "JWT",
    ]);
    let r = env.run(&["verify", nested.trim(), "--key", &sig]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("pass --decrypt-key"), "{}", r.stderr);
    // A key without alg that needs one names the flag that fixes it.
    let oct = env.write(
        "oct.jwk",
        &env.ok(&["jwk", "generate", "--kty", "oct", "--bits", "256"]),
    );
    let dir = env.ok(&[
        "jwe", "encrypt", "x", "--key", &oct, "--alg", "dir", "--enc", "A256GCM",
    ]);
    let r = env.run(&["jwe", "decrypt", dir.trim(), "--key", &oct]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--allow-alg dir"), "{}", r.stderr);
    let out = env.run(&[
        "jwe",
        "decrypt",
        dir.trim(),
        "--key",
        &oct,
        "--allow-alg",
        "dir",
    ]);
    assert_eq!(out.raw, b"x");
    // --allow-alg adds to what the key allows: RSA-OAEP still decrypts.
    let rsa = env.key("rsa.jwk", &["--kty", "RSA"]);
    let oaep = env.ok(&[
        "jwe", "encrypt", "y", "--key", &rsa, "--alg", "RSA-OAEP", "--enc", "A128GCM",
    ]);
    let r = env.run(&[
        "jwe",
        "decrypt",
        oaep.trim(),
        "--key",
        &rsa,
        "--allow-alg",
        "RSA1_5",
    ]);
    assert_eq!(r.raw, b"y", "{}", r.stderr);
    let legacy = env.ok(&[
        "jwe", "encrypt", "z", "--key", &rsa, "--alg", "RSA1_5", "--enc", "A128GCM",
    ]);
    let r = env.run(&["jwe", "decrypt", legacy.trim(), "--key", &rsa]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--allow-alg RSA1_5"), "{}", r.stderr);
    // A detached JWS without --payload is verified over the empty payload (RFC 7515 §7.2.8),
    // which fails; then the hint says it may be detached.
    let det = env.ok(&["jws", "sign", "body", "--key", &sig, "--detached"]);
    let r = env.run(&["jws", "verify", det.trim(), "--key", &sig]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("detached") && r.stderr.contains("--payload"),
        "{}",
        r.stderr
    );
}

#[test]
fn size_limits_are_consistent_and_named() {
    let env = Env::new();
    let kw = env.key("kw.jwk", &["--alg", "A256KW"]);
    // What jwe encrypt writes, jwe decrypt reads: 1 MB, and 500 kB of zeros compressed.
    let big = env.write("big.txt", &"x".repeat(1_000_000));
    let jwe = env.ok(&[
        "jwe",
        "encrypt",
        &format!("@{big}"),
        "--key",
        &kw,
        "--enc",
        "A256GCM",
    ]);
    let jwe_file = env.write("big.jwe", &jwe);
    let r = env.run(&["jwe", "decrypt", &format!("@{jwe_file}"), "--key", &kw]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.raw.len(), 1_000_000);
    let zeros = env.write("zeros.txt", &"0".repeat(500_000));
    let z = env.ok(&[
        "jwe",
        "encrypt",
        &format!("@{zeros}"),
        "--key",
        &kw,
        "--enc",
        "A256GCM",
        "--zip",
    ]);
    let r = env.run(&["jwe", "decrypt", z.trim(), "--key", &kw]);
    assert_eq!(r.raw.len(), 500_000, "{}", r.stderr);
    // A limit that is hit names the flag that raises it.
    let r = env.run(&[
        "jwe",
        "decrypt",
        z.trim(),
        "--key",
        &kw,
        "--max-decompressed",
        "1000",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--max-decompressed"), "{}", r.stderr);
    let r = env.run(&[
        "jwe",
        "decrypt",
        &format!("@{jwe_file}"),
        "--key",
        &kw,
        "--max-size",
        "1000",
    ]);
    assert!(r.stderr.contains("--max-size"), "{}", r.stderr);
    let r = env.run(&[
        "jwe",
        "encrypt",
        &format!("@{zeros}"),
        "--key",
        &kw,
        "--enc",
        "A256GCM",
        "--zip",
        "--max-decompressed",
        "1000",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--max-decompressed"), "{}", r.stderr);
}

#[test]
fn tokens_from_anywhere_and_decode_as_written() {
    let env = Env::new();
    let secret = "a-32-byte-long-secret-for-hs256!";
    let t = env.ok(&[
        "sign",
        r#"{"sub":"u"}"#,
        "--alg",
        "HS256",
        "--secret",
        secret,
        "--exp",
        "+5m",
    ]);
    let t = t.trim();
    // "Bearer …" copied from a header, and @file, work wherever a token is taken.
    let r = env.run(&["decode", &format!("Bearer {t}")]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("Bearer"), "{}", r.stderr);
    let f = env.write("t.jwt", t);
    env.ok(&["verify", &format!("@{f}"), "--secret", secret]);
    env.ok(&["jws", "verify", &format!("@{f}"), "--secret", secret]);
    // Duplicate members: shown as written with a warning; verify still rejects.
    let b64 = |b: &[u8]| tessera_jose::b64::encode(b);
    let dup = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"HS256","alg":"none"}"#),
        b64(br#"{"sub":"a","sub":"b"}"#),
        b64(&[1u8; 32])
    );
    let r = env.run(&["decode", &dup]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(r#"{"alg":"HS256","alg":"none"}"#),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(r#"{"sub":"a","sub":"b"}"#),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("header repeats") && r.stderr.contains("payload repeats"),
        "{}",
        r.stderr
    );
    let r = env.run(&["verify", &dup, "--secret", secret]);
    assert_eq!(r.code, 1);
    // Only the payload duplicated: also as written.
    let dup2 = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"HS256"}"#),
        b64(br#"{"sub":"a","sub":"b"}"#),
        b64(&[1u8; 32])
    );
    let r = env.run(&["decode", &dup2]);
    assert!(
        r.stdout.contains(r#"{"sub":"a","sub":"b"}"#),
        "{}",
        r.stdout
    );
    // TERM=dumb: no colour (the harness fails on any escape code off a terminal anyway).
    assert_eq!(env.run(&["alg"]).code, 0);
}

#[test]
fn jws_and_jwe_conveniences() {
    let env = Env::new();
    let a = env.key("a.jwk", &["--alg", "ES256", "--kid", "a"]);
    let b = env.key("b.jwk", &["--alg", "EdDSA", "--kid", "b"]);
    let jws = env.ok(&[
        "jws", "sign", "deal", "--key", &a, "--key", &b, "--format", "general",
    ]);
    // One key checks a two-signature JWS: --json says which verified and why not.
    let v = json(&env.ok(&["jws", "verify", jws.trim(), "--key", &b, "--json"]));
    assert_eq!(v["valid"], true);
    assert_eq!(v["payload"], "deal");
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2);
    assert_eq!(
        (sigs[0]["verified"].as_bool(), sigs[0]["alg"].as_str()),
        (Some(false), Some("ES256"))
    );
    assert_eq!(
        (sigs[1]["verified"].as_bool(), sigs[1]["kid"].as_str()),
        (Some(true), Some("b"))
    );
    let r = env.run(&["jws", "verify", jws.trim(), "--key", &b]);
    assert!(r.stderr.contains("signature 1: verified"), "{}", r.stderr);
    // jwe encrypt: several recipients, AAD, apu/apv, kid.
    let r1 = env.key("r1.jwk", &["--alg", "ECDH-ES+A128KW"]);
    let r2 = env.key("r2.jwk", &["--alg", "A128KW"]);
    let jwe = env.ok(&[
        "jwe", "encrypt", "for both", "--key", &r1, "--key", &r2, "--enc", "A128GCM", "--format",
        "general", "--aad", "context", "--apu", "alice", "--apv", "bob",
    ]);
    let doc = json(&jwe);
    assert_eq!(doc["recipients"].as_array().unwrap().len(), 2);
    assert_eq!(doc["aad"], tessera_jose::b64::encode("context"));
    for k in [&r1, &r2] {
        assert_eq!(
            env.run(&["jwe", "decrypt", jwe.trim(), "--key", k]).raw,
            b"for both"
        );
    }
    let one = env.ok(&[
        "jwe", "encrypt", "x", "--key", &r2, "--enc", "A128GCM", "--kid", "mine",
    ]);
    let h = json(&env.ok(&["decode", "--json", one.trim()]));
    assert_eq!(h["header"]["kid"], "mine");
}

#[test]
fn key_sets_keys_and_files() {
    let env = Env::new();
    // A PEM key added to a set gets its thumbprint as kid, and can be removed by it.
    let k = env.key("k.jwk", &["--kty", "EC", "--crv", "P-256"]);
    let pem = env.write("k.pem", &env.ok(&["jwk", "convert", &k, "--to", "pem"]));
    let set = env.p("set.json");
    let r = env.run(&["jwks", "add", &set, &pem]);
    assert!(r.stderr.contains("thumbprint"), "{}", r.stderr);
    let thumb = env.ok(&["jwk", "thumbprint", &pem]);
    let v = json(&std::fs::read_to_string(&set).unwrap());
    assert_eq!(v["keys"][0]["kid"], thumb.trim());
    // A secret has no public part: refused with the way out, never printed.
    let oct = env.key("oct.jwk", &["--alg", "HS256"]);
    for args in [&["jwk", "public", &oct][..], &["jwks", "add", &set, &oct]] {
        let r = env.run(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(
            r.stderr.contains("no public part") && r.stderr.contains("--private"),
            "{}",
            r.stderr
        );
    }
    // jwks list on a single JWK says it is one; find without a match is "no key matches".
    let r = env.run(&["jwks", "list", &k]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("a single JWK"), "{}", r.stderr);
    let r = env.run(&["jwks", "find", &set, "--kid", "nope"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no key") && !r.stderr.contains("rejected"),
        "{}",
        r.stderr
    );
    // Remove by thumbprint: a key whose kid was changed is still removable.
    let other = env.key("o.jwk", &["--alg", "ES256", "--kid", "o"]);
    env.ok(&["jwks", "add", &set, &other]);
    let t = env.ok(&["jwk", "thumbprint", &other]);
    env.ok(&["jwks", "remove", &set, "--kid", t.trim()]);
    assert_eq!(
        json(&std::fs::read_to_string(&set).unwrap())["keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // jwk convert: DER, PKCS#1, SEC1, and members set on import.
    let rsa = env.key("rsa.jwk", &["--kty", "RSA"]);
    let pkcs1 = env.ok(&["jwk", "convert", &rsa, "--to", "pkcs1", "--private"]);
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let sec1 = env.ok(&["jwk", "convert", &k, "--to", "sec1", "--private"]);
    assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
    let der = env.run(&["jwk", "convert", &k, "--to", "der"]);
    assert_eq!(der.raw[0], 0x30);
    let imported = json(&env.ok(&[
        "jwk", "convert", &pem, "--to", "jwk", "--kid", "api-1", "--alg", "ES256", "--use", "sig",
    ]));
    assert_eq!(
        (
            imported["kid"].as_str(),
            imported["alg"].as_str(),
            imported["use"].as_str()
        ),
        (Some("api-1"), Some("ES256"), Some("sig"))
    );
    let r = env.run(&["jwk", "convert", &pem, "--to", "jwk", "--alg", "RS256"]);
    assert_eq!(r.code, 2);
    // Encrypted PKCS#8: written with --encrypt, read with --password-file.
    let pw = env.write("pw.txt", "s3cret\n");
    let enc = env.write(
        "k.enc.pem",
        &env.ok(&[
            "jwk",
            "convert",
            &k,
            "--to",
            "pem",
            "--private",
            "--encrypt",
            "--password-file",
            &pw,
        ]),
    );
    assert!(
        std::fs::read_to_string(&enc)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );
    let r = env.run(&["jwk", "public", &enc]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--password-file"), "{}", r.stderr);
    let back = json(&env.ok(&["jwk", "public", &enc, "--password-file", &pw]));
    assert_eq!(back["x"], json(&std::fs::read_to_string(&k).unwrap())["x"]);
    let t = env.ok(&[
        "sign",
        "{}",
        "--key",
        &enc,
        "--password-file",
        &pw,
        "--exp",
        "+5m",
    ]);
    env.ok(&["verify", t.trim(), "--key", &k]);
}

#[test]
fn alg_man_and_completions() {
    let env = Env::new();
    let algs = json(&env.ok(&["alg", "--json"]));
    for row in algs.as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        assert!(!name.contains(' ') && !name.contains('('), "{name}");
    }
    let dir = env.p("man");
    env.ok(&["man", "--dir", &dir]);
    for page in [
        "tessera.1",
        "tessera-sign.1",
        "tessera-jwk-generate.1",
        "tessera-jwks-add.1",
        "tessera-jwe-decrypt.1",
    ] {
        let text = std::fs::read_to_string(std::path::Path::new(&dir).join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    let bash = env.ok(&["completions", "bash"]);
    assert!(bash.contains("ES256") && bash.contains("A256GCM") && bash.contains("secp256k1"));
    // Completion lists are not a straitjacket: an enc name as --alg still gets its pointer.
    let r = env.run(&["jwk", "generate", "--alg", "A256GCM"]);
    assert!(r.stderr.contains("--alg dir --enc A256GCM"), "{}", r.stderr);
}

/// Base64url values (thumbprints, secrets, key ids, nonces) begin with `-` one time in 64; such a
/// value after its option is the value, not an unknown option (CI once failed on a random
/// thumbprint that began with `-`).
#[test]
fn values_that_begin_with_a_hyphen() {
    let env = Env::new();
    // A base64url secret and a kid that begin with `-`.
    let secret = "-ZmlyZXdvcmtzIGluIHRoZSBuaWdodCBza3kgb3ZlcA";
    let t = env.ok(&[
        "sign",
        "{}",
        "--alg",
        "HS256",
        "--secret-b64",
        secret,
        "--kid",
        "-k1",
        "--jti",
        "-j",
        "--sub",
        "-s",
        "--no-exp",
    ]);
    let d = json(&env.ok(&["decode", "--json", t.trim()]));
    assert_eq!(d["header"]["kid"], "-k1");
    assert_eq!(
        (&d["payload"]["jti"], &d["payload"]["sub"]),
        (&"-j".into(), &"-s".into())
    );
    env.ok(&[
        "verify",
        t.trim(),
        "--secret-b64",
        secret,
        "--sub",
        "-s",
        "--allow-missing-exp",
    ]);
    // Key ids in key sets, and the service's kids, which are thumbprints.
    let k = env.key("k.jwk", &["--alg", "ES256", "--kid", "-k2"]);
    let set = env.p("set.json");
    env.ok(&["jwks", "add", &set, &k]);
    assert!(
        env.ok(&["jwks", "find", &set, "--kid", "-k2"])
            .contains("-k2")
    );
    env.ok(&["jwks", "remove", &set, "--kid", "-k2"]);
    env.ok(&["init", "--data-dir", &env.p("d")]);
    let r = env.run(&["keys", "retire", "--data-dir", &env.p("d"), "-k3"]);
    assert!(r.stderr.contains("no key `-k3`"), "{}", r.stderr);
    // A DPoP proof checked against a thumbprint, nonce and token that begin with `-`: the
    // answer is about the proof (binding), not a usage error.
    let key = env.key("p.jwk", &["--kty", "EC", "--crv", "P-256"]);
    let htu = "https://api.example/r";
    let proof = env.ok(&[
        "dpop",
        "proof",
        "--key",
        &key,
        "--htm",
        "GET",
        "--htu",
        htu,
        "--nonce",
        "-n",
        "--access-token",
        "-tok",
    ]);
    let r = env.run(&[
        "dpop",
        "verify",
        proof.trim(),
        "--htm",
        "GET",
        "--htu",
        htu,
        "--nonce",
        "-n",
        "--access-token",
        "-tok",
        "--jkt",
        "-jLuJOaeumu1iQziHPBn6373Zt3OcrQ7wQO7EWw3Tuw",
        "--json",
    ]);
    assert_eq!(
        (r.code, json(&r.stdout)["code"].as_str()),
        (1, Some("dpop_binding")),
        "{}",
        r.stderr
    );
}

/// `tessera decode` says what the debugger says about a token (one list of findings in the
/// library), cleans a pasted token as the debugger does, and `sign` warns of a guessable secret.
#[test]
fn decode_warns_as_the_debugger_does() {
    let env = Env::new();
    let b64 = |b: &[u8]| tessera_jose::b64::encode(b);
    let header = br#"{"alg":"ES256","jwk":{"kty":"EC"},"jku":"https://evil.example/k"}"#;
    let payload = br#"{"sub":"u","iat":1800003600,"nbf":1800000300}"#;
    let token = format!("{}.{}.{}", b64(header), b64(payload), b64(&[7u8; 64]));
    // Wrapped over lines, after a scheme, as pasted from a log or a header.
    let (half, rest) = token.split_at(40);
    let pasted = format!("  bearer {half}\n{rest}\n");
    let r = env.run(&["decode", &pasted, "--now", NOW]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut expected = tessera_jose::inspect::header_findings(
        serde_json::from_slice::<serde_json::Value>(header)
            .unwrap()
            .as_object()
            .unwrap(),
    );
    expected.extend(tessera_jose::inspect::claim_findings(
        serde_json::from_slice::<serde_json::Value>(payload)
            .unwrap()
            .as_object()
            .unwrap(),
        NOW.parse().unwrap(),
    ));
    let codes: Vec<_> = expected.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        [
            "header_key",
            "header_key",
            "missing_exp",
            "not_yet_valid",
            "iat_in_future"
        ]
    );
    for f in &expected {
        assert!(
            r.stderr.contains(&format!("warning: {}\n", f.message)),
            "{}: {}",
            f.code,
            r.stderr
        );
    }
    assert!(r.stderr.contains("valid in 5m"), "{}", r.stderr);
    assert!(
        r.stderr.contains("removed the `Bearer` scheme"),
        "{}",
        r.stderr
    );
    // A JWE header: RSA1_5 is named.
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64(br#"{"alg":"RSA1_5","enc":"A128CBC-HS256"}"#),
        b64(&[1u8; 256]),
        b64(&[2u8; 16]),
        b64(&[3u8; 32]),
        b64(&[4u8; 16])
    );
    let r = env.run(&["decode", &jwe]);
    assert!(r.stderr.contains("padding-oracle"), "{}", r.stderr);
    // A published secret long enough for HS256 signs, with a warning; a good one without.
    for (secret, warned) in [
        ("a-string-secret-at-least-256-bits-long", true),
        ("a-32-byte-long-secret-for-hs256!", false),
    ] {
        let r = env.run(&[
            "sign", "{}", "--alg", "HS256", "--no-exp", "--secret", secret,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stderr.contains("anyone can guess it"),
            warned,
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.is_empty(), !warned, "{}", r.stderr);
    }
}

/// A DPoP-bound token (`cnf.jkt`) is valid only with a proof by its key: `tessera verify` says
/// so and refuses it, unless told to check the signature alone.
#[test]
fn a_dpop_bound_token_is_not_valid_on_its_signature_alone() {
    let env = Env::new();
    let secret = "a-32-byte-long-secret-for-hs256!";
    let token = env
        .ok(&[
            "sign",
            r#"{"sub":"u1","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}"#,
            "--alg",
            "HS256",
            "--secret",
            secret,
            "--exp",
            "+15m",
        ])
        .trim()
        .to_owned();
    let r = env.run(&["verify", &token, "--secret", secret]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("DPoP-bound")
            && r.stderr
                .contains("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
            && r.stderr.contains("--signature-only"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "no claims printed: {}", r.stdout);
    let j = env.run(&["verify", &token, "--secret", secret, "--json"]);
    assert_eq!(j.code, 1);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(
        (&v["valid"], &v["code"]),
        (&false.into(), &"dpop_bound".into())
    );
    let ok = env.ok(&["verify", &token, "--secret", secret, "--signature-only"]);
    assert!(ok.contains("\"jkt\""), "{ok}");
}
