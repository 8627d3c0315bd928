//! Key files across tools: every key Tessera exports (private, public and password-protected
//! PEM, and DER) is read by the `openssl` CLI and by Python `cryptography`, and every key they
//! write (PKCS#8, traditional, encrypted, with EC parameter blocks) is read by Tessera. Keys
//! are compared by their SubjectPublicKeyInfo DER.
//!
//! Where a peer is missing the test says so and passes, unless `TESSERA_REQUIRE_INTEROP` is
//! set (as `.ci/run` sets it): then it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::Env;

/// (Tessera's `jwk generate` arguments, OpenSSL's `genpkey` arguments, the Python peer's kind).
const KINDS: [(&[&str], &[&str], &str); 7] = [
    (
        &["--kty", "RSA"],
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "rsa",
    ),
    (
        &["--kty", "EC", "--crv", "P-256"],
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "p256",
    ),
    (
        &["--kty", "EC", "--crv", "P-384"],
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "p384",
    ),
    (
        &["--kty", "EC", "--crv", "P-521"],
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "p521",
    ),
    (
        &["--kty", "EC", "--crv", "secp256k1"],
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
        "secp256k1",
    ),
    (
        &["--kty", "OKP", "--crv", "Ed25519"],
        &["-algorithm", "ED25519"],
        "ed25519",
    ),
    (
        &["--kty", "OKP", "--crv", "X25519"],
        &["-algorithm", "X25519"],
        "x25519",
    ),
];

fn required() -> bool {
    std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty())
}

