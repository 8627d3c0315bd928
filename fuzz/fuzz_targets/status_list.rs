//! What an API reads from a status list it fetched and from a token's `status` claim: any bytes
//! as a `bits` choice and an `lst` (base64url of ZLIB data, decompressed under a cap), every
//! index of the result read; any text as claims whose `status` is looked for. Never a panic, and
//! never more than the cap decompressed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_jose::status::{StatusList, StatusRef};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(rest) {
        let bits = [1, 2, 4, 8, first][usize::from(first % 5)];
        if let Ok(list) = StatusList::from_lst(bits, text, 1 << 16) {
            assert!(list.as_bytes().len() <= 1 << 16);
            for i in 0..list.len() as u64 + 2 {
                let _ = list.get(i);
            }
            let again = StatusList::from_lst(bits, &list.to_lst(), 1 << 16).unwrap();
            assert_eq!(again, list);
        }
        if let Ok(claims) = serde_json::from_str::<serde_json::Value>(text) {
            let _ = StatusRef::from_claims(&claims);
        }
    }
});
