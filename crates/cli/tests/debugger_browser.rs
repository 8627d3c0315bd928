//! The debugger page in a real browser: `tessera debug` driven through headless Chromium and
//! ChromeDriver (Debian's `chromium` and `chromium-driver`) over WebDriver. Without them the
//! test is skipped, unless `TESSERA_REQUIRE_BROWSER=1` (set by `.ci/run`), where it fails.
//!
//! Screenshots of the main states, at a desktop and a phone width, are written to
//! `target/tmp/debugger-screenshots/` for a person to look at.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Env, Reaped, free_port, wait_listening};
use serde_json::json;
use testkit::browser::{
    Client, Locator, chromium, click, eval, network_log, set_value, start_browser, text, type_into,
    until, until_class, until_text,
};

/// `tessera debug --no-open`, and the URL it printed.
fn start_debugger() -> (Reaped, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["debug", "--no-open"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/?k="),
        "{url}"
    );
    (Reaped(child), url)
}

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("debugger-screenshots")
}

async fn screenshot(c: &Client, name: &str) {
    testkit::browser::screenshot(c, &shots(), name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debugger_in_headless_chromium() {
    let Some((chromium, driver)) = chromium() else {
        return;
    };
    let env = Env::new();
    let (_server, url) = start_debugger();
    let origin = url.split("/?").next().unwrap().to_owned();
    let key = url.split("?k=").nth(1).unwrap().to_owned();

    // Headers, fetched the way the browser does.
    let resp = reqwest::get(&url).await.unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self'")
            && csp.contains("connect-src 'self'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(resp.headers()["referrer-policy"], "no-referrer");
    assert!(resp.headers().get("set-cookie").is_none());

    let profile = env.p("chromium-profile");
    let (_driver, c) = start_browser(&chromium, &driver, &profile).await;
    c.goto(&url).await.unwrap();
    until(&c, "document.getElementById('examples').options.length > 5").await;
    until(&c, "document.getElementById('enc-alg').options.length > 10").await;

    // Paste an HS256 token (with the `Bearer ` an Authorization header has): parts and claims.
    let secret = "a-32-byte-long-secret-for-hs256!";
    let token = env
        .ok(&[
            "sign",
            r#"{"sub":"u1","scope":"read"}"#,
            "--alg",
            "HS256",
            "--secret",
            secret,
            "--iss",
            "https://issuer.example",
            "--aud",
            "api",
            "--exp",
            "+4m",
        ])
        .trim()
        .to_owned();
    type_into(&c, "token", &format!("Bearer {token}")).await;
    until(&c, "document.querySelector('#parts .p-signature')").await;
    let header_part = token.split('.').next().unwrap();
    assert_eq!(
        eval(&c, "document.querySelector('#parts .p-header').textContent").await,
        json!(header_part)
    );
    let claims = text(&c, "claims").await;
    for expected in [
        "sub",
        "u1",
        "exp",
        "expires in",
        "RFC 7519 §4.1.4",
        "Issuer",
    ] {
        assert!(claims.contains(expected), "{expected} in {claims}");
    }
    until_text(&c, "header", "\"HS256\"").await;
    until_text(&c, "result", "Not verified").await;
    // The page says what it removed from the paste.
    until_text(&c, "warnings", "removed the `Bearer` scheme").await;
    screenshot(&c, "desktop-decoded").await;

    // The right secret verifies; a wrong one fails with the CLI's code.
    type_into(&c, "key", secret).await;
    until_class(&c, "result", "ok").await;
    until_text(&c, "result", "Signature verified").await;
    screenshot(&c, "desktop-verified").await;
    // Edit & re-sign: the same header, payload and secret give back the very same token.
    click(&c, "to-encode").await;
    until(&c, "!document.getElementById('panel-encode').hidden").await;
    until_text(&c, "enc-token", &token).await;
    until_text(&c, "enc-payload", "\"u1\"").await;
    click(&c, "tab-decode").await;
    type_into(&c, "key", "another-32-byte-long-secret-here").await;
    until_class(&c, "result", "bad").await;
    until_text(&c, "result", "signature_invalid").await;
    // A guessable secret is flagged below the key, so the field being typed in never moves.
    let key_top = "document.getElementById('key').getBoundingClientRect().top";
    let top = eval(&c, key_top).await;
    type_into(&c, "key", &"a".repeat(32)).await;
    until_text(&c, "check-warnings", "weak_secret").await;
    assert_eq!(eval(&c, key_top).await, top, "the key field moved");
    let cli = env.run(&[
        "verify",
        &token,
        "--secret",
        "another-32-byte-long-secret-here",
        "--json",
    ]);
    assert!(
        cli.stdout.contains("\"signature_invalid\""),
        "{}",
        cli.stdout
    );
    // A claim check: the wrong issuer.
    type_into(&c, "key", secret).await;
    c.find(Locator::Css("#checks summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&c, "iss", "https://other.example").await;
    until_text(&c, "result", "claim check failed").await;
    until_text(&c, "result", "issuer").await;
    type_into(&c, "iss", "https://issuer.example").await;
    until_class(&c, "result", "ok").await;

    // A PEM public key (RSA).
    env.key("rsa.json", &["--alg", "RS256"]);
    let pem = env.ok(&["jwk", "convert", "--to", "pem", "rsa.json"]);
    let rs = env
        .ok(&[
            "sign",
            r#"{"sub":"u2"}"#,
            "--key",
            "rsa.json",
            "--exp",
            "+1h",
        ])
        .trim()
        .to_owned();
    set_value(&c, "iss", "").await;
    set_value(&c, "token", &rs).await;
    set_value(&c, "key", &pem).await;
    until(&c, "document.getElementById('result').textContent.includes('Signature verified') && document.getElementById('payload').textContent.includes('u2')").await;

    // A JWK Set of several keys: the token's kid picks the key.
    env.key("a.json", &["--alg", "ES256", "--kid", "key-a"]);
    env.key("b.json", &["--alg", "ES256", "--kid", "key-b"]);
    let public = |f: &str| common::json(&env.ok(&["jwk", "public", f]));
    let set = json!({"keys": [public("a.json"), public("b.json")]}).to_string();
    let es = env
        .ok(&["sign", r#"{"sub":"u3"}"#, "--key", "b.json", "--exp", "+1h"])
        .trim()
        .to_owned();
    set_value(&c, "token", &es).await;
    set_value(&c, "key", &set).await;
    until_text(&c, "result", "kid key-b").await;
    until_text(&c, "result", "Signature verified").await;

    // Warnings: an unsecured token.
    set_value(&c, "key", "").await;
    set_value(&c, "token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.").await;
    until_text(&c, "warnings", "alg_none").await;
    until_text(&c, "warnings", "missing_exp").await;

    // Not a token: the error says why, and nothing of an earlier token is left on the page.
    set_value(&c, "token", "not-a-token").await;
    until_text(&c, "result", "malformed").await;
    assert_eq!(text(&c, "header").await, "");
    assert_eq!(text(&c, "parts").await, "");

    // The JSON serialization (two signatures): decoded, and checked with one signer's key.
    let general = env.ok(&[
        "jws",
        "sign",
        r#"{"sub":"json-serialized"}"#,
        "--key",
        "a.json",
        "--alg",
        "ES256",
        "--key",
        "b.json",
        "--alg",
        "ES256",
        "--format",
        "general",
    ]);
    set_value(&c, "token", general.trim()).await;
    until_text(&c, "summary", "JSON serialization").await;
    until_text(&c, "payload", "json-serialized").await;
    until_text(&c, "parts", "\"signatures\"").await;
    set_value(&c, "key", &set).await;
    until_text(&c, "result", "Signature verified").await;

    // JWE: the examples' shared-key token decrypts; a nested one is unwrapped and verified.
    let pick = |label: &'static str| {
        format!(
            "(() => {{ const s = document.getElementById('examples'); const o = [...s.options].find(o => o.text.startsWith('{label}')); s.value = o.value; s.dispatchEvent(new Event('change')); return true; }})()"
        )
    };
    eval(&c, &pick("JWE dir")).await;
    until_text(&c, "result", "Decrypted").await;
    until_text(&c, "sizes", "ciphertext").await;
    until_text(&c, "claims", "user-42").await;
    screenshot(&c, "desktop-jwe").await;
    set_value(
        &c,
        "key",
        r#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    )
    .await;
    until_text(&c, "result", "Not decrypted").await;
    until_text(&c, "result", "decryption_failed").await;
    eval(&c, &pick("Nested")).await;
    until(&c, "!document.getElementById('inner-box').hidden && document.getElementById('inner-result').classList.contains('ok')").await;
    assert!(
        text(&c, "inner-result")
            .await
            .contains("Signature verified")
    );
    until_text(&c, "inner-header", "ES256").await;
    screenshot(&c, "desktop-nested").await;

    // Keyboard: the arrow keys move between tabs.
    c.find(Locator::Id("tab-decode"))
        .await
        .unwrap()
        .send_keys("\u{E014}")
        .await
        .unwrap();
    until(&c, "!document.getElementById('panel-encode').hidden").await;

    // Encode: the page generates a key; edits re-sign; `tessera verify` accepts the token.
    until(
        &c,
        "document.getElementById('enc-token').textContent.split('.').length === 3",
    )
    .await;
    let select = c.find(Locator::Id("enc-alg")).await.unwrap();
    select.select_by_value("ES256").await.unwrap();
    until(&c, "document.getElementById('enc-public').textContent.includes('BEGIN PUBLIC KEY') && document.getElementById('enc-error').textContent.includes('ES256')").await;
    let before = text(&c, "enc-token").await;
    let payload = json!({"sub": "encoded-in-the-browser", "iss": "https://issuer.example", "exp": 4_102_444_800_u64}).to_string();
    type_into(&c, "enc-payload", &payload).await;
    until(
        &c,
        &format!(
            "document.getElementById('enc-token').textContent !== {}",
            json!(before)
        ),
    )
    .await;
    until_class(&c, "enc-error", "ok").await;
    let encoded = text(&c, "enc-token").await;
    let public_text = text(&c, "enc-public").await;
    let pem_end = "-----END PUBLIC KEY-----";
    let public_pem = &public_text[..public_text.find(pem_end).unwrap() + pem_end.len()];
    let pub_file = env.write("encoded-pub.pem", public_pem);
    let verified = env.ok(&["verify", &encoded, "--key", &pub_file, "--alg", "ES256"]);
    assert!(verified.contains("encoded-in-the-browser"), "{verified}");
    screenshot(&c, "desktop-encode").await;
    // A syntax error is reported, not signed.
    type_into(&c, "enc-payload", "{\"sub\": ").await;
    until_text(&c, "enc-error", "payload_invalid").await;

    // Keys: generate, shown as JWK and PEM with the thumbprint.
    click(&c, "tab-keys").await;
    c.find(Locator::Id("key-alg"))
        .await
        .unwrap()
        .select_by_value("EdDSA")
        .await
        .unwrap();
    click(&c, "key-generate").await;
    until(
        &c,
        "document.getElementById('key-thumbprint').textContent.length === 43",
    )
    .await;
    until_text(&c, "key-pem", "BEGIN PRIVATE KEY").await;
    until_text(&c, "key-public-jwk", "\"Ed25519\"").await;
    assert!(
        text(&c, "key-thumbprint-uri")
            .await
            .starts_with("urn:ietf:params:oauth:jwk-thumbprint:sha-256:")
    );
    screenshot(&c, "desktop-keys").await;

    // Dark theme.
    click(&c, "tab-decode").await;
    let background = "getComputedStyle(document.body).backgroundColor";
    assert_eq!(eval(&c, background).await, json!("rgb(255, 255, 255)"));
    click(&c, "theme").await;
    until(&c, "document.documentElement.dataset.theme === 'dark'").await;
    assert_eq!(eval(&c, background).await, json!("rgb(20, 23, 27)"));
    screenshot(&c, "desktop-dark").await;

    // The browser's network log: every request went to this origin, the API among them.
    let network = network_log(&c, &origin).await;
    assert!(
        network.iter().any(|u| u.ends_with("/api/decrypt")),
        "{network:?}"
    );
    for u in &network {
        assert!(
            u.starts_with(&format!("{origin}/")),
            "a request to another origin: {u}"
        );
    }
    // And its Resource Timing record says the same.
    let requested = eval(
        &c,
        "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map(e => e.name)",
    )
    .await;
    let requested: Vec<String> = serde_json::from_value(requested).unwrap();
    assert!(
        requested.iter().any(|r| r.contains("/api/verify")),
        "{requested:?}"
    );
    assert!(
        requested.iter().any(|r| r.contains("/app.js")),
        "{requested:?}"
    );
    for r in &requested {
        assert!(
            r.starts_with(&format!("{origin}/")),
            "a request to another origin: {r}"
        );
    }
    assert_eq!(
        eval(
            &c,
            "window.localStorage.length + window.sessionStorage.length"
        )
        .await,
        json!(0)
    );
    assert_eq!(eval(&c, "document.cookie").await, json!(""));

    // Share: the link carries the token in the fragment and never a key.
    set_value(&c, "token", &token).await;
    set_value(&c, "key", secret).await;
    click(&c, "share").await;
    until(&c, "document.getElementById('share-link').value").await;
    let link = eval(&c, "document.getElementById('share-link').value").await;
    let link = link.as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("{origin}/#token=")), "{link}");
    assert!(
        !link.contains(secret) && !link.contains(&key) && !link.contains("k="),
        "{link}"
    );
    // Opened in this debugger (with its access key), it decodes at once.
    let fragment = link.split('#').nth(1).unwrap();
    c.goto("about:blank").await.unwrap();
    c.goto(&format!("{url}#{fragment}")).await.unwrap();
    until(&c, "document.querySelector('#parts .p-signature') && document.getElementById('claims').textContent.includes('u1')").await;
    assert_eq!(
        eval(&c, "document.getElementById('key').value").await,
        json!("")
    );
    // Without the access key the API refuses, and the page asks for the address.
    c.goto(&link).await.unwrap();
    until(&c, "!document.getElementById('access').hidden").await;
    set_value(&c, "access-url", &url).await;
    click(&c, "access-use").await;
    until_text(&c, "claims", "u1").await;

    // A phone's width: one column, nothing wider than the screen.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{url}#{fragment}")).await.unwrap();
    until_text(&c, "claims", "u1").await;
    set_value(&c, "key", secret).await;
    until_class(&c, "result", "ok").await;
    screenshot(&c, "phone-verified").await;
    let wide = eval(
        &c,
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '#' + e.id + '.' + e.className)",
    )
    .await;
    assert_eq!(wide, json!([]), "wider than a phone's screen");
    click(&c, "tab-encode").await;
    until(
        &c,
        "document.getElementById('enc-token').textContent.split('.').length === 3",
    )
    .await;
    screenshot(&c, "phone-encode").await;

    // The same page mounted by `tessera serve` on a loopback issuer, at /debugger/.
    c.set_window_size(1280, 900).await.unwrap();
    let port = free_port();
    let data = env.p("service-data");
    let _service = Reaped(
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
                &data,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port, "tessera serve");
    let service = format!("http://127.0.0.1:{port}");
    c.goto(&format!("{service}/debugger")).await.unwrap();
    assert_eq!(
        c.current_url().await.unwrap().as_str(),
        format!("{service}/debugger/")
    );
    set_value(&c, "token", &token).await;
    set_value(&c, "key", secret).await;
    until_text(&c, "result", "Signature verified").await;
    let network = network_log(&c, &service).await;
    assert!(
        network
            .iter()
            .any(|u| u == &format!("{service}/debugger/api/verify")),
        "{network:?}"
    );
    for u in &network {
        assert!(u.starts_with(&format!("{service}/debugger")), "{u}");
    }

    c.close().await.unwrap();
}

#[test]
fn tessera_debug_says_when_its_port_is_taken() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let env = Env::new();
    let r = env.run(&["debug", "--no-open", "--port", &port]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("cannot listen on 127.0.0.1 port {port}")),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let help = env.ok(&["debug", "--help"]);
    assert!(
        help.contains("loopback") && help.contains("--no-open"),
        "{help}"
    );
}

#[test]
fn tessera_debug_opens_with_a_token_in_the_fragment() {
    let env = Env::new();
    let token = common::hs_token(&env);
    let file = env.write("token.txt", &format!("Bearer {token}\n"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["debug", "--no-open", &format!("@{file}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Reaped(child);
    let (address, fragment) = line.trim().split_once('#').unwrap();
    assert!(
        address.starts_with("http://127.0.0.1:") && address.contains("/?k="),
        "{line}"
    );
    assert_eq!(fragment, format!("token={token}"));
}

/// Without `--no-open`, the printed address is handed to the desktop's opener (`xdg-open`,
/// here a stand-in that writes down what it was given).
#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn tessera_debug_opens_the_browser_at_the_printed_address() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = Env::new();
    let bin = env.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        "#!/bin/sh\nprintf '%s' \"$1\" > \"$OPENED.tmp\" && mv \"$OPENED.tmp\" \"$OPENED\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let opened = env.path("opened.txt");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("debug")
        .env("PATH", path)
        .env("OPENED", &opened)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Reaped(child);
    let start = Instant::now();
    while !opened.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the browser was never opened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&opened).unwrap(), line.trim());
}
