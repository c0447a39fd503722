//! Loading a message file (TOML) with the place of everything in it, so that every
//! problem, and every position inside a field's template, can be shown in the file the
//! author edits (`coupon.push.toml:6:20`), whichever command shows it.
//!
//! The loader reports every problem it finds, not the first: each unknown or misspelt
//! key, each bad event name, the channel, missing fields, and every compile error of
//! every field. A field's string is found by its span in the TOML text and decoded
//! again here with a map from each byte of the value to the byte of the file it came
//! from (escapes, line-ending backslashes and the newline after `'''` or `"""`
//! included). When our decoding does not reproduce the TOML parser's value exactly,
//! the field gets no map and its positions are the field's own line:col.

use std::ops::Range;
use std::sync::Arc;

use toml_edit::{ImDocument, Item};

use super::outcome::{Failure, FailureKind};
use super::{Channel, FieldSpec};
use crate::liquid::{
    Annotation, Environment, Error as LiquidError, LineCol, LineIndex, Snippet, Span, Template,
    suggest,
};
use crate::promo::schema::EventKind;
use crate::snippets::Library;

/// One problem of a message file: what, where (in the file, and in the field's
/// template when it is in one) and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// `invalid_message` for the file's shape and settings; the template's error kind
    /// (`syntax`, `unknown_filter`, ...) for a field that does not compile.
    pub kind: FailureKind,
    /// What is wrong, in one line.
    pub message: String,
    /// How to fix it, when there is something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The field it is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The bytes of the file it is about.
    #[serde(skip)]
    pub span: Option<Span>,
    /// Its line and column in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<LineCol>,
    /// Its line and column in the field's template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_at: Option<LineCol>,
}

/// A source file and the start of each of its lines.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub name: Arc<str>,
    pub text: Arc<str>,
    pub lines: LineIndex,
}

impl SourceFile {
    pub(crate) fn new(name: &str, text: &str) -> SourceFile {
        SourceFile {
            name: Arc::from(name),
            text: Arc::from(text),
            lines: LineIndex::new(text),
        }
    }

    /// The line and column of a byte of the file.
    pub(crate) fn at(&self, offset: usize) -> LineCol {
        self.lines.at(&self.text, offset)
    }
}

/// A field of a loaded file, compiled or not.
#[derive(Debug)]
pub(crate) struct LoadedField {
    /// The key as written.
    pub name: String,
    /// The channel's field of that name; `None` when the channel has no such field (or
    /// the channel is unknown).
    pub spec: Option<FieldSpec>,
    /// Where the value's bytes are in the file.
    pub map: Option<Arc<FieldMap>>,
    /// The value's place in the file (its opening quote).
    pub value_span: Option<Span>,
    /// The compiled template, or every compile error of it.
    pub compiled: Result<Template, Vec<LiquidError>>,
}

/// A message file, read as far as it could be, with every problem found.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub file: Arc<SourceFile>,
    pub channel: Option<Channel>,
    /// The events named, the valid ones, each once.
    pub events: Vec<EventKind>,
    pub fields: Vec<LoadedField>,
    /// Every problem, in file order.
    pub problems: Vec<Problem>,
}

const KEYS: [&str; 4] = ["event", "events", "channel", "fields"];

