//! One module per command; each reads its input, calls the library and writes its result.

mod alg;
mod decode;
mod jwe;
mod jwk;
mod jwks;
mod jws;
mod sign;
mod verify;

use clap::CommandFactory as _;

use crate::args::{Cli, Command};
use crate::exit::CmdResult;

/// Runs a command.
pub fn run(command: Command) -> CmdResult {
    match command {
        Command::Decode(a) => decode::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Sign(a) => sign::run(&a),
        Command::Jws(c) => jws::run(c),
        Command::Jwe(c) => jwe::run(&c),
        Command::Jwk(c) => jwk::run(&c),
        Command::Jwks(c) => jwks::run(&c),
        Command::Alg(a) => alg::run(&a),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tessera", &mut buf);
            crate::output::out(&buf)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            crate::output::out(&buf)
        }
        Command::ExitCodes => crate::output::line(crate::exit::EXIT_CODES),
    }
}

/// Splits algorithm names into JWS and JWE ones; unknown names are a usage error.
pub fn split_algs(
    names: &[String],
) -> Result<(Vec<tessera_jose::JwsAlg>, Vec<tessera_jose::JweAlg>), crate::exit::Failure> {
    let mut jws = Vec::new();
    let mut jwe = Vec::new();
    for n in names {
        if let Ok(a) = tessera_jose::JwsAlg::from_name(n) {
            jws.push(a);
        } else if let Ok(a) = tessera_jose::JweAlg::from_name(n) {
            jwe.push(a);
        } else {
            return Err(anyhow::anyhow!(
                "unknown or unsupported algorithm `{n}` (see `tessera alg`)"
            )
            .into());
        }
    }
    Ok((jws, jwe))
}

/// The algorithm a key signs with when `--alg` is not given: its `alg` member, or the only
/// algorithm its type and curve allow (EdDSA for Ed25519, ES256 for P-256). Keys that allow
/// several (RSA, HMAC secrets) need `--alg`.
pub fn default_alg(key: &tessera_jose::Jwk) -> Result<tessera_jose::JwsAlg, crate::exit::Failure> {
    if let Some(name) = key.alg() {
        return tessera_jose::JwsAlg::from_name(name).map_err(|_| {
            anyhow::anyhow!(
                "the key's `alg` is `{}`, not a signature algorithm",
                tessera_jose::error::escaped(name)
            )
            .into()
        });
    }
    match key.allowed_algorithms().as_slice() {
        [only] => Ok(*only),
        [] => Err(anyhow::anyhow!("the key cannot sign with any supported algorithm").into()),
        several => Err(anyhow::anyhow!(
            "the key allows several algorithms ({}): give --alg",
            several
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into()),
    }
}
