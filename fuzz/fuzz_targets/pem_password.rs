//! Any bytes as a password-protected (or plain) PEM/DER key: the first byte is the password's
//! length, then the password, then the document. An error or a key, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n).min(rest.len());
    let (password, document) = rest.split_at(n);
    let _ = tessera_jose::Jwk::import_with_password(document, password);
});
