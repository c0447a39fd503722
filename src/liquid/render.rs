//! The renderer: walks the node tree with the globals, writing into the caller's buffer.
//!
//! Variables are found where `resolve` bound them: a template's loop variables on the
//! loop stack at a known place, its other names in slots by id ([`scope`]), the rest
//! in the globals. Values are read where they are and only copied when a filter needs
//! an owned input it cannot borrow ([`eval`]). Loops and partials are in [`loops`].
//!
//! The hot paths avoid moving a freshly built value as a whole: a value is written
//! word by word, and copying it at once right after stalls the load (store-to-load
//! forwarding fails), which cost more than the work itself.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::ast::{Block, Expr, Filtered, Node};
use super::budget::{self, Budget};
use super::env::{Config, Environment, Parsed, UndefinedPolicy};
use super::error::{Error, ErrorKind, LineCol, Span};
use super::filters::{FilterContext, FilterError};
use super::value::{ObjectView, Val, Value};

mod eval;
mod loops;
mod scope;
mod spend;

use eval::Got;
use scope::Frame;
use spend::{Hosts, Sink, SinkKind, Warnings, breach};

/// What a successful render reports besides its text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Set when the template ended with `{% abort %}`.
    pub aborted: Option<Abort>,
    /// Undefined paths that were output (lenient policy), once per place.
    pub warnings: Vec<Warning>,
    /// The partials the render used (`include`, `render`, `snippet`), each once, in
    /// the order first used.
    pub partials: Vec<Arc<str>>,
}

/// An `{% abort %}` that ended a render.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Abort {
    /// The reason given, if any.
    pub reason: Option<String>,
    /// The template the `abort` is in.
    pub template: String,
    /// Where the `abort` is.
    pub at: LineCol,
}

/// An undefined path that was output.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// The path as written, e.g. `Profile.first_name`.
    pub path: String,
    /// The template it is in.
    pub template: String,
    /// Where it is.
    pub at: LineCol,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "undefined variable `{}` at {}:{}",
            self.path, self.template, self.at
        )
    }
}

/// Why rendering stopped early. One box, so that a `Result` of a small value still
/// fits in registers.
struct Stop(Box<Halt>);

enum Halt {
    Error(Error),
    Abort(Abort),
}

impl From<Error> for Stop {
    #[cold]
    fn from(e: Error) -> Self {
        Stop(Box::new(Halt::Error(e)))
    }
}

/// How a block ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

type Result<T> = std::result::Result<T, Stop>;

/// The state of one `for` loop, for `forloop`.
struct LoopState {
    name: Arc<str>,
    index0: usize,
    length: usize,
}

/// Shared by a render and the isolated renders (`render` tag) inside it.
struct Shared<'e> {
    config: &'e Config,
    env: &'e Environment,
    /// What filters see, and the render's budget (`cx.budget`), which the renderer
    /// and the filters both draw on.
    cx: FilterContext,
    warnings: Warnings,
    /// The buffer being written and how large it may grow.
    sink: Sink,
    /// Host data copied for filters.
    hosts: RefCell<Hosts>,
    /// Filter arguments, reused from call to call: arguments are plain expressions,
    /// so evaluating them never calls a filter.
    arg_buf: Vec<Value>,
    kwarg_buf: Vec<(Arc<str>, Value)>,
    /// The partials used so far, each once ([`Report::partials`]).
    used: Vec<Arc<str>>,
    /// The partials being rendered, outermost first: what a depth error names.
    open: Vec<Arc<str>>,
}

/// The variables of one scope (a render, or the partial of a `render` tag) and the
/// state of its tags.
struct Renderer<'g> {
    globals: &'g dyn ObjectView,
    /// `assign` and `capture` variables, by the id of their name in the template that
    /// owns the scope; `None` until assigned. Grown on the first assignment.
    slots: Vec<Option<Val<'g>>>,
    /// Loop variables and partial arguments, innermost last.
    stack: Vec<(Arc<str>, Val<'g>)>,
    loops: Vec<LoopState>,
    /// Where `offset: continue` starts each loop, by name: the offset it last had plus
    /// the items it went through.
    offsets: Vec<(Arc<str>, i64)>,
    depth: usize,
    partial_depth: usize,
    /// The state of what most templates never use, made on first use.
    rare: Option<Box<Rare<'g>>>,
}

