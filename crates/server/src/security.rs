//! Security headers, one policy per kind of response: the API (JSON, nothing to render) and the
//! sign-in pages to come, whose forms may lead to a redirect to another origin ([`FormAction`]);
//! the debugger (`tessera-debugger`) sets its own, which allow its script and style. Every response carries a Content-Security-Policy,
//! `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (the sign-in pages
//! replace it with `same-origin`, so their forms' POSTs carry their origin); a router applies its
//! policy to its responses, and a response that reaches the service's edge without one gets the
//! API's (errors made by the outer layers: body too large, timeout).

use axum::http::{HeaderMap, HeaderValue, header};

/// The API's policy: nothing may be loaded, framed or run.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Where a page's forms may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    /// To this origin, and the answer stays on it: `form-action 'self'`.
    SelfOnly,
    /// To an endpoint of this origin that answers with a redirect to another origin (the
    /// authorization endpoint sending the person back to the application). Browsers check
    /// `form-action` against every redirect that follows a submission, so the directive is left
    /// out: the endpoint itself allows only registered redirect URIs.
    ThenRedirect,
}

/// One kind of response's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Made once: applying a policy is a few header inserts, no parsing (it runs on every
    /// response).
    csp: HeaderValue,
    /// `X-Frame-Options: DENY` and same-origin opener and resource policies, for pages that
    /// take secrets (browsers that predate `frame-ancestors`).
    isolated: bool,
}

impl Policy {
    /// JSON endpoints.
    #[must_use]
    pub fn api() -> Self {
        Self {
            csp: HeaderValue::from_static(API_CSP),
            isolated: false,
        }
    }

    /// A server-rendered page (login, consent, account): its own style and script (the
    /// passkey script; nothing inline, nothing from anywhere else), forms as `forms` says.
    #[must_use]
    pub fn page(forms: FormAction) -> Self {
        let mut csp = String::from(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
        );
        if forms == FormAction::SelfOnly {
            csp.push_str("; form-action 'self'");
        }
        Self {
            // Our own ASCII text is always a valid header value; were it not, the strictest
            // policy would do.
            csp: HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(API_CSP)),
            isolated: true,
        }
    }

    /// The Content-Security-Policy.
    #[must_use]
    pub fn csp(&self) -> &str {
        self.csp.to_str().unwrap_or_default()
    }

    /// Sets the headers on a response.
    pub fn apply(&self, h: &mut HeaderMap) {
        h.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        if self.isolated {
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(
                "cross-origin-opener-policy",
                HeaderValue::from_static("same-origin"),
            );
            h.insert(
                "cross-origin-resource-policy",
                HeaderValue::from_static("same-origin"),
            );
        }
    }

    /// Sets the headers unless a router already chose a policy for this response.
    pub fn apply_if_missing(&self, h: &mut HeaderMap) {
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            self.apply(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_response_has_its_policy() {
        let mut h = HeaderMap::new();
        Policy::api().apply(&mut h);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], API_CSP);
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.get(header::X_FRAME_OPTIONS).is_none());
        // A router's choice is kept at the edge.
        let account = Policy::page(FormAction::SelfOnly);
        account.apply(&mut h);
        Policy::api().apply_if_missing(&mut h);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], account.csp());
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        // A page whose form leads to a redirect elsewhere has no form-action to break it.
        let login = Policy::page(FormAction::ThenRedirect);
        assert!(!login.csp().contains("form-action"), "{}", login.csp());
        assert!(login.csp().contains("frame-ancestors 'none'"));
        let account = Policy::page(FormAction::SelfOnly);
        assert!(
            account.csp().ends_with("form-action 'self'"),
            "{}",
            account.csp()
        );
        // One script of this origin (passkeys); nothing inline.
        assert!(account.csp().contains("script-src 'self';"));
        assert!(!account.csp().contains("unsafe"));
    }
}
