//! The static checks of the snippets a template names, against a library: for a
//! message (lint, and the literal names when it loads) and for the snippets of the
//! library themselves (when it loads).
//!
//! For a literal name (`{% render 'amazon_pay' %}`, and a `snippet` tag's fallback):
//! the snippet exists, fits the message's channel and events (an HTML snippet in an
//! SMS or a push is an error even when it declares no channels), is passed every
//! parameter it requires, no parameter it lacks, and none of the wrong type, and does
//! not nest snippets past the depth limit. For a name from data (`{% snippet
//! Event["Code Snippet Name"] %}`): a note lists the snippets it can pick (every one
//! that fits the message), and each of them is checked as a literal name would be,
//! except that an argument only some of them take is fine.

use std::collections::HashSet;

use super::{Library, Problem, Snippet, list};
use crate::liquid::{Analysis, LineCol, Literal, Operand, PartialArg, PartialUse, PathPart, Span};
use crate::message::Channel;
use crate::message::channel::Severity;
use crate::promo::schema::{self, DataType, EventKind};

use super::meta::ParamType;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FindingKind {
    /// A literal name with no snippet, or a name from data that can pick none.
    MissingSnippet,
    /// A snippet for other channels, or HTML in a plain-text channel.
    SnippetChannel,
    /// A snippet for other events (an error), or for only some of the message's (a
    /// warning).
    SnippetEvent,
    /// A required parameter the call does not pass.
    MissingParam,
    /// An argument no snippet the call can render takes.
    UnknownParam,
    /// An argument of the wrong type for its parameter.
    ParamType,
    /// Snippets that would nest deeper than the library's limit, or render each other
    /// in a cycle.
    SnippetDepth,
    /// A note: the snippets a name from data can pick.
    ReachableSnippets,
}

/// One finding about a partial tag of a template. Places are in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// Error, warning or note.
    pub severity: Severity,
    /// What is wrong (or, for a note, what is so), in one line.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Where, in the template.
    pub span: Span,
    /// Its line and column in the template.
    pub at: LineCol,
    /// Whether it is about a literal name (which fails the message when it loads),
    /// rather than about what a name from data can pick.
    pub literal: bool,
}

/// Where the snippets a template names are used: the channels (empty: any) and events
/// (empty: any) of the message, or of the snippet that names them.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub channels: &'a [Channel],
    pub events: &'a [EventKind],
}

/// Checks the partial tags of `analysis` (of a message for `channel` and `events`)
/// against `library`.
pub fn check(
    library: &Library,
    analysis: &Analysis,
    channel: Option<Channel>,
    events: &[EventKind],
) -> Vec<Finding> {
    let channels: Vec<Channel> = channel.into_iter().collect();
    let cx = Context {
        channels: &channels,
        events,
    };
    let mut out = Vec::new();
    for call in analysis.partials.iter().filter(|c| c.reachable) {
        Checker {
            library,
            cx,
            call,
            out: &mut out,
        }
        .run();
    }
    out
}

struct Checker<'a, 'o> {
    library: &'a Library,
    cx: Context<'a>,
    call: &'a PartialUse,
    out: &'o mut Vec<Finding>,
}

