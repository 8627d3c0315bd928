//! The debugger's JSON API with any body: inspect, verify, encode and decrypt, as raw request
//! bodies and as pasted text inside well-formed requests. Never a panic; every failure is an
//! error with a code.
#![no_main]

use libfuzzer_sys::fuzz_target;

use tessera_debugger::{ApiError, api};

const SECRET: &str = "a-32-byte-long-secret-for-hs256!";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let endpoint = ["inspect", "verify", "encode", "decrypt"][usize::from(selector % 4)];
    // The bytes as a request body.
    check(api::answer(endpoint, rest));
    // The bytes as what a person pastes: a token, a key, a header or payload.
    let text = String::from_utf8_lossy(rest);
    let bodies = [
        serde_json::json!({"token": text}),
        serde_json::json!({"token": text, "key": {"text": SECRET}}),
        serde_json::json!({"token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "key": {"text": text}}),
        serde_json::json!({"token": text, "key": {"text": text, "encoding": "base64url"}}),
        serde_json::json!({"header": text, "payload": "{}", "key": {"text": SECRET}}),
        serde_json::json!({"header": "{\"alg\":\"HS256\"}", "payload": text, "key": {"text": SECRET}}),
    ];
    let which = usize::from(selector / 4) % bodies.len();
    let body = bodies[which].to_string();
    let endpoint = if which >= 4 { "encode" } else { endpoint };
    check(api::answer(endpoint, body.as_bytes()));
});

fn check(r: Result<serde_json::Value, ApiError>) {
    if let Err(e) = r {
        assert!(!e.code.is_empty() && !e.message.is_empty());
        assert!((400..600).contains(&e.status));
    }
}
