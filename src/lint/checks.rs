//! The checks of one compiled template against the schema, from its static analysis.
//! Spans are in the template's source; the caller places them in the file.

use std::collections::HashSet;

use super::diagnostic::{Code, Diagnostic};
use super::facts::{self, Target};
use crate::liquid::{
    Analysis, Error as LiquidError, ErrorKind, FilterUse, PathPart, Span, Usage, Variable, suggest,
};
use crate::promo::schema::{self, DataType, EventKind, Presence, Property, PropertyId};

/// The globals a record gives a template.
const GLOBALS: [&str; 3] = ["Event", "EventName", "Profile"];

/// Text filters that make no sense on a date's text: `date` was surely meant.
const TEXT_FILTERS: &[&str] = &[
    "append",
    "capitalize",
    "downcase",
    "prepend",
    "remove",
    "remove_first",
    "remove_last",
    "replace",
    "replace_first",
    "replace_last",
    "slice",
    "split",
    "truncate",
    "truncatewords",
    "upcase",
];

/// Filters that do arithmetic on their input or format it as a number.
const NUMBER_FILTERS: &[&str] = &[
    "abs",
    "at_least",
    "at_most",
    "ceil",
    "divided_by",
    "floor",
    "minus",
    "modulo",
    "money",
    "number_with_delimiter",
    "plus",
    "round",
    "times",
];

/// A compile error as a diagnostic: its kind, message, help and span are the error's.
pub(crate) fn compile_error(e: &LiquidError) -> Diagnostic {
    let code = match e.kind() {
        ErrorKind::Syntax => Code::SyntaxError,
        ErrorKind::UnknownTag => Code::UnknownTag,
        ErrorKind::UnknownFilter => Code::UnknownFilter,
        _ => Code::TemplateError,
    };
    let mut d = Diagnostic::new(code, e.message(), "", None);
    d.help = e.help().map(str::to_owned);
    d.span = e.span();
    d.at = e.line_col();
    d
}

/// Runs every check on `analysis` of a template with `source`, for a message for
/// `events` (empty: any event), adding what it finds to `out`.
pub(crate) fn check(analysis: &Analysis, events: &[EventKind], out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    for v in analysis.variables.iter().filter(|v| v.reachable) {
        let Some(PathPart::Key(root)) = v.path.first() else {
            continue;
        };
        match root.as_str() {
            "Event" => event(v, events, &mut seen, out),
            "Profile" => profile(v, out),
            "EventName" => {}
            other => {
                if seen.insert((Code::UnknownGlobal, other.to_owned())) {
                    out.push(unknown_global(v, other));
                }
            }
        }
    }
    aborts(analysis, out);
}

fn unknown_global(v: &Variable, root: &str) -> Diagnostic {
    let d = Diagnostic::placed(
        Code::UnknownGlobal,
        format!(
            "`{root}` is not set: a promo message has the globals `Event`, `EventName` and `Profile`"
        ),
        span(v),
        v.at,
    );
    match suggest(root, GLOBALS) {
        Some(near) => d.with_help(format!("did you mean `{near}`?")),
        None => d.with_help("assign it before using it, or read it from `Event` or `Profile`"),
    }
}

fn span(v: &Variable) -> Span {
    Span {
        start: v.span.0,
        end: v.span.1,
    }
}

fn filter_span(f: &FilterUse) -> Span {
    Span {
        start: f.span.0,
        end: f.span.1,
    }
}

/// Whether `v` is written to the output with nothing to stand in for a missing value.
fn bare_output(v: &Variable) -> bool {
    matches!(
        v.usage,
        Usage::Output {
            has_default: false,
            written: true,
            ..
        }
    )
}

fn event(
    v: &Variable,
    events: &[EventKind],
    seen: &mut HashSet<(Code, String)>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(PathPart::Key(name)) = v.path.get(1) else {
        return;
    };
    let Some(id) = schema::lookup(name) else {
        unknown_property(v, name, seen, out);
        return;
    };
    let property = id.property();
    let reachable = facts::narrow(v, events);
    if !events.is_empty() && reachable.is_empty() {
        // The `EventName` tests around it rule out every event of the message.
        return;
    }
    let carried = reachable.iter().filter(|e| e.carries(id)).count();
    if !events.is_empty() && carried == 0 {
        out.push(not_on_event(v, property, &reachable));
        return;
    }
    let partial = carried < reachable.len();
    let optional = !matches!(property.presence, Presence::Required);
    if (partial || optional) && bare_output(v) && !facts::proven_set(v, Target::Property(id)) {
        out.push(maybe_missing(v, id, &reachable));
    }
    if v.path.len() == 2 {
        types(v, property, out);
    }
}

/// A property that may be missing, output bare where it may be.
fn maybe_missing(v: &Variable, id: PropertyId, reachable: &[EventKind]) -> Diagnostic {
    let property = id.property();
    let (lacking, carriers): (Vec<EventKind>, Vec<EventKind>) =
        reachable.iter().partition(|e| !e.carries(id));
    let why = match property.presence {
        _ if !lacking.is_empty() => {
            let names: Vec<&str> = lacking.iter().map(|e| e.name()).collect();
            format!("is not on {}", names.join(" or "))
        }
        Presence::Conditional(when) => format!("is set for {when} only"),
        Presence::Optional | Presence::Required => "is optional".to_owned(),
    };
    let canonical = format!("Event[\"{}\"]", property.name);
    let help = match carriers.first() {
        Some(carrier) if !lacking.is_empty() => format!(
            "add `| default: \"...\"`, or output it inside `{{% if {canonical} %}}` or `{{% if EventName == \"{}\" %}}`",
            carrier.name()
        ),
        _ => format!("add `| default: \"...\"`, or output it inside `{{% if {canonical} %}}`"),
    };
    Diagnostic::placed(
        Code::MaybeMissing,
        format!(
            "`{}` {why}, and is output here with no `default` or `if`",
            property.name
        ),
        span(v),
        v.at,
    )
    .with_help(help)
}

