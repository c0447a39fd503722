//! The requests every front end serves, each run one way: the CLI's `render`, `lint`,
//! `preview`, `schema` and `filters`, the preview service's `/v1` API and the stream
//! worker parse their input (arguments and files, an HTTP body, a stream entry) into
//! these calls and print [`to_json`] of what comes back, so that for the same message,
//! record and options they answer byte for byte alike.
//!
//! ```
//! use promo_liquid::requests::{self, RenderOptions, Source};
//!
//! let options = RenderOptions::default();
//! let env = requests::environment(&options);
//! let message = requests::load(Source::Template { name: "t.liquid", text: "+{{ Event.Points }}" }, &env)
//!     .unwrap();
//! let record = r#"{"evtName": "CT Points Credited", "evtData": {"points": 5, "walletId": "w-1",
//!     "campaignId": "c-1", "source": "API", "transactionId": "t-1"}}"#;
//! let outcome = requests::render(&message, record, None, &options);
//! assert_eq!(requests::to_json(&outcome), "{\n  \"outcome\": \"rendered\",\n  \"fields\": {\n    \"text\": \"+5\"\n  },\n  \"warnings\": []\n}\n");
//! ```

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::lint::preview::{self, Preview};
use crate::lint::{self, Diagnostic};
use crate::liquid::Environment;
use crate::message::{Channel, Failure, Message, MessageError, Outcome, Rules};
use crate::promo::record::{Record, RecordError};
use crate::promo::schema::{EventKind, PROPERTIES, Property};
use crate::promo::{self, Settings};
use crate::snippets::Library;

/// How to render: the account's settings, the channel rules and, for previews and
/// tests, the moment `now` stands for.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    /// The time zone, the undefined policy, whether records may lack required
    /// properties.
    pub settings: Settings,
    /// The channel rules rendered messages are held to (SMS segments, push payload).
    pub rules: Rules,
    /// Render as if it were this moment (`now`, `date`, `days_until`); the clock when
    /// `None`.
    pub now: Option<DateTime<FixedOffset>>,
}

/// The environment a request renders with. Add a partial loader to it when the front
/// end has one configured (`--partials`, `--snippets`).
pub fn environment(options: &RenderOptions) -> Environment {
    let mut env = promo::environment(&options.settings);
    if let Some(now) = options.now {
        env.set_now(now);
    }
    env
}

/// What to render: a message file's TOML text or a bare Liquid template, and its name
/// (the file name; it appears in errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source<'a> {
    /// The TOML text of a message file.
    Message {
        /// Its name.
        name: &'a str,
        /// Its text.
        text: &'a str,
    },
    /// A bare Liquid template: one field, `text`, for any event.
    Template {
        /// Its name.
        name: &'a str,
        /// Its source.
        text: &'a str,
    },
}

impl<'a> Source<'a> {
    /// A file as the CLI reads it: a message when its name ends in `.toml`, else a
    /// template.
    pub fn from_file(name: &'a str, text: &'a str) -> Source<'a> {
        if name.ends_with(".toml") {
            Source::Message { name, text }
        } else {
            Source::Template { name, text }
        }
    }
}

/// Compiles a message or template. One that does not load gives every record the
/// outcome [`load_failure`] makes of its error.
pub fn load(source: Source<'_>, env: &Environment) -> Result<Message, MessageError> {
    load_with(source, env, None)
}

/// Compiles a message or template as [`load`] does, its templates rendering the
/// snippets of `snippets` (the front end's `--snippets DIR`, loaded once).
pub fn load_with(
    source: Source<'_>,
    env: &Environment,
    snippets: Option<&Arc<Library>>,
) -> Result<Message, MessageError> {
    match source {
        Source::Message { name, text } => Message::from_toml_with(name, text, env, snippets),
        Source::Template { name, text } => Message::from_template_with(name, text, env, snippets),
    }
}

/// The `failed` outcome of rendering with a message that did not load: its first
/// problem, with its kind (`invalid_message`, or the template's: `syntax`,
/// `unknown_filter`, ...) and its place in the file.
pub fn load_failure(e: &MessageError) -> Outcome {
    Outcome::from(e.failure())
}

/// Renders `message` for the record in `record` (one JSON object, as an input line
/// holds it), held to `options.rules`. A record that does not parse is an
/// `invalid_json` or `invalid_record` outcome, its error prefixed with `record LABEL: `
/// when the front end has a label for it (a file name).
pub fn render(
    message: &Message,
    record: &str,
    label: Option<&str>,
    options: &RenderOptions,
) -> Outcome {
    match Record::parse(record, &options.settings.record_options()) {
        Ok(record) => message.render_with(&record, &options.rules),
        Err(e) => Outcome::from(record_failure(&e, label)),
    }
}

/// A record that could not be read, as a failure, labelled.
fn record_failure(e: &RecordError, label: Option<&str>) -> Failure {
    let mut failure = Failure::from_record_error(e);
    if let Some(label) = label {
        failure.message = format!("record {label}: {}", failure.message);
    }
    failure
}

