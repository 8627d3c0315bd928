//! The command-line interface, as clap definitions. Completions and the man page are generated
//! from these same definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES;

/// Decode, verify, sign, encrypt and decrypt JWTs, JWS and JWE; generate and manage JWKs.
///
/// Results go to stdout (a token, claims JSON, payload or plaintext bytes); messages and warnings
/// go to stderr. Exit codes: 0 success, 1 the token was rejected, 2 usage or input error
/// (`tessera help exit-codes`).
#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a token's header and payload WITHOUT verifying it.
    Decode(DecodeArgs),
    /// Verify a signed, encrypted or nested JWT and print its claims.
    Verify(VerifyArgs),
    /// Sign claims into a JWT.
    Sign(SignArgs),
    /// Raw JWS: sign or verify any payload, in any serialization.
    #[command(subcommand)]
    Jws(JwsCommand),
    /// Raw JWE: encrypt or decrypt any plaintext, in any serialization.
    #[command(subcommand)]
    Jwe(JweCommand),
    /// Generate, inspect and convert JSON Web Keys.
    #[command(subcommand)]
    Jwk(JwkCommand),
    /// Edit and inspect a JWK Set file.
    #[command(subcommand)]
    Jwks(JwksCommand),
    /// List every algorithm with its support status.
    Alg(AlgArgs),
    /// DPoP (RFC 9449): make or check a proof of possession.
    #[command(subcommand)]
    Dpop(DpopCommand),
    /// Run the token service: an OAuth 2.0 server issuing JWT access tokens to applications.
    Serve(ServeArgs),
    /// Open the token debugger in the browser: decode, verify, sign, encrypt and decrypt
    /// tokens, make keys; served on loopback, nothing leaves the machine.
    Debug(DebugArgs),
    /// Register and manage applications (clients) of the token service.
    #[command(subcommand)]
    Client(ClientCommand),
    /// The token service's signing keys: list, rotate, retire.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// People's accounts on the token service: create, import, change, disable, log out.
    #[command(subcommand)]
    User(UserCommand),
    /// The token service's audit events.
    Events(EventsArgs),
    /// Bring the token service's store to this version's schema (`serve` also does it at
    /// start; the other commands never change a schema).
    Migrate(MigrateArgs),
    /// Create the token service's store and its master key (what `serve` does at its first
    /// start), so that clients can be registered before the service runs; on an existing store,
    /// check that the configured master key is its own.
    Init(MigrateArgs),
    /// Rotate the token service's master key: stop every node, run this with the current key
    /// configured as usual, then start every node with the new one.
    Rekey(RekeyArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or with `--dir` write one page per command and subcommand.
    Man {
        /// Write `tessera.1`, `tessera-sign.1`, `tessera-jwk-generate.1`, ... into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<String>,
    },
    /// The exit codes and what they mean.
    #[command(long_about = EXIT_CODES)]
    ExitCodes,
}

/// Where keys come from.
#[derive(Debug, Args, Default, Clone)]
pub struct KeySource {
    /// Key file, or `-` for stdin: a JWK, a JWK Set (the key is chosen by the token's `kid`,
    /// `alg`, `use`) or PEM/DER (SPKI, PKCS#8, PKCS#1, SEC1, X.509 certificate), detected from
    /// the content.
    #[arg(long, value_name = "SRC")]
    pub key: Option<String>,
    /// HMAC secret as text (UTF-8 bytes). Visible to other users in the process list: prefer
    /// --secret-file or --secret-env.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true, conflicts_with_all = ["secret_b64", "secret_file", "secret_env"])]
    pub secret: Option<String>,
    /// HMAC secret as base64url (visible in the process list, as --secret).
    #[arg(long, value_name = "B64URL", allow_hyphen_values = true, conflicts_with_all = ["secret_file", "secret_env"])]
    pub secret_b64: Option<String>,
    /// HMAC secret from a file (its bytes; one trailing newline, as `echo` writes, is removed).
    #[arg(long, value_name = "PATH", conflicts_with = "secret_env")]
    pub secret_file: Option<String>,
    /// HMAC secret from this environment variable (its UTF-8 bytes).
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// The password of an encrypted private key file (`ENCRYPTED PRIVATE KEY`).
    #[command(flatten)]
    pub key_password: PasswordSource,
}

impl KeySource {
    /// Whether a key or a secret was given.
    pub fn given(&self) -> bool {
        self.key.is_some()
            || self.secret.is_some()
            || self.secret_b64.is_some()
            || self.secret_file.is_some()
            || self.secret_env.is_some()
    }
}

/// Where a password comes from: for the PBES2 algorithms, or for an encrypted private key file.
#[derive(Debug, Args, Default, Clone)]
pub struct PasswordSource {
    /// A password (PBES2, or an encrypted private key file). Visible to other users in the
    /// process list: prefer --password-file or --password-env.
    #[arg(long, value_name = "PW", allow_hyphen_values = true, conflicts_with_all = ["password_file", "password_env"])]
    pub password: Option<String>,
    /// The password from a file (its bytes; one trailing newline is removed).
    #[arg(long, value_name = "PATH", conflicts_with = "password_env")]
    pub password_file: Option<String>,
    /// The password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

/// How dates are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DateStyle {
    /// ISO 8601 in UTC.
    #[default]
    Utc,
    /// ISO 8601 in the local time zone.
    Local,
}

/// `tessera decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token (compact or JSON serialization), or `-` (or nothing) for stdin.
    pub token: Option<String>,
    /// Print `{"header", "payload", "signature"}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to show `exp`, `nbf`, `iat` and `auth_time`.
    #[arg(long, value_enum, default_value_t)]
    pub date: DateStyle,
    /// The current time as a Unix timestamp (default: now), for the "expires in" annotations.
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,
}

