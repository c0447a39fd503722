//! `promo-liquid preview`: a message rendered for sample records of its events (or
//! for one given record), each field shown with the channel checks.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};

use super::{Exit, read_input};
use promo_liquid::lint::preview::{self, Preview};
use promo_liquid::message::channel::ChannelReport;
use promo_liquid::message::{Failure, Message, Outcome};
use promo_liquid::promo::{self, Settings, record::Record, schema::EventKind};

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
    let mut env = promo::environment(&settings);
    env.set_now(now);
    let name = args.message.display().to_string();
    let source = read_input(&args.message)?;
    let mut message = match Message::load(&name, &source, &env) {
        Ok(message) => message,
        Err(e) => {
            eprint!("{}", e.report());
            return Ok(Exit::Failed);
        }
    };
    if let Some(event) = &args.event {
        let kind = EventKind::from_name(event).with_context(|| super::not_an_event(event))?;
        if message.events.is_empty() {
            message.events = vec![kind];
        }
    }
    let previews = match &args.record {
        Some(path) => vec![preview_record(&message, &settings, path)?],
        None => preview::samples(&message, now, args.tz)
            .into_iter()
            .map(|sample| {
                let line = sample.record.to_string();
                let label = format!("{}: {}", sample.event.name(), sample.kind.label());
                match Record::parse(&line, &settings.record_options()) {
                    Ok(record) => preview::preview(&message, &record, label),
                    Err(e) => Preview {
                        label,
                        outcome: Outcome::from(Failure::from_record_error(&e)),
                        checks: None,
                    },
                }
            })
            .collect(),
    };
    print(&message, &previews, args.format)?;
    Ok(if previews.iter().any(Preview::has_errors) {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

fn preview_record(message: &Message, settings: &Settings, path: &Path) -> Result<Preview> {
    let text = read_input(path)?;
    let label = path.display().to_string();
    Ok(match Record::parse(&text, &settings.record_options()) {
        Ok(record) => preview::preview(message, &record, label),
        Err(e) => {
            let mut failure = Failure::from_record_error(&e);
            failure.message = format!("record {label}: {}", failure.message);
            Preview {
                outcome: Outcome::from(failure),
                label,
                checks: None,
            }
        }
    })
}

fn print(message: &Message, previews: &[Preview], format: Format) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let all = serde_json::json!({
                "message": &*message.name,
                "channel": message.channel,
                "previews": previews,
            });
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        Format::Text => {
            for (i, p) in previews.iter().enumerate() {
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
            fields, warnings, ..
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
