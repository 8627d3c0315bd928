//! `tessera user`: people's accounts on the token service's store.

use anyhow::anyhow;
use serde_json::{Map, Value, json};
use tessera_server::admin::{NewUser, UserChange};
use tessera_store::User;
use zeroize::Zeroizing;

use super::service::{admin_error, open, runtime};
use crate::args::{NewPassword, UserCommand, UserFields, UserTarget};
use crate::exit::{CmdResult, Failure};
use crate::input;
use crate::output;

/// An account as the commands show it: never its password hash.
fn user_json(u: &User) -> Value {
    json!({
        "sub": u.id,
        "username": u.username,
        "enabled": u.enabled,
        "password": u.password_hash.as_deref().map(|h| {
            tessera_server::users::password::kind(h).unwrap_or("unknown")
        }),
        "attributes": u.attributes,
        "groups": u.groups,
        "logged_out_before_ms": u.logged_out_before_ms,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    })
}

fn fields(f: &UserFields) -> Result<Map<String, Value>, Failure> {
    let mut set = Map::new();
    if let Some(e) = &f.email {
        set.insert("email".into(), json!(e));
    }
    if let Some(n) = &f.name {
        set.insert("name".into(), json!(n));
    }
    for a in &f.attrs {
        let (k, v) =
            tessera_server::users::attributes::assignment(a).map_err(|e| anyhow!("--attr {e}"))?;
        set.insert(k, v);
    }
    Ok(set)
}

/// The new password: from its file or variable, typed twice at a prompt on a terminal, or
/// none with --no-password.
fn new_password(p: &NewPassword, username: &str) -> Result<Option<Zeroizing<String>>, Failure> {
    if p.no_password {
        return Ok(None);
    }
    let given = input::password(&crate::args::PasswordSource {
        password: None,
        password_file: p.password_file.clone(),
        password_env: p.password_env.clone(),
    })?;
    if let Some(bytes) = given {
        let text =
            String::from_utf8(bytes).map_err(|_| anyhow!("the password is not UTF-8 text"))?;
        return Ok(Some(Zeroizing::new(text)));
    }
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "no password: give it with --password-file or --password-env, type it on a terminal, or pass --no-password"
        )
        .into());
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(format!("New password for {username}: "))
            .map_err(|e| anyhow!("cannot read the password: {e}"))?,
    );
    let again = Zeroizing::new(
        rpassword::prompt_password("The same again: ")
            .map_err(|e| anyhow!("cannot read the password: {e}"))?,
    );
    if first != again {
        return Err(anyhow!("the two passwords differ: nothing was changed").into());
    }
    Ok(Some(first))
}

fn show(u: &User, json: bool) -> CmdResult {
    if json {
        return output::json(&user_json(u));
    }
    output::line(&format!("username   {}", u.username))?;
    output::line(&format!("sub        {}", u.id))?;
    output::line(&format!(
        "state      {}",
        if u.enabled { "enabled" } else { "disabled" }
    ))?;
    output::line(&format!(
        "password   {}",
        u.password_hash.as_deref().map_or("none", |h| {
            tessera_server::users::password::kind(h).unwrap_or("unknown")
        })
    ))?;
    output::line(&format!("groups     {}", u.groups.join(", ")))?;
    for (k, v) in &u.attributes {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        output::line(&format!("{k:<10} {text}"))?;
    }
    Ok(())
}

fn said(u: &User, json: bool, what: &str) -> CmdResult {
    if json {
        return output::json(&user_json(u));
    }
    output::note(&format!("user {} {what}", u.username));
    Ok(())
}

