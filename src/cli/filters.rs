//! `promo-liquid filters`: every filter templates can use, from the registry the
//! renderer uses.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::json;

use super::Exit;
use promo_liquid::promo::{self, Settings};

/// How `filters` prints the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Each filter's signature, then its description and example, indented.
    Text,
    /// A JSON array of `{name, signature, summary, example}`.
    Json,
}

/// The arguments of `filters`.
#[derive(Args, Debug)]
pub struct FiltersArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `filters`.
pub fn run(args: FiltersArgs) -> Result<Exit> {
    let env = promo::environment(&Settings::default());
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Text => {
            for f in env.filters().iter() {
                writeln!(
                    stdout,
                    "{}\n    {}\n    {}\n",
                    f.signature, f.summary, f.example
                )?;
            }
        }
        Format::Json => {
            let all: Vec<_> = env
                .filters()
                .iter()
                .map(|f| {
                    json!({
                        "name": f.name,
                        "signature": f.signature,
                        "summary": f.summary,
                        "example": f.example,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut stdout, &all)?;
            writeln!(stdout)?;
        }
    }
    stdout.flush().context("cannot write to standard output")?;
    Ok(Exit::Ok)
}
