//! What the CLI test files share: the real `tessera` binary run in a clean environment and a
//! temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod people;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub raw: Vec<u8>,
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn p(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).unwrap();
        self.p(name)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(args, None)
    }

    pub fn run_in(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut input = child.stdin.take().unwrap();
            if let Some(bytes) = stdin {
                input.write_all(bytes).unwrap();
            }
        }
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            raw: stdout,
        };
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        // Binary output (DER, plaintext bytes) may hold 0x1b by chance; text may not.
        let coloured_out = std::str::from_utf8(&run.raw).is_ok() && run.stdout.contains('\x1b');
        assert!(
            !coloured_out && !run.stderr.contains('\x1b'),
            "colour off a terminal"
        );
        run
    }

    /// Runs and expects success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    }

    pub fn key(&self, name: &str, args: &[&str]) -> String {
        let mut all = vec!["jwk", "generate"];
        all.extend_from_slice(args);
        let jwk = self.ok(&all);
        self.write(name, &jwk)
    }
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub const NOW: &str = "1800000000";

/// A deterministic HS256 token (fixed secret, claims and clock).
pub fn hs_token(env: &Env) -> String {
    env.ok(&[
        "sign",
        r#"{"sub":"u1","scope":"read"}"#,
        "--alg",
        "HS256",
        "--secret",
        "a-32-byte-long-secret-for-hs256!",
        "--iss",
        "https://issuer.example",
        "--aud",
        "api",
        "--exp",
        "+15m",
        "--now",
        NOW,
    ])
    .trim()
    .to_owned()
}

#[allow(unused_imports)] // not every test file uses each
pub use testkit::{Reaped, free_port, wait_listening};

/// `tessera ARGS` in `dir` with only `env` in its environment: exit code, stdout, stderr.
#[allow(dead_code)] // not every test file uses it
pub fn run_in(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
