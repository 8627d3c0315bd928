//! Password hashes made by the reference implementation of each kind `user import` takes
//! (argon2-cffi, bcrypt, passlib): each is read, checked against the right and a wrong
//! password, and marked to be replaced by Argon2id at the next sign-in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_server::users::password::{self, Argon2Params, Checked};

#[test]
fn hashes_of_other_tools_are_checked_and_marked_for_rehash() {
    let pw = "ünïcödé correct horse";
    let Some(hashes) = testkit::reference_password_hashes(pw) else {
        return;
    };
    for (kind, hash) in &hashes {
        assert_eq!(password::parse(hash).unwrap(), kind.as_str(), "{hash}");
        assert_eq!(
            password::verify(hash, pw, Argon2Params::default()).unwrap(),
            Checked::Right { rehash: true },
            "{kind}: {hash}"
        );
        assert_eq!(
            password::verify(hash, "ünïcödé correct horsE", Argon2Params::default()).unwrap(),
            Checked::Wrong,
            "{kind}"
        );
        // A damaged hash is an error, never a match.
        let damaged = format!("{}x", &hash[..hash.len() - 3]);
        assert_ne!(
            password::verify(&damaged, pw, Argon2Params::default()),
            Ok(Checked::Right { rehash: true }),
            "{kind}"
        );
    }
    // Our own hash at the current parameters needs no rehash; at others it does.
    let ours = password::hash(Argon2Params::default(), pw).unwrap();
    assert_eq!(
        password::verify(&ours, pw, Argon2Params::default()).unwrap(),
        Checked::Right { rehash: false }
    );
}
