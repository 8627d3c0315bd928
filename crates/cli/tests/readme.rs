//! The README's command-line tour runs as written, in an empty folder, with the `tessera`
//! built for these tests first on `PATH` (its `cargo install` line is what puts it there for a
//! reader, so that one line is skipped).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn readme_command_line_tour_runs_as_written() {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("## The `tessera` command line")
        .nth(1)
        .expect("the README has its command-line section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the section has a sh block");
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("cargo install"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_tessera"));
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("TZ", "UTC")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README tour failed:\n{stderr}\n--- stdout:\n{stdout}"
    );
    for expected in [
        "hello",
        "secret",
        "shared",
        "\"scope\": \"orders:read\"",
        "exit 1",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(dir.path().join("man/tessera-jwk-generate.1").exists());
}
