//! A person's attributes: the OpenID Connect standard claims (Core §5.1), each checked for its
//! type, and custom attributes (any JSON, bounded). What the service sets itself (`sub`,
//! `updated_at`, `groups`) and the token's own claims cannot be attributes.

use serde_json::{Map, Value};

/// The type of a standard claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Url,
    Email,
    Bool,
    Date,
    Address,
}

/// The standard claims a person has (OpenID Connect Core §5.1), with their types.
const STANDARD: &[(&str, Kind)] = &[
    ("name", Kind::Text),
    ("given_name", Kind::Text),
    ("family_name", Kind::Text),
    ("middle_name", Kind::Text),
    ("nickname", Kind::Text),
    ("preferred_username", Kind::Text),
    ("profile", Kind::Url),
    ("picture", Kind::Url),
    ("website", Kind::Url),
    ("email", Kind::Email),
    ("email_verified", Kind::Bool),
    ("gender", Kind::Text),
    ("birthdate", Kind::Date),
    ("zoneinfo", Kind::Text),
    ("locale", Kind::Text),
    ("phone_number", Kind::Text),
    ("phone_number_verified", Kind::Bool),
    ("address", Kind::Address),
];

/// The claims each OpenID Connect scope releases (Core §5.4).
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// A person's claims for these scopes: `sub`, and each scope's standard claims the person has
/// (`updated_at` from the account). Nothing the scopes did not ask for.
#[must_use]
pub fn claims_for(user: &tessera_store::User, scopes: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.id.clone()));
    for (scope, names) in SCOPE_CLAIMS {
        if !scopes.contains(scope) {
            continue;
        }
        for name in *names {
            if *name == "updated_at" {
                out.insert("updated_at".into(), Value::from(user.updated_at));
            } else if let Some(v) = user.attributes.get(*name) {
                out.insert((*name).to_owned(), v.clone());
            }
        }
    }
    out
}

/// One rule of a client's claim mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimRule {
    /// The claim `0` is given as `1`.
    Rename(String, String),
    /// The person's custom attribute of this name, or `groups`, is added.
    Add(String),
    /// The claim is left out.
    Drop(String),
}

impl ClaimRule {
    /// Parses `rename:FROM=TO`, `add:NAME` or `drop:NAME`.
    ///
    /// # Errors
    /// A sentence for the operator.
    pub fn parse(text: &str) -> Result<Self, String> {
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        };
        let rule = match text.split_once(':') {
            Some(("rename", rest)) => match rest.split_once('=') {
                Some((from, to)) if name_ok(from) && name_ok(to) => {
                    Self::Rename(from.to_owned(), to.to_owned())
                }
                _ => return Err(format!("expected rename:FROM=TO, got `{text}`")),
            },
            Some(("add", name)) if name_ok(name) => Self::Add(name.to_owned()),
            Some(("drop", name)) if name_ok(name) => Self::Drop(name.to_owned()),
            _ => {
                return Err(format!(
                    "a claim rule is rename:FROM=TO, add:NAME or drop:NAME, got `{text}`"
                ));
            }
        };
        // The claims that say who and for whom, and the token's own, stay as they are.
        let names: Vec<&str> = match &rule {
            Self::Rename(from, to) => vec![from, to],
            Self::Add(n) | Self::Drop(n) => vec![n],
        };
        if let Some(t) = names
            .into_iter()
            .find(|t| RESERVED.contains(t) && !["groups", "updated_at"].contains(t))
        {
            return Err(format!("`{t}` cannot be renamed, added or dropped"));
        }
        Ok(rule)
    }
}

/// Applies a client's claim rules (already checked) to a person's claims.
pub fn apply_rules(claims: &mut Map<String, Value>, user: &tessera_store::User, rules: &[String]) {
    for text in rules {
        match ClaimRule::parse(text) {
            Ok(ClaimRule::Rename(from, to)) => {
                if let Some(v) = claims.remove(&from) {
                    claims.insert(to, v);
                }
            }
            Ok(ClaimRule::Add(name)) if name == "groups" => {
                claims.insert("groups".into(), Value::from(user.groups.clone()));
            }
            Ok(ClaimRule::Add(name)) => {
                if let Some(v) = user.attributes.get(&name) {
                    claims.insert(name, v.clone());
                }
            }
            Ok(ClaimRule::Drop(name)) => {
                claims.remove(&name);
            }
            Err(_) => {}
        }
    }
}

/// Names the service sets, and the claims of tokens themselves.
const RESERVED: &[&str] = &[
    "sub",
    "updated_at",
    "groups",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
    "client_id",
    "scope",
    "cnf",
];

/// The largest attribute value, as JSON.
const MAX_VALUE: usize = 4096;

/// Whether `name` is an OpenID Connect standard claim.
#[must_use]
pub fn is_standard(name: &str) -> bool {
    STANDARD.iter().any(|(n, _)| *n == name)
}

