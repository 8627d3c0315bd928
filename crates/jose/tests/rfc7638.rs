//! RFC 7638 §3.1 thumbprint, and RFC 9278 thumbprint URIs.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, s, vector};
use tessera_jose::jwk::ThumbprintHash;

#[test]
fn section_3_1() {
    let v = vector("rfc7638/3.1-expected.json");
    let key = jwk(&v["jwk"]);
    assert_eq!(key.thumbprint_input(), s(&v, "thumbprint_input"));
    assert_eq!(key.thumbprint(ThumbprintHash::Sha256), s(&v, "thumbprint"));
    // The vector file used by the doc example is the same key.
    assert_eq!(jwk(&vector("rfc7638/3.1.json")), key);
}

#[test]
fn thumbprint_uri_rfc9278() {
    let key = jwk(&vector("rfc7638/3.1-expected.json")["jwk"]);
    assert_eq!(
        key.thumbprint_uri(ThumbprintHash::Sha256),
        "urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // Other hashes: the right length, and independent of metadata and private members.
    assert_eq!(key.thumbprint(ThumbprintHash::Sha384).len(), 64);
    assert_eq!(key.thumbprint(ThumbprintHash::Sha512).len(), 86);
    let bare = key.to_public().unwrap().with_kid("other");
    assert_eq!(
        bare.thumbprint(ThumbprintHash::Sha384),
        key.thumbprint(ThumbprintHash::Sha384)
    );
}