/// Reads the message file `text` called `name`, compiling its fields with `env` (and
/// `snippets` as their partial loader, seen from the message's channel and events).
pub(crate) fn load(
    name: &str,
    text: &str,
    env: &Environment,
    snippets: Option<&Arc<Library>>,
) -> Loaded {
    let file = Arc::new(SourceFile::new(name, text));
    let mut loaded = Loaded {
        file: file.clone(),
        channel: None,
        events: Vec::new(),
        fields: Vec::new(),
        problems: Vec::new(),
    };
    let doc = match ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().map(|r| Span::new(r.start, r.end));
            let mut problem = loaded.problem(e.message().trim_end().replace('\n', " "), span);
            problem.help = toml_help(text, span);
            loaded.problems.push(problem);
            return loaded;
        }
    };
    let root = doc.as_table();
    for (key, item) in root.iter() {
        if KEYS.contains(&key) {
            continue;
        }
        let span = root.key(key).and_then(|k| k.span()).map(to_span);
        let mut problem = loaded.problem(
            format!("unknown setting `{key}`: a message has `event` (or `events`), `channel` and `[fields]`"),
            span.or_else(|| item.span().map(to_span)),
        );
        problem.help = suggest(key, KEYS).map(|near| format!("did you mean `{near}`?"));
        loaded.problems.push(problem);
    }
    loaded.read_channel(root.get("channel"));
    loaded.read_events(root.get("event"), root.get("events"));
    let with_snippets = snippets.map(|l| l.environment(env, loaded.channel, &loaded.events));
    loaded.read_fields(root.get("fields"), with_snippets.as_ref().unwrap_or(env));
    loaded
        .problems
        .sort_by_key(|p| p.span.map_or(0, |s| s.start));
    loaded
}

fn to_span(range: Range<usize>) -> Span {
    Span::new(range.start, range.end)
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::Value(v) => match v {
            toml_edit::Value::String(_) => "a string",
            toml_edit::Value::Integer(_) => "an integer",
            toml_edit::Value::Float(_) => "a float",
            toml_edit::Value::Boolean(_) => "a boolean",
            toml_edit::Value::Datetime(_) => "a date",
            toml_edit::Value::Array(_) => "an array",
            toml_edit::Value::InlineTable(_) => "a table",
        },
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::None => "nothing",
    }
}

impl Loaded {
    fn problem(&self, message: String, span: Option<Span>) -> Problem {
        Problem {
            kind: FailureKind::InvalidMessage,
            message,
            help: None,
            field: None,
            span,
            at: span.map(|s| self.file.at(s.start as usize)),
            field_at: None,
        }
    }

    fn push(&mut self, message: String, span: Option<Span>, help: Option<String>) {
        let mut problem = self.problem(message, span);
        problem.help = help;
        self.problems.push(problem);
    }

