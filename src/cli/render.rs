//! `promo-liquid render`: one message or template, one record (or plain JSON globals).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::{Exit, read_input};
use promo_liquid::liquid::{
    DirectoryLoader, Environment, Error as LiquidError, Report, UndefinedPolicy,
};
use promo_liquid::message::channel::DEFAULT_MAX_SMS_SEGMENTS;
use promo_liquid::message::{Failure, FailureKind, Message, Outcome, Rules, Warning};
use promo_liquid::promo::Settings;
use promo_liquid::requests::{self, RenderOptions, Source};
use promo_liquid::snippets::Library;

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
    #[arg(long, conflicts_with = "snippets")]
    partials: Option<PathBuf>,
    /// The snippet library: a directory of NAME.liquid snippets (and NAME.toml
    /// sidecars) that `render` and `snippet` tags name. Default: the `snippets/`
    /// directory beside the message, when there is one.
    #[arg(long, value_name = "DIR")]
    snippets: Option<PathBuf>,
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
    /// The most segments an SMS may take; a longer one fails with `too_many_segments`.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SMS_SEGMENTS as u16, value_parser = clap::value_parser!(u16).range(1..))]
    max_segments: u16,
    /// Accept a record that lacks properties its event requires (a partial feed).
    #[arg(long)]
    allow_missing: bool,
    /// The wall-clock time the render may take, in milliseconds (0 for none).
    #[arg(long, value_name = "MS", default_value = "250", value_parser = super::parse_deadline)]
    deadline: super::Deadline,
}

/// Runs `render`.
pub fn run(args: RenderArgs) -> Result<Exit> {
    let options = RenderOptions {
        settings: Settings {
            time_zone: args.tz,
            strict: args.strict,
            allow_missing: args.allow_missing,
            deadline: args.deadline.0,
        },
        rules: Rules {
            max_sms_segments: usize::from(args.max_segments),
            ..Rules::default()
        },
        now: args.now,
    };
    let mut env = requests::environment(&options);
    if let Some(dir) = &args.partials {
        env.set_loader(DirectoryLoader::new(dir));
    }
    // `--partials` names the loader itself: no library is looked for beside the template.
    let snippets = match &args.partials {
        Some(_) => None,
        None => super::snippets_for(args.snippets.as_deref(), &args.template, &env)?,
    };
    let name = if args.template == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        args.template.display().to_string()
    };
    if name.ends_with(".toml") && args.record.is_none() {
        anyhow::bail!(
            "{name} is a message: it renders for one promo event record; add `--record RECORD.json` \
             (the bundled samples are in templates/records/)"
        );
    }
    let source = read_input(&args.template)?;
    match &args.record {
        Some(record) => {
            let loaded = (&env, snippets.as_ref());
            render_record(&args, loaded, &options, &name, &source, record)
        }
        None => {
            let env = match &snippets {
                Some(library) => library.environment(&env, None, &[]),
                None => env,
            };
            render_plain(&args, env, &name, &source)
        }
    }
}

fn render_record(
    args: &RenderArgs,
    (env, snippets): (&Environment, Option<&Arc<Library>>),
    options: &RenderOptions,
    name: &str,
    source: &str,
    record_path: &Path,
) -> Result<Exit> {
    let message = match requests::load_with(Source::from_file(name, source), env, snippets) {
        Ok(message) => message,
        Err(e) => {
            match args.format {
                Format::Json => print_json(&requests::load_failure(&e))?,
                Format::Text => eprint!("{}", e.report()),
            }
            return Ok(Exit::Failed);
        }
    };
    let text = read_input(record_path)?;
    let label = record_path.display().to_string();
    let outcome = requests::render(&message, &text, Some(&label), options);
    if let Some(note) = super::pin_note(&message) {
        eprintln!("{note}");
    }
    match args.format {
        Format::Json => print_json(&outcome)?,
        Format::Text => print_text(&message, &outcome)?,
    }
    Ok(match outcome {
        Outcome::Rendered { .. } => Exit::Ok,
        Outcome::Aborted { .. } => Exit::Aborted,
        Outcome::Failed(_) => Exit::Failed,
    })
}

