//! The README's application (`scripts/code_flow_app.sh`: curl and openssl doing the
//! authorization code flow with PKCE) against a real `tessera serve`: the script prints the
//! address to open, a scripted browser signs in and allows it, the address the browser lands on
//! is pasted into the script, which checks state, issuer and nonce, exchanges the code, verifies
//! the ID token with `tessera verify` and calls userinfo. Needs bash, curl, openssl and python3
//! (skipped without them, unless `TESSERA_REQUIRE_INTEROP=1`, as `.ci/run` sets).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::{Reaped, free_port, run_in, wait_listening};
use testkit::web::{Browser, form_body, hidden, hidden_fields};

const PW: &str = "correct horse battery staple";

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_application_gets_access() {
    let missing: Vec<&str> = ["bash", "curl", "openssl", "python3"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        let required = std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty());
        assert!(!required, "missing {missing:?}");
        eprintln!("skipping: missing {missing:?}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let ok = |args: &[&str], env: &[(&str, &str)]| {
        let (code, out, err) = run_in(d, env, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    ok(&["init"], &[]);
    ok(
        &[
            "user",
            "create",
            "ada",
            "--email",
            "ada@example.com",
            "--password-env",
            "PW",
        ],
        &[("PW", PW)],
    );
    let created = ok(
        &[
            "client",
            "create",
            "--name",
            "My CLI",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--json",
        ],
        &[],
    );
    let client_id = common::json(&created)["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let _server = Reaped(
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--issuer",
                &issuer,
            ])
            .current_dir(d)
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port, "tessera serve");

    // The application, with `tessera` on its PATH.
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_tessera"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/code_flow_app.sh"
    );
    let mut app = Command::new("bash")
        .args([script, &client_id, &issuer])
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(app.stdout.take().unwrap());
    let mut line = String::new();
    let mut address = None;
    for _ in 0..10 {
        line.clear();
        out.read_line(&mut line).unwrap();
        if let Some(at) = line.find(&format!("{issuer}/oauth2/authorize?")) {
            address = Some(line[at + issuer.len()..].trim().to_owned());
            break;
        }
    }
    let address = address.expect("the script prints the address to open");

    // The person, in a browser.
    let mut b = Browser::new(&issuer, "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");
    let to_login = b.get(&address).await;
    assert_eq!(to_login.status, 303);
    let form = b.get(to_login.headers["location"].to_str().unwrap()).await;
    let next = hidden(&form.body, "next");
    let done = b
        .post(
            "/login",
            &issuer,
            form_body(&[
                ("csrf", &Browser::csrf(&form)),
                ("username", "ada"),
                ("password", PW),
                ("next", &next),
            ]),
        )
        .await;
    let consent = b.get(done.headers["location"].to_str().unwrap()).await;
    assert!(
        consent
            .body
            .contains("Allow My CLI to access your account?")
    );
    let mut fields = hidden_fields(&consent.body, "/oauth2/consent");
    fields.push(("decision".into(), "allow".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let allowed = b.post("/oauth2/consent", &issuer, form_body(&pairs)).await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let landed = allowed.headers["location"].to_str().unwrap().to_owned();
    assert!(
        landed.starts_with("http://127.0.0.1:53682/callback?code="),
        "{landed}"
    );

    // Pasted into the application.
    let mut stdin = app.stdin.take().unwrap();
    writeln!(stdin, "{landed}").unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = app.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut app.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{rest}\n{err}");
    assert!(rest.contains("scope: openid profile email"), "{rest}");
    assert!(rest.contains("ID token, verified:"), "{rest}");
    assert!(rest.contains("\"email\":\"ada@example.com\""), "{rest}");
    assert!(
        rest.contains("refreshed: a new access token (expires in 900 s) and a new refresh token"),
        "{rest}"
    );
}
