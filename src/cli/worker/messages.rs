//! The message(s) a worker renders, and the render of one stream entry: which message
//! it gets, then the library's batch line path ([`promo_liquid::batch::Worker`]), so an
//! entry's outcome is byte for byte the outcome `batch` gives for the same record, with
//! `"id"` where `batch` has `"line"`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use promo_liquid::batch::{Batch, BatchOptions, LineOutcome, Tally, Worker};
use promo_liquid::message::{FailureKind, Message, Outcome};
use promo_liquid::promo::schema::EventKind;
use promo_liquid::promo::{self, Settings};
use serde::Deserialize;

use super::stream::Entry;

/// How an entry's message is chosen.
#[derive(Debug)]
enum Choice {
    /// One message for every entry.
    One,
    /// The message for the record's event (a directory with one message per event).
    ByEvent(HashMap<EventKind, usize>),
    /// The message the entry's field names (its file name, with or without `.toml`).
    ByField {
        field: String,
        names: HashMap<String, usize>,
    },
}

/// The compiled messages and how an entry picks one.
#[derive(Debug)]
pub struct Messages {
    messages: Vec<Message>,
    choice: Choice,
    settings: Settings,
    options: BatchOptions,
    /// Where the messages came from, for error messages.
    origin: String,
}

/// How the messages are loaded and rendered.
pub struct Load<'a> {
    /// A message file, a bare template, or a directory of messages.
    pub path: &'a Path,
    /// The entry field that names each entry's message (`--message-field`).
    pub message_field: Option<&'a str>,
    /// How records are read and rendered.
    pub settings: Settings,
    /// The batch path's options (`--max-line-bytes`).
    pub options: BatchOptions,
    /// The environment the messages compile in.
    pub env: promo_liquid::Environment,
    /// The snippet library the messages render snippets from (`--snippets`).
    pub snippets: Option<std::sync::Arc<promo_liquid::snippets::Library>>,
    /// The most segments an SMS may take (`--max-segments`).
    pub max_segments: usize,
}

impl Messages {
    /// Loads one message (a `.toml` file or a bare template) or every `*.toml` message of
    /// a directory.
    pub fn load(load: Load<'_>) -> Result<Messages> {
        let origin = load.path.display().to_string();
        let files = if load.path.is_dir() {
            toml_files(load.path)?
        } else {
            vec![load.path.to_owned()]
        };
        let messages = files
            .iter()
            .map(|file| load_message(file, &load, load.max_segments))
            .collect::<Result<Vec<_>>>()?;
        let choice = match (load.message_field, load.path.is_dir()) {
            (None, false) => Choice::One,
            (Some(field), _) => Choice::ByField {
                field: field.to_owned(),
                names: by_name(&files),
            },
            (None, true) => Choice::ByEvent(by_event(&files, &messages)?),
        };
        Ok(Messages {
            messages,
            choice,
            settings: load.settings,
            options: load.options,
            origin,
        })
    }

    /// One [`Batch`] per message, in the order of `self.messages`.
    pub fn batches(&self) -> Vec<Batch<'_>> {
        self.messages
            .iter()
            .map(|m| Batch::new(m, &self.settings, self.options))
            .collect()
    }

    /// Renders one entry with `workers` (one per message, from [`Messages::batches`]),
    /// appending its outcome line (JSON and a newline) to `out`.
    pub fn render(
        &self,
        workers: &mut [Worker<'_, '_>],
        entry: &Entry,
        out: &mut Vec<u8>,
    ) -> Tally {
        let Some(record) = entry.field(b"record") else {
            return self.failed(&entry.id, FailureKind::InvalidEntry, no_record(entry), out);
        };
        let which = match &self.choice {
            Choice::One => 0,
            Choice::ByEvent(events) => match event_of(record) {
                Some(event) => match events.get(&event) {
                    Some(&which) => which,
                    None => {
                        let why =
                            format!("no message in {} is for {:?}", self.origin, event.name());
                        return self.failed(&entry.id, FailureKind::WrongEvent, why, out);
                    }
                },
                // Not JSON, no event, an unknown event: any message's batch path says
                // what is wrong with the record, as `batch` would.
                None => 0,
            },
            Choice::ByField { field, names } => {
                let Some(name) = entry.field(field.as_bytes()) else {
                    let why = format!("the entry has no {field:?} field naming its message");
                    return self.failed(&entry.id, FailureKind::InvalidEntry, why, out);
                };
                let name = String::from_utf8_lossy(name);
                match names.get(name.strip_suffix(".toml").unwrap_or(&name)) {
                    Some(&which) => which,
                    None => {
                        let why = format!(
                            "the entry names message {name:?}, which is not in {}",
                            self.origin
                        );
                        return self.failed(&entry.id, FailureKind::InvalidEntry, why, out);
                    }
                }
            }
        };
        workers[which].render_entry(&entry.id, record, out)
    }

    fn failed(&self, id: &str, kind: FailureKind, message: String, out: &mut Vec<u8>) -> Tally {
        let outcome = LineOutcome {
            line: 0,
            identity: None,
            outcome: Outcome::failed(kind, message),
        };
        outcome.write_json_with_id(id, out);
        Tally::Failed
    }
}

