//! Lint findings as data, and their rustc-style text.

use std::fmt;

use serde::Serialize;

use crate::liquid::{LineCol, Span};
pub use crate::message::channel::Severity;
use crate::message::file::Located;

/// What a finding is about. Each code has one severity, except where its doc says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// Error: the message file is not valid TOML or not a valid message (an unknown
    /// channel or event, a field the channel does not take, a required field missing).
    InvalidMessage,
    /// Error: the template does not parse.
    SyntaxError,
    /// Error: a tag Liquid does not have.
    UnknownTag,
    /// Error: a filter the environment does not have.
    UnknownFilter,
    /// Error: the template cannot compile for another reason (a limit).
    TemplateError,
    /// Error: a root name other than `Event`, `EventName` and `Profile`, or a name
    /// bound by the template: always empty.
    UnknownGlobal,
    /// Error: an `Event` property the schema does not know, close to one it knows (a
    /// typo), or written by its input (camelCase) name.
    UnknownProperty,
    /// Warning: an `Event` property the schema does not know and that is not close to
    /// one it knows: a custom property, present only when records carry it.
    CustomProperty,
    /// Error: a schema property that none of the message's events carries.
    NotOnEvent,
    /// Warning: a property that may be missing (optional, conditional, or not on every
    /// event of the message) output with no `default` and no `if` that proves it set.
    MaybeMissing,
    /// Warning: a `Profile` field output with no `default` and no `if`.
    ProfileWithoutDefault,
    /// Warning: a Date property fed to a text filter where `date` was surely meant.
    DateAsText,
    /// Warning: a String property fed to arithmetic.
    TextAsNumber,
    /// Warning: an `abort` that no path reaches.
    UnreachableAbort,
    /// Warning: every path through a template reaches an `abort`.
    AlwaysAborts,
    /// Error: a snippet named literally that the library does not have, or a name
    /// from data that can pick no snippet.
    MissingSnippet,
    /// Error: a snippet for other channels, or an HTML snippet in a plain-text channel.
    SnippetChannel,
    /// Error: a snippet for other events; a warning when it is for only some of the
    /// message's events.
    SnippetEvent,
    /// Error: a required parameter of a snippet that the call does not pass.
    MissingParam,
    /// Error: an argument no snippet the call can render takes.
    UnknownParam,
    /// Error: an argument of the wrong type for the snippet's parameter.
    ParamType,
    /// Error: snippets that nest deeper than the library's limit.
    SnippetDepth,
    /// Note: the snippets a name from data can pick.
    ReachableSnippets,
    /// Error: a problem of the snippet library itself (a snippet that does not
    /// compile, reads an undeclared parameter, or a sidecar that does not read).
    SnippetLibrary,
}

