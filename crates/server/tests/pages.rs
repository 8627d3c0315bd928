//! The sign-in pages over HTTP, as a browser uses them (cookies kept by hand): the form and
//! its headers, a sign-in, wrong and unknown accounts that look and cost the same, CSRF and
//! cross-site posts, hostile input, the throttle, sessions ended from the account page, a
//! forced logout and a disable, a password change, an imported hash replaced at sign-in, and
//! the client's address behind a trusted proxy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_server::admin::NewUser;
use testkit::Issuer;
use testkit::web::{Browser, ORIGIN, form_body};

const PW: &str = "correct horse battery staple";

async fn issuer_with_ada() -> Issuer {
    let issuer = Issuer::start(&[]).await;
    issuer
        .admin
        .create_user(NewUser {
            username: "Ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            attributes: serde_json::json!({"email": "ada@example.com", "name": "Ada Lovelace"})
                .as_object()
                .unwrap()
                .clone(),
            groups: vec!["admins".into()],
        })
        .await
        .unwrap();
    issuer
}

#[tokio::test]
async fn sign_in_and_out() {
    let issuer = issuer_with_ada().await;
    let mut b = Browser::new(
        &issuer.base,
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    );
    let form = b.get("/login").await;
    assert_eq!(form.status, 200);
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    // One script, of this origin (passkeys); nothing inline, nothing from elsewhere.
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(form.headers["cache-control"], "no-store");
    assert_eq!(form.headers["x-frame-options"], "DENY");
    // Not no-referrer: under it browsers send `Origin: null` with the form, which the
    // same-origin check refuses.
    assert_eq!(form.headers["referrer-policy"], "same-origin");
    assert!(form.body.contains("autocomplete=\"username webauthn\""));
    assert!(form.body.contains("autocomplete=\"current-password\""));
    assert!(form.body.contains("<label for=\"password\">"));
    let set = form.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    // The service signs in with any spelling of the name.
    let done = b.sign_in("ADA", PW).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.headers["location"], "/account");
    let cookie = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("tessera-session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let account = b.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("Ada Lovelace") && account.body.contains("admins"));
    assert!(account.body.contains("Firefox on Linux") && account.body.contains("(this browser)"));
    let data = b.get("/account/data.json").await;
    let data: serde_json::Value = serde_json::from_str(&data.body).unwrap();
    assert_eq!(data["attributes"]["email"], "ada@example.com");
    assert!(!data.to_string().contains("argon2"), "never the hash");
    // Signing in again from the form page goes to the account.
    assert_eq!(b.get("/login").await.status, 303);
    // Sign out: needs the page's token.
    let out = b
        .post("/logout", ORIGIN, form_body(&[("csrf", "forged")]))
        .await;
    assert_eq!(out.status, 403);
    let csrf = Browser::csrf(&account);
    let out = b
        .post("/logout", ORIGIN, form_body(&[("csrf", &csrf)]))
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get("/account").await.status, 303, "signed out");
}