    fn read_channel(&mut self, item: Option<&Item>) {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.name()).collect();
        let Some(item) = item else {
            self.push(
                format!(
                    "the message has no channel: expected `channel = \"...\"`, one of {}",
                    names.join(", ")
                ),
                None,
                None,
            );
            return;
        };
        let span = item.span().map(to_span);
        let Some(value) = item.as_str() else {
            let found = type_name(item);
            self.push(
                format!("channel: expected a string, found {found}"),
                span,
                None,
            );
            return;
        };
        match Channel::from_name(value) {
            Some(channel) => self.channel = Some(channel),
            None => self.push(
                format!(
                    "channel: expected one of {}, found {value:?}",
                    names.join(", ")
                ),
                span,
                suggest(value, names.iter().copied()).map(|n| format!("did you mean {n:?}?")),
            ),
        }
    }

    fn read_events(&mut self, event: Option<&Item>, events: Option<&Item>) {
        let mut named: Vec<(String, Option<Span>)> = Vec::new();
        if let Some(item) = event {
            match item.as_str() {
                Some(name) => named.push((name.to_owned(), item.span().map(to_span))),
                None => {
                    let found = type_name(item);
                    self.push(
                        format!("event: expected an event name (a string), found {found}"),
                        item.span().map(to_span),
                        Some("to name several events, write `events = [\"...\", \"...\"]`".into()),
                    );
                }
            }
        }
        if let Some(item) = events {
            match item.as_array() {
                Some(array) => {
                    for value in array.iter() {
                        let span = value.span().map(to_span);
                        match value.as_str() {
                            Some(name) => named.push((name.to_owned(), span)),
                            None => self.push(
                                format!(
                                    "events: expected event names (strings), found {}",
                                    type_name(&Item::Value(value.clone()))
                                ),
                                span,
                                None,
                            ),
                        }
                    }
                }
                None => {
                    let found = type_name(item);
                    self.push(
                        format!("events: expected an array of event names, found {found}"),
                        item.span().map(to_span),
                        None,
                    );
                }
            }
        }
        if event.is_none() && events.is_none() {
            self.push(
                "the message names no event: expected `event = \"...\"` or `events = [...]`".into(),
                None,
                None,
            );
        }
        for (name, span) in named {
            match EventKind::from_name(&name) {
                Some(kind) if !self.events.contains(&kind) => self.events.push(kind),
                Some(_) => {}
                None => {
                    let help = match EventKind::suggest(&name) {
                        Some(near) => format!("did you mean {:?}?", near.name()),
                        None => format!("the events are {}", event_names()),
                    };
                    self.push(
                        format!("event: expected one of the six promo events, found {name:?}"),
                        span,
                        Some(help),
                    );
                }
            }
        }
    }

    fn read_fields(&mut self, item: Option<&Item>, env: &Environment) {
        let Some(item) = item else {
            self.push(
                "the message has no fields: expected a `[fields]` table".into(),
                None,
                None,
            );
            return;
        };
        let header = item.span().map(to_span);
        let Some(table) = item.as_table_like() else {
            let found = type_name(item);
            self.push(
                format!("fields: expected a table of templates, found {found}"),
                header,
                None,
            );
            return;
        };
        let specs = self.channel.map_or(&[][..], Channel::fields);
        let mut misspelt: Vec<&str> = Vec::new();
        for (key, value) in table.iter() {
            let key_span = table.key(key).and_then(|k| k.span()).map(to_span);
            let spec = specs.iter().find(|s| s.name == key).copied();
            if spec.is_none() {
                if let Some(channel) = self.channel {
                    let allowed: Vec<&str> = specs.iter().map(|s| s.name).collect();
                    let near = suggest(key, allowed.iter().copied());
                    misspelt.extend(near);
                    let help = match near {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => format!("{channel} messages have {}", allowed.join(", ")),
                    };
                    self.push(
                        format!("field `{key}`: {channel} messages have no such field"),
                        key_span,
                        Some(help),
                    );
                }
            }
            let Some(source) = value.as_str() else {
                let found = type_name(value);
                self.push(
                    format!("field `{key}`: expected a template (a string), found {found}"),
                    value.span().map(to_span).or(key_span),
                    None,
                );
                continue;
            };
            let value_span = value.span();
            let map = value_span
                .clone()
                .and_then(|span| FieldMap::new(&self.file.text, span, source))
                .map(Arc::new);
            let compiled = env.compile(key, source).map_err(|e| {
                let mut all = env.errors(key, source);
                if all.is_empty() {
                    all.push(e);
                }
                all
            });
            let field = LoadedField {
                name: key.to_owned(),
                spec,
                map,
                value_span: value_span.map(to_span),
                compiled,
            };
            if let Err(errors) = &field.compiled {
                for e in errors {
                    let problem = self.template_problem(&field, e);
                    self.problems.push(problem);
                }
            }
            self.fields.push(field);
        }
        if let Some(channel) = self.channel {
            for spec in specs.iter().filter(|s| s.required) {
                let present = self.fields.iter().any(|f| f.name == spec.name);
                if !present && !misspelt.contains(&spec.name) {
                    self.push(
                        format!(
                            "fields: expected a `{}` field, which {channel} messages need",
                            spec.name
                        ),
                        header,
                        None,
                    );
                }
            }
        }
    }

    /// A compile error of `field` as a problem placed in the file.
    fn template_problem(&self, field: &LoadedField, e: &LiquidError) -> Problem {
        let span = match (&field.map, e.span()) {
            (Some(map), Some(span)) => Some(map.span(span)),
            _ => None,
        };
        Problem {
            kind: FailureKind::from(e.kind()),
            message: e.message().to_owned(),
            help: e.help().map(str::to_owned),
            field: Some(field.name.clone()),
            span,
            at: span.map(|s| self.file.at(s.start as usize)),
            field_at: e.line_col(),
        }
    }
}

