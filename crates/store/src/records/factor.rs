//! A person's second factors: one-time-code secrets, passkeys and recovery codes.

/// One factor of a person.
#[derive(Clone, PartialEq, Eq)]
pub struct Factor {
    /// Its id: random for a one-time-code secret or a recovery code, the credential id
    /// (base64url) for a passkey.
    pub id: String,
    /// The person (subject id).
    pub user_id: String,
    /// `totp`, `passkey` or `recovery`.
    pub kind: String,
    /// The name the person gave it (a passkey's, an authenticator app's).
    pub name: String,
    /// The TOTP secret sealed under the master key; a passkey's public key (COSE, base64url);
    /// a recovery code's hash.
    pub secret: String,
    /// The last TOTP time step used; a passkey's sign count; 1 once a recovery code is used.
    pub counter: i64,
    /// A TOTP secret is confirmed by a first code; passkeys and recovery codes are at once.
    pub confirmed: bool,
    /// Unix time of enrolment.
    pub created_at: i64,
    /// Unix time of the last use.
    pub last_used: Option<i64>,
    /// Kind-specific facts as JSON (a passkey's algorithm, backup flags, transports).
    pub data: String,
}

impl core::fmt::Debug for Factor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the secret: a sealed TOTP secret or a code's hash stays out of logs.
        f.debug_struct("Factor")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}