/// The parts of a render's state that most templates never use.
#[derive(Default)]
struct Rare<'g> {
    /// Variables the scope's template never names (assigned by an included partial,
    /// or arguments of a `render` tag), by name.
    extra: Vec<(Arc<str>, Val<'g>)>,
    counters: HashMap<Arc<str>, i64, foldhash::fast::RandomState>,
    /// Where each `cycle` group is, by its key.
    cycles: indexmap::IndexMap<CycleKey, usize, foldhash::fast::RandomState>,
    last_changed: Option<String>,
    /// How the names of the partials `include`d in this scope map to its slots.
    include_maps: Vec<(Arc<Parsed>, scope::NameMap)>,
}

pub(crate) fn render(
    env: &Environment,
    parsed: &Parsed,
    globals: &dyn ObjectView,
    out: &mut String,
    deadline: Option<Instant>,
) -> std::result::Result<Report, Error> {
    let config = &*env.config;
    let limits = &config.limits;
    let budget = Budget::new(
        limits.max_iterations,
        limits.max_memory_bytes,
        limits.deadline,
    );
    if let Some(at) = deadline {
        let limit = limits
            .deadline
            .unwrap_or_else(|| at.saturating_duration_since(Instant::now()));
        budget.end_at(at, limit);
    }
    let mut shared = Shared {
        config,
        env,
        cx: FilterContext {
            max_string_bytes: limits.max_string_bytes,
            max_array_items: limits.max_array_items,
            now: config.now,
            time_zone: config.time_zone,
            budget,
        },
        warnings: Warnings::default(),
        sink: Sink {
            limit: out.len().saturating_add(limits.max_output_bytes),
            kind: SinkKind::Output(limits.max_output_bytes),
        },
        hosts: RefCell::default(),
        arg_buf: Vec::new(),
        kwarg_buf: Vec::new(),
        used: Vec::new(),
        open: Vec::new(),
    };
    let mut renderer = Renderer::new(globals, 0);
    let frame = Frame::owner(parsed);
    let result = renderer.block(&mut shared, &frame, &parsed.root, out);
    // The common report is written where it is returned, from constants: moving a
    // report (or an `Abort`, even `None`) that was just written word by word stalls
    // the loads that copy it, which cost more than the rest of a small render.
    if result.is_ok() && shared.warnings.is_empty() && shared.used.is_empty() {
        return Ok(Report::default());
    }
    report(result, shared.warnings, shared.used, parsed)
}

/// The report of a render that output undefined paths, used partials or aborted, or
/// its error.
#[inline(never)]
fn report(
    result: Result<Flow>,
    warnings: Warnings,
    partials: Vec<Arc<str>>,
    parsed: &Parsed,
) -> std::result::Result<Report, Error> {
    let aborted = match result {
        Ok(_) => None,
        Err(Stop(halt)) => match *halt {
            Halt::Abort(abort) => Some(abort),
            Halt::Error(e) => return Err(e.with_template(&parsed.name)),
        },
    };
    Ok(Report {
        aborted,
        warnings: warnings.finish(),
        partials,
    })
}

/// The key of a `cycle` group: the source of an unnamed group's values, or a named
/// group's value (its type and text, as Shopify tells groups apart).
#[derive(Clone, Debug, PartialEq, Eq)]
enum CycleKey {
    Unnamed(Arc<str>),
    Named(&'static str, Box<str>),
}

/// A named group's key, to look up without building one.
#[derive(Hash)]
struct NamedGroup<'a>(&'static str, &'a str);

impl indexmap::Equivalent<CycleKey> for NamedGroup<'_> {
    fn equivalent(&self, key: &CycleKey) -> bool {
        matches!(key, CycleKey::Named(kind, text) if *kind == self.0 && **text == *self.1)
    }
}

impl std::hash::Hash for CycleKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            // The same hash as `NamedGroup`, so that one finds the other.
            CycleKey::Named(kind, text) => NamedGroup(kind, text).hash(state),
            CycleKey::Unnamed(key) => key.hash(state),
        }
    }
}

#[cold]
fn error_at(tpl: &Parsed, span: Span, kind: ErrorKind, message: impl Into<String>) -> Stop {
    Stop::from(
        Error::new(kind, message)
            .with_span(&tpl.source, span)
            .with_template(&tpl.name),
    )
}

