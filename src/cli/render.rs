//! `promo-liquid render`: one message or template, one record (or plain JSON globals).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::{Exit, caret_only, read_input};
use promo_liquid::liquid::{DirectoryLoader, Environment, UndefinedPolicy};
use promo_liquid::message::Outcome;
use promo_liquid::promo::Settings;
use promo_liquid::requests::{self, RenderOptions, Source};

/// How `render` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Each field's text, labelled.
    Text,
    /// The outcome as a JSON object.
    Json,
}

/// The arguments of `render`.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The message (.toml) or Liquid template to render; `-` reads a template from
    /// standard input.
    template: PathBuf,
    /// A promo event record (a JSON object) to render the message for.
    #[arg(long, conflicts_with = "data")]
    record: Option<PathBuf>,
    /// Plain JSON globals (an object), for Liquid that is not about a promo event.
    #[arg(long)]
    data: Option<PathBuf>,
    /// The directory `include` and `render` read partials from.
    #[arg(long)]
    partials: Option<PathBuf>,
    /// Fail when an undefined value is output without a `default`.
    #[arg(long)]
    strict: bool,
    /// The account's time zone (IANA name); wall-clock dates are read in it.
    #[arg(long, default_value = "UTC", value_parser = super::parse_zone)]
    tz: Tz,
    /// Render as if it were this moment (RFC 3339, e.g. 2026-10-30T09:00:00+05:30):
    /// what `now`, `date` and `days_until` see. For previews and tests.
    #[arg(long, value_parser = super::parse_now)]
    now: Option<DateTime<FixedOffset>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The wall-clock time the render may take, in milliseconds (0 for none).
    #[arg(long, value_name = "MS", default_value = "250", value_parser = super::parse_deadline)]
    deadline: super::Deadline,
}

/// Runs `render`.
pub fn run(args: RenderArgs) -> Result<Exit> {
    let settings = Settings {
        time_zone: args.tz,
        strict: args.strict,
        deadline: args.deadline.0,
    };
    let options = RenderOptions {
        settings,
        now: args.now,
    };
    let mut env = requests::environment(&options);
    if let Some(dir) = &args.partials {
        env.set_loader(DirectoryLoader::new(dir));
    }
    let source = read_input(&args.template)?;
    let name = if args.template == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        args.template.display().to_string()
    };
    match &args.record {
        Some(record) => render_record(&args, &env, &options, &name, &source, record),
        None => render_plain(&args, env, &name, &source),
    }
}

fn render_record(
    args: &RenderArgs,
    env: &Environment,
    options: &RenderOptions,
    name: &str,
    source: &str,
    record_path: &Path,
) -> Result<Exit> {
    let source = Source::from_file(name, source);
    let is_message = matches!(source, Source::Message { .. });
    let message = match requests::load(source, env) {
        Ok(message) => message,
        Err(e) if args.format == Format::Json => {
            print_outcome(&requests::load_failure(&e), args.format, is_message)?;
            return Ok(Exit::Failed);
        }
        Err(e) => {
            match e.liquid() {
                Some(liquid) => eprintln!("error: {e}\n{}", caret_only(liquid)),
                None => eprintln!("error: {e}"),
            }
            return Ok(Exit::Failed);
        }
    };
    let text = read_input(record_path)?;
    let label = record_path.display().to_string();
    let outcome = requests::render(&message, &text, Some(&label), options);
    print_outcome(&outcome, args.format, is_message)?;
    Ok(match outcome {
        Outcome::Rendered { .. } => Exit::Ok,
        Outcome::Aborted { .. } => Exit::Aborted,
        Outcome::Failed { .. } => Exit::Failed,
    })
}

fn print_outcome(outcome: &Outcome, format: Format, labelled: bool) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match (format, outcome) {
        (Format::Json, _) => stdout.write_all(requests::to_json(outcome).as_bytes())?,
        (Format::Text, Outcome::Rendered { fields, warnings }) => {
            for w in warnings {
                eprintln!(
                    "warning: field {}: `{}` is undefined at {}",
                    w.field, w.path, w.at
                );
            }
            for (name, text) in fields {
                if !labelled {
                    write!(stdout, "{text}")?;
                } else if text.contains('\n') {
                    writeln!(stdout, "{name}: |")?;
                    for line in text.lines() {
                        writeln!(stdout, "  {line}")?;
                    }
                } else {
                    writeln!(stdout, "{name}: {text}")?;
                }
            }
        }
        (Format::Text, Outcome::Aborted { reason, field, at }) => {
            let reason = reason.as_deref().unwrap_or("no reason given");
            eprintln!("aborted: {reason} (field {field}, {at})");
        }
        (
            Format::Text,
            Outcome::Failed {
                kind,
                message,
                field,
                at,
            },
        ) => {
            let place = match (field, at) {
                (Some(f), Some(at)) => format!(" (field {f}, {at})"),
                (Some(f), None) => format!(" (field {f})"),
                _ => String::new(),
            };
            eprintln!("error[{kind}]: {message}{place}");
        }
    }
    stdout.flush().context("cannot write to standard output")
}

fn render_plain(args: &RenderArgs, mut env: Environment, name: &str, source: &str) -> Result<Exit> {
    let globals: serde_json::Value = match &args.data {
        Some(path) => {
            let text = read_input(path)?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?
        }
        None => serde_json::json!({}),
    };
    if !globals.is_object() {
        anyhow::bail!("the data must be a JSON object");
    }
    if args.strict {
        env.set_undefined(UndefinedPolicy::Strict);
    }
    let result = env
        .compile(name, source)
        .and_then(|t| t.render_to_string(&globals));
    match result {
        Ok((text, report)) => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            if let Some(abort) = report.aborted {
                let reason = abort.reason.as_deref().unwrap_or("no reason given");
                eprintln!("aborted: {reason} ({}:{})", abort.template, abort.at);
                return Ok(Exit::Aborted);
            }
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush().context("cannot write to standard output")?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(Exit::Failed)
        }
    }
}
