//! `promo-liquid preview`: a message rendered for sample records of its events (or
//! for one given record), each field shown with the channel checks.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::{Exit, read_input};
use promo_liquid::message::channel::ChannelReport;
use promo_liquid::message::{Message, Outcome};
use promo_liquid::promo::Settings;
use promo_liquid::requests::{self, PreviewReport, RenderOptions, Source};

/// How `preview` prints the previews.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Each sample's fields, checks and warnings.
    Text,
    /// One JSON object: `{"message", "channel", "previews": [...]}`.
    Json,
}

/// The arguments of `preview`.
#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// The message (.toml) or bare Liquid template to preview.
    message: PathBuf,
    /// Render for this record (a JSON object) instead of the schema's samples.
    #[arg(long)]
    record: Option<PathBuf>,
    /// For a bare template: the event to make samples of (default: all six).
    #[arg(long, value_name = "NAME")]
    event: Option<String>,
    /// The account's time zone (IANA name).
    #[arg(long, default_value = "UTC", value_parser = super::parse_zone)]
    tz: Tz,
    /// Preview as if it were this moment (RFC 3339); sample dates are a week later.
    #[arg(long, value_parser = super::parse_now)]
    now: Option<DateTime<FixedOffset>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The snippet library the message's `render` and `snippet` tags name (default:
    /// the `snippets/` directory beside the message). A name from the record is
    /// previewed with each snippet it can pick.
    #[arg(long, value_name = "DIR")]
    snippets: Option<PathBuf>,
}

/// Runs `preview`.
pub fn run(args: PreviewArgs) -> Result<Exit> {
    let settings = Settings {
        time_zone: args.tz,
        ..Settings::default()
    };
    let now = args
        .now
        .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let env = requests::environment(&RenderOptions {
        settings,
        now: Some(now),
        ..RenderOptions::default()
    });
    let snippets = super::snippets_for(args.snippets.as_deref(), &args.message, &env)?;
    let name = args.message.display().to_string();
    let source = read_input(&args.message)?;
    let source = Source::from_file(&name, &source);
    let mut message = match requests::load_with(source, &env, snippets.as_ref()) {
        Ok(message) => message,
        Err(e) if args.format == Format::Json => {
            let report = requests::preview_failure(source, requests::load_failure(&e));
            let mut out = std::io::stdout().lock();
            out.write_all(requests::to_json(&report).as_bytes())?;
            out.flush().context("cannot write to standard output")?;
            return Ok(Exit::Failed);
        }
        Err(e) => {
            eprint!("{}", e.report());
            return Ok(Exit::Failed);
        }
    };
    if let Some(event) = &args.event {
        let kind = requests::event(event).map_err(|e| anyhow::anyhow!("--event: {e}"))?;
        if message.events.is_empty() {
            message.events = vec![kind];
        }
    }
    let record = match &args.record {
        Some(path) => Some((path.display().to_string(), read_input(path)?)),
        None => None,
    };
    let record = record.as_ref().map(|(label, text)| (&**label, &**text));
    let report = requests::preview(&message, record, &settings, now);
    print(&message, &report, args.format)?;
    Ok(if report.has_errors() {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

fn print(message: &Message, report: &PreviewReport, format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => out.write_all(requests::to_json(report).as_bytes())?,
        Format::Text => {
            for (i, p) in report.previews.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "== {}", p.label)?;
                print_outcome(&mut out, message, &p.outcome)?;
                if let Some(checks) = &p.checks {
                    print_checks(&mut out, checks)?;
                }
            }
        }
    }
    out.flush().context("cannot write to standard output")
}

fn print_outcome(out: &mut impl Write, message: &Message, outcome: &Outcome) -> Result<()> {
    match outcome {
        Outcome::Rendered {
            fields,
            warnings,
            snippets,
            ..
        } => {
            for (name, text) in fields {
                if text.contains('\n') {
                    writeln!(out, "{name}: |")?;
                    for line in text.lines() {
                        writeln!(out, "  {line}")?;
                    }
                } else {
                    writeln!(out, "{name}: {text}")?;
                }
            }
            if !snippets.is_empty() {
                let used: Vec<String> = snippets.iter().map(|(n, h)| format!("{n} {h}")).collect();
                writeln!(out, "snippets: {}", used.join(", "))?;
            }
            for w in warnings {
                writeln!(out, "{}", super::render::warning_line(&message.name, w))?;
            }
        }
        Outcome::Aborted {
            reason,
            field,
            at,
            field_at,
        } => {
            let reason = reason.as_deref().unwrap_or("no reason given");
            writeln!(
                out,
                "aborted: {reason} at {}:{at} (field {field}, {field_at})",
                message.name
            )?;
        }
        Outcome::Failed(failure) => write!(out, "{}", message.report(failure))?,
    }
    Ok(())
}

fn print_checks(out: &mut impl Write, checks: &ChannelReport) -> Result<()> {
    if let Some(push) = &checks.push {
        writeln!(
            out,
            "push: APNs payload {} bytes, FCM payload {} bytes (at most {}); title {} characters, body {}",
            push.apns.len(),
            push.fcm.len(),
            promo_liquid::message::channel::PUSH_PAYLOAD_LIMIT,
            push.title_chars,
            push.body_chars
        )?;
    }
    if let Some(sms) = &checks.sms {
        writeln!(out, "sms: {sms}")?;
    }
    for f in &checks.findings {
        writeln!(out, "{}[{}]: {}", f.severity, f.code, f.message)?;
    }
    Ok(())
}
