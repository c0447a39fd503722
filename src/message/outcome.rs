//! The one outcome of rendering a message for a record, and the one enum of the ways
//! it can fail.
//!
//! Outcomes serialize as the JSON objects every front end prints (`render --format
//! json`, each line of `batch`, the HTTP service and the stream worker), so the same
//! input gives the same bytes everywhere:
//!
//! ```json
//! {"outcome": "rendered", "fields": {"body": "..."}, "warnings": [], "sms": {"encoding": "GSM-7", "characters": 40, "units": 40, "segments": 1, "forced_by": []}}
//! {"outcome": "rendered", "fields": {"body": "..."}, "warnings": [], "snippets": {"amazon_pay": "5f1c0e7b9a2d4c61"}}
//! {"outcome": "aborted", "reason": "no points moved", "field": "title", "at": {"line": 6, "col": 10}, "field_at": {"line": 1, "col": 1}}
//! {"outcome": "failed", "kind": "unknown_filter", "message": "unknown filter \"upcse\"", "help": "did you mean \"upcase\"?", "field": "body", "at": {"line": 6, "col": 20}, "field_at": {"line": 1, "col": 13}}
//! {"outcome": "failed", "kind": "payload_too_large", "message": "...", "apns_bytes": 5301, "fcm_bytes": 5312, "limit": 4096}
//! ```
//!
//! Positions: `at` is the line and column in the file the author edits (the message
//! file; for a bare template, the template), `field_at` the line and column inside the
//! field's template. `sms` is in every rendered SMS outcome; `snippets` in every
//! rendered outcome that used snippets of a library (name and content hash).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::channel::SmsCheck;
use crate::liquid::{ErrorKind, LineCol, Span};
use crate::promo::record::RecordError;

/// Every way a record can fail, as outcomes name it (`"kind": "invalid_json"`): the
/// same names in the library, `render`, `batch` and every JSON output.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// The input line is longer than the batch's limit (it was skipped unread).
    LineTooLong,
    /// The input line is not UTF-8.
    InvalidUtf8,
    /// The input is not JSON.
    InvalidJson,
    /// The input is JSON but not a valid record: not an object, an unknown event, a
    /// property of the wrong type, an impossible date, a required property missing.
    InvalidRecord,
    /// The record's event is not one the message is for.
    WrongEvent,
    /// A stream entry (worker) that carries no record, or names a message the worker
    /// does not have.
    InvalidEntry,
    /// The message file is not a valid message (TOML, channel, events, fields).
    InvalidMessage,
    /// A template does not parse.
    Syntax,
    /// A template uses a tag Liquid does not have.
    UnknownTag,
    /// A template uses a filter the environment does not have.
    UnknownFilter,
    /// An undefined value was output under the strict policy.
    UndefinedVariable,
    /// A filter failed on its input or arguments.
    Filter,
    /// A value of the wrong type for an operation.
    Type,
    /// A partial that cannot be found.
    PartialNotFound,
    /// A `snippet` tag named a snippet the library does not have (or that is not for
    /// this message's channel or event), and the message gave no fallback.
    MissingSnippet,
    /// A render limit was reached.
    LimitExceeded,
    /// A push payload (APNs or FCM) is over the limit.
    PayloadTooLarge,
    /// An SMS takes more segments than allowed.
    TooManySegments,
    /// A field the channel requires rendered empty (or only white space).
    EmptyField,
    /// promo-liquid itself failed on this record (a bug: a panic caught at the record's
    /// boundary). The record failed alone; the records around it were not touched.
    Internal,
}

impl FailureKind {
    /// Every kind.
    pub const ALL: [FailureKind; 20] = [
        FailureKind::LineTooLong,
        FailureKind::InvalidUtf8,
        FailureKind::InvalidJson,
        FailureKind::InvalidRecord,
        FailureKind::WrongEvent,
        FailureKind::InvalidEntry,
        FailureKind::InvalidMessage,
        FailureKind::Syntax,
        FailureKind::UnknownTag,
        FailureKind::UnknownFilter,
        FailureKind::UndefinedVariable,
        FailureKind::Filter,
        FailureKind::Type,
        FailureKind::PartialNotFound,
        FailureKind::MissingSnippet,
        FailureKind::LimitExceeded,
        FailureKind::PayloadTooLarge,
        FailureKind::TooManySegments,
        FailureKind::EmptyField,
        FailureKind::Internal,
    ];

