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
use testkit::browser::{Client, Locator, chromium, click, eval, start_browser, type_into, until};
use testkit::web::Receiver as App;

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
    node_with(dir, port, issuer, &[])
}

/// [`node`] with more `serve` flags.
fn node_with(dir: &Path, port: u16, issuer: &str, more: &[&std::ffi::OsStr]) -> Reaped {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--issuer",
            issuer,
        ])
        .args(more)
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
    // Three failures are free; after that each must wait out the one before it (a throttled
    // attempt is not counted): two more now, then one after 1 s and one after 2 s. The fifth
    // makes the next wait 4 s, long enough for the browser to type again: even the right
    // password is asked to wait.
    for wait in [0, 0, 1100, 2100] {
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        sign_in(&c, "ada", "not my password").await;
        let said = eval(&c, "document.querySelector('.error').textContent").await;
        assert_eq!(
            said, "Wrong username or password.",
            "counted, not throttled"
        );
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

/// Over HTTPS (`--tls-cert`/`--tls-key`, an issuer `https://localhost:PORT`, a test
/// certificate Chromium is told to trust by its key's hash), the browser holds
/// `__Host-tessera-form` and `__Host-tessera-session` as `Secure`, `HttpOnly`, `SameSite=Lax`,
/// `Path=/` and host-only (Chromium refuses a `__Host-` cookie that is not all of these), sends
/// them back, and signing out removes the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_prefixed_secure_cookies_over_https() {
    let Some((chromium, driver)) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(certs) = testkit::test_certificate(d) else {
        return;
    };
    // The leaf's SubjectPublicKeyInfo hash, as Chromium's switch takes it.
    let spki = Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | openssl enc -base64 -A",
        )
        .arg("sh")
        .arg(&certs.cert)
        .output()
        .unwrap();
    assert!(spki.status.success());
    let spki = String::from_utf8(spki.stdout).unwrap();
    assert_eq!(spki.len(), 44, "{spki}");
    init_with_ada(d);
    let port = free_port();
    let issuer = format!("https://localhost:{port}");
    let _node = node_with(
        d,
        port,
        &issuer,
        &[
            "--tls-cert".as_ref(),
            certs.cert.as_os_str(),
            "--tls-key".as_ref(),
            certs.key.as_os_str(),
        ],
    );
    let profile = d.join("chromium-profile");
    let (_driver, c) = testkit::browser::start_browser_with(
        &chromium,
        &driver,
        profile.to_str().unwrap(),
        &[format!("--ignore-certificate-errors-spki-list={spki}")],
    )
    .await;
    c.goto(&format!("{issuer}/login")).await.unwrap();
    until(&c, "document.getElementById('username') !== null").await;
    assert_eq!(eval(&c, "location.protocol").await, "https:");
    let held = |name: &'static str| {
        let c = c.clone();
        async move {
            let cookie = c.get_named_cookie(name).await.unwrap();
            assert_eq!(cookie.secure(), Some(true), "{name} Secure");
            assert_eq!(cookie.http_only(), Some(true), "{name} HttpOnly");
            assert_eq!(cookie.path(), Some("/"), "{name} Path");
            assert_eq!(
                format!("{:?}", cookie.same_site().unwrap()),
                "Lax",
                "{name} SameSite"
            );
            // Host-only: no Domain attribute (WebDriver reports the host itself, never a
            // leading dot).
            assert_eq!(cookie.domain(), Some("localhost"), "{name} host-only");
        }
    };
    held("__Host-tessera-form").await;
    assert!(
        c.get_named_cookie("tessera-form").await.is_err(),
        "no unprefixed cookie on https"
    );
    sign_in(&c, "ada", PW).await;
    until(&c, "location.pathname === '/account'").await;
    held("__Host-tessera-session").await;
    assert!(c.get_named_cookie("tessera-session").await.is_err());
    assert_eq!(
        eval(&c, "document.cookie").await,
        "",
        "not readable by scripts"
    );
    // The browser sends it back: the account page, again, is ada's.
    c.refresh().await.unwrap();
    until(&c, "location.pathname === '/account'").await;
    assert!(
        eval(&c, "document.body.textContent")
            .await
            .as_str()
            .unwrap()
            .contains("Ada Lovelace")
    );
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "location.pathname === '/login'").await;
    assert!(
        c.get_named_cookie("__Host-tessera-session").await.is_err(),
        "signing out removes the session cookie"
    );
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

