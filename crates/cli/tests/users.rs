//! `tessera user` as an operator runs it: accounts with attributes and groups, usernames
//! compared as people expect, password rules and sources (never a plain argument), changes,
//! forced logout, audit events by user, and `user import` of hashes made by other tools.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

fn run(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    common::run_in(dir, env, args)
}

fn ok(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let (code, out, err) = run(dir, env, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn refused(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let (code, _, err) = run(dir, env, args);
    assert_eq!(code, 2, "{args:?} should be refused: {err}");
    err
}

const GOOD: (&str, &str) = ("PW", "correct horse battery staple");

#[test]
fn accounts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &[], &["init"]);
    let ada: Value = serde_json::from_str(&ok(
        d,
        &[GOOD],
        &[
            "user",
            "create",
            "Ada",
            "--email",
            "ada@example.com",
            "--name",
            "Ada Lovelace",
            "--attr",
            "email_verified=true",
            "--attr",
            "locale=en-GB",
            "--attr",
            r#"team:={"name":"engines"}"#,
            "--group",
            "admins",
            "--group",
            "analysts",
            "--password-env",
            "PW",
            "--json",
        ],
    ))
    .unwrap();
    let sub = ada["sub"].as_str().unwrap();
    assert!(sub.starts_with("u_") && !sub.contains("Ada"), "{ada}");
    assert_eq!(ada["password"], "argon2id");
    assert_eq!(ada["attributes"]["email_verified"], true);
    assert_eq!(ada["attributes"]["team"]["name"], "engines");
    assert_eq!(ada["groups"], serde_json::json!(["admins", "analysts"]));
    assert!(ada.get("password_hash").is_none(), "never the hash: {ada}");
    // Unique after case folding and width mapping; shown as entered.
    let err = refused(d, &[], &["user", "create", "ADA", "--no-password"]);
    assert!(err.contains("`ADA` is taken"), "{err}");
    let err = refused(d, &[], &["user", "create", "\u{ff41}da", "--no-password"]);
    assert!(err.contains("is taken"), "{err}");
    let err = refused(d, &[], &["user", "create", "ada lovelace", "--no-password"]);
    assert!(err.contains("U+0020"), "{err}");
    // Found by any spelling of the name, or by subject.
    for who in ["ada", "ADA", sub] {
        let shown: Value =
            serde_json::from_str(&ok(d, &[], &["user", "show", who, "--json"])).unwrap();
        assert_eq!(shown["username"], "Ada");
    }
    // Passwords: the NIST rules, and nothing is created when they refuse.
    for (pw, why) in [
        ("short", "too short"),
        ("password123", "too easy to guess"),
        ("grace.hopper.grace", "too close to the username"),
    ] {
        let err = refused(
            d,
            &[("PW", pw)],
            &["user", "create", "grace.hopper", "--password-env", "PW"],
        );
        assert!(err.contains(why), "{pw}: {err}");
    }
    let (code, _, err) = run(d, &[], &["user", "create", "grace", "--password", "x"]);
    assert_eq!(code, 2, "no plain password argument: {err}");
    let err = refused(d, &[], &["user", "create", "grace"]);
    assert!(
        err.contains("--password-file"),
        "no terminal, no password: {err}"
    );
    // Attributes are checked for their type.
    let err = refused(
        d,
        &[],
        &[
            "user",
            "create",
            "grace",
            "--email",
            "not-an-address",
            "--no-password",
        ],
    );
    assert!(err.contains("`email` must be an email address"), "{err}");
    let err = refused(
        d,
        &[],
        &[
            "user",
            "create",
            "grace",
            "--attr",
            "sub=me",
            "--no-password",
        ],
    );
    assert!(err.contains("set by the service"), "{err}");
    let listed = ok(d, &[], &["user", "list"]);
    assert_eq!(listed.lines().count(), 1, "nothing half-made: {listed}");
    // A password from a file; none at all.
    std::fs::write(d.join("pw.txt"), "Tr0ub4dor & three more words\n").unwrap();
    ok(
        d,
        &[],
        &["user", "create", "grace", "--password-file", "pw.txt"],
    );
    ok(d, &[], &["user", "create", "linus", "--no-password"]);
    let listed: Vec<Value> = ok(d, &[], &["user", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2]["password"], Value::Null);
    // Changes.
    let changed: Value = serde_json::from_str(&ok(
        d,
        &[],
        &[
            "user",
            "update",
            "ada",
            "--username",
            "ada.l",
            "--remove-attr",
            "team",
            "--remove-group",
            "analysts",
            "--group",
            "ops",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(changed["username"], "ada.l");
    assert_eq!(changed["sub"], sub, "the subject never changes");
    assert!(changed["attributes"].get("team").is_none());
    assert_eq!(changed["groups"], serde_json::json!(["admins", "ops"]));
    let err = refused(d, &[], &["user", "update", "ada.l", "--username", "GRACE"]);
    assert!(err.contains("taken"), "{err}");
    let out: Value = serde_json::from_str(&ok(
        d,
        &[("PW", "an entirely new passphrase")],
        &[
            "user",
            "set-password",
            "ada.l",
            "--password-env",
            "PW",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(out["password"], "argon2id");
    // Disable, enable, forced logout: the cut-off is recorded to the millisecond.
    let (_, _, said) = run(d, &[], &["user", "logout", "ada.l"]);
    assert!(said.contains("logged out"), "{said}");
    let after: Value = serde_json::from_str(&ok(d, &[], &["user", "show", sub, "--json"])).unwrap();
    assert!(after["logged_out_before_ms"].as_i64().unwrap() > 1_700_000_000_000);
    ok(d, &[], &["user", "disable", "ada.l"]);
    assert!(ok(d, &[], &["user", "list"]).contains("disabled"));
    ok(d, &[], &["user", "enable", "ada.l"]);
    // Audit events by user, never a password.
    let events = ok(d, &[], &["events", "--user", "ada.l", "--json"]);
    let kinds: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "user.created",
            "user.updated",
            "user.password_changed",
            "user.logged_out",
            "user.disabled",
            "user.enabled"
        ]
    );
    assert!(!events.contains("correct horse") && !events.contains("$argon2"));
    // Delete: gone, and the audit log keeps the subject id only.
    ok(d, &[], &["user", "delete", "ada.l"]);
    let err = refused(d, &[], &["user", "show", "ada.l"]);
    assert!(err.contains("no user"), "{err}");
    let events = ok(d, &[], &["events", "--user", sub, "--json"]);
    assert!(events.lines().last().unwrap().contains("user.deleted"));
    let deleted = events.lines().last().unwrap();
    assert!(!deleted.contains("ada"), "{deleted}");
}

/// The password typed at a prompt on a terminal (a pseudo-terminal from `script`), twice.
#[test]
fn a_password_typed_twice_at_a_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &[], &["init"]);
    let typed = |answers: &str, name: &str| {
        let mut child = Command::new("script")
            .args(["-qec", &format!("{BIN} user create {name}"), "/dev/null"])
            .current_dir(d)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TERM", "dumb")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`script` (util-linux) runs the command on a pseudo-terminal");
        let mut stdin = child.stdin.take().unwrap();
        // Each answer after its prompt has been read.
        for line in answers.lines() {
            std::thread::sleep(std::time::Duration::from_millis(700));
            std::io::Write::write_all(&mut stdin, format!("{line}\n").as_bytes()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(700));
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).replace('\r', "")
    };
    let out = typed(
        "correct horse battery staple\ncorrect horse battery staple",
        "ada",
    );
    assert!(out.contains("New password for ada"), "{out}");
    assert!(!out.contains("correct horse"), "not echoed: {out}");
    let shown: Value =
        serde_json::from_str(&ok(d, &[], &["user", "show", "ada", "--json"])).unwrap();
    assert_eq!(shown["password"], "argon2id");
    let out = typed(
        "correct horse battery staple\nsomething else entirely",
        "bob",
    );
    assert!(out.contains("the two passwords differ"), "{out}");
    assert!(run(d, &[], &["user", "show", "bob"]).0 != 0, "not created");
}

/// `user import`: hashes made by argon2-cffi, bcrypt and passlib, standard claims and custom
/// attributes, a kept subject; a faulty file imports nothing and names every bad line.
#[test]
fn accounts_move_in_with_their_password_hashes() {
    let Some(hashes) = testkit::reference_password_hashes("their old password") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &[], &["init"]);
    let mut lines: Vec<String> = hashes
        .iter()
        .enumerate()
        .map(|(i, (kind, hash))| {
            serde_json::json!({
                "username": format!("user{i}"),
                "password_hash": hash,
                "email": format!("user{i}@example.com"),
                "email_verified": true,
                "groups": [kind],
                "attributes": {"legacy_id": i},
            })
            .to_string()
        })
        .collect();
    lines.push(r#"{"username": "kept", "sub": "legacy-sub-42", "name": "Kept Subject"}"#.into());
    // A faulty file: nothing is imported, every bad line is named.
    let mut bad = lines.clone();
    bad.insert(
        1,
        r#"{"username": "md5user", "password_hash": "$1$abc$def"}"#.into(),
    );
    bad.insert(3, "not json".into());
    bad.insert(4, r#"{"username": "USER0"}"#.into());
    bad.push(r#"{"username": "x", "colour": "red"}"#.into());
    std::fs::write(d.join("bad.jsonl"), bad.join("\n")).unwrap();
    let err = refused(d, &[], &["user", "import", "bad.jsonl"]);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        err.contains("line 2: unsupported password hash: `1`"),
        "{err}"
    );
    assert!(err.contains("line 4: not a JSON object"), "{err}");
    assert!(
        err.contains("line 5: the username `USER0` is already on line 1"),
        "{err}"
    );
    assert!(err.contains("`colour` is not a standard claim"), "{err}");
    assert!(ok(d, &[], &["user", "list", "--json"]).is_empty());
    // The good file.
    std::fs::write(d.join("users.jsonl"), lines.join("\n")).unwrap();
    let done: Value =
        serde_json::from_str(&ok(d, &[], &["user", "import", "users.jsonl", "--json"])).unwrap();
    assert_eq!(done["imported"], 6);
    assert_eq!(
        done["to_rehash"], 5,
        "every imported hash is replaced at first sign-in"
    );
    for (i, (kind, _)) in hashes.iter().enumerate() {
        let u: Value = serde_json::from_str(&ok(
            d,
            &[],
            &["user", "show", &format!("user{i}"), "--json"],
        ))
        .unwrap();
        assert_eq!(u["password"], kind.as_str());
        assert_eq!(u["attributes"]["legacy_id"], i);
        assert_eq!(u["attributes"]["email_verified"], true);
    }
    let kept: Value =
        serde_json::from_str(&ok(d, &[], &["user", "show", "kept", "--json"])).unwrap();
    assert_eq!(kept["sub"], "legacy-sub-42");
    // Importing the same people again: nothing (they are there), said so.
    let err = refused(d, &[], &["user", "import", "users.jsonl"]);
    assert!(
        err.contains("nothing was imported") && err.contains("taken"),
        "{err}"
    );
    let events = ok(d, &[], &["events", "--json"]);
    assert!(events.contains("user.imported"), "{events}");
}
