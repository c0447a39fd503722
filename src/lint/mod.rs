//! Lint: static checks of campaign messages and bare templates against the schema,
//! before a campaign goes live; and preview, which renders a message for sample
//! records with the channel checks.
//!
//! ```
//! use promo_liquid::lint::{self, Code};
//! use promo_liquid::promo::{self, schema::EventKind, Settings};
//!
//! let env = promo::environment(&Settings::default());
//! let found = lint::lint_template(
//!     "Use {{ Event['Coupon Cod'] }} by {{ Event['Coupon Expiry Date'] | upcase }}",
//!     &[EventKind::CouponRewarded],
//!     &env,
//! );
//! let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
//! assert_eq!(codes, [Code::UnknownProperty, Code::DateAsText]);
//! assert_eq!(found[0].help.as_deref(), Some("did you mean `Coupon Code`?"));
//! ```
//!
//! Findings are [`Diagnostic`]s: data with a [`Code`], a severity, a message, a help
//! line and a place; [`render`] prints them the way rustc prints its own. The checks
//! (one [`Code`] each):
//!
//! - the template compiles: syntax, unknown tags and filters (with did-you-mean);
//! - every `Event` property is in the schema. An unknown name within two edits of a
//!   known one (`Coupon Cod`), or a camelCase input name (`couponCode`), is an error
//!   with did-you-mean; any other unknown name is a warning, since records may carry
//!   custom properties: "not in the schema (a custom property?)";
//! - every property is on the message's events (`EventName == "..."` tests narrow
//!   them), else an error naming the events that carry it;
//! - a property that may be missing (optional, conditional, or on only some of the
//!   events) and a `Profile` field are not output bare: each needs a `default` or an
//!   `if` (or `unless`, `case`, an earlier `{% if ... %}{% abort %}{% endif %}`, a
//!   `default` it is the fallback of) that proves it set (warnings; see `facts` for
//!   what counts as proof). A record has `Coupon Code` (single-use) or `Coupon Name`
//!   (bulk): where one is proven missing, the other is proven set;
//! - a Date property is not fed to a text filter (`upcase`, `truncate`, `slice`, ...)
//!   where `date` was surely meant, and a String property not to arithmetic (`plus`,
//!   `times`, `money`, ...) (warnings);
//! - no `abort` is unreachable, and no template aborts on every path (warnings).
//!
//! What lint does not follow: values through `assign` and `capture` (an optional
//! property assigned to a variable and output later is not checked), partials, and
//! what one field's `abort` proves for the fields after it.

mod checks;
mod diagnostic;
mod facts;
pub mod preview;
mod snippets;

pub use diagnostic::{Code, Diagnostic, Severity, count, render};
pub use snippets::library_problem;

use std::sync::Arc;

use crate::snippets::Library;

use crate::liquid::{Environment, Template};
use crate::message::FailureKind;
use crate::message::file::{self, Problem};
use crate::promo::schema::EventKind;

/// How many findings a file reports at most, by default: past that, the rest are
/// counted, not listed.
pub const MAX_FINDINGS: usize = 100;

/// Lints a bare template for records of `events` (empty: any event, and then the
/// checks that depend on the event are skipped). Spans are in `source`. A template that
/// does not compile gets every compile error (the parser goes on after each).
pub fn lint_template(source: &str, events: &[EventKind], env: &Environment) -> Vec<Diagnostic> {
    lint_template_with(source, events, env, None)
}

/// Lints a bare template as [`lint_template`] does, and the snippets it names against
/// `snippets` (see [`crate::snippets`] for the checks).
pub fn lint_template_with(
    source: &str,
    events: &[EventKind],
    env: &Environment,
    snippets: Option<&Arc<Library>>,
) -> Vec<Diagnostic> {
    let with_snippets = snippets.map(|l| l.environment(env, None, events));
    let env = with_snippets.as_ref().unwrap_or(env);
    match env.compile("template", source) {
        Ok(template) => {
            let mut found = lint_compiled(&template, events);
            if let Some(library) = snippets {
                found.extend(snippets::check(library, &template.analyze(), None, events));
                sort(&mut found);
            }
            found
        }
        Err(e) => {
            let mut errors = env.errors("template", source);
            if errors.is_empty() {
                errors.push(e);
            }
            errors.iter().map(checks::compile_error).collect()
        }
    }
}

/// Lints a compiled template for records of `events` (empty: any event): its analysis
/// and the checks, with no compile. Spans are in the template's source.
pub fn lint_compiled(template: &Template, events: &[EventKind]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    checks::check(&template.analyze(), events, &mut out);
    sort(&mut out);
    out
}

/// Lints the text of a message file (TOML): every problem of the file (its settings,
/// each bad event name, unknown and missing fields, every compile error of every
/// field), and the checks of every field that compiles, against the events the file
/// names correctly. Spans are in `text`: a finding in a field points at its place
/// inside the field's string.
pub fn lint_message(text: &str, env: &Environment) -> Vec<Diagnostic> {
    lint_message_with(text, env, None)
}

/// Lints a message file as [`lint_message`] does, and the snippets its fields name
/// against `snippets`: every literal name exists, fits the message's channel and
/// events and is passed what it needs; for a name from data, a note lists the snippets
/// it can pick and each is checked (see [`crate::snippets`]).
pub fn lint_message_with(
    text: &str,
    env: &Environment,
    snippets: Option<&Arc<Library>>,
) -> Vec<Diagnostic> {
    let loaded = file::load("message", text, env, snippets);
    let mut out: Vec<Diagnostic> = loaded.problems.iter().map(problem).collect();
    for field in &loaded.fields {
        let Ok(template) = &field.compiled else {
            continue;
        };
        let mut found = Vec::new();
        let analysis = template.analyze();
        checks::check(&analysis, &loaded.events, &mut found);
        if let Some(library) = snippets {
            found.extend(snippets::check(
                library,
                &analysis,
                loaded.channel,
                &loaded.events,
            ));
        }
        for mut d in found {
            d.field = Some(field.name.clone());
            d.field_at = d.at;
            match (d.span, &field.map) {
                (Some(span), Some(map)) => {
                    let span = map.span(span);
                    d.span = Some(span);
                    d.at = Some(loaded.file.at(span.start as usize));
                }
                // No place in the file: the field and its line:col say where.
                _ => {
                    d.span = None;
                    d.at = None;
                }
            }
            out.push(d);
        }
    }
    sort(&mut out);
    out
}

/// A problem of a message file as a finding.
fn problem(p: &Problem) -> Diagnostic {
    let code = match p.kind {
        FailureKind::InvalidMessage => Code::InvalidMessage,
        FailureKind::Syntax => Code::SyntaxError,
        FailureKind::UnknownTag => Code::UnknownTag,
        FailureKind::UnknownFilter => Code::UnknownFilter,
        _ => Code::TemplateError,
    };
    Diagnostic {
        code,
        severity: code.severity(),
        message: p.message.clone(),
        help: p.help.clone(),
        field: p.field.clone(),
        span: p.span,
        at: p.at,
        field_at: p.field_at,
    }
}

fn sort(found: &mut [Diagnostic]) {
    let place = |d: &Diagnostic| d.at.map(|a| (a.line, a.col));
    let field_place = |d: &Diagnostic| d.field_at.map(|a| (a.line, a.col));
    found.sort_by(|a, b| {
        (place(a).cmp(&place(b)))
            .then_with(|| a.field.cmp(&b.field))
            .then_with(|| field_place(a).cmp(&field_place(b)))
            .then_with(|| a.code.cmp(&b.code))
    });
}