pub fn user(c: &UserCommand) -> CmdResult {
    runtime()?.block_on(async {
        match c {
            UserCommand::Create {
                opts,
                username,
                fields: f,
                password,
                json,
            } => {
                let attributes = fields(f)?;
                let password = new_password(password, username)?;
                let admin = open(opts).await?;
                let u = admin
                    .create_user(NewUser {
                        username: username.clone(),
                        attributes,
                        groups: f.groups.clone(),
                        password,
                    })
                    .await
                    .map_err(admin_error)?;
                if *json {
                    return output::json(&user_json(&u));
                }
                output::line(&format!("{}\t{}", u.id, u.username))?;
                output::note(&format!(
                    "user {} created (subject {}){}",
                    u.username,
                    u.id,
                    if u.password_hash.is_some() { "" } else { ", without a password" }
                ));
                Ok(())
            }
            UserCommand::List { opts, json } => {
                let users = open(opts).await?.users().await.map_err(admin_error)?;
                if *json {
                    for u in &users {
                        output::line(&user_json(u).to_string())?;
                    }
                    return Ok(());
                }
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.username.clone(),
                            u.id.clone(),
                            if u.enabled { "enabled" } else { "disabled" }.to_owned(),
                            u.attributes
                                .get("email")
                                .and_then(Value::as_str)
                                .unwrap_or("-")
                                .to_owned(),
                            u.groups.join(" "),
                        ]
                    })
                    .collect();
                output::table(
                    &["USERNAME", "SUB", "STATE", "EMAIL", "GROUPS"],
                    &rows,
                    "no users yet: tessera user create USERNAME",
                )
            }
            UserCommand::Show { opts, user, json } => {
                let admin = open(opts).await?;
                let u = admin.user(user).await.map_err(admin_error)?;
                let (factors, required) = admin.second_factors(&u.id).await.map_err(admin_error)?;
                if *json {
                    let mut v = user_json(&u);
                    v["second_factors"] = json!(factors);
                    v["mfa_required"] = json!(required);
                    return output::json(&v);
                }
                show(&u, false)?;
                let count = |k: &str| factors.iter().filter(|f| f["kind"] == k).count();
                output::line(&format!(
                    "factors    {} app, {} passkey{}, {} recovery code{} left{}",
                    count("totp"),
                    count("passkey"),
                    if count("passkey") == 1 { "" } else { "s" },
                    count("recovery"),
                    if count("recovery") == 1 { "" } else { "s" },
                    if required { "; a second factor is required" } else { "" }
                ))
            }
            UserCommand::Update {
                opts,
                user,
                username,
                fields: f,
                remove_attrs,
                remove_groups,
                json,
            } => {
                let change = UserChange {
                    username: username.clone(),
                    set: fields(f)?,
                    remove: remove_attrs.clone(),
                    add_groups: f.groups.clone(),
                    remove_groups: remove_groups.clone(),
                };
                let u = open(opts)
                    .await?
                    .update_user(user, change)
                    .await
                    .map_err(admin_error)?;
                said(&u, *json, "updated")
            }
            UserCommand::SetPassword {
                opts,
                user,
                password,
                json,
            } => {
                let admin = open(opts).await?;
                let current = admin.user(user).await.map_err(admin_error)?;
                let password = new_password(password, &current.username)?;
                let removed = password.is_none();
                let u = admin
                    .set_password(&current.id, password)
                    .await
                    .map_err(admin_error)?;
                said(
                    &u,
                    *json,
                    if removed {
                        "has no password now"
                    } else {
                        "has a new password"
                    },
                )
            }
            UserCommand::Disable(t) => target(t, "disabled: it cannot sign in, and its sessions and tokens ended", |a, u| Box::pin(async move { a.set_user_enabled(u, false).await })).await,
            UserCommand::Enable(t) => target(t, "enabled: it can sign in again", |a, u| Box::pin(async move { a.set_user_enabled(u, true).await })).await,
            UserCommand::Logout(t) => target(t, "logged out: every session and token made until now ended, on every node", |a, u| Box::pin(async move { a.logout_user(u).await })).await,
            UserCommand::Invite { target: t, ttl } => {
                let d = input::duration(ttl)?;
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                if !(60..=30 * 86_400).contains(&secs) {
                    return Err(Failure::Input(anyhow!("--ttl takes 1m to 30d")));
                }
                let admin = open(&t.opts).await?;
                let (u, token) = admin.invite(&t.user, secs).await.map_err(admin_error)?;
                // The token is base64url: nothing in it needs escaping.
                let link = format!("{}/account/invite?token={token}", admin.issuer().await);
                if t.json {
                    return output::line(
                        &json!({"sub": u.id, "username": u.username, "link": link, "expires_in": secs})
                            .to_string(),
                    );
                }
                output::line(&format!(
                    "{link}\n\nA one-time link for {} to add a passkey; it works for {}. Send it over a channel only they read.",
                    u.username, ttl
                ))
            }
            UserCommand::ResetMfa(t) => target(t, "has no second factor now (authenticator app, passkeys and recovery codes removed; sessions ended)", |a, u| Box::pin(async move { a.reset_mfa(u).await })).await,
            UserCommand::RequireMfa { target: t, off: false } => target(t, "must give a second factor at every sign-in", |a, u| Box::pin(async move { a.require_mfa(u, true).await })).await,
            UserCommand::RequireMfa { target: t, off: true } => target(t, "no longer must give a second factor", |a, u| Box::pin(async move { a.require_mfa(u, false).await })).await,
            UserCommand::Delete(t) => target(t, "deleted (the audit log keeps its subject id only)", |a, u| Box::pin(async move { a.delete_user(u).await })).await,
            UserCommand::Consents(t) => {
                let admin = open(&t.opts).await?;
                let consents = admin.consents(&t.user).await.map_err(admin_error)?;
                if t.json {
                    for c in &consents {
                        output::line(
                            &json!({"client_id": c.client_id, "scope": c.scopes.join(" "), "granted_at": c.granted_at})
                                .to_string(),
                        )?;
                    }
                    return Ok(());
                }
                let mut rows = Vec::new();
                for c in &consents {
                    let name = admin
                        .client(&c.client_id)
                        .await
                        .map_or_else(|_| "(deleted)".to_owned(), |cl| cl.name);
                    rows.push(vec![
                        c.client_id.clone(),
                        name,
                        c.scopes.join(" "),
                        output::iso(c.granted_at, crate::args::DateStyle::Utc),
                    ]);
                }
                output::table(
                    &["CLIENT ID", "NAME", "SCOPES", "SINCE"],
                    &rows,
                    "no applications: this person has not given access to any",
                )
            }
            UserCommand::Grants(t) => {
                let admin = open(&t.opts).await?;
                let grants = admin.user_grants(&t.user).await.map_err(admin_error)?;
                print_grants(&admin, &grants, t.json).await
            }
            UserCommand::RevokeGrant { opts, grant_id } => {
                let f = open(opts)
                    .await?
                    .revoke_grant(grant_id)
                    .await
                    .map_err(admin_error)?;
                output::note(&format!(
                    "grant {} of {} revoked: its refresh tokens no longer work, and its access tokens are inactive at introspection",
                    f.id, f.client_id
                ));
                Ok(())
            }
            UserCommand::RevokeConsent {
                opts,
                user,
                client_id,
            } => {
                let u = open(opts)
                    .await?
                    .revoke_consent(user, client_id)
                    .await
                    .map_err(admin_error)?;
                output::note(&format!(
                    "{} no longer gives {client_id} access: it must ask again, and its tokens for them ended",
                    u.username
                ));
                Ok(())
            }
            UserCommand::Import { opts, file, json } => {
                let bytes = if file == "-" {
                    input::stdin()?
                } else {
                    input::file(file)?
                };
                let text = String::from_utf8(bytes)
                    .map_err(|_| anyhow!("{file} is not UTF-8 text: nothing was imported"))?;
                let done = open(opts)
                    .await?
                    .import_users(&text)
                    .await
                    .map_err(admin_error)?;
                if *json {
                    return output::json(&serde_json::to_value(&done).map_err(|e| anyhow!("{e}"))?);
                }
                output::line(&format!(
                    "imported {} users; {} with a password hash of another kind or other parameters, replaced by Argon2id at their first sign-in",
                    done.imported, done.to_rehash
                ))
            }
        }
    })
}

