//! minijinja 2 on the workloads (the Jinja templates of [`super::WORKLOADS`]), used its
//! fastest way: templates compiled once, a record's globals built straight from the
//! borrowed JSON tree, `render_captured_to` into a reused buffer.

use std::borrow::Cow;

use indexmap::IndexMap;
use minijinja::Value;
use serde_json_borrow::Value as Json;

use super::liquid_crate::{identity_of, write_line};
use super::{Path, Run, WORKLOADS, baseline_date, canonical};

/// minijinja with every workload compiled.
pub struct Jinja {
    templates: Vec<minijinja::Template<'static, 'static>>,
}

impl Jinja {
    /// Every workload compiled, with [`baseline_date`] as `date`.
    pub fn new() -> Self {
        let mut env = environment();
        for w in WORKLOADS {
            env.add_template(w.name, w.jinja)
                .unwrap_or_else(|e| panic!("minijinja cannot compile {}: {e:#}", w.name));
        }
        // Templates borrow their environment; the environment lives as long as the bench.
        let env: &'static minijinja::Environment<'static> = Box::leak(Box::new(env));
        let templates = WORKLOADS
            .iter()
            .map(|w| env.get_template(w.name).expect("added above"))
            .collect();
        Jinja { templates }
    }

    fn render(&self, w: usize, globals: &Value, out: &mut Vec<u8>) {
        self.templates[w]
            .render_captured_to(globals, out)
            .unwrap_or_else(|e| panic!("minijinja cannot render {}: {e:#}", WORKLOADS[w].name));
    }

    /// See [`super::Engines::runner`].
    pub fn runner<'a>(&'a self, path: Path, w: usize, lines: &'a [String]) -> Run<'a> {
        let mut text = Vec::new();
        match path {
            Path::Render => {
                let globals: Vec<Value> = lines.iter().map(|l| globals(l, false).1).collect();
                Box::new(move |i, out| {
                    text.clear();
                    self.render(w, &globals[i], &mut text);
                    out.extend_from_slice(&text);
                })
            }
            Path::Library | Path::Record => {
                let normalize = path == Path::Record;
                Box::new(move |i, out| {
                    text.clear();
                    self.render(w, &globals(&lines[i], normalize).1, &mut text);
                    out.extend_from_slice(&text);
                })
            }
            Path::Line => {
                let mut fields = IndexMap::from([("text", String::new())]);
                Box::new(move |i, out| {
                    let (identity, globals) = globals(&lines[i], true);
                    text.clear();
                    self.render(w, &globals, &mut text);
                    let field = &mut fields["text"];
                    field.clear();
                    field.push_str(std::str::from_utf8(&text).expect("UTF-8"));
                    fields = write_line(i, identity, std::mem::take(&mut fields), out);
                })
            }
        }
    }
}

/// An environment with [`baseline_date`] as `date` and minijinja-contrib's `truncate`.
pub fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_filter("date", |value: Value, format: &str| -> Value {
        let text = match value.as_str() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(value.to_string()),
        };
        baseline_date::format(&text, format).map_or(value.clone(), Value::from)
    });
    // Jinja's `truncate` is not in minijinja's core.
    env.add_filter("truncate", minijinja_contrib::filters::truncate);
    env
}

/// A record line's identity and globals (`EventName`, `Event`, `Profile`), built from
/// a borrowed parse; with `normalize`, the event's properties under their canonical
/// names.
pub fn globals(line: &str, normalize: bool) -> (Option<Cow<'_, str>>, Value) {
    let json: Json<'_> = serde_json::from_str(line).expect("a JSON record");
    let mut globals = Vec::with_capacity(3);
    let mut identity = None;
    for (key, value) in json.as_object().expect("a record object").iter() {
        match key {
            "identity" => identity = identity_of(value),
            "evtName" => globals.push(("EventName", to_jinja(value))),
            "evtData" => {
                let event = match value.as_object() {
                    Some(props) if normalize => {
                        Value::from_iter(props.iter().map(|(k, v)| (canonical(k), to_jinja(v))))
                    }
                    _ => to_jinja(value),
                };
                globals.push(("Event", event));
            }
            "profileData" => globals.push(("Profile", to_jinja(value))),
            _ => {}
        }
    }
    (identity, Value::from_iter(globals))
}

fn to_jinja(json: &Json<'_>) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::Str(s) => Value::from(&**s),
        Json::Array(items) => Value::from(items.iter().map(to_jinja).collect::<Vec<_>>()),
        Json::Object(map) => Value::from_iter(map.iter().map(|(k, v)| (k, to_jinja(v)))),
    }
}
