//! Token Status List (draft-ietf-oauth-status-list): the `status` claim a referenced token
//! carries ([`StatusRef`]), the list itself ([`StatusList`]: 1, 2, 4 or 8 bits per token,
//! packed from the least significant bit of each byte, ZLIB-compressed, base64url in `lst`),
//! and the signed status list token (`typ: statuslist+jwt`): [`sign_list`] makes one,
//! [`verify_list`] checks one against the `uri` a token named.
//!
//! ```
//! use tessera_jose::status::{Status, StatusList};
//! // The draft's 1-bit example (§4.1): statuses 0, 3, 4, 5, 7, 8, 9, 13 and 15 invalid.
//! let list = StatusList::from_lst(1, "eNrbuRgAAhcBXQ", StatusList::DEFAULT_MAX_BYTES)?;
//! assert_eq!(list.as_bytes(), [0xb9, 0xa3]);
//! assert_eq!(list.get(0), Some(Status::INVALID));
//! assert_eq!(list.get(1), Some(Status::VALID));
//! assert_eq!(list.get(16), None);
//! # Ok::<(), tessera_jose::Error>(())
//! ```

use miniz_oxide::inflate::{DecompressError, TINFLStatus, decompress_to_vec_zlib_with_limit};
use serde::{Deserialize, Serialize};

use crate::b64;
use crate::error::{Error, Limit};
use crate::jwt::{JwtSigner, Verifier};

/// The `typ` of status list tokens (§5.1).
pub const TYP: &str = "statuslist+jwt";
/// The media type of status list tokens over HTTP (§8.1).
pub const MEDIA_TYPE: &str = "application/statuslist+jwt";

/// A token's status (§7.1): 0 valid, 1 invalid, 2 suspended; other values are
/// application-specific and are not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    /// `0x00`: valid.
    pub const VALID: Self = Self(0);
    /// `0x01`: revoked for good.
    pub const INVALID: Self = Self(1);
    /// `0x02`: temporarily not valid.
    pub const SUSPENDED: Self = Self(2);

    /// Whether the token may be used.
    #[must_use]
    pub fn is_valid(self) -> bool {
        self == Self::VALID
    }
}

/// A status list: `bits` bits per token, in `bytes`.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("len", &self.len())
            .finish()
    }
}

fn check_bits(bits: u8) -> Result<(), Error> {
    if matches!(bits, 1 | 2 | 4 | 8) {
        Ok(())
    } else {
        Err(Error::InvalidClaim("bits"))
    }
}

impl StatusList {
    /// The largest decompressed list [`StatusList::from_lst`] accepts by default: 16 MiB, 134
    /// million tokens at one bit each.
    pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;

