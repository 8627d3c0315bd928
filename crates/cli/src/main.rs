//! `tessera`: the command line of the Tessera JOSE/JWT toolkit. Thin over `tessera-jose`: parse
//! arguments, read input, call the library, write output, map the outcome to an exit code.

mod args;
mod cmd;
mod detect;
mod exit;
mod input;
mod output;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, CommandFactory as _, FromArgMatches};

fn main() -> ExitCode {
    match cmd::run(parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let code = failure.code();
            let message = failure.message();
            if !message.is_empty() {
                let _ = writeln!(std::io::stderr(), "error: {message}");
            }
            code
        }
    }
}

/// Parses the command line. `sign`, `verify` and `decode` are what scripts run in loops, so
/// they are parsed with only their own arguments built (clap otherwise builds the whole
/// command tree, a tenth of a short run); help, version and every other command go through the
/// full parser. Either way the arguments, their checks and the exit codes are the same.
fn parse() -> args::Command {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let help = argv.iter().skip(1).any(|a| {
        matches!(
            a.to_str(),
            Some("-h" | "--help" | "-V" | "--version" | "help")
        )
    });
    if !help {
        match argv.get(1).and_then(|a| a.to_str()) {
            Some("sign") => return fast::<args::SignArgs>("sign", &argv, args::Command::Sign),
            Some("verify") => {
                return fast::<args::VerifyArgs>("verify", &argv, args::Command::Verify);
            }
            Some("decode") => {
                return fast::<args::DecodeArgs>("decode", &argv, args::Command::Decode);
            }
            _ => {}
        }
    }
    // `Cli::parse()`, except that clap's tree is not freed: the process ends right after.
    let mut command = args::Cli::command();
    let matches = command.get_matches_mut();
    std::mem::forget(command);
    args::Cli::from_arg_matches(&matches)
        .unwrap_or_else(|e| e.exit())
        .command
}

/// Parses `tessera NAME ...` with only `A`'s arguments built.
fn fast<A: Args + FromArgMatches>(
    name: &'static str,
    argv: &[std::ffi::OsString],
    wrap: fn(A) -> args::Command,
) -> args::Command {
    let mut command = clap::Command::new("tessera")
        .max_term_width(100)
        .subcommand(A::augment_args(clap::Command::new(name)));
    let matches = command
        .try_get_matches_from_mut(argv)
        .unwrap_or_else(|e| e.exit());
    std::mem::forget(command);
    let Some((_, sub)) = matches.subcommand() else {
        let _ = writeln!(std::io::stderr(), "error: `{name}` expected");
        std::process::exit(2)
    };
    wrap(A::from_arg_matches(sub).unwrap_or_else(|e| e.exit()))
}
