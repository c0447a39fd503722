//! Campaign messages: a set of named Liquid fields for one channel, rendered together
//! against one record, with one [`Outcome`].
//!
//! A message file is TOML:
//!
//! ```toml
//! event = "CT Coupon Rewarded"          # or: events = ["CT Points Credited", "CT Points Debited"]
//! channel = "push"                      # push, sms, email, inapp or webhook
//!
//! [fields]
//! title = "A coupon for you, {{ Profile.Name | default: 'friend' }}"
//! body = "Use {{ Event['Coupon Code'] }} before {{ Event['Coupon Expiry Date'] | date: '%d %b' }}"
//! ```
//!
//! The fields each channel takes are in [`Channel::fields`]. Loading a message reports
//! every problem of the file at once ([`MessageError::problems`]), each placed in the
//! file; rendering applies the channel's [`Rules`] (push payload size, SMS segments,
//! empty required fields) to what was rendered, and places every position of the
//! outcome in the file too.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use std::sync::Arc;
use std::time::Instant;

use crate::liquid::{Environment, Error as LiquidError, LineCol, Span, Template};
use crate::promo::record::Record;
use crate::promo::schema::{self, EventKind};
use crate::snippets::{self as snippet_lib, FindingKind, Library, Pin};

pub mod channel;
pub(crate) mod file;
mod outcome;

pub use channel::Rules;
pub use file::Problem;
pub use outcome::{Details, Failure, FailureKind, Outcome, Warning};

use file::{FieldMap, SourceFile};

/// Where a message is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// A mobile push notification.
    Push,
    /// A text message.
    Sms,
    /// An email.
    Email,
    /// An in-app message.
    InApp,
    /// A webhook call with a rendered body.
    Webhook,
}

/// One field a channel takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Its name in the message file.
    pub name: &'static str,
    /// Whether a message must have it.
    pub required: bool,
}

const fn required(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        required: true,
    }
}

const fn optional(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        required: false,
    }
}

const PUSH: &[FieldSpec] = &[required("title"), required("body"), optional("deep_link")];
const SMS: &[FieldSpec] = &[required("body")];
const EMAIL: &[FieldSpec] = &[required("subject"), optional("preheader"), required("html")];
const INAPP: &[FieldSpec] = &[optional("title"), required("body")];
const WEBHOOK: &[FieldSpec] = &[required("body")];

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Push,
        Channel::Sms,
        Channel::Email,
        Channel::InApp,
        Channel::Webhook,
    ];

    /// The channel's name in message files.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::InApp => "inapp",
            Channel::Webhook => "webhook",
        }
    }

    /// The fields the channel takes, in rendering order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Channel::Push => PUSH,
            Channel::Sms => SMS,
            Channel::Email => EMAIL,
            Channel::InApp => INAPP,
            Channel::Webhook => WEBHOOK,
        }
    }

    /// The channel called `name` in message files.
    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A compiled field of a message.
#[derive(Clone, Debug)]
pub struct Field {
    /// The field's name (`title`, `body`, ...).
    pub name: &'static str,
    /// The compiled template.
    pub template: Template,
    /// How positions in the template map to the message file.
    place: FieldPlace,
}

/// How positions in a field's template map to the file the author edits.
#[derive(Clone, Debug)]
enum FieldPlace {
    /// The template is the file (a bare template).
    Whole,
    /// The template is a string in the file, byte by byte.
    Mapped(Arc<FieldMap>),
    /// The string could not be mapped: every position is the value's start.
    At(Span),
}

/// A compiled campaign message.
#[derive(Clone, Debug)]
pub struct Message {
    /// The message's name (its file name).
    pub name: Arc<str>,
    /// The events it is for; empty for a bare template, which takes any event.
    pub events: Vec<EventKind>,
    /// The channel, `None` for a bare template.
    pub channel: Option<Channel>,
    /// The fields, in the channel's order.
    pub fields: Vec<Field>,
    /// The channel rules rendered messages are held to.
    pub rules: Rules,
    file: Arc<SourceFile>,
    /// The snippet library it was loaded with, and the snippets it can reach.
    snippets: Option<(Arc<Library>, Pin)>,
}

