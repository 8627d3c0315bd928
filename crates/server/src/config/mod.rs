//! Configuration: one table of settings, read from a TOML file, `TESSERA_*` environment
//! variables and command-line flags (flags win over the environment, which wins over the file).
//! Every value is parsed by the same code whatever its source, and a bad value is an error that
//! names the setting and where it came from.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tessera_jose::JwsAlg;

use crate::error::ConfigError;

/// `TESSERA_*` variables of Tessera's own test harness, not settings.
const HARNESS: [&str; 3] = ["TESSERA_REQUIRE_", "TESSERA_TEST_", "TESSERA_JOSE_DIR"];

mod duration;
mod settings;
mod values;

pub use duration::duration;
pub use settings::{SETTINGS, Setting};

/// The effective configuration.
#[derive(Clone)]
pub struct Config {
    /// Address to bind.
    pub listen: SocketAddr,
    /// The issuer (`iss`), without a trailing slash.
    pub issuer: String,
    /// Data folder (SQLite database, master key file).
    pub data_dir: PathBuf,
    /// PostgreSQL URL; SQLite in `data_dir` when absent.
    pub database_url: Option<String>,
    /// The master key given directly (else read from or created in `data_dir`).
    pub master_key: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// Where `master_key` came from (`TESSERA_MASTER_KEY`, `master_key_file /path`, ...), for
    /// messages.
    pub master_key_source: Option<String>,
    /// Algorithm of the signing keys, when set: it must be the store's (`tessera keys rotate
    /// --alg` changes a store's). Unset: the store's, or ES256 for a new store.
    pub signing_alg: Option<JwsAlg>,
    /// Default token lifetime of new clients.
    pub token_ttl: Duration,
    /// Upper bound of any client's token lifetime (drives how long retired keys stay published).
    pub max_token_ttl: Duration,
    /// JWKS `Cache-Control: max-age`.
    pub jwks_max_age: Duration,
    /// Signing key rotation period.
    pub rotation_period: Duration,
    /// TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Log as JSON lines.
    pub log_json: bool,
    /// Largest request body.
    pub max_body: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Concurrent requests.
    pub max_concurrency: usize,
    /// Longest wait for a request slot (then 503 with `Retry-After`).
    pub queue_timeout: Duration,
    /// Open connections at once.
    pub max_connections: usize,
    /// Open connections at once from one IP address.
    pub max_connections_per_peer: usize,
    /// Longest TLS handshake.
    pub handshake_timeout: Duration,
    /// Reverse proxies whose forwarded header names the client (for the sign-in throttle,
    /// sessions and audit events).
    pub trusted_proxies: crate::proxy::TrustedProxies,
    /// Change polling interval.
    pub poll_interval: Duration,
    /// Added to every key life-cycle wait.
    pub key_margin: Duration,
    /// The debugger page at `/debugger`: `Some` when set explicitly, `None` for "on only for a
    /// loopback issuer" (see [`Config::debugger_enabled`]).
    pub debugger: Option<bool>,
    /// Label grant metrics by client id (one label per client: off by default).
    pub metrics_client_labels: bool,
    /// Where `/metrics` is served (see [`Config::metrics_at`]).
    pub metrics_listen: MetricsListen,
    /// Whether people may delete their own account from `/account`.
    pub account_deletion: bool,
    /// A browser session ends after this long unused.
    pub session_idle: Duration,
    /// A browser session ends this long after sign-in, used or not.
    pub session_lifetime: Duration,
    /// A refresh-token family ends after this long unused (per client: `--refresh-idle-ttl`).
    pub refresh_idle_ttl: Duration,
    /// A refresh-token family ends this long after it began, used or not (per client:
    /// `--refresh-absolute-ttl`).
    pub refresh_absolute_ttl: Duration,
    /// A rotated refresh token presented again within this window (a retry, a second tab) is
    /// answered with the family's live token instead of being taken for theft.
    pub refresh_grace: Duration,
    /// Whether access tokens carry a `status` claim into a published Token Status List
    /// (on by default): APIs that check it see a revocation within `status_list_ttl`.
    pub status_lists: bool,
    /// How long an API may cache a status list token (its `ttl` and `max-age`).
    pub status_list_ttl: Duration,
    /// What the consent page says a scope lets an application do (scope → words).
    pub scope_descriptions: std::collections::BTreeMap<String, String>,
    /// The names (`acr` values) of the three authentication levels: a password or passkey
    /// alone, two factors, and phishing-resistant (a passkey).
    pub acr_names: crate::users::auth::AcrNames,
    /// How long a step-up's higher level lasts before the session falls back to its sign-in's.
    pub step_up_ttl: Duration,
    /// How recent a sign-in (or step-up) must be to change how one signs in on `/account`
    /// (add or remove an authenticator app or passkey, make new recovery codes).
    pub reauth_window: Duration,
    /// Who is asked for a second factor at every sign-in: everyone who enrolled one
    /// (`enrolled`, the default) or only those the operator requires it of (`required`; the
    /// others add it when an application asks for a higher level).
    pub mfa_at_sign_in: crate::users::auth::MfaAtSignIn,
    /// Argon2id parameters of new password hashes (older hashes keep working and are
    /// replaced at the next sign-in).
    pub argon2: crate::users::Argon2Params,
    /// Whether `issuer` was set explicitly.
    issuer_set: bool,
    /// Secrets that were given as command-line flags (visible to every user of the machine
    /// in the process list): warned about at start.
    secret_flags: Vec<&'static str>,
    /// `TESSERA_*` variables that name no setting (a typo loses a setting silently otherwise):
    /// warned about at start.
    unknown_env: Vec<String>,
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.to_toml())
    }
}

