//! promo-liquid on the workloads, through its public API only.

use promo_liquid::batch::{Batch, BatchOptions};
use promo_liquid::liquid::{ObjectView, Template, Val, Value};
use promo_liquid::message::{Message, Outcome};
use promo_liquid::promo::record::{Record, RecordOptions};
use promo_liquid::promo::{self, Settings};
use serde_json_borrow::Value as Json;

use super::{Path, Run, WORKLOADS};

/// The globals of a record as a library user renders with them: the line parsed once
/// into a borrowed tree, `EventName`, `Event` and `Profile` read from it in place.
pub struct JsonGlobals<'a> {
    name: Json<'a>,
    event: Json<'a>,
    profile: Json<'a>,
}

impl<'a> JsonGlobals<'a> {
    /// The globals of a record line (panics on a line that is not a JSON object).
    pub fn parse(line: &'a str) -> Self {
        let Json::Object(fields) = serde_json::from_str(line).expect("a JSON record") else {
            panic!("a record is a JSON object");
        };
        let mut globals = JsonGlobals {
            name: Json::Null,
            event: Json::Null,
            profile: Json::Null,
        };
        for (key, value) in fields.into_vec() {
            match &*key {
                "evtName" => globals.name = value,
                "evtData" => globals.event = value,
                "profileData" => globals.profile = value,
                _ => {}
            }
        }
        globals
    }
}

impl ObjectView for JsonGlobals<'_> {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        match key {
            "EventName" => self.name.as_str().map(Val::str),
            "Event" => Some(Val::object(&self.event)),
            "Profile" => Some(Val::object(&self.profile)),
            _ => None,
        }
    }

    fn size(&self) -> usize {
        3
    }

    fn to_value(&self) -> Value {
        let mut map = promo_liquid::liquid::Map::default();
        map.insert("EventName".into(), self.name.to_value());
        map.insert("Event".into(), self.event.to_value());
        map.insert("Profile".into(), self.profile.to_value());
        Value::from(map)
    }
}

/// promo-liquid with the workloads compiled: as bare templates for the render and
/// library paths, as one-field messages for the record and line paths.
pub struct Ours {
    settings: Settings,
    options: RecordOptions,
    templates: Vec<Template>,
    messages: Vec<Message>,
}

impl Ours {
    /// Every workload compiled in the promo environment (UTC).
    pub fn new() -> Self {
        let settings = Settings::default();
        let env = promo::environment(&settings);
        let compile = |w: &super::Workload| {
            env.compile(w.name, w.liquid)
                .unwrap_or_else(|e| panic!("promo-liquid cannot compile {}: {e:#}", w.name))
        };
        let message = |w: &super::Workload| {
            Message::from_template(w.name, w.liquid, &env)
                .unwrap_or_else(|e| panic!("promo-liquid cannot load {}: {e}", w.name))
        };
        Ours {
            options: settings.record_options(),
            templates: WORKLOADS.iter().map(compile).collect(),
            messages: WORKLOADS.iter().map(message).collect(),
            settings,
        }
    }

    /// Renders workload `w` with `globals` into `text` (cleared first); panics on an
    /// error or a warning.
    fn render(&self, w: usize, globals: &dyn ObjectView, text: &mut String) {
        text.clear();
        let report = self.templates[w]
            .render(globals, text)
            .unwrap_or_else(|e| panic!("promo-liquid cannot render {}: {e:#}", WORKLOADS[w].name));
        assert!(report.warnings.is_empty(), "{report:?}");
    }

    /// See [`super::Engines::runner`].
    pub fn runner<'a>(&'a self, path: Path, w: usize, lines: &'a [String]) -> Run<'a> {
        let mut text = String::new();
        match path {
            Path::Render => {
                let globals: Vec<JsonGlobals<'a>> =
                    lines.iter().map(|l| JsonGlobals::parse(l)).collect();
                Box::new(move |i, out| {
                    self.render(w, &globals[i], &mut text);
                    out.extend_from_slice(text.as_bytes());
                })
            }
            Path::Library => Box::new(move |i, out| {
                let globals = JsonGlobals::parse(&lines[i]);
                self.render(w, &globals, &mut text);
                out.extend_from_slice(text.as_bytes());
            }),
            Path::Record => {
                // The last outcome, its buffers reused for the next record, as a
                // sending loop does.
                let mut spare = None;
                Box::new(move |i, out| {
                    let record = Record::parse(&lines[i], &self.options).expect("a valid record");
                    let outcome = self.messages[w].render_reusing(&record, spare.take());
                    let Outcome::Rendered {
                        fields, warnings, ..
                    } = &outcome
                    else {
                        panic!(
                            "promo-liquid did not render {}: {outcome:?}",
                            WORKLOADS[w].name
                        );
                    };
                    assert!(warnings.is_empty(), "{warnings:?}");
                    out.extend_from_slice(fields["text"].as_bytes());
                    spare = Some(outcome);
                })
            }
            Path::Line => {
                // The worker borrows its batch for as long as the runner lives.
                let batch: &'a Batch<'a> = Box::leak(Box::new(Batch::new(
                    &self.messages[w],
                    &self.settings,
                    BatchOptions::default(),
                )));
                let mut worker = batch.worker();
                Box::new(move |i, out| worker.render_line(i as u64 + 1, lines[i].as_bytes(), out))
            }
        }
    }
}
