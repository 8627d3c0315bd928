//! The authorization code flow over HTTP, as a browser and an application use it: sign-in and
//! consent, the code and its exchange with PKCE, the ID token checked with `tessera-jose`
//! against the published keys, userinfo, remembered consent, and the ways it must refuse:
//! untrusted clients and redirect URIs get a page and never a redirect, every other error goes
//! back with `state` and `iss`, codes are single use and bound to their client, redirect URI
//! and verifier, a replay revokes what the first redemption gave.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::Value;
use tessera_jose::JwkSet;
use tessera_jose::jwt::Verifier;
use tessera_server::admin::{ClientSpec, NewCredentials, NewUser};
use testkit::Issuer;
use testkit::web::{
    Browser, ORIGIN, Page, authorize_path, back_at, form_body, hidden, hidden_fields, param, pkce,
};

const PW: &str = "correct horse battery staple";
const APP: &str = "https://app.example/callback";
const ISS: &str = "http://127.0.0.1";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";

async fn issuer() -> Issuer {
    let issuer = Issuer::start(&[(
        "scope_descriptions",
        "orders:read=see your orders|orders:write=place orders for you",
    )])
    .await;
    issuer
        .admin
        .create_user(NewUser {
            username: "Ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            attributes: serde_json::json!({"email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace", "phone_number": "+44 20 7946 0000"})
                .as_object()
                .unwrap()
                .clone(),
            groups: vec!["admins".into()],
        })
        .await
        .unwrap();
    issuer
}

/// A client of the code flow: public, or confidential with a secret.
async fn app(issuer: &Issuer, name: &str, public: bool) -> NewCredentials {
    issuer
        .admin
        .create_client(ClientSpec {
            name: Some(name.into()),
            scopes: Some(vec!["orders:read".into(), "orders:write".into()]),
            audiences: Some(vec!["api://orders".into()]),
            public: Some(public),
            redirect_uris: Some(vec![APP.into(), "http://127.0.0.1/native".into()]),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// A PKCE verifier and its S256 challenge.
/// The standard request of `client` with `challenge`, and more parameters.
fn request(client: &str, challenge: &str, more: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", APP),
        ("scope", "openid profile email orders:read"),
        ("state", "st-123"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in more {
        pairs.retain(|(n, _)| n != k);
        pairs.push((k, v));
    }
    authorize_path(&pairs)
}

/// The query of a redirect to the application, as pairs; panics when it goes elsewhere.
fn back_at_app(page: &Page) -> Vec<(String, String)> {
    back_at(page, APP)
}

/// The hidden fields of the consent form, and the decision.
fn consent_body(page: &Page, decision: &str) -> Vec<u8> {
    let mut pairs = hidden_fields(&page.body, "/oauth2/consent");
    pairs.push(("decision".into(), decision.into()));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish()
        .into_bytes()
}

/// Signs in through the form the authorization endpoint sent the browser to, and follows the
/// way back to the endpoint.
async fn sign_in_from(b: &mut Browser, to_login: &Page) -> Page {
    let form = b.follow(to_login).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let body = form_body(&[
        ("csrf", &Browser::csrf(&form)),
        ("username", "ada"),
        ("password", PW),
        ("next", &hidden(&form.body, "next")),
    ]);
    let done = b.post("/login", ORIGIN, body).await;
    b.follow(&done).await
}

async fn exchange(
    issuer: &Issuer,
    fields: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/oauth2/token", issuer.base))
        .form(fields);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn userinfo(issuer: &Issuer, token: Option<&str>) -> (StatusCode, String, Value) {
    let mut req = reqwest::Client::new().get(format!("{}/oauth2/userinfo", issuer.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, resp.json().await.unwrap_or(Value::Null))
}

async fn keys(issuer: &Issuer) -> JwkSet {
    let text = reqwest::get(format!("{}/.well-known/jwks.json", issuer.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    JwkSet::from_json(&text).unwrap()
}

/// One whole flow for a signed-in browser whose consent is on record: the code.
async fn code_for(b: &mut Browser, client: &str, challenge: &str) -> String {
    let back = back_at_app(&b.get(&request(client, challenge, &[])).await);
    param(&back, "code").unwrap().to_owned()
}

#[tokio::test]
async fn a_person_grants_an_application_access() {
    let issuer = issuer().await;
    let app = app(&issuer, "Orders App", true).await;
    assert!(app.client_secret.is_none(), "a public client has no secret");
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (verifier, challenge) = pkce();

    // No session: to the sign-in page, which names the application and comes back.
    let first = b.get(&request(&app.client_id, &challenge, &[])).await;
    assert_eq!(first.status, 303);
    let login = first.headers["location"].to_str().unwrap();
    assert!(
        login.starts_with("/login?next=%2Foauth2%2Fauthorize%3F"),
        "{login}"
    );
    let form = b.get(login).await;
    assert!(
        form.body.contains("to continue to Orders App"),
        "{}",
        form.body
    );
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(
        !csp.contains("form-action"),
        "the sign-in leads on to the application: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let consent = sign_in_from(&mut b, &first).await;

    // The consent page: the application, that it is not the operator's, what it asks in words.
    assert_eq!(consent.status, 200, "{}", consent.body);
    for text in [
        "Allow Orders App to access your account?",
        "Orders App is not run by Tessera",
        "know who you are",
        "see your email address",
        "see your orders",
        "It will see: your subject identifier, name, username, picture, profile details, email address.",
    ] {
        assert!(consent.body.contains(text), "{text}: {}", consent.body);
    }
    assert_eq!(consent.headers["x-frame-options"], "DENY");
    let csp = consent.headers["content-security-policy"].to_str().unwrap();
    // The pages' one script is their own (passkeys); nothing inline.
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self';")
            && !csp.contains("unsafe"),
        "{csp}"
    );

    // A forged decision (another CSRF token, or from another site) changes nothing.
    let forged = String::from_utf8(consent_body(&consent, "allow"))
        .unwrap()
        .replace(&Browser::csrf(&consent), "forged");
    assert_eq!(
        b.post("/oauth2/consent", ORIGIN, forged.into_bytes())
            .await
            .status,
        403
    );
    let cross = b
        .post(
            "/oauth2/consent",
            "https://evil.example",
            consent_body(&consent, "allow"),
        )
        .await;
    assert_eq!(cross.status, 403);

    let allowed = b
        .post("/oauth2/consent", ORIGIN, consent_body(&consent, "allow"))
        .await;
    let back = back_at_app(&allowed);
    assert_eq!(param(&back, "state"), Some("st-123"));
    assert_eq!(param(&back, "iss"), Some(ISS), "RFC 9207");
    let code = param(&back, "code").unwrap().to_owned();
    assert_eq!(code.len(), 43, "256 random bits");

    // The exchange: the public client authenticates with its id alone; PKCE proves the rest.
    let (s, tokens) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP),
            ("client_id", &app.client_id),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile email orders:read");
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let user = issuer.admin.user("ada").await.unwrap();

    // The ID token, verified with tessera-jose against the published keys.
    let verifier_id = Verifier::builder(keys(&issuer).await)
        .algorithms_from_keys()
        .issuer(ISS)
        .audience(app.client_id.clone())
        .typ("JWT")
        .build()
        .unwrap();
    let id = verifier_id.verify::<Value>(id_token).unwrap().into_claims();
    // RS256 (OpenID Connect Registration's default) by a key of its own, not the ES256
    // access-token key.
    let id_header = tessera_jose::dangerous::peek_header_unverified(id_token).unwrap();
    let at_header = tessera_jose::dangerous::peek_header_unverified(access).unwrap();
    assert_eq!(id_header.alg(), Some("RS256"));
    assert_eq!(at_header.alg(), Some("ES256"));
    assert_ne!(id_header.kid_value(), at_header.kid_value());
    assert_eq!(id["sub"], user.id.as_str());
    assert_eq!(id["acr"], "urn:tessera:acr:password");
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["azp"], app.client_id.as_str());
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id["auth_time"].as_i64().unwrap() <= id["iat"].as_i64().unwrap());
    assert!(id["sid"].as_str().is_some_and(|s| s.len() == 22));
    let half = &tessera_jose::secret::sha2(256, access.as_bytes())[..16];
    assert_eq!(id["at_hash"], tessera_jose::b64::encode(half));
    assert!(id.get("email").is_none(), "claims come from userinfo");
    // The access token: RFC 9068, for the person, through this client.
    let at = Verifier::builder(keys(&issuer).await)
        .algorithms_from_keys()
        .issuer(ISS)
        .audience("api://orders")
        .typ("at+jwt")
        .build()
        .unwrap()
        .verify::<Value>(access)
        .unwrap()
        .into_claims();
    assert_eq!(at["sub"], user.id.as_str());
    assert_eq!(at["client_id"], app.client_id.as_str());
    assert_eq!(at["auth_time"], id["auth_time"]);
    assert_eq!(at["acr"], id["acr"]);

    // Userinfo: the person's claims for the granted scopes, nothing more (no phone).
    let (s, _, claims) = userinfo(&issuer, Some(access)).await;
    assert_eq!(s, 200, "{claims}");
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Ada Lovelace");
    assert!(claims.get("phone_number").is_none(), "{claims}");
    let (s, challenge, _) = userinfo(&issuer, None).await;
    assert_eq!((s.as_u16(), challenge.as_str()), (401, "Bearer"));
    let (s, challenge, _) = userinfo(&issuer, Some("not.a.token")).await;
    assert_eq!(s, 401);
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );

    // The same code again: refused, and what it gave is revoked (RFC 6749 §4.1.2).
    let (s, again) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP),
            ("client_id", &app.client_id),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (s, _, _) = userinfo(&issuer, Some(access)).await;
    assert_eq!(s, 401, "the first redemption's token is revoked");

    // Consent is remembered: the next request goes straight back with a code; prompt=consent
    // and a wider scope ask again.
    let (verifier, challenge) = pkce();
    let code = code_for(&mut b, &app.client_id, &challenge).await;
    let asked = b
        .get(&request(
            &app.client_id,
            &challenge,
            &[("prompt", "consent")],
        ))
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Allow Orders App"));
    let wider = b
        .get(&request(
            &app.client_id,
            &challenge,
            &[("scope", "openid orders:write")],
        ))
        .await;
    assert!(
        wider.body.contains("place orders for you"),
        "{}",
        wider.body
    );
    let denied = back_at_app(
        &b.post("/oauth2/consent", ORIGIN, consent_body(&wider, "deny"))
            .await,
    );
    assert_eq!(param(&denied, "error"), Some("access_denied"));
    assert_eq!(param(&denied, "state"), Some("st-123"));

    // The account page lists the application; removing it ends its tokens.
    let (s, tokens) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP),
            ("client_id", &app.client_id),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&issuer, Some(access)).await.0, 200);
    let account = b.get("/account").await;
    assert!(account.body.contains("Applications you gave access to"));
    assert!(
        account.body.contains("<strong>Orders App</strong>"),
        "{}",
        account.body
    );
    let removed = b
        .post(
            "/account/apps/remove",
            ORIGIN,
            form_body(&[
                ("csrf", &Browser::csrf(&account)),
                ("client", &app.client_id),
            ]),
        )
        .await;
    assert_eq!(removed.status, 200);
    assert!(removed.body.contains("Access removed"));
    assert!(!removed.body.contains("<strong>Orders App</strong>"));
    assert_eq!(
        userinfo(&issuer, Some(access)).await.0,
        401,
        "inactive at once"
    );
    // ... and the application must ask again.
    let (_, challenge) = pkce();
    let again = b.get(&request(&app.client_id, &challenge, &[])).await;
    assert_eq!(again.status, 200, "the consent page again");
}