/// What a report says and where, in a file.
pub(crate) struct Located<'a> {
    pub severity: &'a str,
    pub code: &'a str,
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub span: Option<Span>,
    pub at: Option<LineCol>,
    pub field: Option<&'a str>,
    pub field_at: Option<LineCol>,
}

impl Located<'_> {
    /// The report as rustc prints its own, for the file `name` with text `source`,
    /// ending with a newline.
    pub(crate) fn write(&self, name: &str, source: &str, out: &mut String) {
        let place = match (self.at, self.field, self.field_at) {
            (Some(at), _, _) => format!("{name}:{at}"),
            (None, Some(field), Some(at)) => {
                format!("{name}: field `{field}`, line {}:{}", at.line, at.col)
            }
            (None, Some(field), None) => format!("{name}: field `{field}`"),
            (None, None, _) => name.to_owned(),
        };
        // A failure with no place in the file (a bad record) names no file.
        let place = Some(place).filter(|_| !name.is_empty());
        let snippet = self
            .span
            .filter(|_| self.at.is_some())
            .and_then(|span| Snippet::of(source, span));
        let report = Annotation {
            severity: self.severity,
            code: self.code,
            message: self.message,
            place: place.as_deref(),
            snippet,
            help: self.help,
        };
        // Writing to a String cannot fail.
        let _ = report.write(out);
    }
}

/// A problem as rustc prints its errors, with the file's line.
pub(crate) fn report(file: &SourceFile, p: &Problem) -> String {
    let mut out = String::new();
    Located {
        severity: "error",
        code: p.kind.as_str(),
        message: &p.message,
        help: p.help.as_deref(),
        span: p.span,
        at: p.at,
        field: p.field.as_deref(),
        field_at: p.field_at,
    }
    .write(&file.name, &file.text, &mut out);
    out
}

/// A failure of a message as rustc prints its errors, with the file's line when `span`
/// is in it.
pub(crate) fn report_failure(file: &SourceFile, f: &Failure, span: Option<Span>) -> String {
    let mut out = String::new();
    let placed = f.at.is_some() || f.field.is_some();
    let name = match &f.file {
        Some(name) if placed => name,
        None if placed => &file.name,
        _ => "",
    };
    Located {
        severity: "error",
        code: f.kind.as_str(),
        message: &f.message,
        help: f.help.as_deref(),
        span,
        at: f.at,
        field: f.field.as_deref(),
        field_at: f.field_at,
    }
    .write(name, &file.text, &mut out);
    out
}

fn event_names() -> String {
    let names: Vec<String> = EventKind::ALL
        .iter()
        .map(|e| format!("{:?}", e.name()))
        .collect();
    names.join(", ")
}

/// A help line for the TOML mistakes a template author makes: a `"` inside a basic
/// string (`"Use {{ Event["Coupon Code"] }}"` ends at `Event[`), and a basic string
/// that runs past the end of its line.
fn toml_help(text: &str, span: Option<Span>) -> Option<String> {
    let at = span?.start as usize;
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = text[line_start..line_end].trim_end_matches('\r');
    let (_, value) = line.split_once('=')?;
    let value = value.trim_start();
    if !value.starts_with('"') || value.starts_with("\"\"\"") {
        return None;
    }
    // Where the basic string ends: the first `"` not escaped.
    let mut chars = value.char_indices().skip(1);
    let mut end = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    match end {
        Some(end) if !value[end + 1..].trim_start().is_empty()
            && !value[end + 1..].trim_start().starts_with('#') =>
        {
            Some(
                "a \"...\" string ends at the next `\"`: write the template's quotes as single quotes \
                 (Event['Coupon Code']), escape them as \\\", or quote the whole value with '...' \
                 ('''...''' for several lines)"
                    .into(),
            )
        }
        None => Some(
            "a \"...\" string must end on its line: for a template of several lines use \"\"\"...\"\"\" or '''...'''"
                .into(),
        ),
        Some(_) => None,
    }
}