impl<'a> Checker<'a, '_> {
    fn run(&mut self) {
        let tag = place(self.call.span, self.call.at);
        match &self.call.name {
            Some(name) => self.literal(name, tag),
            None => self.dynamic(),
        }
        if let Some(fallback) = &self.call.fallback {
            self.literal(&fallback.name, place(fallback.span, fallback.at));
        }
    }

    fn push(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        (span, at): (Span, LineCol),
        message: String,
        help: Option<String>,
        literal: bool,
    ) {
        self.out.push(Finding {
            kind,
            severity,
            message,
            help,
            span,
            at,
            literal,
        });
    }

    fn literal(&mut self, name: &str, at: (Span, LineCol)) {
        let Some(snippet) = self.library.get(name) else {
            let help = match suggest_name(self.library, name) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None if self.library.is_empty() => "the library has no snippets".to_owned(),
                None => {
                    let names: Vec<&str> = self.library.iter().map(|s| s.name()).collect();
                    format!("the library has {}", list(&names, 8))
                }
            };
            self.push(
                FindingKind::MissingSnippet,
                Severity::Error,
                at,
                format!("no snippet named \"{name}\" in the library"),
                Some(help),
                true,
            );
            return;
        };
        self.fit(snippet, at, true, "");
        if self.call.tag != "include" {
            self.params(snippet, true, "");
        }
        let chain = deepest(self.library, snippet);
        if chain.len() > self.library.max_depth {
            self.push(
                FindingKind::SnippetDepth,
                Severity::Error,
                at,
                format!(
                    "snippets nested deeper than the limit of {}: {}",
                    self.library.max_depth,
                    chain.join(" → ")
                ),
                Some("render fewer snippets inside snippets".into()),
                true,
            );
        }
    }

    /// The channel and event checks of `snippet`; `via` says how the call reaches it
    /// (empty for a literal name).
    fn fit(&mut self, snippet: &Snippet, at: (Span, LineCol), literal: bool, via: &str) {
        let meta = snippet.meta();
        let name = snippet.name();
        for &channel in self.cx.channels {
            if !meta.channels.is_empty() && !meta.channels.contains(&channel) {
                let names: Vec<&str> = meta.channels.iter().map(|c| c.name()).collect();
                self.push(
                    FindingKind::SnippetChannel,
                    Severity::Error,
                    at,
                    format!(
                        "snippet \"{name}\"{via} is for {} messages, not {channel}",
                        names.join(" and ")
                    ),
                    Some(format!(
                        "use a snippet for {channel}, or add \"{channel}\" to the channels of {}",
                        sidecar(snippet)
                    )),
                    literal,
                );
            } else if meta.channels.is_empty() && matches!(channel, Channel::Sms | Channel::Push) {
                if let Some(tag) = snippet.html() {
                    self.push(
                        FindingKind::SnippetChannel,
                        Severity::Error,
                        at,
                        format!(
                            "snippet \"{name}\"{via} is HTML (it has `{tag}`), and {channel} messages are plain text"
                        ),
                        Some(format!(
                            "use a plain-text snippet, or declare the channels it is for in {} (`channels = [\"email\"]`)",
                            sidecar(snippet)
                        )),
                        literal,
                    );
                }
            }
        }
        if self.cx.events.is_empty() || meta.events.is_empty() {
            return;
        }
        let lacking: Vec<&str> = self
            .cx
            .events
            .iter()
            .filter(|e| !meta.events.contains(e))
            .map(|e| e.name())
            .collect();
        if lacking.is_empty() {
            return;
        }
        let fits: Vec<&str> = meta.events.iter().map(|e| e.name()).collect();
        let (severity, message) = if lacking.len() == self.cx.events.len() {
            (
                Severity::Error,
                format!(
                    "snippet \"{name}\"{via} is for {}, not {}",
                    fits.join(" and "),
                    lacking.join(" or ")
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "snippet \"{name}\"{via} is for {} only, and this message is also for {}",
                    fits.join(" and "),
                    lacking.join(" and ")
                ),
            )
        };
        self.push(
            FindingKind::SnippetEvent,
            severity,
            at,
            message,
            Some(format!("the events it fits are in {}", sidecar(snippet))),
            literal,
        );
    }

    /// The parameter checks of `snippet`. For a literal name (`strict`), an argument
    /// it does not take is an error; for a name from data, [`Checker::dynamic`]
    /// checks the arguments against all the snippets the name can pick.
    fn params(&mut self, snippet: &Snippet, strict: bool, via: &str) {
        let name = snippet.name();
        let params = &snippet.meta().params;
        let tag = place(self.call.span, self.call.at);
        for (param, p) in params.iter().filter(|(_, p)| p.required) {
            if !self.call.args.iter().any(|a| &a.name == param) {
                self.push(
                    FindingKind::MissingParam,
                    Severity::Error,
                    tag,
                    format!(
                        "snippet \"{name}\"{via} needs `{param}` ({}), which this call does not pass",
                        p.kind.as_str()
                    ),
                    Some(format!("pass it: `{param}: ...`")),
                    strict,
                );
            }
        }
        for arg in &self.call.args {
            let at = place_arg(arg);
            match params.get(&arg.name) {
                None if strict => {
                    let declared: Vec<&str> = params.keys().map(String::as_str).collect();
                    let help = match crate::liquid::suggest(&arg.name, declared.iter().copied()) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None if declared.is_empty() => {
                            format!("snippet \"{name}\" takes no parameters")
                        }
                        None => format!("its parameters are {}", list(&declared, 8)),
                    };
                    self.push(
                        FindingKind::UnknownParam,
                        Severity::Error,
                        at,
                        format!("snippet \"{name}\" has no parameter `{}`", arg.name),
                        Some(help),
                        true,
                    );
                }
                None => {}
                Some(p) => {
                    if arg.each {
                        continue;
                    }
                    let Some((found, what)) = arg_type(&arg.value) else {
                        continue;
                    };
                    if !accepts(p.kind, found) {
                        self.push(
                            FindingKind::ParamType,
                            Severity::Error,
                            at,
                            format!(
                                "`{}` of snippet \"{name}\"{via} is {}, and this passes {what}",
                                arg.name,
                                article(p.kind)
                            ),
                            Some(format!("pass {} instead", article(p.kind))),
                            strict,
                        );
                    }
                }
            }
        }
    }

    fn dynamic(&mut self) {
        let tag = place(self.call.span, self.call.at);
        let text = self.call.name_text.clone();
        let reachable: Vec<&Snippet> = self
            .library
            .iter()
            .filter(|s| self.fits_some_channel(s))
            .collect();
        if reachable.is_empty() {
            let (severity, message) = match &self.call.fallback {
                Some(f) => (
                    Severity::Warning,
                    format!(
                        "no snippet of the library fits this message, so `{text}` always falls back to \"{}\"",
                        f.name
                    ),
                ),
                None => (
                    Severity::Error,
                    format!(
                        "no snippet of the library fits this message, so every record fails `missing_snippet` at `{text}`"
                    ),
                ),
            };
            self.push(
                FindingKind::MissingSnippet,
                severity,
                tag,
                message,
                Some("add a snippet for this message's channel and events".into()),
                false,
            );
            return;
        }
        let names: Vec<&str> = reachable.iter().map(|s| s.name()).collect();
        self.push(
            FindingKind::ReachableSnippets,
            Severity::Note,
            tag,
            format!(
                "`{text}` can pick {} snippet{}: {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
            Some("each is checked against this call; `promo-liquid preview` renders the message with each".into()),
            false,
        );
        let via = format!(", which `{text}` can pick,");
        for snippet in &reachable {
            self.fit_html(snippet, tag, &via);
            self.params(snippet, false, &via);
        }
        let mut reported = HashSet::new();
        for arg in &self.call.args {
            let taken = reachable
                .iter()
                .any(|s| s.meta().params.contains_key(&arg.name));
            if !taken && reported.insert(arg.name.clone()) {
                self.push(
                    FindingKind::UnknownParam,
                    Severity::Error,
                    place_arg(arg),
                    format!(
                        "no snippet `{text}` can pick has a parameter `{}`",
                        arg.name
                    ),
                    None,
                    false,
                );
            }
        }
    }

    /// Whether `snippet` fits the message for some of its channels (all channels when
    /// it has none) and its events.
    fn fits_some_channel(&self, snippet: &Snippet) -> bool {
        if self.cx.channels.is_empty() {
            return self.library.misfit(snippet, None, self.cx.events).is_none();
        }
        self.cx.channels.iter().any(|&c| {
            self.library
                .misfit(snippet, Some(c), self.cx.events)
                .is_none()
        })
    }

    /// An HTML snippet a name from data can pick in a plain-text channel.
    fn fit_html(&mut self, snippet: &Snippet, tag: (Span, LineCol), via: &str) {
        if !snippet.meta().channels.is_empty() {
            return;
        }
        self.fit(snippet, tag, false, via);
    }
}

