//! One-time codes and step-up over HTTP, as a browser uses the pages: an authenticator app set
//! up from the account page (QR code and key, a first code confirms it, recovery codes shown
//! once), the second step at sign-in (no session before it), codes accepted once and
//! throttled, recovery codes used once, an operator's reset; then step-up: an API behind the
//! guard asks for a level (RFC 9470), the application re-authorizes with `acr_values`, the
//! person gives the missing factor only, the new token passes, and once the step-up lapses the
//! next authorization asks again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use serde_json::Value;
use tessera_jose::JwkSet;
use tessera_jose::jwt::Verifier;
use tessera_jose::secret::OtpHash;
use tessera_server::admin::{ClientSpec, NewUser};
use tessera_server::users::totp;
use testkit::Issuer;
use testkit::web::{self, Browser, ORIGIN, Page, authorize_path, back_at, form_body, hidden, pkce};
use tower::ServiceExt as _;

const PW: &str = "correct horse battery staple";
const APP: &str = "https://app.example/callback";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";
const MFA: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
const PASSWORD: &str = "urn:tessera:acr:password";

async fn issuer(settings: &[(&str, &str)]) -> Issuer {
    let issuer = Issuer::start(settings).await;
    issuer
        .admin
        .create_user(NewUser {
            username: "Ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            attributes: serde_json::Map::new(),
            groups: Vec::new(),
        })
        .await
        .unwrap();
    issuer
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// RFC 4648 base32 (the key as the setup page shows it, spaces ignored).
fn unbase32(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buf, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.bytes().filter(|c| *c != b' ') {
        buf = (buf << 5) | A.iter().position(|a| *a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// The code of the time step `offset` steps from now.
fn code(secret: &[u8], offset: i64) -> String {
    let step = u64::try_from(now() / 30 + offset).unwrap();
    format!("{:06}", totp::hotp(OtpHash::Sha1, secret, step, 6))
}

/// Signs in with the password (one step) and sets up the authenticator app from the account
/// page; returns its secret and the recovery codes shown.
async fn enrol(b: &mut Browser) -> (Vec<u8>, Vec<String>) {
    let done = b.sign_in("ada", PW).await;
    assert_eq!(done.headers["location"], "/account", "{}", done.body);
    let account = b.get("/account").await;
    assert!(account.body.contains("Two-step sign-in"));
    let csrf = Browser::csrf(&account);
    let setup = b
        .post("/account/totp/start", ORIGIN, form_body(&[("csrf", &csrf)]))
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    // The QR code is drawn here, inline SVG; the key is shown as text too.
    assert!(setup.body.contains("<svg"), "{}", setup.body);
    let at = setup.body.find("id=\"secret\">").unwrap() + 12;
    let shown = &setup.body[at..at + setup.body[at..].find('<').unwrap()];
    let secret = unbase32(shown);
    assert_eq!(secret.len(), 20);
    let id = hidden(&setup.body, "id");
    // A wrong code does not confirm it; the page is shown again.
    let wrong = b
        .post(
            "/account/totp/confirm",
            ORIGIN,
            form_body(&[("csrf", &csrf), ("id", &id), ("code", "000000")]),
        )
        .await;
    assert_eq!(wrong.status, 422);
    let ok = b
        .post(
            "/account/totp/confirm",
            ORIGIN,
            form_body(&[("csrf", &csrf), ("id", &id), ("code", &code(&secret, 0))]),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("Your recovery codes"), "{}", ok.body);
    let codes: Vec<String> = ok
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    // Signed out for the next step.
    let account = b.get("/account").await;
    assert!(account.body.contains("10 of 10 left"), "{}", account.body);
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
    (secret, codes)
}

/// Sets the app up again from a signed-in session, then signs out.
async fn enrol_again(b: &mut Browser) {
    let account = b.get("/account").await;
    let csrf = Browser::csrf(&account);
    let setup = b
        .post("/account/totp/start", ORIGIN, form_body(&[("csrf", &csrf)]))
        .await;
    let at = setup.body.find("id=\"secret\">").unwrap() + 12;
    let secret = unbase32(&setup.body[at..at + setup.body[at..].find('<').unwrap()]);
    let ok = b
        .post(
            "/account/totp/confirm",
            ORIGIN,
            form_body(&[
                ("csrf", &csrf),
                ("id", &hidden(&setup.body, "id")),
                ("code", &code(&secret, 0)),
            ]),
        )
        .await;
    assert!(ok.body.contains("Your recovery codes"), "{}", ok.body);
    let account = b.get("/account").await;
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
}

/// A password sign-in that stops at the second step: the factor page, and no session yet.
async fn password_step(b: &mut Browser) -> Page {
    let done = b.sign_in("ada", PW).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/login/factor"),
        "{:?}",
        done.headers
    );
    assert_eq!(
        b.get("/account").await.status,
        303,
        "no session before the second step"
    );
    let page = b.follow(&done).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Code from your authenticator app"));
    page
}

async fn give(b: &mut Browser, page: &Page, field: &str, value: &str) -> Page {
    b.post(
        "/login/factor",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(page)), (field, value)]),
    )
    .await
}

