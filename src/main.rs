//! The `chatkit-inject` binary: parse the command line, run, print the report, exit with the
//! documented code (see `exit_codes`).

use std::io::Write;

use clap::Parser;

use chatkit_inject::cli::{Cli, Command, Format};
use chatkit_inject::exit_codes::ExitCode;
use chatkit_inject::run;
use chatkit_inject::settings::Action;

fn main() -> std::process::ExitCode {
    // clap exits with 2 on usage errors by itself.
    let mut cli = Cli::parse();
    if let Some(Command::Doctor(args)) = cli.command.take() {
        return chatkit_inject::doctor::main(&args).into();
    }
    let (settings, output) = match cli.into_settings() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::UsageError.into();
        }
    };
    let report = match run::run(&settings) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::UsageError.into();
        }
    };
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for w in &report.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    let csp_label = if report.mode == Action::Check {
        "error"
    } else {
        "warning"
    };
    for f in &report.csp_blocked {
        let _ = writeln!(err, "{csp_label}: {}: {}", f.path, f.message);
    }
    for f in &report.failures {
        let _ = writeln!(err, "error: {}: {}", f.path, f.error);
    }
    // Quiet prints only errors: under --check, what is out of date is one.
    if output.quiet && output.format == Format::Text && !report.outdated.is_empty() {
        let _ = writeln!(err, "error: {}", report.headline());
        for o in &report.outdated {
            let _ = writeln!(err, "  {}", o.describe());
        }
    }
    drop(err);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match output.format {
        Format::Json => {
            let _ = writeln!(out, "{}", report.to_json());
        }
        Format::Text if !output.quiet => {
            let _ = write!(out, "{}", report.to_text(output.verbose));
        }
        Format::Text => {}
    }
    report.exit_code().into()
}