/// The snippets' own checks, when the library loads: every variable a snippet reads is
/// a declared parameter, the snippets it names exist and fit it, and no snippets render
/// each other in a cycle.
pub(super) fn library(library: &Library, problems: &mut Vec<Problem>) {
    for snippet in library.iter() {
        let mut seen = HashSet::new();
        for v in &snippet.analysis().variables {
            let Some(PathPart::Key(root)) = v.path.first() else {
                continue;
            };
            if snippet.meta().params.contains_key(root) || !seen.insert(root.clone()) {
                continue;
            }
            let help = match root.as_str() {
                "Event" | "Profile" | "EventName" => format!(
                    "a snippet sees only what it is passed: pass what it needs (`{{% render '{}', code: Event[\"Voucher Code\"] %}}`) and declare it in {}",
                    snippet.name(),
                    sidecar(snippet)
                ),
                _ => format!(
                    "declare it in {}: `[params]` `{root} = {{ type = \"string\" }}`",
                    sidecar(snippet)
                ),
            };
            problems.push(Problem::new(
                snippet.file(),
                snippet.source(),
                format!(
                    "`{root}` is read but is not a parameter of snippet \"{}\"",
                    snippet.name()
                ),
                Some(Span::new(v.span.0 as usize, v.span.1 as usize)),
                Some(help),
            ));
        }
        let meta = snippet.meta();
        let cx = Context {
            channels: &meta.channels,
            events: &meta.events,
        };
        let mut found = Vec::new();
        for call in snippet.analysis().partials.iter().filter(|c| c.reachable) {
            Checker {
                library,
                cx,
                call,
                out: &mut found,
            }
            .run();
        }
        for f in found
            .into_iter()
            .filter(|f| f.severity == Severity::Error && f.literal)
        {
            if f.kind == FindingKind::SnippetDepth {
                continue; // A problem of the messages that render this one.
            }
            problems.push(Problem::new(
                snippet.file(),
                snippet.source(),
                f.message,
                Some(f.span),
                f.help,
            ));
        }
        cycles(library, snippet, problems);
    }
}

