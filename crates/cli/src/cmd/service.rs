//! `tessera serve`, `tessera client`, `tessera keys`, `tessera events`: the token service and
//! its administration, over the same configuration and store.

use anyhow::anyhow;
use serde_json::json;
use tessera_server::admin::{Admin, ClientSpec, NewCredentials};
use tessera_server::config::Config;
use tessera_server::error::Error;

use crate::args::{
    ClientCommand, EventsArgs, KeysCommand, MigrateArgs, PeopleFlags, ServeArgs, ServerOpts,
};
use crate::exit::{CmdResult, Failure};
use crate::input;
use crate::output;

/// The configuration from `--config`, `TESSERA_*` and the flags given; its warnings printed.
fn load(opts: &ServerOpts, flags: Vec<(String, String)>) -> Result<Config, Failure> {
    let config = load_quietly(opts, flags)?;
    for w in config.warnings() {
        output::warn(&w);
    }
    Ok(config)
}

/// The configuration, its warnings left to the caller.
fn load_quietly(opts: &ServerOpts, mut flags: Vec<(String, String)>) -> Result<Config, Failure> {
    let file = match &opts.config {
        Some(path) => Some(
            String::from_utf8(input::file(path)?).map_err(|_| anyhow!("{path} is not UTF-8"))?,
        ),
        None => None,
    };
    if let Some(d) = &opts.data_dir {
        flags.push(("data_dir".into(), d.clone()));
    }
    if let Some(u) = &opts.database_url {
        flags.push(("database_url".into(), u.clone()));
    }
    Ok(Config::load(file.as_deref(), std::env::vars(), &flags).map_err(|e| anyhow!("{e}"))?)
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?)
}

pub fn serve(a: &ServeArgs) -> CmdResult {
    let mut flags = Vec::new();
    for (name, value) in [
        ("listen", &a.listen),
        ("issuer", &a.issuer),
        ("signing_alg", &a.signing_alg),
        ("tls_cert", &a.tls_cert),
        ("tls_key", &a.tls_key),
        ("log_format", &a.log_format),
    ] {
        if let Some(v) = value {
            flags.push((name.to_owned(), v.clone()));
        }
    }
    for s in &a.set {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("--set expects NAME=VALUE, got `{s}`"))?;
        flags.push((k.trim().replace('-', "_"), v.to_owned()));
    }
    let config = load_quietly(&a.opts, flags)?;
    let mut warnings = config.warnings();
    if config.issuer_is_insecure() {
        warnings.push(format!(
            "the issuer {} is neither https nor loopback: tokens and secrets cross the network in clear unless a proxy terminates TLS",
            config.issuer
        ));
    }
    if a.print_config {
        for w in &warnings {
            output::warn(w);
        }
        return output::out(config.to_toml().as_bytes());
    }
    let json = config.log_json;
    logging(json);
    // With `log_format = json`, every line is a JSON log record: the warnings, the banner and
    // a fatal error too.
    for w in &warnings {
        if json {
            tracing::warn!("{w}");
        } else {
            output::warn(w);
        }
    }
    let issuer = config.issuer.clone();
    let debugger = config.debugger_enabled();
    let config_file = a.opts.config.clone();
    let database_url = config.database_url.clone();
    let data = config
        .database_url
        .is_none()
        .then(|| config.data_dir.display().to_string());
    runtime()?
        .block_on(tessera_server::serve(config, |started| {
            let store = data.as_deref().map_or_else(
                || "PostgreSQL".to_owned(),
                |d| format!("SQLite in {d}/"),
            );
            let urls = started.state.urls();
            let dd = store_flags(config_file.as_deref(), data.as_deref(), database_url.as_deref());
            let first_client = format!(
                "tessera client create{dd} --name my-service --scope \"orders:read\" --audience api://orders"
            );
            let url_note = dd.is_empty() && database_url.is_some();
            if json {
                tracing::info!(
                    listening = %started.addr,
                    store = %store,
                    issuer = %issuer,
                    discovery = %urls.metadata,
                    jwks = %urls.jwks,
                    debugger = debugger.then_some(urls.debugger.as_str()),
                    metrics = started.metrics_addr.map(|a| format!("http://{a}/metrics")),
                    first_client = %first_client,
                    "tessera serve is listening"
                );
                return;
            }
            eprintln!("tessera serve: listening on {} ({store})", started.addr);
            eprintln!("  issuer     {issuer}");
            eprintln!("  discovery  {}", urls.metadata);
            eprintln!("  JWKS       {}", urls.jwks);
            if debugger {
                eprintln!("  debugger   {} (turn off with --set debugger=off)", urls.debugger);
            }
            if let Some(m) = started.metrics_addr {
                eprintln!("  metrics    http://{m}/metrics (its own listener: metrics_listen)");
            }
            eprintln!("  first client: {first_client}");
            if url_note {
                eprintln!(
                    "    (with TESSERA_DATABASE_URL set to this server's database URL, which holds a password)"
                );
            }
        }))
        .map_err(|e| {
            if json {
                tracing::error!(error = %e, "tessera serve stopped");
                Failure::Reported
            } else {
                Failure::Input(anyhow!("{e}"))
            }
        })
}