#[tokio::test]
async fn untrusted_requests_get_a_page_and_others_go_back_with_the_error() {
    let issuer = issuer().await;
    let app = app(&issuer, "Orders App", true).await;
    let cc = &issuer.creds; // a client_credentials client: no code flow
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (_, challenge) = pkce();
    // Never a redirect: unknown client, a client without the grant, redirect URI variants.
    let mut untrusted = vec![
        request("tc_nobody", &challenge, &[]),
        request(&cc.client_id, &challenge, &[]),
        authorize_path(&[("client_id", &app.client_id), ("response_type", "code")]),
    ];
    for variant in [
        "https://app.example/callback/",
        "https://app.example/callbackx",
        "https://app.example/callback?x=1",
        "https://app.example/callback#f",
        "https://APP.example/callback",
        "https://app.example/%63allback",
        "https://app.example:8443/callback",
        "https://evil@app.example/callback",
        "https://app.example.evil.com/callback",
        "http://app.example/callback",
        "https://evil.example/callback",
    ] {
        untrusted.push(request(
            &app.client_id,
            &challenge,
            &[("redirect_uri", variant)],
        ));
    }
    // A repeated client_id.
    untrusted.push(format!(
        "{}&client_id=other",
        request(&app.client_id, &challenge, &[])
    ));
    for path in &untrusted {
        let page = b.get(path).await;
        assert_eq!(page.status, 400, "{path}");
        assert!(page.headers.get("location").is_none(), "{path}");
        assert!(page.body.contains("This request cannot go on"), "{path}");
    }
    // A native app's loopback redirect on any port.
    let native = b
        .get(&request(
            &app.client_id,
            &challenge,
            &[
                ("redirect_uri", "http://127.0.0.1:53219/native"),
                ("prompt", "none"),
            ],
        ))
        .await;
    assert!(
        native.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("http://127.0.0.1:53219/native?error=login_required"),
        "{:?}",
        native.headers
    );
    // Back to the application with error, state and iss.
    for (more, error) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![("response_type", "code id_token")],
            "unsupported_response_type",
        ),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (vec![("code_challenge", "too-short")], "invalid_request"),
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("resource", "api://billing")], "invalid_target"),
        (
            vec![("request", "eyJhbGciOiJub25lIn0.e30.")],
            "request_not_supported",
        ),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("max_age", "-1")], "invalid_request"),
        (vec![("response_mode", "fragment")], "invalid_request"),
        (vec![("prompt", "none")], "login_required"),
    ] {
        let back = back_at_app(&b.get(&request(&app.client_id, &challenge, &more)).await);
        assert_eq!(param(&back, "error"), Some(error), "{more:?}");
        assert_eq!(param(&back, "state"), Some("st-123"), "{more:?}");
        assert_eq!(param(&back, "iss"), Some(ISS), "{more:?}");
        assert!(param(&back, "error_description").is_some());
    }
    // form_post: a page whose form posts the answer to the application, its one script allowed
    // by hash, the form posted without script too.
    let posted = b
        .get(&request(
            &app.client_id,
            &challenge,
            &[("response_mode", "form_post"), ("prompt", "none")],
        ))
        .await;
    assert_eq!(posted.status, 200);
    assert!(
        posted
            .body
            .contains("<form method=\"post\" action=\"https://app.example/callback\">"),
        "{}",
        posted.body
    );
    assert!(
        posted
            .body
            .contains("name=\"error\" value=\"login_required\"")
    );
    assert!(posted.body.contains("name=\"state\" value=\"st-123\""));
    assert!(
        posted
            .body
            .contains("<button type=\"submit\">Continue</button>")
    );
    let csp = posted.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("form-action"),
        "{csp}"
    );
    assert_eq!(posted.headers["x-frame-options"], "DENY");

    // A signed-in browser: max_age and prompt=login ask for a new sign-in, without prompt=none.
    b.sign_in("ada", PW).await;
    issuer
        .admin
        .update_client(
            &app.client_id,
            ClientSpec {
                first_party: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Nodes see an operator's change at their next poll of the store; this one now.
    issuer.server.state.refresh().await.unwrap();
    let code = code_for(&mut b, &app.client_id, &challenge).await;
    assert_eq!(code.len(), 43, "first party: no consent asked");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for more in [[("max_age", "0")], [("prompt", "login")]] {
        let again = b.get(&request(&app.client_id, &challenge, &more)).await;
        let to = again.headers["location"].to_str().unwrap();
        assert!(
            to.starts_with("/login?next=") && to.contains("again=1") && to.contains("username=Ada"),
            "{to}"
        );
        let none = b
            .get(&request(
                &app.client_id,
                &challenge,
                &[more[0], ("prompt", "none")],
            ))
            .await;
        if more[0].0 == "max_age" {
            let back = back_at_app(&none);
            assert_eq!(param(&back, "error"), Some("login_required"));
        }
        // Signing in again gives a code.
        let back = back_at_app(&sign_in_from(&mut b, &again).await);
        assert!(param(&back, "code").is_some());
    }
}

#[tokio::test]
async fn codes_are_bound_to_their_client_redirect_and_verifier() {
    let issuer = issuer().await;
    let public = app(&issuer, "Public App", true).await;
    let web = app(&issuer, "Web App", false).await;
    let secret = web.client_secret.clone().unwrap();
    for c in [&public.client_id, &web.client_id] {
        issuer
            .admin
            .update_client(
                c,
                ClientSpec {
                    first_party: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    issuer.server.state.refresh().await.unwrap();
    let mut b = Browser::new(&issuer.base, FIREFOX);
    b.sign_in("ada", PW).await;
    let (verifier, challenge) = pkce();
    let redeem = |code: String, verifier: String, redirect: &'static str| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code),
            ("redirect_uri".to_owned(), redirect.to_owned()),
            ("code_verifier".to_owned(), verifier),
        ]
    };
    let as_pairs = |v: &Vec<(String, String)>, extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut all = v.clone();
        all.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        all
    };
    async fn post(
        issuer: &Issuer,
        pairs: Vec<(String, String)>,
        basic: Option<(&str, &str)>,
    ) -> (u16, Value) {
        let fields: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (s, v) = exchange(issuer, &fields, basic).await;
        (s.as_u16(), v)
    }
    let pid = [("client_id", public.client_id.as_str())];

    // A wrong verifier, a missing one, the challenge itself (plain): each burns the code.
    for bad in [
        "wrong-verifier-wrong-verifier-wrong-verifier-0",
        "",
        &challenge,
    ] {
        let code = code_for(&mut b, &public.client_id, &challenge).await;
        let (s, v) = post(
            &issuer,
            as_pairs(&redeem(code, bad.to_owned(), APP), &pid),
            None,
        )
        .await;
        assert_eq!(s, 400, "{v}");
        assert!(
            v["error"] == "invalid_grant" || v["error"] == "invalid_request",
            "{v}"
        );
    }
    // Another redirect URI than the request's.
    let code = code_for(&mut b, &public.client_id, &challenge).await;
    let (s, v) = post(
        &issuer,
        as_pairs(
            &redeem(code, verifier.clone(), "http://127.0.0.1/native"),
            &pid,
        ),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_grant")),
        "{v}"
    );
    // Client A's code redeemed by client B.
    let code = code_for(&mut b, &public.client_id, &challenge).await;
    let (s, v) = post(
        &issuer,
        redeem(code, verifier.clone(), APP),
        Some((&web.client_id, &secret)),
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_grant")),
        "{v}"
    );
    // A confidential client must authenticate; with its secret it gets its tokens.
    let code = code_for(&mut b, &web.client_id, &challenge).await;
    let (s, v) = post(
        &issuer,
        as_pairs(
            &redeem(code.clone(), verifier.clone(), APP),
            &[("client_id", &web.client_id)],
        ),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (401, Some("invalid_client")),
        "{v}"
    );
    let code = code_for(&mut b, &web.client_id, &challenge).await;
    let (s, v) = post(
        &issuer,
        redeem(code, verifier.clone(), APP),
        Some((&web.client_id, &secret)),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["id_token"].is_string());
    // A public client may not use client_credentials; an unknown code is invalid_grant.
    let (s, v) = post(
        &issuer,
        vec![
            ("grant_type".into(), "client_credentials".into()),
            ("client_id".into(), public.client_id.clone()),
        ],
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{v}"
    );
    let (s, v) = post(
        &issuer,
        as_pairs(&redeem("A".repeat(43), verifier.clone(), APP), &pid),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_grant")),
        "{v}"
    );

    // A code whose session ended before the exchange (the person signed out) gives nothing.
    let code = code_for(&mut b, &public.client_id, &challenge).await;
    let account = b.get("/account").await;
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
    let (s, v) = post(
        &issuer,
        as_pairs(&redeem(code, verifier.clone(), APP), &pid),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_grant")),
        "{v}"
    );
    b.sign_in("ada", PW).await;

    // A public client revokes its own token with its client_id alone (RFC 7009).
    let code = code_for(&mut b, &public.client_id, &challenge).await;
    let (s, v) = post(
        &issuer,
        as_pairs(&redeem(code, verifier.clone(), APP), &pid),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let access = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&issuer, Some(&access)).await.0, 200);
    let revoked = reqwest::Client::new()
        .post(format!("{}/oauth2/revoke", issuer.base))
        .form(&[("token", access.as_str()), ("client_id", &public.client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(userinfo(&issuer, Some(&access)).await.0, 401);

    // A forced logout ends the person's tokens (introspection and userinfo).
    let code = code_for(&mut b, &public.client_id, &challenge).await;
    let (s, v) = post(
        &issuer,
        as_pairs(&redeem(code, verifier.clone(), APP), &pid),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let access = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&issuer, Some(&access)).await.0, 200);
    issuer.admin.logout_user("ada").await.unwrap();
    assert_eq!(userinfo(&issuer, Some(&access)).await.0, 401);
}

#[tokio::test]
async fn discovery_lists_what_exists() {
    let issuer = issuer().await;
    let doc: Value = reqwest::get(format!("{}/.well-known/openid-configuration", issuer.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{ISS}/oauth2/authorize")
    );
    assert_eq!(doc["userinfo_endpoint"], format!("{ISS}/oauth2/userinfo"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["public", "pairwise"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        doc["access_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!([
            "urn:tessera:acr:password",
            "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
            "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant"
        ])
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("authorization_code"))
    );
    assert!(
        doc["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("none"))
    );
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        format!("{ISS}/oauth2/par")
    );
    assert_eq!(doc["end_session_endpoint"], format!("{ISS}/oauth2/logout"));
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["backchannel_logout_session_supported"], true);
}

/// A public single-page app with a web origin, a post-logout address, and pushed requests
/// required.
async fn spa(issuer: &Issuer) -> NewCredentials {
    let c = issuer
        .admin
        .create_client(ClientSpec {
            name: Some("Single Page".into()),
            public: Some(true),
            redirect_uris: Some(vec![APP.into()]),
            post_logout_redirect_uris: Some(vec!["https://app.example/bye".into()]),
            web_origins: Some(vec!["https://app.example".into()]),
            require_par: Some(true),
            first_party: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    issuer.server.state.refresh().await.unwrap();
    c
}

async fn push(issuer: &Issuer, fields: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/par", issuer.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn pushed_authorization_requests() {
    let issuer = issuer().await;
    let app = spa(&issuer).await;
    let other = app_with_par_off(&issuer).await;
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (verifier, challenge) = pkce();
    // This client must push: a plain request goes back with the error.
    let back = back_at_app(&b.get(&request(&app.client_id, &challenge, &[])).await);
    assert_eq!(param(&back, "error"), Some("invalid_request"));
    assert!(
        param(&back, "error_description")
            .unwrap()
            .contains("/oauth2/par")
    );
    // A pushed request with an error is answered at once, in JSON.
    let (s, v) = push(
        &issuer,
        &[
            ("client_id", &app.client_id),
            ("response_type", "code"),
            ("redirect_uri", APP),
            ("code_challenge", &challenge),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    let (s, v) = push(
        &issuer,
        &[
            ("client_id", &app.client_id),
            ("response_type", "code"),
            ("redirect_uri", "https://evil.example/cb"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    let (s, _) = push(
        &issuer,
        &[("client_id", "tc_nobody"), ("response_type", "code")],
    )
    .await;
    assert_eq!(s, 401);
    // A good one.
    let (s, pushed) = push(
        &issuer,
        &[
            ("client_id", &app.client_id),
            ("response_type", "code"),
            ("redirect_uri", APP),
            ("scope", "openid email"),
            ("state", "pushed-state"),
            ("nonce", "pushed-nonce"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("prompt", "login"),
        ],
    )
    .await;
    assert_eq!(s, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 60);
    let uri = pushed["request_uri"].as_str().unwrap();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    let by_reference = authorize_path(&[("client_id", &app.client_id), ("request_uri", uri)]);
    // Another client cannot use it; through sign-in (prompt=login is satisfied by it, no loop).
    let stolen = b
        .get(&authorize_path(&[
            ("client_id", &other.client_id),
            ("request_uri", uri),
        ]))
        .await;
    assert_eq!(stolen.status, 400);
    let first = b.get(&by_reference).await;
    let back = back_at_app(&sign_in_from(&mut b, &first).await);
    assert_eq!(param(&back, "state"), Some("pushed-state"));
    let code = param(&back, "code").unwrap();
    let (s, tokens) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", APP),
            ("client_id", &app.client_id),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    // Used once.
    let again = b.get(&by_reference).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("expired or was already used"));
}

async fn app_with_par_off(issuer: &Issuer) -> NewCredentials {
    let c = app(issuer, "Other", true).await;
    issuer.server.state.refresh().await.unwrap();
    c
}

#[tokio::test]
async fn single_page_apps_get_cors_from_their_origin_only() {
    let issuer = issuer().await;
    let _app = spa(&issuer).await;
    let http = reqwest::Client::new();
    let preflight = |path: &'static str, origin: &'static str| {
        let http = http.clone();
        let base = issuer.base.clone();
        async move {
            http.request(reqwest::Method::OPTIONS, format!("{base}{path}"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type, dpop")
                .send()
                .await
                .unwrap()
        }
    };
    for path in [
        "/oauth2/token",
        "/oauth2/userinfo",
        "/oauth2/revoke",
        "/oauth2/par",
    ] {
        let ok = preflight(path, "https://app.example").await;
        assert_eq!(ok.status(), 204, "{path}");
        let h = ok.headers();
        assert_eq!(h["access-control-allow-origin"], "https://app.example");
        assert!(
            h["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("dpop")
        );
        assert!(h.get("access-control-allow-credentials").is_none());
        let evil = preflight(path, "https://evil.example").await;
        assert!(
            evil.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
    ] {
        let r = http
            .get(format!("{}{path}", issuer.base))
            .header("origin", "https://app.example")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://app.example"
        );
        assert!(r.headers().get_all("vary").iter().any(|v| v == "origin"));
        let r = http
            .get(format!("{}{path}", issuer.base))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert!(r.headers().get("access-control-allow-origin").is_none());
    }
    // Never the pages, never introspection.
    for path in [
        "/login",
        "/oauth2/authorize",
        "/account",
        "/oauth2/introspect",
    ] {
        let r = preflight(path, "https://app.example").await;
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn applications_sign_people_out() {
    let issuer = issuer().await;
    let app = spa(&issuer).await;
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (verifier, challenge) = pkce();
    let (_, pushed) = push(
        &issuer,
        &[
            ("client_id", &app.client_id),
            ("response_type", "code"),
            ("redirect_uri", APP),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let first = b
        .get(&authorize_path(&[
            ("client_id", &app.client_id),
            ("request_uri", pushed["request_uri"].as_str().unwrap()),
        ]))
        .await;
    let back = back_at_app(&sign_in_from(&mut b, &first).await);
    let (_, tokens) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", param(&back, "code").unwrap()),
            ("redirect_uri", APP),
            ("client_id", &app.client_id),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    // An unregistered address after sign-out: a page, no redirect.
    let bad = b
        .get(&format!(
            "/oauth2/logout?{}",
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("id_token_hint", hint.as_str()),
                    ("post_logout_redirect_uri", "https://evil.example/"),
                ])
                .finish()
        ))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(b.get("/account").await.status, 200, "still signed in");
    // Without a hint: the person is asked; a forged confirmation does nothing.
    let logout = format!(
        "/oauth2/logout?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", app.client_id.as_str()),
                ("post_logout_redirect_uri", "https://app.example/bye"),
                ("state", "bye-1"),
            ])
            .finish()
    );
    let asked = b.get(&logout).await;
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("Sign out of Tessera?")
            && asked.body.contains("Single Page asks to sign you out.")
    );
    let forged = b
        .post(
            "/oauth2/logout",
            ORIGIN,
            form_body(&[
                ("csrf", "forged"),
                ("confirm", "yes"),
                ("client_id", &app.client_id),
            ]),
        )
        .await;
    assert_eq!(forged.status, 200, "asked again");
    assert_eq!(b.get("/account").await.status, 200, "still signed in");
    // With the hint: signed out at once, back at the registered address with the state.
    let out = b
        .get(&format!(
            "/oauth2/logout?{}",
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("id_token_hint", hint.as_str()),
                    ("post_logout_redirect_uri", "https://app.example/bye"),
                    ("state", "bye-2"),
                ])
                .finish()
        ))
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(
        out.headers["location"],
        "https://app.example/bye?state=bye-2"
    );
    assert_eq!(b.get("/account").await.status, 303, "signed out");
    // Signed in again, the confirmation form signs out.
    b.sign_in("ada", PW).await;
    let asked = b.get(&logout).await;
    let mut fields = hidden_fields(&asked.body, "/oauth2/logout");
    fields.push(("confirm".to_owned(), "yes".to_owned()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let out = b.post("/oauth2/logout", ORIGIN, form_body(&pairs)).await;
    assert_eq!(out.status, 303);
    assert_eq!(
        out.headers["location"],
        "https://app.example/bye?state=bye-1"
    );
    assert_eq!(b.get("/account").await.status, 303, "signed out");
}

/// The logout token of the last notice that reached `rx`, verified with `tessera-jose`
/// against the published keys as a client would (Back-Channel Logout §2.6).
async fn logout_token(
    issuer: &Issuer,
    rx: &testkit::web::Receiver,
    client: &str,
    n: usize,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let got = rx.got.lock().unwrap().clone();
        let posts: Vec<&String> = got.iter().filter(|r| r.starts_with("POST /bc")).collect();
        if posts.len() >= n {
            let body = posts[n - 1].split_once('\n').unwrap().1;
            let token = form_urlencoded::parse(body.as_bytes())
                .find(|(k, _)| k == "logout_token")
                .unwrap()
                .1
                .into_owned();
            let claims = Verifier::builder(keys(issuer).await)
                .algorithms_from_keys()
                .issuer(ISS)
                .audience(client.to_owned())
                .typ("logout+jwt")
                .build()
                .unwrap()
                .verify::<Value>(&token)
                .unwrap()
                .into_claims();
            assert!(
                claims["events"]
                    .get("http://schemas.openid.net/event/backchannel-logout")
                    .is_some(),
                "{claims}"
            );
            assert!(claims.get("nonce").is_none());
            assert!(claims["jti"].is_string() && claims["iat"].is_i64());
            return claims;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "no back-channel logout notice #{n} arrived: {got:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn ended_sessions_are_told_to_applications_by_the_back_channel() {
    let issuer = issuer().await;
    // The application's notice endpoint fails once (500), then takes them.
    let rx = testkit::web::Receiver::start(&[500]).await;
    let app = issuer
        .admin
        .create_client(ClientSpec {
            name: Some("Backend".into()),
            scopes: Some(vec!["orders:read".into()]),
            redirect_uris: Some(vec![APP.into()]),
            backchannel_logout_uri: Some(format!("http://127.0.0.1:{}/bc", rx.port)),
            first_party: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    issuer.server.state.refresh().await.unwrap();
    let secret = app.client_secret.clone().unwrap();
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let (verifier, challenge) = pkce();
    b.sign_in("ada", PW).await;
    let code = code_for(&mut b, &app.client_id, &challenge).await;
    let (_, tokens) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP),
            ("code_verifier", &verifier),
        ],
        Some((&app.client_id, &secret)),
    )
    .await;
    let id = tokens["id_token"].as_str().unwrap();
    let sid = Verifier::builder(keys(&issuer).await)
        .algorithms_from_keys()
        .issuer(ISS)
        .audience(app.client_id.clone())
        .build()
        .unwrap()
        .verify::<Value>(id)
        .unwrap()
        .into_claims()["sid"]
        .clone();
    // The person signs out on the service's page.
    let account = b.get("/account").await;
    let out = b
        .post(
            "/logout",
            ORIGIN,
            form_body(&[("csrf", &Browser::csrf(&account))]),
        )
        .await;
    assert_eq!(out.status, 303);
    // The first delivery fails, the retry (2 s later) arrives: the same token's claims.
    let claims = logout_token(&issuer, &rx, &app.client_id, 2).await;
    assert_eq!(claims["sid"], sid, "the session the ID token named");
    let user = issuer.admin.user("ada").await.unwrap();
    assert_eq!(claims["sub"], user.id.as_str());
    let events = testkit::events_with(&issuer.admin, &["backchannel_logout.delivered"]).await;
    let delivered = events
        .iter()
        .find(|e| e.kind == "backchannel_logout.delivered")
        .expect("the delivery is an audit event");
    assert_eq!(delivered.detail["attempts"], 2);
    // The operator's forced logout tells the application at once.
    b.sign_in("ada", PW).await;
    let code = code_for(&mut b, &app.client_id, &challenge).await;
    let (s, _) = exchange(
        &issuer,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP),
            ("code_verifier", &verifier),
        ],
        Some((&app.client_id, &secret)),
    )
    .await;
    assert_eq!(s, 200);
    issuer.admin.logout_user("ada").await.unwrap();
    let claims = logout_token(&issuer, &rx, &app.client_id, 3).await;
    assert_ne!(claims["sid"], sid, "the second session");
    // A session in which the client got no tokens sends nothing.
    b.sign_in("ada", PW).await;
    let account = b.get("/account").await;
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let posts = rx
        .got
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("POST /bc"))
        .count();
    assert_eq!(posts, 3);
}

/// The `oauth2` crate as a public client with PKCE (its own authorization URL, its own code
/// exchange), the token bound to a DPoP key, and userinfo with that token and a proof.
#[tokio::test]
async fn the_oauth2_crate_as_a_public_client_with_dpop_at_userinfo() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
        TokenResponse as _, TokenUrl,
    };
    use tessera_jose::dpop::Proof;
    use tessera_jose::{Jwk, JwsAlg};

    let issuer = issuer().await;
    let app = app(&issuer, "Native App", true).await;
    let client = BasicClient::new(ClientId::new(app.client_id.clone()))
        .set_auth_uri(AuthUrl::new(format!("{}/oauth2/authorize", issuer.base)).unwrap())
        .set_token_uri(TokenUrl::new(format!("{}/oauth2/token", issuer.base)).unwrap())
        .set_redirect_uri(RedirectUrl::new(APP.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let mut b = Browser::new(&issuer.base, FIREFOX);
    let path = &url.as_str()[issuer.base.len()..];
    let first = b.get(path).await;
    let consent = sign_in_from(&mut b, &first).await;
    let back = back_at_app(
        &b.post("/oauth2/consent", ORIGIN, consent_body(&consent, "allow"))
            .await,
    );
    assert_eq!(param(&back, "state"), Some(csrf.secret().as_str()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The exchange with a DPoP proof: the crate sends its form, a header carries the proof.
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let proof = |htm: &str, htu: &str, token: Option<&str>| {
        let mut p = Proof::new(&key, JwsAlg::ES256).unwrap();
        if let Some(t) = token {
            p = p.access_token(t);
        }
        p.sign(htm, htu).unwrap()
    };
    let dpop_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(
            [(
                reqwest::header::HeaderName::from_static("dpop"),
                reqwest::header::HeaderValue::from_str(&proof(
                    "POST",
                    &format!("{ISS}/oauth2/token"),
                    None,
                ))
                .unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let code = param(&back, "code").unwrap().to_owned();
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&dpop_http)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(token.token_type().as_ref(), "dpop");
    let access = token.access_token().secret().clone();
    // Userinfo: the DPoP scheme with a proof for this request and this token.
    let ask = |scheme: &'static str, with_proof: bool| {
        let http = http.clone();
        let (base, access) = (issuer.base.clone(), access.clone());
        let p = proof("GET", &format!("{ISS}/oauth2/userinfo"), Some(&access));
        async move {
            let mut req = http
                .get(format!("{base}/oauth2/userinfo"))
                .header("authorization", format!("{scheme} {access}"));
            if with_proof {
                req = req.header("dpop", p);
            }
            let resp = req.send().await.unwrap();
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (
                resp.status().as_u16(),
                challenge,
                resp.text().await.unwrap(),
            )
        }
    };
    let (s, _, body) = ask("DPoP", true).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("ada@example.com"));
    let (s, challenge, _) = ask("DPoP", false).await;
    assert_eq!(s, 401);
    assert!(
        challenge.starts_with("DPoP error=\"invalid_token\""),
        "{challenge}"
    );
    let (s, challenge, _) = ask("Bearer", false).await;
    assert_eq!(s, 401, "a bound token is not a bearer token");
    assert!(challenge.starts_with("DPoP "), "{challenge}");
}

/// A client's claim rules shape its userinfo answers: renamed, added (a custom attribute, the
/// groups) and dropped claims; the rules that would touch `sub` or a token claim are refused.
#[tokio::test]
async fn claim_rules_shape_what_an_application_sees() {
    let issuer = issuer().await;
    issuer
        .admin
        .update_user(
            "ada",
            tessera_server::admin::UserChange {
                set: serde_json::json!({"employee_id": "E-1815"})
                    .as_object()
                    .unwrap()
                    .clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for bad in [
        "rename:sub=id",
        "drop:sub",
        "add:iss",
        "rename:email",
        "frobnicate:x",
        "add:",
    ] {
        let refused = issuer
            .admin
            .create_client(ClientSpec {
                name: Some("Bad".into()),
                redirect_uris: Some(vec![APP.into()]),
                claim_map: Some(vec![bad.into()]),
                ..Default::default()
            })
            .await;
        assert!(refused.is_err(), "{bad}");
    }
    let app = issuer
        .admin
        .create_client(ClientSpec {
            name: Some("HR App".into()),
            public: Some(true),
            first_party: Some(true),
            redirect_uris: Some(vec![APP.into()]),
            claim_map: Some(vec![
                "rename:email=mail".into(),
                "add:groups".into(),
                "add:employee_id".into(),
                "drop:email_verified".into(),
            ]),
            ..Default::default()
        })
        .await
        .unwrap();
    issuer.server.state.refresh().await.unwrap();
    let mut b = Browser::new(&issuer.base, FIREFOX);
    b.sign_in("ada", PW).await;
    let (s, tokens) = code_exchange(
        &issuer,
        &mut b,
        &app.client_id,
        &[("scope", "openid email")],
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    let (s, _, claims) = userinfo(&issuer, tokens["access_token"].as_str()).await;
    assert_eq!(s, 200);
    assert_eq!(claims["mail"], "ada@example.com");
    assert!(
        claims.get("email").is_none() && claims.get("email_verified").is_none(),
        "{claims}"
    );
    assert_eq!(claims["groups"], serde_json::json!(["admins"]));
    assert_eq!(claims["employee_id"], "E-1815");
    assert!(
        claims.get("name").is_none(),
        "profile was not asked for: {claims}"
    );
}

/// The token request of a public client for `code`.
fn public_exchange<'a>(
    code: &'a str,
    client_id: &'a str,
    verifier: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", APP),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ]
}

/// The code flow for a signed-in browser whose consent is on record (or a first-party public
/// client), with these request parameters: the token answer.
async fn code_exchange(
    issuer: &Issuer,
    b: &mut Browser,
    client_id: &str,
    more: &[(&str, &str)],
) -> (StatusCode, Value) {
    let (verifier, challenge) = pkce();
    let back = back_at_app(&b.get(&request(client_id, &challenge, more)).await);
    let code = param(&back, "code").unwrap().to_owned();
    exchange(issuer, &public_exchange(&code, client_id, &verifier), None).await
}

/// The code flow for a signed-in browser and a first-party public client: the token answer.
/// Also says whether the first exchange was refused as `temporarily_unavailable` (no key of
/// the client's ID-token algorithm signing yet).
async fn tokens_for(
    issuer: &Issuer,
    b: &mut Browser,
    client_id: &str,
) -> (StatusCode, Value, bool) {
    let (verifier, challenge) = pkce();
    let code = code_for(b, client_id, &challenge).await;
    let fields = public_exchange(&code, client_id, &verifier);
    let first = exchange(issuer, &fields, None).await;
    if first.0 != StatusCode::SERVICE_UNAVAILABLE {
        return (first.0, first.1, false);
    }
    // Refused before the code was spent: after the rotation that makes the client's ID-token
    // algorithm sign, the same code works.
    assert_eq!(first.1["error"], "temporarily_unavailable", "{}", first.1);
    issuer.admin.rotate(true).await.unwrap();
    issuer.server.state.refresh().await.unwrap();
    let (s, tokens) = exchange(issuer, &fields, None).await;
    (s, tokens, true)
}

/// Pairwise subjects (OpenID Connect Core §8.1): the same within a sector (the redirect URIs'
/// host, or the registered sector), different across sectors, and the same in the ID token,
/// the access token, userinfo and introspection, which find the person behind them. A client's
/// registered ID-token algorithm gets a key chain of its own.
#[tokio::test]
async fn pairwise_subjects_and_registered_id_token_algorithms() {
    let issuer = issuer().await;
    let make = |name: &'static str, more: ClientSpec| {
        issuer.admin.create_client(ClientSpec {
            name: Some(name.into()),
            public: Some(true),
            first_party: Some(true),
            scopes: Some(vec!["orders:read".into()]),
            audiences: Some(vec!["api://orders".into()]),
            redirect_uris: more.redirect_uris.clone().or(Some(vec![APP.into()])),
            ..more
        })
    };
    let pairwise = |uris: &[&str], sector: Option<&str>| ClientSpec {
        pairwise: Some(true),
        redirect_uris: Some(uris.iter().map(|u| (*u).to_owned()).collect()),
        sector_identifier: sector.map(str::to_owned),
        ..Default::default()
    };
    // No one sector: refused, with what to do.
    for uris in [
        &[APP, "https://other.example/cb"][..],
        &["com.example.app:/cb"][..],
    ] {
        let refused = make("No sector", pairwise(uris, None)).await.unwrap_err();
        assert!(
            refused.to_string().contains("--sector-identifier"),
            "{refused}"
        );
    }
    for alg in ["HS256", "none", "XX999"] {
        let refused = make(
            "Bad alg",
            ClientSpec {
                id_token_alg: Some(alg.into()),
                ..Default::default()
            },
        )
        .await;
        assert!(refused.is_err(), "{alg}");
    }
    let a = make("A", pairwise(&[APP], None)).await.unwrap();
    let b_app = make("B", pairwise(&[APP, "https://app.example/other"], None))
        .await
        .unwrap();
    let c = make(
        "C",
        pairwise(&[APP], Some("https://partner.example/sector.json")),
    )
    .await
    .unwrap();
    let d = make(
        "D",
        ClientSpec {
            id_token_alg: Some("ES384".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        issuer
            .admin
            .client(&c.client_id)
            .await
            .unwrap()
            .sector_identifier
            .as_deref(),
        Some("partner.example")
    );
    issuer.server.state.refresh().await.unwrap();
    let user = issuer.admin.user("ada").await.unwrap();
    let mut b = Browser::new(&issuer.base, FIREFOX);
    b.sign_in("ada", PW).await;
    let http = reqwest::Client::new();
    let introspect = |token: String| {
        let http = http.clone();
        let url = format!("{}/oauth2/introspect", issuer.base);
        let (id, secret) = (
            issuer.creds.client_id.clone(),
            issuer.creds.client_secret.clone().unwrap(),
        );
        async move { testkit::introspect(&http, &url, &id, &secret, &token).await }
    };
    let mut subs = Vec::new();
    let mut accesses = Vec::new();
    for app in [&a, &b_app, &c, &d] {
        let (s, tokens, waited) = tokens_for(&issuer, &mut b, &app.client_id).await;
        assert_eq!(s, 200, "{tokens}");
        assert_eq!(
            waited,
            app.client_id == d.client_id,
            "only a newly registered algorithm has no key yet"
        );
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let id_token = tokens["id_token"].as_str().unwrap();
        let id = Verifier::builder(keys(&issuer).await)
            .algorithms_from_keys()
            .issuer(ISS)
            .audience(app.client_id.clone())
            .typ("JWT")
            .build()
            .unwrap()
            .verify::<Value>(id_token)
            .unwrap()
            .into_claims();
        let sub = id["sub"].as_str().unwrap().to_owned();
        let (s, _, info) = userinfo(&issuer, Some(&access)).await;
        assert_eq!(s, 200, "{info}");
        assert_eq!(info["sub"], sub.as_str(), "userinfo agrees");
        let at: Value = serde_json::from_slice(
            &tessera_jose::b64::decode(access.split('.').nth(1).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(at["sub"], sub.as_str(), "the access token agrees");
        let found = introspect(access.clone()).await;
        assert_eq!(
            (found["active"].as_bool(), found["sub"].as_str()),
            (Some(true), Some(sub.as_str())),
            "{found}"
        );
        let alg = tessera_jose::dangerous::peek_header_unverified(id_token)
            .unwrap()
            .alg()
            .unwrap()
            .to_owned();
        subs.push((sub, alg, id["at_hash"].as_str().unwrap().len()));
        accesses.push(access);
    }
    let (sa, sb, sc, sd) = (&subs[0], &subs[1], &subs[2], &subs[3]);
    assert_eq!(sa.0, sb.0, "one sector, one subject");
    assert_ne!(sa.0, sc.0, "another sector, another subject");
    assert!(
        sa.0 != user.id && sc.0 != user.id,
        "pairwise is not the public subject"
    );
    assert_eq!(sa.0.len(), 43);
    assert_eq!(sd.0, user.id, "a public-subject client");
    assert_eq!((sa.1.as_str(), sa.2), ("RS256", 22));
    assert_eq!((sd.1.as_str(), sd.2), ("ES384", 32), "SHA-384 at_hash");
    // Discovery lists the registered algorithm once it signs.
    let doc: Value = reqwest::get(format!("{}/.well-known/openid-configuration", issuer.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES384"])
    );
    // The person behind a pairwise subject is found: a forced logout ends those tokens too.
    issuer.admin.logout_user("ada").await.unwrap();
    for access in accesses {
        assert_eq!(introspect(access.clone()).await["active"], false);
        assert_eq!(userinfo(&issuer, Some(&access)).await.0, 401);
    }
}

/// `id_token_hint` at the authorization endpoint: the person it names goes on with their
/// session; someone else's session is not used (`login_required` with `prompt=none`, else the
/// sign-in page with the hinted username, and the hint not carried on); a hint this service did
/// not issue, or issued to another application, is refused.
#[tokio::test]
async fn an_id_token_hint_names_the_person_expected() {
    let issuer = issuer().await;
    issuer
        .admin
        .create_user(NewUser {
            username: "bob".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            attributes: serde_json::Map::new(),
            groups: Vec::new(),
        })
        .await
        .unwrap();
    let first_party = |name: &'static str| {
        issuer.admin.create_client(ClientSpec {
            name: Some(name.into()),
            public: Some(true),
            first_party: Some(true),
            pairwise: Some(true),
            scopes: Some(vec!["orders:read".into()]),
            redirect_uris: Some(vec![APP.into()]),
            ..Default::default()
        })
    };
    let app = first_party("Hinted").await.unwrap();
    let other = first_party("Other").await.unwrap();
    issuer.server.state.refresh().await.unwrap();
    let mut ada = Browser::new(&issuer.base, FIREFOX);
    ada.sign_in("ada", PW).await;
    let (s, tokens, _) = tokens_for(&issuer, &mut ada, &app.client_id).await;
    assert_eq!(s, 200, "{tokens}");
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let (_, challenge) = pkce();
    let with_hint = |more: &[(&str, &str)]| {
        let mut pairs = vec![("id_token_hint", hint.as_str())];
        pairs.extend_from_slice(more);
        request(&app.client_id, &challenge, &pairs)
    };
    // Ada's own session: straight back with a code (a pairwise subject found back).
    let back = back_at_app(&ada.get(&with_hint(&[("prompt", "none")])).await);
    assert!(param(&back, "code").is_some(), "{back:?}");

    // Bob's session is not Ada's.
    let mut bob = Browser::new(&issuer.base, FIREFOX);
    bob.sign_in("bob", PW).await;
    let back = back_at_app(&bob.get(&with_hint(&[("prompt", "none")])).await);
    assert_eq!(param(&back, "error"), Some("login_required"));
    let to_login = bob.get(&with_hint(&[])).await;
    assert_eq!(to_login.status, 303);
    let login = to_login.headers["location"].to_str().unwrap();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(login.split_once('?').unwrap().1.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    assert_eq!(param(&query, "username"), Some("Ada"), "{login}");
    assert_eq!(param(&query, "again"), Some("1"));
    assert!(
        !param(&query, "next").unwrap().contains("id_token_hint"),
        "the hint is not carried on: {login}"
    );

    // A hint of another application, or not this service's.
    let mut forged = hint.clone();
    forged.pop();
    forged.push(if hint.ends_with('A') { 'B' } else { 'A' });
    for (token, why) in [
        (forged.as_str(), "not an ID token this service issued"),
        ("x.y.z", "not an ID token this service issued"),
    ] {
        let back = back_at_app(
            &ada.get(&request(
                &app.client_id,
                &challenge,
                &[("id_token_hint", token)],
            ))
            .await,
        );
        assert_eq!(param(&back, "error"), Some("invalid_request"));
        assert!(param(&back, "error_description").unwrap().contains(why));
    }
    let back = back_at_app(
        &ada.get(&request(
            &other.client_id,
            &challenge,
            &[("id_token_hint", hint.as_str())],
        ))
        .await,
    );
    assert_eq!(
        param(&back, "error_description"),
        Some("id_token_hint was issued to another application")
    );
}

/// A client that may refresh gets a refresh token from the code: one that ends with the
/// browser session, or with `offline_access` one that outlives it; each refresh rotates it.
#[tokio::test]
async fn the_code_gives_refresh_tokens_that_end_with_the_session_unless_offline() {
    let issuer = issuer().await;
    let app = issuer
        .admin
        .create_client(ClientSpec {
            name: Some("Mobile App".into()),
            public: Some(true),
            first_party: Some(true),
            scopes: Some(vec!["orders:read".into()]),
            redirect_uris: Some(vec![APP.into()]),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    issuer.server.state.refresh().await.unwrap();
    let doc: Value = reqwest::get(format!("{}/.well-known/openid-configuration", issuer.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from("refresh_token"))
    );
    let mut b = Browser::new(&issuer.base, FIREFOX);
    b.sign_in("ada", PW).await;
    let (s, bound, _) = tokens_for(&issuer, &mut b, &app.client_id).await;
    assert_eq!(s, 200, "{bound}");
    let bound = bound["refresh_token"].as_str().unwrap().to_owned();
    // offline_access: asked for in the request.
    let (s, offline) = code_exchange(
        &issuer,
        &mut b,
        &app.client_id,
        &[("scope", "openid offline_access orders:read")],
    )
    .await;
    assert_eq!(s, 200, "{offline}");
    let offline = offline["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        let issuer = &issuer;
        let client_id = app.client_id.clone();
        async move {
            exchange(
                issuer,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("client_id", &client_id),
                ],
                None,
            )
            .await
        }
    };
    let (s, r) = refresh(bound.clone()).await;
    assert_eq!(s, 200, "{r}");
    let bound = r["refresh_token"].as_str().unwrap().to_owned();
    let (_, _, info) = userinfo(&issuer, r["access_token"].as_str()).await;
    assert_eq!(
        info["sub"],
        issuer.admin.user("ada").await.unwrap().id.as_str()
    );
    let grants = issuer.admin.user_grants("ada").await.unwrap();
    assert_eq!(grants.len(), 2, "{grants:?}");
    // The person signs out: the session's grant ends, the offline one does not.
    let account = b.get("/account").await;
    b.post(
        "/logout",
        ORIGIN,
        form_body(&[("csrf", &Browser::csrf(&account))]),
    )
    .await;
    let (s, v) = refresh(bound).await;
    assert_eq!(
        (s.as_u16(), v["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (s, v) = refresh(offline).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["id_token"].as_str().is_some());
}