/// The literal names of the snippets `snippet` renders, with where each is named.
fn names(snippet: &Snippet) -> impl Iterator<Item = (&str, Span)> {
    snippet.analysis().partials.iter().flat_map(|call| {
        let span = Span::new(call.span.0 as usize, call.span.1 as usize);
        let fallback = call.fallback.as_ref().map(|f| {
            (
                f.name.as_str(),
                Span::new(f.span.0 as usize, f.span.1 as usize),
            )
        });
        call.name
            .as_deref()
            .map(|n| (n, span))
            .into_iter()
            .chain(fallback)
    })
}

/// A cycle through `snippet`, as a problem at the name in `snippet` that starts it.
/// (A chain deeper than the limit is a problem of the messages that render its top,
/// not of the library: a message may render one of its lower snippets.)
fn cycles(library: &Library, snippet: &Snippet, problems: &mut Vec<Problem>) {
    for (name, span) in names(snippet) {
        let Some(next) = library.get(name) else {
            continue;
        };
        let mut chain = vec![snippet.name()];
        let Some(cycle) = find_cycle(library, next, snippet.name(), &mut chain) else {
            continue;
        };
        // Reported once, by the first snippet of the cycle by name.
        if cycle.iter().min() == Some(&snippet.name()) {
            problems.push(Problem::new(
                snippet.file(),
                snippet.source(),
                format!(
                    "snippets render each other in a cycle: {}",
                    cycle.join(" → ")
                ),
                Some(span),
                Some("a snippet may not render itself, directly or through others".into()),
            ));
        }
    }
}

