//! Lint of the snippets a template names, against the snippet library: the checks of
//! [`crate::snippets::check`] as findings, and the library's own problems.

use std::sync::Arc;

use super::diagnostic::{Code, Diagnostic};
use crate::liquid::Analysis;
use crate::message::Channel;
use crate::promo::schema::EventKind;
use crate::snippets::{self, FindingKind, Library, Problem};

/// The findings about the snippets `analysis` names, for a message for `channel` and
/// `events`. Spans are in the template.
pub(crate) fn check(
    library: &Arc<Library>,
    analysis: &Analysis,
    channel: Option<Channel>,
    events: &[EventKind],
) -> Vec<Diagnostic> {
    snippets::check(library, analysis, channel, events)
        .into_iter()
        .map(|f| {
            let code = match f.kind {
                FindingKind::MissingSnippet => Code::MissingSnippet,
                FindingKind::SnippetChannel => Code::SnippetChannel,
                FindingKind::SnippetEvent => Code::SnippetEvent,
                FindingKind::MissingParam => Code::MissingParam,
                FindingKind::UnknownParam => Code::UnknownParam,
                FindingKind::ParamType => Code::ParamType,
                FindingKind::SnippetDepth => Code::SnippetDepth,
                _ => Code::ReachableSnippets,
            };
            let mut d = Diagnostic::placed(code, f.message, f.span, f.at);
            d.severity = f.severity;
            d.help = f.help;
            d
        })
        .collect()
}

/// A problem of the snippet library as a finding in its file.
pub fn library_problem(p: &Problem) -> Diagnostic {
    let mut d = Diagnostic::new(Code::SnippetLibrary, p.message.clone(), "", None);
    d.span = p.span;
    d.at = p.at;
    d.help = p.help.clone();
    d
}