/// Where each byte of a field's value is in the file.
#[derive(Debug)]
pub(crate) struct FieldMap {
    /// The file offset of each byte of the value, and of its end.
    offsets: Vec<usize>,
}

impl FieldMap {
    /// The map of the string whose TOML token is at `span` of `text`, decoding to
    /// `value`; `None` when it cannot be rebuilt.
    pub(crate) fn new(text: &str, span: Range<usize>, value: &str) -> Option<FieldMap> {
        let raw = text.get(span.clone())?;
        let (delimiter, basic) = ["\"\"\"", "'''", "\"", "'"]
            .into_iter()
            .find(|d| raw.starts_with(d) && raw.len() >= 2 * d.len() && raw.ends_with(d))
            .map(|d| (d, d.starts_with('"')))?;
        let mut start = span.start + delimiter.len();
        let end = span.end - delimiter.len();
        if delimiter.len() == 3 {
            // A newline right after the opening delimiter is not part of the value.
            if text[start..end].starts_with("\r\n") {
                start += 2;
            } else if text[start..end].starts_with('\n') {
                start += 1;
            }
        }
        let multiline = delimiter.len() == 3;
        let (decoded, mut offsets) = if basic {
            decode_basic(text, start, end, multiline)?
        } else {
            decode_literal(text, start, end, multiline)
        };
        if decoded != value {
            return None;
        }
        offsets.push(end);
        Some(FieldMap { offsets })
    }

    /// The file offset of a byte of the value.
    pub(crate) fn offset(&self, offset: usize) -> usize {
        self.offsets
            .get(offset)
            .or(self.offsets.last())
            .copied()
            .unwrap_or(0)
    }

    /// The file span of a span of the value.
    pub(crate) fn span(&self, span: Span) -> Span {
        let start = self.offset(span.start as usize);
        Span::new(start, self.offset(span.end as usize).max(start))
    }
}

/// A literal string's content `text[start..end]`, with each byte's offset: verbatim,
/// but for the CRLF line ends of a multi-line string, which TOML reads as LF.
fn decode_literal(text: &str, start: usize, end: usize, multiline: bool) -> (String, Vec<usize>) {
    let content = &text[start..end];
    let mut out = String::with_capacity(content.len());
    let mut offsets = Vec::with_capacity(content.len());
    for (i, c) in content.char_indices() {
        if multiline && c == '\r' && content[i + 1..].starts_with('\n') {
            continue;
        }
        out.push(c);
        offsets.extend(std::iter::repeat_n(start + i, c.len_utf8()));
    }
    (out, offsets)
}