impl Default for Config {
    fn default() -> Self {
        let listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
        Self {
            listen,
            issuer: format!("http://{listen}"),
            data_dir: PathBuf::from("tessera-data"),
            database_url: None,
            master_key: None,
            master_key_source: None,
            signing_alg: None,
            token_ttl: Duration::from_secs(900),
            max_token_ttl: Duration::from_secs(3600),
            jwks_max_age: Duration::from_secs(300),
            rotation_period: Duration::from_secs(30 * 86_400),
            tls_cert: None,
            tls_key: None,
            log_json: false,
            max_body: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            max_concurrency: 1024,
            queue_timeout: Duration::from_secs(2),
            max_connections: 8192,
            max_connections_per_peer: 1024,
            handshake_timeout: Duration::from_secs(10),
            trusted_proxies: crate::proxy::TrustedProxies::default(),
            poll_interval: Duration::from_millis(500),
            key_margin: Duration::from_secs(60),
            debugger: None,
            metrics_client_labels: false,
            metrics_listen: MetricsListen::Auto,
            argon2: crate::users::Argon2Params::default(),
            account_deletion: false,
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(10 * 3600),
            refresh_idle_ttl: Duration::from_secs(30 * 86_400),
            refresh_absolute_ttl: Duration::from_secs(90 * 86_400),
            refresh_grace: Duration::from_secs(10),
            status_lists: true,
            status_list_ttl: Duration::from_secs(10),
            scope_descriptions: std::collections::BTreeMap::new(),
            acr_names: crate::users::auth::AcrNames::default(),
            step_up_ttl: Duration::from_secs(15 * 60),
            reauth_window: Duration::from_secs(15 * 60),
            mfa_at_sign_in: crate::users::auth::MfaAtSignIn::Enrolled,
            issuer_set: false,
            secret_flags: Vec::new(),
            unknown_env: Vec::new(),
        }
    }
}

/// Where `/metrics` is served, as configured (`metrics_listen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    /// On the main listener when it is loopback, else on [`DEFAULT_METRICS_LISTEN`].
    Auto,
    /// On the main listener, whatever its address.
    Main,
    /// On a listener of its own.
    At(std::net::SocketAddr),
    /// Not served.
    Off,
}

/// Where `/metrics` goes by default when the service listens beyond loopback: a loopback
/// listener of its own (9464, the Prometheus exporters' customary port), so a public address
/// does not publish the service's counters.
pub const DEFAULT_METRICS_LISTEN: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

