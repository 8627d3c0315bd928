//! Operator commands on people's accounts (`tessera user …`). Accounts are not cached by the
//! nodes: a change holds at the next sign-in on every node.

use serde_json::{Map, Value, json};
use tessera_store::User;
use zeroize::Zeroizing;

use super::Admin;
use crate::error::Error;
use crate::users::{attributes, password, policy, username};

/// A new account.
#[derive(Default)]
pub struct NewUser {
    /// As the person types it.
    pub username: String,
    /// Standard claims and custom attributes.
    pub attributes: Map<String, Value>,
    /// Groups.
    pub groups: Vec<String>,
    /// The password (checked against the rules), or none (a passkey or a reset link later).
    pub password: Option<Zeroizing<String>>,
}

/// A change to an account; what is `None` or empty stays.
#[derive(Default)]
pub struct UserChange {
    /// A new username.
    pub username: Option<String>,
    /// Attributes to set.
    pub set: Map<String, Value>,
    /// Attributes to remove.
    pub remove: Vec<String>,
    /// Groups to join.
    pub add_groups: Vec<String>,
    /// Groups to leave.
    pub remove_groups: Vec<String>,
}

/// What `user import` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// How many accounts were imported.
    pub imported: usize,
    /// How many of them carry a password hash of another kind, or Argon2id at other
    /// parameters (replaced at their first sign-in).
    pub to_rehash: usize,
}

/// The most lines one import reports as faulty.
const MAX_REPORTED: usize = 20;

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

fn check_groups(groups: &[String]) -> Result<(), Error> {
    for g in groups {
        if g.is_empty() || g.len() > 128 || g.chars().any(char::is_control) {
            return Err(invalid(format!(
                "`{}` is not a group name (1 to 128 characters, no control characters)",
                tessera_jose::error::escaped(g)
            )));
        }
    }
    Ok(())
}

/// A new subject identifier: `u_` and 128 random bits.
fn new_subject() -> Result<String, Error> {
    Ok(format!(
        "u_{}",
        tessera_jose::b64::encode(tessera_jose::secret::random(16)?)
    ))
}

impl Admin {
    /// The Argon2id parameters of new hashes.
    fn argon2(&self) -> password::Argon2Params {
        self.config.argon2
    }

