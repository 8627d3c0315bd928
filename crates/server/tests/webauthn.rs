//! The relying party's checks (`users::webauthn`) against responses from a software
//! authenticator written here (ES256, EdDSA, RS256; `none` and `packed` self-attestation),
//! good and tampered (origin, RP ID, challenge, ceremony type, flags, signature, algorithm,
//! credential id), each with the verdict it must get; and cross-checked with an independent
//! implementation, Python's `webauthn` (Duo's py_webauthn, pinned and installed by
//! `.ci/run`): both must accept and reject the same responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ciborium::Value as Cbor;
use serde_json::{Value, json};
use tessera_jose::jws::Signer;
use tessera_jose::{Jwk, JwsAlg};
use tessera_server::users::webauthn::{
    CredentialJson, Expected, WebAuthnError, verify_assertion, verify_registration,
};

const RP: &str = "login.example.com";
const ORIGIN: &str = "https://login.example.com";

fn b64(b: &[u8]) -> String {
    tessera_jose::b64::encode(b)
}

fn cbor(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn int(i: i64) -> Cbor {
    Cbor::Integer(i.into())
}

/// A software authenticator: one credential, its key, its counter.
struct Authenticator {
    key: Jwk,
    alg: JwsAlg,
    cose_alg: i64,
    id: Vec<u8>,
    count: u32,
    /// Backup eligible (a synced passkey).
    synced: bool,
}

impl Authenticator {
    fn new(alg: JwsAlg) -> Self {
        let (key, cose_alg) = match alg {
            JwsAlg::ES256 => (Jwk::generate(alg).unwrap(), -7),
            JwsAlg::EdDSA => (Jwk::generate(alg).unwrap(), -8),
            _ => (Jwk::generate_rsa(2048).unwrap(), -257),
        };
        Self {
            key,
            alg,
            cose_alg,
            id: tessera_jose::secret::random(32).unwrap(),
            count: 0,
            synced: false,
        }
    }

    /// The credential's COSE key (RFC 9053), with `alg` as given.
    fn cose(&self, alg: i64) -> Vec<u8> {
        let p = self.key.to_public().unwrap().to_value();
        let bytes =
            |k: &str| Cbor::Bytes(tessera_jose::b64::decode(p[k].as_str().unwrap()).unwrap());
        let entries = match self.alg {
            JwsAlg::ES256 => vec![
                (int(1), int(2)),
                (int(3), int(alg)),
                (int(-1), int(1)),
                (int(-2), bytes("x")),
                (int(-3), bytes("y")),
            ],
            JwsAlg::EdDSA => vec![
                (int(1), int(1)),
                (int(3), int(alg)),
                (int(-1), int(6)),
                (int(-2), bytes("x")),
            ],
            _ => vec![
                (int(1), int(3)),
                (int(3), int(alg)),
                (int(-1), bytes("n")),
                (int(-2), bytes("e")),
            ],
        };
        cbor(&Cbor::Map(entries))
    }

    /// A WebAuthn signature: ASN.1 DER for ECDSA, as authenticators send it.
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig = Signer::new(&self.key, self.alg).unwrap().sign(msg).unwrap();
        if self.alg != JwsAlg::ES256 {
            return sig;
        }
        let der_int = |v: &[u8]| {
            let mut v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
            if v.first().is_none_or(|b| b & 0x80 != 0) {
                v.insert(0, 0);
            }
            let mut out = vec![0x02, v.len() as u8];
            out.extend(v);
            out
        };
        let mut body = der_int(&sig[..32]);
        body.extend(der_int(&sig[32..]));
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    fn auth_data(&self, rp_id: &str, flags: u8, attested: Option<&[u8]>) -> Vec<u8> {
        let mut d = tessera_jose::secret::sha2(256, rp_id.as_bytes());
        d.push(flags);
        d.extend_from_slice(&self.count.to_be_bytes());
        if let Some(key) = attested {
            d.extend_from_slice(&[0x11; 16]);
            d.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
            d.extend_from_slice(&self.id);
            d.extend_from_slice(key);
        }
        d
    }

    fn flags(&self, uv: bool) -> u8 {
        let mut f = 0x01 | if uv { 0x04 } else { 0 };
        if self.synced {
            f |= 0x08 | 0x10;
        }
        f
    }
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

/// What may be changed in a registration.
#[derive(Default, Clone)]
struct Reg {
    kind: Option<&'static str>,
    origin: Option<&'static str>,
    rp_id: Option<&'static str>,
    challenge: Option<String>,
    flags: Option<u8>,
    fmt: Option<&'static str>,
    /// `packed`: the statement's alg (default the key's).
    stmt_alg: Option<i64>,
    /// The COSE key's alg (default the key's).
    key_alg: Option<i64>,
    flip_sig: bool,
    other_id: bool,
}

fn register(a: &Authenticator, challenge: &str, r: &Reg) -> Value {
    let cd = client_data(
        r.kind.unwrap_or("webauthn.create"),
        r.challenge.as_deref().unwrap_or(challenge),
        r.origin.unwrap_or(ORIGIN),
    );
    let key = a.cose(r.key_alg.unwrap_or(a.cose_alg));
    let auth = a.auth_data(
        r.rp_id.unwrap_or(RP),
        r.flags.unwrap_or(a.flags(true) | 0x40),
        Some(&key),
    );
    let fmt = r.fmt.unwrap_or("none");
    let stmt = if fmt == "packed" {
        let mut signed = auth.clone();
        signed.extend(tessera_jose::secret::sha2(256, &cd));
        let mut sig = a.sign(&signed);
        if r.flip_sig {
            let last = sig.len() - 1;
            sig[last] ^= 1;
        }
        Cbor::Map(vec![
            (
                Cbor::Text("alg".into()),
                int(r.stmt_alg.unwrap_or(a.cose_alg)),
            ),
            (Cbor::Text("sig".into()), Cbor::Bytes(sig)),
        ])
    } else {
        Cbor::Map(vec![])
    };
    let att = cbor(&Cbor::Map(vec![
        (Cbor::Text("fmt".into()), Cbor::Text(fmt.into())),
        (Cbor::Text("attStmt".into()), stmt),
        (Cbor::Text("authData".into()), Cbor::Bytes(auth)),
    ]));
    let id = if r.other_id {
        b64(&[7u8; 32])
    } else {
        b64(&a.id)
    };
    json!({"id": id, "rawId": id, "type": "public-key",
        "response": {"clientDataJSON": b64(&cd), "attestationObject": b64(&att), "transports": ["internal"]},
        "clientExtensionResults": {}})
}

/// What may be changed in an authentication.
#[derive(Default, Clone)]
struct Auth {
    kind: Option<&'static str>,
    origin: Option<&'static str>,
    rp_id: Option<&'static str>,
    challenge: Option<String>,
    flags: Option<u8>,
    flip_sig: bool,
}

fn assert_with(a: &mut Authenticator, challenge: &str, r: &Auth) -> Value {
    a.count += 1;
    let cd = client_data(
        r.kind.unwrap_or("webauthn.get"),
        r.challenge.as_deref().unwrap_or(challenge),
        r.origin.unwrap_or(ORIGIN),
    );
    let auth = a.auth_data(
        r.rp_id.unwrap_or(RP),
        r.flags.unwrap_or(a.flags(true)),
        None,
    );
    let mut signed = auth.clone();
    signed.extend(tessera_jose::secret::sha2(256, &cd));
    let mut sig = a.sign(&signed);
    if r.flip_sig {
        let last = sig.len() - 1;
        sig[last] ^= 1;
    }
    json!({"id": b64(&a.id), "rawId": b64(&a.id), "type": "public-key",
        "response": {"clientDataJSON": b64(&cd), "authenticatorData": b64(&auth),
            "signature": b64(&sig), "userHandle": b64(b"user-1")},
        "clientExtensionResults": {}})
}

/// One response and the verdict it must get.
struct Case {
    name: String,
    ceremony: &'static str,
    credential: Value,
    challenge: String,
    require_uv: bool,
    /// For authentication: the stored COSE key, base64url.
    public_key: String,
    want: Result<(), WebAuthnError>,
}

fn ours(c: &Case) -> Result<(), WebAuthnError> {
    let cred = CredentialJson::parse(&c.credential.to_string())?;
    let e = Expected {
        challenge: &c.challenge,
        origin: ORIGIN,
        rp_id: RP,
        require_uv: c.require_uv,
    };
    match c.ceremony {
        "registration" => verify_registration(&cred, &e).map(|_| ()),
        _ => verify_assertion(&cred, &c.public_key, &e).map(|_| ()),
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for alg in [JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::RS256] {
        let mut a = Authenticator::new(alg);
        a.synced = alg == JwsAlg::EdDSA;
        let ch = b64(&tessera_jose::secret::random(32).unwrap());
        let n = alg.name();
        let mut reg = |name: &str, r: Reg, uv: bool, want: Result<(), WebAuthnError>| {
            out.push(Case {
                name: format!("{n} registration: {name}"),
                ceremony: "registration",
                credential: register(&a, &ch, &r),
                challenge: ch.clone(),
                require_uv: uv,
                public_key: String::new(),
                want,
            });
        };
        reg("none", Reg::default(), true, Ok(()));
        let packed = Reg {
            fmt: Some("packed"),
            ..Reg::default()
        };
        reg("packed self-attestation", packed.clone(), false, Ok(()));
        reg(
            "packed with a bad signature",
            Reg {
                flip_sig: true,
                ..packed.clone()
            },
            false,
            Err(WebAuthnError::Signature),
        );
        reg(
            "packed naming another algorithm",
            Reg {
                stmt_alg: Some(if alg == JwsAlg::ES256 { -257 } else { -7 }),
                ..packed
            },
            false,
            Err(WebAuthnError::Algorithm),
        );
        reg(
            "another origin",
            Reg {
                origin: Some("https://login.example.com.evil.test"),
                ..Reg::default()
            },
            false,
            Err(WebAuthnError::Origin),
        );
        reg(
            "another RP ID",
            Reg {
                rp_id: Some("example.org"),
                ..Reg::default()
            },
            false,
            Err(WebAuthnError::RpId),
        );
        reg(
            "another challenge",
            Reg {
                challenge: Some(b64(b"not the one issued")),
                ..Reg::default()
            },
            false,
            Err(WebAuthnError::Challenge),
        );
        reg(
            "an assertion's type",
            Reg {
                kind: Some("webauthn.get"),
                ..Reg::default()
            },
            false,
            Err(WebAuthnError::Type),
        );
        reg(
            "no user presence",
            Reg {
                flags: Some(0x04 | 0x40),
                ..Reg::default()
            },
            false,
            Err(WebAuthnError::UserPresence),
        );
        reg(
            "no user verification where required",
            Reg {
                flags: Some(0x01 | 0x40),
                ..Reg::default()
            },
            true,
            Err(WebAuthnError::UserVerification),
        );
        reg(
            "a key of a refused algorithm (ES384 label)",
            Reg {
                key_alg: Some(-35),
                ..Reg::default()
            },
            false,
            Err(WebAuthnError::Algorithm),
        );
        let other = Reg {
            other_id: true,
            ..Reg::default()
        };
        reg(
            "an id that is not the credential's",
            other,
            false,
            Err(WebAuthnError::Malformed("credential id")),
        );

        let public_key = b64(&a.cose(a.cose_alg));
        let mut auth = |name: &str, r: Auth, uv: bool, want: Result<(), WebAuthnError>| {
            let ch = b64(&tessera_jose::secret::random(32).unwrap());
            out.push(Case {
                name: format!("{n} authentication: {name}"),
                ceremony: "authentication",
                credential: assert_with(&mut a, &ch, &r),
                challenge: ch,
                require_uv: uv,
                public_key: public_key.clone(),
                want,
            });
        };
        auth("good", Auth::default(), true, Ok(()));
        auth(
            "a bad signature",
            Auth {
                flip_sig: true,
                ..Auth::default()
            },
            false,
            Err(WebAuthnError::Signature),
        );
        auth(
            "another origin",
            Auth {
                origin: Some("https://evil.test"),
                ..Auth::default()
            },
            false,
            Err(WebAuthnError::Origin),
        );
        auth(
            "another RP ID",
            Auth {
                rp_id: Some("example.org"),
                ..Auth::default()
            },
            false,
            Err(WebAuthnError::RpId),
        );
        auth(
            "another challenge",
            Auth {
                challenge: Some(b64(b"replayed")),
                ..Auth::default()
            },
            false,
            Err(WebAuthnError::Challenge),
        );
        auth(
            "a registration's type",
            Auth {
                kind: Some("webauthn.create"),
                ..Auth::default()
            },
            false,
            Err(WebAuthnError::Type),
        );
        auth(
            "no user presence",
            Auth {
                flags: Some(0x04),
                ..Auth::default()
            },
            false,
            Err(WebAuthnError::UserPresence),
        );
        auth(
            "no user verification where required",
            Auth {
                flags: Some(0x01),
                ..Auth::default()
            },
            true,
            Err(WebAuthnError::UserVerification),
        );
        auth(
            "no user verification where not required",
            Auth {
                flags: Some(0x01),
                ..Auth::default()
            },
            false,
            Ok(()),
        );
    }
    out
}

#[test]
fn the_relying_party_checks_hold() {
    let cases = cases();
    assert!(cases.len() > 60);
    for c in &cases {
        assert_eq!(ours(c), c.want, "{}", c.name);
    }
}

#[test]
fn a_registered_credential_is_what_the_authenticator_holds() {
    let mut a = Authenticator::new(JwsAlg::ES256);
    a.synced = true;
    let ch = b64(b"challenge-1");
    let cred = CredentialJson::parse(&register(&a, &ch, &Reg::default()).to_string()).unwrap();
    let e = Expected {
        challenge: &ch,
        origin: ORIGIN,
        rp_id: RP,
        require_uv: true,
    };
    let got = verify_registration(&cred, &e).unwrap();
    assert_eq!(got.id, b64(&a.id));
    assert_eq!(got.alg, -7);
    assert!(got.backup_eligible && got.backed_up && got.user_verified);
    assert_eq!(got.fmt, "none");
    assert_eq!(got.transports, vec!["internal".to_owned()]);
    let ch2 = b64(b"challenge-2");
    let asserted =
        CredentialJson::parse(&assert_with(&mut a, &ch2, &Auth::default()).to_string()).unwrap();
    let e2 = Expected {
        challenge: &ch2,
        ..e
    };
    let ok = verify_assertion(&asserted, &got.public_key, &e2).unwrap();
    assert_eq!(ok.sign_count, 1);
    assert_eq!(ok.user_handle.as_deref(), Some(&b"user-1"[..]));
    // Another credential's key does not verify it.
    let other = Authenticator::new(JwsAlg::ES256);
    assert_eq!(
        verify_assertion(&asserted, &b64(&other.cose(-7)), &e2),
        Err(WebAuthnError::Signature)
    );
    // Malformed input is an error, never a panic.
    for bad in [
        "",
        "{}",
        "[]",
        "{\"id\":\"a\",\"rawId\":\"a\",\"type\":\"public-key\",\"response\":{\"clientDataJSON\":\"!!\"}}",
    ] {
        if let Ok(c) = CredentialJson::parse(bad) {
            assert!(verify_registration(&c, &e).is_err());
            assert!(verify_assertion(&c, &got.public_key, &e).is_err());
        }
    }
}

/// Python's `webauthn` judges every case the same way (the reasons are not compared: the two
/// libraries word them differently).
#[test]
fn python_webauthn_agrees() {
    let required = std::env::var("TESSERA_REQUIRE_INTEROP").is_ok_and(|v| v == "1");
    let probe = std::process::Command::new("python3")
        .args(["-c", "import webauthn"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            !required,
            "Python's webauthn is required (.ci/run installs it)"
        );
        eprintln!("skipped: python3 with webauthn not installed");
        return;
    }
    let cases = cases();
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({"name": c.name, "ceremony": c.ceremony, "credential": c.credential,
                "challenge": c.challenge, "origin": ORIGIN, "rp_id": RP,
                "require_uv": c.require_uv, "public_key": c.public_key})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&input).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webauthn_peer.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdicts.len(), cases.len());
    let mut differ = Vec::new();
    for (c, v) in cases.iter().zip(&verdicts) {
        if v["ok"].as_bool().unwrap() != ours(c).is_ok() {
            differ.push(c.name.as_str());
        }
    }
    // The one known difference, stricter here: py_webauthn keeps the credential id from the
    // authenticator data and does not compare it with the response's `id`; this service
    // stores the response's id, so it refuses a response whose two ids differ (a later
    // sign-in would name a credential it does not know).
    let explained = |n: &&str| n.ends_with("registration: an id that is not the credential's");
    assert!(
        differ.iter().all(explained),
        "the two implementations disagree on: {differ:?}"
    );
    assert_eq!(differ.len(), 3, "{differ:?}");
}

/// Damaged responses (every byte of the attestation object and authenticator data changed in
/// turn, and cut short at every length) are refused with an error, never a panic, and never
/// accepted unless the change left what is signed intact.
#[test]
fn damaged_responses_are_errors_not_panics() {
    let mut a = Authenticator::new(JwsAlg::ES256);
    let ch = b64(b"challenge");
    let e = Expected {
        challenge: &ch,
        origin: ORIGIN,
        rp_id: RP,
        require_uv: false,
    };
    let good = register(&a, &ch, &Reg::default());
    let att =
        tessera_jose::b64::decode(good["response"]["attestationObject"].as_str().unwrap()).unwrap();
    let public_key = {
        let c = CredentialJson::parse(&good.to_string()).unwrap();
        verify_registration(&c, &e).unwrap().public_key
    };
    let with_att = |bytes: &[u8]| {
        let mut v = good.clone();
        v["response"]["attestationObject"] = json!(b64(bytes));
        CredentialJson::parse(&v.to_string()).unwrap()
    };
    for i in 0..att.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = att.clone();
            bad[i] ^= flip;
            let _ = verify_registration(&with_att(&bad), &e);
        }
    }
    for n in 0..att.len() {
        assert!(verify_registration(&with_att(&att[..n]), &e).is_err());
    }
    let asserted = assert_with(&mut a, &ch, &Auth::default());
    let data =
        tessera_jose::b64::decode(asserted["response"]["authenticatorData"].as_str().unwrap())
            .unwrap();
    for i in 0..data.len() {
        let mut bad = data.clone();
        bad[i] ^= 0x01;
        let mut v = asserted.clone();
        v["response"]["authenticatorData"] = json!(b64(&bad));
        let c = CredentialJson::parse(&v.to_string()).unwrap();
        // The authenticator data is signed: any change is refused.
        assert!(verify_assertion(&c, &public_key, &e).is_err(), "byte {i}");
    }
    for n in 0..data.len() {
        let mut v = asserted.clone();
        v["response"]["authenticatorData"] = json!(b64(&data[..n]));
        let c = CredentialJson::parse(&v.to_string()).unwrap();
        assert!(verify_assertion(&c, &public_key, &e).is_err());
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The Web Authentication Level 3 specification's own test vector, §16.2 "ES256 Credential
/// with No Attestation" (RP ID `example.org`, origin `https://example.org`; its
/// `clientDataJSON` carries an `extraData` member to be ignored, its counter is 0 in both
/// ceremonies and user verification is not set): the registration verifies, and the assertion
/// verifies with the key the registration gave.
#[test]
fn the_specifications_test_vector() {
    let reg_challenge = unhex("00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130");
    let reg_client_data = unhex(concat!(
        "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d5074",
        "34557878475453746e63647134313759447742466938767049612d7077386f4f755657345441222c226f7269",
        "67696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c",
        "73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e64",
        "65642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c20737563",
        "6820617320746869733a20426b5165446a646354427258426941774a544c453551227d"
    ));
    let attestation = unhex(concat!(
        "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461",
        "c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f39",
        "1db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97",
        "ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf",
        "879717c12cc68ed73290af2e2664796b9220"
    ));
    let credential_id = unhex("f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4");
    let auth_challenge = unhex("39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408");
    let auth_data =
        unhex("bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000");
    let auth_client_data = unhex(concat!(
        "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158",
        "756c5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e",
        "223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d"
    ));
    let signature = unhex(concat!(
        "3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f",
        "0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87"
    ));
    let id = b64(&credential_id);
    let reg = json!({"id": id, "rawId": id, "type": "public-key",
        "response": {"clientDataJSON": b64(&reg_client_data), "attestationObject": b64(&attestation)}});
    let challenge = b64(&reg_challenge);
    let e = Expected {
        challenge: &challenge,
        origin: "https://example.org",
        rp_id: "example.org",
        require_uv: false,
    };
    let got = verify_registration(&CredentialJson::parse(&reg.to_string()).unwrap(), &e).unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.alg, -7);
    assert_eq!(got.sign_count, 0);
    assert_eq!(got.aaguid, "8446ccb9ab1db374750b2367ff6f3a1f");
    assert!(got.backup_eligible && got.backed_up && !got.user_verified);
    // It did not verify the person: refused where that is required.
    let strict = Expected {
        require_uv: true,
        ..e.clone()
    };
    assert_eq!(
        verify_registration(&CredentialJson::parse(&reg.to_string()).unwrap(), &strict),
        Err(WebAuthnError::UserVerification)
    );
    let asserted = json!({"id": id, "rawId": id, "type": "public-key",
        "response": {"clientDataJSON": b64(&auth_client_data), "authenticatorData": b64(&auth_data),
            "signature": b64(&signature)}});
    let challenge = b64(&auth_challenge);
    let e = Expected {
        challenge: &challenge,
        ..e
    };
    let ok = verify_assertion(
        &CredentialJson::parse(&asserted.to_string()).unwrap(),
        &got.public_key,
        &e,
    )
    .unwrap();
    assert_eq!(ok.sign_count, 0);
    assert!(ok.backup_eligible && !ok.user_verified);
    // On another origin, or with another challenge, the same bytes are refused.
    let elsewhere = Expected {
        origin: "https://example.com",
        ..e.clone()
    };
    assert_eq!(
        verify_assertion(
            &CredentialJson::parse(&asserted.to_string()).unwrap(),
            &got.public_key,
            &elsewhere
        ),
        Err(WebAuthnError::Origin)
    );
}
