//! Driving Chromium through ChromeDriver (WebDriver, `fantoccini`) for the tests of pages:
//! finding the browser, starting a headless session, reading the page, waiting for it, typing,
//! clicking, the browser's own network log and screenshots.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
pub use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::{Reaped, free_port, wait_listening};

/// Chromium and ChromeDriver from `PATH` (Debian's `chromium` and `chromium-driver`). When
/// they are missing: `None` with a note, so the test skips; unless `TESSERA_REQUIRE_BROWSER=1`
/// (set by `.ci/run`), where it panics.
#[must_use]
pub fn chromium() -> Option<(PathBuf, PathBuf)> {
    let required = std::env::var("TESSERA_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(driver)) = (
        find(&["chromium", "chromium-browser", "google-chrome"]),
        find(&["chromedriver"]),
    ) else {
        assert!(
            !required,
            "Chromium and ChromeDriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromium or chromedriver not installed");
        return None;
    };
    Some((chromium, driver))
}

/// The first of `names` found on `PATH` (or in /usr/bin).
#[must_use]
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A headless Chromium session through a ChromeDriver of its own on a free loopback port, with
/// its profile in `profile`.
///
/// # Panics
/// When the driver or the session cannot start.
pub async fn start_browser(chromium: &Path, driver: &Path, profile: &str) -> (Reaped, Client) {
    start_browser_with(chromium, driver, profile, &[]).await
}

/// [`start_browser`] with more command-line switches for Chromium (e.g.
/// `--ignore-certificate-errors-spki-list=…` to trust one test certificate).
///
/// # Panics
/// When the driver or the session cannot start.
pub async fn start_browser_with(
    chromium: &Path,
    driver: &Path,
    profile: &str,
    extra: &[String],
) -> (Reaped, Client) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Reaped(child);
    wait_listening(port, "chromedriver");
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
        "--no-default-browser-check",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={profile}"));
    args.extend(extra.iter().cloned());
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    // Chrome's DevTools network events, read back through ChromeDriver's log endpoint.
    caps.insert("goog:loggingPrefs".into(), json!({"performance": "ALL"}));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": args,
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session in Chromium");
    (child, client)
}

/// ChromeDriver's log of DevTools events (`goog:loggingPrefs`), drained on each read.
#[derive(Debug)]
pub struct PerformanceLog;

impl fantoccini::wd::WebDriverCompatibleCommand for PerformanceLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"performance"}"#.into()))
    }
}