    /// The kind's name: `invalid_json`, `payload_too_large`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::LineTooLong => "line_too_long",
            FailureKind::InvalidUtf8 => "invalid_utf8",
            FailureKind::InvalidJson => "invalid_json",
            FailureKind::InvalidRecord => "invalid_record",
            FailureKind::WrongEvent => "wrong_event",
            FailureKind::InvalidEntry => "invalid_entry",
            FailureKind::InvalidMessage => "invalid_message",
            FailureKind::Syntax => "syntax",
            FailureKind::UnknownTag => "unknown_tag",
            FailureKind::UnknownFilter => "unknown_filter",
            FailureKind::UndefinedVariable => "undefined_variable",
            FailureKind::Filter => "filter",
            FailureKind::Type => "type",
            FailureKind::PartialNotFound => "partial_not_found",
            FailureKind::MissingSnippet => "missing_snippet",
            FailureKind::LimitExceeded => "limit_exceeded",
            FailureKind::PayloadTooLarge => "payload_too_large",
            FailureKind::TooManySegments => "too_many_segments",
            FailureKind::EmptyField => "empty_field",
            FailureKind::Internal => "internal",
        }
    }
}

impl From<ErrorKind> for FailureKind {
    fn from(kind: ErrorKind) -> FailureKind {
        match kind {
            ErrorKind::Syntax => FailureKind::Syntax,
            ErrorKind::UnknownTag => FailureKind::UnknownTag,
            ErrorKind::UnknownFilter => FailureKind::UnknownFilter,
            ErrorKind::UndefinedVariable => FailureKind::UndefinedVariable,
            ErrorKind::Filter => FailureKind::Filter,
            ErrorKind::Type => FailureKind::Type,
            ErrorKind::PartialNotFound => FailureKind::PartialNotFound,
            ErrorKind::MissingSnippet => FailureKind::MissingSnippet,
            ErrorKind::LimitExceeded => FailureKind::LimitExceeded,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The numbers behind a failure, for the kinds that have them. Serialized into the
/// failure's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Details {
    /// `payload_too_large`: the payloads' sizes and the limit, in bytes.
    Payload {
        /// The APNs payload's size.
        apns_bytes: usize,
        /// The FCM payload's size.
        fcm_bytes: usize,
        /// The most either service takes.
        limit: usize,
    },
    /// `too_many_segments`: the SMS's encoding and segments, and the most allowed.
    Segments {
        /// The most segments allowed.
        max_segments: usize,
        /// The SMS's encoding, length and segments.
        sms: SmsCheck,
    },
    /// `invalid_record` for a record lacking required properties: their names.
    Missing {
        /// The canonical names of the missing properties.
        missing: Vec<&'static str>,
    },
}

/// Why a record was not rendered: the `failed` outcome.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// What went wrong, in one line.
    pub message: String,
    /// How to fix it, when there is something to say (a did-you-mean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The field that failed, when a field did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub field: Option<Cow<'static, str>>,
    /// Where, in the file the author edits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<LineCol>,
    /// Where, in the field's template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_at: Option<LineCol>,
    /// The numbers, for the kinds that have them.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
    /// The file `at` is in (not serialized: the caller knows what it rendered).
    #[serde(skip)]
    #[schema(ignore)]
    pub file: Option<Arc<str>>,
    /// The bytes of the file `at` is about, for a report with the source line.
    #[serde(skip)]
    #[schema(ignore)]
    pub span: Option<Span>,
}

impl Failure {
    /// A failure of `kind` with `message` and nothing else.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            help: None,
            field: None,
            at: None,
            field_at: None,
            details: None,
            file: None,
            span: None,
        }
    }

    /// A record that could not be read: `invalid_json` for text that is not JSON,
    /// `invalid_record` for the rest, with the missing properties' names when that is
    /// what it is.
    pub fn from_record_error(e: &RecordError) -> Failure {
        let kind = match e {
            RecordError::Json { .. } => FailureKind::InvalidJson,
            _ => FailureKind::InvalidRecord,
        };
        let mut failure = Failure::new(kind, e.to_string());
        if let RecordError::MissingProperties { missing, .. } = e {
            failure.details = Some(Details::Missing {
                missing: missing.clone(),
            });
            failure.help = Some(
                "the event always carries these; for a feed known to be partial, allow missing properties (`--allow-missing`, `Settings::allow_missing`)".into(),
            );
        }
        failure
    }

    /// Where the failure is, for people: `coupon.toml:6:20 (field body, 1:13)`, or
    /// `field body` when the field has no place. Empty when it has no place at all.
    pub fn place(&self) -> String {
        let mut place = match (&self.file, self.at) {
            (Some(file), Some(at)) => format!("{file}:{at}"),
            (None, Some(at)) => at.to_string(),
            (Some(file), None) if self.field.is_some() => file.to_string(),
            _ => String::new(),
        };
        if let Some(field) = &self.field {
            let inner = match self.field_at {
                Some(at) => format!("field {field}, {at}"),
                None => format!("field {field}"),
            };
            place = if place.is_empty() {
                inner
            } else {
                format!("{place} ({inner})")
            };
        }
        place
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed[{}]: {}", self.kind, self.message)?;
        let place = self.place();
        if !place.is_empty() {
            write!(f, " at {place}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

/// Something worth knowing about a rendered record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// An undefined path was output (lenient policy): it rendered as nothing.
    UndefinedVariable {
        /// The field.
        field: &'static str,
        /// The path as written.
        path: String,
        /// Where, in the file the author edits.
        at: LineCol,
        /// Where, in the field's template.
        field_at: LineCol,
        /// The file of the snippet (or partial) the path is in, when it is in one:
        /// then `at` and `field_at` are its line and column there.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<String>)]
        file: Option<Arc<str>>,
    },
    /// A record key that is not in the schema but is close to a schema name: kept as
    /// a custom property, and probably meant for the property suggested.
    UnknownProperty {
        /// The key as the record has it.
        property: String,
        /// The property's canonical name.
        suggestion: &'static str,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UndefinedVariable {
                field,
                path,
                at,
                field_at,
                file: None,
            } => write!(
                f,
                "`{path}` is undefined and rendered as nothing at {at} (field {field}, {field_at})"
            ),
            Warning::UndefinedVariable {
                field,
                path,
                at,
                file: Some(file),
                ..
            } => write!(
                f,
                "`{path}` is undefined and rendered as nothing at {file}:{at} (field {field})"
            ),
            Warning::UnknownProperty {
                property,
                suggestion,
            } => write!(
                f,
                "property {property:?} is not in the schema (kept as a custom property); did you mean {suggestion:?}?"
            ),
        }
    }
}