#[tokio::test]
async fn wrong_and_unknown_look_and_cost_the_same() {
    let issuer = issuer_with_ada().await;
    let hashes = || issuer.server.state.passwords().hashes();
    let mut b = Browser::new(&issuer.base, "test");
    let before = hashes();
    let wrong = b.sign_in("ada", "not the password at all").await;
    assert_eq!(hashes(), before + 1);
    let unknown = b.sign_in("nobody-here", "not the password at all").await;
    assert_eq!(hashes(), before + 2, "the same hash without an account");
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, wrong.status);
    assert!(wrong.body.contains("Wrong username or password."));
    assert!(unknown.body.contains("Wrong username or password."));
    // A disabled account says no more.
    issuer.admin.set_user_enabled("ada", false).await.unwrap();
    let disabled = b.sign_in("ada", PW).await;
    assert_eq!(disabled.status, 401);
    assert!(disabled.body.contains("Wrong username or password."));
    // Events are written by a background task: wait for the third.
    let failed = |events: &[tessera_store::Event]| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.kind == "login.failed")
            .map(|e| e.detail["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut events = issuer.admin.events(0, 100).await.unwrap();
    for _ in 0..50 {
        if failed(&events).len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        events = issuer.admin.events(0, 100).await.unwrap();
    }
    assert_eq!(
        failed(&events),
        ["wrong_password", "unknown_user", "disabled"]
    );
    assert!(
        !serde_json::to_string(&events)
            .unwrap()
            .contains("not the password"),
        "never a password in the audit log"
    );
}

#[tokio::test]
async fn forms_refuse_forgery_and_hostile_input() {
    let issuer = issuer_with_ada().await;
    let mut b = Browser::new(&issuer.base, "test");
    let form = b.get("/login").await;
    let csrf = Browser::csrf(&form);
    let post = |fields: Vec<(&str, String)>| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish()
            .into_bytes()
    };
    let good = || {
        vec![
            ("csrf", csrf.clone()),
            ("username", "ada".into()),
            ("password", PW.into()),
        ]
    };
    // No token, a token of another browser, a cross-site post: refused, nothing signed in.
    let mut no_token = good();
    no_token.remove(0);
    assert_eq!(b.post("/login", ORIGIN, post(no_token)).await.status, 403);
    let mut other = Browser::new(&issuer.base, "test");
    let theirs = Browser::csrf(&other.get("/login").await);
    let mut swapped = good();
    swapped[0].1 = theirs;
    assert_eq!(b.post("/login", ORIGIN, post(swapped)).await.status, 403);
    let cross = b.post("/login", "https://evil.example", post(good())).await;
    assert_eq!(cross.status, 403);
    assert!(!b.cookies.contains_key("tessera-session"));
    // Hostile input: oversized, invalid UTF-8, control characters, markup: a clear answer,
    // escaped, never a 500.
    let big = "x".repeat(5000);
    let mut long = good();
    long[1].1 = big;
    assert_eq!(b.post("/login", ORIGIN, post(long)).await.status, 400);
    let mut raw = format!("csrf={csrf}&username=").into_bytes();
    raw.extend_from_slice(&[0xff, 0xfe, b'a']);
    raw.extend_from_slice(b"&password=%00%01secret");
    let bad = b.post("/login", ORIGIN, raw).await;
    assert_eq!(bad.status, 401);
    let mut markup = good();
    markup[1].1 = "<script>alert(1)</script>".into();
    markup[2].1 = "wrong".into();
    let page = b.post("/login", ORIGIN, post(markup)).await;
    assert!(
        page.body.contains("&#60;script&#62;") || page.body.contains("&lt;script&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>"));
    // The real thing still works.
    assert_eq!(b.post("/login", ORIGIN, post(good())).await.status, 303);
}

#[tokio::test]
async fn failed_sign_ins_slow_down() {
    let issuer = issuer_with_ada().await;
    let mut b = Browser::new(&issuer.base, "test");
    for _ in 0..3 {
        assert_eq!(b.sign_in("ada", "wrong guess").await.status, 401);
    }
    let hashes = issuer.server.state.passwords().hashes();
    let slowed = b.sign_in("ada", PW).await;
    assert_eq!(slowed.status, 429, "even the right password waits");
    assert_eq!(slowed.headers["retry-after"], "1");
    assert!(
        slowed.body.contains("Try again in 1 second."),
        "{}",
        slowed.body
    );
    assert_eq!(
        issuer.server.state.passwords().hashes(),
        hashes,
        "no hash while throttled"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(b.sign_in("ada", PW).await.status, 303, "never a lock-out");
}

#[tokio::test]
async fn failed_passkey_sign_ins_slow_down_too() {
    let issuer = issuer_with_ada().await;
    let mut b = Browser::new(&issuer.base, "test");
    let form = b.get("/login").await;
    let csrf = Browser::csrf(&form);
    let attempt = form_body(&[("csrf", &csrf), ("response", "{\"not\": \"an assertion\"}")]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            b.post("/login/passkey", ORIGIN, attempt.clone())
                .await
                .status,
        );
    }
    // Three failures from this address, then a wait (the counter of the address alone: no
    // person is known without a password first).
    assert!(
        statuses[..3]
            .iter()
            .all(|s| s.is_client_error() && *s != 429),
        "{statuses:?}"
    );
    assert_eq!(statuses[3], 429, "{statuses:?}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_ne!(
        b.post("/login/passkey", ORIGIN, attempt).await.status,
        429,
        "never a lock-out"
    );
}

