//! People and an application over HTTP against a running `tessera serve`: the account, a
//! first-party public client that may refresh, and code flows through the real pages.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_tessera");
pub const PW: &str = "correct horse battery staple";
pub const REDIRECT: &str = "http://127.0.0.1:9/cb";

pub fn tessera(dir: &Path, store: &[&str], args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .args(store)
        .current_dir(dir)
        .env_clear()
        .env("PW", PW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `tessera serve` on loopback `port` (its issuer that address), on `store` (nothing: the
/// folder's SQLite), with these `--set` settings; returns once it listens.
pub fn serve(dir: &Path, store: &[&str], port: u16, settings: &[&str]) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--issuer", &format!("http://127.0.0.1:{port}")]);
    for s in settings {
        cmd.args(["--set", s]);
    }
    let child = cmd
        .args(store)
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    testkit::wait_listening(port, "tessera serve");
    child
}

/// Ada and a public first-party client that may refresh (with `extra` flags of `client
/// create`); its client_id.
pub fn people_and_app(dir: &Path, store: &[&str], extra: &[&str]) -> String {
    tessera(
        dir,
        store,
        &["user", "create", "ada", "--password-env", "PW"],
    );
    let created: Value = serde_json::from_str(&tessera(
        dir,
        store,
        &[
            "client",
            "create",
            "--name",
            "Load",
            "--public",
            "--first-party",
            "--redirect-uri",
            REDIRECT,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--json",
        ]
        .iter()
        .chain(extra)
        .copied()
        .collect::<Vec<_>>(),
    ))
    .unwrap();
    created["client_id"].as_str().unwrap().to_owned()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// `n` offline families of Ada's, each through the code flow: the token endpoint's answers
/// (access, ID and refresh token).
pub async fn code_flows(base: &str, client_id: &str, n: usize) -> Vec<Value> {
    let cookie = testkit::sign_in(base, base, "ada", PW, "refresh-faults").await;
    let http = http();
    let mut tokens = Vec::new();
    // The service may still be loading the client made beside it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokens.len() < n {
        let verifier = tessera_jose::b64::encode(tessera_jose::secret::random(32).unwrap());
        let challenge =
            tessera_jose::b64::encode(tessera_jose::secret::sha2(256, verifier.as_bytes()));
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", REDIRECT),
                ("scope", "openid offline_access"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let resp = http
            .get(format!("{base}/oauth2/authorize?{query}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let to = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let Some(q) = to.strip_prefix(&format!("{REDIRECT}?")) else {
            assert!(Instant::now() < deadline, "no code: {to}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let code = form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let answer: Value = http
            .post(format!("{base}/oauth2/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", client_id),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(answer);
    }
    tokens
}

/// `n` offline families of Ada's, each through the code flow: their first refresh tokens.
pub async fn families(base: &str, client_id: &str, n: usize) -> Vec<String> {
    code_flows(base, client_id, n)
        .await
        .iter()
        .map(|a| a["refresh_token"].as_str().unwrap().to_owned())
        .collect()
}
