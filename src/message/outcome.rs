//! The one outcome of rendering a message for a record.

use indexmap::IndexMap;
use serde::Serialize;

use super::{Message, failure_kind};
use crate::liquid::{Error as LiquidError, LineCol};
use crate::promo::schema::EventKind;

/// An undefined path that a field output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldWarning {
    /// The field.
    pub field: &'static str,
    /// The path as written.
    pub path: String,
    /// Where it is in the field's template.
    pub at: LineCol,
}

/// What became of one record: rendered, aborted or failed. Serializes as the JSON object
/// the CLI prints: `{"outcome": "rendered", "fields": {...}, "warnings": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Every field rendered.
    Rendered {
        /// Each field's text, in the channel's order.
        #[schema(value_type = std::collections::HashMap<String, String>)]
        fields: IndexMap<&'static str, String>,
        /// Undefined paths that were output (lenient policy).
        warnings: Vec<FieldWarning>,
    },
    /// A field reached `{% abort %}`: the message is not to be sent.
    Aborted {
        /// The reason given.
        reason: Option<String>,
        /// The field that aborted.
        field: &'static str,
        /// Where the `abort` is.
        at: LineCol,
    },
    /// The record could not be rendered.
    Failed {
        /// What kind of failure: `invalid_record`, `wrong_event`, `undefined_variable`, ...
        kind: &'static str,
        /// What went wrong, in one line.
        message: String,
        /// The field that failed, when a field did.
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<&'static str>,
        /// Where in the field's template.
        #[serde(skip_serializing_if = "Option::is_none")]
        at: Option<LineCol>,
    },
}

impl Outcome {
    /// A failure that is not about a template: a bad record, a wrong event.
    pub fn failed(kind: &'static str, message: impl Into<String>) -> Outcome {
        Outcome::Failed {
            kind,
            message: message.into(),
            field: None,
            at: None,
        }
    }

    pub(super) fn wrong_event(message: &Message, event: EventKind) -> Outcome {
        let names: Vec<&str> = message.events.iter().map(|e| e.name()).collect();
        Outcome::failed(
            "wrong_event",
            format!(
                "message {} is for {}, not for {:?}",
                message.name,
                names.join(" and "),
                event.name()
            ),
        )
    }

    pub(super) fn from_error(field: &'static str, e: &LiquidError) -> Outcome {
        Outcome::Failed {
            kind: failure_kind(e.kind()),
            message: e.message().to_owned(),
            field: Some(field),
            at: e.line_col(),
        }
    }

    /// `rendered`, `aborted` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Rendered { .. } => "rendered",
            Outcome::Aborted { .. } => "aborted",
            Outcome::Failed { .. } => "failed",
        }
    }
}
