//! Exit codes and how failures are reported: one line on stderr, never a panic or a backtrace.

use std::process::ExitCode;

/// The exit-code contract, printed by `tessera help exit-codes`.
pub const EXIT_CODES: &str = "\
Exit codes of tessera:

  0  success.
  1  the token was rejected: malformed, signature or MAC invalid, no matching key, algorithm not
     allowed, claims (expired, not yet valid, issuer, audience, ...), decryption failed, or not
     the expected kind of token (signed, encrypted, nested); `jwks find` found no key.
  2  usage or input error: bad arguments, a key that cannot be read or parsed, a file that
     cannot be read or written, invalid claims JSON.

On rejection, `verify --json` prints {\"valid\": false, \"code\": \"...\", \"message\": \"...\",
\"detail\": ...} on stdout, where `code` is the library's stable error code (expired,
signature_invalid, decryption_failed, ...), so scripts can branch on the reason, and `detail`
says what the token had beside what was expected (null where the error stays opaque). Other commands print one line
`error: ...` on stderr.";

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The token was rejected (exit 1).
    Rejected(tessera_jose::Error),
    /// The token was rejected (exit 1), with what it had beside what was expected (escaped and
    /// bounded by the library) and a hint at the flag to change.
    Explained(tessera_jose::Error, String),
    /// Usage or input error (exit 2).
    Input(anyhow::Error),
    /// A search found nothing (exit 1, like a rejection, without its wording).
    NotFound(String),
    /// A failure already reported in the command's own output (a JSON log record): exit 2,
    /// nothing more printed.
    Reported,
    /// A valid token refused for what it is (exit 1, like a rejection).
    Refused(String),
}

impl Failure {
    /// The exit code.
    pub fn code(&self) -> ExitCode {
        match self {
            Self::Rejected(_) | Self::Explained(..) | Self::NotFound(_) | Self::Refused(_) => {
                ExitCode::from(1)
            }
            Self::Input(_) | Self::Reported => ExitCode::from(2),
        }
    }

    /// The one-line message.
    pub fn message(&self) -> String {
        match self {
            Self::Rejected(e) => format!("rejected: {e} ({}){}", e.code(), limit_hint(e)),
            Self::Explained(e, detail) => format!("rejected: {e} ({}): {detail}", e.code()),
            Self::Input(e) => format!("{e:#}"),
            Self::NotFound(m) => m.clone(),
            Self::Reported => String::new(),
            Self::Refused(m) => format!("refused: {m}"),
        }
    }
}

/// Which flag raises a limit that was hit.
fn limit_hint(e: &tessera_jose::Error) -> &'static str {
    use tessera_jose::error::Limit;
    match e {
        tessera_jose::Error::LimitExceeded(Limit::Size) => {
            " (the default is 16 MiB; raise it with --max-size BYTES)"
        }
        tessera_jose::Error::LimitExceeded(Limit::Decompressed) => {
            " (the default is 16 MiB; raise it with --max-decompressed BYTES)"
        }
        _ => "",
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Input(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::Input(e.into())
    }
}

/// A library error met while reading input (a key, a header argument): an input error.
pub fn input(context: &str) -> impl FnOnce(tessera_jose::Error) -> Failure + '_ {
    move |e| Failure::Input(anyhow::anyhow!("{context}: {e}"))
}

/// The `--json` answer of a rejection: `{"valid": false, "code", "message", "detail"}`.
pub fn rejection_json(e: &tessera_jose::Error, detail: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "valid": false,
        "code": e.code(),
        "message": e.to_string(),
        "detail": detail,
    })
}

/// A library error met while checking a token: a rejection.
pub fn rejected(e: tessera_jose::Error) -> Failure {
    Failure::Rejected(e)
}

/// The result of a command.
pub type CmdResult = Result<(), Failure>;