/// The path from `at` back to `target`, if there is one: a cycle.
fn find_cycle<'l>(
    library: &'l Library,
    at: &'l Snippet,
    target: &str,
    chain: &mut Vec<&'l str>,
) -> Option<Vec<&'l str>> {
    if chain.contains(&at.name()) && at.name() != target {
        return None; // Another cycle, found from its own snippets.
    }
    chain.push(at.name());
    if at.name() == target {
        return Some(chain.clone());
    }
    for (name, _) in names(at) {
        if let Some(next) = library.get(name) {
            if let Some(cycle) = find_cycle(library, next, target, chain) {
                return Some(cycle);
            }
        }
    }
    chain.pop();
    None
}

/// The longest chain of literal names from `at`, in `deepest` (cycles cut).
fn chain_from<'l>(
    library: &'l Library,
    at: &'l Snippet,
    chain: &mut Vec<&'l str>,
    deepest: &mut Vec<&'l str>,
) {
    if chain.contains(&at.name()) {
        return;
    }
    chain.push(at.name());
    if chain.len() > deepest.len() {
        *deepest = chain.clone();
    }
    for (name, _) in names(at) {
        if let Some(next) = library.get(name) {
            chain_from(library, next, chain, deepest);
        }
    }
    chain.pop();
}

/// The longest chain of snippets rendering `snippet` goes through, itself first.
fn deepest<'l>(library: &'l Library, snippet: &'l Snippet) -> Vec<&'l str> {
    let mut deepest = Vec::new();
    chain_from(library, snippet, &mut Vec::new(), &mut deepest);
    deepest
}

fn suggest_name<'l>(library: &'l Library, name: &str) -> Option<&'l str> {
    crate::liquid::suggest(name, library.iter().map(|s| s.name()))
}

fn place(span: (u32, u32), at: LineCol) -> (Span, LineCol) {
    (Span::new(span.0 as usize, span.1 as usize), at)
}

fn place_arg(arg: &PartialArg) -> (Span, LineCol) {
    place(arg.span, arg.at)
}

fn sidecar(snippet: &Snippet) -> String {
    match snippet.sidecar() {
        Some(file) => file.to_owned(),
        None => format!("its sidecar {}.toml", snippet.name()),
    }
}

/// What an argument is, when it is known without data: its type, and how to say it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArgType {
    Text,
    Number,
    Date,
    Boolean,
}

fn arg_type(value: &Operand) -> Option<(ArgType, String)> {
    match value {
        Operand::Literal(Literal::Str(s)) => Some((ArgType::Text, format!("the text {s:?}"))),
        Operand::Literal(Literal::Int(i)) => Some((ArgType::Number, format!("the number {i}"))),
        Operand::Literal(Literal::Float(f)) => Some((ArgType::Number, format!("the number {f}"))),
        Operand::Literal(Literal::Bool(b)) => Some((ArgType::Boolean, b.to_string())),
        Operand::Global(path) => match path.as_slice() {
            [PathPart::Key(root), PathPart::Key(name)] if root == "Event" => {
                let property = schema::lookup(name)?.property();
                let kind = match property.data_type {
                    DataType::String => ArgType::Text,
                    DataType::Numeric => ArgType::Number,
                    DataType::Date => ArgType::Date,
                };
                let what = match kind {
                    ArgType::Text => "text",
                    ArgType::Number => "a number",
                    _ => "a date",
                };
                Some((kind, format!("{what} (`{}`)", property.name)))
            }
            [PathPart::Key(root)] if root == "EventName" => {
                Some((ArgType::Text, "text (`EventName`)".to_owned()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether a parameter of type `param` takes an argument of type `arg`: text takes
/// numbers too (they print), a date takes text (`date` reads it).
fn accepts(param: ParamType, arg: ArgType) -> bool {
    match param {
        ParamType::Any => true,
        ParamType::String => matches!(arg, ArgType::Text | ArgType::Number),
        ParamType::Number => arg == ArgType::Number,
        ParamType::Date => matches!(arg, ArgType::Date | ArgType::Text),
        ParamType::Boolean => arg == ArgType::Boolean,
    }
}

fn article(kind: ParamType) -> &'static str {
    match kind {
        ParamType::String => "text",
        ParamType::Number => "a number",
        ParamType::Date => "a date",
        ParamType::Boolean => "a boolean",
        ParamType::Any => "any value",
    }
}