    /// A list of `len` valid tokens (rounded up to whole bytes).
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] unless `bits` is 1, 2, 4 or 8.
    pub fn new(bits: u8, len: usize) -> Result<Self, Error> {
        check_bits(bits)?;
        let per_byte = usize::from(8 / bits);
        Ok(Self {
            bits,
            bytes: vec![0; len.div_ceil(per_byte)],
        })
    }

    /// A list over packed bytes.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] unless `bits` is 1, 2, 4 or 8.
    pub fn from_bytes(bits: u8, bytes: Vec<u8>) -> Result<Self, Error> {
        check_bits(bits)?;
        Ok(Self { bits, bytes })
    }

    /// Bits per token.
    #[must_use]
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// How many tokens it has room for.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len() * usize::from(8 / self.bits)
    }

    /// Whether it has room for none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The packed bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn place(&self, idx: u64) -> Option<(usize, u8, u8)> {
        let per_byte = 8 / u64::from(self.bits);
        let byte = usize::try_from(idx / per_byte).ok()?;
        if byte >= self.bytes.len() {
            return None;
        }
        let shift = u8::try_from((idx % per_byte) * u64::from(self.bits)).ok()?;
        let mask = u8::try_from((1u16 << self.bits) - 1).ok()?;
        Some((byte, shift, mask))
    }

    /// The status at `idx`, or `None` past the end.
    #[must_use]
    pub fn get(&self, idx: u64) -> Option<Status> {
        let (byte, shift, mask) = self.place(idx)?;
        Some(Status((self.bytes[byte] >> shift) & mask))
    }

    /// Sets the status at `idx`.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] for an index past the end or a status that does not fit in
    /// `bits`.
    pub fn set(&mut self, idx: u64, status: Status) -> Result<(), Error> {
        let (byte, shift, mask) = self.place(idx).ok_or(Error::InvalidClaim("idx"))?;
        if status.0 & !mask != 0 {
            return Err(Error::InvalidClaim("status"));
        }
        let b = &mut self.bytes[byte];
        *b = (*b & !(mask << shift)) | (status.0 << shift);
        Ok(())
    }

    /// `lst`: the bytes ZLIB-compressed (RFC 1950, best compression), base64url.
    #[must_use]
    pub fn to_lst(&self) -> String {
        b64::encode(miniz_oxide::deflate::compress_to_vec_zlib(&self.bytes, 9))
    }

    /// A list from `bits` and `lst`, decompressing at most `max_bytes`.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] for bad `bits`, base64url or ZLIB data;
    /// [`Error::LimitExceeded`] past `max_bytes`.
    pub fn from_lst(bits: u8, lst: &str, max_bytes: usize) -> Result<Self, Error> {
        check_bits(bits)?;
        let packed = b64::decode(lst).map_err(|_| Error::InvalidClaim("lst"))?;
        let bytes = match decompress_to_vec_zlib_with_limit(&packed, max_bytes) {
            Ok(b) => b,
            Err(DecompressError {
                status: TINFLStatus::HasMoreOutput,
                ..
            }) => return Err(Error::LimitExceeded(Limit::Decompressed)),
            Err(_) => return Err(Error::InvalidClaim("lst")),
        };
        Ok(Self { bits, bytes })
    }
}

/// The `status` claim of a referenced token (§6.1), with its `status_list` reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusClaim {
    /// The reference into a status list.
    pub status_list: StatusRef,
}

/// `status_list` of a `status` claim: the token's index in the list at `uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRef {
    /// The index.
    pub idx: u64,
    /// Where the status list token is.
    pub uri: String,
}

impl StatusRef {
    /// The reference in a token's claims: `None` without a `status` claim (or with one that
    /// has no `status_list` mechanism).
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] for a `status_list` that is not an object with a non-negative
    /// integer `idx` and a string `uri`.
    pub fn from_claims(claims: &serde_json::Value) -> Result<Option<Self>, Error> {
        match claims.get("status") {
            Some(status) => Self::from_status(status),
            None => Ok(None),
        }
    }

    /// The reference in a `status` claim's value: `None` when it has no `status_list`
    /// mechanism (another mechanism only).
    ///
    /// # Errors
    /// As [`StatusRef::from_claims`].
    pub fn from_status(status: &serde_json::Value) -> Result<Option<Self>, Error> {
        let Some(list) = status.get("status_list") else {
            return Ok(None);
        };
        let idx = list
            .get("idx")
            .and_then(serde_json::Value::as_u64)
            .ok_or(Error::InvalidClaim("status"))?;
        let uri = list
            .get("uri")
            .and_then(serde_json::Value::as_str)
            .ok_or(Error::InvalidClaim("status"))?;
        Ok(Some(Self {
            idx,
            uri: uri.to_owned(),
        }))
    }
}

/// The claims of a status list token (§5.1).
#[derive(Serialize, Deserialize)]
struct ListClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    sub: String,
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<u64>,
    status_list: ListBody,
}

#[derive(Serialize, Deserialize)]
struct ListBody {
    bits: u8,
    lst: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aggregation_uri: Option<String>,
}

/// What a status list token says besides the list.
#[derive(Debug, Clone, Default)]
pub struct ListTimes {
    /// `iat`, Unix seconds.
    pub iat: i64,
    /// `exp`: after it the token must not be used.
    pub exp: Option<i64>,
    /// `ttl`: how long, in seconds, it may be cached before it is fetched anew.
    pub ttl: Option<u64>,
}