/// `tessera verify`.
#[derive(Debug, Args, Clone)]
pub struct VerifyArgs {
    /// The token, or `-` (or nothing) for stdin.
    pub token: Option<String>,
    /// Keys that verify signatures (never used to decrypt).
    #[command(flatten)]
    pub keys: KeySource,
    /// Verify with the JWK Set at this URL (https, or http on loopback), fetched with the
    /// guard's rules (size and time limits, no redirects to other hosts, coherence checks).
    #[arg(long, value_name = "URL", conflicts_with = "issuer_url")]
    pub jwks_url: Option<String>,
    /// Discover the JWK Set from this issuer's metadata (RFC 8414, then OpenID), whose
    /// `issuer` must match exactly; also requires `iss` to be this issuer.
    #[arg(long = "issuer", value_name = "URL")]
    pub issuer_url: Option<String>,
    /// Trust the CA certificates (PEM) in this file for --issuer and --jwks-url, besides the
    /// built-in roots and those of SSL_CERT_FILE / SSL_CERT_DIR: for an issuer whose
    /// certificate a private CA issued.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<String>,
    /// Private key(s) that decrypt a nested (or, with `--expect encrypted`, an encrypted) JWT:
    /// a file or `-`.
    #[arg(long, value_name = "SRC")]
    pub decrypt_key: Option<String>,
    /// Accepted algorithm; repeat for several. Given at all, it is the whole policy: a nested
    /// JWT then needs one JWS and one JWE key-management algorithm named. Default: from the
    /// keys (their `alg`, else their type's family).
    #[arg(long = "alg", value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
    pub algs: Vec<String>,
    /// Accepted issuer; repeat for several.
    #[arg(long = "iss", value_name = "ISS", allow_hyphen_values = true)]
    pub issuers: Vec<String>,
    /// Accepted audience; repeat for several. A token with `aud` is rejected without one.
    #[arg(long = "aud", value_name = "AUD", allow_hyphen_values = true)]
    pub audiences: Vec<String>,
    /// Required subject.
    #[arg(long, value_name = "SUB", allow_hyphen_values = true)]
    pub sub: Option<String>,
    /// Required `typ` (media type, `application/` optional, case-insensitive).
    #[arg(long, value_name = "TYP")]
    pub typ: Option<String>,
    /// Clock skew tolerated for `exp`, `nbf`, `iat` (`90s`, `15m`, `2h`, `7d`).
    #[arg(long, value_name = "DUR")]
    pub leeway: Option<String>,
    /// Reject tokens whose `iat` is older than this.
    #[arg(long, value_name = "DUR")]
    pub max_age: Option<String>,
    /// A claim that must be present; repeat for several.
    #[arg(long = "require", value_name = "CLAIM")]
    pub required: Vec<String>,
    /// Accept tokens without `exp` (required by default).
    #[arg(long)]
    pub allow_missing_exp: bool,
    /// Validate against this Unix time instead of the clock.
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,
    /// The kind of token expected (default: `signed`, or `nested` with `--decrypt-key`). The
    /// token never chooses: any other kind is rejected (`token_kind`). Encrypted-only JWTs are
    /// accepted only with `--expect encrypted`.
    #[arg(long, value_enum)]
    pub expect: Option<Expect>,
    /// The largest token read, in bytes (default 16 MiB, what `sign` and `jwe encrypt` write).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<usize>,
    /// With `--expect encrypted`: also accept JWTs encrypted with RSA-OAEP or ECDH-ES, which
    /// anyone holding the public key can make (they authenticate no sender).
    #[arg(long)]
    pub accept_unauthenticated_senders: bool,
    /// Accept a DPoP-bound token (`cnf.jkt`) on its signature and claims alone. Without it, a
    /// bound token is refused: whoever holds it must also prove the key (RFC 9449 §7), which
    /// `tessera dpop verify` checks.
    #[arg(long)]
    pub signature_only: bool,
    /// With --issuer: also check the token's `status` in the issuer's Token Status List
    /// (fetched from under the issuer and verified with its keys): a revoked token, or one
    /// without a status, is refused (exit 1); a list that cannot be had is an error (exit 2).
    #[arg(long, requires = "issuer_url")]
    pub check_status: bool,
    /// Print `{"valid": true, ...}` on success and `{"valid": false, "code", "message"}` on
    /// rejection.
    #[arg(long)]
    pub json: bool,
}

/// The kinds of JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expect {
    /// A JWS.
    Signed,
    /// A JWE whose plaintext is the claims.
    Encrypted,
    /// A JWS inside a JWE (`cty: JWT`).
    Nested,
}