/// A store with ada (name, email, password) in `d`.
fn init_with_ada(d: &Path) {
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
            "--password-env",
            "PW",
        ],
    );
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The authorization code flow in a browser: an application sends the person to the service,
/// the person signs in and allows it on the consent page, the application gets its code (in
/// the query, then by `form_post`, whose script runs under the page's policy) and exchanges it;
/// the account page lists the application and removes its access. Both pages pass axe-core and
/// are photographed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_asks_for_access() {
    let Some((chromium, driver)) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = App::start(&[]).await;
    init_with_ada(d);
    let created = tessera(
        d,
        &[],
        &[
            "client",
            "create",
            "--name",
            "Orders App",
            "--public",
            "--scope",
            "orders:read",
            "--redirect-uri",
            &app.redirect_uri(),
            "--post-logout-redirect-uri",
            &format!("http://127.0.0.1:{}/logged-out", app.port),
            "--json",
        ],
    );
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    assert!(created.get("client_secret").is_none(), "{created}");
    let _node = node(d, port, &issuer);
    let profile = d.join("chromium-profile");
    let (_driver, c) = start_browser(&chromium, &driver, profile.to_str().unwrap()).await;

    let verifier = tessera_jose::b64::encode(tessera_jose::secret::random(32).unwrap());
    let challenge = tessera_jose::b64::encode(tessera_jose::secret::sha2(256, verifier.as_bytes()));
    let authorize = |mode: &str| {
        format!(
            "{issuer}/oauth2/authorize?{}",
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("response_type", "code"),
                    ("client_id", client_id.as_str()),
                    ("redirect_uri", app.redirect_uri().as_str()),
                    ("scope", "openid profile email orders:read"),
                    ("state", "s-42"),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                    ("response_mode", mode),
                ])
                .finish()
        )
    };
    c.goto(&authorize("query")).await.unwrap();
    until(&c, "location.pathname === '/login'").await;
    let lead = eval(&c, "document.querySelector('.lead').textContent").await;
    assert_eq!(lead, "to continue to Orders App");
    sign_in(&c, "ada", PW).await;
    until(&c, "document.querySelector('form.decision') !== null").await;
    assert_eq!(eval(&c, "document.title").await, "Allow access · Tessera");
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the consent page");
    }
    screenshot(&c, "consent-desktop").await;
    testkit::browser::color_scheme(&c, "dark").await;
    screenshot(&c, "consent-desktop-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    screenshot(&c, "consent-phone").await;
    c.set_window_size(1280, 900).await.unwrap();
    // Allow: the browser goes to the application with the code, the state and the issuer.
    c.find(Locator::Css("button[value=allow]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "document.getElementById('got') !== null").await;
    let back = app.last();
    assert_eq!(get(&back, "state"), Some("s-42"));
    assert_eq!(get(&back, "iss"), Some(issuer.as_str()));
    let code = get(&back, "code").unwrap().to_owned();
    let http = reqwest::Client::new();
    let exchange = |code: String| {
        let http = http.clone();
        let (issuer, client_id, verifier, redirect) = (
            issuer.clone(),
            client_id.clone(),
            verifier.clone(),
            app.redirect_uri(),
        );
        async move {
            let resp = http
                .post(format!("{issuer}/oauth2/token"))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", redirect.as_str()),
                    ("client_id", client_id.as_str()),
                    ("code_verifier", verifier.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<serde_json::Value>().await.unwrap()
        }
    };
    let tokens = exchange(code).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");

    // form_post: consent is on record, so the service answers at once with a page whose one
    // script posts the form to the application (allowed by its hash under the page's CSP).
    c.goto(&authorize("form_post")).await.unwrap();
    let start = std::time::Instant::now();
    while !app
        .got
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.starts_with("POST /callback"))
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the form_post page did not post to the application"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let posted = app.last();
    assert_eq!(get(&posted, "state"), Some("s-42"));
    assert_eq!(get(&posted, "iss"), Some(issuer.as_str()));
    let tokens = exchange(get(&posted, "code").unwrap().to_owned()).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // The operator sees the consent.
    let listed = tessera(d, &[], &["user", "consents", "ada"]);
    assert!(
        listed.contains("Orders App") && listed.contains("openid profile email orders:read"),
        "{listed}"
    );
    // The account page lists the application; removing it ends its tokens.
    c.goto(&format!("{issuer}/account")).await.unwrap();
    until(&c, "document.getElementById('apps') !== null").await;
    if let Some(found) = axe(&c).await {
        assert_eq!(
            found, "",
            "accessibility of the account page with an application"
        );
    }
    screenshot(&c, "account-apps").await;
    let userinfo = |token: String| {
        let http = http.clone();
        let issuer = issuer.clone();
        async move {
            http.get(format!("{issuer}/oauth2/userinfo"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(userinfo(access.clone()).await, 200);
    eval(&c, "window.__before = true").await;
    c.find(Locator::Css("form[action='/account/apps/remove'] button"))
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
    assert_eq!(userinfo(access).await, 401);
    let listed = tessera(d, &[], &["user", "consents", "ada"]);
    assert_eq!(listed, "", "no rows (a script reads tab-separated rows)");

    // The application signs the person out without an ID token hint: the service asks first,
    // then sends the browser to the registered address with the state.
    let logged_out = format!("http://127.0.0.1:{}/logged-out", app.port);
    c.goto(&format!(
        "{issuer}/oauth2/logout?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", client_id.as_str()),
                ("post_logout_redirect_uri", logged_out.as_str()),
                ("state", "bye-1"),
            ])
            .finish()
    ))
    .await
    .unwrap();
    until(&c, "document.querySelector('form.decision') !== null").await;
    assert_eq!(eval(&c, "document.title").await, "Sign out · Tessera");
    let asks = eval(&c, "document.querySelector('main').textContent").await;
    assert!(
        asks.as_str()
            .unwrap()
            .contains("Orders App asks to sign you out"),
        "{asks}"
    );
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the sign-out page");
    }
    screenshot(&c, "signout-desktop").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    testkit::browser::color_scheme(&c, "dark").await;
    screenshot(&c, "signout-phone-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(1280, 900).await.unwrap();
    c.find(Locator::Css("button[value=yes]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start = std::time::Instant::now();
    let arrived = loop {
        let got = app.got.lock().unwrap().clone();
        if let Some(line) = got.iter().find(|r| r.starts_with("GET /logged-out")) {
            break line.clone();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the sign-out did not reach the application: {got:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        arrived.starts_with("GET /logged-out?state=bye-1 "),
        "{arrived}"
    );
    // Signed out: the account page asks for a sign-in.
    c.goto(&format!("{issuer}/account")).await.unwrap();
    until(&c, "location.pathname === '/login'").await;
    c.close().await.unwrap();
}

/// The `openidconnect` crate as the relying party, Chromium doing the sign-in and the consent:
/// discovery, the authorization URL with PKCE and a nonce, the code exchange with the client's
/// secret, the ID token verified by the crate against the published keys (signature, issuer,
/// audience, nonce, `at_hash`), and userinfo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_is_the_relying_party() {
    use openidconnect::core::{
        CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
    };
    use openidconnect::{
        AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse as _, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse as _,
    };

    let Some((chromium, driver)) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = App::start(&[]).await;
    init_with_ada(d);
    let created = tessera(
        d,
        &[],
        &[
            "client",
            "create",
            "--name",
            "RP",
            "--redirect-uri",
            &app.redirect_uri(),
            "--json",
        ],
    );
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let _node = node(d, port, &issuer);

    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .unwrap_or_else(|e| panic!("discovery: {e:?}"));
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(created["client_id"].as_str().unwrap().to_owned()),
        Some(ClientSecret::new(
            created["client_secret"].as_str().unwrap().to_owned(),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(app.redirect_uri()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let profile = d.join("chromium-profile");
    let (_driver, c) = start_browser(&chromium, &driver, profile.to_str().unwrap()).await;
    c.goto(url.as_str()).await.unwrap();
    until(&c, "location.pathname === '/login'").await;
    sign_in(&c, "ada", PW).await;
    until(&c, "document.querySelector('form.decision') !== null").await;
    c.find(Locator::Css("button[value=allow]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "document.getElementById('got') !== null").await;
    let back = app.last();
    assert_eq!(get(&back, "state"), Some(csrf.secret().as_str()));
    c.close().await.unwrap();

    let token = client
        .exchange_code(AuthorizationCode::new(
            get(&back, "code").unwrap().to_owned(),
        ))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("exchange: {e:?}"));
    let id_token = token.id_token().expect("an ID token");
    // The crate's defaults: RS256 ID tokens (OpenID Connect Registration's default).
    let id_verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .unwrap_or_else(|e| panic!("ID token: {e:?}"));
    let hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&hash));
    let info: CoreUserInfoClaims = client
        .user_info(token.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo: {e:?}"));
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().map(|e| e.as_str()), Some("ada@example.com"));
}

/// Clicks the passkey form's button and waits for the page it leads to.
async fn use_passkey(c: &Client) {
    eval(c, "window.__before = true").await;
    until(c, "!document.getElementById('passkey-form').hidden").await;
    click(c, "passkey-button").await;
    until(
        c,
        "window.__before === undefined && document.readyState === 'complete'",
    )
    .await;
}

/// Signs out from the account page and waits until the page says `expect`: the sign-in page
/// (`username` field), or what the passkey the sign-in page's autofill request (conditional
/// mediation) used at once leads to; the virtual authenticator approves without a person.
async fn sign_out_until(c: &Client, expect: &str) {
    // Marks this page, so the wait below sees a later one (the account page itself satisfies
    // `location.pathname === '/account'` until the sign-out's navigation starts).
    eval(c, "window.__before = true").await;
    c.find(Locator::Css("form[action$='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        c,
        &format!(
            "window.__before === undefined && document.readyState === 'complete' && ({expect})"
        ),
    )
    .await;
}

fn shows(text: &str) -> String {
    format!("document.readyState === 'complete' && document.body.innerText.includes({text:?})")
}

/// Passkeys in Chromium with a virtual authenticator (the WebDriver WebAuthn extension):
/// registered from the account page, signing in with no username (the sign-in page's autofill
/// request, and its button), as the second step after a password, a copied authenticator (its
/// counter went back) refused and reported, removed; and an account without a password
/// enrolling its first passkey from `tessera user invite`. The pages pass axe-core and are
/// photographed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_with_a_browser() {
    use testkit::browser::{
        add_credential, authenticator_credentials, clear_credentials, virtual_authenticator,
    };
    let Some((chromium, driver)) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    // A passkey's RP ID is a domain: localhost, not 127.0.0.1.
    let issuer = format!("http://localhost:{port}");
    init_with_ada(d);
    tessera(d, &[], &["user", "create", "bob", "--no-password"]);
    let _node = node(d, port, &issuer);
    let profile = d.join("chromium-profile");
    let (_driver, c) = start_browser(&chromium, &driver, profile.to_str().unwrap()).await;
    let authenticator = virtual_authenticator(&c).await;

    // Register one from the account page.
    c.goto(&format!("{issuer}/login")).await.unwrap();
    until(&c, "document.getElementById('username') !== null").await;
    // With WebAuthn, the passkey button shows; the username field offers passkeys too.
    until(&c, "!document.getElementById('passkey-form').hidden").await;
    assert_eq!(
        eval(&c, "document.getElementById('username').autocomplete").await,
        "username webauthn"
    );
    screenshot(&c, "login-passkey").await;
    testkit::browser::color_scheme(&c, "dark").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    screenshot(&c, "login-passkey-phone-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(1280, 900).await.unwrap();
    sign_in(&c, "ada", PW).await;
    until(&c, "!document.getElementById('passkey-register').hidden").await;
    type_into(&c, "passkey-name", "Laptop").await;
    click(&c, "passkey-button").await;
    until(&c, &shows("Passkey added.")).await;
    until(&c, &shows("Passkey: Laptop")).await;
    let held = authenticator_credentials(&c, &authenticator).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["rpId"], "localhost");
    assert_eq!(held[0]["isResidentCredential"], true);
    // The operator sees it too (never its key).
    let shown: serde_json::Value =
        serde_json::from_str(&tessera(d, &[], &["user", "show", "ada", "--json"])).unwrap();
    assert_eq!(shown["second_factors"][0]["kind"], "passkey", "{shown}");
    assert_eq!(shown["second_factors"][0]["name"], "Laptop");
    assert_eq!(shown["mfa_required"], false);
    assert!(!shown.to_string().contains("secret"), "{shown}");
    if let Some(found) = axe(&c).await {
        assert_eq!(
            found, "",
            "accessibility of the account page with a passkey"
        );
    }
    // The two-step section, in view.
    eval(
        &c,
        "document.getElementById('factors-heading').scrollIntoView() || true",
    )
    .await;
    screenshot(&c, "account-passkey").await;
    testkit::browser::color_scheme(&c, "dark").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    eval(
        &c,
        "document.getElementById('factors-heading').scrollIntoView() || true",
    )
    .await;
    screenshot(&c, "account-passkey-phone-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(1280, 900).await.unwrap();
    // The authenticator app's setup page: the QR code drawn inline, the key as text.
    c.find(Locator::Css("form[action$='/account/totp/start'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, &shows("Set up an authenticator app")).await;
    assert_eq!(
        eval(&c, "document.querySelectorAll('.qr svg').length").await,
        1
    );
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the authenticator app's setup");
    }
    screenshot(&c, "totp-setup").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    screenshot(&c, "totp-setup-phone").await;
    c.set_window_size(1280, 900).await.unwrap();
    c.goto(&format!("{issuer}/account")).await.unwrap();
    until(&c, &shows("Passkey: Laptop")).await;

    // Sign in with it, no username: the sign-in page's autofill request takes it.
    sign_out_until(&c, "location.pathname === '/account'").await;
    until(&c, &shows("Passkey: Laptop")).await;
    // And with the button (the autofill request found nothing to offer: no passkey held).
    let credential = authenticator_credentials(&c, &authenticator)
        .await
        .remove(0);
    clear_credentials(&c, &authenticator).await;
    sign_out_until(&c, "document.getElementById('username') !== null").await;
    add_credential(&c, &authenticator, credential).await;
    use_passkey(&c).await;
    assert_eq!(eval(&c, "location.pathname").await, "/account");

    // After a password, the passkey is the second step (it is set up, so it is asked for).
    let credential = authenticator_credentials(&c, &authenticator)
        .await
        .remove(0);
    clear_credentials(&c, &authenticator).await;
    sign_out_until(&c, "document.getElementById('username') !== null").await;
    sign_in(&c, "ada", PW).await;
    assert_eq!(eval(&c, "location.pathname").await, "/login/factor");
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the second step");
    }
    screenshot(&c, "second-step").await;
    testkit::browser::color_scheme(&c, "dark").await;
    c.set_window_size(390, 844).await.unwrap();
    fits(&c).await;
    screenshot(&c, "second-step-phone-dark").await;
    testkit::browser::color_scheme(&c, "light").await;
    c.set_window_size(1280, 900).await.unwrap();
    add_credential(&c, &authenticator, credential).await;
    use_passkey(&c).await;
    assert_eq!(eval(&c, "location.pathname").await, "/account");

    // A copy of the authenticator whose counter went back: refused, and reported.
    let mut copy = authenticator_credentials(&c, &authenticator)
        .await
        .remove(0);
    let count = copy["signCount"].as_u64().unwrap();
    assert!(count >= 3, "the counter counted: {count}");
    copy["signCount"] = serde_json::json!(0);
    clear_credentials(&c, &authenticator).await;
    add_credential(&c, &authenticator, copy.clone()).await;
    sign_out_until(&c, &shows("looks copied")).await;
    // Audit events are written after the answer: read again for a while (bounded).
    let mut events = String::new();
    for _ in 0..50 {
        events = tessera(d, &[], &["events", "--json"]);
        if events.contains("passkey.counter_regression") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        events.contains("passkey.counter_regression"),
        "the copy is in the audit log"
    );
    // The real one (its counter ahead) still works; then it is removed from the account page.
    copy["signCount"] = serde_json::json!(count + 10);
    clear_credentials(&c, &authenticator).await;
    add_credential(&c, &authenticator, copy).await;
    c.goto(&format!("{issuer}/login")).await.unwrap();
    until(&c, "location.pathname === '/account'").await;
    until(&c, &shows("Passkey: Laptop")).await;
    c.find(Locator::Css(
        "form[action$='/account/passkeys/remove'] button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    until(&c, &shows("Passkey removed.")).await;
    let page = eval(&c, "document.body.innerText").await;
    assert!(
        !page.as_str().unwrap().contains("Passkey: Laptop"),
        "{page}"
    );
    // A removed passkey no longer signs in.
    sign_out_until(&c, &shows("not registered here")).await;

    // An account without a password enrols its first passkey from an invitation.
    clear_credentials(&c, &authenticator).await;
    let link = tessera(d, &[], &["user", "invite", "bob", "--json"]);
    let link: serde_json::Value = serde_json::from_str(&link).unwrap();
    let link = link["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{issuer}/account/invite?token=")),
        "{link}"
    );
    c.goto(&link).await.unwrap();
    until(&c, &shows("Set up your sign-in")).await;
    c.find(Locator::Css("form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "document.getElementById('passkey-register') !== null").await;
    if let Some(found) = axe(&c).await {
        assert_eq!(found, "", "accessibility of the enrolment page");
    }
    screenshot(&c, "enrol").await;
    click(&c, "passkey-button").await;
    until(&c, &shows("Your passkey is ready")).await;
    // The link is spent.
    c.goto(&link).await.unwrap();
    until(&c, &shows("Set up your sign-in")).await;
    c.find(Locator::Css("form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, &shows("expired or was used")).await;
    // Bob signs in with it.
    c.goto(&format!("{issuer}/login")).await.unwrap();
    until(&c, "location.pathname === '/account'").await;
    until(&c, &shows("bob")).await;
}