/// The flags that point an operator command at this server's store, for the banner's "first
/// client" command: the config file it read, else a data folder other than the default, else a
/// database URL without a password (one with a password is left to `TESSERA_DATABASE_URL`).
fn store_flags(config: Option<&str>, data_dir: Option<&str>, database_url: Option<&str>) -> String {
    if let Some(c) = config {
        return format!(" --config {}", shell_word(c));
    }
    match (data_dir, database_url) {
        (Some(d), _) if d != "tessera-data" => format!(" --data-dir {}", shell_word(d)),
        (_, Some(url)) if !url_has_password(url) => {
            format!(" --database-url {}", shell_word(url))
        }
        _ => String::new(),
    }
}

/// Whether a URL carries a password (in its authority or its query).
fn url_has_password(url: &str) -> bool {
    let base = url.split('?').next().unwrap_or_default();
    let in_authority = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => base[s + 3..at].contains(':'),
        _ => false,
    };
    in_authority || url.contains("password=")
}

/// A word a POSIX shell reads back as it is: bare when it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@=%+,".contains(&b));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Log lines on stderr, as text or JSON, filtered by `RUST_LOG` (default `info`).
fn logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal as _;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub(super) fn admin_error(e: Error) -> Failure {
    Failure::Input(anyhow!("{e}"))
}

pub(super) async fn open(opts: &ServerOpts) -> Result<Admin, Failure> {
    let config = load(opts, Vec::new())?;
    Admin::open(config)
        .await
        .map_err(|e| Failure::Input(anyhow!("cannot open the store: {e}")))
}