/// Decodes a basic string's content `text[start..end]`, with each byte's offset.
fn decode_basic(
    text: &str,
    start: usize,
    end: usize,
    multiline: bool,
) -> Option<(String, Vec<usize>)> {
    let content = &text[start..end];
    let mut out = String::with_capacity(content.len());
    let mut offsets = Vec::with_capacity(content.len());
    let mut chars = content.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = start + i;
        if multiline && c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            continue;
        }
        if c != '\\' {
            out.push(c);
            offsets.extend(std::iter::repeat_n(at, c.len_utf8()));
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'u' | 'U' => {
                let digits = if e == 'u' { 4 } else { 8 };
                let hex: String = (0..digits)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            w if multiline && w.is_whitespace() => {
                // A line-ending backslash: drop the whitespace up to the next text.
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        out.push(decoded);
        offsets.extend(std::iter::repeat_n(at, decoded.len_utf8()));
    }
    Some((out, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(text: &str) -> (String, FieldMap) {
        let doc = ImDocument::parse(text).unwrap();
        let fields = doc
            .as_table()
            .get("fields")
            .unwrap()
            .as_table_like()
            .unwrap();
        let (_, item) = fields.iter().next().unwrap();
        let value = item.as_str().unwrap().to_owned();
        let map = FieldMap::new(text, item.span().unwrap(), &value).expect("the value maps");
        (value, map)
    }

    fn file_text_at(text: &str, value: &str, map: &FieldMap, needle: &str) -> String {
        let start = value.find(needle).unwrap();
        let span = map.span(Span::at(start, needle.len()));
        text[span.range()].to_owned()
    }

    #[test]
    fn every_kind_of_string_maps_back_to_the_file() {
        for (text, needle, expected) in [
            (
                "channel = \"sms\"\n[fields]\nbody = \"Hi {{ x }}\"\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = 'Hi {{ x }}'\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = '''\nHi\n{{ x }}'''\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = \"\"\"\nA \\\n   B {{ \\\"x\\\" }}\"\"\"\n",
                "B {{ \"x\" }}",
                "B {{ \\\"x\\\" }}",
            ),
            (
                "channel = \"sms\"\r\n[fields]\r\nbody = \'\'\'\r\nHi\r\n{{ x }}\'\'\'\r\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\r\n[fields]\r\nbody = \"\"\"\r\nHi\r\n{{ x }}\"\"\"\r\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = \"\\u00e9 \\n {{ y }}\"\n",
                "{{ y }}",
                "{{ y }}",
            ),
            (
                "channel = \"sms\"\nfields = { body = \"\\t{{ y }}\" }\n",
                "{{ y }}",
                "{{ y }}",
            ),
        ] {
            let (value, map) = map_of(text);
            assert_eq!(file_text_at(text, &value, &map, needle), expected, "{text}");
        }
    }

    fn problems(text: &str) -> Vec<Problem> {
        load("m.toml", text, &Environment::new(), None).problems
    }

    #[test]
    fn a_toml_error_has_its_place() {
        let found = problems("channel = \"sms\"\nfields = 3\nevent = \"CT Points Credited\"\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "fields: expected a table of templates, found an integer"
        );
        assert_eq!(found[0].at, Some(LineCol { line: 2, col: 10 }));
    }

    #[test]
    fn a_double_quote_inside_a_basic_string_gets_a_help_line() {
        let found = problems(
            "event = \"CT Coupon Rewarded\"\nchannel = \"sms\"\n[fields]\nbody = \"Use {{ Event[\"Coupon Code\"] }}\"\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at.map(|a| a.line), Some(4));
        let help = found[0].help.as_deref().unwrap();
        assert!(help.contains("single quotes"), "{help}");
    }

    #[test]
    fn every_problem_is_reported() {
        let found = problems(
            "evnt = \"x\"\nevents = [\"CT Points Credted\", 3]\nchannel = \"pussh\"\n[fields]\nbody = \"{{ x | upcse }}\"\n",
        );
        let messages: Vec<(String, Option<String>)> = found
            .iter()
            .map(|p| (p.message.clone(), p.help.clone()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "unknown setting `evnt`: a message has `event` (or `events`), `channel` and `[fields]`".into(),
                    Some("did you mean `event`?".into())
                ),
                (
                    "event: expected one of the six promo events, found \"CT Points Credted\"".into(),
                    Some("did you mean \"CT Points Credited\"?".into())
                ),
                ("events: expected event names (strings), found an integer".into(), None),
                (
                    "channel: expected one of push, sms, email, inapp, webhook, found \"pussh\"".into(),
                    Some("did you mean \"push\"?".into())
                ),
                ("unknown filter \"upcse\"".into(), Some("did you mean \"upcase\"?".into())),
            ]
        );
        assert_eq!(found[4].kind, FailureKind::UnknownFilter);
        assert_eq!(found[4].at, Some(LineCol { line: 5, col: 16 }));
        assert_eq!(found[4].field_at, Some(LineCol { line: 1, col: 8 }));
    }

    #[test]
    fn a_misspelt_field_is_not_also_a_missing_one() {
        let found = problems(
            "event = \"CT Points Credited\"\nchannel = \"push\"\n[fields]\ntilte = \"a\"\nbody = \"b\"\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "field `tilte`: push messages have no such field"
        );
        assert_eq!(found[0].help.as_deref(), Some("did you mean `title`?"));
    }
}