/// Why a message could not be loaded: every problem of the file, each placed in it.
///
/// `{}` prints the first problem on one line (with a count of the others); `{:#}`
/// prints every problem as rustc prints its errors, with the file's lines.
#[derive(Clone, Debug)]
pub struct MessageError {
    file: Arc<SourceFile>,
    problems: Vec<Problem>,
}

impl MessageError {
    /// The message's name (its file name).
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// Every problem, in file order (never empty).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The first problem as the `failed` outcome a render of the message gives.
    pub fn failure(&self) -> Failure {
        let p = &self.problems[0];
        Failure {
            help: p.help.clone(),
            field: p.field.clone().map(Cow::Owned),
            at: p.at,
            field_at: p.field_at,
            file: Some(self.file.name.clone()),
            span: p.span,
            ..Failure::new(p.kind, p.message.clone())
        }
    }

    /// Every problem as rustc prints its errors, with the file's lines and carets.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            let report = file::report(&self.file, p);
            out.push_str(&report);
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f.write_str(self.report().trim_end());
        }
        let p = &self.problems[0];
        match p.at {
            Some(at) => write!(f, "{}:{at}: {}", self.file.name, p.message)?,
            None => write!(f, "{}: {}", self.file.name, p.message)?,
        }
        if let Some(help) = &p.help {
            write!(f, "; {help}")?;
        }
        match self.problems.len() {
            1 => Ok(()),
            2 => write!(f, " (and 1 more problem)"),
            n => write!(f, " (and {} more problems)", n - 1),
        }
    }
}

impl std::error::Error for MessageError {}

impl Message {
    /// Loads a message from the text of a TOML message file called `name`.
    pub fn from_toml(name: &str, text: &str, env: &Environment) -> Result<Message, MessageError> {
        Message::from_toml_with(name, text, env, None)
    }