/// A lifetime flag (`--token-ttl`, `--grace`): a duration with its unit. A bare number is
/// refused: `15` is as likely minutes as seconds.
fn ttl(text: Option<&str>) -> Result<Option<i64>, Failure> {
    text.map(|t| {
        let trimmed = t.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::Input(anyhow!(
                "`{trimmed}` has no unit: {trimmed}s or {trimmed}m? (units: s, m, h, d, w)"
            )));
        }
        let d = input::duration(t)?;
        Ok(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
    .transpose()
}

fn scopes(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// New credentials, with the command that gets a token from the service that uses this store
/// (its issuer as the store recorded it).
fn print_credentials(c: &NewCredentials, issuer: &str, json: bool) -> CmdResult {
    if json {
        return output::json(&serde_json::to_value(c).map_err(|e| anyhow!("{e}"))?);
    }
    let dpop = if c.dpop_bound {
        format!(
            "\ndpop_bound     yes (token requests need a DPoP proof: -H \"DPoP: $(tessera dpop proof --key KEY --htm POST --htu {issuer}/oauth2/token)\")"
        )
    } else {
        String::new()
    };
    let introspect = if c.introspect {
        "\nintrospect     yes (tokens meant for its audiences)"
    } else {
        ""
    };
    let redirects = if c.redirect_uris.is_empty() {
        String::new()
    } else {
        format!("\nredirect_uri   {}", c.redirect_uris.join(" "))
    };
    let grants = c.grant_types.join(" ");
    let Some(secret) = &c.client_secret else {
        return output::line(&format!(
            "client_id      {}\nclient type    public (no secret: PKCE protects its codes)\ngrant_types    {grants}\nscope          {}{redirects}\n\nSend people to:\n  {issuer}/oauth2/authorize?response_type=code&client_id={}&redirect_uri=…&scope=openid&code_challenge=…&code_challenge_method=S256&state=…",
            c.client_id, c.scope, c.client_id
        ));
    };
    let next = if c.grant_types.iter().any(|g| g == "client_credentials") {
        format!(
            "Get a token with:\n  curl -s -u '{}:{secret}' -d grant_type=client_credentials {issuer}/oauth2/token",
            c.client_id
        )
    } else {
        format!(
            "Send people to:\n  {issuer}/oauth2/authorize?response_type=code&client_id={}&redirect_uri=…&scope=openid&code_challenge=…&code_challenge_method=S256&state=…",
            c.client_id
        )
    };
    output::line(&format!(
        "client_id      {}\nclient_secret  {secret}\ngrant_types    {grants}\nscope          {}\naudience       {}\ntoken_ttl      {}s{redirects}{dpop}{introspect}\n\nThe secret is shown once: store it now. {next}",
        c.client_id,
        c.scope,
        c.audience.join(" "),
        c.token_ttl,
    ))
}

/// The part of a client's spec that [`PeopleFlags`] gives.
fn people_spec(f: &PeopleFlags) -> Result<ClientSpec, Failure> {
    Ok(ClientSpec {
        id_token_alg: f.id_token_alg.clone(),
        pairwise: f.subject_type.as_deref().map(|t| t == "pairwise"),
        sector_identifier: f.sector_identifier.clone(),
        refresh_idle_ttl: ttl(f.refresh_idle_ttl.as_deref())?,
        refresh_absolute_ttl: ttl(f.refresh_absolute_ttl.as_deref())?,
        require_acr: f.require_acr.clone(),
        ..ClientSpec::default()
    })
}

/// A repeated flag: `None` when it was not given.
fn some(list: &[String]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.to_vec())
}

fn client_json(c: &tessera_store::Client) -> serde_json::Value {
    json!({
        "client_id": c.id,
        "name": c.name,
        "scope": c.scopes.join(" "),
        "audience": c.audiences,
        "token_ttl": c.token_ttl,
        "enabled": c.enabled,
        "dpop_bound": c.dpop_bound,
        "introspect": c.introspect,
        "public": c.public,
        "grant_types": c.grant_types,
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "first_party": c.first_party,
        "web_origins": c.web_origins,
        "require_par": c.require_par,
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "claim_map": c.claim_map,
        "id_token_alg": c.id_token_alg.as_deref().unwrap_or("RS256"),
        "subject_type": if c.pairwise { "pairwise" } else { "public" },
        "sector_identifier": tessera_server::users::subjects::sector(c),
        "refresh_idle_ttl": c.refresh_idle_ttl,
        "refresh_absolute_ttl": c.refresh_absolute_ttl,
        "require_acr": c.require_acr,
        "tokens_revoked_before_ms": c.tokens_revoked_before_ms,
        "secret_rotation_grace_until": c.old_secret_until,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

pub fn client(c: &ClientCommand) -> CmdResult {
    runtime()?.block_on(async {
        match c {
            ClientCommand::Create {
                opts,
                name,
                scope,
                audiences,
                token_ttl,
                dpop_bound,
                introspect,
                public,
                redirect_uris,
                post_logout_redirect_uris,
                grant_types,
                first_party,
                web_origins,
                require_par,
                backchannel_logout_uri,
                claim_map,
                people,
                json,
            } => {
                let admin = open(opts).await?;
                let creds = admin
                    .create_client(ClientSpec {
                        name: Some(name.clone()),
                        scopes: Some(scopes(scope)),
                        audiences: some(audiences),
                        token_ttl: ttl(token_ttl.as_deref())?,
                        dpop_bound: Some(*dpop_bound),
                        introspect: Some(*introspect),
                        public: Some(*public),
                        redirect_uris: Some(redirect_uris.clone()),
                        post_logout_redirect_uris: Some(post_logout_redirect_uris.clone()),
                        grant_types: some(grant_types),
                        first_party: Some(*first_party),
                        web_origins: Some(web_origins.clone()),
                        require_par: Some(*require_par),
                        backchannel_logout_uri: backchannel_logout_uri.clone(),
                        claim_map: Some(claim_map.clone()),
                        ..people_spec(people)?
                    })
                    .await
                    .map_err(admin_error)?;
                print_credentials(&creds, &admin.issuer().await, *json)
            }
            ClientCommand::List { opts, json } => {
                let admin = open(opts).await?;
                let clients = admin.clients().await.map_err(|e| anyhow!("{e}"))?;
                if *json {
                    for c in &clients {
                        output::line(&client_json(c).to_string())?;
                    }
                    return Ok(());
                }
                let rows: Vec<Vec<String>> = clients
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.clone(),
                            c.name.clone(),
                            if c.enabled { "enabled" } else { "disabled" }.to_owned(),
                            c.scopes.join(" "),
                            c.audiences.join(" "),
                        ]
                    })
                    .collect();
                output::table(
                    &["CLIENT ID", "NAME", "STATE", "SCOPES", "AUDIENCES"],
                    &rows,
                    "no clients yet: tessera client create --name NAME --audience AUD",
                )
            }
            ClientCommand::Show { opts, id } => {
                let admin = open(opts).await?;
                output::json(&client_json(&admin.client(id).await.map_err(admin_error)?))
            }
            ClientCommand::Update {
                opts,
                id,
                name,
                scope,
                audiences,
                token_ttl,
                dpop_bound,
                introspect,
                redirect_uris,
                post_logout_redirect_uris,
                grant_types,
                first_party,
                web_origins,
                require_par,
                backchannel_logout_uri,
                claim_map,
                people,
            } => {
                let admin = open(opts).await?;
                let c = admin
                    .update_client(
                        id,
                        ClientSpec {
                            name: name.clone(),
                            scopes: scope.as_deref().map(scopes),
                            audiences: some(audiences),
                            token_ttl: ttl(token_ttl.as_deref())?,
                            dpop_bound: *dpop_bound,
                            introspect: *introspect,
                            public: None,
                            redirect_uris: some(redirect_uris),
                            post_logout_redirect_uris: some(post_logout_redirect_uris),
                            grant_types: some(grant_types),
                            first_party: *first_party,
                            web_origins: some(web_origins),
                            require_par: *require_par,
                            backchannel_logout_uri: backchannel_logout_uri.clone(),
                            claim_map: some(claim_map).map(|m| {
                                m.into_iter().filter(|r| !r.is_empty()).collect()
                            }),
                            ..people_spec(people)?
                        },
                    )
                    .await
                    .map_err(admin_error)?;
                output::json(&client_json(&c))
            }
            ClientCommand::Grants { opts, id, json } => {
                let admin = open(opts).await?;
                let grants = admin.client_grants(id).await.map_err(admin_error)?;
                crate::cmd::users::print_grants(&admin, &grants, *json).await
            }
            ClientCommand::Disable { opts, id } => {
                open(opts)
                    .await?
                    .set_enabled(id, false)
                    .await
                    .map_err(admin_error)?;
                output::note(&format!(
                    "client {id} disabled: it gets no tokens, and the tokens it has are inactive at introspection (enabling it again does not bring them back)"
                ));
                Ok(())
            }
            ClientCommand::Enable { opts, id } => {
                open(opts)
                    .await?
                    .set_enabled(id, true)
                    .await
                    .map_err(admin_error)?;
                output::note(&format!("client {id} enabled: it gets tokens again"));
                Ok(())
            }
            ClientCommand::Delete { opts, id } => {
                open(opts)
                    .await?
                    .delete_client(id)
                    .await
                    .map_err(admin_error)?;
                output::note(&format!(
                    "client {id} deleted: its secret no longer works and its tokens are inactive at introspection"
                ));
                Ok(())
            }
            ClientCommand::RotateSecret {
                opts,
                id,
                grace,
                json,
            } => {
                let grace = ttl(grace.as_deref())?.unwrap_or(0);
                let admin = open(opts).await?;
                let creds = admin
                    .rotate_secret(id, grace)
                    .await
                    .map_err(admin_error)?;
                print_credentials(&creds, &admin.issuer().await, *json)?;
                output::note(&if grace > 0 {
                    format!(
                        "client {id} has a new secret; the previous one works for {grace} s more"
                    )
                } else {
                    format!("client {id} has a new secret; the previous one no longer works")
                });
                Ok(())
            }
            ClientCommand::RevokeTokens { opts, id } => {
                let cut = open(opts)
                    .await?
                    .revoke_tokens(id)
                    .await
                    .map_err(admin_error)?;
                let when = jiff::Timestamp::from_millisecond(cut)
                    .map_or_else(|_| cut.to_string(), |t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
                output::note(&format!(
                    "every token issued to client {id} up to {when} introspects inactive; APIs that verify tokens locally accept them until they expire"
                ));
                Ok(())
            }
        }
    })
}

/// What a key signs, as `keys list` says it.
fn signs(p: tessera_store::KeyPurpose) -> &'static str {
    match p {
        tessera_store::KeyPurpose::Access => "access tokens",
        tessera_store::KeyPurpose::IdToken => "ID tokens",
    }
}

pub fn keys(c: &KeysCommand) -> CmdResult {
    runtime()?.block_on(async {
        match c {
            KeysCommand::List { opts, json } => {
                let admin = open(opts).await?;
                let keys = admin.keys().await.map_err(|e| anyhow!("{e}"))?;
                if *json {
                    for k in &keys {
                        let row = json!({
                            "kid": k.kid, "alg": k.alg, "state": k.state.name(),
                            "signs": signs(k.purpose),
                            "created_at": k.created_at, "activated_at": k.activated_at,
                            "retired_at": k.retired_at, "remove_after": k.remove_after,
                        });
                        output::line(&row.to_string())?;
                    }
                    return Ok(());
                }
                let when = |t: Option<i64>| {
                    t.map_or_else(|| "-".to_owned(), |t| output::iso(t, crate::args::DateStyle::Utc))
                };
                let rows: Vec<Vec<String>> = keys
                    .iter()
                    .map(|k| {
                        vec![
                            k.kid.clone(),
                            k.alg.clone(),
                            k.state.name().to_owned(),
                            when(Some(k.created_at)),
                            when(k.activated_at),
                            when(k.remove_after),
                            signs(k.purpose).to_owned(),
                        ]
                    })
                    .collect();
                output::table(
                    &["KID", "ALG", "STATE", "CREATED", "ACTIVATED", "LEAVES THE JWKS", "SIGNS"],
                    &rows,
                    "no keys yet: the first tessera serve makes them",
                )
            }
            KeysCommand::Rotate { opts, force, alg } => {
                if *force {
                    output::warn("--force: verifiers that cached the JWKS recently may reject new tokens until they refetch it");
                }
                let admin = open(opts).await?;
                let mut events = Vec::new();
                if let Some(name) = alg {
                    let alg = tessera_jose::JwsAlg::from_name(name)
                        .map_err(|_| anyhow::anyhow!("--alg: unknown algorithm `{}`", tessera_jose::error::escaped(name)))?;
                    events = admin.change_alg(alg).await.map_err(admin_error)?;
                }
                if alg.is_none() || *force {
                    events.extend(admin.rotate(*force).await.map_err(admin_error)?);
                } else {
                    output::note("the nodes make the new key current once it has been published for jwks_max_age and key_margin (--force: now)");
                }
                for e in events {
                    let what = e.detail["kid"].as_str().or_else(|| e.detail["to"].as_str()).unwrap_or("");
                    output::line(&format!("{}\t{what}", e.kind))?;
                }
                Ok(())
            }
            KeysCommand::Retire { opts, kid, force } => {
                open(opts)
                    .await?
                    .retire(kid, *force)
                    .await
                    .map_err(admin_error)?;
                output::note(&format!(
                    "key {kid} retired: it left the JWKS, and tokens it signed no longer verify"
                ));
                Ok(())
            }
        }
    })
}

pub fn events(a: &EventsArgs) -> CmdResult {
    let now = input::now(None);
    let since = match a.since.as_deref() {
        None => now - 86_400,
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) && s.len() > 6 => {
            s.parse().map_err(|_| anyhow!("--since: not a Unix time"))?
        }
        Some(s) => now - i64::try_from(input::duration(s)?.as_secs()).unwrap_or(i64::MAX),
    };
    runtime()?.block_on(async {
        let admin = open(&a.opts).await?;
        // A user by name, or (a deleted one) by subject id.
        let subject = match &a.user {
            Some(u) => Some(admin.user(u).await.map_or_else(|_| u.clone(), |u| u.id)),
            None => None,
        };
        for e in admin
            .events(since, a.limit)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .into_iter()
            .filter(|e| {
                subject
                    .as_deref()
                    .is_none_or(|s| e.detail["user_id"].as_str() == Some(s))
            })
        {
            if a.json {
                output::line(&serde_json::to_string(&e).map_err(|e| anyhow!("{e}"))?)?;
            } else {
                output::line(&format!(
                    "{}\t{}\t{}\t{}",
                    jiff::Timestamp::from_second(e.at)
                        .map_or_else(|_| e.at.to_string(), |t| t.to_string()),
                    e.kind,
                    e.client_id.as_deref().unwrap_or("-"),
                    e.detail
                ))?;
            }
        }
        Ok(())
    })
}