impl Config {
    /// Where `/metrics` is served: [`MetricsListen::Main`], [`MetricsListen::At`] or
    /// [`MetricsListen::Off`] (never `Auto`).
    #[must_use]
    pub fn metrics_at(&self) -> MetricsListen {
        match self.metrics_listen {
            MetricsListen::Auto if self.listen.ip().is_loopback() => MetricsListen::Main,
            MetricsListen::Auto => MetricsListen::At(DEFAULT_METRICS_LISTEN),
            other => other,
        }
    }
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The TOML file.
    File,
    /// A `TESSERA_*` variable.
    Env,
    /// A command-line flag.
    Flag,
}

impl Source {
    fn describe(self, name: &str) -> String {
        match self {
            Self::File => format!("`{name}` in the config file"),
            Self::Env => format!("TESSERA_{}", name.to_uppercase()),
            Self::Flag => format!("--{}", name.replace('_', "-")),
        }
    }
}

impl Config {
    /// Builds the configuration from the file's text (if any), the environment and flags, in
    /// that order of precedence (lowest first), then checks it as a whole.
    ///
    /// # Errors
    /// [`ConfigError`] naming the setting and its source.
    pub fn load(
        file: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let mut c = Self::default();
        if let Some(text) = file {
            let table: toml::Table = text
                .parse()
                .map_err(|e: toml::de::Error| ConfigError(format!("the config file: {e}")))?;
            for (key, value) in table {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => {
                        return Err(ConfigError(format!(
                            "`{key}` in the config file: expected a string or number, got {}",
                            other.type_str()
                        )));
                    }
                };
                c.set(&key, &text, Source::File)?;
            }
        }
        for (key, value) in env {
            if let Some(name) = key.strip_prefix("TESSERA_") {
                let name = name.to_lowercase();
                if settings::find(&name).is_some() {
                    c.set(&name, &value, Source::Env)?;
                } else if !HARNESS.iter().any(|h| key.starts_with(h)) {
                    c.unknown_env.push(key.clone());
                }
            }
        }
        for (name, value) in flags {
            c.set(name, value, Source::Flag)?;
        }
        c.check()?;
        Ok(c)
    }

    /// Sets one setting from its text form.
    ///
    /// # Errors
    /// [`ConfigError`] for an unknown setting or a bad value, naming the setting and its source.
    pub fn set(&mut self, name: &str, value: &str, source: Source) -> Result<(), ConfigError> {
        let setting = settings::find(name).ok_or_else(|| {
            ConfigError(format!(
                "{}: unknown setting (see `tessera serve --help`)",
                source.describe(name)
            ))
        })?;
        (setting.set)(self, value, source)
            .map_err(|why| ConfigError(format!("{}: {why}", source.describe(name))))
    }

    fn check(&mut self) -> Result<(), ConfigError> {
        if !self.issuer_set {
            let scheme = if self.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            self.issuer = format!("{scheme}://{}", self.listen);
        }
        if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://")) {
            return Err(ConfigError(
                "issuer: expected an http:// or https:// URL".into(),
            ));
        }
        if self.issuer.contains(['?', '#']) {
            return Err(ConfigError(
                "issuer: no query or fragment (RFC 8414 §2)".into(),
            ));
        }
        // The endpoints are served under the issuer's path: a path of plain segments.
        let path = crate::paths::split_issuer(&self.issuer).1;
        let plain = path.split('/').skip(1).all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        });
        if !plain {
            return Err(ConfigError(format!(
                "issuer: its path `{}` must be plain segments (letters, digits, - . _ ~) separated by single slashes: the endpoints are served under it",
                tessera_jose::error::escaped(path)
            )));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError(
                "tls_cert and tls_key: give both or neither".into(),
            ));
        }
        if self.token_ttl > self.max_token_ttl {
            return Err(ConfigError("token_ttl: longer than max_token_ttl".into()));
        }
        if self.token_ttl.as_secs() == 0 || self.jwks_max_age.as_secs() == 0 {
            return Err(ConfigError(
                "token_ttl and jwks_max_age: must be at least 1s".into(),
            ));
        }
        if self.key_margin < self.poll_interval * 2 {
            return Err(ConfigError(
                "key_margin: must be at least twice poll_interval (every node must see a key change within it)".into(),
            ));
        }
        if self.rotation_period < self.jwks_max_age * 2 {
            return Err(ConfigError(
                "rotation_period: must be at least twice jwks_max_age (a new key is published a max-age before it signs)".into(),
            ));
        }
        Ok(())
    }

    /// Warnings about how the configuration was given: secrets passed as command-line flags
    /// (every user of the machine can read a process's arguments), and `TESSERA_*` variables
    /// that name no setting (with the closest one's name).
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .secret_flags
            .iter()
            .map(|name| {
                format!(
                    "--{} puts a secret in the process list: use {name}_file or TESSERA_{} instead",
                    name.replace('_', "-"),
                    name.to_uppercase()
                )
            })
            .collect();
        for var in &self.unknown_env {
            let shown = tessera_jose::error::escaped(var);
            out.push(
                match settings::closest(&var["TESSERA_".len()..].to_lowercase()) {
                    Some(s) => format!(
                        "{shown} is not a setting: did you mean TESSERA_{}?",
                        s.to_uppercase()
                    ),
                    None => format!("{shown} is not a setting (see `tessera serve --help`)"),
                },
            );
        }
        out
    }

    /// Whether the issuer is neither https nor on a loopback address (worth a warning).
    #[must_use]
    pub fn issuer_is_insecure(&self) -> bool {
        self.issuer.starts_with("http://") && !self.issuer_is_loopback()
    }

    /// Whether the debugger page is served: as set, else only when the service is reachable
    /// from this machine alone: it listens on a loopback address and its issuer is loopback (a
    /// developer's own machine). The issuer's name alone says nothing about who can connect.
    #[must_use]
    pub fn debugger_enabled(&self) -> bool {
        self.debugger
            .unwrap_or_else(|| self.issuer_is_loopback() && self.listen.ip().is_loopback())
    }

    /// The issuer's authority (`host[:port]`, without the scheme's default port), the `Host`
    /// its own pages are reached at.
    #[must_use]
    pub fn issuer_authority(&self) -> &str {
        let (rest, default_port) = match self.issuer.strip_prefix("https://") {
            Some(r) => (r, ":443"),
            None => (
                self.issuer.strip_prefix("http://").unwrap_or(&self.issuer),
                ":80",
            ),
        };
        let authority = rest.split('/').next().unwrap_or_default();
        authority.strip_suffix(default_port).unwrap_or(authority)
    }

    /// Whether the issuer is the default one (`http://` + the listen address), not set.
    #[must_use]
    pub fn issuer_is_default(&self) -> bool {
        !self.issuer_set
    }

    /// Whether the issuer's host is `localhost` or a loopback address (127/8, `[::1]`).
    #[must_use]
    pub fn issuer_is_loopback(&self) -> bool {
        // `check` made the issuer an http(s) URL.
        loopback_authority(self.issuer_authority())
    }

    /// The effective configuration as TOML, secrets redacted.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        for setting in SETTINGS {
            if let Some(v) = (setting.show)(self) {
                out.push_str(&format!(
                    "{} = {}
",
                    setting.name,
                    toml::Value::String(v)
                ));
            }
        }
        out
    }
}