#[tokio::test]
async fn one_time_codes_as_the_second_step() {
    let issuer = issuer(&[]).await;
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (secret, codes) = enrol(&mut b).await;

    // The code that confirmed the app is not taken again (its time step is used).
    let page = password_step(&mut b).await;
    let replay = give(&mut b, &page, "code", &code(&secret, 0)).await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(replay.body.contains("not right, or was used already"));
    // The next step's code (one step of drift is allowed) signs in.
    let next = code(&secret, 1);
    let done = give(&mut b, &page, "code", &next).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.headers["location"], "/account");
    assert_eq!(b.get("/account").await.status, 200);
    let account = b.get("/account").await;
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
    // ... and not twice.
    let page = password_step(&mut b).await;
    assert_eq!(give(&mut b, &page, "code", &next).await.status, 401);

    // A recovery code works once, typed in any case with the dash or without.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let done = give(&mut b, &page, "recovery", &typed).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let account = b.get("/account").await;
    assert!(account.body.contains("9 of 10 left"), "{}", account.body);
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
    let page = password_step(&mut b).await;
    assert_eq!(give(&mut b, &page, "recovery", &codes[3]).await.status, 401);

    // Wrong codes slow down like passwords (the two above counted too).
    let mut last = give(&mut b, &page, "code", "123456").await;
    for _ in 0..3 {
        if last.status == 429 {
            break;
        }
        last = give(&mut b, &page, "code", "123456").await;
    }
    assert_eq!(last.status, 429, "{}", last.body);
    assert!(last.headers.contains_key("retry-after"));
    // Even the right code waits its turn.
    assert_eq!(
        give(&mut b, &page, "code", &code(&secret, -1)).await.status,
        429
    );
}

#[tokio::test]
async fn an_operator_resets_and_requires_second_factors() {
    let issuer = issuer(&[]).await;
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (secret, _) = enrol(&mut b).await;
    // Removing the app (the only factor) takes the recovery codes with it.
    let page = password_step(&mut b).await;
    assert_eq!(
        give(&mut b, &page, "code", &code(&secret, 1)).await.status,
        303
    );
    let account = b.get("/account").await;
    let data = b.get("/account/data.json").await;
    let held: Value = serde_json::from_str(&data.body).unwrap();
    assert_eq!(
        held["second_factors"].as_array().unwrap().len(),
        11,
        "{held}"
    );
    let done = b
        .post(
            "/account/totp/remove",
            ORIGIN,
            form_body(&[("csrf", &Browser::csrf(&account))]),
        )
        .await;
    assert!(done.body.contains("Authenticator app removed."));
    let data = b.get("/account/data.json").await;
    let held: Value = serde_json::from_str(&data.body).unwrap();
    assert_eq!(held["second_factors"], serde_json::json!([]), "{held}");
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&done))]),
    )
    .await;
    let done = b.sign_in("ada", PW).await;
    assert_eq!(done.headers["location"], "/account", "no second step left");
    enrol_again(&mut b).await;
    password_step(&mut b).await;
    // The operator resets the factors (a lost phone): the password alone signs in again.
    issuer.admin.reset_mfa("ada").await.unwrap();
    let mut fresh = Browser::new(&issuer.base, FIREFOX);
    let done = fresh.sign_in("ada", PW).await;
    assert_eq!(done.headers["location"], "/account");
    // Required by the operator, with nothing set up: signed in, told to set one up.
    issuer.admin.require_mfa("ada", true).await.unwrap();
    let mut again = Browser::new(&issuer.base, FIREFOX);
    let done = again.sign_in("ada", PW).await;
    assert_eq!(done.headers["location"], "/account");
    let account = again.get("/account").await;
    assert!(
        account
            .body
            .contains("Your administrator requires a second factor"),
        "{}",
        account.body
    );
}