fn no_record(entry: &Entry) -> String {
    let names: Vec<String> = entry
        .fields()
        .map(|(name, _)| format!("{:?}", String::from_utf8_lossy(name)))
        .collect();
    match names.as_slice() {
        [] => "the entry has no \"record\" field (it has no fields)".to_owned(),
        _ => format!(
            "the entry has no \"record\" field (its fields: {})",
            names.join(", ")
        ),
    }
}

/// The event a record names, read without building the record; `None` when it is not
/// JSON or names no known event.
fn event_of(record: &[u8]) -> Option<EventKind> {
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(rename = "evtName", borrow)]
        event: Option<std::borrow::Cow<'a, str>>,
    }
    let peek: Peek<'_> = serde_json::from_slice(record).ok()?;
    EventKind::from_name(peek.event?.as_ref())
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{} holds no message (*.toml)", dir.display());
    }
    Ok(files)
}

/// Loads a message as `batch` does: every problem of the message, placed in its file.
fn load_message(path: &Path, load: &Load<'_>, max_segments: usize) -> Result<Message> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    let mut message = Message::load_with(&name, &source, &load.env, load.snippets.as_ref())
        .map_err(|e| anyhow::Error::from(crate::cli::Reported(e.report())))?;
    if let Some(note) = crate::cli::pin_note(&message) {
        eprintln!("{note} for {name}");
    }
    message.rules.max_sms_segments = max_segments;
    Ok(message)
}

/// Message names: the file name without `.toml`.
fn by_name(files: &[PathBuf]) -> HashMap<String, usize> {
    files
        .iter()
        .enumerate()
        .filter_map(|(i, file)| {
            let name = file.file_name()?.to_str()?;
            Some((name.strip_suffix(".toml").unwrap_or(name).to_owned(), i))
        })
        .collect()
}

/// Each event's one message; two messages for one event is an error, since the worker
/// could not tell which to send.
fn by_event(files: &[PathBuf], messages: &[Message]) -> Result<HashMap<EventKind, usize>> {
    let mut events = HashMap::new();
    for (i, message) in messages.iter().enumerate() {
        for &event in &message.events {
            if let Some(other) = events.insert(event, i) {
                bail!(
                    "{} and {} are both for {:?}: keep one message per event in the directory, \
                     or name each entry's message with --message-field",
                    files[other].display(),
                    files[i].display(),
                    event.name()
                );
            }
        }
    }
    Ok(events)
}

/// The environment the messages compile in, as `batch` builds it.
pub fn environment(
    settings: &Settings,
    now: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> promo_liquid::Environment {
    let mut env = promo::environment(settings);
    if let Some(now) = now {
        env.set_now(now);
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_is_read_without_building_the_record() {
        let record =
            br#"{"identity":"u-1","evtName":"CT Points Debited","evtData":{"points":"ten"}}"#;
        assert_eq!(event_of(record), Some(EventKind::PointsDebited));
        assert_eq!(event_of(br#"{"evtName":"CT Nothing"}"#), None);
        assert_eq!(event_of(br#"{"identity":"u-1"}"#), None);
        assert_eq!(event_of(b"not json"), None);
    }

    #[test]
    fn an_entry_without_a_record_names_the_fields_it_has() {
        let entry = Entry {
            id: "1-0".to_owned(),
            fields: Some(vec![(b"payload".to_vec(), b"{}".to_vec())]),
        };
        assert_eq!(
            no_record(&entry),
            "the entry has no \"record\" field (its fields: \"payload\")"
        );
    }
}
