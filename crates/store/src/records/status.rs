//! Token Status Lists: the lists, the blocks of indices nodes take, and who each index was
//! given to.

/// A status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListInfo {
    /// Its number (in its URI).
    pub id: i64,
    /// How many tokens it has room for (a power of two).
    pub capacity: i64,
    /// The key of the permutation from counter to index (base64url, random per list).
    pub perm_key: String,
    /// When it was made.
    pub created_at: i64,
    /// It takes new tokens until then.
    pub closes_at: i64,
    /// It is published until then (its last token's expiry, and more).
    pub expires_at: i64,
}

/// A block of a list's counter, taken by one node: counter values `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusBlock {
    /// The list.
    pub list: StatusListInfo,
    /// The first counter value.
    pub start: i64,
    /// One past the last.
    pub end: i64,
}

/// Who a list's counter value was given to (its index is the value through the list's
/// permutation): what introspection would ask about the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStatus {
    /// The list.
    pub list_id: i64,
    /// The counter value.
    pub seq: i64,
    /// The token's `jti`.
    pub jti: String,
    /// Its client.
    pub client_id: String,
    /// The person's account id, for a person's token.
    pub user_id: Option<String>,
    /// The grant (refresh-token family) it was issued under.
    pub grant_id: Option<String>,
    /// When it was issued, Unix milliseconds.
    pub issued_ms: i64,
}
