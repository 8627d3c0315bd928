//! A browser without a browser: an HTTP client that keeps cookies and follows no redirect, for
//! the tests of the service's pages (sign-in, account, authorization and consent).

use std::collections::HashMap;

use reqwest::StatusCode;

/// A browser: its cookies, and the pages' origin.
pub struct Browser {
    http: reqwest::Client,
    /// The service's base URL.
    pub base: String,
    /// Its cookies, by name.
    pub cookies: HashMap<String, String>,
    user_agent: &'static str,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Browser {
    pub fn new(base: &str, user_agent: &'static str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: HashMap::new(),
            user_agent,
        }
    }

    pub fn keep(&mut self, headers: &reqwest::header::HeaderMap) {
        for v in headers.get_all("set-cookie") {
            let text = v.to_str().unwrap();
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("user-agent", self.user_agent)
            .send()
            .await
            .unwrap();
        self.page(resp).await
    }

    pub async fn post(&mut self, path: &str, origin: &str, body: Vec<u8>) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", origin)
            .header("user-agent", self.user_agent)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.page(resp).await
    }

    pub async fn page(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        self.keep(&headers);
        Page {
            status,
            headers,
            body: resp.text().await.unwrap(),
        }
    }

    /// The CSRF token of the last form on a page.
    pub fn csrf(page: &Page) -> String {
        let at = page.body.rfind("name=\"csrf\" value=\"").unwrap() + 19;
        page.body[at..at + 43].to_owned()
    }

    pub async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let body = form_body(&[
            ("csrf", &Self::csrf(&form)),
            ("username", user),
            ("password", password),
        ]);
        self.post("/login", ORIGIN, body).await
    }
}

pub const ORIGIN: &str = "http://127.0.0.1";

pub fn form_body(fields: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}
