//! The debugger API's error: `{"error": {"code", "message"}}` with an HTTP status. A
//! verification that fails is not an error but an answer (`"verified": false` with the
//! library's code). Free of the HTTP crates, so that the fuzz target builds it as it is.

use serde_json::{Value, json};

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// A stable code.
    pub code: &'static str,
    /// A sentence for the page (never a secret).
    pub message: String,
}

impl ApiError {
    /// An error with a status.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// Bad input (400) with a code and a message for the page.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// The error as the body's `error` member.
    pub fn body(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}