    /// Loads a message file as [`Message::from_toml`] does, its templates rendering
    /// the snippets of `snippets` (see [`crate::snippets`]): a snippet it names
    /// literally must exist, fit its channel and events and be passed what it needs, or
    /// the message does not load.
    pub fn from_toml_with(
        name: &str,
        text: &str,
        env: &Environment,
        snippets: Option<&Arc<Library>>,
    ) -> Result<Message, MessageError> {
        let mut loaded = file::load(name, text, env, snippets);
        if loaded.problems.is_empty() {
            if let Some(library) = snippets {
                loaded.problems = snippet_problems(&loaded, library);
            }
        }
        if !loaded.problems.is_empty() {
            return Err(MessageError {
                file: loaded.file,
                problems: loaded.problems,
            });
        }
        let channel = loaded.channel.unwrap_or(Channel::Webhook);
        let mut compiled: Vec<(&'static str, Template, FieldPlace)> = Vec::new();
        for field in loaded.fields {
            let (Some(spec), Ok(template)) = (field.spec, field.compiled) else {
                continue;
            };
            let place = match (field.map, field.value_span) {
                (Some(map), _) => FieldPlace::Mapped(map),
                (None, span) => FieldPlace::At(span.unwrap_or_default()),
            };
            compiled.push((spec.name, template, place));
        }
        // In the channel's order, whatever the file's.
        let fields = channel
            .fields()
            .iter()
            .filter_map(|spec| {
                let i = compiled.iter().position(|(n, ..)| *n == spec.name)?;
                let (name, template, place) = compiled.swap_remove(i);
                Some(Field {
                    name,
                    template,
                    place,
                })
            })
            .collect();
        let fields: Vec<Field> = fields;
        let snippets = snippets.map(|library| {
            let analyses: Vec<_> = fields.iter().map(|f| f.template.analyze()).collect();
            let pin = library.pin(&analyses, Some(channel), &loaded.events);
            (library.clone(), pin)
        });
        Ok(Message {
            name: loaded.file.name.clone(),
            events: loaded.events,
            channel: Some(channel),
            fields,
            rules: Rules::default(),
            file: loaded.file,
            snippets,
        })
    }

    /// Loads a message file (`.toml`), or a bare Liquid template (any other name).
    pub fn load(name: &str, text: &str, env: &Environment) -> Result<Message, MessageError> {
        Message::load_with(name, text, env, None)
    }

    /// Loads a message file or a bare template as [`Message::load`] does, rendering the
    /// snippets of `snippets`.
    pub fn load_with(
        name: &str,
        text: &str,
        env: &Environment,
        snippets: Option<&Arc<Library>>,
    ) -> Result<Message, MessageError> {
        if name.ends_with(".toml") {
            Message::from_toml_with(name, text, env, snippets)
        } else {
            Message::from_template_with(name, text, env, snippets)
        }
    }

    /// A bare Liquid template as a message with one field, `text`, for any event.
    pub fn from_template(
        name: &str,
        source: &str,
        env: &Environment,
    ) -> Result<Message, MessageError> {
        Message::from_template_with(name, source, env, None)
    }

    /// A bare Liquid template as [`Message::from_template`] makes it, rendering the
    /// snippets of `snippets` (any of them: a bare template has no channel or event).
    pub fn from_template_with(
        name: &str,
        source: &str,
        env: &Environment,
        snippets: Option<&Arc<Library>>,
    ) -> Result<Message, MessageError> {
        let file = Arc::new(SourceFile::new(name, source));
        let with_snippets = snippets.map(|l| l.environment(env, None, &[]));
        let env = with_snippets.as_ref().unwrap_or(env);
        let template = env.compile("text", source).map_err(|e| {
            let mut errors = env.errors("text", source);
            if errors.is_empty() {
                errors.push(e);
            }
            MessageError {
                problems: errors
                    .iter()
                    .map(|e| Problem {
                        kind: FailureKind::from(e.kind()),
                        message: e.message().to_owned(),
                        help: e.help().map(str::to_owned),
                        field: Some("text".to_owned()),
                        span: e.span(),
                        at: e.line_col(),
                        field_at: e.line_col(),
                    })
                    .collect(),
                file: file.clone(),
            }
        })?;
        let mut pin = None;
        if let Some(library) = snippets {
            let analysis = template.analyze();
            let problems: Vec<Problem> = snippet_lib::check(library, &analysis, None, &[])
                .into_iter()
                .filter(|f| f.literal && f.severity == channel::Severity::Error)
                .map(|f| Problem {
                    kind: snippet_kind(f.kind),
                    message: f.message,
                    help: f.help,
                    field: Some("text".to_owned()),
                    span: Some(f.span),
                    at: Some(f.at),
                    field_at: Some(f.at),
                })
                .collect();
            if !problems.is_empty() {
                return Err(MessageError { file, problems });
            }
            pin = Some((library.clone(), library.pin([&analysis], None, &[])));
        }
        Ok(Message {
            name: file.name.clone(),
            events: Vec::new(),
            channel: None,
            fields: vec![Field {
                name: "text",
                template,
                place: FieldPlace::Whole,
            }],
            rules: Rules::default(),
            file,
            snippets: pin,
        })
    }

    /// The snippets the message can reach, with their hashes, when it was loaded with
    /// a snippet library.
    pub fn snippet_pin(&self) -> Option<&Pin> {
        self.snippets.as_ref().map(|(_, pin)| pin)
    }

    /// The snippet library it was loaded with.
    pub fn snippet_library(&self) -> Option<&Arc<Library>> {
        self.snippets.as_ref().map(|(library, _)| library)
    }

    /// The message's file: its TOML text, or a bare template's source.
    pub fn source(&self) -> &str {
        &self.file.text
    }

    /// Whether the message is for records of `event`.
    pub fn accepts(&self, event: EventKind) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }

    /// Renders every field against `record`, then holds the result to the channel's
    /// rules, the message's [`Message::rules`].
    pub fn render(&self, record: &Record<'_>) -> Outcome {
        self.render_full(record, None, &self.rules)
    }

    /// Renders like [`Message::render`], holding the result to `rules` instead.
    pub fn render_with(&self, record: &Record<'_>, rules: &Rules) -> Outcome {
        self.render_full(record, None, rules)
    }

