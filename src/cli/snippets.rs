//! `promo-liquid snippets`: the snippet library, each snippet with what it declares and
//! where it is used in a set of messages, so that editing one shows what it changes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::{Exit, read_input};
use promo_liquid::promo::{self, Settings};
use promo_liquid::requests;
use promo_liquid::snippets::usage::{self, How, Listing};

/// How `snippets` prints the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Each snippet with its hash, declarations and uses.
    Text,
    /// One JSON object: `{"pin", "snippets": [...]}`.
    Json,
}

/// The arguments of `snippets`.
#[derive(Args, Debug)]
pub struct SnippetsArgs {
    /// The snippet library: a directory of NAME.liquid snippets and NAME.toml sidecars.
    library: PathBuf,
    /// Message files, or directories of them (their *.toml files), to find the
    /// snippets' uses in; repeat it for several.
    #[arg(long = "messages", value_name = "PATH")]
    messages: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `snippets`.
pub fn run(args: SnippetsArgs) -> Result<Exit> {
    let env = promo::environment(&Settings::default());
    let library =
        super::load_snippets(Some(&args.library), &env)?.context("the snippet library")?;
    let mut messages = Vec::new();
    for path in &args.messages {
        for file in message_files(path)? {
            let text = read_input(&file)?;
            messages.push((file.display().to_string(), text));
        }
    }
    let listing = usage::usage(&library, &messages, &env);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => out.write_all(requests::to_json(&listing).as_bytes())?,
        Format::Text => out.write_all(text(&args.library, &listing).as_bytes())?,
    }
    out.flush().context("cannot write to standard output")?;
    Ok(Exit::Ok)
}

/// The message files of `path`: the file itself, or a directory's `*.toml` files.
fn message_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(path).with_context(|| format!("cannot read {}", path.display()))?
    {
        let file = entry?.path();
        if file.extension().is_some_and(|e| e == "toml") && file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

fn text(dir: &Path, listing: &Listing) -> String {
    let mut out = format!(
        "{} snippets in {}, pin {}\n",
        listing.snippets.len(),
        dir.display(),
        listing.pin.hash
    );
    for s in &listing.snippets {
        out.push_str(&format!("\n{}  {}  {}\n", s.name, s.hash, s.file));
        if let Some(description) = &s.description {
            out.push_str(&format!("  {description}\n"));
        }
        let channels: Vec<&str> = s.channels.iter().map(|c| c.name()).collect();
        out.push_str(&format!("  channels: {}\n", or_any(&channels)));
        out.push_str(&format!("  events: {}\n", or_any(&s.events)));
        let params: Vec<String> = s
            .params
            .iter()
            .map(|p| {
                let mut text = format!("{} ({}", p.name, p.kind.as_str());
                if p.required {
                    text.push_str(", required");
                }
                if let Some(default) = &p.default {
                    text.push_str(&format!(", default {default:?}"));
                }
                text + ")"
            })
            .collect();
        out.push_str(&format!(
            "  params: {}\n",
            if params.is_empty() {
                "none".to_owned()
            } else {
                params.join(", ")
            }
        ));
        if s.used_by.is_empty() {
            out.push_str("  used by: nothing given\n");
        }
        for u in &s.used_by {
            let mut place = u.file.clone();
            if let Some(at) = u.at {
                place.push_str(&format!(":{at}"));
            }
            if let Some(field) = &u.field {
                place.push_str(&format!(" (field {field})"));
            }
            let how = match (u.how, &u.by) {
                (How::Named, _) => "named".to_owned(),
                (How::Fallback, _) => "as the fallback".to_owned(),
                (How::Picked, Some(by)) => format!("picked by `{by}`"),
                (How::Picked, None) => "picked by a name from data".to_owned(),
            };
            out.push_str(&format!("  used by: {place}, {how}\n"));
        }
    }
    out
}

fn or_any(names: &[&str]) -> String {
    if names.is_empty() {
        "any".to_owned()
    } else {
        names.join(", ")
    }
}
