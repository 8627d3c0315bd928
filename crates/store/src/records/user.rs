//! A person who signs in.

use serde_json::{Map, Value};

/// A person's account.
#[derive(Clone, PartialEq)]
pub struct User {
    /// The subject identifier (`sub`): random and stable, never the username.
    pub id: String,
    /// The username as it was entered.
    pub username: String,
    /// The username after PRECIS UsernameCaseMapped (RFC 8265 §3.3): unique.
    pub username_key: String,
    /// The password hash in PHC form (`$argon2id$…`, or an imported `$2b$…`, `$pbkdf2-…`);
    /// `None` for an account without a password.
    pub password_hash: Option<String>,
    /// The OpenID Connect standard claims and custom attributes (a JSON object).
    pub attributes: Map<String, Value>,
    /// Groups.
    pub groups: Vec<String>,
    /// A disabled account cannot sign in.
    pub enabled: bool,
    /// Sessions and tokens of the user made at or before this Unix time in milliseconds are
    /// ended (`user logout`, a disable).
    pub logged_out_before_ms: Option<i64>,
    /// Unix time of creation.
    pub created_at: i64,
    /// Unix time of the last change.
    pub updated_at: i64,
    /// Raised by every update; an update whose version is not the stored one is refused.
    pub version: i64,
}

impl core::fmt::Debug for User {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the password hash; attributes are personal data and stay out too.
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// What a sign-in reads before it checks a password, in one round trip
/// ([`crate::UserStore::sign_in_read`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignInRead {
    /// The failure counts (failures, Unix time of the last in milliseconds) of the two
    /// throttle keys asked for, in their order.
    pub throttles: [Option<(i64, i64)>; 2],
    /// The account the username names.
    pub user: Option<User>,
    /// How many factors other than recovery codes the account holds: 0 means no second step to
    /// ask for; otherwise the factors themselves decide ([`crate::FactorStore::factors_of`]).
    pub second_factors: i64,
}