/// Whether an authority (`host[:port]`, a URL's or a `Host` header's) names a loopback host:
/// the debugger's check, one for the whole service.
pub use tessera_debugger::loopback_authority;

#[cfg(test)]
mod tests {
    use super::values::redact_url;
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn one_duration_grammar() {
        let ok = |t: &str| duration(t).ok();
        assert_eq!(ok("90s"), Some(Duration::from_secs(90)));
        assert_eq!(ok("15m"), Some(Duration::from_secs(900)));
        assert_eq!(ok("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(ok("30d"), Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(ok("2w"), Some(Duration::from_secs(1_209_600)));
        assert_eq!(ok("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(ok("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(ok("1m500ms"), Some(Duration::from_millis(60_500)));
        assert_eq!(ok(" 42 "), Some(Duration::from_secs(42)));
        for bad in [
            "",
            "m",
            "1y",
            "-5m",
            "1.5h",
            "99999999999999999999d",
            "1h30",
            "5 m",
            "ms",
        ] {
            let e = duration(bad).unwrap_err();
            assert!(e.contains("duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn flags_win_over_env_over_file() {
        let file = "listen = \"127.0.0.1:9000\"\ntoken_ttl = \"5m\"\nsigning_alg = \"EdDSA\"\n";
        let c = Config::load(
            Some(file),
            env(&[
                ("TESSERA_TOKEN_TTL", "10m"),
                ("TESSERA_SIGNING_ALG", "ES384"),
                ("HOME", "/x"),
            ]),
            &[("signing_alg".into(), "PS256".into())],
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.issuer, "http://127.0.0.1:9000");
        assert_eq!(c.token_ttl, Duration::from_secs(600));
        assert_eq!(c.signing_alg, Some(JwsAlg::PS256));
    }

    /// Every setting `set` accepts is in the table (which drives the environment and the help).
    #[test]
    fn every_setting_is_in_the_table() {
        let mut c = Config::default();
        for Setting { name, .. } in SETTINGS {
            let err = c
                .set(name, "", Source::Flag)
                .err()
                .map(|e| e.0)
                .unwrap_or_default();
            assert!(!err.contains("unknown setting"), "{name}");
        }
        let known = |n: &str| SETTINGS.iter().any(|s| s.name == n);
        let printed = Config::load(None, Vec::new(), &[]).unwrap().to_toml();
        for line in printed.lines() {
            let name = line.split(' ').next().unwrap();
            assert!(known(name), "{name} is printed but not in SETTINGS");
        }
        let c = Config::load(None, env(&[("TESSERA_KEY_MARGIN", "5s")]), &[]).unwrap();
        assert_eq!(c.key_margin, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_name_the_setting_and_source() {
        let e = Config::load(None, env(&[("TESSERA_TOKEN_TTL", "soon")]), &[]).unwrap_err();
        assert!(e.0.contains("TESSERA_TOKEN_TTL"), "{e}");
        let e = Config::load(Some("colour = \"red\""), env(&[]), &[]).unwrap_err();
        assert!(e.0.contains("`colour`") && e.0.contains("unknown"), "{e}");
        let e =
            Config::load(None, env(&[]), &[("signing_alg".into(), "HS256".into())]).unwrap_err();
        assert!(e.0.contains("--signing-alg"), "{e}");
        let e = Config::load(None, env(&[]), &[("tls_cert".into(), "c.pem".into())]).unwrap_err();
        assert!(e.0.contains("tls_key"), "{e}");
    }

    #[test]
    fn printed_config_redacts_secrets() {
        let c = Config::load(
            None,
            env(&[("TESSERA_MASTER_KEY", &tessera_jose::b64::encode([7u8; 32]))]),
            &[(
                "database_url".into(),
                "postgres://app:hunter2@db/tessera".into(),
            )],
        )
        .unwrap();
        let text = c.to_toml();
        assert!(
            !text.contains("hunter2") && text.contains("<redacted>"),
            "{text}"
        );
        assert!(!text.contains(&tessera_jose::b64::encode([7u8; 32])));
        assert!(text.parse::<toml::Table>().is_ok());
        // Passwords in the query string too, whatever the parameter's case.
        for url in [
            "postgres://app@db/tessera?password=hunter2",
            "postgres://db/tessera?sslmode=require&PASSWORD=hunter2&sslpassword=hunter2",
            "postgresql://app:hunter2@db:5432/t?application_name=x",
        ] {
            let r = redact_url(url);
            assert!(!r.contains("hunter2") && r.contains("<redacted>"), "{r}");
        }
        assert_eq!(
            redact_url("postgres://db/t?sslmode=require"),
            "postgres://db/t?sslmode=require"
        );
        // No warning for the master key from the environment; one for the password in the
        // --database-url flag (and never the password itself).
        let w = c.warnings();
        assert!(w.len() == 1 && w[0].contains("--database-url"), "{w:?}");
        assert!(!w[0].contains("hunter2"));
        let flags = Config::load(
            None,
            env(&[]),
            &[
                ("master_key".into(), tessera_jose::b64::encode([7u8; 32])),
                (
                    "database_url".into(),
                    "postgres://db/t?password=hunter2".into(),
                ),
            ],
        )
        .unwrap();
        let w = flags.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("--master-key") && w[0].contains("master_key_file"));
        assert!(w.iter().all(|w| !w.contains("hunter2")));
        let plain = Config::load(
            None,
            env(&[]),
            &[("database_url".into(), "postgres://db/t".into())],
        )
        .unwrap();
        assert!(plain.warnings().is_empty());
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("master.key");
        let url = dir.path().join("db.url");
        std::fs::write(&key, tessera_jose::b64::encode([9u8; 32]) + "\n").unwrap();
        std::fs::write(&url, "postgres://app:hunter2@db/t\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let flags = [
            ("master_key_file".to_owned(), key.display().to_string()),
            ("database_url_file".to_owned(), url.display().to_string()),
        ];
        let c = Config::load(None, env(&[]), &flags).unwrap();
        assert_eq!(
            c.master_key.as_deref().map(Vec::as_slice),
            Some(&[9u8; 32][..])
        );
        assert_eq!(
            c.database_url.as_deref(),
            Some("postgres://app:hunter2@db/t")
        );
        assert!(c.warnings().is_empty());
        // A master key file others can read is refused, with the command that fixes it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = Config::load(None, env(&[]), &flags[..1]).unwrap_err();
            assert!(e.0.contains("chmod 600"), "{e}");
        }
        let e = Config::load(
            None,
            env(&[]),
            &[("master_key_file".into(), "/nonexistent/key".into())],
        )
        .unwrap_err();
        assert!(e.0.contains("--master-key-file"), "{e}");
    }

    #[test]
    fn insecure_issuers_are_noticed() {
        let c = |issuer: &str| {
            Config::load(None, env(&[]), &[("issuer".into(), issuer.into())]).unwrap()
        };
        assert!(!c("http://127.0.0.1:8080").issuer_is_insecure());
        assert!(!c("https://auth.example.com").issuer_is_insecure());
        assert!(c("http://auth.example.com").issuer_is_insecure());
        assert!(!c("http://[::1]:8080").issuer_is_insecure());
        assert!(!c("http://127.0.0.2").issuer_is_insecure());
        assert!(c("http://[2001:db8::1]:8080").issuer_is_insecure());
    }

    #[test]
    fn the_debugger_is_on_by_default_only_for_a_loopback_issuer() {
        let c = |issuer: &str, debugger: Option<&str>| {
            let mut flags = vec![("issuer".to_owned(), issuer.to_owned())];
            if let Some(d) = debugger {
                flags.push(("debugger".into(), d.into()));
            }
            Config::load(None, env(&[]), &flags).unwrap()
        };
        assert!(c("http://127.0.0.1:8080", None).debugger_enabled());
        assert!(c("https://localhost:8443", None).debugger_enabled());
        assert!(c("http://[::1]:8080", None).debugger_enabled());
        assert!(!c("https://auth.example.com", None).debugger_enabled());
        assert!(!c("http://10.0.0.5:8080", None).debugger_enabled());
        assert!(c("https://auth.example.com", Some("on")).debugger_enabled());
        assert!(!c("http://127.0.0.1:8080", Some("off")).debugger_enabled());
        assert!(c("http://127.0.0.1:8080", Some("auto")).debugger_enabled());
        // A loopback issuer name on a public bind: off unless set (anyone could reach it).
        let public = Config::load(
            None,
            env(&[]),
            &[
                ("listen".into(), "0.0.0.0:8080".into()),
                ("issuer".into(), "http://localhost:8080".into()),
            ],
        )
        .unwrap();
        assert!(!public.debugger_enabled());
        assert_eq!(public.issuer_authority(), "localhost:8080");
        assert_eq!(
            c("https://auth.example.com:443/x", None).issuer_authority(),
            "auth.example.com"
        );
        assert_eq!(
            c("http://auth.example.com:80", None).issuer_authority(),
            "auth.example.com"
        );
        assert_eq!(
            c("https://auth.example.com:8443", None).issuer_authority(),
            "auth.example.com:8443"
        );
        let e = Config::load(None, env(&[("TESSERA_DEBUGGER", "maybe")]), &[]).unwrap_err();
        assert!(e.0.contains("TESSERA_DEBUGGER"), "{e}");
        let printed = c("https://auth.example.com", Some("on")).to_toml();
        assert!(printed.contains("debugger = \"on\""), "{printed}");
    }
}
