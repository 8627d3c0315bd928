//! `tessera`: the command line of the Tessera JOSE/JWT toolkit. Thin over `tessera-jose`: parse
//! arguments, read input, call the library, write output, map the outcome to an exit code.

mod args;
mod cmd;
mod exit;
mod input;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let code = failure.code();
            let _ = writeln!(std::io::stderr(), "error: {}", failure.message());
            code
        }
    }
}