/// Signs a status list token for the list at `uri` (its `sub`), issued by `iss`. The signer's
/// header should carry `typ: statuslist+jwt` ([`TYP`]).
///
/// # Errors
/// What signing fails with.
pub fn sign_list(
    signer: &JwtSigner,
    iss: Option<&str>,
    uri: &str,
    list: &StatusList,
    times: &ListTimes,
) -> Result<String, Error> {
    signer.sign(&ListClaims {
        iss: iss.map(str::to_owned),
        sub: uri.to_owned(),
        iat: times.iat,
        exp: times.exp,
        ttl: times.ttl,
        status_list: ListBody {
            bits: list.bits,
            lst: list.to_lst(),
            aggregation_uri: None,
        },
    })
}

/// A verified status list token.
#[derive(Debug, Clone)]
pub struct VerifiedList {
    /// The list.
    pub list: StatusList,
    /// Its times.
    pub times: ListTimes,
}

impl VerifiedList {
    /// The status of the token at `idx`.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] for an index past the end of the list (§8.3: the token's status
    /// cannot be known).
    pub fn status(&self, idx: u64) -> Result<Status, Error> {
        self.list.get(idx).ok_or(Error::InvalidClaim("idx"))
    }
}

/// Verifies a status list token fetched from `uri` (§8.3): `verifier` checks the signature,
/// issuer and times (build it with `.typ("statuslist+jwt")` and no audience check); here, the
/// header's `typ` must be `statuslist+jwt` and `sub` must be `uri`, and the list is
/// decompressed to at most `max_bytes`.
///
/// # Errors
/// The verifier's errors; [`Error::Type`] for another `typ`, [`Error::Subject`] for another
/// `sub`, [`Error::InvalidClaim`]/[`Error::LimitExceeded`] for a bad list.
pub fn verify_list(
    verifier: &Verifier,
    token: &str,
    uri: &str,
    max_bytes: usize,
) -> Result<VerifiedList, Error> {
    let verified = verifier.verify::<ListClaims>(token)?;
    let typed = verified
        .header()
        .and_then(|h| h.typ.as_deref())
        .is_some_and(|t| crate::jws::typ_matches(t, TYP));
    if !typed {
        return Err(Error::Type);
    }
    let c = verified.into_claims();
    if c.sub != uri {
        return Err(Error::Subject);
    }
    Ok(VerifiedList {
        list: StatusList::from_lst(c.status_list.bits, &c.status_list.lst, max_bytes)?,
        times: ListTimes {
            iat: c.iat,
            exp: c.exp,
            ttl: c.ttl,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drafts_one_bit_example() {
        let mut list = StatusList::new(1, 16).unwrap();
        for i in [0, 3, 4, 5, 7, 8, 9, 13, 15] {
            list.set(i, Status::INVALID).unwrap();
        }
        assert_eq!(list.as_bytes(), [0xb9, 0xa3]);
        let read = StatusList::from_lst(1, "eNrbuRgAAhcBXQ", 1024).unwrap();
        assert_eq!(read, list);
        // Ours decompresses to the same bytes (the compressor may choose other codes).
        assert_eq!(StatusList::from_lst(1, &list.to_lst(), 1024).unwrap(), list);
    }

    #[test]
    fn the_drafts_two_bit_example() {
        let statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
        let mut list = StatusList::new(2, statuses.len()).unwrap();
        for (i, s) in statuses.iter().enumerate() {
            list.set(i as u64, Status(*s)).unwrap();
        }
        assert_eq!(list.as_bytes(), [0xc9, 0x44, 0xf9]);
        let read = StatusList::from_lst(2, "eNo76fITAAPfAgc", 1024).unwrap();
        assert_eq!(read, list);
        for (i, s) in statuses.iter().enumerate() {
            assert_eq!(read.get(i as u64), Some(Status(*s)));
        }
        assert_eq!(read.get(12), None);
    }

    #[test]
    fn bad_lists_are_refused_not_panicked_on() {
        assert!(StatusList::new(3, 8).is_err());
        assert!(StatusList::from_lst(1, "!!", 10).is_err());
        assert!(StatusList::from_lst(1, "AAAA", 10).is_err(), "not zlib");
        let big = StatusList::new(1, 8 * 4096).unwrap().to_lst();
        assert_eq!(
            StatusList::from_lst(1, &big, 100),
            Err(Error::LimitExceeded(Limit::Decompressed))
        );
        let mut l = StatusList::new(1, 8).unwrap();
        assert!(l.set(8, Status::INVALID).is_err());
        assert!(
            l.set(0, Status::SUSPENDED).is_err(),
            "2 does not fit one bit"
        );
        let mut l = StatusList::new(8, 2).unwrap();
        l.set(1, Status(0xff)).unwrap();
        assert_eq!(l.get(1), Some(Status(0xff)));
        assert_eq!(l.get(0), Some(Status::VALID));
    }

    #[test]
    fn status_claims_are_read() {
        let c = serde_json::json!({"status": {"status_list": {"idx": 7, "uri": "https://a/s/1"}}});
        assert_eq!(
            StatusRef::from_claims(&c).unwrap(),
            Some(StatusRef {
                idx: 7,
                uri: "https://a/s/1".into()
            })
        );
        assert_eq!(
            StatusRef::from_claims(&serde_json::json!({})).unwrap(),
            None
        );
        let bad = serde_json::json!({"status": {"status_list": {"idx": -1, "uri": "x"}}});
        assert!(StatusRef::from_claims(&bad).is_err());
        // Another mechanism only: no status list reference.
        let other = serde_json::json!({"status": {"identifier_list": {"id": "x"}}});
        assert_eq!(StatusRef::from_claims(&other).unwrap(), None);
    }

    #[test]
    fn status_list_tokens_sign_and_verify() {
        use crate::jws::{Header, Signer};
        use crate::jwt::Clock;
        use crate::{Jwk, JwkSet, JwsAlg};
        let key = Jwk::generate(JwsAlg::ES256).unwrap();
        let signer = JwtSigner::with_header(
            Signer::new(&key, JwsAlg::ES256).unwrap(),
            Header::new(JwsAlg::ES256).typ(TYP),
        )
        .unwrap();
        let mut list = StatusList::new(1, 1 << 16).unwrap();
        list.set(4242, Status::INVALID).unwrap();
        let now = crate::jwt::SystemClock.now();
        let times = ListTimes {
            iat: now,
            exp: Some(now + 600),
            ttl: Some(30),
        };
        let uri = "https://as.example/status/1";
        let token = sign_list(&signer, Some("https://as.example"), uri, &list, &times).unwrap();
        let set = JwkSet::from(key.to_public().unwrap());
        let verifier = Verifier::builder(set)
            .algorithms([JwsAlg::ES256])
            .issuer("https://as.example")
            .skip_audience_check()
            .typ(TYP)
            .build()
            .unwrap();
        let v = verify_list(&verifier, &token, uri, 1 << 20).unwrap();
        assert_eq!(v.status(4242).unwrap(), Status::INVALID);
        assert_eq!(v.status(4241).unwrap(), Status::VALID);
        assert!(v.status(1 << 16).is_err());
        assert_eq!(v.times.ttl, Some(30));
        // Another list's token is not this list's.
        assert_eq!(
            verify_list(&verifier, &token, "https://as.example/status/2", 1 << 20).unwrap_err(),
            Error::Subject
        );
        // A plain JWT of the same key is not a status list token.
        let plain = JwtSigner::new(Signer::new(&key, JwsAlg::ES256).unwrap());
        let other = sign_list(&plain, Some("https://as.example"), uri, &list, &times).unwrap();
        assert!(verify_list(&verifier, &other, uri, 1 << 20).is_err());
    }
}