type Action = for<'a> fn(
    &'a tessera_server::admin::Admin,
    &'a str,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<User, tessera_server::error::Error>> + 'a>,
>;

async fn target(t: &UserTarget, what: &str, act: Action) -> CmdResult {
    let admin = open(&t.opts).await?;
    let u = act(&admin, &t.user).await.map_err(admin_error)?;
    said(&u, t.json, what)
}

/// Live grants as a table (grant, application, person, scopes, offline or not, since, until)
/// or JSON lines.
pub async fn print_grants(
    admin: &tessera_server::admin::Admin,
    grants: &[tessera_store::RefreshFamily],
    json: bool,
) -> CmdResult {
    if json {
        for f in grants {
            output::line(
                &json!({
                    "grant_id": f.id, "client_id": f.client_id, "user_id": f.user_id,
                    "scope": f.scopes.join(" "), "offline": f.session_hash.is_none(),
                    "created_at": f.created_ms.div_euclid(1000),
                    "idle_expires_at": f.idle_expires_at, "expires_at": f.expires_at,
                    "dpop_bound": f.jkt.is_some(), "rotations": f.generation,
                })
                .to_string(),
            )?;
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    for f in grants {
        let person = admin
            .user(&f.user_id)
            .await
            .map_or_else(|_| f.user_id.clone(), |u| u.username);
        rows.push(vec![
            f.id.clone(),
            f.client_id.clone(),
            person,
            f.scopes.join(" "),
            if f.session_hash.is_none() {
                "offline"
            } else {
                "session"
            }
            .to_owned(),
            output::iso(f.created_ms.div_euclid(1000), crate::args::DateStyle::Utc),
            output::iso(
                f.idle_expires_at.min(f.expires_at),
                crate::args::DateStyle::Utc,
            ),
        ]);
    }
    output::table(
        &[
            "GRANT",
            "CLIENT ID",
            "PERSON",
            "SCOPES",
            "KIND",
            "SINCE",
            "UNTIL (UNLESS USED)",
        ],
        &rows,
        "no live grants",
    )
}
