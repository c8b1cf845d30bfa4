use ambient_policy::{app, cli::Cli};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    ambient_policy::source::secrets::install_panic_hook();
    let cli = Cli::parse();
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
