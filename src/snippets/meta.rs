//! A snippet's metadata: the sidecar `NAME.toml` beside `NAME.liquid`.
//!
//! ```toml
//! description = "Amazon Pay gift card: the code, how to redeem it, until when"
//! channels = ["push", "sms", "inapp"]           # the channels it may be used in; any when absent
//! events = ["CT Partner Voucher Rewarded"]      # the events it fits; any when absent
//!
//! [params]
//! code = { type = "string", required = true, description = "the voucher code" }
//! expiry = { type = "date" }
//! link = { type = "string", default = "https://www.amazon.in/pay" }
//! note = "string"                               # shorthand: a type, optional, no default
//! ```
//!
//! Parameter types are `string`, `number`, `date`, `boolean` and `any`. A parameter is
//! optional unless `required = true`; an optional one may have a `default` (of its
//! type), which a call that does not pass it gets. A snippet whose sidecar has a
//! `[params]` table may read no other variable; without one (or without a sidecar), its
//! parameters are the variables it reads, each optional and of any type. Every problem
//! is reported, each placed in the sidecar.

use indexmap::IndexMap;
use toml_edit::{ImDocument, Item, TableLike, Value as Toml};

use super::Problem;
use crate::liquid::{Span, Value, suggest};
use crate::message::Channel;
use crate::promo::schema::EventKind;

/// What a snippet says about itself.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// What it shows, for people.
    pub description: Option<String>,
    /// The channels it may be used in; empty for any.
    pub channels: Vec<Channel>,
    /// The events it fits; empty for any.
    pub events: Vec<EventKind>,
    /// Its parameters, in the sidecar's order. Without a `[params]` table (or a
    /// sidecar), they are the variables the snippet reads, each optional, of any type.
    pub params: IndexMap<String, Param>,
    /// Whether the sidecar declares the parameters (a `[params]` table): then the
    /// snippet may read no other variable.
    pub declared: bool,
}

/// A parameter of a snippet.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its type.
    pub kind: ParamType,
    /// Whether every call must pass it.
    pub required: bool,
    /// What it is when a call does not pass it.
    pub default: Option<Value>,
    /// What it is, for people.
    pub description: Option<String>,
}

/// The type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Text.
    String,
    /// A number.
    Number,
    /// A date (a Date property, or text `date` can read).
    Date,
    /// `true` or `false`.
    Boolean,
    /// Anything.
    Any,
}

impl ParamType {
    const ALL: [ParamType; 5] = [
        ParamType::String,
        ParamType::Number,
        ParamType::Date,
        ParamType::Boolean,
        ParamType::Any,
    ];

