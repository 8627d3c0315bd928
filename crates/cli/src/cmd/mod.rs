//! One module per command; each reads its input, calls the library and writes its result.

mod alg;
mod debug;
mod decode;
mod dpop;
mod jwe;
mod jwk;
mod jwks;
mod jws;
mod service;
mod sign;
mod users;
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
        Command::Dpop(c) => dpop::run(&c),
        Command::Serve(a) => service::serve(&a),
        Command::Debug(a) => debug::run(&a),
        Command::Client(c) => service::client(&c),
        Command::Keys(c) => service::keys(&c),
        Command::User(c) => users::user(&c),
        Command::Events(a) => service::events(&a),
        Command::Migrate(a) => service::migrate(&a),
        Command::Init(a) => service::init(&a),
        Command::Rekey(a) => service::rekey(&a),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tessera", &mut buf);
            crate::output::out(&buf)
        }
        Command::Man { dir: None } => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            crate::output::out(&buf)
        }
        Command::Man { dir: Some(dir) } => man_pages(&dir),
        Command::ExitCodes => crate::output::line(crate::exit::EXIT_CODES),
    }
}

/// One man page per command and subcommand (`tessera-jwk-generate.1`), as the top page's SEE
/// ALSO lists them.
fn man_pages(dir: &str) -> CmdResult {
    use anyhow::Context as _;
    fn write(cmd: clap::Command, name: String, dir: &std::path::Path) -> anyhow::Result<()> {
        // clap names are `&'static str` without its `string` feature; the process ends soon.
        let cmd = cmd.name(&*Box::leak(name.clone().into_boxed_str()));
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))?;
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            write(sub.clone(), format!("{name}-{}", sub.get_name()), dir)?;
        }
        Ok(())
    }
    let path = std::path::Path::new(dir);
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {dir}"))?;
    let mut cmd = Cli::command();
    cmd.build();
    write(cmd, "tessera".into(), path)?;
    Ok(())
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
        // An Ed25519 key: `EdDSA` (RFC 8037) and its fully-specified twin `Ed25519` (RFC 9864)
        // make the same signature; `EdDSA` is what verifiers expect.
        [tessera_jose::JwsAlg::EdDSA, tessera_jose::JwsAlg::Ed25519] => {
            Ok(tessera_jose::JwsAlg::EdDSA)
        }
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
