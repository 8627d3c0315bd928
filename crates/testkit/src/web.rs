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
    /// Headers sent with every request besides the cookies (a proxy's `X-Forwarded-For`).
    pub extra: Vec<(&'static str, String)>,
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
            extra: Vec::new(),
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

    fn with_extra(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (k, v) in &self.extra {
            req = req.header(*k, v);
        }
        req
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .with_extra(self.http.get(format!("{}{path}", self.base)))
            .header("cookie", self.cookie_header())
            .header("user-agent", self.user_agent)
            .send()
            .await
            .unwrap();
        self.page(resp).await
    }

    pub async fn post(&mut self, path: &str, origin: &str, body: Vec<u8>) -> Page {
        let resp = self
            .with_extra(self.http.post(format!("{}{path}", self.base)))
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

    /// Follows a 303 within the service (panics on another answer).
    pub async fn follow(&mut self, page: &Page) -> Page {
        assert_eq!(page.status, 303, "{}", page.body);
        let to = page.headers["location"].to_str().unwrap().to_owned();
        self.get(&to).await
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

/// An application's end of the service's redirects and notices: a loopback listener that keeps
/// what came (the request line and the body: a `form_post`, a logout token) and answers with
/// the statuses it was given for the first requests, then 200 with a page that says so.
pub struct Receiver {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Each request: its request line, a newline, its body.
    pub got: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listens; the first requests are answered with `statuses`, the rest with 200.
    pub async fn start(statuses: &[u16]) -> Self {
        let statuses = statuses.to_vec();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = got.clone();
        let task = tokio::spawn(async move {
            // At most 50 requests: a test needs a few.
            for n in 0..50 {
                let status = statuses.get(n).copied().unwrap_or(200);
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then as much body as Content-Length says (bounded).
                while let Ok(n) = s.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length.min(65_536) {
                            break;
                        }
                    }
                    if buf.len() > 1 << 20 {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&buf).to_string();
                let line = text.lines().next().unwrap_or_default().to_owned();
                let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
                keep.lock().unwrap().push(format!("{line}\n{body}"));
                let page =
                    "<!doctype html><html lang=en><title>App</title><p id=got>received</p></html>";
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                            page.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            }
        });
        Self { port, got, task }
    }

    /// `http://127.0.0.1:PORT/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// The parameters of the last request that reached the redirect URI (query or form; the
    /// browser's own requests, such as the icon's, left out).
    pub fn last(&self) -> Vec<(String, String)> {
        let got = self.got.lock().unwrap();
        let last = got
            .iter()
            .rev()
            .find(|r| {
                r.split(' ')
                    .nth(1)
                    .is_some_and(|p| p.starts_with("/callback"))
            })
            .expect("the application was reached")
            .clone();
        let (line, body) = last.split_once('\n').unwrap();
        let query = if line.starts_with("POST") {
            body.to_owned()
        } else {
            line.split(' ')
                .nth(1)
                .unwrap()
                .split_once('?')
                .map(|x| x.1.to_owned())
                .unwrap_or_default()
        };
        form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Undoes HTML escaping (numeric character references and the named ones escapers use), as a
/// browser reads an attribute.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').unwrap();
        let c = match &tail[1..end] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap()
            }
            e if e.starts_with('#') => char::from_u32(e[1..].parse().unwrap()).unwrap(),
            e => panic!("unknown entity {e}"),
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A PKCE pair (RFC 7636): the verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = tessera_jose::b64::encode(tessera_jose::secret::random(32).unwrap());
    let challenge = tessera_jose::b64::encode(tessera_jose::secret::sha2(256, verifier.as_bytes()));
    (verifier, challenge)
}

/// The authorization endpoint's path with `pairs` as its query.
pub fn authorize_path(pairs: &[(&str, &str)]) -> String {
    format!(
        "/oauth2/authorize?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    )
}

/// The query of a 303 to `app` (a redirect URI), as pairs; panics when it goes elsewhere.
pub fn back_at(page: &Page, app: &str) -> Vec<(String, String)> {
    assert_eq!(page.status, 303, "{}", page.body);
    let to = page.headers["location"].to_str().unwrap();
    let query = to
        .strip_prefix(&format!("{app}?"))
        .unwrap_or_else(|| panic!("not back at the application: {to}"));
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of `name` among `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The value of the hidden field `name` on a page, unescaped.
pub fn hidden(body: &str, name: &str) -> String {
    let at = body.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    let rest = &body[at..];
    unescape(&rest[..rest.find('"').unwrap()])
}

/// The hidden fields of the form whose action is `action`, in order, unescaped.
pub fn hidden_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let form = &body[body.find(&format!("action=\"{action}\"")).unwrap()..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    form.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let attr = |a: &str| {
                input
                    .split(&format!("{a}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned()
            };
            (attr("name"), unescape(&attr("value")))
        })
        .collect()
}
