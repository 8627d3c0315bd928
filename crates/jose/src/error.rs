//! The one error type of `tessera-jose`, with stable codes.

use core::fmt;

/// Everything that can go wrong in `tessera-jose`.
///
/// Callers branch on the variant or on [`Error::code`], a stable, documented string that never
/// changes between releases. Cryptographic failures are deliberately opaque: a bad signature is
/// always [`Error::SignatureInvalid`], whatever the reason inside the primitive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not a well-formed token, header, key or JSON document.
    #[error("malformed input: {0}")]
    Malformed(Malformed),
    /// The input exceeds a configured limit (size, JSON nesting, number of signatures).
    #[error("input exceeds the {0} limit")]
    LimitExceeded(Limit),
    /// The signature (or MAC) did not verify. Opaque by design.
    #[error("signature invalid")]
    SignatureInvalid,
    /// No key of the key source matches the token (by `kid`, `alg`, `use`, `key_ops`, type).
    #[error("no matching key")]
    NoMatchingKey,
    /// More than one key matches the token and the key source cannot tell which to use.
    #[error("more than one matching key")]
    AmbiguousKey,
    /// The algorithm is not in the allowed set of this operation.
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    /// The algorithm is known but not supported by this build (Ed448, X448, `none`, ...).
    #[error("unsupported algorithm: {}", escaped(.0))]
    UnsupportedAlgorithm(String),
    /// A key was rejected on import or cannot be used as asked.
    #[error("invalid key: {0}")]
    InvalidKey(KeyProblem),
    /// A `crit` header parameter is not understood, or `crit` itself is invalid.
    #[error("critical header parameter not understood or invalid")]
    Crit,
    /// The token's `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// The token's `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// The token's `iat` is in the future, or it is older than the allowed maximum age.
    #[error("token issued-at time out of bounds")]
    IssuedAt,
    /// `iss` is not one of the accepted issuers.
    #[error("issuer not accepted")]
    Issuer,
    /// `aud` contains none of the accepted audiences.
    #[error("audience not accepted")]
    Audience,
    /// `sub` is not the expected subject.
    #[error("subject not accepted")]
    Subject,
    /// A required claim is absent.
    #[error("missing required claim `{}`", escaped(.0))]
    MissingClaim(String),
    /// A registered claim has the wrong JSON type (`exp` as a string, `aud` as a number, ...).
    #[error("claim `{0}` has an invalid type or value")]
    InvalidClaim(&'static str),
    /// The `typ` header is absent or is not the expected media type.
    #[error("unexpected token type")]
    Type,
    /// The configuration of a builder is invalid (the check would otherwise be silently off).
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// The user's claims type failed to (de)serialize.
    #[error("claims (de)serialization failed: {}", escaped_message(.0))]
    Claims(String),
    /// The random number generator or another primitive failed unexpectedly.
    #[error("cryptographic operation failed")]
    Crypto,
    /// A JWE did not decrypt. Opaque by design: key unwrapping, key agreement, the
    /// authentication tag and padding all fail the same way, after the same work.
    #[error("decryption failed")]
    DecryptionFailed,
    /// The token is not of the kind the caller expects (signed, encrypted or nested).
    #[error("unexpected token kind: expected {0}")]
    TokenKind(&'static str),
    /// Two keys of a verification key source share this `kid` (the message escapes it).
    #[error("two keys of the key source share the kid `{}`", escaped(.0))]
    DuplicateKid(String),
    /// A DPoP proof failed a check (RFC 9449 §4.3); the problem says which.
    #[error("DPoP proof rejected: {0}")]
    Dpop(DpopProblem),
    /// An encrypted JWT under public-key key management (RSA-OAEP, ECDH-ES): anyone holding the
    /// public key can make one, so it authenticates no sender. Accepted only when the verifier
    /// opts in.
    #[error("an encrypted JWT under public-key key management authenticates no sender")]
    Unauthenticated,
}

impl Error {
    /// A stable, machine-readable code for this error, for logs, metrics and scripts.
    ///
    /// ```
    /// assert_eq!(tessera_jose::Error::Expired.code(), "expired");
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::LimitExceeded(_) => "limit_exceeded",
            Self::SignatureInvalid => "signature_invalid",
            Self::NoMatchingKey => "no_matching_key",
            Self::AmbiguousKey => "ambiguous_key",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::InvalidKey(_) => "invalid_key",
            Self::Crit => "crit",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedAt => "issued_at",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::Subject => "subject",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::Type => "type",
            Self::Config(_) => "config",
            Self::Claims(_) => "claims",
            Self::Crypto => "crypto",
            Self::DecryptionFailed => "decryption_failed",
            Self::TokenKind(_) => "token_kind",
            Self::DuplicateKid(_) => "duplicate_kid",
            Self::Dpop(p) => p.code(),
            Self::Unauthenticated => "unauthenticated",
        }
    }
}