    /// Renders like [`Message::render`], into the buffers of `spare`, an outcome this
    /// message rendered before and that is done with: a loop over many records keeps
    /// its field texts' allocations from one record to the next.
    pub fn render_reusing(&self, record: &Record<'_>, spare: Option<Outcome>) -> Outcome {
        self.render_full(record, spare, &self.rules)
    }

    fn render_full(&self, record: &Record<'_>, spare: Option<Outcome>, rules: &Rules) -> Outcome {
        if !self.accepts(record.event.kind) {
            return self.wrong_event(record.event.kind);
        }
        let (mut fields, mut warnings) = match spare {
            Some(Outcome::Rendered {
                mut fields,
                mut warnings,
                ..
            }) if fields.keys().eq(self.fields.iter().map(|f| &f.name)) => {
                fields.values_mut().for_each(String::clear);
                warnings.clear();
                (fields, warnings)
            }
            _ => {
                let fields = self.fields.iter().map(|f| (f.name, String::new()));
                (fields.collect(), Vec::new())
            }
        };
        let mut used = IndexMap::new();
        // One deadline for all the fields of the message.
        let deadline = self
            .fields
            .first()
            .and_then(|f| f.template.limits().deadline)
            .map(|limit| Instant::now() + limit);
        for (field, (_, text)) in self.fields.iter().zip(fields.iter_mut()) {
            let rendered = match deadline {
                Some(at) => field.template.render_until(record, text, at),
                None => field.template.render(record, text),
            };
            match rendered {
                Ok(report) => {
                    if let Some(abort) = report.aborted {
                        return Outcome::Aborted {
                            reason: abort.reason,
                            field: field.name,
                            at: self.file_at(field, &abort.template, abort.at),
                            field_at: abort.at,
                        };
                    }
                    if let Some((library, _)) = &self.snippets {
                        for name in &report.partials {
                            if let Some(snippet) = library.get(name) {
                                used.entry(name.clone())
                                    .or_insert_with(|| snippet.hash_arc());
                            }
                        }
                    }
                    warnings.extend(report.warnings.into_iter().map(|w| {
                        Warning::UndefinedVariable {
                            field: field.name,
                            at: self.file_at(field, &w.template, w.at),
                            file: self.partial_file(field, &w.template),
                            path: w.path,
                            field_at: w.at,
                        }
                    }));
                }
                Err(e) => return Outcome::from(self.failure(field, &e)),
            }
        }
        for (key, _) in &record.event.custom {
            if schema::lookup_input(key).is_none() {
                if let Some(id) = schema::suggest_property(key) {
                    warnings.push(Warning::UnknownProperty {
                        property: key.to_string(),
                        suggestion: id.property().name,
                    });
                }
            }
        }
        let sms = match self.channel {
            Some(channel) => match channel::enforce(channel, rules, &fields) {
                Ok(sms) => sms,
                Err(broken) => return Outcome::Failed(self.broken(broken)),
            },
            None => None,
        };
        Outcome::Rendered {
            fields,
            warnings,
            sms,
            snippets: used,
        }
    }

    fn wrong_event(&self, event: EventKind) -> Outcome {
        let names: Vec<&str> = self.events.iter().map(|e| e.name()).collect();
        Outcome::failed(
            FailureKind::WrongEvent,
            format!(
                "message {} is for {}, not for {:?}",
                self.name,
                names.join(" and "),
                event.name()
            ),
        )
    }

    /// The file of the template called `template`, when it is a partial of `field`'s
    /// (a snippet's file, for a snippet of the message's library), not the field.
    fn partial_file(&self, field: &Field, template: &str) -> Option<Arc<str>> {
        if template == field.template.name() {
            return None;
        }
        let snippet = self.snippet_library().and_then(|l| l.get(template));
        Some(Arc::from(snippet.map_or(template, |s| s.file())))
    }