fn print_json(outcome: &Outcome) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(requests::to_json(outcome).as_bytes())?;
    stdout.flush().context("cannot write to standard output")
}

/// The fields on standard output; warnings, the SMS line, an abort or a failure on
/// standard error, each placed in the message file.
fn print_text(message: &Message, outcome: &Outcome) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let labelled = message.channel.is_some();
    match outcome {
        Outcome::Rendered {
            fields,
            warnings,
            sms,
            snippets,
        } => {
            for w in warnings {
                eprintln!("{}", warning_line(&message.name, w));
            }
            if let Some(sms) = sms {
                eprintln!("note: sms: {sms}");
            }
            if !snippets.is_empty() {
                let used: Vec<String> = snippets.iter().map(|(n, h)| format!("{n} {h}")).collect();
                eprintln!("note: rendered with snippets {}", used.join(", "));
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
        Outcome::Aborted {
            reason,
            field,
            at,
            field_at,
        } => {
            let reason = reason.as_deref().unwrap_or("no reason given");
            eprintln!(
                "aborted: {reason} at {}:{at} (field {field}, {field_at})",
                message.name
            );
        }
        Outcome::Failed(failure) => eprint!("{}", message.report(failure)),
    }
    stdout.flush().context("cannot write to standard output")
}

/// One warning for people, placed in the message file.
pub(super) fn warning_line(file: &str, w: &Warning) -> String {
    match w {
        Warning::UndefinedVariable {
            field,
            path,
            at,
            field_at,
            file: None,
        } => format!(
            "warning[undefined_variable]: `{path}` is undefined and rendered as nothing at {file}:{at} (field {field}, {field_at})"
        ),
        Warning::UndefinedVariable {
            field,
            path,
            at,
            file: Some(partial),
            ..
        } => format!(
            "warning[undefined_variable]: `{path}` is undefined and rendered as nothing at {partial}:{at} (field {field})"
        ),
        other => format!("warning[unknown_property]: {other}"),
    }
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
    let result = match env.compile(name, source) {
        Ok(template) => template.render_to_string(&globals),
        Err(_) if args.format == Format::Text => {
            // Every compile error, the parser going on after each.
            for e in env.errors(name, source) {
                eprintln!("{e:#}\n");
            }
            return Ok(Exit::Failed);
        }
        Err(e) => Err(e),
    };
    if args.format == Format::Json {
        let outcome = plain_outcome(result);
        print_json(&outcome)?;
        return Ok(match outcome {
            Outcome::Rendered { .. } => Exit::Ok,
            Outcome::Aborted { .. } => Exit::Aborted,
            Outcome::Failed(_) => Exit::Failed,
        });
    }
    match result {
        Ok((text, report)) => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            if let Some(abort) = report.aborted {
                let reason = abort.reason.as_deref().unwrap_or("no reason given");
                eprintln!("aborted: {reason} at {}:{}", abort.template, abort.at);
                return Ok(Exit::Aborted);
            }
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush().context("cannot write to standard output")?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("{e:#}");
            Ok(Exit::Failed)
        }
    }
}

/// The outcome of a template rendered against plain globals, as `--format json` prints
/// it: its one field is `text`, and its places are in the template.
fn plain_outcome(result: Result<(String, Report), LiquidError>) -> Outcome {
    match result {
        Ok((text, report)) => match report.aborted {
            Some(abort) => Outcome::Aborted {
                reason: abort.reason,
                field: "text",
                at: abort.at,
                field_at: abort.at,
            },
            None => Outcome::Rendered {
                fields: [("text", text)].into_iter().collect(),
                warnings: report
                    .warnings
                    .into_iter()
                    .map(|w| Warning::UndefinedVariable {
                        field: "text",
                        path: w.path,
                        at: w.at,
                        field_at: w.at,
                        file: None,
                    })
                    .collect(),
                sms: None,
                snippets: Default::default(),
            },
        },
        Err(e) => Outcome::from(Failure {
            help: e.help().map(str::to_owned),
            field: Some("text".into()),
            at: e.line_col(),
            field_at: e.line_col(),
            ..Failure::new(FailureKind::from(e.kind()), e.message())
        }),
    }
}