fn available(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn peers_or_skip() -> bool {
    let openssl = available("openssl", &["version"]);
    let python = available("python3", &["-c", "import cryptography"]);
    if openssl && python {
        return true;
    }
    let missing = format!("openssl CLI: {openssl}, Python cryptography: {python}");
    assert!(
        !required(),
        "interop peers required but missing ({missing})"
    );
    eprintln!("skipping key interop: {missing}");
    false
}

/// Runs a tool and returns stdout, failing the test with its stderr.
fn tool(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn python(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/keys_peer.py");
    String::from_utf8(tool("python3", &[&[script][..], args].concat()))
        .unwrap()
        .trim()
        .to_owned()
}

/// The SPKI DER of a key file as OpenSSL reads it.
fn openssl_spki(path: &str, public: bool, password: Option<&str>) -> String {
    let mut args = vec!["pkey", "-in", path, "-pubout", "-outform", "DER"];
    if public {
        args.insert(1, "-pubin");
    }
    let pass;
    if let Some(p) = password {
        pass = format!("pass:{p}");
        args.extend(["-passin", &pass]);
    }
    hex(&tool("openssl", &args))
}

#[test]
fn tessera_exports_are_read_by_openssl_and_cryptography() {
    if !peers_or_skip() {
        return;
    }
    let env = Env::new();
    let pw = env.write("pw.txt", "interop-password\n");
    for (gen_args, _, kind) in KINDS {
        let key = env.key(&format!("{kind}.jwk"), gen_args);
        let spki = hex(&env.run(&["jwk", "convert", &key, "--to", "der"]).raw);
        let out = |name: &str, args: &[&str]| {
            let r = env.run(&[&["jwk", "convert", &key][..], args].concat());
            assert_eq!(r.code, 0, "{kind} {args:?}: {}", r.stderr);
            let path = env.p(&format!("{kind}.{name}"));
            std::fs::write(&path, &r.raw).unwrap();
            path
        };
        let private = out("pem", &["--to", "pem", "--private"]);
        let public = out("pub.pem", &["--to", "pem"]);
        let der = out("der", &["--to", "der", "--private"]);
        let encrypted = out(
            "enc.pem",
            &[
                "--to",
                "pem",
                "--private",
                "--encrypt",
                "--password-file",
                &pw,
            ],
        );
        assert_eq!(
            openssl_spki(&private, false, None),
            spki,
            "{kind}: openssl, PKCS#8 PEM"
        );
        assert_eq!(
            openssl_spki(&public, true, None),
            spki,
            "{kind}: openssl, SPKI PEM"
        );
        assert_eq!(
            openssl_spki(&encrypted, false, Some("interop-password")),
            spki,
            "{kind}: openssl, encrypted PKCS#8"
        );
        assert_eq!(
            python(&["spki", &private]),
            spki,
            "{kind}: cryptography, PKCS#8 PEM"
        );
        assert_eq!(
            python(&["spki", &public]),
            spki,
            "{kind}: cryptography, SPKI PEM"
        );
        assert_eq!(
            python(&["spki", &der]),
            spki,
            "{kind}: cryptography, PKCS#8 DER"
        );
        assert_eq!(
            python(&["spki", &encrypted, "interop-password"]),
            spki,
            "{kind}: cryptography, encrypted PKCS#8"
        );
        // The traditional forms too, where the key type has one.
        let traditional = match kind {
            "rsa" => Some(out("pkcs1.pem", &["--to", "pkcs1", "--private"])),
            "p256" | "p384" | "p521" | "secp256k1" => {
                Some(out("sec1.pem", &["--to", "sec1", "--private"]))
            }
            _ => None,
        };
        if let Some(path) = traditional {
            assert_eq!(
                openssl_spki(&path, false, None),
                spki,
                "{kind}: openssl, traditional"
            );
            assert_eq!(
                python(&["spki", &path]),
                spki,
                "{kind}: cryptography, traditional"
            );
        }
    }
}

#[test]
fn keys_openssl_and_cryptography_write_are_read_by_tessera() {
    if !peers_or_skip() {
        return;
    }
    let env = Env::new();
    let tessera_spki = |path: &str, password: Option<&str>| {
        let mut args = vec!["jwk", "public", path];
        let pw_file;
        if let Some(p) = password {
            pw_file = env.write("peer-pw.txt", p);
            args.extend(["--password-file", &pw_file]);
        }
        let jwk = env.write("read.jwk", &env.ok(&args));
        hex(&env.run(&["jwk", "convert", &jwk, "--to", "der"]).raw)
    };
    for (_, openssl_args, kind) in KINDS {
        // OpenSSL: PKCS#8, its default encrypted PKCS#8 (PBES2, PBKDF2-SHA256, AES-256-CBC).
        let private = env.p(&format!("{kind}.openssl.pem"));
        tool(
            "openssl",
            &[&["genpkey"][..], openssl_args, &["-out", &private]].concat(),
        );
        let expected = openssl_spki(&private, false, None);
        assert_eq!(
            tessera_spki(&private, None),
            expected,
            "{kind}: openssl PKCS#8"
        );
        let encrypted = env.p(&format!("{kind}.openssl.enc.pem"));
        tool(
            "openssl",
            &[
                "pkey",
                "-in",
                &private,
                "-aes-256-cbc",
                "-passout",
                "pass:pw-1",
                "-out",
                &encrypted,
            ],
        );
        assert_eq!(
            tessera_spki(&encrypted, Some("pw-1")),
            expected,
            "{kind}: openssl encrypted"
        );
        // Python cryptography: PKCS#8, traditional and its best available encryption.
        let dir = env.p(kind);
        std::fs::create_dir_all(&dir).unwrap();
        let expected = python(&["write", kind, &dir, "pw-2"]);
        for file in ["pkcs8.pem", "traditional.pem", "pub.pem"] {
            let path = format!("{dir}/{file}");
            if std::path::Path::new(&path).exists() {
                assert_eq!(
                    tessera_spki(&path, None),
                    expected,
                    "{kind}: cryptography {file}"
                );
            }
        }
        assert_eq!(
            tessera_spki(&format!("{dir}/encrypted.pem"), Some("pw-2")),
            expected,
            "{kind}: cryptography encrypted"
        );
    }
    // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
    let with_params = env.write(
        "ecparam.pem",
        &String::from_utf8(tool(
            "openssl",
            &["ecparam", "-name", "prime256v1", "-genkey"],
        ))
        .unwrap(),
    );
    assert!(
        std::fs::read_to_string(&with_params)
            .unwrap()
            .contains("EC PARAMETERS")
    );
    env.ok(&["jwk", "public", &with_params]);
    // Keys Tessera cannot use are named.
    let dsa_params = env.p("dsa.params");
    tool(
        "openssl",
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:1024",
            "-out",
            &dsa_params,
        ],
    );
    let dsa = env.p("dsa.pem");
    tool(
        "openssl",
        &["genpkey", "-paramfile", &dsa_params, "-out", &dsa],
    );
    let r = env.run(&["jwk", "public", &dsa]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("DSA"), "{}", r.stderr);
    let brainpool = env.p("bp.pem");
    tool(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:brainpoolP256r1",
            "-out",
            &brainpool,
        ],
    );
    let r = env.run(&["jwk", "public", &brainpool]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("brainpoolP256r1"), "{}", r.stderr);
}
