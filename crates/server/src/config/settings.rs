//! The one table of settings. Each row is a setting: its name (the TOML key; `TESSERA_` + upper
//! case for the environment; `--set name=value`), what `tessera serve --help` says of it, how
//! its text sets the configuration, and how `--print-config` shows it (secrets redacted, files
//! of secrets not at all). A new setting is a field of [`Config`], its default, and one row.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tessera_jose::JwsAlg;

use super::values::{database_url, master_key, read_secret_file, redact_url};
use super::{Config, MetricsListen, Source, duration};

/// One setting.
pub struct Setting {
    /// The TOML key (and, upper case, the `TESSERA_` variable; `--set name=value`).
    pub name: &'static str,
    /// What it is, with its default.
    pub help: &'static str,
    /// Sets it from its text; the error says why the text is wrong (the caller names the
    /// setting and its source).
    pub(super) set: fn(&mut Config, &str, Source) -> Result<(), String>,
    /// Its value as `--print-config` shows it; `None`: not shown.
    pub(super) show: fn(&Config) -> Option<String>,
}

/// The setting whose name is closest to `name` (at most three edits away), for a typo.
pub(super) fn closest(name: &str) -> Option<&'static str> {
    SETTINGS
        .iter()
        .map(|s| (edits(name, s.name), s.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

/// The Levenshtein distance between two short ASCII-ish names.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The setting called `name`.
pub(super) fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// Sets a field to a parsed value.
fn put<T>(field: &mut T, value: Result<T, String>) -> Result<(), String> {
    *field = value?;
    Ok(())
}

/// An address to listen on: `IP:PORT`, `localhost:PORT` (127.0.0.1), or `:PORT` (every IPv4
/// interface, as other servers read it).
fn listen_address(v: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(addr) = v.parse() {
        return Ok(addr);
    }
    let bad = || {
        format!(
            "expected an address like 127.0.0.1:8080, localhost:8080 or :8080, got `{}`",
            tessera_jose::error::escaped(v)
        )
    };
    let (host, port) = v.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip: std::net::IpAddr = match host {
        "" => std::net::Ipv4Addr::UNSPECIFIED.into(),
        h if h.eq_ignore_ascii_case("localhost") => std::net::Ipv4Addr::LOCALHOST.into(),
        _ => return Err(bad()),
    };
    Ok((ip, port).into())
}

fn secs(d: Duration) -> Option<String> {
    Some(format!("{}s", d.as_secs()))
}

/// A count of at least `min`.
fn count(value: &str, min: usize, why: &str) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| why.to_owned())
}

/// An `acr` value: printable ASCII without spaces or quotes (it goes into `acr_values` and
/// `WWW-Authenticate`), at most 200 characters.
fn acr_name(v: &str) -> Result<String, String> {
    if v.is_empty()
        || v.len() > 200
        || !v
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        return Err("expected a name of printable ASCII without spaces or quotes".into());
    }
    Ok(v.to_owned())
}

fn path(p: Option<&PathBuf>) -> Option<String> {
    p.map(|p| p.display().to_string())
}