impl<'g> Renderer<'g> {
    fn new(globals: &'g dyn ObjectView, partial_depth: usize) -> Self {
        Renderer {
            globals,
            slots: Vec::new(),
            stack: Vec::new(),
            loops: Vec::new(),
            offsets: Vec::new(),
            depth: 0,
            partial_depth,
            rare: None,
        }
    }

    fn rare(&mut self) -> &mut Rare<'g> {
        self.rare.get_or_insert_with(Box::default)
    }

    fn block(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        block: &Block,
        out: &mut String,
    ) -> Result<Flow> {
        for node in block {
            // The nodes that never end a block early are handled here, so that no
            // `Flow` goes through memory for them.
            match node {
                Node::Text(text) => {
                    self.room(sh, out, text.len(), fr, Span::default())?;
                    out.push_str(text);
                }
                Node::Output(filtered) => self.output(sh, fr, filtered, out)?,
                Node::Assign { name, value, id } => {
                    let value = match self.filtered(sh, fr, value)?.0 {
                        // Outside a comparison `empty` and `blank` are the empty string.
                        Val::Owned(Value::Empty | Value::Blank) => Val::Owned(Value::str("")),
                        value => value,
                    };
                    self.assign(fr, *id, name, value);
                }
                _ => match self.node(sh, fr, node, out)? {
                    Flow::Normal => {}
                    flow => return Ok(flow),
                },
            }
        }
        Ok(Flow::Normal)
    }

    fn nested(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        block: &Block,
        out: &mut String,
        span: Span,
    ) -> Result<Flow> {
        self.enter(sh, fr, block, span)?;
        self.depth += 1;
        if self.depth > sh.config.limits.max_depth {
            return Err(error_at(
                fr.tpl,
                span,
                ErrorKind::LimitExceeded,
                format!(
                    "blocks nested deeper than the limit of {}",
                    sh.config.limits.max_depth
                ),
            ));
        }
        let flow = self.block(sh, fr, block, out);
        self.depth -= 1;
        flow
    }

    /// Renders `body` into a buffer of its own, of at most `sink` bytes.
    fn render_aside(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        body: &Block,
        sink: Sink,
        span: Span,
    ) -> Result<(String, Flow)> {
        let mut text = String::new();
        let outer = std::mem::replace(&mut sh.sink, sink);
        let flow = self.nested(sh, fr, body, &mut text, span);
        sh.sink = outer;
        Ok((text, flow?))
    }

    /// The nodes [`Renderer::block`] does not handle itself.
    #[inline(never)]
    fn node(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        node: &Node,
        out: &mut String,
    ) -> Result<Flow> {
        match node {
            Node::Text(_) | Node::Output(_) | Node::Assign { .. } => {
                unreachable!("`block` renders text, output and assign")
            }
            Node::If {
                branches,
                otherwise,
                negate_first,
            } => {
                for (i, (condition, body)) in branches.iter().enumerate() {
                    let truth = self.condition(sh, fr, condition)?;
                    if truth != (i == 0 && *negate_first) {
                        return self.nested(sh, fr, body, out, Span::default());
                    }
                }
                if let Some(body) = otherwise {
                    return self.nested(sh, fr, body, out, Span::default());
                }
            }
            Node::Case {
                subject,
                arms,
                span,
            } => return self.case(sh, fr, subject, arms, out, *span),
            Node::For(for_loop) => return self.for_loop(sh, fr, for_loop, out),
            Node::Capture {
                name,
                body,
                id,
                span,
            } => {
                let limit = sh.config.limits.max_string_bytes;
                let sink = Sink {
                    limit,
                    kind: SinkKind::Capture(limit),
                };
                let span = *span;
                // A `break` or `continue` inside ends the capture and goes on to the
                // loop around it, with what was captured so far assigned.
                let (captured, flow) = self.render_aside(sh, fr, body, sink, span)?;
                sh.cx
                    .budget
                    .reserve(captured.len())
                    .map_err(|b| breach(fr.tpl, span, b))?;
                self.assign(fr, *id, name, Val::Owned(Value::from(captured)));
                return Ok(flow);
            }
            Node::Counter { name, step } => {
                let counters = &mut self.rare().counters;
                let value = match counters.get_mut(&**name) {
                    Some(value) => value,
                    None => counters.entry(name.clone()).or_insert(0),
                };
                let shown = if *step < 0 {
                    *value = value.saturating_sub(1);
                    *value
                } else {
                    let shown = *value;
                    *value = value.saturating_add(1);
                    shown
                };
                self.write_val(sh, fr, &Val::Owned(Value::Int(shown)), out, Span::default())?;
            }
            Node::Cycle { group, key, values } => self.cycle(sh, fr, group, key, values, out)?,
            Node::IfChanged(body) => {
                // The body's text goes to the output (or is dropped): it may use what
                // is left of the buffer.
                let sink = Sink {
                    limit: sh.sink.limit.saturating_sub(out.len()),
                    kind: sh.sink.kind,
                };
                let span = spend::block_span(body);
                let (text, flow) = self.render_aside(sh, fr, body, sink, span)?;
                let rare = self.rare();
                if rare.last_changed.as_deref() != Some(text.as_str()) {
                    out.push_str(&text);
                    rare.last_changed = Some(text);
                }
                return Ok(flow);
            }
            Node::Partial(call) => return self.partial(sh, fr, call, out),
            Node::Block(body) => return self.nested(sh, fr, body, out, Span::default()),
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Abort(reason, span) => {
                let reason = match reason {
                    Some(expr) => {
                        let value = self.eval(sh, fr, expr)?;
                        let value = self.owned_val(sh, fr, &value, *span)?;
                        let text = sh
                            .cx
                            .text(&value)
                            .map_err(|e| tag_error(fr.tpl, *span, "abort", e))?;
                        Some(text.into_owned())
                    }
                    None => None,
                };
                return Err(Stop(Box::new(Halt::Abort(Abort {
                    reason,
                    template: fr.tpl.name.to_string(),
                    at: LineCol::of(&fr.tpl.source, span.start as usize),
                }))));
            }
        }
        Ok(Flow::Normal)
    }

    fn case(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        subject: &Expr,
        arms: &[(Option<Vec<Expr>>, Block)],
        out: &mut String,
        span: Span,
    ) -> Result<Flow> {
        let mut matched = false;
        for (values, body) in arms {
            let Some(values) = values else {
                // An `else` renders when no `when` before it matched.
                if !matched {
                    self.count_iteration(sh, fr.tpl, span)?;
                    let flow = self.nested(sh, fr, body, out, span)?;
                    if flow != Flow::Normal {
                        return Ok(flow);
                    }
                }
                continue;
            };
            // A `when` renders its block once for every value that matches, each run an
            // iteration. As in Shopify, the subject and each value are read in turn, when
            // their comparison comes: a block that assigns changes the comparisons after it.
            for v in values {
                let found = self.eval(sh, fr, subject)?;
                let found = self.owned_val(sh, fr, &found, span)?;
                let v = self.operand(sh, fr, v)?;
                let v = self.owned(sh, fr, &v, span)?;
                self.pay_comparison(sh, fr, &v, &found, span)?;
                if !v.liquid_eq(&found) {
                    continue;
                }
                matched = true;
                self.count_iteration(sh, fr.tpl, span)?;
                let flow = self.nested(sh, fr, body, out, span)?;
                if flow != Flow::Normal {
                    return Ok(flow);
                }
            }
        }
        Ok(Flow::Normal)
    }

    /// `cycle`: the group's next value. Groups are found by key in a hash map; a new
    /// group's key is paid for.
    fn cycle(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        group: &Option<Expr>,
        key: &Arc<str>,
        values: &[Expr],
        out: &mut String,
    ) -> Result<()> {
        let slot = match group {
            None => {
                let cycles = &mut self.rare().cycles;
                let found = cycles.get_index_of(&CycleKey::Unnamed(key.clone()));
                match found {
                    Some(i) => i,
                    None => cycles.insert_full(CycleKey::Unnamed(key.clone()), 0).0,
                }
            }
            Some(group) => {
                let span = expr_span(group).unwrap_or_default();
                let g = self.eval(sh, fr, group)?;
                let g = self.owned_val(sh, fr, &g, span)?;
                let text = sh
                    .cx
                    .text(&g)
                    .map_err(|e| tag_error(fr.tpl, span, "cycle", e))?;
                sh.cx
                    .budget
                    .tick(budget::ticks_for(text.len()))
                    .map_err(|b| breach(fr.tpl, span, b))?;
                let found = self
                    .rare
                    .as_ref()
                    .and_then(|r| r.cycles.get_index_of(&NamedGroup(g.type_name(), &text)));
                match found {
                    Some(i) => i,
                    None => {
                        sh.cx
                            .budget
                            .reserve(text.len())
                            .map_err(|b| breach(fr.tpl, span, b))?;
                        let key = CycleKey::Named(g.type_name(), text.into());
                        self.rare().cycles.insert_full(key, 0).0
                    }
                }
            }
        };
        let index = self.rare().cycles[slot];
        if let Some(expr) = values.get(index) {
            let value = self.eval(sh, fr, expr)?;
            self.write_val(sh, fr, &value, out, expr_span(expr).unwrap_or_default())?;
        }
        self.rare().cycles[slot] = if index + 1 >= values.len() {
            0
        } else {
            index + 1
        };
        Ok(())
    }

    /// Writes an output's value, applying the undefined policy.
    #[inline]
    fn output(
        &self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &Filtered,
        out: &mut String,
    ) -> Result<()> {
        // The common `{{ path }}`: written from where the value is.
        if let (Expr::Path(path), []) = (&f.expr, f.filters.as_slice()) {
            match self.lookup(sh, fr, path)? {
                Got::Undefined => self.undefined(sh, fr, f)?,
                found => self.write_got(sh, fr, &found, out, f.span)?,
            }
            return Ok(());
        }
        let (value, undefined) = self.filtered(sh, fr, f)?;
        if undefined && !f.has_default {
            self.undefined(sh, fr, f)?;
        }
        self.write_val(sh, fr, &value, out, f.span)
    }

    /// An undefined value was output: an error under the strict policy, a warning
    /// (once per place) under the lenient one.
    #[cold]
    fn undefined(&self, sh: &mut Shared<'_>, fr: &Frame<'_>, f: &Filtered) -> Result<()> {
        let tpl = fr.tpl;
        let span = expr_span(&f.expr).unwrap_or(f.span);
        match sh.config.undefined {
            UndefinedPolicy::Strict => {
                let path = undefined_path(&f.expr, &tpl.source);
                Err(error_at(
                    tpl,
                    span,
                    ErrorKind::UndefinedVariable,
                    format!("`{path}` is undefined; add a `default` filter or test it with `if`"),
                ))
            }
            UndefinedPolicy::Lenient => {
                let path = expr_span(&f.expr).unwrap_or(Span { start: 0, end: 0 });
                sh.warnings.add(tpl, path, span.start);
                Ok(())
            }
        }
    }
}

