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
mod message_file;
pub mod preview;

pub use diagnostic::{Code, Diagnostic, Severity, count, render};

use crate::liquid::{Environment, LineIndex, Span, Template};
use crate::message::{Message, MessageError};
use crate::promo::schema::EventKind;

/// Lints a bare template for records of `events` (empty: any event, and then the
/// checks that depend on the event are skipped). Spans are in `source`.
pub fn lint_template(source: &str, events: &[EventKind], env: &Environment) -> Vec<Diagnostic> {
    match env.compile("template", source) {
        Ok(template) => lint_compiled(&template, events),
        Err(e) => vec![checks::compile_error(&e, source)],
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

/// Lints the text of a message file (TOML). Spans are in `text`: a finding in a field
/// points at its place inside the field's string.
pub fn lint_message(text: &str, env: &Environment) -> Vec<Diagnostic> {
    let file = match message_file::parse(text) {
        Ok(file) => file,
        Err((message, span)) => {
            return vec![Diagnostic::new(Code::InvalidMessage, message, text, span)];
        }
    };
    // The message's own loader decides what a valid message is; when every field
    // compiles, its templates are the ones to analyze.
    let message = match Message::from_toml("message", text, env) {
        Ok(message) => Some(message),
        Err(e) if e.liquid().is_some() => None,
        Err(e) => return vec![invalid_message(&e, &file, text)],
    };
    let events: Vec<EventKind> = file
        .event
        .iter()
        .chain(&file.events)
        .filter_map(|e| EventKind::from_name(e.get_ref()))
        .collect();
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for (name, value) in &file.fields {
        let source = value.get_ref();
        let compiled = message
            .iter()
            .flat_map(|m| &m.fields)
            .find(|f| f.name == name.get_ref())
            .map(|f| Ok(f.template.clone()))
            .unwrap_or_else(|| env.compile(name.get_ref(), source));
        let mut found = Vec::new();
        match compiled {
            Ok(template) => checks::check(&template.analyze(), &events, &mut found),
            Err(e) => found.push(checks::compile_error(&e, source)),
        }
        let map = message_file::FieldMap::new(text, value.span(), source);
        for mut d in found {
            d.field = Some(name.get_ref().clone());
            d.field_at = d.at;
            match (d.span, &map) {
                (Some(span), Some(map)) => {
                    let span = map.span(span);
                    d.span = Some(span);
                    d.at = Some(lines.at(text, span.start as usize));
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

fn invalid_message(e: &MessageError, file: &message_file::MessageFile, text: &str) -> Diagnostic {
    let (message, span, help) = match e {
        MessageError::Invalid {
            what,
            expected,
            found,
            ..
        } => {
            let span = match *what {
                "channel" => Some(file.channel.span()),
                "event" => file
                    .event
                    .iter()
                    .chain(&file.events)
                    .find(|e| e.get_ref() == found)
                    .map(|e| e.span()),
                "field" => file
                    .fields
                    .keys()
                    .find(|k| k.get_ref() == found)
                    .map(|k| k.span()),
                "fields" => text
                    .find("[fields]")
                    .map(|start| start..start + "[fields]".len()),
                _ => None,
            };
            let (expected, help) = match expected.split_once(" (did you mean ") {
                Some((expected, near)) => (
                    expected.to_owned(),
                    Some(format!("did you mean {}", near.trim_end_matches(')'))),
                ),
                None => (expected.clone(), None),
            };
            let message = if found.is_empty() {
                format!("{what}: expected {expected}")
            } else {
                format!("{what}: expected {expected}, found {found:?}")
            };
            (message, span, help)
        }
        other => (other.to_string(), None, None),
    };
    let mut d = Diagnostic::new(
        Code::InvalidMessage,
        message,
        text,
        span.map(|r| Span::new(r.start, r.end)),
    );
    d.help = help;
    d
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