    /// The type's name in sidecars: `string`, `number`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Date => "date",
            ParamType::Boolean => "boolean",
            ParamType::Any => "any",
        }
    }

    fn from_name(name: &str) -> Option<ParamType> {
        ParamType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

const KEYS: [&str; 4] = ["description", "channels", "events", "params"];
const PARAM_KEYS: [&str; 4] = ["type", "required", "default", "description"];

/// Reads the sidecar `file` with `text`, adding its problems to `problems`.
pub(super) fn read(file: &str, text: &str, problems: &mut Vec<Problem>) -> Meta {
    let mut reader = Reader {
        file,
        text,
        problems,
    };
    let doc = match ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().map(|r| Span::new(r.start, r.end));
            reader.push(e.message().trim_end().replace('\n', " "), span, None);
            return Meta::default();
        }
    };
    let root = doc.as_table();
    let mut meta = Meta::default();
    for (key, item) in root.iter() {
        let span = root.key(key).and_then(|k| k.span()).map(to_span);
        match key {
            "description" => meta.description = reader.string(key, item),
            "channels" => {
                meta.channels = reader.names(key, item, Channel::from_name, |n| {
                    let names: Vec<&str> = Channel::ALL.iter().map(|c| c.name()).collect();
                    (
                        suggest(n, names.iter().copied()).map(str::to_owned),
                        names.join(", "),
                    )
                });
            }
            "events" => {
                meta.events = reader.names(key, item, EventKind::from_name, |n| {
                    let names: Vec<String> = EventKind::ALL
                        .iter()
                        .map(|e| format!("{:?}", e.name()))
                        .collect();
                    (
                        EventKind::suggest(n).map(|e| e.name().to_owned()),
                        names.join(", "),
                    )
                });
            }
            "params" => match item.as_table_like() {
                Some(table) => {
                    meta.params = reader.params(table);
                    meta.declared = true;
                }
                None => reader.wrong(key, item, "a table of parameters (`[params]`)"),
            },
            _ => {
                let help = suggest(key, KEYS).map(|near| format!("did you mean `{near}`?"));
                reader.push(
                    format!(
                        "unknown setting `{key}`: a snippet's sidecar has {}",
                        quoted(&KEYS)
                    ),
                    span,
                    help,
                );
            }
        }
    }
    meta
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    fn push(&mut self, message: String, span: Option<Span>, help: Option<String>) {
        self.problems
            .push(Problem::new(self.file, self.text, message, span, help));
    }

    fn wrong(&mut self, key: &str, item: &Item, expected: &str) {
        let found = type_name(item);
        self.push(
            format!("`{key}`: expected {expected}, found {found}"),
            item.span().map(to_span),
            None,
        );
    }

    fn string(&mut self, key: &str, item: &Item) -> Option<String> {
        match item.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.wrong(key, item, "a string");
                None
            }
        }
    }

    /// An array of names, each read by `from_name`; `near` gives a did-you-mean and the
    /// list of the names there are.
    fn names<T>(
        &mut self,
        key: &str,
        item: &Item,
        from_name: impl Fn(&str) -> Option<T>,
        near: impl Fn(&str) -> (Option<String>, String),
    ) -> Vec<T> {
        let Some(array) = item.as_array() else {
            self.wrong(key, item, "an array of names");
            return Vec::new();
        };
        let mut found = Vec::new();
        for value in array.iter() {
            let span = value.span().map(to_span);
            let Some(name) = value.as_str() else {
                self.push(
                    format!("`{key}`: expected a name, found {}", value_type(value)),
                    span,
                    None,
                );
                continue;
            };
            match from_name(name) {
                Some(t) => found.push(t),
                None => {
                    let (suggestion, all) = near(name);
                    let help = match suggestion {
                        Some(s) => format!("did you mean {s:?}?"),
                        None => format!("expected one of {all}"),
                    };
                    self.push(format!("`{key}`: unknown name {name:?}"), span, Some(help));
                }
            }
        }
        found
    }

    fn params(&mut self, table: &dyn TableLike) -> IndexMap<String, Param> {
        let mut params = IndexMap::new();
        for (name, item) in table.iter() {
            let key_span = table.key(name).and_then(|k| k.span()).map(to_span);
            if !is_name(name) {
                self.push(
                    format!("parameter `{name}`: not a Liquid variable name"),
                    key_span,
                    Some("use letters, digits and `_`, starting with a letter or `_`".into()),
                );
                continue;
            }
            let param = match item {
                // `code = "string"`: a type alone.
                Item::Value(Toml::String(s)) => self.param_type(name, s.value(), item.span()),
                _ => match item.as_table_like() {
                    Some(spec) => self.param(name, spec, item),
                    None => {
                        self.wrong(
                            &format!("params.{name}"),
                            item,
                            "a type (`\"string\"`) or a table (`{ type = \"string\", required = true }`)",
                        );
                        None
                    }
                },
            };
            if let Some(param) = param {
                params.insert(name.to_owned(), param);
            }
        }
        params
    }

    fn param_type(
        &mut self,
        name: &str,
        text: &str,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<Param> {
        match ParamType::from_name(text) {
            Some(kind) => Some(Param {
                kind,
                required: false,
                default: None,
                description: None,
            }),
            None => {
                let names: Vec<&str> = ParamType::ALL.iter().map(|t| t.as_str()).collect();
                let help = match suggest(text, names.iter().copied()) {
                    Some(near) => format!("did you mean {near:?}?"),
                    None => format!("the types are {}", quoted(&names)),
                };
                self.push(
                    format!("parameter `{name}`: unknown type {text:?}"),
                    span.map(to_span),
                    Some(help),
                );
                None
            }
        }
    }

    fn param(&mut self, name: &str, spec: &dyn TableLike, item: &Item) -> Option<Param> {
        for (key, _) in spec.iter() {
            if !PARAM_KEYS.contains(&key) {
                let help = suggest(key, PARAM_KEYS).map(|near| format!("did you mean `{near}`?"));
                self.push(
                    format!(
                        "parameter `{name}`: unknown setting `{key}`; a parameter has {}",
                        quoted(&PARAM_KEYS)
                    ),
                    spec.key(key).and_then(|k| k.span()).map(to_span),
                    help,
                );
            }
        }
        let mut param = match spec.get("type") {
            Some(kind) => match kind.as_str() {
                Some(text) => self.param_type(name, text, kind.span())?,
                None => {
                    self.wrong(&format!("params.{name}.type"), kind, "a type name");
                    return None;
                }
            },
            None => {
                self.push(
                    format!("parameter `{name}`: no `type`"),
                    item.span().map(to_span),
                    Some("add `type = \"string\"` (or number, date, boolean, any)".into()),
                );
                return None;
            }
        };
        if let Some(required) = spec.get("required") {
            match required.as_bool() {
                Some(b) => param.required = b,
                None => self.wrong(
                    &format!("params.{name}.required"),
                    required,
                    "true or false",
                ),
            }
        }
        if let Some(description) = spec.get("description") {
            param.description = self.string(&format!("params.{name}.description"), description);
        }
        if let Some(default) = spec.get("default") {
            let span = default.span().map(to_span);
            if param.required {
                self.push(
                    format!("parameter `{name}`: a required parameter has no default"),
                    span,
                    Some("drop `required = true`, or the `default`".into()),
                );
            } else {
                match default_value(default, param.kind) {
                    Ok(value) => param.default = Some(value),
                    Err(expected) => {
                        self.wrong(&format!("params.{name}.default"), default, expected)
                    }
                }
            }
        }
        Some(param)
    }
}