fn authorize(client: &str, challenge: &str, more: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", APP),
        ("scope", "openid orders:write"),
        ("state", "st"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(more);
    authorize_path(&pairs)
}

/// The query of a redirect to the application, as pairs; panics when it goes elsewhere.
fn back_at_app(page: &Page) -> Vec<(String, String)> {
    back_at(page, APP)
}

/// The value of `name` in a redirect's query, "" when it has none.
fn param(pairs: &[(String, String)], name: &str) -> String {
    web::param(pairs, name).unwrap_or_default().to_owned()
}

/// Exchanges a code; returns the access token, the ID token's claims and the refresh token.
async fn exchange(
    issuer: &Issuer,
    client: &str,
    code: &str,
    verifier: &str,
) -> (String, Value, Option<String>) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", issuer.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", APP),
            ("client_id", client),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    let id = v["id_token"].as_str().unwrap();
    let claims: Value =
        serde_json::from_slice(&tessera_jose::b64::decode(id.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    (
        v["access_token"].as_str().unwrap().to_owned(),
        claims,
        v["refresh_token"].as_str().map(str::to_owned),
    )
}

/// Refreshes; returns the new access token and refresh token.
async fn refresh(issuer: &Issuer, client: &str, token: &str) -> (String, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", issuer.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    (
        v["access_token"].as_str().unwrap().to_owned(),
        v["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// An API behind the guard, over the issuer's keys: `/transfer` needs two factors.
async fn api(issuer: &Issuer) -> Router {
    let text = reqwest::get(format!("{}/.well-known/jwks.json", issuer.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier = Verifier::builder(JwkSet::from_json(&text).unwrap())
        .algorithms([tessera_jose::JwsAlg::ES256])
        .issuer("http://127.0.0.1")
        .audience("api://orders")
        .typ("at+jwt")
        .build()
        .unwrap();
    let guard = tessera_guard::Guard::builder(tessera_guard::Keys::Local(Box::new(verifier)))
        .realm("orders")
        .build();
    Router::new().route(
        "/transfer",
        get(|| async { "moved" }).route_layer(guard.layer(["orders:write"]).require_acr([MFA])),
    )
}

async fn call(api: &Router, token: &str) -> (u16, String) {
    let resp = api
        .clone()
        .oneshot(
            axum::http::Request::get("/transfer")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (resp.status().as_u16(), challenge)
}

/// The claims of a JWT, unverified (the guard verified it).
fn claims(jwt: &str) -> Value {
    serde_json::from_slice(&tessera_jose::b64::decode(jwt.split('.').nth(1).unwrap()).unwrap())
        .unwrap()
}

#[tokio::test]
async fn step_up_that_an_api_asks_for() {
    // Codes only when asked for (the person did not have to use them at every sign-in), and a
    // step-up that lasts two seconds.
    let issuer = issuer(&[("mfa_at_sign_in", "required"), ("step_up_ttl", "2s")]).await;
    let app = issuer
        .admin
        .create_client(ClientSpec {
            name: Some("Orders".into()),
            scopes: Some(vec!["orders:write".into()]),
            audiences: Some(vec!["api://orders".into()]),
            public: Some(true),
            first_party: Some(true),
            redirect_uris: Some(vec![APP.into()]),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let api = api(&issuer).await;
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (secret, _) = enrol(&mut b).await;
    // With codes "when required", the password alone signs in.
    let done = b.sign_in("ada", PW).await;
    assert_eq!(done.headers["location"], "/account");

    // A token of a password sign-in: the API wants more, and says what.
    let (verifier, challenge) = pkce();
    let back = back_at_app(&b.get(&authorize(&app.client_id, &challenge, &[])).await);
    let (token, id, _) = exchange(&issuer, &app.client_id, &param(&back, "code"), &verifier).await;
    assert_eq!(claims(&token)["acr"], PASSWORD);
    assert_eq!(claims(&token)["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["acr"], PASSWORD);
    let (status, challenge_header) = call(&api, &token).await;
    assert_eq!(status, 401);
    assert!(
        challenge_header.contains("error=\"insufficient_user_authentication\"")
            && challenge_header.contains(&format!("acr_values=\"{MFA}\"")),
        "{challenge_header}"
    );
    let asked = challenge_header
        .split("acr_values=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // Without interaction it cannot be had.
    let (_, challenge) = pkce();
    let none = back_at_app(
        &b.get(&authorize(
            &app.client_id,
            &challenge,
            &[("acr_values", &asked), ("prompt", "none")],
        ))
        .await,
    );
    assert_eq!(param(&none, "error"), "interaction_required");

    // The application asks again with acr_values: the person gives the code only.
    let (verifier, challenge) = pkce();
    let to_factor = b
        .get(&authorize(
            &app.client_id,
            &challenge,
            &[("acr_values", &asked)],
        ))
        .await;
    assert_eq!(to_factor.status, 303);
    let page = b.follow(&to_factor).await;
    assert!(page.body.contains("Confirm it is you"), "{}", page.body);
    assert!(page.body.contains("Orders asks for a stronger sign-in"));
    assert!(!page.body.contains("name=\"password\""), "no new sign-in");
    let stepped = b
        .post(
            "/login/factor",
            ORIGIN,
            form_body(&[
                ("csrf", &Browser::csrf(&page)),
                ("next", &hidden(&page.body, "next")),
                ("code", &code(&secret, 1)),
            ]),
        )
        .await;
    let back = back_at_app(&b.follow(&stepped).await);
    let (token, id, stepped_refresh) =
        exchange(&issuer, &app.client_id, &param(&back, "code"), &verifier).await;
    let c = claims(&token);
    assert_eq!(c["acr"], MFA);
    assert_eq!(c["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert!((c["auth_time"].as_i64().unwrap() - now()).abs() <= 2);
    assert_eq!(id["acr"], MFA);
    assert_eq!(call(&api, &token).await.0, 200);
    let stepped_refresh = stepped_refresh.expect("a refresh token");
    // A refresh while the step-up lasts keeps its level.
    let (refreshed, stepped_refresh) = refresh(&issuer, &app.client_id, &stepped_refresh).await;
    assert_eq!(claims(&refreshed)["acr"], MFA);
    // Introspection says the same.
    let intro: Value = reqwest::Client::new()
        .post(format!("{}/oauth2/introspect", issuer.base))
        .basic_auth(
            &issuer.creds.client_id,
            issuer.creds.client_secret.as_deref(),
        )
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intro["acr"], MFA, "{intro}");
    assert_eq!(intro["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // A phishing-resistant level takes a passkey: the page offers nothing else (a code would
    // not reach it), and says so when the person has none.
    let (_, challenge) = pkce();
    let pr = b
        .get(&authorize(
            &app.client_id,
            &challenge,
            &[(
                "acr_values",
                "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant",
            )],
        ))
        .await;
    let to = pr.headers["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/login/factor") && to.ends_with("&need=passkey"),
        "{to}"
    );
    let page = b.get(&to).await;
    assert!(page.body.contains("This needs a passkey"), "{}", page.body);
    assert!(!page.body.contains("name=\"code\""));
    // While the step-up lasts, asking again needs nothing more.
    let (_, challenge) = pkce();
    let again = b
        .get(&authorize(
            &app.client_id,
            &challenge,
            &[("acr_values", &asked)],
        ))
        .await;
    assert!(!param(&back_at_app(&again), "code").is_empty());
    // Once it lapses, the session is back at its sign-in's level: asked again.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (_, challenge) = pkce();
    let lapsed = b
        .get(&authorize(
            &app.client_id,
            &challenge,
            &[("acr_values", &asked)],
        ))
        .await;
    assert_eq!(lapsed.status, 303);
    assert!(
        lapsed.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/login/factor"),
        "{:?}",
        lapsed.headers
    );
    // A refresh after it lapsed falls back too (the grant keeps the sign-in's level, not the
    // step-up's).
    let (refreshed, _) = refresh(&issuer, &app.client_id, &stepped_refresh).await;
    assert_eq!(claims(&refreshed)["acr"], PASSWORD);
    assert_eq!(claims(&refreshed)["amr"], serde_json::json!(["pwd"]));
    // And without acr_values the level is the password's again.
    let (verifier, challenge) = pkce();
    let back = back_at_app(&b.get(&authorize(&app.client_id, &challenge, &[])).await);
    let (token, _, _) = exchange(&issuer, &app.client_id, &param(&back, "code"), &verifier).await;
    assert_eq!(claims(&token)["acr"], PASSWORD);

    // A person the operator requires two factors of is asked for them by every application.
    issuer.admin.require_mfa("ada", true).await.unwrap();
    let (_, challenge) = pkce();
    let person = b.get(&authorize(&app.client_id, &challenge, &[])).await;
    assert!(
        person.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/login/factor"),
        "{:?}",
        person.headers
    );
    issuer.admin.require_mfa("ada", false).await.unwrap();
    // A client that requires two factors asks for them without acr_values.
    issuer
        .admin
        .update_client(
            &app.client_id,
            ClientSpec {
                require_acr: Some("mfa".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // (The service sees the change at its next poll of the store.)
    let mut required = None;
    for _ in 0..40 {
        let (_, challenge) = pkce();
        let page = b.get(&authorize(&app.client_id, &challenge, &[])).await;
        let to = page.headers["location"].to_str().unwrap().to_owned();
        if to.starts_with("/login/factor") {
            required = Some(to);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        required.is_some(),
        "the client's requirement was not applied"
    );
}

/// Changing how one signs in takes a recent sign-in: after `reauth_window` the account page
/// sends the person to sign in again first (a stolen session alone cannot add or remove a
/// factor).
#[tokio::test]
async fn changing_how_one_signs_in_takes_a_recent_sign_in() {
    let issuer = issuer(&[("reauth_window", "1s")]).await;
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let done = b.sign_in("ada", PW).await;
    assert_eq!(done.headers["location"], "/account");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let account = b.get("/account").await;
    let csrf = Browser::csrf(&account);
    for path in [
        "/account/totp/start",
        "/account/totp/remove",
        "/account/passkeys/remove",
    ] {
        let refused = b
            .post(path, ORIGIN, form_body(&[("csrf", &csrf), ("id", "x")]))
            .await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(
            refused.body.contains("sign in again first"),
            "{}",
            refused.body
        );
        assert!(
            refused
                .body
                .contains("href=\"/login?again=1&#38;username=Ada\""),
            "{}",
            refused.body
        );
    }
    // Signing in again (over the session) makes it recent.
    let form = b.get("/login?again=1&username=Ada").await;
    assert_eq!(form.status, 200);
    let again = b
        .post(
            "/login",
            ORIGIN,
            form_body(&[
                ("csrf", &Browser::csrf(&form)),
                ("username", "ada"),
                ("password", PW),
            ]),
        )
        .await;
    assert_eq!(again.headers["location"], "/account");
    let account = b.get("/account").await;
    let setup = b
        .post(
            "/account/totp/start",
            ORIGIN,
            form_body(&[("csrf", &Browser::csrf(&account))]),
        )
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(setup.body.contains("<svg"));
}
