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
//! The fields each channel takes are in [`Channel::fields`].

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;

use crate::liquid::{Environment, Error as LiquidError, ErrorKind, Template};
use crate::promo::record::Record;
use crate::promo::schema::EventKind;

pub mod channel;
mod outcome;

pub use outcome::{FieldWarning, Outcome};

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

    fn from_name(name: &str) -> Option<Channel> {
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
}

/// Why a message could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The file is not valid TOML, or has the wrong shape.
    #[error("{name}: {message}")]
    Toml {
        /// The message name.
        name: String,
        /// The TOML parser's description, with its place.
        message: String,
    },
    /// A value is not one the message format allows.
    #[error("{name}: {what}: expected {expected}, found {found:?}")]
    Invalid {
        /// The message name.
        name: String,
        /// Which setting.
        what: &'static str,
        /// What is allowed.
        expected: String,
        /// What came.
        found: String,
    },
    /// A field's template does not compile.
    #[error("{name}: field \"{field}\": {error}")]
    Template {
        /// The message name.
        name: String,
        /// The field.
        field: &'static str,
        /// The compile error.
        error: LiquidError,
    },
}

impl MessageError {
    /// The template compile error behind this error, if that is what it is.
    pub fn liquid(&self) -> Option<&LiquidError> {
        match self {
            MessageError::Template { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageFile {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    events: Vec<String>,
    channel: String,
    fields: IndexMap<String, String>,
}

impl Message {
    /// Loads a message from the text of a TOML message file called `name`.
    pub fn from_toml(name: &str, text: &str, env: &Environment) -> Result<Message, MessageError> {
        let file: MessageFile = toml::from_str(text).map_err(|e| MessageError::Toml {
            name: name.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let invalid = |what, expected: String, found: &str| MessageError::Invalid {
            name: name.to_owned(),
            what,
            expected,
            found: found.to_owned(),
        };
        let channel = Channel::from_name(&file.channel).ok_or_else(|| {
            let names: Vec<_> = Channel::ALL.iter().map(|c| c.name()).collect();
            invalid(
                "channel",
                format!("one of {}", names.join(", ")),
                &file.channel,
            )
        })?;
        let mut events = Vec::new();
        for event in file.event.iter().chain(&file.events) {
            let kind = EventKind::from_name(event).ok_or_else(|| {
                invalid(
                    "event",
                    format!(
                        "one of the six promo events (did you mean {:?}?)",
                        EventKind::nearest(event).name()
                    ),
                    event,
                )
            })?;
            if !events.contains(&kind) {
                events.push(kind);
            }
        }
        if events.is_empty() {
            return Err(invalid(
                "event",
                "`event = \"...\"` or `events = [...]`".into(),
                "",
            ));
        }
        let specs = channel.fields();
        if let Some(unknown) = file
            .fields
            .keys()
            .find(|k| !specs.iter().any(|s| s.name == k.as_str()))
        {
            let allowed: Vec<_> = specs.iter().map(|s| s.name).collect();
            return Err(invalid(
                "field",
                format!("a {channel} field ({})", allowed.join(", ")),
                unknown,
            ));
        }
        let mut fields = Vec::new();
        for spec in specs {
            match file.fields.get(spec.name) {
                Some(source) => fields.push(compile_field(env, name, spec.name, source)?),
                None if spec.required => {
                    return Err(invalid(
                        "fields",
                        format!("a \"{}\" field, which {channel} messages need", spec.name),
                        "",
                    ));
                }
                None => {}
            }
        }
        Ok(Message {
            name: Arc::from(name),
            events,
            channel: Some(channel),
            fields,
        })
    }

    /// A bare Liquid template as a message with one field, `text`, for any event.
    pub fn from_template(
        name: &str,
        source: &str,
        env: &Environment,
    ) -> Result<Message, MessageError> {
        Ok(Message {
            name: Arc::from(name),
            events: Vec::new(),
            channel: None,
            fields: vec![compile_field(env, name, "text", source)?],
        })
    }

    /// Whether the message is for records of `event`.
    pub fn accepts(&self, event: EventKind) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }

    /// Renders every field against `record`.
    pub fn render(&self, record: &Record<'_>) -> Outcome {
        self.render_reusing(record, None)
    }

    /// Renders like [`Message::render`], into the buffers of `spare`, an outcome this
    /// message rendered before and that is done with: a loop over many records keeps
    /// its field texts' allocations from one record to the next.
    pub fn render_reusing(&self, record: &Record<'_>, spare: Option<Outcome>) -> Outcome {
        if !self.accepts(record.event.kind) {
            return Outcome::wrong_event(self, record.event.kind);
        }
        let (mut fields, mut warnings) = match spare {
            Some(Outcome::Rendered {
                mut fields,
                mut warnings,
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
                            at: abort.at,
                        };
                    }
                    warnings.extend(report.warnings.into_iter().map(|w| FieldWarning {
                        field: field.name,
                        path: w.path,
                        at: w.at,
                    }));
                }
                Err(e) => return Outcome::from_error(field.name, &e),
            }
        }
        Outcome::Rendered { fields, warnings }
    }
}

fn compile_field(
    env: &Environment,
    message: &str,
    field: &'static str,
    source: &str,
) -> Result<Field, MessageError> {
    let template = env
        .compile(field, source)
        .map_err(|error| MessageError::Template {
            name: message.to_owned(),
            field,
            error,
        })?;
    Ok(Field {
        name: field,
        template,
    })
}

/// The kind of a failure, as outcomes name it.
pub fn failure_kind(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => "syntax",
        ErrorKind::UnknownTag => "unknown_tag",
        ErrorKind::UnknownFilter => "unknown_filter",
        ErrorKind::UndefinedVariable => "undefined_variable",
        ErrorKind::Filter => "filter",
        ErrorKind::Type => "type",
        ErrorKind::PartialNotFound => "partial_not_found",
        ErrorKind::LimitExceeded => "limit_exceeded",
    }
}