/// Text from a token or key source, made safe to show: at most 64 characters, and everything
/// but printable ASCII (controls, bidirectional overrides, zero-width characters, any other
/// non-ASCII) and the HTML-special characters written as `\u{…}` escapes.
///
/// ```
/// use tessera_jose::error::escaped;
/// assert_eq!(escaped("HS256"), "HS256");
/// assert_eq!(escaped("a\u{202e}<b>"), "a\\u{202e}\\u{3c}b\\u{3e}");
/// ```
#[must_use]
pub fn escaped(text: &str) -> String {
    escape_bounded(text, 64)
}

/// [`escaped`] with room for a whole message (256 characters).
fn escaped_message(text: &str) -> String {
    escape_bounded(text, 256)
}

fn escape_bounded(text: &str, max: usize) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if (' '..='~').contains(&c) && !matches!(c, '<' | '>' | '&' | '"' | '\'' | '\\') {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    out
}

/// What was malformed. Never contains input bytes, so it cannot leak secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Base64url that is not strict (padding, whitespace, non-canonical bits, wrong alphabet).
    Base64,
    /// Bytes that are not valid JSON, or JSON of the wrong shape.
    Json,
    /// A JSON object with the same member name twice.
    DuplicateMember,
    /// A compact serialization without the right number of parts.
    Compact,
    /// A JOSE header that is missing a required member or has one of the wrong type.
    Header,
    /// A header parameter that appears in both the protected and the unprotected header.
    HeaderCollision,
    /// The JWS JSON serialization is not valid.
    JwsJson,
    /// The payload is not what was expected (detached, `b64`, not a JSON object for a JWT).
    Payload,
    /// A PEM or DER document that could not be understood.
    Pem,
    /// A JWK that is not valid.
    Jwk,
    /// A signature of the wrong length or form.
    Signature,
    /// The JWE JSON serialization is not valid.
    JweJson,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Base64 => "invalid base64url",
            Self::Json => "invalid JSON",
            Self::DuplicateMember => "duplicate JSON member name",
            Self::Compact => "invalid compact serialization",
            Self::Header => "invalid JOSE header",
            Self::HeaderCollision => "header parameter in both protected and unprotected header",
            Self::JwsJson => "invalid JWS JSON serialization",
            Self::Payload => "invalid payload",
            Self::Pem => "invalid PEM or DER",
            Self::Jwk => "invalid JWK",
            Self::Signature => "invalid signature encoding",
            Self::JweJson => "invalid JWE JSON serialization",
        })
    }
}

/// Which limit was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Total token or document size in bytes.
    Size,
    /// JSON nesting depth.
    Depth,
    /// Number of signatures in a general JWS.
    Signatures,
    /// Number of keys in a JWK Set.
    Keys,
    /// Number of recipients in a general JWE.
    Recipients,
    /// PBES2 iteration count (`p2c`).
    Pbes2Count,
    /// Size of `zip: DEF` content after decompression.
    Decompressed,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Size => "size",
            Self::Depth => "nesting depth",
            Self::Signatures => "signature count",
            Self::Keys => "key count",
            Self::Recipients => "recipient count",
            Self::Pbes2Count => "PBES2 iteration count",
            Self::Decompressed => "decompressed size",
        })
    }
}

/// Which check a DPoP proof failed. Each has its own stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DpopProblem {
    /// Not a compact JWS with a JSON header and claims, or `jti` missing.
    Malformed,
    /// `typ` is not `dpop+jwt`.
    Type,
    /// `alg` is not one of the accepted asymmetric algorithms.
    Algorithm,
    /// `jwk` is missing, not a public asymmetric key, or has private members.
    Key,
    /// `htm` is not the request's method.
    Method,
    /// `htu` is not the request's URI (after normalisation).
    Uri,
    /// `iat` is missing or outside the accepted window.
    IssuedAt,
    /// `ath` is missing or does not match the presented access token.
    AccessTokenHash,
    /// `nonce` is missing or not the one the server requires.
    Nonce,
    /// The proof's key is not the one the access token is bound to (`cnf.jkt`).
    Binding,
    /// The proof's `jti` was seen before.
    Replay,
    /// The replay cache holds as many live proofs of this key as it may: the proof is refused
    /// (retry later; other keys are not affected).
    Busy,
}

