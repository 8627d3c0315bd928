//! How a person signed in: the methods (RFC 8176 `amr` values), the level they reach (`acr`),
//! and a step-up's higher level, which lasts [`crate::config::Config::step_up_ttl`] and then
//! falls back to the sign-in's.
//!
//! Three levels, named by configuration (standard names by default where they exist):
//! one factor; two factors of different kinds (`mfa`); and phishing-resistant, two factors one
//! of which is a passkey (`hwk`/`swk`: bound to this origin, so a phishing page gets nothing
//! it can replay).

use serde::{Deserialize, Serialize};

/// The configured names of the levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcrNames {
    /// One factor.
    pub password: String,
    /// Two factors.
    pub mfa: String,
    /// Two factors, one of them a passkey.
    pub phishing_resistant: String,
}

impl Default for AcrNames {
    fn default() -> Self {
        Self {
            password: crate::tokens::ACR_PASSWORD.to_owned(),
            mfa: "http://schemas.openid.net/pape/policies/2007/06/multi-factor".to_owned(),
            phishing_resistant:
                "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant".to_owned(),
        }
    }
}

/// An authentication level, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// One factor.
    Password,
    /// Two factors of different kinds.
    Mfa,
    /// Two factors, one of them a passkey.
    PhishingResistant,
}

impl Level {
    /// The level a client's `--require-acr` names (`password`, `mfa`, `phishing-resistant`).
    #[must_use]
    pub fn from_keyword(k: &str) -> Option<Self> {
        match k {
            "password" => Some(Self::Password),
            "mfa" => Some(Self::Mfa),
            "phishing-resistant" => Some(Self::PhishingResistant),
            _ => None,
        }
    }
}

impl AcrNames {
    /// The `acr` of a level.
    #[must_use]
    pub fn name(&self, l: Level) -> &str {
        match l {
            Level::Password => &self.password,
            Level::Mfa => &self.mfa,
            Level::PhishingResistant => &self.phishing_resistant,
        }
    }

    /// The level an `acr` value names.
    #[must_use]
    pub fn level(&self, name: &str) -> Option<Level> {
        [Level::Password, Level::Mfa, Level::PhishingResistant]
            .into_iter()
            .find(|l| self.name(*l) == name)
    }

    /// Every name, lowest level first (discovery's `acr_values_supported`).
    #[must_use]
    pub fn all(&self) -> [&str; 3] {
        [&self.password, &self.mfa, &self.phishing_resistant]
    }

    /// The lowest level among the known names of an `acr_values` parameter (space-separated,
    /// in order of preference: reaching any of them is enough); `None` when it names none
    /// this service knows (OpenID Connect Core §3.1.2.1: a voluntary request).
    #[must_use]
    pub fn requested(&self, acr_values: &str) -> Option<Level> {
        acr_values.split(' ').filter_map(|v| self.level(v)).min()
    }
}

/// Who gives a second factor at every sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaAtSignIn {
    /// Everyone who enrolled one.
    Enrolled,
    /// Only the people the operator requires it of.
    Required,
}

/// What a factor proves, for "two factors of different kinds".
fn kind(method: &str) -> Option<u8> {
    match method {
        "pwd" | "pin" | "kba" => Some(0),
        "otp" | "hwk" | "swk" | "sms" | "tel" => Some(1),
        // User verification on the authenticator (a PIN or biometric we are not told which).
        "user" | "fpt" | "face" | "iris" | "retina" | "vbm" => Some(2),
        _ => None,
    }
}

/// `methods` with `mfa` added when they hold factors of two kinds (RFC 8176 §2).
#[must_use]
pub fn with_mfa(methods: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(methods.len() + 1);
    for m in methods {
        if m != "mfa" && !out.contains(m) {
            out.push(m.clone());
        }
    }
    let mut kinds: Vec<u8> = out.iter().filter_map(|m| kind(m)).collect();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.len() >= 2 {
        out.push("mfa".to_owned());
    }
    out
}

/// The level `methods` (with `mfa` already added) reach.
#[must_use]
pub fn level_of(methods: &[String]) -> Level {
    let has = |m: &str| methods.iter().any(|x| x == m);
    match (has("mfa"), has("hwk") || has("swk")) {
        (true, true) => Level::PhishingResistant,
        (true, false) => Level::Mfa,
        _ => Level::Password,
    }
}