/// `tessera sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Claims as JSON, `@file`, or `-` (or nothing) for stdin. What `decode --json` printed is
    /// accepted too (its `payload`, and its header's `typ`, `cty` and extra parameters).
    pub claims: Option<String>,
    /// The signing key.
    #[command(flatten)]
    pub keys: KeySource,
    /// The algorithm (default: the key's `alg`, or the only algorithm its type allows, such as
    /// EdDSA for an Ed25519 key; required for RSA keys and HMAC secrets).
    #[arg(long, value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
    pub alg: Option<String>,
    /// `kid` header (default: the JWK's `kid`).
    #[arg(long, value_name = "KID", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// `typ` header (default: `JWT`).
    #[arg(long, value_name = "TYP")]
    pub typ: Option<String>,
    /// Extra protected header parameters as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub header: Option<String>,
    /// `iss` claim.
    #[arg(long, value_name = "ISS", allow_hyphen_values = true)]
    pub iss: Option<String>,
    /// `sub` claim.
    #[arg(long, value_name = "SUB", allow_hyphen_values = true)]
    pub sub: Option<String>,
    /// `aud` claim; repeat for an array.
    #[arg(long = "aud", value_name = "AUD", allow_hyphen_values = true)]
    pub audiences: Vec<String>,
    /// `exp`: relative (`+15m`, `+1h30m`, `+2w`), a Unix time, or an RFC 3339 date
    /// (`2030-01-01T00:00:00Z`).
    #[arg(long, value_name = "+DUR|UNIX|DATE", allow_hyphen_values = true)]
    pub exp: Option<String>,
    /// `nbf`: relative (`+0s`, `-5m`), a Unix time, or an RFC 3339 date.
    #[arg(long, value_name = "+DUR|UNIX|DATE", allow_hyphen_values = true)]
    pub nbf: Option<String>,
    /// Do not add `iat` automatically (an `iat` in the claims is kept).
    #[arg(long)]
    pub no_iat: bool,
    /// The token is meant to have no `exp` (no warning).
    #[arg(long, conflicts_with = "exp")]
    pub no_exp: bool,
    /// `jti`: `auto` for a random one, or the value.
    #[arg(long, value_name = "auto|VALUE", allow_hyphen_values = true)]
    pub jti: Option<String>,
    /// A claim `name=value` (value parsed as JSON when it is JSON, else a string); repeatable.
    #[arg(short = 'P', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The current time as a Unix timestamp (default: now), for `iat` and relative times.
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,
}

/// Serializations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FormatArg {
    /// `header.payload.signature` / five parts for JWE.
    #[default]
    Compact,
    /// JSON with one signature or recipient at the top level.
    Flattened,
    /// JSON with `signatures` / `recipients` arrays.
    General,
}

/// `tessera jws`.
#[derive(Debug, Subcommand)]
pub enum JwsCommand {
    /// Sign any payload (repeat `--key`/`--alg` pairs for several signatures).
    Sign(JwsSignArgs),
    /// Verify a JWS of any serialization and print the payload bytes.
    Verify(JwsVerifyArgs),
}

/// `tessera jws sign`.
#[derive(Debug, Args)]
pub struct JwsSignArgs {
    /// The payload, `@file`, or `-` (or nothing) for stdin.
    pub payload: Option<String>,
    /// Signing key files (or `-`), one per signature, paired with `--alg` in order.
    #[arg(long = "key", value_name = "SRC")]
    pub keys: Vec<String>,
    /// HMAC secret as text (for a single HMAC signature). Visible to other users in the
    /// process list: prefer --secret-file or --secret-env.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true, conflicts_with_all = ["secret_b64", "secret_file", "secret_env"])]
    pub secret: Option<String>,
    /// HMAC secret as base64url (visible in the process list, as --secret).
    #[arg(long, value_name = "B64URL", allow_hyphen_values = true, conflicts_with_all = ["secret_file", "secret_env"])]
    pub secret_b64: Option<String>,
    /// HMAC secret from a file.
    #[arg(long, value_name = "PATH", conflicts_with = "secret_env")]
    pub secret_file: Option<String>,
    /// HMAC secret from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// The password of encrypted private key files.
    #[command(flatten)]
    pub key_password: PasswordSource,
    /// Algorithms, one per key, in order (default: each key's `alg`, or the only algorithm
    /// its type allows, such as EdDSA for an Ed25519 key).
    #[arg(long = "alg", value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
    pub algs: Vec<String>,
    /// The serialization.
    #[arg(long, value_enum, default_value_t)]
    pub format: FormatArg,
    /// Leave the payload out of the JWS (RFC 7515 App. F).
    #[arg(long)]
    pub detached: bool,
    /// Unencoded payload (RFC 7797, `b64: false`).
    #[arg(long)]
    pub unencoded: bool,
    /// Extra protected header parameters as a JSON object (for every signature).
    #[arg(long, value_name = "JSON")]
    pub header: Option<String>,
}

/// `tessera jws verify`.
#[derive(Debug, Args)]
pub struct JwsVerifyArgs {
    /// The JWS, or `-` (or nothing) for stdin.
    pub jws: Option<String>,
    /// The verification key(s).
    #[command(flatten)]
    pub keys: KeySource,
    /// Accepted algorithm; repeat for several (default: from the key).
    #[arg(long = "alg", value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
    pub algs: Vec<String>,
    /// The detached payload, from a file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub payload: Option<String>,
    /// The largest JWS read, in bytes (default 16 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<usize>,
    /// Print `{"valid", "payload", "signatures": [...]}`: each signature with its `alg`, `kid`
    /// and whether it verified (or why not).
    #[arg(long)]
    pub json: bool,
}

/// `tessera jwe`.
#[derive(Debug, Subcommand)]
pub enum JweCommand {
    /// Encrypt any plaintext.
    Encrypt(JweEncryptArgs),
    /// Decrypt a JWE of any serialization and print the plaintext bytes.
    Decrypt(JweDecryptArgs),
}