/// What became of one record: rendered, aborted or failed. Serializes as the JSON object
/// every front end prints: `{"outcome": "rendered" | "aborted" | "failed", ...}` (the
/// README's Outcomes section has them all).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Every field rendered, and the message keeps its channel's rules.
    Rendered {
        /// Each field's text, in the channel's order.
        #[schema(value_type = std::collections::HashMap<String, String>)]
        fields: IndexMap<&'static str, String>,
        /// Undefined paths that were output (lenient policy), record keys that look
        /// like misspelt properties.
        warnings: Vec<Warning>,
        /// For an SMS: its encoding, length and segments (what it is billed as).
        #[serde(skip_serializing_if = "Option::is_none")]
        sms: Option<SmsCheck>,
        /// The snippets the render used, by name, with their content hashes (see
        /// [`crate::snippets`]); absent when it used none.
        #[serde(skip_serializing_if = "IndexMap::is_empty")]
        #[schema(value_type = std::collections::HashMap<String, String>)]
        snippets: IndexMap<Arc<str>, Arc<str>>,
    },
    /// A field reached `{% abort %}`: the message is not to be sent.
    Aborted {
        /// The reason given.
        reason: Option<String>,
        /// The field that aborted.
        field: &'static str,
        /// Where the `abort` is, in the file the author edits.
        at: LineCol,
        /// Where the `abort` is, in the field's template.
        field_at: LineCol,
    },
    /// The record could not be rendered, or what it rendered may not be sent.
    Failed(Box<Failure>),
}