fn not_on_event(v: &Variable, property: &Property, events: &[EventKind]) -> Diagnostic {
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    let carriers: Vec<&str> = property.events().iter().map(|e| e.name()).collect();
    Diagnostic::placed(
        Code::NotOnEvent,
        format!(
            "`{}` is not a property of {}, so it is always empty here",
            property.name,
            names.join(" or ")
        ),
        span(v),
        v.at,
    )
    .with_help(format!("`{}` is on {}", property.name, and_list(&carriers)))
}

fn unknown_property(
    v: &Variable,
    name: &str,
    seen: &mut HashSet<(Code, String)>,
    out: &mut Vec<Diagnostic>,
) {
    let custom = (Code::CustomProperty, name.to_owned());
    if seen.contains(&custom) {
        // Reported once; and it was no typo then either.
        return;
    }
    if let Some(id) = schema::lookup_input(name) {
        let p = id.property();
        out.push(
            Diagnostic::placed(
                Code::UnknownProperty,
                format!(
                    "`{name}` is how input records may name `{}`, not templates",
                    p.name
                ),
                span(v),
                v.at,
            )
            .with_help(format!(
                "write `Event[\"{}\"]` or `Event.{}`",
                p.name, p.snake
            )),
        );
    } else if let Some(id) = schema::suggest_property(name) {
        let p = id.property();
        out.push(
            Diagnostic::placed(
                Code::UnknownProperty,
                format!("the schema has no property `{name}`"),
                span(v),
                v.at,
            )
            .with_help(format!("did you mean `{}`?", p.name)),
        );
    } else {
        seen.insert(custom);
        out.push(
            Diagnostic::placed(
                Code::CustomProperty,
                format!("`{name}` is not in the schema (a custom property?)"),
                span(v),
                v.at,
            )
            .with_help("custom properties are set only when a record carries them: give it a `default`, or test it with `if`"),
        );
    }
}

fn types(v: &Variable, property: &Property, out: &mut Vec<Diagnostic>) {
    let date = property.data_type == DataType::Date;
    let text = property.data_type == DataType::String;
    for f in &v.filters {
        let name: &str = &f.name;
        if name == "default" || (date && name == "time_zone") {
            continue;
        }
        if date && TEXT_FILTERS.contains(&name) {
            out.push(
                Diagnostic::placed(
                    Code::DateAsText,
                    format!(
                        "`{}` is a date, but `{name}` works on its text as it arrived (such as `01-11-2026 23:59:59`)",
                        property.name
                    ),
                    filter_span(f),
                    f.at,
                )
                .with_help("format it with `date` first, e.g. `| date: \"%-d %b %Y\"`"),
            );
            return;
        }
        if text && NUMBER_FILTERS.contains(&name) {
            out.push(
                Diagnostic::placed(
                    Code::TextAsNumber,
                    format!("`{}` is text, but `{name}` works on numbers", property.name),
                    filter_span(f),
                    f.at,
                )
                .with_help("text that is not a number counts as 0; use a Numeric property"),
            );
            return;
        }
        // Text stays text through the text filters (but `split` makes an array).
        if !(text && TEXT_FILTERS.contains(&name) && name != "split") {
            return;
        }
    }
}

fn profile(v: &Variable, out: &mut Vec<Diagnostic>) {
    if bare_output(v) && !facts::proven_set(v, Target::Path(&v.path)) {
        out.push(
            Diagnostic::placed(
                Code::ProfileWithoutDefault,
                format!(
                    "`{}` is output with no `default`, and profiles may lack any field",
                    v.text
                ),
                span(v),
                v.at,
            )
            .with_help(format!(
                "add `| default: \"...\"`, or output it inside `{{% if {} %}}`",
                v.text
            )),
        );
    }
}

fn aborts(analysis: &Analysis, out: &mut Vec<Diagnostic>) {
    for tag in analysis.abort_tags.iter().filter(|a| !a.reachable) {
        out.push(
            Diagnostic::placed(
                Code::UnreachableAbort,
                "this `abort` can never be reached",
                Span {
                    start: tag.span.0,
                    end: tag.span.1,
                },
                tag.at,
            )
            .with_help("a condition around it is always false, or an `abort` or `break` before it always stops first"),
        );
    }
    if analysis.always_aborts {
        let message =
            "every path through this template reaches an `abort`, so the message is never sent";
        let d = match analysis.abort_tags.iter().find(|a| a.reachable) {
            Some(first) => Diagnostic::placed(
                Code::AlwaysAborts,
                message,
                Span {
                    start: first.span.0,
                    end: first.span.1,
                },
                first.at,
            ),
            None => Diagnostic::new(Code::AlwaysAborts, message, "", None),
        };
        out.push(
            d.with_help("put the `abort` inside an `if` that picks the records not to message"),
        );
    }
}

fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
