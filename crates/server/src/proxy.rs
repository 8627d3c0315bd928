//! The client's address behind reverse proxies the operator trusts.
//!
//! The sign-in throttle counts failures per client address, and sessions and audit events
//! record it. Behind a load balancer every connection comes from the proxy, so without this
//! setting one person's wrong passwords would slow down everybody, and every session would
//! show the proxy's address. With `trusted_proxies` set, a request whose connection comes from
//! one of those addresses is attributed to the address the proxies forwarded: the header
//! (`X-Forwarded-For`, or RFC 7239 `Forwarded` with `forwarded_header = forwarded`) is read
//! from the right, skipping the trusted proxies' own entries, and the first address that is
//! not a trusted proxy is the client. Entries to its left were written by the client itself
//! and are never believed. A request from anywhere else keeps its connection's address,
//! whatever headers it sends.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The most entries read from the right of the forwarded header.
const MAX_HOPS: usize = 32;

/// An address block: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; the address's host bits must be zero.
    ///
    /// # Errors
    /// Why the text is not an address block.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let shown = tessera_jose::error::escaped(text);
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{shown}` is not an IP address or ADDRESS/PREFIX block"))?;
        let net = net.to_canonical();
        let bits = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("`{shown}`: the prefix must be 0 to {bits}"))?,
        };
        let cidr = Self { net, prefix };
        if cidr.masked(net) != net {
            return Err(format!(
                "`{shown}`: the address has bits set past /{prefix} (did you mean {}/{prefix}?)",
                cidr.masked(net)
            ));
        }
        Ok(cidr)
    }

    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        }
    }

    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as its IPv4 address).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.net.is_ipv4() && self.masked(ip) == self.net
    }
}

impl core::fmt::Display for Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// Which header the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Header {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

impl Header {
    /// `x-forwarded-for` or `forwarded`.
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err("expected x-forwarded-for or forwarded".into()),
        }
    }

    /// The header's name, lower case.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

/// The proxies whose forwarded header is believed, and which header that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    /// The blocks; empty: no proxy is trusted (the connection's address is the client's).
    pub blocks: Vec<Cidr>,
    /// The header they write.
    pub header: Header,
}

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and blocks (empty: none).
    ///
    /// # Errors
    /// The first entry that is not an address or block.
    pub fn parse_blocks(list: &str) -> Result<Vec<Cidr>, String> {
        list.split(',')
            .filter(|e| !e.trim().is_empty())
            .map(Cidr::parse)
            .collect()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(ip))
    }

    /// Whether a connection from `peer` comes from a trusted proxy.
    #[must_use]
    pub fn is_proxy(&self, peer: IpAddr) -> bool {
        !self.blocks.is_empty() && self.trusts(peer.to_canonical())
    }

    /// The client's address for a request that came over a connection from `peer`.
    #[must_use]
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut hops: Vec<&str> = Vec::new();
        for value in headers.get_all(self.header.name()) {
            let Ok(value) = value.to_str() else {
                // Not text: nothing in this header can be read, so nobody past the proxy is
                // named.
                return peer;
            };
            match self.header {
                Header::XForwardedFor => hops.extend(value.split(',')),
                Header::Forwarded => hops.extend(split_outside_quotes(value, ',')),
            }
        }
        // From the right: the proxy that connected wrote the last entry.
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let address = match self.header {
                Header::XForwardedFor => node(hop.trim()),
                Header::Forwarded => forwarded_for(hop),
            };
            let Some(address) = address else {
                // `unknown`, an obfuscated name, or garbage: the last proxy that could be
                // read is as far as anyone can tell.
                return client;
            };
            client = address.to_canonical();
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// `text` split on `sep` where it is not inside a quoted string.
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The address of one `Forwarded` element's `for=` parameter.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_outside_quotes(element, ';')
        .into_iter()
        .find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("for") {
                return None;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            node(value)
        })
}

/// An address as proxies write it: `192.0.2.43`, `192.0.2.43:47011`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`.
fn node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        if after.is_empty() || after.strip_prefix(':').is_some_and(port) {
            return ip.parse().ok();
        }
        return None;
    }
    let (ip, p) = text.rsplit_once(':')?;
    if port(p) {
        return ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4);
    }
    None
}