/// `tessera jwe encrypt`.
#[derive(Debug, Args)]
pub struct JweEncryptArgs {
    /// The plaintext, `@file`, or `-` (or nothing) for stdin.
    pub plaintext: Option<String>,
    /// A recipient's key (public, or the shared key for `dir`/AES key wrap); repeat for several
    /// recipients (general JSON), each with its own `--alg` in order.
    #[arg(long = "key", value_name = "SRC", required_unless_present_any = ["password", "password_file", "password_env"])]
    pub keys: Vec<String>,
    /// The password, for the PBES2 algorithms.
    #[command(flatten)]
    pub password: PasswordSource,
    /// The key-management algorithm, one per `--key` in order (default: the key's `alg`).
    #[arg(long = "alg", value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
    pub algs: Vec<String>,
    /// The content encryption.
    #[arg(long, value_name = "ENC", value_parser = completion::encs(), hide_possible_values = true)]
    pub enc: String,
    /// Compress with DEFLATE (`zip: DEF`).
    #[arg(long)]
    pub zip: bool,
    /// `cty` header (`JWT` to wrap a signed JWT as a nested JWT).
    #[arg(long, value_name = "CTY")]
    pub cty: Option<String>,
    /// `kid` header of a single recipient (default: the key's `kid`).
    #[arg(long, value_name = "KID", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// Additional authenticated data (JSON serializations only), `@file` for a file.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub aad: Option<String>,
    /// ECDH-ES agreement PartyUInfo (`apu`), as text.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub apu: Option<String>,
    /// ECDH-ES agreement PartyVInfo (`apv`), as text.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub apv: Option<String>,
    /// The serialization (several recipients need `general`).
    #[arg(long, value_enum, default_value_t)]
    pub format: FormatArg,
    /// The largest JWE written, in bytes (default 16 MiB, what `jwe decrypt` reads by default).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<usize>,
    /// With `--zip`: the largest plaintext, in bytes (default 16 MiB, what `jwe decrypt`
    /// decompresses by default).
    #[arg(long, value_name = "BYTES")]
    pub max_decompressed: Option<usize>,
}

/// `tessera jwe decrypt`.
#[derive(Debug, Args)]
pub struct JweDecryptArgs {
    /// The JWE, `@file`, or `-` (or nothing) for stdin.
    pub jwe: Option<String>,
    /// The private or shared key(s).
    #[arg(long, value_name = "SRC", required_unless_present_any = ["password", "password_file", "password_env"])]
    pub key: Option<String>,
    /// The password: for PBES2 without `--key`, or of an encrypted `--key` file.
    #[command(flatten)]
    pub password: PasswordSource,
    /// Also allow this algorithm, beside what the key allows (`RSA1_5`, or `dir`/AES key wrap
    /// for a key without `alg`); repeatable.
    #[arg(long = "allow-alg", value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
    pub allow_algs: Vec<String>,
    /// The largest JWE read, in bytes (default 16 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<usize>,
    /// The largest plaintext `zip: DEF` may decompress to, in bytes (default 16 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_decompressed: Option<usize>,
}

/// `tessera jwk`.
#[derive(Debug, Subcommand)]
pub enum JwkCommand {
    /// Generate a private key (printed as a JWK).
    Generate(JwkGenerateArgs),
    /// Print the public part of a key.
    Public {
        /// The key file, or `-`.
        src: String,
        /// The password of an encrypted private key file.
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Print a key's RFC 7638 thumbprint.
    Thumbprint {
        /// The key file, or `-`.
        src: String,
        /// The password of an encrypted private key file.
        #[command(flatten)]
        password: PasswordSource,
        /// The hash.
        #[arg(long, value_enum, default_value_t = HashArg::Sha256)]
        hash: HashArg,
        /// Print the RFC 9278 thumbprint URI.
        #[arg(long)]
        uri: bool,
    },
    /// Convert a key between JWK, JWK Set, PEM and DER (PKCS#8/SPKI, PKCS#1, SEC1).
    Convert {
        /// The key file, or `-`.
        src: String,
        /// The output format.
        #[arg(long, value_enum)]
        to: ConvertTo,
        /// Keep the private part (default: the public key only).
        #[arg(long)]
        private: bool,
        /// With `--to pem --private`: write an `ENCRYPTED PRIVATE KEY` (PKCS#8, PBES2 with
        /// PBKDF2-HMAC-SHA-256 and AES-256-CBC) under the password given.
        #[arg(long, requires = "private")]
        encrypt: bool,
        /// The password of an encrypted input key, and of the output with `--encrypt`.
        #[command(flatten)]
        password: PasswordSource,
        /// Set `kid` on the converted key.
        #[arg(long, value_name = "KID", allow_hyphen_values = true)]
        kid: Option<String>,
        /// Set `alg` on the converted key (checked to fit it).
        #[arg(long, value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
        alg: Option<String>,
        /// Set `use` on the converted key (`sig` or `enc`).
        #[arg(long = "use", value_name = "sig|enc")]
        key_use: Option<String>,
    },
}

/// Thumbprint hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HashArg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// `jwk convert` targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvertTo {
    /// A JWK.
    Jwk,
    /// PEM (SPKI for public keys, PKCS#8 for private ones).
    Pem,
    /// A JWK Set holding the key.
    Jwks,
    /// DER: PKCS#8 for private keys, SPKI for public ones (binary, to a file).
    Der,
    /// PEM in the traditional RSA form (`RSA PRIVATE KEY` / `RSA PUBLIC KEY`, PKCS#1).
    Pkcs1,
    /// PEM in the traditional EC form (`EC PRIVATE KEY`, SEC1); private EC keys only.
    Sec1,
}