/// Every setting, in the order `--print-config` and `--help` show them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "listen",
        help: "address to bind: IP:PORT, localhost:PORT, or :PORT for every interface (default 127.0.0.1:8080)",
        set: |c, v, _| put(&mut c.listen, listen_address(v)),
        show: |c| Some(c.listen.to_string()),
    },
    Setting {
        name: "issuer",
        help: "the issuer URL (default http:// + the listen address)",
        set: |c, v, _| {
            c.issuer = v.trim_end_matches('/').to_owned();
            c.issuer_set = true;
            Ok(())
        },
        show: |c| Some(c.issuer.clone()),
    },
    Setting {
        name: "data_dir",
        help: "folder for the SQLite database and the master key file (default ./tessera-data)",
        set: |c, v, _| {
            c.data_dir = PathBuf::from(v);
            Ok(())
        },
        show: |c| Some(c.data_dir.display().to_string()),
    },
    Setting {
        name: "database_url",
        help: "postgres://... to use PostgreSQL instead of SQLite",
        set: |c, v, source| {
            c.database_url = Some(database_url(v)?);
            if matches!(source, Source::Flag) && redact_url(v) != v {
                c.secret_flags.push("database_url");
            }
            Ok(())
        },
        show: |c| c.database_url.as_deref().map(redact_url),
    },
    Setting {
        name: "database_url_file",
        help: "a file holding the database URL (keeps its password out of flags and the environment)",
        set: |c, v, _| {
            c.database_url = Some(database_url(read_secret_file(v)?.trim())?);
            Ok(())
        },
        show: |_| None,
    },
    Setting {
        name: "master_key",
        help: "the master key, base64url of 32 bytes (default: the data folder's master.key); prefer master_key_file",
        set: |c, v, source| {
            c.master_key = Some(master_key(v)?);
            c.master_key_source = Some(source.describe("master_key"));
            if matches!(source, Source::Flag) {
                c.secret_flags.push("master_key");
            }
            Ok(())
        },
        show: |c| c.master_key.as_ref().map(|_| "<redacted>".into()),
    },
    Setting {
        name: "master_key_file",
        help: "a file holding the master key (mode 0600 or stricter): every node and command on one store needs the same key (the first serve or `tessera init` makes master.key in the data folder)",
        set: |c, v, source| {
            tessera_store::files::check_private_file(Path::new(v)).map_err(|e| e.to_string())?;
            let text = zeroize::Zeroizing::new(read_secret_file(v)?);
            c.master_key = Some(master_key(&text)?);
            c.master_key_source = Some(format!("{} ({v})", source.describe("master_key_file")));
            Ok(())
        },
        show: |_| None,
    },
    Setting {
        name: "signing_alg",
        help: "access token algorithm: ES256 (default), ES384, EdDSA, RS256, PS256; must be the store's (tessera keys rotate --alg changes it)",
        set: |c, v, _| {
            let alg = JwsAlg::from_name(v).map_err(|_| "unknown algorithm")?;
            if alg.family() == tessera_jose::alg::Family::Hmac || !alg.is_supported() {
                return Err(
                    "expected an asymmetric algorithm (ES256, ES384, EdDSA, RS256, PS256, ...)"
                        .into(),
                );
            }
            c.signing_alg = Some(alg);
            Ok(())
        },
        show: |c| c.signing_alg.map(|a| a.name().into()),
    },
    Setting {
        name: "token_ttl",
        help: "default access token lifetime of new clients (default 15m)",
        set: |c, v, _| put(&mut c.token_ttl, duration(v)),
        show: |c| secs(c.token_ttl),
    },
    Setting {
        name: "max_token_ttl",
        help: "longest access token lifetime any client may have (default 1h)",
        set: |c, v, _| put(&mut c.max_token_ttl, duration(v)),
        show: |c| secs(c.max_token_ttl),
    },
    Setting {
        name: "jwks_max_age",
        help: "Cache-Control max-age of the JWKS (default 5m)",
        set: |c, v, _| put(&mut c.jwks_max_age, duration(v)),
        show: |c| secs(c.jwks_max_age),
    },
    Setting {
        name: "rotation_period",
        help: "how long a signing key signs before the next replaces it (default 30d)",
        set: |c, v, _| put(&mut c.rotation_period, duration(v)),
        show: |c| secs(c.rotation_period),
    },
    Setting {
        name: "tls_cert",
        help: "PEM certificate chain: serve HTTPS",
        set: |c, v, _| put(&mut c.tls_cert, Ok(Some(PathBuf::from(v)))),
        show: |c| path(c.tls_cert.as_ref()),
    },
    Setting {
        name: "tls_key",
        help: "PEM private key of the certificate",
        set: |c, v, _| put(&mut c.tls_key, Ok(Some(PathBuf::from(v)))),
        show: |c| path(c.tls_key.as_ref()),
    },
    Setting {
        name: "log_format",
        help: "text (default) or json",
        set: |c, v, _| {
            c.log_json = match v {
                "json" => true,
                "text" => false,
                _ => return Err("expected text or json".into()),
            };
            Ok(())
        },
        show: |c| Some(if c.log_json { "json" } else { "text" }.into()),
    },
    Setting {
        name: "max_body",
        help: "largest request body in bytes (default 16384)",
        set: |c, v, _| {
            put(
                &mut c.max_body,
                count(v, 1024, "expected a number of bytes, at least 1024"),
            )
        },
        show: |c| Some(c.max_body.to_string()),
    },
    Setting {
        name: "request_timeout",
        help: "longest a request may take (default 10s)",
        set: |c, v, _| put(&mut c.request_timeout, duration(v)),
        show: |c| secs(c.request_timeout),
    },
    Setting {
        name: "max_concurrency",
        help: "requests handled at once (default 1024)",
        set: |c, v, _| {
            put(
                &mut c.max_concurrency,
                count(v, 1, "expected a positive number"),
            )
        },
        show: |c| Some(c.max_concurrency.to_string()),
    },
    Setting {
        name: "queue_timeout",
        help: "longest a request waits for one of those slots before a 503 (default 2s)",
        set: |c, v, _| put(&mut c.queue_timeout, duration(v)),
        show: |c| secs(c.queue_timeout),
    },
    Setting {
        name: "max_connections",
        help: "open connections at once, all peers (default 8192, lowered to fit the descriptor limit)",
        set: |c, v, _| {
            put(
                &mut c.max_connections,
                count(v, 1, "expected a positive number"),
            )
        },
        show: |c| Some(c.max_connections.to_string()),
    },
    Setting {
        name: "max_connections_per_peer",
        help: "open connections at once from one IP address (default 1024; trusted_proxies are held only to max_connections)",
        set: |c, v, _| {
            put(
                &mut c.max_connections_per_peer,
                count(v, 1, "expected a positive number"),
            )
        },
        show: |c| Some(c.max_connections_per_peer.to_string()),
    },
    Setting {
        name: "handshake_timeout",
        help: "longest a TLS handshake may take (default 10s)",
        set: |c, v, _| put(&mut c.handshake_timeout, duration(v)),
        show: |c| secs(c.handshake_timeout),
    },
    Setting {
        name: "trusted_proxies",
        help: "reverse proxies (addresses or blocks, comma-separated, e.g. \"10.0.0.0/8, 192.0.2.7\") whose forwarded header names the client for the sign-in throttle, sessions and audit events; the rightmost address in it that is not one of them is the client (default none: the connection's address)",
        set: |c, v, _| {
            put(
                &mut c.trusted_proxies.blocks,
                crate::proxy::TrustedProxies::parse_blocks(v),
            )
        },
        show: |c| {
            (!c.trusted_proxies.blocks.is_empty()).then(|| {
                c.trusted_proxies
                    .blocks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        },
    },
    Setting {
        name: "forwarded_header",
        help: "the header the trusted proxies write: x-forwarded-for (default) or forwarded (RFC 7239); a header they do not write is the client's to forge",
        set: |c, v, _| {
            put(
                &mut c.trusted_proxies.header,
                crate::proxy::Header::parse(v),
            )
        },
        show: |c| Some(c.trusted_proxies.header.name().to_owned()),
    },
    Setting {
        name: "poll_interval",
        help: "how often a node looks for changes made by others (default 500ms)",
        set: |c, v, _| put(&mut c.poll_interval, duration(v)),
        show: |c| Some(format!("{}ms", c.poll_interval.as_millis())),
    },
    Setting {
        name: "key_margin",
        help: "added to every key life-cycle wait, for clock skew and polling (default 60s)",
        set: |c, v, _| put(&mut c.key_margin, duration(v)),
        show: |c| secs(c.key_margin),
    },
    Setting {
        name: "metrics_listen",
        help: "where /metrics is served: IP:PORT (a listener of its own, plain HTTP), main (on listen) or off; default: main when listen is loopback, else 127.0.0.1:9464",
        set: |c, v, _| {
            c.metrics_listen = match v {
                "auto" => MetricsListen::Auto,
                "main" => MetricsListen::Main,
                "off" => MetricsListen::Off,
                other => MetricsListen::At(
                    listen_address(other).map_err(|e| format!("{e}, or main, or off"))?,
                ),
            };
            Ok(())
        },
        show: |c| {
            Some(match c.metrics_at() {
                MetricsListen::At(a) => a.to_string(),
                MetricsListen::Off => "off".into(),
                MetricsListen::Main | MetricsListen::Auto => "main".into(),
            })
        },
    },
    Setting {
        name: "account_deletion",
        help: "people may delete their own account from /account: on or off (default off)",
        set: |c, v, _| {
            c.account_deletion = match v {
                "on" => true,
                "off" => false,
                _ => return Err("expected on or off".into()),
            };
            Ok(())
        },
        show: |c| Some(if c.account_deletion { "on" } else { "off" }.into()),
    },
    Setting {
        name: "session_idle",
        help: "a browser session ends after this long unused (default 30m)",
        set: |c, v, _| put(&mut c.session_idle, duration(v)),
        show: |c| secs(c.session_idle),
    },
    Setting {
        name: "session_lifetime",
        help: "a browser session ends this long after sign-in (default 10h)",
        set: |c, v, _| put(&mut c.session_lifetime, duration(v)),
        show: |c| secs(c.session_lifetime),
    },
    Setting {
        name: "refresh_idle_ttl",
        help: "a refresh-token family ends after this long unused (default 30d; per client --refresh-idle-ttl)",
        set: |c, v, _| put(&mut c.refresh_idle_ttl, duration(v)),
        show: |c| secs(c.refresh_idle_ttl),
    },
    Setting {
        name: "refresh_absolute_ttl",
        help: "a refresh-token family ends this long after it began (default 90d; per client --refresh-absolute-ttl)",
        set: |c, v, _| put(&mut c.refresh_absolute_ttl, duration(v)),
        show: |c| secs(c.refresh_absolute_ttl),
    },
    Setting {
        name: "refresh_grace",
        help: "a rotated refresh token used again within this window (a retry, two tabs) gets the live one instead of revoking the family (default 10s, at most 2m)",
        set: |c, v, _| {
            let d = duration(v)?;
            if d > std::time::Duration::from_secs(120) {
                return Err(
                    "at most 2m: a longer window lets a stolen token be used beside the real one"
                        .into(),
                );
            }
            c.refresh_grace = d;
            Ok(())
        },
        show: |c| secs(c.refresh_grace),
    },
    Setting {
        name: "status_lists",
        help: "access tokens carry a status claim into a published Token Status List, so APIs see revocations: on or off (default on)",
        set: |c, v, _| {
            c.status_lists = match v {
                "on" => true,
                "off" => false,
                _ => return Err("expected on or off".into()),
            };
            Ok(())
        },
        show: |c| Some(if c.status_lists { "on" } else { "off" }.into()),
    },
    Setting {
        name: "status_list_ttl",
        help: "how long APIs may cache a status list: a revocation reaches them within it (default 10s, 1s to 1h)",
        set: |c, v, _| {
            let d = duration(v)?;
            if d < std::time::Duration::from_secs(1) || d > std::time::Duration::from_secs(3600) {
                return Err("expected 1s to 1h".into());
            }
            c.status_list_ttl = d;
            Ok(())
        },
        show: |c| secs(c.status_list_ttl),
    },
    Setting {
        name: "scope_descriptions",
        help: "what the consent page says each scope lets an application do: SCOPE=WORDS pairs separated by |, e.g. \"orders:read=see your orders|orders:write=place orders for you\" (default: “use SCOPE on your behalf”)",
        set: |c, v, _| {
            let mut map = std::collections::BTreeMap::new();
            for pair in v.split('|').filter(|p| !p.trim().is_empty()) {
                let (scope, words) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("expected SCOPE=WORDS, got `{}`", pair.trim()))?;
                let (scope, words) = (scope.trim(), words.trim());
                if scope.is_empty() || words.is_empty() || words.len() > 200 {
                    return Err(format!(
                        "expected SCOPE=WORDS (at most 200 characters), got `{}`",
                        pair.trim()
                    ));
                }
                map.insert(scope.to_owned(), words.to_owned());
            }
            c.scope_descriptions = map;
            Ok(())
        },
        show: |c| {
            (!c.scope_descriptions.is_empty()).then(|| {
                c.scope_descriptions
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("|")
            })
        },
    },
    Setting {
        name: "acr_password",
        help: "the acr of a sign-in with one factor (a password, or a passkey without user verification) (default urn:tessera:acr:password)",
        set: |c, v, _| put(&mut c.acr_names.password, acr_name(v)),
        show: |c| Some(c.acr_names.password.clone()),
    },
    Setting {
        name: "acr_mfa",
        help: "the acr of a sign-in with two factors (default http://schemas.openid.net/pape/policies/2007/06/multi-factor)",
        set: |c, v, _| put(&mut c.acr_names.mfa, acr_name(v)),
        show: |c| Some(c.acr_names.mfa.clone()),
    },
    Setting {
        name: "acr_phishing_resistant",
        help: "the acr of a sign-in with a passkey and a second factor or user verification (default http://schemas.openid.net/pape/policies/2007/06/phishing-resistant)",
        set: |c, v, _| put(&mut c.acr_names.phishing_resistant, acr_name(v)),
        show: |c| Some(c.acr_names.phishing_resistant.clone()),
    },
    Setting {
        name: "step_up_ttl",
        help: "how long a higher level an application asked for (acr_values) lasts before the session falls back to its sign-in's level (default 15m, 1s to 24h)",
        set: |c, v, _| {
            let d = duration(v)?;
            if d < Duration::from_secs(1) || d > Duration::from_secs(86_400) {
                return Err("expected 1s to 24h".into());
            }
            c.step_up_ttl = d;
            Ok(())
        },
        show: |c| secs(c.step_up_ttl),
    },
    Setting {
        name: "reauth_window",
        help: "how recent a sign-in must be to add or remove an authenticator app or passkey, or make new recovery codes, on /account: older, the person signs in again first (default 15m, 1s to 24h)",
        set: |c, v, _| {
            let d = duration(v)?;
            if d < Duration::from_secs(1) || d > Duration::from_secs(86_400) {
                return Err("expected 1s to 24h".into());
            }
            c.reauth_window = d;
            Ok(())
        },
        show: |c| secs(c.reauth_window),
    },
    Setting {
        name: "mfa_at_sign_in",
        help: "who gives a second factor at every sign-in: enrolled (everyone who set one up) or required (only people the operator requires it of; others add it when an application asks) (default enrolled)",
        set: |c, v, _| {
            c.mfa_at_sign_in = match v {
                "enrolled" => crate::users::auth::MfaAtSignIn::Enrolled,
                "required" => crate::users::auth::MfaAtSignIn::Required,
                _ => return Err("expected enrolled or required".into()),
            };
            Ok(())
        },
        show: |c| {
            Some(
                match c.mfa_at_sign_in {
                    crate::users::auth::MfaAtSignIn::Enrolled => "enrolled",
                    crate::users::auth::MfaAtSignIn::Required => "required",
                }
                .into(),
            )
        },
    },
    Setting {
        name: "password_memory",
        help: "Argon2id memory per password hash, KiB (default 19456: 19 MiB, OWASP's first choice)",
        set: |c, v, _| {
            c.argon2.memory_kib = v.parse().map_err(|_| "expected KiB, e.g. 19456")?;
            c.argon2.check().map_err(|e| e.to_string())
        },
        show: |c| Some(c.argon2.memory_kib.to_string()),
    },
    Setting {
        name: "password_iterations",
        help: "Argon2id passes per password hash (default 2)",
        set: |c, v, _| {
            c.argon2.iterations = v.parse().map_err(|_| "expected a count, e.g. 2")?;
            c.argon2.check().map_err(|e| e.to_string())
        },
        show: |c| Some(c.argon2.iterations.to_string()),
    },
    Setting {
        name: "password_parallelism",
        help: "Argon2id lanes per password hash (default 1)",
        set: |c, v, _| {
            c.argon2.parallelism = v.parse().map_err(|_| "expected a count, e.g. 1")?;
            c.argon2.check().map_err(|e| e.to_string())
        },
        show: |c| Some(c.argon2.parallelism.to_string()),
    },
    Setting {
        name: "metrics_client_labels",
        help: "count grants per client in /metrics: on or off (default off: a label per client grows with the clients)",
        set: |c, v, _| {
            c.metrics_client_labels = match v {
                "on" | "true" => true,
                "off" | "false" => false,
                _ => return Err("expected on or off".into()),
            };
            Ok(())
        },
        show: |c| Some(if c.metrics_client_labels { "on" } else { "off" }.into()),
    },
    Setting {
        name: "debugger",
        help: "the token debugger page at /debugger: on, off, or auto (default: on only when both the issuer and the listen address are loopback)",
        set: |c, v, _| {
            c.debugger = match v {
                "on" | "true" => Some(true),
                "off" | "false" => Some(false),
                "auto" => None,
                _ => return Err("expected on, off or auto".into()),
            };
            Ok(())
        },
        show: |c| {
            Some(
                match c.debugger {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "auto",
                }
                .into(),
            )
        },
    },
];