impl DpopProblem {
    /// The stable code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "dpop_malformed",
            Self::Type => "dpop_type",
            Self::Algorithm => "dpop_algorithm",
            Self::Key => "dpop_key",
            Self::Method => "dpop_method",
            Self::Uri => "dpop_uri",
            Self::IssuedAt => "dpop_iat",
            Self::AccessTokenHash => "dpop_ath",
            Self::Nonce => "dpop_nonce",
            Self::Binding => "dpop_binding",
            Self::Replay => "dpop_replay",
            Self::Busy => "dpop_busy",
        }
    }
}

impl fmt::Display for DpopProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "not a well-formed proof",
            Self::Type => "typ is not dpop+jwt",
            Self::Algorithm => "algorithm not accepted",
            Self::Key => "the jwk header is not a public asymmetric key",
            Self::Method => "htm does not match the request method",
            Self::Uri => "htu does not match the request URI",
            Self::IssuedAt => "iat is outside the accepted window",
            Self::AccessTokenHash => "ath does not match the access token",
            Self::Nonce => "the nonce is missing or wrong",
            Self::Binding => "the proof key is not the one the token is bound to",
            Self::Replay => "the proof was used before",
            Self::Busy => "too many live proofs of this key: retry shortly",
        })
    }
}

/// Why a key was rejected. Never contains key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The key type cannot be used with the algorithm (for example an RSA key for HS256).
    WrongKeyType,
    /// The key's curve does not match the algorithm.
    WrongCurve,
    /// An RSA modulus shorter than 2048 bits.
    RsaTooSmall,
    /// An RSA public exponent below 65537, even, or of 2^32 or more.
    RsaExponent,
    /// An RSA modulus longer than 8192 bits, which the backend cannot use.
    RsaTooLarge,
    /// An RSA modulus with the ROCA fingerprint (Infineon RSALib, CVE-2017-15361): its
    /// private key can be computed from it.
    RsaRoca,
    /// A multi-prime RSA key (`oth`), which is not supported.
    RsaMultiPrime,
    /// An RSA private key without the CRT parameters `p`, `q`, `dp`, `dq`, `qi`.
    RsaMissingCrt,
    /// An HMAC key shorter than the hash output.
    HmacTooShort,
    /// An EC point not on the curve, or a scalar out of range.
    EcPoint,
    /// A component has the wrong length.
    Length,
    /// The private and public parts do not belong together, or the key failed validation.
    Inconsistent,
    /// The key's `alg` member does not match the requested algorithm.
    AlgMismatch,
    /// The key's `use` or `key_ops` forbids the operation.
    UsageNotAllowed,
    /// A private key is required for this operation.
    NotPrivate,
    /// A symmetric (`oct`) key has no public part.
    NoPublicPart,
    /// The private key is encrypted: a password is needed to read it.
    Encrypted,
    /// Compressed EC points are not supported.
    CompressedPoint,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WrongKeyType => "key type does not fit the algorithm",
            Self::WrongCurve => "curve does not fit the algorithm",
            Self::RsaTooSmall => "RSA modulus shorter than 2048 bits",
            Self::RsaExponent => "RSA public exponent not acceptable (odd, at least 65537)",
            Self::RsaTooLarge => "RSA modulus longer than 8192 bits",
            Self::RsaRoca => {
                "RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key is recoverable"
            }
            Self::RsaMultiPrime => "multi-prime RSA keys (`oth`) are not supported",
            Self::RsaMissingCrt => "RSA private key lacks the CRT parameters (p, q, dp, dq, qi)",
            Self::HmacTooShort => "HMAC key shorter than the hash output",
            Self::EcPoint => "EC point not on the curve or scalar out of range",
            Self::Length => "key component of the wrong length",
            Self::Inconsistent => "key components are inconsistent",
            Self::AlgMismatch => "the key's `alg` does not match the algorithm",
            Self::UsageNotAllowed => "the key's `use` or `key_ops` forbids this operation",
            Self::NotPrivate => "a private key is required",
            Self::NoPublicPart => "a symmetric key has no public part",
            Self::Encrypted => "the private key is encrypted: a password is needed",
            Self::CompressedPoint => "compressed EC points are not supported",
        })
    }
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Self::Malformed(m)
    }
}

impl From<KeyProblem> for Error {
    fn from(p: KeyProblem) -> Self {
        Self::InvalidKey(p)
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