/// The JSON every front end prints for a result: pretty, with a final newline.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serializing our own types into a String cannot fail: every map key is a string.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The findings of `lint` for some files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LintReport {
    /// Each file's findings, in the order given.
    pub files: Vec<FileReport>,
    /// How many errors, in all files.
    pub errors: usize,
    /// How many warnings, in all files.
    pub warnings: usize,
}

/// The findings of `lint` for one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileReport {
    /// The file's name.
    pub file: String,
    /// Its findings, in the order of their places, at most the cap.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings past the cap, counted but not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub omitted: usize,
    /// Its errors, listed or not.
    pub errors: usize,
    /// Its warnings, listed or not.
    pub warnings: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Lints files: messages, and bare templates for records of `events` (empty: any
/// event); each lists at most [`lint::MAX_FINDINGS`] findings.
pub fn lint(files: &[Source<'_>], events: &[EventKind], env: &Environment) -> LintReport {
    lint_capped(files, events, env, lint::MAX_FINDINGS)
}

/// Lints files as [`lint()`] does, each listing at most `cap` findings (the rest are
/// counted in `omitted`).
pub fn lint_capped(
    files: &[Source<'_>],
    events: &[EventKind],
    env: &Environment,
    cap: usize,
) -> LintReport {
    lint_with(files, events, env, None, cap)
}

/// Lints files as [`lint_capped`] does, and the snippets they name against
/// `snippets`.
pub fn lint_with(
    files: &[Source<'_>],
    events: &[EventKind],
    env: &Environment,
    snippets: Option<&Arc<Library>>,
    cap: usize,
) -> LintReport {
    let files: Vec<FileReport> = files
        .iter()
        .map(|&file| {
            let (name, mut diagnostics) = match file {
                Source::Message { name, text } => {
                    (name, lint::lint_message_with(text, env, snippets))
                }
                Source::Template { name, text } => {
                    (name, lint::lint_template_with(text, events, env, snippets))
                }
            };
            let (errors, warnings) = lint::count(&diagnostics);
            let omitted = diagnostics.len().saturating_sub(cap);
            diagnostics.truncate(cap);
            FileReport {
                file: name.to_owned(),
                diagnostics,
                omitted,
                errors,
                warnings,
            }
        })
        .collect();
    LintReport {
        errors: files.iter().map(|f| f.errors).sum(),
        warnings: files.iter().map(|f| f.warnings).sum(),
        files,
    }
}

/// The problems of a snippet library (`Library::read`) as lint reports, one for each
/// file that has some, in file order.
pub fn lint_library(problems: &[crate::snippets::Problem]) -> Vec<FileReport> {
    let mut files: Vec<FileReport> = Vec::new();
    for p in problems {
        let d = lint::library_problem(p);
        match files.iter_mut().find(|f| f.file == p.file) {
            Some(file) => file.diagnostics.push(d),
            None => files.push(FileReport {
                file: p.file.clone(),
                diagnostics: vec![d],
                omitted: 0,
                errors: 0,
                warnings: 0,
            }),
        }
    }
    for file in &mut files {
        (file.errors, file.warnings) = lint::count(&file.diagnostics);
    }
    files
}

/// A message rendered for samples (or one record), with the channel checks.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PreviewReport {
    /// The message's name.
    pub message: String,
    /// Its channel; `null` for a bare template.
    pub channel: Option<Channel>,
    /// One preview per sample, or the one for the record given.
    pub previews: Vec<Preview>,
}

impl PreviewReport {
    /// Whether a sample failed or a channel check found an error.
    pub fn has_errors(&self) -> bool {
        self.previews.iter().any(Preview::has_errors)
    }
}

/// Previews `message` for one record (`(label, JSON text)`: its error reads `record
/// LABEL: ...`), or when there is none for the schema's samples of its events, dated
/// from `now`, each with its record.
pub fn preview(
    message: &Message,
    record: Option<(&str, &str)>,
    settings: &Settings,
    now: DateTime<FixedOffset>,
) -> PreviewReport {
    let one = |label: String, text: &str, given: bool| match Record::parse(
        text,
        &settings.record_options(),
    ) {
        Ok(record) => preview::preview(message, &record, label),
        Err(e) => Preview {
            outcome: Outcome::from(record_failure(&e, given.then_some(label.as_str()))),
            label,
            checks: None,
            record: None,
        },
    };
    let previews = match record {
        Some((label, text)) => vec![one(label.to_owned(), text, true)],
        None => preview::with_snippets(message, preview::samples(message, now, settings.time_zone))
            .into_iter()
            .map(|sample| {
                let label = sample.label();
                let mut preview = one(label, &sample.record.to_string(), false);
                preview.record = Some(sample.record);
                preview
            })
            .collect(),
    };
    PreviewReport {
        message: message.name.to_string(),
        channel: message.channel,
        previews,
    }
}

/// The preview of a message that does not load: one failed preview, labelled with
/// the message's name.
pub fn preview_failure(source: Source<'_>, failed: Outcome) -> PreviewReport {
    let (Source::Message { name, .. } | Source::Template { name, .. }) = source;
    PreviewReport {
        message: name.to_owned(),
        channel: None,
        previews: vec![Preview {
            label: name.to_owned(),
            outcome: failed,
            checks: None,
            record: None,
        }],
    }
}

/// The event schema, as `promo-liquid schema --format json` prints it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SchemaReport {
    /// The six events.
    pub events: Vec<EventReport>,
    /// Every property, with the events that carry it.
    pub properties: Vec<PropertyReport>,
    /// The channels a message may be for, with their fields.
    pub channels: Vec<ChannelFields>,
}

/// A channel and the fields its messages have.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelFields {
    /// Its name in message files: `push`, `sms`, ...
    pub name: &'static str,
    /// Its fields, in rendering order.
    pub fields: Vec<FieldReport>,
}

/// A field of a channel.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FieldReport {
    /// Its name: `title`, `body`, ...
    pub name: &'static str,
    /// Whether every message of the channel must have it.
    pub required: bool,
}

