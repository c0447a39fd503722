//! The `promo-liquid` command line.
//!
//! Exit codes: 0 rendered, 1 failed (a broken template or record), 2 a usage or I/O
//! problem, 3 aborted by the template. `batch` exits 0 when every record rendered or
//! aborted, 1 when any failed, 2 for a usage or I/O problem.
//! `lint` exits 0 when clean (or with warnings only), 1 on any error, 2 for usage or I/O;
//! `preview` exits 1 when a sample failed or a push payload is too large. A closed
//! standard output (`promo-liquid filters | head -1`) ends any command quietly with 0.

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
    /// Check messages and templates against the schema before a campaign goes live.
    Lint(cli::lint::LintArgs),
    /// Render a message for sample records of its events, with the channel checks.
    Preview(cli::preview::PreviewArgs),
    /// List a snippet library: each snippet's hash, channels, events and parameters,
    /// and where messages use it.
    Snippets(cli::snippets::SnippetsArgs),
    /// Print the schema of the promo events and their properties.
    Schema(cli::schema::SchemaArgs),
    /// List the filters templates can use, with signatures and examples.
    Filters(cli::filters::FiltersArgs),
    /// Render a message for every record of an NDJSON stream: one JSON outcome a line,
    /// in input order, on all cores.
    Batch(cli::batch::BatchArgs),
    /// Serve the HTTP preview service (JSON API under /v1) and its playground page.
    Serve(cli::serve::ServeArgs),
    /// Render the records of a Redis stream as one of a consumer group's workers: one
    /// outcome entry per input entry to an output stream.
    Worker(cli::worker::WorkerArgs),
    /// Push the records of an NDJSON file into a Redis stream, for `worker`.
    StreamLoad(cli::stream_load::StreamLoadArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => cli::render::run(args),
        Command::Lint(args) => cli::lint::run(args),
        Command::Preview(args) => cli::preview::run(args),
        Command::Snippets(args) => cli::snippets::run(args),
        Command::Schema(args) => cli::schema::run(args),
        Command::Filters(args) => cli::filters::run(args),
        Command::Batch(args) => cli::batch::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Worker(args) => cli::worker::run(args),
        Command::StreamLoad(args) => cli::stream_load::run(args),
    };
    match result {
        Ok(code) => code.into(),
        // Whoever stopped reading (`| head`) has what they wanted: end quietly.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.is::<cli::Reported>() => {
            eprint!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether an error is a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}