/// A Chrome DevTools command through ChromeDriver (`goog/cdp/execute`).
#[derive(Debug)]
pub struct Cdp(pub Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

/// Makes the page see `prefers-color-scheme: dark` (or light again), as a browser set to a
/// dark theme does.
///
/// # Panics
/// When ChromeDriver refuses the command.
pub async fn color_scheme(c: &Client, scheme: &str) {
    c.issue_cmd(Cdp(json!({
        "cmd": "Emulation.setEmulatedMedia",
        "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    })))
    .await
    .unwrap();
}

/// Every URL that documents of `origin` asked the network for since the last call, from the
/// browser's own network events (requests blocked by the CSP included; the browser's own
/// new-tab page, which the session opens on, left out).
pub async fn network_log(c: &Client, origin: &str) -> Vec<String> {
    let entries = c.issue_cmd(PerformanceLog).await.unwrap();
    let mut urls = Vec::new();
    for e in entries.as_array().unwrap() {
        let message: Value = serde_json::from_str(e["message"].as_str().unwrap()).unwrap();
        let m = &message["message"];
        let document = m["params"]["documentURL"].as_str().unwrap_or_default();
        if m["method"] == "Network.requestWillBeSent" && document.starts_with(origin) {
            urls.push(m["params"]["request"]["url"].as_str().unwrap().to_owned());
        }
    }
    urls
}

/// Evaluates `expr` in the page.
pub async fn eval(c: &Client, expr: &str) -> Value {
    c.execute(&format!("return ({expr});"), vec![])
        .await
        .unwrap()
}

/// Waits until `expr` is truthy in the page (10 s at most).
pub async fn until(c: &Client, expr: &str) {
    let start = Instant::now();
    loop {
        if eval(c, &format!("!!({expr})")).await == json!(true) {
            return;
        }
        if start.elapsed() > Duration::from_secs(10) {
            // What the page showed, whichever page it is: its address and the start of its text.
            let seen = eval(
                c,
                "location.pathname + ': ' + (document.body ? document.body.innerText.slice(0, 400) : '')",
            )
            .await;
            panic!("timed out waiting for `{expr}` (the page: {seen})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks element `id`.
pub async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits until element `id` has the class `class` (`ok` or `bad` on a result).
pub async fn until_class(c: &Client, id: &str, class: &str) {
    until(
        c,
        &format!("document.getElementById('{id}').classList.contains('{class}')"),
    )
    .await;
}

/// Waits until the text of element `id` contains `needle` (10 s at most).
pub async fn until_text(c: &Client, id: &str, needle: &str) {
    let start = Instant::now();
    loop {
        let now = text(c, id).await;
        if now.contains(needle) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for `{needle}` in #{id}, which holds: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An element's text: what a field holds, else its text content.
pub async fn text(c: &Client, id: &str) -> String {
    let expr = format!(
        "(e => ['TEXTAREA', 'INPUT', 'SELECT'].includes(e.tagName) ? e.value : e.textContent)(document.getElementById('{id}'))"
    );
    eval(c, &expr).await.as_str().unwrap_or_default().to_owned()
}

/// Replaces a field's text by typing it, as a person pasting would.
pub async fn type_into(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

/// Sets a field's text at once (long keys), firing the input event the page listens to.
pub async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(id), json!(value)],
    )
    .await
    .unwrap();
}

/// Saves a screenshot of the page as `dir/name.png` for a person to look at.
///
/// # Panics
/// When the browser gives no PNG or the file cannot be written.
pub async fn screenshot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// A command of the WebDriver extension for WebAuthn (Web Authentication §11.3, which
/// ChromeDriver implements): `method` on `session/{id}/webauthn/{path}`.
#[derive(Debug)]
pub struct WebAuthn {
    /// `GET`, `POST` or `DELETE`.
    pub method: http::Method,
    /// After `webauthn/`.
    pub path: String,
    /// The JSON body, for `POST`.
    pub body: Option<Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthn {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/webauthn/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body
                .as_ref()
                .map(Value::to_string)
                .or_else(|| (self.method == http::Method::POST).then(|| "{}".to_owned())),
        )
    }
}

/// Adds a virtual authenticator (CTAP2, built in, discoverable credentials, user
/// verification that succeeds) and returns its id.
///
/// # Panics
/// When ChromeDriver refuses the command.
pub async fn virtual_authenticator(c: &Client) -> String {
    let id = c
        .issue_cmd(WebAuthn {
            method: http::Method::POST,
            path: "authenticator".into(),
            body: Some(json!({
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true, "isUserConsenting": true,
            })),
        })
        .await
        .unwrap();
    id.as_str().unwrap().to_owned()
}

/// The credentials a virtual authenticator holds (`credentialId`, `rpId`, `privateKey`,
/// `userHandle`, `signCount`, …).
///
/// # Panics
/// When ChromeDriver refuses the command.
pub async fn authenticator_credentials(c: &Client, authenticator: &str) -> Vec<Value> {
    c.issue_cmd(WebAuthn {
        method: http::Method::GET,
        path: format!("authenticator/{authenticator}/credentials"),
        body: None,
    })
    .await
    .unwrap()
    .as_array()
    .unwrap()
    .clone()
}

/// Removes every credential of a virtual authenticator.
///
/// # Panics
/// When ChromeDriver refuses the command.
pub async fn clear_credentials(c: &Client, authenticator: &str) {
    c.issue_cmd(WebAuthn {
        method: http::Method::DELETE,
        path: format!("authenticator/{authenticator}/credentials"),
        body: None,
    })
    .await
    .unwrap();
}

/// Puts a credential into a virtual authenticator (a copy of one, with its own counter).
///
/// # Panics
/// When ChromeDriver refuses the command.
pub async fn add_credential(c: &Client, authenticator: &str, credential: Value) {
    c.issue_cmd(WebAuthn {
        method: http::Method::POST,
        path: format!("authenticator/{authenticator}/credential"),
        body: Some(credential),
    })
    .await
    .unwrap();
}