/// One event of the schema.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventReport {
    /// Its name, as records give it in `evtName`.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// When it is sent.
    pub trigger: &'static str,
    /// The names of its properties.
    pub properties: Vec<&'static str>,
}

/// One property of the schema.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PropertyReport {
    /// The property.
    #[serde(flatten)]
    #[schema(value_type = Property)]
    pub property: &'static Property,
    /// The events that carry it.
    pub events: Vec<&'static str>,
}

/// The event schema.
pub fn schema() -> SchemaReport {
    SchemaReport {
        events: EventKind::ALL
            .iter()
            .map(|e| EventReport {
                name: e.name(),
                description: e.description(),
                trigger: e.trigger(),
                properties: e.properties().iter().map(|p| p.property().name).collect(),
            })
            .collect(),
        properties: PROPERTIES
            .iter()
            .map(|p| PropertyReport {
                property: p,
                events: p.events().iter().map(|e| e.name()).collect(),
            })
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| ChannelFields {
                name: c.name(),
                fields: c
                    .fields()
                    .iter()
                    .map(|f| FieldReport {
                        name: f.name,
                        required: f.required,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A filter templates can use.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FilterReport {
    /// Its name.
    pub name: &'static str,
    /// How it is called: `truncate: length, ellipsis`.
    pub signature: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// A Liquid example and its output.
    pub example: &'static str,
}

/// Every filter of `env`, by name.
pub fn filters(env: &Environment) -> Vec<FilterReport> {
    env.filters()
        .iter()
        .map(|f| FilterReport {
            name: f.name,
            signature: f.signature,
            summary: f.summary,
            example: f.example,
        })
        .collect()
}

/// The schema's event called `name`, or an error that says what came and suggests
/// the event it is a slip of: `"CT Coupon Reward" is not a promo event; did you mean
/// "CT Coupon Rewarded"?`.
pub fn event(name: &str) -> Result<EventKind, String> {
    EventKind::from_name(name).ok_or_else(|| match EventKind::suggest(name) {
        Some(near) => format!(
            "{name:?} is not a promo event; did you mean {:?}?",
            near.name()
        ),
        None => {
            let names: Vec<String> = EventKind::ALL
                .iter()
                .map(|e| format!("{:?}", e.name()))
                .collect();
            format!(
                "{name:?} is not a promo event: expected one of {}",
                names.join(", ")
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::FailureKind;

    #[test]
    fn a_message_that_does_not_compile_is_a_failed_outcome_with_its_place() {
        let env = environment(&RenderOptions::default());
        let text = "event = \"CT Points Credited\"\nchannel = \"sms\"\n[fields]\nbody = \"{{ Event.Points | plus }\"\n";
        let error = load(
            Source::Message {
                name: "m.toml",
                text,
            },
            &env,
        )
        .unwrap_err();
        let json = serde_json::to_value(load_failure(&error)).unwrap();
        assert_eq!(json["outcome"], "failed");
        assert_eq!(json["field"], "body");
        assert!(json["at"]["line"].as_u64().is_some(), "{json}");
        let error = load(
            Source::Message {
                name: "m.toml",
                text: "channel = 1",
            },
            &env,
        )
        .unwrap_err();
        let json = serde_json::to_value(load_failure(&error)).unwrap();
        assert_eq!(json["kind"], "invalid_message");
    }

    #[test]
    fn a_record_that_does_not_parse_is_invalid_record_with_its_label() {
        let options = RenderOptions::default();
        let env = environment(&options);
        let message = load(
            Source::Template {
                name: "t",
                text: "x",
            },
            &env,
        )
        .unwrap();
        let outcome = render(&message, "{\"evtName\": 1}", Some("r.json"), &options);
        let Outcome::Failed(failure) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(failure.kind, FailureKind::InvalidRecord);
        assert!(
            failure.message.starts_with("record r.json: "),
            "{}",
            failure.message
        );
        let outcome = render(&message, "{\"evtName\": ", Some("r.json"), &options);
        assert_eq!(
            outcome.failure().map(|f| f.kind),
            Some(FailureKind::InvalidJson)
        );
    }
}
