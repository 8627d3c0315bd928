//! Signing in with a real browser: `tessera serve` (two nodes on one store) driven through
//! headless Chromium and ChromeDriver. A wrong password, a sign-in, the session cookie's
//! attributes as the browser holds them, the account page, a forced logout seen on the other
//! node at the next request, sessions ended from the account page, signing out. Screenshots at
//! 390 and 1280 px go to `target/tmp/signin-screenshots/` for a person to look at. Without
//! Chromium the test is skipped, unless `TESSERA_REQUIRE_BROWSER=1` (set by `.ci/run`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Reaped, free_port, wait_listening};
use testkit::browser::{Client, Locator, chromium, eval, start_browser, type_into, until};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");
const PW: &str = "correct horse battery staple";

fn tessera(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn node(dir: &Path, port: u16, issuer: &str) -> Reaped {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--issuer",
            issuer,
        ])
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port, "tessera serve");
    Reaped(child)
}

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("signin-screenshots")
}

async fn screenshot(c: &Client, name: &str) {
    testkit::browser::screenshot(c, &shots(), name).await;
}

/// Fills the sign-in form and sends it, then waits for the next page.
async fn sign_in(c: &Client, user: &str, password: &str) {
    // Marks this page, so the wait below sees the next one.
    eval(c, "window.__before = true").await;
    type_into(c, "username", user).await;
    type_into(c, "password", password).await;
    let button = c
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap();
    button.click().await.unwrap();
    until(
        c,
        "window.__before === undefined && document.readyState === 'complete'",
    )
    .await;
}

/// The serious and critical accessibility violations axe-core finds on the page (axe-core from
/// `TESSERA_AXE`, which `.ci/run` installs from npm, pinned). Without it the check is skipped,
/// unless the browser is required (`TESSERA_REQUIRE_BROWSER`), where it fails.
async fn axe(c: &Client) -> Option<String> {
    let Some(path) = std::env::var_os("TESSERA_AXE") else {
        let required = std::env::var_os("TESSERA_REQUIRE_BROWSER").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "TESSERA_AXE (axe-core's axe.min.js) is required with the browser"
        );
        eprintln!("skipping the accessibility check: no TESSERA_AXE");
        return None;
    };
    let source = std::fs::read_to_string(path).expect("axe.min.js");
    // Injected through WebDriver, which the page's CSP does not govern.
    c.execute(&format!("{source}\nreturn true;"), vec![])
        .await
        .unwrap();
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ' (' + v.nodes.length + '): ' + v.help).join('; ')));",
            vec![],
        )
        .await
        .unwrap();
    Some(found.as_str().unwrap_or_default().to_owned())
}

