//! `promo-liquid filters`: every filter templates can use, from the registry the
//! renderer uses.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::Exit;
use promo_liquid::promo::{self, Settings};
use promo_liquid::requests;

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
            stdout.write_all(requests::to_json(&requests::filters(&env)).as_bytes())?;
        }
    }
    stdout.flush().context("cannot write to standard output")?;
    Ok(Exit::Ok)
}
