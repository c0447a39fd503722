//! The `promo-liquid` command line.
//!
//! Exit codes: 0 rendered, 1 the template failed (to compile or render), 2 a usage or
//! I/O problem, 3 the template aborted.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use promo_liquid::liquid::{DirectoryLoader, Environment, UndefinedPolicy};

#[derive(Parser)]
#[command(
    name = "promo-liquid",
    version,
    about = "Render Liquid campaign messages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a Liquid template against JSON globals.
    Render {
        /// The template file (`-` reads it from standard input).
        template: PathBuf,
        /// A JSON file holding the globals (an object).
        #[arg(long)]
        data: Option<PathBuf>,
        /// The directory `include` and `render` read partials from.
        #[arg(long)]
        partials: Option<PathBuf>,
        /// Fail when an undefined variable is output without a `default`.
        #[arg(long)]
        strict: bool,
    },
}

/// How a command ended, when it did not fail with a usage or I/O error.
enum Outcome {
    Rendered,
    Failed,
    Aborted,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Rendered) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Aborted) => ExitCode::from(3),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Render {
            template,
            data,
            partials,
            strict,
        } => render(&template, data.as_deref(), partials, strict),
    }
}

fn read_source(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut source = String::new();
        std::io::stdin()
            .read_to_string(&mut source)
            .context("cannot read the template from standard input")?;
        return Ok(source);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn render(
    template: &Path,
    data: Option<&Path>,
    partials: Option<PathBuf>,
    strict: bool,
) -> Result<Outcome> {
    let source = read_source(template)?;
    let globals: serde_json::Value = match data {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?
        }
        None => serde_json::json!({}),
    };
    if !globals.is_object() {
        anyhow::bail!(
            "the data must be a JSON object, found {}",
            json_type(&globals)
        );
    }
    let mut env = Environment::new();
    if strict {
        env.set_undefined(UndefinedPolicy::Strict);
    }
    if let Some(dir) = partials {
        env.set_loader(DirectoryLoader::new(dir));
    }
    let name = if template == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        template.display().to_string()
    };
    let result = env
        .compile(&name, &source)
        .and_then(|t| t.render_to_string(&globals));
    match result {
        Ok((text, report)) => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            if let Some(abort) = report.aborted {
                let reason = abort.reason.as_deref().unwrap_or("no reason given");
                eprintln!("aborted at {}:{}: {reason}", abort.template, abort.at);
                return Ok(Outcome::Aborted);
            }
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .context("cannot write to standard output")?;
            stdout.flush().context("cannot write to standard output")?;
            Ok(Outcome::Rendered)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(Outcome::Failed)
        }
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