    /// The line and column in the message file of `at` in `field`'s template (or, for
    /// a place in a partial, in the partial).
    fn file_at(&self, field: &Field, template: &str, at: LineCol) -> LineCol {
        if template != field.template.name() {
            return at;
        }
        match &field.place {
            FieldPlace::Whole => at,
            FieldPlace::Mapped(map) => {
                let offset = at.offset_in(field.template.source());
                self.file.at(map.offset(offset))
            }
            FieldPlace::At(span) => self.file.at(span.start as usize),
        }
    }

    /// The bytes of the message file of `span` in `field`'s template.
    fn file_span(&self, field: &Field, span: Span) -> Span {
        match &field.place {
            FieldPlace::Whole => span,
            FieldPlace::Mapped(map) => map.span(span),
            FieldPlace::At(at) => *at,
        }
    }

    /// A render error of `field` as a failure placed in the file.
    fn failure(&self, field: &Field, e: &LiquidError) -> Failure {
        let in_field = e.template().is_none_or(|t| t == field.template.name());
        let mut failure = Failure {
            help: e.help().map(str::to_owned),
            field: Some(Cow::Borrowed(field.name)),
            ..Failure::new(FailureKind::from(e.kind()), e.message())
        };
        if in_field {
            failure.file = Some(self.file.name.clone());
            failure.field_at = e.line_col();
            if let Some(span) = e.span() {
                let span = self.file_span(field, span);
                failure.span = Some(span);
                failure.at = Some(self.file.at(span.start as usize));
            }
        } else {
            // In a partial: its own file (a snippet's, when it is one) and place.
            failure.file = e.template().and_then(|t| self.partial_file(field, t));
            failure.at = e.line_col();
        }
        failure
    }

    /// A broken channel rule as a failure, placed at its field's value.
    fn broken(&self, broken: channel::Broken) -> Box<Failure> {
        let mut failure = broken.failure;
        failure.file = Some(self.file.name.clone());
        if let Some(name) = broken.field {
            failure.field = Some(Cow::Borrowed(name));
            if let Some(field) = self.fields.iter().find(|f| f.name == name) {
                let span = self.file_span(field, Span::at(0, 0));
                failure.span = Some(span);
                failure.at = Some(self.file.at(span.start as usize));
                failure.field_at = Some(LineCol { line: 1, col: 1 });
            }
        }
        failure
    }

    /// A failure of this message as rustc prints its errors, with the line of the
    /// message file it is on and carets under the place.
    pub fn report(&self, failure: &Failure) -> String {
        let in_file = failure
            .file
            .as_deref()
            .is_none_or(|f| f == &*self.file.name);
        let span = failure.span.filter(|_| in_file);
        file::report_failure(&self.file, failure, span)
    }
}

/// The problems of a loaded message file's snippet names: those of its literal names
/// that fail every record (a snippet missing, for another channel or event, or not
/// passed what it needs), each placed in the file.
fn snippet_problems(loaded: &file::Loaded, library: &Library) -> Vec<Problem> {
    let mut problems = Vec::new();
    for field in &loaded.fields {
        let Ok(template) = &field.compiled else {
            continue;
        };
        let found =
            snippet_lib::check(library, &template.analyze(), loaded.channel, &loaded.events);
        for f in found
            .into_iter()
            .filter(|f| f.literal && f.severity == channel::Severity::Error)
        {
            let span = match &field.map {
                Some(map) => map.span(f.span),
                None => field.value_span.unwrap_or_default(),
            };
            problems.push(Problem {
                kind: snippet_kind(f.kind),
                message: f.message,
                help: f.help,
                field: Some(field.name.clone()),
                span: Some(span),
                at: Some(loaded.file.at(span.start as usize)),
                field_at: Some(f.at),
            });
        }
    }
    problems.sort_by_key(|p| p.span.map_or(0, |s| s.start));
    problems
}

/// The failure kind of a message that names a snippet it cannot render.
fn snippet_kind(kind: FindingKind) -> FailureKind {
    match kind {
        FindingKind::SnippetDepth => FailureKind::LimitExceeded,
        FindingKind::MissingParam | FindingKind::UnknownParam | FindingKind::ParamType => {
            FailureKind::InvalidMessage
        }
        _ => FailureKind::MissingSnippet,
    }
}