impl Outcome {
    /// A failure that is not about a template: a bad record, a wrong event.
    pub fn failed(kind: FailureKind, message: impl Into<String>) -> Outcome {
        Outcome::Failed(Box::new(Failure::new(kind, message)))
    }

    /// `rendered`, `aborted` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Rendered { .. } => "rendered",
            Outcome::Aborted { .. } => "aborted",
            Outcome::Failed(_) => "failed",
        }
    }

    /// The failure, for a failed outcome.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed(f) => Some(f),
            _ => None,
        }
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Outcome {
        Outcome::Failed(Box::new(failure))
    }
}

/// For people: a rendered outcome is each field as `name: text` (a field of several
/// lines as an indented block), the SMS line and the warnings; the others are one line.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Rendered {
                fields,
                warnings,
                sms,
                snippets,
            } => {
                for (name, text) in fields {
                    if text.contains('\n') {
                        writeln!(f, "{name}: |")?;
                        for line in text.lines() {
                            writeln!(f, "  {line}")?;
                        }
                    } else {
                        writeln!(f, "{name}: {text}")?;
                    }
                }
                if let Some(sms) = sms {
                    writeln!(f, "sms: {sms}")?;
                }
                if !snippets.is_empty() {
                    let used: Vec<String> =
                        snippets.iter().map(|(n, h)| format!("{n} {h}")).collect();
                    writeln!(f, "snippets: {}", used.join(", "))?;
                }
                for w in warnings {
                    writeln!(f, "warning: {w}")?;
                }
                Ok(())
            }
            Outcome::Aborted {
                reason,
                field,
                at,
                field_at,
            } => {
                let reason = reason.as_deref().unwrap_or("no reason given");
                write!(f, "aborted: {reason} at {at} (field {field}, {field_at})")
            }
            Outcome::Failed(failure) => write!(f, "{failure}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_names() {
        for kind in FailureKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
            let back: FailureKind = serde_json::from_str(&format!("\"{kind}\"")).unwrap();
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn template_kinds_keep_the_language_layer_codes() {
        for kind in [
            ErrorKind::Syntax,
            ErrorKind::UnknownTag,
            ErrorKind::UnknownFilter,
            ErrorKind::UndefinedVariable,
            ErrorKind::Filter,
            ErrorKind::Type,
            ErrorKind::PartialNotFound,
            ErrorKind::MissingSnippet,
            ErrorKind::LimitExceeded,
        ] {
            assert_eq!(FailureKind::from(kind).as_str(), kind.code());
        }
    }

    #[test]
    fn a_failure_serializes_its_numbers_flat() {
        let mut failure = Failure::new(FailureKind::PayloadTooLarge, "too large");
        failure.details = Some(Details::Payload {
            apns_bytes: 5301,
            fcm_bytes: 5312,
            limit: 4096,
        });
        assert_eq!(
            serde_json::to_string(&Outcome::from(failure)).unwrap(),
            r#"{"outcome":"failed","kind":"payload_too_large","message":"too large","apns_bytes":5301,"fcm_bytes":5312,"limit":4096}"#
        );
    }

    #[test]
    fn a_failure_displays_its_place_in_the_file() {
        let mut failure = Failure::new(FailureKind::UnknownFilter, "unknown filter \"upcse\"");
        failure.help = Some("did you mean \"upcase\"?".into());
        failure.field = Some("body".into());
        failure.at = Some(LineCol { line: 6, col: 20 });
        failure.field_at = Some(LineCol { line: 1, col: 13 });
        failure.file = Some(Arc::from("coupon.toml"));
        assert_eq!(
            Outcome::from(failure).to_string(),
            "failed[unknown_filter]: unknown filter \"upcse\" at coupon.toml:6:20 (field body, 1:13); did you mean \"upcase\"?"
        );
    }
}