/// `tessera migrate`: applies the store's pending migrations and says which.
pub fn migrate(a: &MigrateArgs) -> CmdResult {
    let config = load(&a.opts, Vec::new())?;
    runtime()?.block_on(async {
        let applied = tessera_server::admin::migrate(&config)
            .await
            .map_err(|e| Failure::Input(anyhow!("cannot migrate the store: {e}")))?;
        if a.json {
            output::json(&serde_json::json!({ "applied": applied }))
        } else if applied.is_empty() {
            output::line("the store's schema is current: nothing to apply")
        } else {
            let list: Vec<String> = applied.iter().map(i64::to_string).collect();
            output::line(&format!("applied migrations {}", list.join(", ")))
        }
    })
}

/// `tessera init`: makes the store and its master key, or checks an existing store's key.
pub fn init(a: &MigrateArgs) -> CmdResult {
    let config = load(&a.opts, Vec::new())?;
    runtime()?.block_on(async {
        let done = tessera_server::admin::init(&config)
            .await
            .map_err(|e| Failure::Input(anyhow!("{e}")))?;
        if a.json {
            return output::json(&serde_json::to_value(&done).map_err(|e| anyhow!("{e}"))?);
        }
        if done.created {
            output::line(&format!("created the store {}", done.store))?;
            output::line(&format!(
                "master key: {} (check value {}); every process on this store needs this key",
                done.master_key, done.check_value
            ))
        } else {
            output::line(&format!(
                "the store {} exists; the master key from {} is its own (check value {})",
                done.store, done.master_key, done.check_value
            ))
        }
    })
}