/// `tessera jwk generate`.
#[derive(Debug, Args)]
pub struct JwkGenerateArgs {
    /// The algorithm the key is for (JWS or JWE); sets `alg`.
    #[arg(long, value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true, required_unless_present = "kty")]
    pub alg: Option<String>,
    /// Key type instead of `--alg`: `RSA`, `EC`, `OKP` or `oct`.
    #[arg(long, value_name = "KTY", value_parser = completion::names(&["RSA", "EC", "OKP", "oct"]), hide_possible_values = true, conflicts_with = "alg")]
    pub kty: Option<String>,
    /// Curve for `EC` (`P-256`, `P-384`, `P-521`, `secp256k1`) or `OKP` (`Ed25519`, `X25519`).
    #[arg(long, value_name = "CRV", value_parser = completion::names(&["P-256", "P-384", "P-521", "secp256k1", "Ed25519", "X25519"]), hide_possible_values = true)]
    pub crv: Option<String>,
    /// Size in bits for `RSA` (2048, 3072, 4096, 8192) or `oct`.
    #[arg(long, value_name = "BITS")]
    pub bits: Option<usize>,
    /// With `--alg dir`: the content encryption the key is for (sizes the key).
    #[arg(long, value_name = "ENC", value_parser = completion::encs(), hide_possible_values = true)]
    pub enc: Option<String>,
    /// `kid` (default: the RFC 7638 thumbprint).
    #[arg(long, value_name = "KID", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// `use`.
    #[arg(long = "use", value_name = "sig|enc")]
    pub key_use: Option<String>,
    /// `key_ops`, comma-separated.
    #[arg(long, value_name = "OPS", value_delimiter = ',')]
    pub key_ops: Vec<String>,
}