#[tokio::test]
async fn sessions_end_from_the_account_page_by_the_operator_and_with_a_new_password() {
    let issuer = issuer_with_ada().await;
    let mut laptop = Browser::new(&issuer.base, "Mozilla/5.0 (Macintosh; Mac OS X) Safari/605");
    let mut phone = Browser::new(&issuer.base, "Mozilla/5.0 (Linux; Android 15) Chrome/140");
    assert_eq!(laptop.sign_in("ada", PW).await.status, 303);
    assert_eq!(phone.sign_in("ada", PW).await.status, 303);
    let page = laptop.get("/account").await;
    assert!(page.body.contains("Safari on macOS") && page.body.contains("Chrome on Android"));
    // End the phone's session from the laptop.
    let csrf = Browser::csrf(&page);
    let ended = laptop
        .post(
            "/account/sessions/end-others",
            ORIGIN,
            form_body(&[("csrf", &csrf)]),
        )
        .await;
    assert_eq!(ended.status, 303);
    assert_eq!(
        phone.get("/account").await.status,
        303,
        "the phone is signed out"
    );
    assert_eq!(laptop.get("/account").await.status, 200);
    // The operator ends them all, at once.
    assert_eq!(phone.sign_in("ada", PW).await.status, 303);
    issuer.admin.logout_user("ada").await.unwrap();
    assert_eq!(laptop.get("/account").await.status, 303);
    assert_eq!(phone.get("/account").await.status, 303);
    // A password change ends the other sessions, and the old password stops working.
    assert_eq!(laptop.sign_in("ada", PW).await.status, 303);
    assert_eq!(phone.sign_in("ada", PW).await.status, 303);
    let page = laptop.get("/account").await;
    let csrf = Browser::csrf(&page);
    let weak = laptop
        .post(
            "/account/password",
            ORIGIN,
            form_body(&[("csrf", &csrf), ("current", PW), ("new", "password1")]),
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("too easy to guess"), "{}", weak.body);
    let wrong = laptop
        .post(
            "/account/password",
            ORIGIN,
            form_body(&[
                ("csrf", &csrf),
                ("current", "nope"),
                ("new", "a brand new passphrase"),
            ]),
        )
        .await;
    assert!(wrong.body.contains("The current password is not right."));
    let changed = laptop
        .post(
            "/account/password",
            ORIGIN,
            form_body(&[
                ("csrf", &csrf),
                ("current", PW),
                ("new", "a brand new passphrase"),
            ]),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert!(changed.body.contains("Your password was changed"));
    assert_eq!(
        phone.get("/account").await.status,
        303,
        "other sessions ended"
    );
    assert_eq!(laptop.get("/account").await.status, 200, "this one stays");
    let mut other = Browser::new(&issuer.base, "test");
    assert_eq!(other.sign_in("ada", PW).await.status, 401);
    assert_eq!(
        other.sign_in("ada", "a brand new passphrase").await.status,
        303
    );
}

#[tokio::test]
async fn an_imported_hash_is_replaced_at_sign_in() {
    let Some(hashes) = testkit::reference_password_hashes(PW) else {
        return;
    };
    let issuer = Issuer::start(&[]).await;
    let bcrypt = &hashes.iter().find(|(k, _)| k == "bcrypt").unwrap().1;
    issuer
        .admin
        .import_users(
            &serde_json::json!({"username": "moved", "password_hash": bcrypt}).to_string(),
        )
        .await
        .unwrap();
    let mut b = Browser::new(&issuer.base, "test");
    assert_eq!(b.sign_in("moved", PW).await.status, 303);
    let stored = issuer.admin.user("moved").await.unwrap();
    assert!(
        stored
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "replaced"
    );
    let mut again = Browser::new(&issuer.base, "test");
    assert_eq!(
        again.sign_in("moved", PW).await.status,
        303,
        "the new hash works"
    );
}

#[tokio::test]
async fn sessions_end_when_idle_or_too_old() {
    let issuer = Issuer::start(&[("session_idle", "2s"), ("session_lifetime", "4s")]).await;
    issuer
        .admin
        .create_user(NewUser {
            username: "ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            ..NewUser::default()
        })
        .await
        .unwrap();
    // Unused for longer than session_idle: ended.
    let mut idle = Browser::new(&issuer.base, "test");
    assert_eq!(idle.sign_in("ada", PW).await.status, 303);
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(idle.get("/account").await.status, 303, "idle");
    // Used all along, it still ends at session_lifetime.
    let mut busy = Browser::new(&issuer.base, "test");
    assert_eq!(busy.sign_in("ada", PW).await.status, 303);
    let started = std::time::Instant::now();
    let mut last_ok = std::time::Duration::ZERO;
    while started.elapsed() < std::time::Duration::from_secs(7) {
        if busy.get("/account").await.status != 200 {
            break;
        }
        last_ok = started.elapsed();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        last_ok >= std::time::Duration::from_millis(2500),
        "kept alive by use past the idle time: {last_ok:?}"
    );
    assert!(
        last_ok <= std::time::Duration::from_millis(5100),
        "ended at the lifetime: {last_ok:?}"
    );
    assert_eq!(busy.get("/account").await.status, 303);
}

#[tokio::test]
async fn people_delete_their_own_account_only_when_the_service_allows_it() {
    for allowed in [false, true] {
        let issuer =
            Issuer::start(&[("account_deletion", if allowed { "on" } else { "off" })]).await;
        let ada = issuer
            .admin
            .create_user(NewUser {
                username: "ada".into(),
                password: Some(zeroize::Zeroizing::new(PW.into())),
                attributes: serde_json::json!({"email": "ada@example.com"})
                    .as_object()
                    .unwrap()
                    .clone(),
                ..NewUser::default()
            })
            .await
            .unwrap();
        let mut b = Browser::new(&issuer.base, "test");
        assert_eq!(b.sign_in("ada", PW).await.status, 303);
        let page = b.get("/account").await;
        assert_eq!(page.body.contains("Delete your account"), allowed);
        let csrf = Browser::csrf(&page);
        let asked = b
            .post(
                "/account/delete",
                ORIGIN,
                form_body(&[("csrf", &csrf), ("password", PW), ("confirm", "yes")]),
            )
            .await;
        if !allowed {
            assert_eq!(asked.status, 403);
            assert!(issuer.admin.user("ada").await.is_ok(), "still there");
            continue;
        }
        assert_eq!(asked.status, 200, "{}", asked.body);
        assert!(issuer.admin.user("ada").await.is_err(), "gone");
        assert_eq!(b.get("/account").await.status, 303, "signed out");
        // The audit log keeps the subject id, and nothing else of the person.
        let events = testkit::events_with(&issuer.admin, &["user.deleted"]).await;
        let deleted = events.into_iter().find(|e| e.kind == "user.deleted");
        let detail = deleted.unwrap().detail;
        assert_eq!(detail["user_id"], ada.id);
        assert!(!detail.to_string().contains("ada@"), "{detail}");
    }
}

#[tokio::test]
async fn an_https_issuer_gets_host_prefixed_secure_cookies_and_a_new_session_id() {
    let issuer = Issuer::start(&[("issuer", "https://127.0.0.1")]).await;
    issuer
        .admin
        .create_user(NewUser {
            username: "ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            ..NewUser::default()
        })
        .await
        .unwrap();
    let mut b = Browser::new(&issuer.base, "test");
    let form = b.get("/login").await;
    let set = form.headers["set-cookie"].to_str().unwrap();
    assert!(
        set.starts_with("__Host-tessera-form=") && set.contains("; Secure"),
        "{set}"
    );
    // A session id planted before sign-in (fixation) is never the one signed in.
    let planted = "A".repeat(43);
    b.cookies
        .insert("__Host-tessera-session".into(), planted.clone());
    let body = form_body(&[
        ("csrf", &Browser::csrf(&form)),
        ("username", "ada"),
        ("password", PW),
    ]);
    let done = b.post("/login", "https://127.0.0.1", body).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let session = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-tessera-session="))
        .unwrap();
    for attr in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Secure"] {
        assert!(session.contains(attr), "{attr}: {session}");
    }
    assert!(!session.contains(&planted));
}