impl Code {
    /// The code's name, as printed in `error[name]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidMessage => "invalid_message",
            Code::SyntaxError => "syntax",
            Code::UnknownTag => "unknown_tag",
            Code::UnknownFilter => "unknown_filter",
            Code::TemplateError => "template_error",
            Code::UnknownGlobal => "unknown_global",
            Code::UnknownProperty => "unknown_property",
            Code::CustomProperty => "custom_property",
            Code::NotOnEvent => "not_on_event",
            Code::MaybeMissing => "maybe_missing",
            Code::ProfileWithoutDefault => "profile_without_default",
            Code::DateAsText => "date_as_text",
            Code::TextAsNumber => "text_as_number",
            Code::UnreachableAbort => "unreachable_abort",
            Code::AlwaysAborts => "always_aborts",
            Code::MissingSnippet => "missing_snippet",
            Code::SnippetChannel => "snippet_channel",
            Code::SnippetEvent => "snippet_event",
            Code::MissingParam => "missing_param",
            Code::UnknownParam => "unknown_param",
            Code::ParamType => "param_type",
            Code::SnippetDepth => "snippet_depth",
            Code::ReachableSnippets => "reachable_snippets",
            Code::SnippetLibrary => "snippet_library",
        }
    }

    /// How serious findings of this code are.
    pub fn severity(self) -> Severity {
        match self {
            Code::InvalidMessage
            | Code::SyntaxError
            | Code::UnknownTag
            | Code::UnknownFilter
            | Code::TemplateError
            | Code::UnknownGlobal
            | Code::UnknownProperty
            | Code::NotOnEvent
            | Code::MissingSnippet
            | Code::SnippetChannel
            | Code::SnippetEvent
            | Code::MissingParam
            | Code::UnknownParam
            | Code::ParamType
            | Code::SnippetDepth
            | Code::SnippetLibrary => Severity::Error,
            Code::ReachableSnippets => Severity::Note,
            Code::CustomProperty
            | Code::MaybeMissing
            | Code::ProfileWithoutDefault
            | Code::DateAsText
            | Code::TextAsNumber
            | Code::UnreachableAbort
            | Code::AlwaysAborts => Severity::Warning,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding of lint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Diagnostic {
    /// What it is about.
    #[schema(value_type = String, example = "unknown-property")]
    pub code: Code,
    /// Error or warning (the code's).
    pub severity: Severity,
    /// What is wrong, in one line.
    pub message: String,
    /// How to fix it, when there is something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The message field it is in, for message files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where it is in the linted file (bytes), when it has a place there.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "span")]
    #[schema(value_type = Option<Vec<u32>>, min_items = 2, max_items = 2)]
    pub span: Option<Span>,
    /// The line and column of `span` in the linted file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<LineCol>,
    /// The line and column in the field's template (for message files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_at: Option<LineCol>,
}

fn span<S: serde::Serializer>(span: &Option<Span>, s: S) -> Result<S::Ok, S::Error> {
    match span {
        Some(span) => [span.start, span.end].serialize(s),
        None => s.serialize_none(),
    }
}

impl Diagnostic {
    /// A finding of `code` with `message`, at `span` of `source` (if any).
    pub fn new(code: Code, message: impl Into<String>, source: &str, span: Option<Span>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            help: None,
            field: None,
            span,
            at: span.map(|s| LineCol::of(source, s.start as usize)),
            field_at: None,
        }
    }

    /// A finding whose line and column are known already.
    pub(crate) fn placed(code: Code, message: impl Into<String>, span: Span, at: LineCol) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            help: None,
            field: None,
            span: Some(span),
            at: Some(at),
            field_at: None,
        }
    }

    /// The same finding with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// How many errors and warnings `diagnostics` hold (notes are neither).
pub fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let of = |severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    (of(Severity::Error), of(Severity::Warning))
}

/// The diagnostics of the file called `name` with text `source`, as rustc prints its
/// own: the severity and code, the message, `--> name:line:col`, the source line in a
/// gutter with carets under the span, and `= help:`. Each ends with a blank line.
pub fn render(name: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        Located {
            severity: d.severity.as_str(),
            code: d.code.as_str(),
            message: &d.message,
            help: d.help.as_deref(),
            span: d.span,
            at: d.at,
            field: d.field.as_deref(),
            field_at: d.field_at,
        }
        .write(name, source, &mut out);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let source = "a = 1\nbody = \"{{ x | upcse }}\"\n";
        let d = Diagnostic::new(
            Code::UnknownFilter,
            "unknown filter \"upcse\"",
            source,
            Some(Span::at(20, 5)),
        )
        .with_help("did you mean \"upcase\"?");
        assert_eq!(
            render("m.toml", source, &[d]),
            "error[unknown_filter]: unknown filter \"upcse\"\n \
             --> m.toml:2:15\n  \
             |\n\
             2 | body = \"{{ x | upcse }}\"\n  \
             |               ^^^^^\n  \
             = help: did you mean \"upcase\"?\n\n"
        );
    }

    #[test]
    fn a_finding_placed_only_in_its_field_names_the_field() {
        let mut d = Diagnostic::new(Code::MaybeMissing, "`Coupon Code` is set ...", "", None);
        d.field = Some("body".into());
        d.field_at = Some(LineCol { line: 2, col: 4 });
        assert_eq!(
            render("m.toml", "", &[d]),
            "warning[maybe_missing]: `Coupon Code` is set ...\n --> m.toml: field `body`, line 2:4\n\n"
        );
    }

    #[test]
    fn a_finding_without_a_place_names_the_file() {
        let d = Diagnostic::new(Code::InvalidMessage, "channel: expected push", "", None);
        assert_eq!(
            render("m.toml", "", &[d]),
            "error[invalid_message]: channel: expected push\n --> m.toml\n\n"
        );
    }
}