/// `KEY=VALUE` (a string, or for a boolean claim `true`/`false`) or `KEY:=JSON`.
///
/// # Errors
/// A message naming what is wrong.
pub fn assignment(text: &str) -> Result<(String, Value), String> {
    if let Some((key, json)) = text.split_once(":=") {
        let value = serde_json::from_str(json)
            .map_err(|_| format!("`{}`: the value after := is not JSON", shown(key)))?;
        return Ok((key.to_owned(), value));
    }
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{}`: expected KEY=VALUE or KEY:=JSON", shown(text)))?;
    Ok((key.to_owned(), Value::String(value.to_owned())))
}

/// Sets an attribute after checking its name and, for a standard claim, its type.
///
/// # Errors
/// A message naming the attribute and what is wrong.
pub fn set(map: &mut Map<String, Value>, name: &str, value: Value) -> Result<(), String> {
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if !valid_name {
        return Err(format!(
            "`{}` is not an attribute name (letters, digits, _ - . :, at most 64)",
            shown(name)
        ));
    }
    if RESERVED.contains(&name) {
        return Err(format!(
            "`{name}` is set by the service, not an attribute (groups: --group)"
        ));
    }
    let value = match STANDARD.iter().find(|(n, _)| *n == name) {
        Some((_, kind)) => typed(name, *kind, value)?,
        None => value,
    };
    if serde_json::to_string(&value).map_or(usize::MAX, |s| s.len()) > MAX_VALUE {
        return Err(format!("`{name}` is larger than {MAX_VALUE} bytes"));
    }
    map.insert(name.to_owned(), value);
    Ok(())
}

/// Every attribute of a JSON object, checked as [`set`] does.
///
/// # Errors
/// The first attribute at fault.
pub fn set_all(map: &mut Map<String, Value>, from: Map<String, Value>) -> Result<(), String> {
    for (name, value) in from {
        set(map, &name, value)?;
    }
    Ok(())
}

fn typed(name: &str, kind: Kind, value: Value) -> Result<Value, String> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let wrong = |what: &str| format!("`{name}` must be {what}");
    match kind {
        Kind::Bool => match &value {
            Value::Bool(_) => Ok(value),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(wrong("true or false")),
        },
        Kind::Text => {
            let s = text(&value).ok_or_else(|| wrong("a string"))?;
            if s.chars().any(char::is_control) {
                return Err(wrong("text without control characters"));
            }
            Ok(value)
        }
        Kind::Url => {
            let s = text(&value).ok_or_else(|| wrong("a URL"))?;
            let ok = (s.starts_with("https://") || s.starts_with("http://"))
                && !s.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                Ok(value)
            } else {
                Err(wrong("an http(s) URL"))
            }
        }
        Kind::Email => {
            let s = text(&value).ok_or_else(|| wrong("an email address"))?;
            let ok = s.len() <= 254
                && s.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                && !s.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                Ok(value)
            } else {
                Err(wrong("an email address"))
            }
        }
        Kind::Date => {
            // YYYY, or YYYY-MM-DD (0000 for a year withheld): Core §5.1.
            let s = text(&value).ok_or_else(|| wrong("a date"))?;
            let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
            let parts: Vec<&str> = s.split('-').collect();
            let ok = match parts.as_slice() {
                [y] => digits(y, 4),
                [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
                _ => false,
            };
            if ok {
                Ok(value)
            } else {
                Err(wrong("YYYY or YYYY-MM-DD"))
            }
        }
        Kind::Address => {
            const PARTS: &[&str] = &[
                "formatted",
                "street_address",
                "locality",
                "region",
                "postal_code",
                "country",
            ];
            let obj = value.as_object().ok_or_else(|| wrong("a JSON object"))?;
            if obj
                .iter()
                .all(|(k, v)| PARTS.contains(&k.as_str()) && v.is_string())
            {
                Ok(value)
            } else {
                Err(wrong(
                    "an object of strings: formatted, street_address, locality, region, postal_code, country",
                ))
            }
        }
    }
}

fn shown(text: &str) -> String {
    tessera_jose::error::escaped(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn standard_claims_are_typed_and_custom_ones_are_free() {
        let mut m = Map::new();
        set(&mut m, "email", json!("ada@example.com")).unwrap();
        let (k, v) = assignment("email_verified=true").unwrap();
        set(&mut m, &k, v).unwrap();
        assert_eq!(m["email_verified"], json!(true));
        let (k, v) = assignment(r#"team:={"name": "engines", "size": 2}"#).unwrap();
        set(&mut m, &k, v).unwrap();
        assert_eq!(m["team"]["size"], 2);
        set(&mut m, "birthdate", json!("1815-12-10")).unwrap();
        set(
            &mut m,
            "address",
            json!({"locality": "London", "country": "UK"}),
        )
        .unwrap();
        for (name, bad) in [
            ("email", json!("not-an-address")),
            ("email_verified", json!("yes")),
            ("picture", json!("javascript:alert(1)")),
            ("birthdate", json!("10/12/1815")),
            ("address", json!({"planet": "Earth"})),
            ("name", json!(42)),
            ("name", json!("line\nbreak")),
        ] {
            assert!(set(&mut m, name, bad).unwrap_err().contains(name));
        }
        assert!(
            set(&mut m, "sub", json!("x"))
                .unwrap_err()
                .contains("set by the service")
        );
        assert!(set(&mut m, "groups", json!([])).is_err());
        assert!(set(&mut m, "bad name", json!(1)).is_err());
        assert!(
            set(&mut m, "big", json!("x".repeat(5000)))
                .unwrap_err()
                .contains("larger")
        );
        assert!(assignment("novalue").is_err());
        assert!(assignment("k:={not json").is_err());
    }
}