#[tokio::test]
async fn account_forms_refuse_forgery_and_hostile_input() {
    let issuer = issuer_with_ada().await;
    let mut b = Browser::new(&issuer.base, "test");
    let mut other = Browser::new(&issuer.base, "other");
    assert_eq!(b.sign_in("ada", PW).await.status, 303);
    assert_eq!(other.sign_in("ada", PW).await.status, 303);
    let page = b.get("/account").await;
    let csrf = Browser::csrf(&page);
    for path in [
        "/account/sessions/end",
        "/account/sessions/end-others",
        "/account/password",
        "/account/delete",
        "/logout",
    ] {
        let none = b.post(path, ORIGIN, form_body(&[("current", PW)])).await;
        assert_eq!(none.status, 403, "{path} without a token");
        let cross = b
            .post(path, "https://evil.example", form_body(&[("csrf", &csrf)]))
            .await;
        assert_eq!(cross.status, 403, "{path} from another site");
    }
    assert_eq!(other.get("/account").await.status, 200, "nothing was done");
    // Oversized and odd fields: a clear answer, never a 500.
    let huge = "p".repeat(10_000);
    let odd = b
        .post(
            "/account/password",
            ORIGIN,
            form_body(&[("csrf", &csrf), ("current", &huge), ("new", "\u{0}\u{1}")]),
        )
        .await;
    assert_eq!(odd.status, 400);
    // Ending one session: only one's own, by its handle from the page.
    let handle = {
        let at = page.body.find("name=\"session\" value=\"").unwrap() + 22;
        page.body[at..at + 43].to_owned()
    };
    let mut stranger = Browser::new(&issuer.base, "x");
    issuer
        .admin
        .create_user(NewUser {
            username: "eve".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            ..NewUser::default()
        })
        .await
        .unwrap();
    assert_eq!(stranger.sign_in("eve", PW).await.status, 303);
    let eves = Browser::csrf(&stranger.get("/account").await);
    stranger
        .post(
            "/account/sessions/end",
            ORIGIN,
            form_body(&[("csrf", &eves), ("session", &handle)]),
        )
        .await;
    assert_eq!(other.get("/account").await.status, 200, "not eve's to end");
    let ended = b
        .post(
            "/account/sessions/end",
            ORIGIN,
            form_body(&[("csrf", &csrf), ("session", &handle)]),
        )
        .await;
    assert_eq!(ended.status, 303);
    assert_eq!(other.get("/account").await.status, 303, "ended");
    assert_eq!(b.get("/account").await.status, 200);
}