/// The Liquid value of a parameter's default, or what it should have been.
fn default_value(item: &Item, kind: ParamType) -> Result<Value, &'static str> {
    let value = item.as_value().ok_or("a string, number or boolean")?;
    match (kind, value) {
        (ParamType::String | ParamType::Date | ParamType::Any, Toml::String(s)) => {
            Ok(Value::str(s.value()))
        }
        (ParamType::Number | ParamType::Any, Toml::Integer(i)) => Ok(Value::Int(*i.value())),
        (ParamType::Number | ParamType::Any, Toml::Float(f)) => Ok(Value::Float(*f.value())),
        (ParamType::Boolean | ParamType::Any, Toml::Boolean(b)) => Ok(Value::Bool(*b.value())),
        (ParamType::String, _) => Err("a string"),
        (ParamType::Date, _) => Err("a date as text (`30-11-2026 23:59:59`)"),
        (ParamType::Number, _) => Err("a number"),
        (ParamType::Boolean, _) => Err("true or false"),
        (ParamType::Any, _) => Err("a string, number or boolean"),
    }
}

/// Whether `name` can be a Liquid variable.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

fn to_span(range: std::ops::Range<usize>) -> Span {
    Span::new(range.start, range.end)
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::Value(v) => value_type(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::None => "nothing",
    }
}

fn value_type(value: &Toml) -> &'static str {
    match value {
        Toml::String(_) => "a string",
        Toml::Integer(_) => "an integer",
        Toml::Float(_) => "a float",
        Toml::Boolean(_) => "a boolean",
        Toml::Datetime(_) => "a date",
        Toml::Array(_) => "an array",
        Toml::InlineTable(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(text: &str) -> (Meta, Vec<String>) {
        let mut problems = Vec::new();
        let meta = read("s.toml", text, &mut problems);
        (meta, problems.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn a_sidecar_declares_channels_events_and_typed_parameters() {
        let (meta, problems) = meta(
            "description = \"d\"\nchannels = [\"push\", \"sms\"]\nevents = [\"CT Partner Voucher Rewarded\"]\n\
             [params]\ncode = { type = \"string\", required = true }\nlink = { type = \"string\", default = \"https://x\" }\nn = \"number\"\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(meta.description.as_deref(), Some("d"));
        assert_eq!(meta.channels, [Channel::Push, Channel::Sms]);
        assert_eq!(meta.events, [EventKind::PartnerVoucherRewarded]);
        assert!(meta.params["code"].required);
        let default = meta.params["link"].default.as_ref();
        assert_eq!(default.and_then(Value::as_str), Some("https://x"));
        assert_eq!(meta.params["n"].kind, ParamType::Number);
    }

    #[test]
    fn every_problem_is_reported_in_place_with_a_suggestion() {
        let (_, problems) = meta(
            "channel = [\"sms\"]\nchannels = [\"smss\"]\nevents = [\"CT Partner Voucher Rewarded!\"]\n\
             [params]\ncode = { type = \"strng\" }\nn = { type = \"number\", default = \"ten\" }\nr = { type = \"string\", required = true, default = \"x\" }\n",
        );
        assert_eq!(
            problems,
            [
                "s.toml:1:1: unknown setting `channel`: a snippet's sidecar has `description`, `channels`, `events`, `params`; did you mean `channels`?",
                "s.toml:2:13: `channels`: unknown name \"smss\"; did you mean \"sms\"?",
                "s.toml:3:11: `events`: unknown name \"CT Partner Voucher Rewarded!\"; did you mean \"CT Partner Voucher Rewarded\"?",
                "s.toml:5:17: parameter `code`: unknown type \"strng\"; did you mean \"string\"?",
                "s.toml:6:34: `params.n.default`: expected a number, found a string",
                "s.toml:7:51: parameter `r`: a required parameter has no default; drop `required = true`, or the `default`",
            ]
        );
    }
}