pub(super) fn expr_span(expr: &Expr) -> Option<Span> {
    match expr {
        Expr::Path(p) => Some(p.span),
        Expr::Range(_, _, span) => Some(*span),
        Expr::Literal(_) => None,
    }
}

fn undefined_path(expr: &Expr, source: &str) -> String {
    match expr_span(expr) {
        Some(span) => source
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .to_owned(),
        None => String::new(),
    }
}

/// A tag's value that is too large to use (a `cycle` group, an `abort` reason).
#[cold]
fn tag_error(tpl: &Parsed, span: Span, tag: &str, e: FilterError) -> Stop {
    error_at(tpl, span, ErrorKind::LimitExceeded, format!("`{tag}`: {e}"))
}

#[cold]
fn filter_error(tpl: &Parsed, span: Span, name: &str, e: FilterError) -> Stop {
    let kind = match e {
        FilterError::StringTooLarge { .. }
        | FilterError::ArrayTooLarge { .. }
        | FilterError::TextTooLarge { .. }
        | FilterError::Budget(_) => ErrorKind::LimitExceeded,
        _ => ErrorKind::Filter,
    };
    error_at(tpl, span, kind, format!("filter \"{name}\": {e}"))
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Every node and lookup returns these: keep a block's result in two registers and
    /// a lookup's in four words.
    #[test]
    fn render_results_stay_small() {
        assert_eq!(std::mem::size_of::<Stop>(), 8);
        assert_eq!(std::mem::size_of::<Result<Flow>>(), 16);
        assert_eq!(std::mem::size_of::<Got<'_, '_>>(), 32);
    }
}
