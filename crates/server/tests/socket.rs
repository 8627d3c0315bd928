//! Over a real socket on loopback: the `oauth2` crate is the client (both authentication
//! methods), a client created through the admin API beside the running server gets tokens
//! without a restart, and tokens are checked independently by the `jsonwebtoken` crate with keys
//! fetched from the server's JWKS over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse as _, TokenUrl};
use tessera_server::admin::{Admin, ClientSpec};
use tessera_server::config::Config;

async fn config(dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut flags: Vec<(String, String)> = vec![
        ("listen".into(), "127.0.0.1:0".into()),
        ("issuer".into(), "http://127.0.0.1".into()),
        ("data_dir".into(), dir.display().to_string()),
        ("poll_interval".into(), "100ms".into()),
    ];
    flags.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    Config::load(None, Vec::new(), &flags).unwrap()
}

#[tokio::test]
async fn oauth2_client_and_jsonwebtoken_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &[]).await;
    let server = tessera_server::start(cfg.clone(), None).await.unwrap();
    let base = format!("http://{}", server.addr);
    // The master key file is created owner-only; the database is in WAL mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A client created by an operator beside the running server.
    let admin = Admin::open(cfg.clone()).await.unwrap();
    let creds = admin
        .create_client(ClientSpec {
            name: Some("orders-service".into()),
            scopes: Some(vec!["orders:read".into(), "orders:write".into()]),
            audiences: Some(vec!["api://orders".into()]),
            token_ttl: None,
            dpop_bound: None,
            introspect: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let jwks = testkit::get_json(&http, &format!("{base}/.well-known/jwks.json")).await;
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(creds.client_id.clone()))
            .set_client_secret(ClientSecret::new(creds.client_secret.clone().unwrap()))
            .set_auth_type(auth.clone())
            .set_token_uri(TokenUrl::new(format!("{base}/oauth2/token")).unwrap());
        let token = client
            .exchange_client_credentials()
            .add_scope(Scope::new("orders:read".into()))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: {e:?}"));
        assert_eq!(token.scopes().unwrap()[0].as_str(), "orders:read");
        let jwt = token.access_token().secret();
        // Independently: jsonwebtoken with the key from the JWKS, chosen by kid.
        let header = jsonwebtoken::decode_header(jwt).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let kid = header.kid.unwrap();
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        v.set_audience(&["api://orders"]);
        v.set_issuer(&["http://127.0.0.1"]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &v).unwrap();
        assert_eq!(data.claims["client_id"], creds.client_id.as_str());
        // Introspection over HTTP.
        let resp = testkit::introspect(
            &http,
            &format!("{base}/oauth2/introspect"),
            &creds.client_id,
            creds.client_secret.as_deref().unwrap(),
            jwt,
        )
        .await;
        assert_eq!(resp["active"], true);
    }
    // A wrong secret through oauth2: the RFC 6749 error arrives as such.
    let bad = BasicClient::new(ClientId::new(creds.client_id.clone()))
        .set_client_secret(ClientSecret::new("wrong".into()))
        .set_token_uri(TokenUrl::new(format!("{base}/oauth2/token")).unwrap());
    let err = bad
        .exchange_client_credentials()
        .request_async(&http)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("invalid_client"), "{err:?}");
    // Oversized headers are refused by the HTTP layer before any handler runs.
    {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let req = format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(40_000)
        );
        let _ = tcp.write_all(req.as_bytes()).await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read_to_end(&mut buf))
            .await;
        let text = String::from_utf8_lossy(&buf);
        assert!(!text.starts_with("HTTP/1.1 200"), "{text}");
    }
    server.shutdown().await;
    // A second start reuses everything: the same keys, the same client.
    let again = tessera_server::start(config(dir.path(), &[]).await, None)
        .await
        .unwrap();
    let base = format!("http://{}", again.addr);
    let (status, _) = testkit::grant(
        &http,
        &format!("{base}/oauth2/token"),
        &creds.client_id,
        creds.client_secret.as_deref().unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let jwks2 = testkit::get_json(&http, &format!("{base}/.well-known/jwks.json")).await;
    assert_eq!(jwks, jwks2);
    again.shutdown().await;
}

/// HTTPS with rustls: a self-signed certificate made by the `openssl` CLI (skipped without it,
/// unless `TESSERA_REQUIRE_INTEROP` is set), trusted by the client for this test only; and
/// another signing algorithm.
#[tokio::test]
async fn https_and_eddsa() {
    let dir = tempfile::tempdir().unwrap();
    let Some(certs) = common::test_certificate(dir.path()) else {
        return;
    };
    let (cert, key) = (&certs.cert, &certs.key);
    let cfg = config(
        dir.path(),
        &[
            ("tls_cert", cert.to_str().unwrap()),
            ("tls_key", key.to_str().unwrap()),
            ("signing_alg", "EdDSA"),
            ("issuer", "https://localhost"),
        ],
    )
    .await;
    let server = tessera_server::start(cfg.clone(), None).await.unwrap();
    let admin = Admin::open(cfg).await.unwrap();
    let creds = admin
        .create_client(ClientSpec {
            name: Some("tls".into()),
            scopes: Some(vec!["a".into()]),
            audiences: Some(vec!["api://a".into()]),
            token_ttl: Some(60),
            dpop_bound: None,
            introspect: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let root = reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/oauth2/token", server.addr.port());
    let (_, resp) = testkit::grant(
        &https,
        &url,
        &creds.client_id,
        creds.client_secret.as_deref().unwrap(),
    )
    .await;
    let token = resp["access_token"].as_str().unwrap();
    let header = tessera_jose::dangerous::peek_header_unverified(token).unwrap();
    assert_eq!(header.alg(), Some("EdDSA"));
    assert_eq!(resp["expires_in"], 60);
    // Plain HTTP to the TLS port gets nowhere.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", server.addr.port()))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status() != 200));
    // Secrets stay out of Debug output.
    assert!(!format!("{creds:?}").contains(creds.client_secret.as_deref().unwrap()));
    server.shutdown().await;
}
