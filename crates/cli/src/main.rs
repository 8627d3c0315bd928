//! `tessera`: the command line of the Tessera JOSE/JWT toolkit. Thin over `tessera-jose`: parse
//! arguments, read input, call the library, write output, map the outcome to an exit code.

mod args;
mod cmd;
mod exit;
mod input;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

fn main() -> ExitCode {
    // `Cli::parse()`, except that clap's command tree is not freed: the process ends right after,
    // and freeing the tree costs about a tenth of a short `tessera` run.
    let mut command = args::Cli::command();
    let matches = command.get_matches_mut();
    std::mem::forget(command);
    let cli = args::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let code = failure.code();
            let _ = writeln!(std::io::stderr(), "error: {}", failure.message());
            code
        }
    }
}
