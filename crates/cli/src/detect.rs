//! What the command line decides from its input alone, with no I/O: whether key bytes hold a
//! JWK Set (the token in a pasted text is `tessera_jose::inspect::pasted_token`). Kept free of
//! the rest of the crate so that the fuzz target `cli_input` can build it as it is.

/// Whether key bytes hold a JWK Set (a JSON object with `keys`).
pub fn is_key_set(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    text.trim_start().starts_with('{')
        && serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get("keys").is_some())
}
