//! Usernames: unique after PRECIS UsernameCaseMapped (RFC 8265 §3.3: width mapping, NFC, case
//! folding, the IdentifierClass's code points), shown as entered.

use precis_core::profile::PrecisFastInvocation as _;
use precis_profiles::UsernameCaseMapped;

/// The longest username, in bytes.
pub const MAX_USERNAME: usize = 256;

/// The key a username is unique by, or why it is not a username.
///
/// # Errors
/// A message for the person who typed it (which character at which position).
pub fn key(username: &str) -> Result<String, String> {
    if username.is_empty() {
        return Err("the username is empty".into());
    }
    if username.len() > MAX_USERNAME {
        return Err(format!("the username is longer than {MAX_USERNAME} bytes"));
    }
    UsernameCaseMapped::enforce(username)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| match e {
            precis_core::Error::BadCodepoint(info) => format!(
                "a username cannot hold U+{:04X} (character {}): letters, digits and symbols without spaces are allowed",
                info.cp,
                info.position + 1
            ),
            _ => "not a valid username (PRECIS UsernameCaseMapped, RFC 8265)".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn usernames_are_compared_after_case_folding_and_normalization() {
        assert_eq!(key("Ada").unwrap(), "ada");
        assert_eq!(key("ADA").unwrap(), key("ada").unwrap());
        // Full-width letters map to their usual width; a precomposed and a decomposed é are one.
        assert_eq!(key("\u{ff21}da").unwrap(), "ada");
        assert_eq!(key("Jos\u{e9}").unwrap(), key("Jose\u{301}").unwrap());
        assert_eq!(key("juliet@example.com").unwrap(), "juliet@example.com");
        assert!(
            key("ada lovelace")
                .unwrap_err()
                .contains("U+0020 (character 4)")
        );
        assert!(key("").is_err());
        assert!(key("a\u{0}b").is_err());
        assert!(key(&"a".repeat(300)).is_err());
    }
}
