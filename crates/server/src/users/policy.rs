//! New passwords, by NIST SP 800-63B §5.1.1.2: at least 8 characters, up to 256 accepted, any
//! characters but controls, no composition rules, and not one that is commonly used or easily
//! guessed (a strength estimator, with the username and the service's own words as what an
//! attacker would try first).

/// The fewest characters.
pub const MIN_CHARS: usize = 8;
/// The most characters accepted (SP 800-63B asks for at least 64).
pub const MAX_CHARS: usize = 256;

/// Why a new password is refused, in words for the person choosing it.
///
/// # Errors
/// The reason.
pub fn check(password: &str, guessable: &[&str]) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!(
            "the password is too short: at least {MIN_CHARS} characters (a few words make a good one)"
        ));
    }
    if chars > MAX_CHARS {
        return Err(format!(
            "the password is longer than {MAX_CHARS} characters"
        ));
    }
    if password.chars().any(char::is_control) {
        return Err("the password holds a control character".into());
    }
    let inputs: Vec<&str> = guessable
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .collect();
    // The username, the service's name and their derivatives: what is left without them (and
    // without separators) must be a password on its own.
    let lower = password.to_lowercase();
    let mut rest = lower.clone();
    for word in &inputs {
        let word = word.to_lowercase();
        if word.chars().count() >= 3 {
            rest = rest.replace(&word, "");
        }
    }
    if rest != lower && rest.chars().filter(|c| c.is_alphanumeric()).count() < MIN_CHARS {
        return Err("the password is too close to the username or the service's name".into());
    }
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() < zxcvbn::Score::Three {
        let why = estimate
            .feedback()
            .and_then(zxcvbn::feedback::Feedback::warning)
            .map_or_else(String::new, |w| format!(": {w}"));
        return Err(format!(
            "the password is too easy to guess{why} (a longer one, or a few unrelated words, is better)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn nist_rules() {
        assert!(check("short1!", &[]).unwrap_err().contains("too short"));
        assert!(check("password1", &[]).unwrap_err().contains("too easy"));
        assert!(check("qwertyuiop", &[]).unwrap_err().contains("too easy"));
        // The username and the service's name are the first guesses.
        assert!(check("ada.lovelace.1815", &["ada.lovelace.1815"]).is_err());
        assert!(check("tessera-tessera", &["tessera"]).is_err());
        // No composition rules: long lowercase words pass.
        check("correct horse battery staple", &[]).unwrap();
        check("ünïcödé pässwörds wörk töö", &[]).unwrap();
        check("ada: correct horse battery staple", &["ada"]).unwrap();
        assert!(
            check(&"long enough ".repeat(30), &[])
                .unwrap_err()
                .contains("longer than")
        );
        assert!(
            check("with a\u{7}bell inside it", &[])
                .unwrap_err()
                .contains("control")
        );
    }
}