    /// What a password must not be built on: the username, the service's name and host, and
    /// the person's email address.
    fn guessable<'a>(&'a self, user: &'a str, attrs: &'a Map<String, Value>) -> Vec<&'a str> {
        let mut words = vec![user, "tessera", self.config.issuer_authority()];
        if let Some(email) = attrs.get("email").and_then(Value::as_str) {
            words.push(email);
            words.extend(email.split('@').next());
        }
        words
    }

    fn hash_new(
        &self,
        password: &str,
        user: &str,
        attrs: &Map<String, Value>,
    ) -> Result<String, Error> {
        policy::check(password, &self.guessable(user, attrs)).map_err(invalid)?;
        password::hash(self.argon2(), password).map_err(|e| invalid(e.to_string()))
    }

    async fn user_event(&self, kind: &str, u: &User, mut detail: Value) -> Result<(), Error> {
        if let Value::Object(d) = &mut detail {
            d.insert("user_id".into(), json!(u.id));
            d.insert("username".into(), json!(u.username));
        }
        self.event(kind, None, detail).await
    }

    /// Creates an account.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a username that is not one or is taken, an attribute or group
    /// at fault, or a password the rules refuse.
    pub async fn create_user(&self, new: NewUser) -> Result<User, Error> {
        let key = username::key(&new.username).map_err(invalid)?;
        let mut attrs = Map::new();
        attributes::set_all(&mut attrs, new.attributes).map_err(invalid)?;
        check_groups(&new.groups)?;
        let password_hash = match &new.password {
            Some(pw) => Some(self.hash_new(pw, &new.username, &attrs)?),
            None => None,
        };
        let now = self.now();
        let user = User {
            id: new_subject()?,
            username: new.username,
            username_key: key,
            password_hash,
            attributes: attrs,
            groups: new.groups,
            enabled: true,
            logged_out_before_ms: None,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        self.store.insert_user(&user).await.map_err(|e| match e {
            tessera_store::StoreError::Conflict(m) => invalid(m),
            other => other.into(),
        })?;
        self.user_event(
            "user.created",
            &user,
            json!({"password": user.password_hash.is_some()}),
        )
        .await?;
        Ok(user)
    }

    /// Every account, oldest first.
    ///
    /// # Errors
    /// [`Error`] from the store.
    pub async fn users(&self) -> Result<Vec<User>, Error> {
        Ok(self.store.users().await?)
    }

    /// The account with this username (compared as usernames are) or subject id.
    ///
    /// # Errors
    /// [`Error::Invalid`] when there is none.
    pub async fn user(&self, name_or_id: &str) -> Result<User, Error> {
        let by_name = match username::key(name_or_id) {
            Ok(key) => self.store.user_by_username(&key).await?,
            Err(_) => None,
        };
        let found = match by_name {
            Some(u) => Some(u),
            None => self.store.user(name_or_id).await?,
        };
        found.ok_or_else(|| {
            invalid(format!(
                "no user `{}`",
                tessera_jose::error::escaped(name_or_id)
            ))
        })
    }

    async fn change_user(
        &self,
        name_or_id: &str,
        change: impl Fn(&mut User) -> Result<(), Error>,
    ) -> Result<User, Error> {
        for _ in 0..5 {
            let mut u = self.user(name_or_id).await?;
            change(&mut u)?;
            u.updated_at = self.now();
            match self.store.update_user(&u).await {
                Ok(()) => {
                    u.version += 1;
                    return Ok(u);
                }
                Err(tessera_store::StoreError::Conflict(m)) if m.contains("is taken") => {
                    return Err(invalid(m));
                }
                Err(tessera_store::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(invalid(format!(
            "user `{}` keeps changing under this command: try again",
            tessera_jose::error::escaped(name_or_id)
        )))
    }

    /// Changes an account's username, attributes or groups.
    ///
    /// # Errors
    /// As [`Admin::create_user`].
    pub async fn update_user(&self, name_or_id: &str, change: UserChange) -> Result<User, Error> {
        let key = match &change.username {
            Some(n) => Some(username::key(n).map_err(invalid)?),
            None => None,
        };
        check_groups(&change.add_groups)?;
        let u = self
            .change_user(name_or_id, |u| {
                if let (Some(name), Some(key)) = (&change.username, &key) {
                    u.username.clone_from(name);
                    u.username_key.clone_from(key);
                }
                attributes::set_all(&mut u.attributes, change.set.clone()).map_err(invalid)?;
                for name in &change.remove {
                    u.attributes.remove(name);
                }
                for g in &change.add_groups {
                    if !u.groups.contains(g) {
                        u.groups.push(g.clone());
                    }
                }
                u.groups.retain(|g| !change.remove_groups.contains(g));
                Ok(())
            })
            .await?;
        self.user_event(
            "user.updated",
            &u,
            json!({"attributes_set": change.set.keys().collect::<Vec<_>>(), "attributes_removed": change.remove, "groups": u.groups}),
        )
        .await?;
        Ok(u)
    }

    /// Enables or disables an account; disabling ends its sessions and tokens at once.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn set_user_enabled(&self, name_or_id: &str, enabled: bool) -> Result<User, Error> {
        let now_ms = self.clock.now_millis();
        let u = self
            .change_user(name_or_id, |u| {
                u.enabled = enabled;
                if !enabled {
                    u.logged_out_before_ms =
                        Some(u.logged_out_before_ms.map_or(now_ms, |t| t.max(now_ms)));
                }
                Ok(())
            })
            .await?;
        let kind = if enabled {
            "user.enabled"
        } else {
            // The sessions end now (not at their next request): applications that asked to
            // hear of it are told (back-channel logout).
            self.store.delete_sessions_of(&u.id, None).await?;
            "user.disabled"
        };
        self.user_event(kind, &u, json!({})).await?;
        Ok(u)
    }

    /// Ends every session and token of the user made up to now (to the millisecond).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn logout_user(&self, name_or_id: &str) -> Result<User, Error> {
        let now_ms = self.clock.now_millis();
        let u = self
            .change_user(name_or_id, |u| {
                u.logged_out_before_ms = Some(now_ms);
                Ok(())
            })
            .await?;
        // The cut-off ends them on every node; deleting them now tells the applications that
        // asked to hear of it (back-channel logout) at once.
        self.store.delete_sessions_of(&u.id, None).await?;
        self.user_event(
            "user.logged_out",
            &u,
            json!({"by": "operator", "up_to_ms": now_ms}),
        )
        .await?;
        Ok(u)
    }

    /// The user's second factors as an operator sees them (never a secret): kind, name, when
    /// added and last used; and whether a second factor is required of them.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn second_factors(
        &self,
        name_or_id: &str,
    ) -> Result<(Vec<serde_json::Value>, bool), Error> {
        let u = self.user(name_or_id).await?;
        let factors = self
            .store
            .factors_of(&u.id)
            .await?
            .into_iter()
            .filter(|f| f.confirmed && !(f.kind == "recovery" && f.counter != 0))
            .map(|f| json!({"kind": f.kind, "name": f.name, "created_at": f.created_at, "last_used": f.last_used}))
            .collect();
        Ok((factors, self.store.mfa_required(&u.id).await?))
    }

    /// Removes every second factor of the user (authenticator app, passkeys, recovery codes)
    /// and ends their sessions: for a person who lost their devices. They sign in with their
    /// password next (or, when the operator requires a second factor, sign in and set one up
    /// before any application gets a token).
    ///
    /// # Errors
    /// [`Error`].
    pub async fn reset_mfa(&self, name_or_id: &str) -> Result<User, Error> {
        let u = self.user(name_or_id).await?;
        let removed = self.store.delete_factors(&u.id, None).await?;
        self.store.delete_sessions_of(&u.id, None).await?;
        self.user_event(
            "user.mfa_reset",
            &u,
            json!({"by": "operator", "factors_removed": removed}),
        )
        .await?;
        Ok(u)
    }

    /// A one-time enrolment link's token for the user (to register a first passkey, e.g. an
    /// account made with `--no-password`), valid for `ttl` seconds; the store keeps its hash.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn invite(&self, name_or_id: &str, ttl: i64) -> Result<(User, String), Error> {
        let u = self.user(name_or_id).await?;
        if !u.enabled {
            return Err(Error::Invalid("the account is disabled".into()));
        }
        let token = tessera_jose::b64::encode(tessera_jose::secret::random(32)?);
        let expires = self.clock.now_millis().div_euclid(1000) + ttl;
        self.store
            .insert_challenge(
                &crate::pages::passkeys::invite_hash(&token),
                "invite",
                &u.id,
                expires,
            )
            .await?;
        self.user_event(
            "user.invited",
            &u,
            json!({"by": "operator", "expires_at": expires}),
        )
        .await?;
        Ok((u, token))
    }

    /// Requires (or no longer requires) a second factor of the user at every sign-in.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn require_mfa(&self, name_or_id: &str, required: bool) -> Result<User, Error> {
        let u = self.user(name_or_id).await?;
        self.store.set_mfa_required(&u.id, required).await?;
        self.user_event(
            "user.mfa_required",
            &u,
            json!({"by": "operator", "required": required}),
        )
        .await?;
        Ok(u)
    }

    /// The applications a person gave access to (consents with scopes), newest first.
    ///
    /// # Errors
    /// [`Error`].
    pub async fn consents(&self, name_or_id: &str) -> Result<Vec<tessera_store::Consent>, Error> {
        let u = self.user(name_or_id).await?;
        Ok(self.store.consents_of(&u.id).await?)
    }

    /// Removes a person's consent to an application: the application must ask again, and
    /// its tokens for the person issued up to now are inactive.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the person had not consented to it.
    pub async fn revoke_consent(&self, name_or_id: &str, client_id: &str) -> Result<User, Error> {
        let u = self.user(name_or_id).await?;
        let now_ms = self.clock.now_millis();
        if !self.store.revoke_consent(&u.id, client_id, now_ms).await? {
            return Err(Error::Invalid(format!(
                "{} has not given access to `{}`",
                u.username,
                tessera_jose::error::escaped(client_id)
            )));
        }
        self.event(
            "consent.revoked",
            Some(client_id),
            json!({"user_id": u.id, "by": "operator", "up_to_ms": now_ms}),
        )
        .await?;
        Ok(u)
    }

    /// A person's live refresh-token families (grants), newest first.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown person.
    pub async fn user_grants(
        &self,
        name_or_id: &str,
    ) -> Result<Vec<tessera_store::RefreshFamily>, Error> {
        let u = self.user(name_or_id).await?;
        Ok(self
            .store
            .live_families(Some(&u.id), None, self.clock.now())
            .await?)
    }

    /// A client's live refresh-token families (grants), newest first.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown client.
    pub async fn client_grants(
        &self,
        client_id: &str,
    ) -> Result<Vec<tessera_store::RefreshFamily>, Error> {
        let c = self.client(client_id).await?;
        Ok(self
            .store
            .live_families(None, Some(&c.id), self.clock.now())
            .await?)
    }

    /// Revokes a grant: every refresh token of its family, and the access tokens of the
    /// grant at introspection.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown or already revoked grant.
    pub async fn revoke_grant(
        &self,
        grant_id: &str,
    ) -> Result<tessera_store::RefreshFamily, Error> {
        let unknown = || {
            Error::Invalid(format!(
                "no live grant `{}`",
                tessera_jose::error::escaped(grant_id)
            ))
        };
        let f = self.store.family(grant_id).await?.ok_or_else(unknown)?;
        if !self
            .store
            .revoke_family(grant_id, self.clock.now(), "operator")
            .await?
        {
            return Err(unknown());
        }
        self.event(
            "grant.revoked",
            Some(&f.client_id),
            json!({"grant_id": f.id, "user_id": f.user_id, "by": "operator"}),
        )
        .await?;
        Ok(f)
    }

    /// Sets (or with `None` removes) an account's password.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a password the rules refuse.
    pub async fn set_password(
        &self,
        name_or_id: &str,
        password: Option<Zeroizing<String>>,
    ) -> Result<User, Error> {
        let current = self.user(name_or_id).await?;
        let hash = match &password {
            Some(pw) => Some(self.hash_new(pw, &current.username, &current.attributes)?),
            None => None,
        };
        let u = self
            .change_user(&current.id, |u| {
                u.password_hash.clone_from(&hash);
                Ok(())
            })
            .await?;
        self.user_event(
            "user.password_changed",
            &u,
            json!({"by": "operator", "password": hash.is_some()}),
        )
        .await?;
        Ok(u)
    }

    /// Deletes an account.
    ///
    /// # Errors
    /// [`Error::Invalid`] when there is none.
    pub async fn delete_user(&self, name_or_id: &str) -> Result<User, Error> {
        let u = self.user(name_or_id).await?;
        self.store.delete_sessions_of(&u.id, None).await?;
        self.store.delete_user(&u.id).await?;
        // The audit log keeps the subject id only.
        self.event("user.deleted", None, json!({"user_id": u.id}))
            .await?;
        Ok(u)
    }

    /// Imports accounts from JSON lines: each line an object with `username`, optionally
    /// `password_hash` (PHC: argon2id/i/d, bcrypt, pbkdf2-sha256/512), `sub` (to keep the
    /// subject other systems know), `groups`, `enabled`, the standard claims, and `attributes`
    /// (custom ones). Every line is checked first; any fault and nothing is imported (the
    /// faults are reported by line number); then all are inserted in one transaction.
    ///
    /// # Errors
    /// [`Error::Invalid`] listing the faulty lines.
    pub async fn import_users(&self, text: &str) -> Result<Imported, Error> {
        let now = self.now();
        let mut users = Vec::new();
        let mut faults = Vec::new();
        let mut keys = std::collections::HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match import_line(line, now) {
                Ok(u) => {
                    if let Some(first) = keys.insert(u.username_key.clone(), i + 1) {
                        faults.push(format!(
                            "line {}: the username `{}` is already on line {first}",
                            i + 1,
                            tessera_jose::error::escaped(&u.username)
                        ));
                    }
                    users.push(u);
                }
                Err(why) => faults.push(format!("line {}: {why}", i + 1)),
            }
        }
        if users.is_empty() && faults.is_empty() {
            return Err(invalid("nothing to import: the file holds no account"));
        }
        if !faults.is_empty() {
            let more = faults.len().saturating_sub(MAX_REPORTED);
            faults.truncate(MAX_REPORTED);
            let mut message = format!("nothing was imported:\n  {}", faults.join("\n  "));
            if more > 0 {
                message.push_str(&format!("\n  and {more} more"));
            }
            return Err(invalid(message));
        }
        self.store.import_users(&users).await.map_err(|e| match e {
            tessera_store::StoreError::Conflict(m) => invalid(format!(
                "nothing was imported: {m} (by an account already in the store)"
            )),
            other => other.into(),
        })?;
        let to_rehash = users
            .iter()
            .filter(|u| {
                u.password_hash
                    .as_deref()
                    .is_some_and(|h| !password::is_current(h, self.argon2()))
            })
            .count();
        self.event(
            "user.imported",
            None,
            json!({"count": users.len(), "to_rehash": to_rehash}),
        )
        .await?;
        Ok(Imported {
            imported: users.len(),
            to_rehash,
        })
    }
}

