//! The `liquid` crate (0.26) on the workloads, used its fastest way: templates parsed
//! once, a record's globals built straight from the borrowed JSON tree (no second
//! tree, no serde round trip), `render_to` into a reused buffer.

use std::borrow::Cow;

use indexmap::IndexMap;
use liquid::model::{KString, Value};
use liquid_core::{
    Display_filter, Expression, Filter, FilterParameters, FilterReflection, FromFilterParameters,
    ParseFilter, Runtime, ValueView,
};
use promo_liquid::batch::LineOutcome;
use promo_liquid::message::Outcome;
use serde_json_borrow::Value as Json;

use super::{Path, Run, WORKLOADS, baseline_date, canonical};

/// The `liquid` crate with every workload parsed.
pub struct LiquidCrate {
    templates: Vec<liquid::Template>,
}

impl LiquidCrate {
    /// Every workload parsed, with the standard library and [`baseline_date`] as `date`.
    pub fn new() -> Self {
        let parser = parser();
        let templates = WORKLOADS
            .iter()
            .map(|w| {
                parser
                    .parse(w.liquid)
                    .unwrap_or_else(|e| panic!("liquid crate cannot parse {}: {e}", w.name))
            })
            .collect();
        LiquidCrate { templates }
    }

    fn render(&self, w: usize, globals: &liquid::Object, out: &mut Vec<u8>) {
        self.templates[w]
            .render_to(out, globals)
            .unwrap_or_else(|e| panic!("liquid crate cannot render {}: {e}", WORKLOADS[w].name));
    }

    /// See [`super::Engines::runner`].
    pub fn runner<'a>(&'a self, path: Path, w: usize, lines: &'a [String]) -> Run<'a> {
        let mut text = Vec::new();
        match path {
            Path::Render => {
                let globals: Vec<liquid::Object> =
                    lines.iter().map(|l| globals(l, false).1).collect();
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
                // The outcome's buffers are kept from one record to the next.
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

/// Writes the outcome line of a rendered record, as `promo-liquid batch` does, and
/// gives the fields back for the next record.
pub fn write_line(
    i: usize,
    identity: Option<Cow<'_, str>>,
    fields: IndexMap<&'static str, String>,
    out: &mut Vec<u8>,
) -> IndexMap<&'static str, String> {
    let line = LineOutcome {
        line: i as u64 + 1,
        identity,
        outcome: Outcome::Rendered {
            fields,
            warnings: Vec::new(),
            sms: None,
            snippets: IndexMap::new(),
        },
    };
    line.write_json(out);
    match line.outcome {
        Outcome::Rendered { fields, .. } => fields,
        _ => unreachable!(),
    }
}

/// A parser with the standard library and [`baseline_date`] as `date`.
pub fn parser() -> liquid::Parser {
    liquid::ParserBuilder::with_stdlib()
        .filter(Date)
        .build()
        .expect("the standard library builds")
}

/// A record line's identity and globals (`EventName`, `Event`, `Profile`), built from
/// a borrowed parse; with `normalize`, the event's properties under their canonical
/// names.
pub fn globals(line: &str, normalize: bool) -> (Option<Cow<'_, str>>, liquid::Object) {
    let json: Json<'_> = serde_json::from_str(line).expect("a JSON record");
    let mut globals = liquid::Object::new();
    let mut identity = None;
    for (key, value) in json.as_object().expect("a record object").iter() {
        match key {
            "identity" => identity = identity_of(value),
            "evtName" => {
                globals.insert("EventName".into(), to_liquid(value));
            }
            "evtData" => {
                let event = match value.as_object() {
                    Some(props) if normalize => Value::Object(
                        props
                            .iter()
                            .map(|(k, v)| (KString::from_ref(canonical(k)), to_liquid(v)))
                            .collect(),
                    ),
                    _ => to_liquid(value),
                };
                globals.insert("Event".into(), event);
            }
            "profileData" => {
                globals.insert("Profile".into(), to_liquid(value));
            }
            _ => {}
        }
    }
    (identity, globals)
}

/// The record's identity, borrowed from the line when it can be.
pub fn identity_of<'a>(json: &Json<'a>) -> Option<Cow<'a, str>> {
    match json {
        Json::Str(s) => Some(s.clone()),
        Json::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

fn to_liquid(json: &Json<'_>) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::scalar(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::scalar(i),
            None => Value::scalar(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::Str(s) => Value::scalar(KString::from_ref(s)),
        Json::Array(items) => Value::Array(items.iter().map(to_liquid).collect()),
        Json::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (KString::from_ref(k), to_liquid(v)))
                .collect(),
        ),
    }
}

#[derive(Debug, FilterParameters)]
struct DateArgs {
    #[parameter(description = "The strftime format.", arg_type = "str")]
    format: Expression,
}

/// `date`, reading the records' formats (see [`baseline_date`]).
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "date",
    description = "Formats a date.",
    parameters(DateArgs),
    parsed(DateFilter)
)]
struct Date;

#[derive(Debug, FromFilterParameters, Display_filter)]
#[name = "date"]
struct DateFilter {
    #[parameters]
    args: DateArgs,
}

impl Filter for DateFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> liquid_core::Result<Value> {
        let args = self.args.evaluate(runtime)?;
        match baseline_date::format(input.to_kstr().as_str(), args.format.as_str()) {
            Some(text) => Ok(Value::scalar(text)),
            None => Ok(input.to_value()),
        }
    }
}