fn port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn blocks() {
        let b = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(b.contains(ip("10.1.2.3")));
        assert!(b.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(!b.contains(ip("11.0.0.1")));
        assert!(!b.contains(ip("::a01:203")), "IPv6 is not IPv4");
        let one = Cidr::parse(" 192.0.2.7 ").unwrap();
        assert_eq!(one.to_string(), "192.0.2.7/32");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("::1")));
        for (bad, says) in [
            ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
            ("10.0.0.0/33", "0 to 32"),
            ("2001:db8::/129", "0 to 128"),
            ("example.com", "not an IP address"),
            ("10.0.0.0/", "0 to 32"),
            ("10.0.0.0/-1", "0 to 32"),
            ("", "not an IP address"),
        ] {
            let e = Cidr::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert_eq!(
            TrustedProxies::parse_blocks("10.0.0.0/8, ,::1")
                .unwrap()
                .len(),
            2
        );
        assert!(TrustedProxies::parse_blocks("").unwrap().is_empty());
        // The connection caps ask whether a peer is a proxy (an IPv4-mapped peer is its IPv4).
        let trusted = TrustedProxies {
            blocks: TrustedProxies::parse_blocks("10.0.0.0/8").unwrap(),
            header: Header::XForwardedFor,
        };
        assert!(trusted.is_proxy(ip("10.9.9.9")) && trusted.is_proxy(ip("::ffff:10.9.9.9")));
        assert!(!trusted.is_proxy(ip("11.0.0.1")));
        assert!(!TrustedProxies::default().is_proxy(ip("10.9.9.9")));
    }

    #[test]
    fn the_client_is_the_first_untrusted_address_from_the_right() {
        let trusted = TrustedProxies {
            blocks: TrustedProxies::parse_blocks("10.0.0.0/8, 2001:db8::/32").unwrap(),
            header: Header::XForwardedFor,
        };
        let xff = |v: &[&str]| headers("x-forwarded-for", v);
        for (peer, values, client) in [
            // No proxy trusted on this connection: the header is whatever the client wrote.
            ("198.51.100.9", &["203.0.113.5"][..], "198.51.100.9"),
            // One proxy.
            ("10.0.0.2", &["203.0.113.5"], "203.0.113.5"),
            // The client's own entries to the left are not believed.
            ("10.0.0.2", &["1.2.3.4, 203.0.113.5"], "203.0.113.5"),
            // Two proxies, the second header line after the first.
            (
                "10.0.0.2",
                &["1.2.3.4, 203.0.113.5", "10.0.0.9"],
                "203.0.113.5",
            ),
            // Ports and brackets as some proxies write them.
            ("10.0.0.2", &["203.0.113.5:5123"], "203.0.113.5"),
            ("10.0.0.2", &["[2001:db9::7]:443"], "2001:db9::7"),
            ("10.0.0.2", &["2001:db9::7"], "2001:db9::7"),
            // IPv4-mapped peers and entries.
            ("::ffff:10.0.0.2", &["::ffff:203.0.113.5"], "203.0.113.5"),
            // Nothing forwarded: the proxy itself.
            ("10.0.0.2", &[], "10.0.0.2"),
            // Garbage stops the walk at the last proxy that could be read.
            ("10.0.0.2", &["203.0.113.5, unknown"], "10.0.0.2"),
            ("10.0.0.2", &["203.0.113.5, unknown, 10.0.0.7"], "10.0.0.7"),
            ("10.0.0.2", &["999.1.1.1"], "10.0.0.2"),
            ("10.0.0.2", &["203.0.113.5:99999999"], "10.0.0.2"),
            // Only proxies: the leftmost one.
            ("10.0.0.2", &["10.0.0.3, 10.0.0.4"], "10.0.0.3"),
        ] {
            assert_eq!(
                trusted.client(ip(peer), &xff(values)),
                ip(client),
                "{peer} {values:?}"
            );
        }
        // The other header is not read.
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &headers("forwarded", &["for=203.0.113.5"])),
            ip("10.0.0.2")
        );
        // Nobody trusted: never read.
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.2"), &xff(&["203.0.113.5"])),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn rfc_7239_forwarded() {
        let trusted = TrustedProxies {
            blocks: TrustedProxies::parse_blocks("10.0.0.0/8").unwrap(),
            header: Header::Forwarded,
        };
        let fwd = |v: &[&str]| headers("forwarded", v);
        for (values, client) in [
            (&["for=203.0.113.5"][..], "203.0.113.5"),
            (&["For=\"[2001:db8:cafe::17]:4711\""], "2001:db8:cafe::17"),
            (&["for=192.0.2.60;proto=http;by=203.0.113.43"], "192.0.2.60"),
            (&["proto=https; for=192.0.2.60"], "192.0.2.60"),
            (&["for=1.2.3.4, for=192.0.2.43"], "192.0.2.43"),
            (
                &["for=1.2.3.4", "for=192.0.2.43, for=10.1.1.1"],
                "192.0.2.43",
            ),
            // A quoted comma does not split an element.
            (&["for=192.0.2.43;x=\"a,b\""], "192.0.2.43"),
            // Obfuscated and unknown nodes (RFC 7239 §6.2, §6.3).
            (&["for=_hidden, for=10.0.0.5"], "10.0.0.5"),
            (&["for=unknown"], "10.0.0.2"),
            (&["proto=https"], "10.0.0.2"),
        ] {
            assert_eq!(
                trusted.client(ip("10.0.0.2"), &fwd(values)),
                ip(client),
                "{values:?}"
            );
        }
        assert_eq!(Header::parse(" Forwarded ").unwrap(), Header::Forwarded);
        assert!(Header::parse("x-real-ip").is_err());
    }

    #[test]
    fn settings() {
        let set = |pairs: &[(&str, &str)]| {
            let flags: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            crate::config::Config::load(None, Vec::new(), &flags)
        };
        let c = set(&[
            ("trusted_proxies", "10.0.0.0/8, 2001:db8::/32"),
            ("forwarded_header", "Forwarded"),
        ])
        .unwrap();
        assert_eq!(c.trusted_proxies.blocks.len(), 2);
        assert_eq!(c.trusted_proxies.header, Header::Forwarded);
        assert_eq!(set(&[]).unwrap().trusted_proxies, TrustedProxies::default());
        let bad = set(&[("trusted_proxies", "10.0.0.1/8")])
            .err()
            .unwrap()
            .to_string();
        assert!(
            bad.contains("--trusted-proxies") && bad.contains("10.0.0.0/8"),
            "{bad}"
        );
        assert!(set(&[("forwarded_header", "x-real-ip")]).is_err());
    }

    #[test]
    fn long_chains_are_read_only_so_far() {
        let trusted = TrustedProxies {
            blocks: TrustedProxies::parse_blocks("10.0.0.0/8").unwrap(),
            header: Header::XForwardedFor,
        };
        let mut chain = vec!["203.0.113.5".to_owned()];
        chain.extend((0..40).map(|i| format!("10.0.0.{i}")));
        let h = headers("x-forwarded-for", &[&chain.join(",")]);
        // Past MAX_HOPS proxies the walk stops at the last one read.
        assert_eq!(trusted.client(ip("10.0.0.2"), &h), ip("10.0.0.8"));
    }
}
