//! Hermetic tests of the `tessera` binary: the real executable, a clean environment and a
//! temporary directory; every command, asserting exit code, stdout and stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use serde_json::json;

mod common;

use common::{Env, NOW, hs_token, json};

#[test]
fn help_version_and_exit_codes() {
    let env = Env::new();
    assert!(env.ok(&["--help"]).contains("decode"));
    assert!(env.ok(&["--version"]).starts_with("tessera "));
    let codes = env.ok(&["help", "exit-codes"]);
    for needle in [
        "0  success",
        "1  the token was rejected",
        "2  usage or input error",
    ] {
        assert!(codes.contains(needle), "{codes}");
    }
    assert_eq!(
        env.ok(&["exit-codes"]).trim(),
        env.ok(&["exit-codes"]).trim()
    );
    let r = env.run(&["frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    let r = env.run(&["sign"]);
    assert_eq!(r.code, 2, "missing --alg is a usage error");
}

/// The human output of `decode`, byte for byte, at a fixed clock.
#[test]
fn decode_snapshot() {
    let env = Env::new();
    let token = hs_token(&env);
    assert_eq!(
        token,
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsInNjb3BlIjoicmVhZCIsImlzcyI6Imh0dHBzOi8vaXNzdWVyLmV4YW1wbGUiLCJhdWQiOiJhcGkiLCJleHAiOjE4MDAwMDA5MDAsImlhdCI6MTgwMDAwMDAwMH0._ubjWMA1-iq3Ce7fsBGr_opHSteDA9HvXzOlVTmAWZE"
    );
    let r = env.run(&["decode", &token, "--now", "1800000252"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = r#"JWT/JWS (compact): NOT VERIFIED (the signature and claims were not checked)

Header
{
  "alg": "HS256",
  "typ": "JWT"
}

Payload
{
  "sub": "u1",
  "scope": "read",
  "iss": "https://issuer.example",
  "aud": "api",
  "exp": 1800000900,
  "iat": 1800000000
}

  exp       2027-01-15T08:15:00Z  (expires in 10m48s)
  iat       2027-01-15T08:00:00Z  (issued 4m12s ago)

Signature 32 bytes
"#;
    assert_eq!(r.stdout, expected);
    assert_eq!(r.stderr, "");
    // Expired, three hours later: a warning on stderr, the same report on stdout.
    let r = env.run(&["decode", &token, "--now", "1800011700"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("(expired 3h ago)"), "{}", r.stdout);
    assert_eq!(r.stderr, "warning: the token expired 3h ago\n");
    // Local dates (TZ=UTC in this clean environment gives +00:00).
    let r = env.run(&["decode", &token, "--now", NOW, "--date", "local"]);
    assert!(
        r.stdout.contains("2027-01-15T08:15:00+00:00"),
        "{}",
        r.stdout
    );
}

#[test]
fn decode_json_none_jwe_and_errors() {
    let env = Env::new();
    let token = hs_token(&env);
    let r = env.run_in(&["decode", "--json"], Some(format!("{token}\n").as_bytes()));
    assert_eq!(r.code, 0);
    let v = json(&r.stdout);
    assert_eq!(v["header"], json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(v["payload"]["sub"], "u1");
    assert!(v["signature"].as_str().unwrap().len() == 43);
    assert!(r.stderr.contains("without verification"));
    // alg none
    let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    let r = env.run(&["decode", none]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("alg is `none`"), "{}", r.stderr);
    // JWE: protected header and part sizes; nested recognised.
    let k = env.key("kw.jwk", &["--alg", "A128KW"]);
    let jwe = env.ok(&[
        "jwe", "encrypt", "hello", "--key", &k, "--alg", "A128KW", "--enc", "A128GCM", "--cty",
        "JWT",
    ]);
    let r = env.run(&["decode", jwe.trim()]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("a nested JWT"), "{}", r.stdout);
    assert!(r.stdout.contains("ciphertext     5 bytes"), "{}", r.stdout);
    assert!(r.stdout.contains("\"enc\": \"A128GCM\""), "{}", r.stdout);
    let v = json(&env.ok(&["decode", "--json", jwe.trim()]));
    assert_eq!(v["parts"]["tag"], 16);
    assert_eq!(v["nested"], true);
    // Malformed: rejected (1); nothing given: input error (2).
    let r = env.run(&["decode", "not.a.token.at.all.really"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: rejected: malformed"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);
    let r = env.run_in(&["decode"], Some(b""));
    assert_eq!(r.code, 2);
}

#[test]
fn sign_and_verify() {
    let env = Env::new();
    let k = env.key("es.jwk", &["--alg", "ES256", "--kid", "k1"]);
    let token = env.ok(&[
        "sign",
        "--key",
        &k,
        "--alg",
        "ES256",
        "--sub",
        "u1",
        "--aud",
        "a",
        "--aud",
        "b",
        "--exp",
        "+1h",
        "--jti",
        "auto",
        "-P",
        "admin=true",
        "-P",
        "name=Ada",
        "-P",
        "n=42",
        "--now",
        NOW,
    ]);
    let token = token.trim();
    let v = json(&env.ok(&["decode", "--json", token]));
    assert_eq!(v["header"]["kid"], "k1");
    assert_eq!(v["payload"]["aud"], json!(["a", "b"]));
    assert_eq!(v["payload"]["admin"], true);
    assert_eq!(v["payload"]["name"], "Ada");
    assert_eq!(v["payload"]["n"], 42);
    assert_eq!(v["payload"]["exp"], 1_800_003_600);
    assert_eq!(v["payload"]["jti"].as_str().unwrap().len(), 22);
    let claims = json(&env.ok(&["verify", token, "--key", &k, "--aud", "a", "--now", NOW]));
    assert_eq!(claims["sub"], "u1");
    // Only the public key is needed.
    let public = env.write("es.pub.jwk", &env.ok(&["jwk", "public", &k]));
    assert_eq!(
        env.run(&[
            "verify", token, "--key", &public, "--aud", "b", "--now", NOW
        ])
        .code,
        0
    );
    // A PEM public key works too.
    let pem = env.write("es.pem", &env.ok(&["jwk", "convert", &k, "--to", "pem"]));
    assert_eq!(
        env.run(&["verify", token, "--key", &pem, "--aud", "b", "--now", NOW])
            .code,
        0
    );
    // An allowed algorithm other than the token's: rejected.
    let two = env.write(
        "two.json",
        &format!(
            r#"{{"keys":[{},{}]}}"#,
            std::fs::read_to_string(&public).unwrap(),
            env.ok(&["jwk", "generate", "--alg", "EdDSA"])
        ),
    );
    let r = env.run(&[
        "verify", "--json", token, "--key", &two, "--alg", "EdDSA", "--aud", "a", "--now", NOW,
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["code"], "algorithm_not_allowed");
    // A key set that mixes a shared secret with public keys is refused before any token.
    let mixed = env.write(
        "mixed.json",
        &format!(
            r#"{{"keys":[{},{}]}}"#,
            std::fs::read_to_string(&public).unwrap(),
            env.ok(&["jwk", "generate", "--alg", "HS384"])
        ),
    );
    let r = env.run(&[
        "verify", token, "--key", &mixed, "--alg", "HS384", "--aud", "a", "--now", NOW,
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("mixes shared secrets"), "{}", r.stderr);
    // --json success shape.
    let v = json(&env.ok(&[
        "verify", "--json", token, "--key", &k, "--aud", "a", "--now", NOW,
    ]));
    assert_eq!(v["valid"], true);
    assert_eq!(v["header"]["alg"], "ES256");
    // Signing with a public key is an input error.
    let r = env.run(&["sign", "{}", "--key", &public, "--alg", "ES256"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("private key is required"), "{}", r.stderr);
    let r = env.run(&["sign", "{}", "--key", &k, "--alg", "HS999"]);
    assert_eq!(r.code, 2);
    let r = env.run(&["sign", "[1,2]", "--secret", "x", "--alg", "HS256"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("JSON object"), "{}", r.stderr);
}

/// Rejections: exit 1, and with --json the library's stable code.
#[test]
fn verify_rejections_have_codes() {
    let env = Env::new();
    let token = hs_token(&env);
    let secret = "a-32-byte-long-secret-for-hs256!";
    let base = ["verify", token.as_str(), "--secret", secret, "--json"];
    let case = |extra: &[&str], code: &str| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let r = env.run(&args);
        assert_eq!(r.code, 1, "{extra:?}: {}", r.stderr);
        let v = json(&r.stdout);
        assert_eq!(v["valid"], false);
        assert_eq!(v["code"], code, "{extra:?}");
        assert!(v["message"].is_string());
    };
    case(&["--aud", "api", "--now", "1800001000"], "expired");
    case(&["--aud", "api", "--now", "1799999000"], "issued_at");
    case(&["--now", NOW], "audience");
    case(&["--aud", "other", "--now", NOW], "audience");
    case(
        &["--aud", "api", "--iss", "https://evil", "--now", NOW],
        "issuer",
    );
    case(&["--aud", "api", "--sub", "u2", "--now", NOW], "subject");
    case(&["--aud", "api", "--typ", "at+jwt", "--now", NOW], "type");
    case(
        &["--aud", "api", "--require", "email", "--now", NOW],
        "missing_claim",
    );
    // An algorithm the key cannot serve is a configuration (input) error.
    assert_eq!(
        env.run(&["verify", &token, "--secret", secret, "--alg", "HS384"])
            .code,
        2
    );
    case(
        &["--aud", "api", "--max-age", "1m", "--now", "1800000200"],
        "issued_at",
    );
    // Leeway lets an expired token through; a wrong secret does not.
    let ok = env.run(&[
        "verify",
        &token,
        "--secret",
        secret,
        "--aud",
        "api",
        "--leeway",
        "5m",
        "--now",
        "1800001000",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let r = env.run(&[
        "verify",
        &token,
        "--secret",
        "another-32-byte-long-secret-here",
        "--aud",
        "api",
        "--now",
        NOW,
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: rejected: signature invalid (signature_invalid)\n"
    );
    // A tampered payload.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = tessera_jose::b64::encode(br#"{"sub":"admin","aud":"api","exp":1900000000}"#);
    parts[1] = &forged;
    let r = env.run(&[
        "verify",
        &parts.join("."),
        "--secret",
        secret,
        "--aud",
        "api",
        "--now",
        NOW,
    ]);
    assert_eq!(r.code, 1);
    // Input errors: exit 2.
    let r = env.run(&["verify", &token, "--key", "/nonexistent.jwk"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: cannot read /nonexistent.jwk"),
        "{}",
        r.stderr
    );
    let garbage = env.write(
        "garbage.pem",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    );
    assert_eq!(env.run(&["verify", &token, "--key", &garbage]).code, 2);
    assert_eq!(
        env.run(&[
            "verify",
            &token,
            "--secret",
            secret,
            "--leeway",
            "5 minutes"
        ])
        .code,
        2
    );
    assert_eq!(env.run(&["verify", &token]).code, 2);
}

/// A rejection says what the token had and what was expected, escaped, with the flag to
/// change; a missing --aud is not the same message as a wrong one.
#[test]
fn verify_rejections_say_what_the_token_had() {
    let env = Env::new();
    let token = hs_token(&env);
    let secret = "a-32-byte-long-secret-for-hs256!";
    let said = |extra: &[&str]| {
        let mut args = vec!["verify", token.as_str(), "--secret", secret, "--now", NOW];
        args.extend_from_slice(extra);
        let r = env.run(&args);
        assert_eq!(r.code, 1, "{extra:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        r.stderr
    };
    let wrong = said(&["--aud", "api://orders"]);
    assert!(
        wrong.contains("the token's aud is `api`; expected `api://orders` (--aud)"),
        "{wrong}"
    );
    let missing = said(&[]);
    assert!(
        missing.contains("the token's aud is `api`, and no audience was named as accepted")
            && missing.contains("with --aud"),
        "{missing}"
    );
    assert_ne!(wrong, missing);
    let iss = said(&["--aud", "api", "--iss", "https://other.example"]);
    assert!(
        iss.contains(
            "the token's iss is `https://issuer.example`; expected `https://other.example` (--iss)"
        ),
        "{iss}"
    );
    let typ = said(&["--aud", "api", "--typ", "at+jwt"]);
    assert!(
        typ.contains("the token's typ is `JWT`; expected `at+jwt` (--typ)"),
        "{typ}"
    );
    // The kid and the keys on offer.
    let k1 = env.key("k1.jwk", &["--alg", "ES256", "--kid", "k1"]);
    let k2 = env.key("k2.jwk", &["--alg", "ES256", "--kid", "k2"]);
    let signed = env.ok(&[
        "sign", "{}", "--key", &k1, "--alg", "ES256", "--exp", "+1h", "--now", NOW,
    ]);
    let r = env.run(&[
        "verify",
        signed.trim(),
        "--key",
        &k2,
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["code"], "no_matching_key");
    assert_eq!(
        v["detail"],
        "the token has kid `k1` (alg `ES256`); keys on offer for `ES256`: `k2`"
    );
    // What comes from the token is escaped.
    let odd = env.ok(&[
        "sign",
        r#"{"aud":"<b>\u202e"}"#,
        "--alg",
        "HS256",
        "--secret",
        secret,
        "--exp",
        "+1h",
        "--now",
        NOW,
    ]);
    let r = env.run(&[
        "verify",
        odd.trim(),
        "--secret",
        secret,
        "--aud",
        "api",
        "--now",
        NOW,
    ]);
    assert!(
        r.stderr.contains("`\\u{3c}b\\u{3e}\\u{202e}`") && !r.stderr.contains('<'),
        "{}",
        r.stderr
    );
}

/// decode --json → edit → sign round-trips (HS256 is deterministic: the same token).
#[test]
fn decode_edit_sign_round_trip() {
    let env = Env::new();
    let token = hs_token(&env);
    let decoded = env.ok(&["decode", "--json", &token]);
    let again = env.run_in(
        &[
            "sign",
            "--alg",
            "HS256",
            "--secret",
            "a-32-byte-long-secret-for-hs256!",
        ],
        Some(decoded.as_bytes()),
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout.trim(), token);
    let mut v = json(&decoded);
    v["payload"]["scope"] = json!("write");
    let file = env.write("edited.json", &v.to_string());
    let edited = env.ok(&[
        "sign",
        &format!("@{file}"),
        "--alg",
        "HS256",
        "--secret",
        "a-32-byte-long-secret-for-hs256!",
    ]);
    let v = json(&env.ok(&["decode", "--json", edited.trim()]));
    assert_eq!(v["payload"]["scope"], "write");
    assert_eq!(v["header"]["typ"], "JWT");
}

#[test]
fn encrypted_and_nested_jwts() {
    let env = Env::new();
    let sig = env.key("sig.jwk", &["--alg", "EdDSA"]);
    let enc = env.key("enc.jwk", &["--alg", "ECDH-ES+A256KW"]);
    let enc_pub = env.write("enc.pub.jwk", &env.ok(&["jwk", "public", &enc]));
    let signed = env.ok(&[
        "sign",
        r#"{"sub":"u1"}"#,
        "--key",
        &sig,
        "--alg",
        "EdDSA",
        "--exp",
        "+5m",
        "--now",
        NOW,
    ]);
    let nested = env.ok(&[
        "jwe",
        "encrypt",
        signed.trim(),
        "--key",
        &enc_pub,
        "--alg",
        "ECDH-ES+A256KW",
        "--enc",
        "A256GCM",
        "--cty",
        "JWT",
    ]);
    let v = json(&env.ok(&[
        "verify",
        "--json",
        nested.trim(),
        "--key",
        &sig,
        "--decrypt-key",
        &enc,
        "--now",
        NOW,
    ]));
    assert_eq!(v["claims"]["sub"], "u1");
    assert_eq!(v["encryption"]["alg"], "ECDH-ES+A256KW");
    assert_eq!(v["header"]["alg"], "EdDSA");
    // Without the signing key, a nested token is an input error; with the wrong one, rejected.
    assert_eq!(
        env.run(&["verify", nested.trim(), "--decrypt-key", &enc, "--now", NOW])
            .code,
        2
    );
    let other = env.key("other.jwk", &["--alg", "EdDSA"]);
    let r = env.run(&[
        "verify",
        "--json",
        nested.trim(),
        "--key",
        &other,
        "--decrypt-key",
        &enc,
        "--now",
        NOW,
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(json(&r.stdout)["code"], "no_matching_key");
    // An encrypted (unsigned) JWT, under a shared key and only when expected.
    let kw = env.key("kw.jwk", &["--alg", "A256KW"]);
    let claims = r#"{"sub":"u2","exp":1800000300}"#;
    let encrypted = env.ok(&[
        "jwe",
        "encrypt",
        claims,
        "--key",
        &kw,
        "--alg",
        "A256KW",
        "--enc",
        "A128CBC-HS256",
    ]);
    let v = json(&env.ok(&[
        "verify",
        encrypted.trim(),
        "--expect",
        "encrypted",
        "--decrypt-key",
        &kw,
        "--now",
        NOW,
    ]));
    assert_eq!(v["sub"], "u2");
    let r = env.run(&[
        "verify",
        "--json",
        encrypted.trim(),
        "--expect",
        "encrypted",
        "--decrypt-key",
        &kw,
        "--now",
        "1800000300",
    ]);
    assert_eq!(json(&r.stdout)["code"], "expired");
    // Tampering is the opaque decryption error.
    let mut parts: Vec<String> = encrypted.trim().split('.').map(str::to_owned).collect();
    parts[4] = tessera_jose::b64::encode([0u8; 16]);
    let r = env.run(&[
        "verify",
        "--json",
        &parts.join("."),
        "--expect",
        "encrypted",
        "--decrypt-key",
        &kw,
        "--now",
        NOW,
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(json(&r.stdout)["code"], "decryption_failed");
}

#[test]
fn jws_commands() {
    let env = Env::new();
    let rsa = env.key("rsa.jwk", &["--alg", "PS256"]);
    let ed = env.key("ed.jwk", &["--alg", "EdDSA"]);
    let general = env.ok(&[
        "jws",
        "sign",
        "payload bytes",
        "--key",
        &rsa,
        "--alg",
        "PS256",
        "--key",
        &ed,
        "--alg",
        "EdDSA",
        "--format",
        "general",
    ]);
    assert_eq!(json(&general)["signatures"].as_array().unwrap().len(), 2);
    let r = env.run(&["jws", "verify", general.trim(), "--key", &ed]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.raw, b"payload bytes");
    // Detached, unencoded, flattened.
    let payload = env.write("payload.bin", "detached $.payload");
    let jws = env.ok(&[
        "jws",
        "sign",
        &format!("@{payload}"),
        "--key",
        &ed,
        "--alg",
        "EdDSA",
        "--detached",
        "--unencoded",
        "--format",
        "flattened",
    ]);
    assert!(json(&jws).get("payload").is_none());
    let r = env.run(&[
        "jws",
        "verify",
        jws.trim(),
        "--key",
        &ed,
        "--payload",
        &payload,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.raw, b"detached $.payload");
    // HMAC with a secret, compact, any payload from stdin.
    let r = env.run_in(
        &[
            "jws",
            "sign",
            "--secret-b64",
            &tessera_jose::b64::encode([7u8; 32]),
            "--alg",
            "HS256",
        ],
        Some(b"\x00\x01binary"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run(&[
        "jws",
        "verify",
        r.stdout.trim(),
        "--secret-b64",
        &tessera_jose::b64::encode([7u8; 32]),
    ]);
    assert_eq!(r.raw, b"\x00\x01binary");
    // Mismatched key/alg counts, a wrong key.
    assert_eq!(
        env.run(&[
            "jws", "sign", "x", "--key", &ed, "--alg", "EdDSA", "--alg", "PS256"
        ])
        .code,
        2
    );
    let r = env.run(&[
        "jws",
        "verify",
        general.trim(),
        "--key",
        &env.key("ed2.jwk", &["--alg", "EdDSA"]),
    ]);
    assert_eq!(r.code, 1);
}

#[test]
fn jwe_commands() {
    let env = Env::new();
    let rsa = env.key("rsa.jwk", &["--alg", "RSA-OAEP-256"]);
    for format in ["compact", "flattened", "general"] {
        let jwe = env.ok(&[
            "jwe",
            "encrypt",
            "secret text",
            "--key",
            &rsa,
            "--alg",
            "RSA-OAEP-256",
            "--enc",
            "A256GCM",
            "--format",
            format,
            "--zip",
        ]);
        let r = env.run_in(&["jwe", "decrypt", "--key", &rsa], Some(jwe.as_bytes()));
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
        assert_eq!(r.raw, b"secret text");
    }
    // PBES2 with a password.
    let jwe = env.ok(&[
        "jwe",
        "encrypt",
        "pw text",
        "--password",
        "hunter22",
        "--alg",
        "PBES2-HS512+A256KW",
        "--enc",
        "A256CBC-HS512",
    ]);
    let r = env.run(&["jwe", "decrypt", jwe.trim(), "--password", "hunter22"]);
    assert_eq!(r.raw, b"pw text");
    let r = env.run(&["jwe", "decrypt", jwe.trim(), "--password", "wrong"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: rejected: decryption failed (decryption_failed)\n"
    );
    // RSA1_5 only when allowed explicitly.
    let legacy_key = env.key("legacy.jwk", &["--kty", "RSA"]);
    let jwe = env.run(&[
        "jwe",
        "encrypt",
        "old",
        "--key",
        &legacy_key,
        "--alg",
        "RSA1_5",
        "--enc",
        "A128CBC-HS256",
    ]);
    assert!(jwe.stderr.contains("legacy"));
    let r = env.run(&["jwe", "decrypt", jwe.stdout.trim(), "--key", &legacy_key]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("algorithm_not_allowed"), "{}", r.stderr);
    let r = env.run(&[
        "jwe",
        "decrypt",
        jwe.stdout.trim(),
        "--key",
        &legacy_key,
        "--allow-alg",
        "RSA1_5",
    ]);
    assert_eq!(r.raw, b"old");
    // The warning is honest: uniform errors, but the backend's unpadding leaks timing.
    assert!(
        r.stderr.contains("dangerous") && r.stderr.contains("timing oracle"),
        "{}",
        r.stderr
    );
    // dir and symmetric keys.
    let dir = env.key("dir.jwk", &["--alg", "dir"]);
    let jwe = env.ok(&[
        "jwe", "encrypt", "d", "--key", &dir, "--alg", "dir", "--enc", "A256GCM",
    ]);
    assert_eq!(
        env.run(&["jwe", "decrypt", jwe.trim(), "--key", &dir]).raw,
        b"d"
    );
    assert_eq!(
        env.run(&[
            "jwe", "encrypt", "d", "--key", &dir, "--alg", "dir", "--enc", "A128GCM"
        ])
        .code,
        2
    );
    assert_eq!(
        env.run(&[
            "jwe", "encrypt", "d", "--key", &dir, "--alg", "A256KW", "--enc", "BOGUS"
        ])
        .code,
        2
    );
}

#[test]
fn jwk_commands() {
    let env = Env::new();
    // RFC 7638 §3.1: the thumbprint of the RFC's key.
    let rfc = env.write("rfc7638.jwk", r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#);
    assert_eq!(
        env.ok(&["jwk", "thumbprint", &rfc]).trim(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(
        env.ok(&["jwk", "thumbprint", &rfc, "--uri"]).trim(),
        "urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(
        env.ok(&["jwk", "thumbprint", &rfc, "--hash", "sha512"])
            .trim()
            .len(),
        86
    );
    // Generation by algorithm and by type.
    for (args, kty, crv) in [
        (vec!["--alg", "ES384"], "EC", Some("P-384")),
        (vec!["--alg", "A192GCMKW"], "oct", None),
        (
            vec!["--kty", "OKP", "--crv", "X25519"],
            "OKP",
            Some("X25519"),
        ),
        (
            vec!["--kty", "EC", "--crv", "secp256k1"],
            "EC",
            Some("secp256k1"),
        ),
        (vec!["--kty", "oct", "--bits", "512"], "oct", None),
    ] {
        let mut all = vec!["jwk", "generate"];
        all.extend(args.iter().copied());
        let v = json(&env.ok(&all));
        assert_eq!(v["kty"], kty, "{args:?}");
        assert_eq!(v["crv"].as_str(), crv, "{args:?}");
    }
    let v = json(&env.ok(&[
        "jwk",
        "generate",
        "--kty",
        "RSA",
        "--bits",
        "3072",
        "--kid",
        "r1",
        "--use",
        "sig",
        "--key-ops",
        "sign,verify",
    ]));
    assert_eq!(v["kty"], "RSA");
    assert_eq!(
        (v["kid"].as_str(), v["use"].as_str()),
        (Some("r1"), Some("sig"))
    );
    assert_eq!(v["key_ops"], json!(["sign", "verify"]));
    assert_eq!(
        tessera_jose::b64::decode(v["n"].as_str().unwrap())
            .unwrap()
            .len(),
        384
    );
    assert_eq!(
        env.run(&["jwk", "generate", "--kty", "OKP", "--crv", "Ed448"])
            .code,
        2
    );
    assert_eq!(env.run(&["jwk", "generate", "--alg", "nope"]).code, 2);
    // Public, convert.
    let k = env.key("k.jwk", &["--alg", "ES256"]);
    let public = json(&env.ok(&["jwk", "public", &k]));
    assert!(public.get("d").is_none());
    let pem = env.ok(&["jwk", "convert", &k, "--to", "pem"]);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let private_pem = env.ok(&["jwk", "convert", &k, "--to", "pem", "--private"]);
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let pem_file = env.write("k.pem", &private_pem);
    let back = json(&env.ok(&["jwk", "convert", &pem_file, "--to", "jwk", "--private"]));
    assert_eq!(back["d"], json(&std::fs::read_to_string(&k).unwrap())["d"]);
    let set = json(&env.ok(&["jwk", "convert", &k, "--to", "jwks"]));
    assert_eq!(set["keys"][0]["kty"], "EC");
    let oct = env.key("oct.jwk", &["--kty", "oct"]);
    assert_eq!(env.run(&["jwk", "public", &oct]).code, 2);
    assert_eq!(env.run(&["jwk", "thumbprint", "/missing"]).code, 2);
}

#[test]
fn jwks_commands() {
    let env = Env::new();
    let a = env.key("a.jwk", &["--alg", "ES256", "--kid", "a"]);
    let b = env.key("b.jwk", &["--alg", "RS256", "--kid", "b"]);
    let set = env.p("set.json");
    env.ok(&["jwks", "add", &set, &a, &b]);
    let v = json(&std::fs::read_to_string(&set).unwrap());
    assert_eq!(v["keys"].as_array().unwrap().len(), 2);
    assert!(v["keys"][0].get("d").is_none(), "added as public keys");
    let list = env.ok(&["jwks", "list", &set]);
    assert_eq!(list.lines().count(), 2);
    assert!(list.starts_with("a\tEC\tP-256\tES256\t-\tpublic"), "{list}");
    assert!(list.lines().nth(1).unwrap().contains("2048 bits"), "{list}");
    let found = json(&env.ok(&["jwks", "find", &set, "--alg", "RS256"]));
    assert_eq!(found["keys"][0]["kid"], "b");
    assert_eq!(env.run(&["jwks", "find", &set, "--kid", "zzz"]).code, 1);
    env.ok(&["jwks", "remove", &set, "--kid", "a"]);
    assert_eq!(env.ok(&["jwks", "list", &set]).lines().count(), 1);
    assert_eq!(env.run(&["jwks", "remove", &set, "--kid", "a"]).code, 2);
    // The set verifies tokens of its keys, chosen by kid.
    let token = env.ok(&["sign", "{}", "--key", &b, "--alg", "RS256", "--exp", "+1m"]);
    assert_eq!(env.run(&["verify", token.trim(), "--key", &set]).code, 0);
    let oct = env.key("oct.jwk", &["--kty", "oct"]);
    assert_eq!(env.run(&["jwks", "add", &set, &oct]).code, 2);
    env.ok(&["jwks", "add", &set, &oct, "--private"]);
    let listed = env.ok(&["jwks", "list", &set, "--json"]);
    assert_eq!(json(listed.lines().nth(1).unwrap())["kty"], "oct");
}

#[test]
fn alg_completions_and_man() {
    let env = Env::new();
    let table = env.ok(&["alg"]);
    for name in [
        "HS256",
        "ES256K",
        "ML-DSA-65",
        "RSA-OAEP-256",
        "ECDH-ES+A192KW",
        "A256CBC-HS512",
        "none",
    ] {
        assert!(table.contains(name), "{name}");
    }
    let v = json(&env.ok(&["alg", "--json"]));
    let rsa15 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RSA1_5")
        .unwrap();
    assert!(
        rsa15["status"]
            .as_str()
            .unwrap()
            .contains("off unless allowed")
    );
    assert!(env.ok(&["completions", "bash"]).contains("tessera"));
    assert!(env.ok(&["completions", "zsh"]).contains("#compdef tessera"));
    assert!(env.ok(&["man"]).contains(".TH tessera"));
}

/// Bad input never panics or prints a trace: one line on stderr.
#[test]
fn bad_input_is_one_clear_line() {
    let env = Env::new();
    let junk = env.write("junk.bin", "\u{0}\u{1}\u{2}not a key");
    for args in [
        vec!["verify", "a.b.c", "--key", junk.as_str()],
        vec!["decode", "....."],
        vec!["jwe", "decrypt", "x.y", "--password", "p"],
        vec!["jwk", "public", junk.as_str()],
        vec![
            "sign",
            "{\"exp\":\"soon\"}",
            "--secret",
            "0123456789abcdef0123456789abcdef",
            "--alg",
            "HS256",
        ],
    ] {
        let r = env.run(&args);
        assert!(r.code == 1 || r.code == 2, "{args:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}");
    }
    let _ = Path::new("/");
}

/// `--expect` states the kind of token: anything else is `token_kind`, whatever the token says.
#[test]
fn verify_expect_states_the_kind() {
    let env = Env::new();
    let sig = env.key("sig.jwk", &["--alg", "ES256"]);
    let enc = env.key("enc.jwk", &["--alg", "A128KW"]);
    let signed = env.ok(&[
        "sign",
        r#"{"sub":"u"}"#,
        "--key",
        &sig,
        "--alg",
        "ES256",
        "--exp",
        "+5m",
    ]);
    let signed = signed.trim();
    let encrypt = |plaintext: &str, cty: Option<&str>| {
        let mut args = vec![
            "jwe", "encrypt", plaintext, "--key", &enc, "--alg", "A128KW", "--enc", "A128GCM",
        ];
        if let Some(c) = cty {
            args.extend(["--cty", c]);
        }
        env.ok(&args).trim().to_owned()
    };
    let nested = encrypt(signed, Some("JWT"));
    let encrypted = encrypt(r#"{"sub":"u","exp":4000000000}"#, None);
    // Each kind is verified with the keys that kind takes.
    let kind = |token: &str, expect: &str| {
        let mut args = vec!["verify", "--json", token, "--expect", expect];
        match expect {
            "signed" => args.extend(["--key", &sig]),
            "nested" => args.extend(["--key", &sig, "--decrypt-key", &enc]),
            _ => args.extend(["--decrypt-key", &enc]),
        }
        let r = env.run(&args);
        (r.code, json(&r.stdout)["code"].as_str().map(str::to_owned))
    };
    assert_eq!(kind(signed, "signed").0, 0);
    assert_eq!(kind(&nested, "nested").0, 0);
    assert_eq!(kind(&encrypted, "encrypted").0, 0);
    for (token, expect) in [
        (signed, "nested"),
        (signed, "encrypted"),
        (nested.as_str(), "signed"),
        (nested.as_str(), "encrypted"),
        (encrypted.as_str(), "nested"),
        (encrypted.as_str(), "signed"),
    ] {
        assert_eq!(
            kind(token, expect),
            (1, Some("token_kind".to_owned())),
            "{expect}"
        );
    }
    // Without --expect: signed, or nested with --decrypt-key; never encrypted.
    let r = env.run(&["verify", "--json", &encrypted, "--key", &sig]);
    assert_eq!(json(&r.stdout)["code"], "token_kind");
    let r = env.run(&[
        "verify",
        "--json",
        &encrypted,
        "--key",
        &sig,
        "--decrypt-key",
        &enc,
    ]);
    assert_eq!(json(&r.stdout)["code"], "token_kind");
    assert_eq!(
        env.run(&["verify", &nested, "--key", &sig, "--decrypt-key", &enc])
            .code,
        0
    );
}

/// On a real terminal (a pseudo-terminal from `script`) `decode` is coloured; `NO_COLOR` turns
/// colour off there too.
#[test]
fn colour_on_a_terminal_only_without_no_color() {
    let env = Env::new();
    let token = hs_token(&env);
    let bin = env!("CARGO_BIN_EXE_tessera");
    let on_tty_with = |no_color: bool, term: &str, command: &str| {
        let mut c = Command::new("script");
        c.args(["-qec", command, "/dev/null"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TERM", term);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let out = c
            .output()
            .expect("`script` (util-linux) runs the command on a pseudo-terminal");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let decode = format!("{bin} decode {token} --now {NOW}");
    let on_tty = |no_color: bool| on_tty_with(no_color, "xterm", &decode);
    let coloured = on_tty(false);
    assert!(
        coloured.contains("\x1b[34;1m\"alg\"\x1b[0m"),
        "{coloured:?}"
    );
    assert!(coloured.contains("NOT VERIFIED"));
    let plain = on_tty(true);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    assert!(plain.contains("\"alg\": \"HS256\""));
    // A dumb terminal gets no colour either.
    let dumb = on_tty_with(false, "dumb", &decode);
    assert!(
        !dumb.contains('\x1b') && dumb.contains("NOT VERIFIED"),
        "{dumb:?}"
    );
    // Waiting for a token on a terminal says where it is read from (the note comes before the
    // read; `script` then passes on the end of its own empty stdin, bounded by `timeout`).
    let out = Command::new("timeout")
        .args(["10", "script", "-qc", &format!("{bin} decode"), "/dev/null"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "dumb")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("reading the token from stdin"), "{text:?}");
}

/// The security review's forgery: a JWE anyone made with the *public* key must not pass
/// `verify --key private.pem --alg RS256`; the token never decides how it is checked.
#[test]
fn verify_never_lets_the_token_choose_decryption() {
    let env = Env::new();
    let rsa = env.key("rsa.jwk", &["--kty", "RSA"]);
    let pem = env.write(
        "rsa.pem",
        &env.ok(&["jwk", "convert", &rsa, "--to", "pem", "--private"]),
    );
    let rsa_pub = env.write("rsa.pub.jwk", &env.ok(&["jwk", "public", &rsa]));
    let forged = env.ok(&[
        "jwe",
        "encrypt",
        r#"{"sub":"admin","exp":4000000000}"#,
        "--key",
        &rsa_pub,
        "--alg",
        "RSA-OAEP-256",
        "--enc",
        "A256GCM",
    ]);
    let forged = forged.trim();
    let r = env.run(&["verify", "--json", forged, "--key", &pem, "--alg", "RS256"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["code"], "token_kind");
    // The same with an EC key without `alg` (ECDH-ES).
    let ec = env.key("ec.jwk", &["--kty", "EC", "--crv", "P-256"]);
    let ec_pub = env.write("ec.pub.jwk", &env.ok(&["jwk", "public", &ec]));
    let forged_ec = env.ok(&[
        "jwe",
        "encrypt",
        r#"{"sub":"admin","exp":4000000000}"#,
        "--key",
        &ec_pub,
        "--alg",
        "ECDH-ES",
        "--enc",
        "A256GCM",
    ]);
    let r = env.run(&["verify", "--json", forged_ec.trim(), "--key", &ec]);
    assert_eq!(json(&r.stdout)["code"], "token_kind");
    // `--key sig --decrypt-key enc` expects a nested JWT: an encrypted-only one is refused.
    let sig = env.key("sig.jwk", &["--alg", "ES256"]);
    let r = env.run(&[
        "verify",
        "--json",
        forged,
        "--key",
        &sig,
        "--decrypt-key",
        &rsa,
    ]);
    assert_eq!(json(&r.stdout)["code"], "token_kind");
    // `--expect encrypted` takes its key from --decrypt-key only, and public-key key
    // management needs the named opt-in.
    let r = env.run(&["verify", forged, "--expect", "encrypted", "--key", &rsa]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--decrypt-key"), "{}", r.stderr);
    let r = env.run(&[
        "verify",
        forged,
        "--expect",
        "encrypted",
        "--decrypt-key",
        &rsa,
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("authenticates no sender"), "{}", r.stderr);
    let v = json(&env.ok(&[
        "verify",
        forged,
        "--expect",
        "encrypted",
        "--decrypt-key",
        &rsa,
        "--accept-unauthenticated-senders",
    ]));
    assert_eq!(v["sub"], "admin");
    // `--alg` never widens: naming only RS256 leaves the JWE layer without an algorithm.
    let signed = env.ok(&[
        "sign",
        r#"{"sub":"u"}"#,
        "--key",
        &rsa,
        "--alg",
        "RS256",
        "--exp",
        "+5m",
    ]);
    let nested = env.ok(&[
        "jwe",
        "encrypt",
        signed.trim(),
        "--key",
        &rsa_pub,
        "--alg",
        "RSA-OAEP-256",
        "--enc",
        "A256GCM",
        "--cty",
        "JWT",
    ]);
    let base = [
        "verify",
        nested.trim(),
        "--key",
        &rsa,
        "--decrypt-key",
        &rsa,
    ];
    let r = env.run(&[&base[..], &["--alg", "RS256"]].concat());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no JWE key-management algorithm"),
        "{}",
        r.stderr
    );
    let r = env.run(&[&base[..], &["--alg", "RS256", "--alg", "RSA-OAEP"]].concat());
    assert_eq!(r.code, 1, "{}", r.stderr);
    env.ok(&[&base[..], &["--alg", "RS256", "--alg", "RSA-OAEP-256"]].concat());
}

/// Key files keep their permissions; a kid names one key in a set; secrets and passwords need
/// not be on the command line; input from devices is capped.
#[test]
fn key_files_secrets_and_input_limits() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = Env::new();
    let mode = |p: &str| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let a = env.key("a.jwk", &["--alg", "ES256"]);
    let b = env.key("b.jwk", &["--alg", "ES256", "--kid", "same"]);
    let c = env.key("c.jwk", &["--alg", "ES384", "--kid", "same"]);
    // A new set of private keys is 0600; an existing file keeps its mode.
    let set = env.p("private.json");
    env.ok(&["jwks", "add", &set, &a, "--private"]);
    assert_eq!(mode(&set), 0o600);
    std::fs::set_permissions(&set, std::fs::Permissions::from_mode(0o640)).unwrap();
    env.ok(&["jwks", "add", &set, &b, "--private"]);
    assert_eq!(mode(&set), 0o640);
    let public = env.p("public.json");
    env.ok(&["jwks", "add", &public, &a]);
    assert_eq!(mode(&public), 0o644);
    // The same key twice changes nothing; another key with a kid in use is refused.
    let before = std::fs::read_to_string(&set).unwrap();
    let r = env.run(&["jwks", "add", &set, &b, "--private"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&set).unwrap(), before);
    let r = env.run(&["jwks", "add", &set, &c, "--private"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("kid `same`"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&set).unwrap(), before);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with(".tessera-") && !n.contains(".tmp")),
        "{names:?}"
    );
    // --secret-env and --password-file / --password-env.
    let secret = "a-32-byte-long-secret-for-hs256!";
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    let out = cmd
        .args([
            "sign",
            r#"{"sub":"u"}"#,
            "--alg",
            "HS256",
            "--secret-env",
            "HS_SECRET",
        ])
        .args(["--exp", "+5m"])
        .env_clear()
        .env("HS_SECRET", secret)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    env.ok(&["verify", token.trim(), "--secret", secret]);
    let r = env.run(&["sign", "{}", "--alg", "HS256", "--secret-env", "UNSET_VAR"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("UNSET_VAR") && r.stderr.contains("not set"),
        "{}",
        r.stderr
    );
    let pw = env.write("pw.txt", "correct horse battery staple\n");
    let jwe = env.ok(&[
        "jwe",
        "encrypt",
        "hello",
        "--password-file",
        &pw,
        "--alg",
        "PBES2-HS256+A128KW",
        "--enc",
        "A128GCM",
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["jwe", "decrypt", jwe.trim(), "--password-env", "PW"])
        .env_clear()
        .env("PW", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello");
    let help = env.ok(&["verify", "--help"]);
    assert!(
        help.contains("--secret-env") && help.contains("process list"),
        "{help}"
    );
    // A device that never ends is read up to the cap, then refused.
    let r = env.run(&["jwk", "public", "/dev/zero"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("larger than"), "{}", r.stderr);
}

#[test]
fn verification_takes_tokens_as_they_are() {
    let env = Env::new();
    let secret = tessera_jose::b64::encode([7u8; 32]);
    // An empty payload (`header..signature`) is signed over the empty payload (RFC 7515
    // §7.2.8, Appendix F): it verifies without --payload.
    let jws = env.ok(&["jws", "sign", "", "--secret-b64", &secret, "--alg", "HS256"]);
    let jws = jws.trim();
    assert!(jws.contains(".."), "{jws}");
    let r = env.run(&["jws", "verify", jws, "--secret-b64", &secret]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.raw.is_empty());
    assert!(!r.stderr.contains("--payload"), "{}", r.stderr);
    // When that fails, the hint about detached content follows the error.
    let other = tessera_jose::b64::encode([8u8; 32]);
    let r = env.run(&["jws", "verify", jws, "--secret-b64", &other]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--payload"), "{}", r.stderr);
    // Whitespace inside a token is a malformed token, not something verification repairs.
    let token = hs_token(&env);
    let (head, sig) = token.rsplit_once('.').unwrap();
    let (h, p) = head.split_once('.').unwrap();
    for spaced in [
        format!("{head}. {sig}"),
        format!("{head} .{sig}"),
        format!("{h}.\n{p}.{sig}"),
        format!("{h}.{}\n{}.{sig}", &p[..5], &p[5..]),
        format!("Bearer {token}"),
    ] {
        let r = env.run(&[
            "verify",
            "--json",
            &spaced,
            "--secret",
            "a-32-byte-long-secret-for-hs256!",
            "--aud",
            "api",
            "--now",
            NOW,
        ]);
        assert_eq!(r.code, 1, "{spaced:?}: {}", r.stderr);
        assert_eq!(json(&r.stdout)["valid"], false, "{spaced:?}");
        assert!(r.stderr.contains("does not repair"), "{}", r.stderr);
        let r = env.run(&[
            "jws",
            "verify",
            &spaced,
            "--secret",
            "a-32-byte-long-secret-for-hs256!",
        ]);
        assert_eq!(r.code, 1, "{spaced:?}: {}", r.stderr);
        // decode cleans it, and says what it removed.
        let r = env.run(&["decode", &spaced, "--now", NOW]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("removed"), "{}", r.stderr);
    }
    // Surrounding whitespace (a file's line ending) is not inside the token.
    let file = env.write("token.txt", &format!("{token}\n"));
    env.ok(&[
        "verify",
        &format!("@{file}"),
        "--secret",
        "a-32-byte-long-secret-for-hs256!",
        "--aud",
        "api",
        "--now",
        NOW,
    ]);
    let r = env.run(&["decode", &format!("{h}.\n{p}.{sig}"), "--now", NOW]);
    assert!(
        r.stderr
            .contains("removed 1 whitespace character from inside"),
        "{}",
        r.stderr
    );
}