/// `tessera jwks`.
#[derive(Debug, Subcommand)]
pub enum JwksCommand {
    /// Add keys to a JWK Set file (created if absent); private keys are added as public ones
    /// unless `--private`.
    Add {
        /// The JWK Set file.
        file: String,
        /// Key files to add.
        #[arg(required = true)]
        src: Vec<String>,
        /// Keep private parts.
        #[arg(long)]
        private: bool,
        /// The password of encrypted private key files.
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Remove the keys with this `kid` (or this RFC 7638 SHA-256 thumbprint).
    Remove {
        /// The JWK Set file.
        file: String,
        /// The `kid`, or a key's thumbprint (for keys without `kid`).
        #[arg(long, allow_hyphen_values = true)]
        kid: String,
    },
    /// List the keys, one line each.
    List {
        /// The JWK Set file, or `-`.
        file: String,
        /// Print the keys as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Print the keys matching a query (as a JWK Set).
    Find {
        /// The JWK Set file, or `-`.
        file: String,
        /// `kid`.
        #[arg(long, allow_hyphen_values = true)]
        kid: Option<String>,
        /// An algorithm the key must allow.
        #[arg(long, value_parser = completion::algs(), hide_possible_values = true)]
        alg: Option<String>,
        /// `use`.
        #[arg(long = "use")]
        key_use: Option<String>,
        /// Key type.
        #[arg(long, value_parser = completion::names(&["RSA", "EC", "OKP", "oct", "AKP"]), hide_possible_values = true)]
        kty: Option<String>,
        /// Curve.
        #[arg(long, value_parser = completion::names(&["P-256", "P-384", "P-521", "secp256k1", "Ed25519", "X25519"]), hide_possible_values = true)]
        crv: Option<String>,
    },
}

/// `tessera alg`.
#[derive(Debug, Args)]
pub struct AlgArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Values offered by shell completion for free-text options (`--alg`, `--enc`, `--kty`,
/// `--crv`). Any text is accepted here: the commands check it and explain what is wrong
/// (`A256GCM` given as `--alg`, say) better than a list of possible values would.
mod completion {
    use clap::builder::{PossibleValue, TypedValueParser};

    #[derive(Clone)]
    pub struct Names(Vec<&'static str>);

    pub fn names(list: &[&'static str]) -> Names {
        Names(list.to_vec())
    }

    pub fn algs() -> Names {
        let mut v: Vec<&'static str> = tessera_jose::JwsAlg::ALL
            .into_iter()
            .filter(|a| a.is_supported())
            .map(tessera_jose::JwsAlg::name)
            .collect();
        v.extend(
            tessera_jose::JweAlg::ALL
                .into_iter()
                .map(tessera_jose::JweAlg::name),
        );
        Names(v)
    }

    pub fn encs() -> Names {
        Names(
            tessera_jose::Enc::ALL
                .into_iter()
                .map(tessera_jose::Enc::name)
                .collect(),
        )
    }

    impl TypedValueParser for Names {
        type Value = String;

        fn parse_ref(
            &self,
            cmd: &clap::Command,
            _arg: Option<&clap::Arg>,
            value: &std::ffi::OsStr,
        ) -> Result<String, clap::Error> {
            value
                .to_str()
                .map(str::to_owned)
                .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))
        }

        fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
            Some(Box::new(self.0.iter().map(|n| PossibleValue::new(*n))))
        }
    }
}

/// What a client that people sign in to is given (`client create` and `client update`; on an
/// update only what is given changes).
#[derive(Debug, Args, Default, Clone)]
pub struct PeopleFlags {
    /// The algorithm of its ID tokens (default RS256, OpenID Connect's; "" resets it); the
    /// service keeps a key chain for every algorithm a client registered.
    #[arg(long, value_name = "ALG")]
    pub id_token_alg: Option<String>,
    /// Subject identifiers: public (the same for every application) or pairwise (one per
    /// sector, so applications of different sectors cannot link a person).
    #[arg(long, value_name = "TYPE", value_parser = ["public", "pairwise"])]
    pub subject_type: Option<String>,
    /// The sector whose applications share pairwise subjects: a host, or an https URL of it
    /// (default: the one host of the redirect URIs; "" removes it).
    #[arg(long, value_name = "HOST")]
    pub sector_identifier: Option<String>,
    /// Its refresh-token families end after this long unused (default: the server's
    /// refresh_idle_ttl, 30d; 0s: the server's again).
    #[arg(long, value_name = "DUR")]
    pub refresh_idle_ttl: Option<String>,
    /// Its refresh-token families end this long after they began (default: the server's
    /// refresh_absolute_ttl, 90d; 0s: the server's again).
    #[arg(long, value_name = "DUR")]
    pub refresh_absolute_ttl: Option<String>,
    /// Every sign-in for it must reach this level: mfa (two factors) or phishing-resistant (a
    /// passkey among them); "" for none (the default).
    #[arg(long, value_name = "LEVEL")]
    pub require_acr: Option<String>,
}

/// Where the token service's configuration and store are: the same options for `serve`,
/// `client`, `keys` and `events`, so operators' commands work on the store of a running server.
#[derive(Debug, Args, Default, Clone)]
pub struct ServerOpts {
    /// A TOML configuration file (settings: see `tessera serve --help`; environment variables
    /// `TESSERA_<SETTING>` override it, flags override both).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Data folder: the SQLite database and the master key file (default ./tessera-data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// PostgreSQL instead of SQLite (postgres://...).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// `tessera debug`.
#[derive(Debug, Args)]
#[command(
    after_long_help = "The page and its API run in this process on a loopback address; the printed URL carries a random access key that every API call must present, so other local users and other web pages cannot use it. Secrets pasted into the page are used for one answer and never logged or stored. The same page is at /debugger on `tessera serve` (see its `debugger` setting)."
)]
pub struct DebugArgs {
    /// A token to open the page with: the text, `@file`, or `-` for stdin (it goes in the
    /// address's fragment, which the browser never sends anywhere).
    pub token: Option<String>,
    /// Port to listen on (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Listen on `[::1]` instead of 127.0.0.1.
    #[arg(long)]
    pub ipv6: bool,
    /// Print the URL without opening a browser.
    #[arg(long)]
    pub no_open: bool,
}

/// `tessera serve`.
#[derive(Debug, Args)]
#[command(after_long_help = serve_settings())]
pub struct ServeArgs {
    /// Store and configuration.
    #[command(flatten)]
    pub opts: ServerOpts,
    /// Address to bind (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The issuer URL (default http:// + the listen address).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Access token algorithm (ES256 default; ES384, EdDSA, RS256, PS256, ...).
    #[arg(long, value_name = "ALG")]
    pub signing_alg: Option<String>,
    /// TLS certificate chain (PEM): serve HTTPS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<String>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<String>,
    /// Log format: text or json.
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Any setting, as NAME=VALUE (repeatable); see the list below.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// The settings list shown by `tessera serve --help`, from the service's one table of them.
fn serve_settings() -> String {
    let mut out = String::from("Settings (TOML key, TESSERA_<KEY>, or --set key=value):\n");
    for s in tessera_server::config::SETTINGS {
        out.push_str(&format!("  {:<17} {}\n", s.name, s.help));
    }
    out.push_str(MASTER_KEY_HELP);
    out
}

/// How to make, keep, share and rotate the master key, for `serve --help`.
const MASTER_KEY_HELP: &str = "
The master key (32 bytes, base64url) protects the signing keys at rest and the client secret
hashes. The first `serve` (or `tessera init`) makes data_dir/master.key (mode 0600) unless
one is configured; make one yourself with
  head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='
Keep it out of flags: a file of mode 0600 (master_key_file, TESSERA_MASTER_KEY_FILE) or
TESSERA_MASTER_KEY. Every node and operator command on one store needs the same key (copy the
first node's file); the store records the key's check value and refuses any other.
To rotate it: stop every node, run `tessera rekey --new-master-key-file NEW` with the current
key configured as usual (NEW is made when missing), give every node the key in NEW, start them.
Client secrets keep working and are hashed under the new key at their next use.
";

/// `tessera client`.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an application; prints its client_id and secret (shown once).
    Create {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// A name for people.
        #[arg(long)]
        name: String,
        /// Scopes it may ask for, space-separated ("orders:read orders:write").
        #[arg(long, default_value = "")]
        scope: String,
        /// An audience of its tokens (RFC 8707 resource); repeat for several, the first is
        /// the default. Needed for client_credentials.
        #[arg(long = "audience")]
        audiences: Vec<String>,
        /// A public client: no secret (single-page and native apps, which use the
        /// authorization code grant with PKCE).
        #[arg(long)]
        public: bool,
        /// Where people are sent back after they grant access (repeat; matched exactly, a
        /// loopback http://127.0.0.1/… on any port). Implies --grant-type authorization_code.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// Where people may be sent after they sign out (repeat; matched exactly).
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// A grant type it may use: authorization_code, client_credentials (repeat; default:
        /// authorization_code with --redirect-uri, else client_credentials).
        #[arg(long = "grant-type", value_name = "GRANT")]
        grant_types: Vec<String>,
        /// The operator's own application: people are not asked to consent.
        #[arg(long)]
        first_party: bool,
        /// A browser origin whose scripts may call the token, userinfo, revocation, JWKS and
        /// discovery endpoints (CORS; repeat): a single-page app's `https://app.example`.
        #[arg(long = "web-origin", value_name = "ORIGIN")]
        web_origins: Vec<String>,
        /// Its authorization requests must be pushed first (RFC 9126, /oauth2/par).
        #[arg(long)]
        require_par: bool,
        /// Where it is told, with a logout token, that a person's session in which it got
        /// tokens ended (OpenID Connect Back-Channel Logout).
        #[arg(long, value_name = "URI")]
        backchannel_logout_uri: Option<String>,
        /// A userinfo claim rule, applied in order (repeat): rename:FROM=TO, add:NAME (a
        /// custom attribute, or groups), drop:NAME.
        #[arg(long = "claim", value_name = "RULE")]
        claim_map: Vec<String>,
        /// Its ID tokens, subjects and refresh-token lifetimes.
        #[command(flatten)]
        people: PeopleFlags,
        /// Access token lifetime (default: the server's token_ttl).
        #[arg(long, value_name = "DUR")]
        token_ttl: Option<String>,
        /// Its access tokens must be DPoP-bound: token requests without a DPoP proof are
        /// refused (RFC 9449 §5.2).
        #[arg(long)]
        dpop_bound: bool,
        /// It may introspect tokens (RFC 7662), those whose audience is one of its own: for
        /// the API services that check tokens at /oauth2/introspect.
        #[arg(long)]
        introspect: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the applications.
    List {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one application.
    Show {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
    },
    /// Change an application's name, scopes, audiences or token lifetime. Only the fields
    /// given change: a change another operator made meanwhile is kept (the store refuses a
    /// write from a stale read, and this one is applied again on top of theirs).
    Update {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New scopes (space-separated).
        #[arg(long)]
        scope: Option<String>,
        /// New audiences (repeat).
        #[arg(long = "audience")]
        audiences: Vec<String>,
        /// New token lifetime.
        #[arg(long, value_name = "DUR")]
        token_ttl: Option<String>,
        /// Whether its access tokens must be DPoP-bound.
        #[arg(long, value_name = "BOOL")]
        dpop_bound: Option<bool>,
        /// Whether it may introspect tokens meant for its audiences.
        #[arg(long, value_name = "BOOL")]
        introspect: Option<bool>,
        /// New redirect URIs (repeat; replaces them all).
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// New post-logout redirect URIs (repeat; replaces them all).
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// New grant types (repeat; replaces them all).
        #[arg(long = "grant-type", value_name = "GRANT")]
        grant_types: Vec<String>,
        /// Whether it is the operator's own application (no consent asked).
        #[arg(long, value_name = "BOOL")]
        first_party: Option<bool>,
        /// New web origins (repeat; replaces them all).
        #[arg(long = "web-origin", value_name = "ORIGIN")]
        web_origins: Vec<String>,
        /// Whether its authorization requests must be pushed first (RFC 9126).
        #[arg(long, value_name = "BOOL")]
        require_par: Option<bool>,
        /// New back-channel logout URI ("" removes it).
        #[arg(long, value_name = "URI")]
        backchannel_logout_uri: Option<String>,
        /// New userinfo claim rules (repeat; replaces them all; --claim "" removes them).
        #[arg(long = "claim", value_name = "RULE")]
        claim_map: Vec<String>,
        /// Its ID tokens, subjects and refresh-token lifetimes.
        #[command(flatten)]
        people: PeopleFlags,
    },
    /// The application's live grants (refresh-token families): person, scopes, since, until.
    Grants {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop issuing tokens to an application (its tokens introspect inactive).
    Disable {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
    },
    /// Issue tokens to it again.
    Enable {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
    },
    /// Delete an application.
    Delete {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
    },
    /// A new secret; the old one stays valid for the grace period.
    RotateSecret {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
        /// How long the old secret keeps working (default 0: at once).
        #[arg(long, value_name = "DUR")]
        grace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every token issued to the application until now becomes inactive.
    RevokeTokens {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The client_id.
        id: String,
    },
}

/// `tessera keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the signing keys and their states.
    List {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make the next key current now (it must have been published for the JWKS max-age), or
    /// change the store's signing algorithm with --alg.
    Rotate {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Rotate even if verifiers may not have the next key yet.
        #[arg(long)]
        force: bool,
        /// Change the signing algorithm of every node of the store: a next key of this
        /// algorithm is published now and signs once it has been published for the JWKS
        /// max-age (at once with --force).
        #[arg(long, value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
        alg: Option<String>,
    },
    /// Remove a previous key from the JWKS now.
    Retire {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The kid (a thumbprint, which may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        kid: String,
        /// Retire it even though tokens it signed are still valid (they stop verifying).
        #[arg(long)]
        force: bool,
    },
}

/// `tessera events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Store and configuration.
    #[command(flatten)]
    pub opts: ServerOpts,
    /// Events from this long ago (`24h`) or this Unix time (default: the last 24 hours).
    #[arg(long, value_name = "DUR|UNIX")]
    pub since: Option<String>,
    /// Only the events of this user (username or subject id).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// A new password for an account: from a file, an environment variable, or typed at a prompt
/// (never a plain argument: the process list would show it).
#[derive(Debug, Args, Default, Clone)]
pub struct NewPassword {
    /// The password from a file (one trailing newline is removed).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["password_env", "no_password"])]
    pub password_file: Option<String>,
    /// The password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "no_password")]
    pub password_env: Option<String>,
    /// No password (a passkey or a reset link later).
    #[arg(long)]
    pub no_password: bool,
}

/// Attributes and groups of an account.
#[derive(Debug, Args, Default, Clone)]
pub struct UserFields {
    /// Email address (the `email` claim).
    #[arg(long, value_name = "EMAIL", allow_hyphen_values = true)]
    pub email: Option<String>,
    /// Full name (the `name` claim).
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// An attribute: KEY=VALUE (text; `true`/`false` for email_verified and
    /// phone_number_verified) or KEY:=JSON; repeat for several. Standard claims (given_name,
    /// locale, address, ...) are checked for their type; other names are custom attributes.
    #[arg(long = "attr", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub attrs: Vec<String>,
    /// A group; repeat for several.
    #[arg(long = "group", value_name = "GROUP", allow_hyphen_values = true)]
    pub groups: Vec<String>,
}

/// `tessera user`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password: --password-file, --password-env, a prompt on a
    /// terminal, or --no-password.
    Create {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The username (unique after case folding and Unicode normalization, shown as
        /// entered).
        #[arg(allow_hyphen_values = true)]
        username: String,
        /// Attributes and groups.
        #[command(flatten)]
        fields: UserFields,
        /// The password.
        #[command(flatten)]
        password: NewPassword,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the accounts.
    List {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Show an account (by username or subject id).
    Show {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Username or subject id.
        #[arg(allow_hyphen_values = true)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an account's username, attributes or groups.
    Update {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Username or subject id.
        #[arg(allow_hyphen_values = true)]
        user: String,
        /// A new username.
        #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
        username: Option<String>,
        /// Attributes to set and groups to join.
        #[command(flatten)]
        fields: UserFields,
        /// An attribute to remove; repeat for several.
        #[arg(long = "remove-attr", value_name = "KEY")]
        remove_attrs: Vec<String>,
        /// A group to leave; repeat for several.
        #[arg(
            long = "remove-group",
            value_name = "GROUP",
            allow_hyphen_values = true
        )]
        remove_groups: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set (or with --no-password remove) an account's password.
    SetPassword {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Username or subject id.
        #[arg(allow_hyphen_values = true)]
        user: String,
        /// The password.
        #[command(flatten)]
        password: NewPassword,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it cannot sign in, and its sessions and tokens end at once.
    Disable(UserTarget),
    /// Enable an account again.
    Enable(UserTarget),
    /// End every session and token of the user, on every node, at once.
    Logout(UserTarget),
    /// Print a one-time link with which the user registers a passkey (an account without a
    /// password gets its first way to sign in).
    Invite {
        /// Which account.
        #[command(flatten)]
        target: UserTarget,
        /// How long the link works (default 24h, at most 30d).
        #[arg(long, value_name = "DUR", default_value = "24h")]
        ttl: String,
    },
    /// Remove every second factor of the user (authenticator app, passkeys, recovery codes)
    /// and end their sessions: for someone who lost their devices.
    ResetMfa(UserTarget),
    /// Require a second factor of the user at every sign-in (`--off` to stop requiring it).
    RequireMfa {
        /// Which account.
        #[command(flatten)]
        target: UserTarget,
        /// No longer require it.
        #[arg(long)]
        off: bool,
    },
    /// Delete an account (the audit log keeps its subject id only).
    Delete(UserTarget),
    /// The applications a person gave access to.
    Consents(UserTarget),
    /// The applications that can refresh this person's access (live refresh-token families).
    Grants(UserTarget),
    /// Revoke a grant (`user grants` or `client grants` name it): every refresh token of its
    /// family, and its access tokens at introspection.
    RevokeGrant {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The grant id.
        grant_id: String,
    },
    /// Remove a person's consent to an application: it must ask again, and its tokens for
    /// the person end at once.
    RevokeConsent {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// Username or subject id.
        #[arg(allow_hyphen_values = true)]
        user: String,
        /// The application's client_id.
        client_id: String,
    },
    /// Import accounts from JSON lines (username, password_hash in PHC form, sub, groups,
    /// enabled, standard claims, attributes): all or nothing.
    Import {
        /// Store and configuration.
        #[command(flatten)]
        opts: ServerOpts,
        /// The file (`-` for stdin).
        file: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// An account to act on.
#[derive(Debug, Args)]
pub struct UserTarget {
    /// Store and configuration.
    #[command(flatten)]
    pub opts: ServerOpts,
    /// Username or subject id.
    #[arg(allow_hyphen_values = true)]
    pub user: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tessera migrate` and `tessera init`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Store and configuration.
    #[command(flatten)]
    pub opts: ServerOpts,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tessera rekey`.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// Store and configuration (with the current master key).
    #[command(flatten)]
    pub opts: ServerOpts,
    /// The new master key: a file of mode 0600 holding base64url of 32 bytes, made there when
    /// it does not exist.
    #[arg(long, value_name = "FILE")]
    pub new_master_key_file: std::path::PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tessera dpop`.
#[derive(Debug, Subcommand)]
pub enum DpopCommand {
    /// Make a proof for one request.
    Proof {
        /// The private key (asymmetric).
        #[arg(long, value_name = "SRC")]
        key: String,
        /// The algorithm (default: the key's own).
        #[arg(long, value_name = "ALG", value_parser = completion::algs(), hide_possible_values = true)]
        alg: Option<String>,
        /// The request's method.
        #[arg(long, value_name = "METHOD")]
        htm: String,
        /// The request's URI.
        #[arg(long, value_name = "URI")]
        htu: String,
        /// The access token sent with the request (adds `ath`).
        #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
        access_token: Option<String>,
        /// The nonce the server gave.
        #[arg(long, value_name = "NONCE", allow_hyphen_values = true)]
        nonce: Option<String>,
        /// The password of an encrypted key file.
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Check a proof against a request; prints its claims and key thumbprint (`jkt`).
    Verify {
        /// The proof, `@file`, or `-` (or nothing) for stdin.
        proof: Option<String>,
        /// The request's method.
        #[arg(long, value_name = "METHOD")]
        htm: String,
        /// The request's URI.
        #[arg(long, value_name = "URI")]
        htu: String,
        /// The access token sent with it (`ath` must match).
        #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
        access_token: Option<String>,
        /// The thumbprint the token is bound to (`cnf.jkt`).
        #[arg(long, value_name = "THUMBPRINT", allow_hyphen_values = true)]
        jkt: Option<String>,
        /// The nonce the server requires.
        #[arg(long, value_name = "NONCE", allow_hyphen_values = true)]
        nonce: Option<String>,
        /// How old a proof may be (default 60s).
        #[arg(long, value_name = "DUR")]
        max_age: Option<String>,
        /// Check against this Unix time instead of the clock.
        #[arg(long, value_name = "UNIX")]
        now: Option<i64>,
        /// Print `{"valid", ...}` JSON, also on rejection.
        #[arg(long)]
        json: bool,
    },
}