/// One line of an import, checked.
fn import_line(line: &str, now: i64) -> Result<User, String> {
    let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(line) else {
        return Err("not a JSON object".into());
    };
    let text = |v: Value, what: &str| match v {
        Value::String(s) => Ok(s),
        _ => Err(format!("`{what}` must be a string")),
    };
    let name = text(obj.remove("username").ok_or("no `username`")?, "username")?;
    let key = username::key(&name)?;
    let password_hash = match obj.remove("password_hash") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let h = text(v, "password_hash")?;
            password::parse(&h).map_err(|e| e.to_string())?;
            Some(h)
        }
    };
    let id = match obj.remove("sub") {
        None => new_subject().map_err(|e| e.to_string())?,
        Some(v) => {
            let s = text(v, "sub")?;
            if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
                return Err("`sub` must be 1 to 255 printable ASCII characters".into());
            }
            s
        }
    };
    let groups = match obj.remove("groups") {
        None => Vec::new(),
        Some(v) => serde_json::from_value::<Vec<String>>(v)
            .map_err(|_| "`groups` must be an array of strings".to_owned())?,
    };
    check_groups(&groups).map_err(|e| e.to_string())?;
    let enabled = match obj.remove("enabled") {
        None => true,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err("`enabled` must be true or false".into()),
    };
    let custom = match obj.remove("attributes") {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err("`attributes` must be a JSON object".into()),
    };
    let mut attrs = Map::new();
    for (name, value) in obj {
        if !attributes::is_standard(&name) {
            return Err(format!(
                "`{}` is not a standard claim: put custom attributes in `attributes`",
                tessera_jose::error::escaped(&name)
            ));
        }
        attributes::set(&mut attrs, &name, value)?;
    }
    attributes::set_all(&mut attrs, custom)?;
    Ok(User {
        id,
        username: name,
        username_key: key,
        password_hash,
        attributes: attrs,
        groups,
        enabled,
        logged_out_before_ms: None,
        created_at: now,
        updated_at: now,
        version: 0,
    })
}