/// `tessera rekey`: the store's master key rotated to the one in a file.
pub fn rekey(a: &crate::args::RekeyArgs) -> CmdResult {
    let config = load(&a.opts, Vec::new())?;
    runtime()?.block_on(async {
        let done = tessera_server::admin::rekey(&config, &a.new_master_key_file)
            .await
            .map_err(|e| Failure::Input(anyhow!("{e}")))?;
        if a.json {
            return output::json(&serde_json::to_value(&done).map_err(|e| anyhow!("{e}"))?);
        }
        if done.made {
            output::line(&format!("made a new master key in {}", done.new_key))?;
        }
        output::line(&format!(
            "the store's master key is now the one in {} (check value {}); {} signing keys sealed under it",
            done.new_key, done.check_value, done.keys_resealed
        ))?;
        output::note("client secrets keep working: each is hashed under the new key at its next use (one that is not used before the next rekey must be rotated then)");
        output::note("now give every node and operator the new key (replace the old master.key, TESSERA_MASTER_KEY_FILE or master_key_file with it), then start the nodes");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::{shell_word, store_flags};

    #[test]
    fn the_banner_points_at_the_store_without_its_password() {
        assert_eq!(store_flags(None, Some("tessera-data"), None), "");
        assert_eq!(
            store_flags(None, Some("my data"), None),
            " --data-dir 'my data'"
        );
        assert_eq!(
            store_flags(None, None, Some("postgres://tessera@db:5432/auth")),
            " --database-url postgres://tessera@db:5432/auth"
        );
        assert_eq!(
            store_flags(None, None, Some("postgres://tessera:s3cret@db/auth")),
            ""
        );
        assert_eq!(
            store_flags(None, None, Some("postgres://db/auth?password=s3cret")),
            ""
        );
        assert_eq!(
            store_flags(Some("/etc/tessera.toml"), None, Some("postgres://t:p@db/a")),
            " --config /etc/tessera.toml"
        );
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