/// Nothing wider than the window (a phone layout that fits).
async fn fits(c: &Client) {
    let wide = eval(
        c,
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className).join(',')",
    )
    .await;
    assert_eq!(wide, "", "elements wider than the window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_with_a_browser() {
    let Some((chromium, driver)) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (pa, pb) = (free_port(), free_port());
    let issuer = format!("http://127.0.0.1:{pa}");
    tessera(d, &[], &["init"]);
    tessera(
        d,
        &[("PW", PW)],
        &[
            "user",
            "create",
            "ada",
            "--name",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--group",
            "admins",
            "--password-env",
            "PW",
        ],
    );
    // Two nodes on one store, with one issuer; the browser holds one cookie for 127.0.0.1.
    let _a = node(d, pa, &issuer);
    let _b = node(d, pb, &issuer);
    let profile = d.join("chromium-profile");
    let (_driver, c) = start_browser(&chromium, &driver, profile.to_str().unwrap()).await;

    c.goto(&format!("{issuer}/login")).await.unwrap();
    until(&c, "document.getElementById('username') !== null").await;
    assert_eq!(eval(&c, "document.title").await, "Sign in · Tessera");
    // The stylesheet loaded under the policy (no inline style needed).
    assert_eq!(
        eval(
            &c,
            "getComputedStyle(document.querySelector('button')).fontWeight"
        )
        .await,
        "600"
    );
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the sign-in page");
        // The check can fail: a field without its label is reported.
        eval(&c, "document.querySelector('label[for=username]').remove()").await;
        let broken = axe(&c).await.unwrap();
        assert!(broken.starts_with("label"), "{broken}");
        c.refresh().await.unwrap();
        until(&c, "document.querySelector('label[for=username]') !== null").await;
    }
    screenshot(&c, "login-desktop").await;
    testkit::browser::color_scheme(&c, "dark").await;
    screenshot(&c, "login-desktop-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    screenshot(&c, "login-phone").await;
    c.set_window_size(1280, 900).await.unwrap();

    sign_in(&c, "ada", "not my password").await;
    until(&c, "document.querySelector('.error') !== null").await;
    let said = eval(&c, "document.querySelector('.error').textContent").await;
    assert_eq!(said, "Wrong username or password.");
    assert_eq!(
        eval(&c, "document.getElementById('username').value").await,
        "ada",
        "the username is kept"
    );
    screenshot(&c, "login-error").await;
    // Four more failures (the fifth waits 4 s: long enough for the browser to type again),
    // then even the right password is asked to wait.
    for _ in 0..4 {
        sign_in(&c, "ada", "not my password").await;
    }
    sign_in(&c, "ada", PW).await;
    until(&c, "document.querySelector('.error') !== null").await;
    let said = eval(&c, "document.querySelector('.error').textContent").await;
    assert!(
        said.as_str()
            .unwrap()
            .starts_with("Too many failed attempts. Try again in"),
        "{said}"
    );
    screenshot(&c, "login-throttled").await;
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;

    sign_in(&c, "Ada", PW).await;
    until(&c, "location.pathname === '/account'").await;
    assert!(
        eval(&c, "document.body.textContent")
            .await
            .as_str()
            .unwrap()
            .contains("Ada Lovelace")
    );
    // The session cookie as the browser holds it.
    let cookie = c.get_named_cookie("tessera-session").await.unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(format!("{:?}", cookie.same_site().unwrap()), "Lax");
    assert_eq!(
        eval(&c, "document.cookie").await,
        "",
        "not readable by scripts"
    );
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the account page");
    }
    screenshot(&c, "account-desktop").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    screenshot(&c, "account-phone").await;
    // A dark theme: the page follows it.
    testkit::browser::color_scheme(&c, "dark").await;
    assert_eq!(
        eval(&c, "getComputedStyle(document.body).backgroundColor").await,
        "rgb(18, 18, 22)"
    );
    screenshot(&c, "account-phone-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(1280, 900).await.unwrap();

    // The same session on the other node.
    c.goto(&format!("http://127.0.0.1:{pb}/account"))
        .await
        .unwrap();
    until(&c, "location.pathname === '/account'").await;
    // A forced logout by the operator: the next request, on either node, is signed out.
    tessera(d, &[], &["user", "logout", "ada"]);
    c.refresh().await.unwrap();
    until(&c, "location.pathname === '/login'").await;

    // Sessions ended from the account page: sign in twice (a second cookie jar is a second
    // browser: here, a session made over HTTP), then end the others.
    c.goto(&format!("{issuer}/login")).await.unwrap();
    sign_in(&c, "ada", PW).await;
    until(&c, "location.pathname === '/account'").await;
    let other = second_session(&issuer).await;
    c.refresh().await.unwrap();
    until(&c, "document.querySelectorAll('.sessions li').length === 2").await;
    let end_others = c
        .find(Locator::Css(
            "form[action='/account/sessions/end-others'] button",
        ))
        .await
        .unwrap();
    end_others.click().await.unwrap();
    until(&c, "document.querySelectorAll('.sessions li').length === 1").await;
    assert_eq!(
        testkit::account_status(&issuer, &other).await,
        303,
        "the other session ended"
    );

    // A new password ends the other session.
    let other = second_session(&issuer).await;
    c.refresh().await.unwrap();
    until(&c, "document.querySelectorAll('.sessions li').length === 2").await;
    type_into(&c, "current", PW).await;
    type_into(&c, "new", "a new and longer passphrase").await;
    eval(&c, "window.__before = true").await;
    c.find(Locator::Css("form[action='/account/password'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &c,
        "window.__before === undefined && document.querySelector('.notice') !== null",
    )
    .await;
    assert_eq!(
        testkit::account_status(&issuer, &other).await,
        303,
        "the other session ended"
    );
    until(&c, "document.querySelectorAll('.sessions li').length === 1").await;
    // Sign out.
    let out = c
        .find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap();
    out.click().await.unwrap();
    until(&c, "location.pathname === '/login'").await;
    c.goto(&format!("{issuer}/account")).await.unwrap();
    until(&c, "location.pathname === '/login'").await;
    c.close().await.unwrap();
}

/// A session made outside the browser (a second device): its cookie.
async fn second_session(issuer: &str) -> String {
    testkit::sign_in(
        issuer,
        issuer,
        "ada",
        PW,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1",
    )
    .await
}
