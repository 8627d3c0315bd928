//! `tessera debug`: the token debugger page on a loopback port, opened in the browser.

use anyhow::anyhow;

use crate::args::DebugArgs;
use crate::exit::{CmdResult, Failure};
use crate::output;

pub fn run(a: &DebugArgs) -> CmdResult {
    let fragment = match &a.token {
        Some(t) => format!(
            "#token={}",
            fragment_escape(&crate::input::pasted_token(Some(t))?)
        ),
        None => String::new(),
    };
    let key = tessera_debugger::new_access_key()
        .map_err(|e| anyhow!("cannot make the access key: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let ip: std::net::IpAddr = if a.ipv6 {
            std::net::Ipv6Addr::LOCALHOST.into()
        } else {
            std::net::Ipv4Addr::LOCALHOST.into()
        };
        let listener = tokio::net::TcpListener::bind((ip, a.port))
            .await
            .map_err(|e| anyhow!("cannot listen on {ip} port {}: {e}", a.port))?;
        let addr = listener
            .local_addr()
            .map_err(|e| anyhow!("cannot read the bound address: {e}"))?;
        // The key rides in the query: the page reads it and sends it with every API call.
        let url = format!("http://{addr}/?k={key}{fragment}");
        output::line(&url)?;
        eprintln!(
            "tessera debug: the debugger is at the address above (loopback only; Ctrl-C stops it)"
        );
        eprintln!(
            "  the address holds this run's access key: anyone with it can use the page's API"
        );
        if !a.no_open {
            open(&url);
        }
        tessera_debugger::serve_standalone(listener, key, tessera_server::shutdown_signal())
            .await
            .map_err(|e| Failure::Input(anyhow!("the debugger stopped: {e}")))
    })
}

/// Opens `url` in the default browser; a failure is a note, not an error (the URL is printed).
fn open(url: &str) {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let spawned = cmd
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        output::note("could not open a browser: open the address above yourself");
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters and the dot (a compact
/// token passes unchanged; a JSON serialization is encoded).
fn fragment_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn fragments_keep_compact_tokens_and_encode_json() {
        assert_eq!(super::fragment_escape("eyJ.a-b_c."), "eyJ.a-b_c.");
        assert_eq!(super::fragment_escape("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