/// How a session's person signed in, as the store keeps it (JSON in the `auth` column of
/// sessions, codes and refresh families; '' is a password alone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthContext {
    /// The sign-in's methods.
    #[serde(default)]
    pub amr: Vec<String>,
    /// Methods a step-up added, in effect until `until`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<String>,
    /// When the last step-up was made, Unix seconds (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extra_at: i64,
    /// When its level ends, Unix seconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub until: i64,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl AuthContext {
    /// A sign-in with these methods.
    #[must_use]
    pub fn signed_in(methods: &[&str]) -> Self {
        Self {
            amr: methods.iter().map(|m| (*m).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// The stored text read back; '' (a record made before stronger sign-ins) and anything
    /// unreadable are a password alone, never more.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        serde_json::from_str::<Self>(text)
            .ok()
            .filter(|c| !c.amr.is_empty())
            .unwrap_or_else(|| Self::signed_in(&["pwd"]))
    }

    /// The text to store.
    #[must_use]
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether a step-up's level holds at `now`.
    #[must_use]
    pub fn elevated(&self, now: i64) -> bool {
        !self.extra.is_empty() && now < self.until
    }

    /// The methods in effect at `now` (`amr`), with `mfa` when they are two kinds.
    #[must_use]
    pub fn methods(&self, now: i64) -> Vec<String> {
        let mut all = self.amr.clone();
        if self.elevated(now) {
            all.extend(self.extra.iter().cloned());
        }
        with_mfa(&all)
    }

    /// The level in effect at `now`.
    #[must_use]
    pub fn level(&self, now: i64) -> Level {
        level_of(&self.methods(now))
    }

    /// The last time the person authenticated: the sign-in (`signed_in`), or a later step-up.
    #[must_use]
    pub fn auth_time(&self, signed_in: i64) -> i64 {
        signed_in.max(self.extra_at)
    }

    /// Adds a step-up's methods at `now`, in effect for `ttl` seconds (those of a step-up
    /// still in effect are kept).
    pub fn step_up(&mut self, methods: &[&str], now: i64, ttl: i64) {
        if !self.elevated(now) {
            self.extra.clear();
        }
        for m in methods {
            if !self.extra.iter().any(|x| x == m) && !self.amr.iter().any(|x| x == m) {
                self.extra.push((*m).to_owned());
            }
        }
        self.extra_at = now;
        self.until = now.saturating_add(ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|m| (*m).to_owned()).collect()
    }

    #[test]
    fn two_kinds_of_factor_are_mfa_and_a_passkey_among_them_resists_phishing() {
        assert_eq!(with_mfa(&v(&["pwd"])), v(&["pwd"]));
        assert_eq!(with_mfa(&v(&["pwd", "otp"])), v(&["pwd", "otp", "mfa"]));
        assert_eq!(with_mfa(&v(&["otp", "hwk"])), v(&["otp", "hwk"]));
        assert_eq!(level_of(&with_mfa(&v(&["pwd"]))), Level::Password);
        assert_eq!(level_of(&with_mfa(&v(&["hwk"]))), Level::Password);
        assert_eq!(level_of(&with_mfa(&v(&["pwd", "otp"]))), Level::Mfa);
        assert_eq!(
            level_of(&with_mfa(&v(&["swk", "user"]))),
            Level::PhishingResistant
        );
        assert_eq!(
            level_of(&with_mfa(&v(&["pwd", "hwk"]))),
            Level::PhishingResistant
        );
        // A stored "mfa" is not believed: it is derived.
        assert_eq!(level_of(&with_mfa(&v(&["pwd", "mfa"]))), Level::Password);
    }

    #[test]
    fn a_step_up_lasts_its_time_then_falls_back() {
        let mut c = AuthContext::parse("");
        assert_eq!(c.amr, v(&["pwd"]));
        c.step_up(&["otp"], 1000, 60);
        assert_eq!(c.level(1000), Level::Mfa);
        assert_eq!(c.level(1059), Level::Mfa);
        assert_eq!(c.level(1060), Level::Password);
        assert_eq!(c.methods(1060), v(&["pwd"]));
        assert_eq!(c.auth_time(900), 1000);
        let back = AuthContext::parse(&c.to_text());
        assert_eq!(back, c);
        assert_eq!(AuthContext::parse("garbage").amr, v(&["pwd"]));
        assert_eq!(AuthContext::parse("{\"amr\":[]}").amr, v(&["pwd"]));
    }

    #[test]
    fn acr_values_ask_for_the_lowest_level_they_name() {
        let n = AcrNames::default();
        assert_eq!(n.requested(""), None);
        assert_eq!(n.requested("urn:unknown"), None);
        assert_eq!(n.requested(&n.mfa), Some(Level::Mfa));
        let both = format!("{} {}", n.phishing_resistant, n.mfa);
        assert_eq!(n.requested(&both), Some(Level::Mfa));
        assert_eq!(
            n.level(&n.phishing_resistant),
            Some(Level::PhishingResistant)
        );
    }
}
