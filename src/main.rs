//! The `promo-liquid` command line.
//!
//! Exit codes: 0 rendered, 1 failed (a broken template or record), 2 a usage or I/O
//! problem, 3 aborted by the template.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

#[derive(Parser)]
#[command(
    name = "promo-liquid",
    version,
    about = "Render Liquid campaign messages for promo events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a message (.toml) or a bare Liquid template for one record, or a template
    /// against plain JSON globals (--data).
    Render(cli::render::RenderArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => cli::render::run(args),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
