//! What the token service parses from a client: any bytes as a form body (repeated parameters,
//! `resource`), and any text as an `Authorization: Basic` header. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/server/src/oauth/parse.rs"]
mod parse;

fuzz_target!(|data: &[u8]| {
    let _ = parse::form_pairs(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse::basic_credentials(Some(text));
        let _ = parse::decode_std_base64(text);
    }
});
