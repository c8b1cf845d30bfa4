use ambient_policy::completion::cobra;
use ambient_policy::{app, cli::Cli};
use clap::Parser;
use std::process::ExitCode;

/// Many small, short-lived objects: see the comment on the dependency in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ambient_policy::allocator::return_freed_at_once();
    ambient_policy::source::secrets::install_panic_hook();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // kubectl's plugin completion runs the binary as `kubectl_complete-ambient_policy`.
    let argv0 = args.first().cloned().unwrap_or_default();
    let rest = || {
        args.iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
    };
    if cobra::invoked_as_completer(&argv0) {
        return complete(&rest().collect::<Vec<_>>());
    }
    if args.get(1).is_some_and(|a| a == cobra::REQUEST) {
        return complete(&rest().skip(1).collect::<Vec<_>>());
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match app::run(cli.command, &mut out) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Completion answers go to stdout only; nothing on stderr, whatever happens.
fn complete(args: &[String]) -> ExitCode {
    use std::io::Write;
    let _ = std::io::stdout().write_all(cobra::answer(args).as_bytes());
    ExitCode::SUCCESS
}

/// Help and version as clap prints them; usage errors on one line (clap's message with its
/// possible values and tips, without the usage block), exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // No subcommand: the help on stdout, exit 0, as `kubectl` and cobra-based plugins
        // print it when run bare (a request for help, not a usage error).
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    }
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    let text = e.render().to_string();
    let line = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("{line}");
    ExitCode::from(2)
}