/// Behind a trusted proxy the throttle counts by the address it forwarded (the client's own
/// entries to its left are not believed), sessions and events show that address; without
/// `trusted_proxies` the header is ignored, whoever sends it.
#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_nobody_else_does() {
    let proxied = Issuer::start(&[("trusted_proxies", "127.0.0.1, ::1")]).await;
    proxied
        .admin
        .create_user(NewUser {
            username: "ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            ..NewUser::default()
        })
        .await
        .unwrap();
    let via_proxy = |xff: &str| {
        let mut b = Browser::new(&proxied.base, "test");
        b.extra.push(("x-forwarded-for", xff.to_owned()));
        b
    };
    // Three wrong passwords (for three accounts) from one address behind the proxy.
    let mut guesser = via_proxy("203.0.113.5");
    for who in ["amy", "bob", "cyd"] {
        assert_eq!(guesser.sign_in(who, "wrong guess").await.status, 401);
    }
    assert_eq!(
        guesser.sign_in("ada", PW).await.status,
        429,
        "that address waits"
    );
    // Writing another address to the left changes nothing: the proxy appended the real one.
    let mut forger = via_proxy("198.51.100.7, 203.0.113.5");
    assert_eq!(forger.sign_in("ada", PW).await.status, 429);
    // Another person behind the same proxy is not slowed down.
    let mut ada = via_proxy("198.51.100.7");
    assert_eq!(ada.sign_in("ada", PW).await.status, 303);
    let account = ada.get("/account").await;
    assert!(account.body.contains("198.51.100.7"), "{}", account.body);
    assert!(!account.body.contains("127.0.0.1"), "{}", account.body);
    let events = testkit::events_with(&proxied.admin, &["login.succeeded"]).await;
    let address_of = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.detail["address"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(address_of("login.failed"), ["203.0.113.5"; 3]);
    assert_eq!(address_of("login.succeeded"), ["198.51.100.7"]);

    // No trusted proxy: the header is the client's to forge, and is not read.
    let direct = issuer_with_ada().await;
    let mut guesser = Browser::new(&direct.base, "test");
    guesser
        .extra
        .push(("x-forwarded-for", "203.0.113.5".into()));
    for who in ["amy", "bob", "cyd"] {
        assert_eq!(guesser.sign_in(who, "wrong guess").await.status, 401);
    }
    let mut other = Browser::new(&direct.base, "test");
    other.extra.push(("x-forwarded-for", "198.51.100.7".into()));
    assert_eq!(
        other.sign_in("ada", PW).await.status,
        429,
        "the same connection address, whatever the header says"
    );
}
