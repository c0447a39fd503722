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

use std::sync::Arc;

use super::ast::{Block, Expr, Filtered, Node};
use super::env::{Config, Environment, Parsed, UndefinedPolicy};
use super::error::{Error, ErrorKind, LineCol, Span};
use super::filters::{FilterContext, FilterError};
use super::value::{ObjectView, Val, Value};

mod eval;
mod loops;
mod scope;

use eval::Got;
use scope::Frame;

/// What a successful render reports besides its text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Set when the template ended with `{% abort %}`.
    pub aborted: Option<Abort>,
    /// Undefined paths that were output (lenient policy), once per place.
    pub warnings: Vec<Warning>,
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
    filter_context: FilterContext,
    iterations: u64,
    warnings: Vec<Warning>,
    output_base: usize,
    /// Filter arguments, reused from call to call: arguments are plain expressions,
    /// so evaluating them never calls a filter.
    arg_buf: Vec<Value>,
    kwarg_buf: Vec<(Arc<str>, Value)>,
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
    /// Where each loop stopped, by name, for `offset: continue`.
    offsets: Vec<(Arc<str>, usize)>,
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
    counters: Vec<(Arc<str>, i64)>,
    cycles: Vec<(String, usize)>,
    last_changed: Option<String>,
    /// How the names of the partials `include`d in this scope map to its slots.
    include_maps: Vec<(Arc<Parsed>, scope::NameMap)>,
}

pub(crate) fn render(
    env: &Environment,
    parsed: &Parsed,
    globals: &dyn ObjectView,
    out: &mut String,
) -> std::result::Result<Report, Error> {
    let config = &*env.config;
    let mut shared = Shared {
        config,
        env,
        filter_context: FilterContext {
            max_string_bytes: config.limits.max_string_bytes,
            max_array_items: config.limits.max_array_items,
            now: config.filter_context.now,
            time_zone: config.filter_context.time_zone,
        },
        iterations: 0,
        warnings: Vec::new(),
        output_base: out.len(),
        arg_buf: Vec::new(),
        kwarg_buf: Vec::new(),
    };
    let mut renderer = Renderer::new(globals, 0);
    let frame = Frame::owner(parsed);
    let aborted = match renderer.block(&mut shared, &frame, &parsed.root, out) {
        Ok(_) => None,
        Err(Stop(halt)) => match *halt {
            Halt::Abort(abort) => Some(abort),
            Halt::Error(e) => return Err(e.with_template(&parsed.name)),
        },
    };
    Ok(Report {
        aborted,
        warnings: shared.warnings,
    })
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
                    out.push_str(text);
                    self.check_output(sh, out, fr, Span::default())?;
                }
                Node::Output(filtered) => {
                    self.output(sh, fr, filtered, out)?;
                    self.check_output(sh, out, fr, filtered.span)?;
                }
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

    fn check_output(&self, sh: &Shared<'_>, out: &str, fr: &Frame<'_>, span: Span) -> Result<()> {
        let limit = sh.config.limits.max_output_bytes;
        if out.len().saturating_sub(sh.output_base) > limit {
            return Err(error_at(
                fr.tpl,
                span,
                ErrorKind::LimitExceeded,
                format!("output is larger than the limit of {limit} bytes"),
            ));
        }
        Ok(())
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
            Node::Case { subject, arms } => return self.case(sh, fr, subject, arms, out),
            Node::For(for_loop) => return self.for_loop(sh, fr, for_loop, out),
            Node::Capture { name, body, id } => {
                let mut captured = String::new();
                // A `break` or `continue` inside ends the capture and goes on to the
                // loop around it, with what was captured so far assigned.
                let flow = self.nested(sh, fr, body, &mut captured, Span::default())?;
                if captured.len() > sh.config.limits.max_string_bytes {
                    return Err(error_at(
                        fr.tpl,
                        Span::default(),
                        ErrorKind::LimitExceeded,
                        format!(
                            "captured text is larger than the string limit of {} bytes",
                            sh.config.limits.max_string_bytes
                        ),
                    ));
                }
                self.assign(fr, *id, name, Val::Owned(Value::from(captured)));
                return Ok(flow);
            }
            Node::Counter { name, step } => {
                let counters = &mut self.rare().counters;
                let slot = match counters.iter().position(|(n, _)| n == name) {
                    Some(i) => i,
                    None => {
                        counters.push((name.clone(), 0));
                        counters.len() - 1
                    }
                };
                let value = &mut counters[slot].1;
                if *step < 0 {
                    *value = value.saturating_sub(1);
                    Value::Int(*value).write_to(out);
                } else {
                    Value::Int(*value).write_to(out);
                    *value = value.saturating_add(1);
                }
            }
            Node::Cycle { group, key, values } => {
                let key = match group {
                    Some(group) => {
                        let g = self.eval(sh, fr, group)?.into_value();
                        format!("{}:{}", g.type_name(), g.to_text())
                    }
                    None => format!("#{key}"),
                };
                let cycles = &mut self.rare().cycles;
                let slot = match cycles.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        cycles.push((key, 0));
                        cycles.len() - 1
                    }
                };
                let index = cycles[slot].1;
                if let Some(expr) = values.get(index) {
                    self.eval(sh, fr, expr)?.write_to(out);
                }
                self.rare().cycles[slot].1 = if index + 1 >= values.len() {
                    0
                } else {
                    index + 1
                };
            }
            Node::IfChanged(body) => {
                let mut text = String::new();
                let flow = self.nested(sh, fr, body, &mut text, Span::default())?;
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
                    Some(expr) => Some(self.eval(sh, fr, expr)?.into_value().to_text()),
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
    ) -> Result<Flow> {
        let subject = self.eval(sh, fr, subject)?;
        let subject = subject.value_ref();
        let mut matched = false;
        for (values, body) in arms {
            // A `when` renders its block once for every value that matches.
            let runs = match values {
                None if matched => 0,
                None => 1,
                Some(values) => {
                    let mut hits = 0;
                    for v in values {
                        if self.operand(sh, fr, v)?.value_ref().liquid_eq(&subject) {
                            hits += 1;
                        }
                    }
                    matched |= hits > 0;
                    hits
                }
            };
            for _ in 0..runs {
                let flow = self.nested(sh, fr, body, out, Span::default())?;
                if flow != Flow::Normal {
                    return Ok(flow);
                }
            }
        }
        Ok(Flow::Normal)
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
                found => found.write_to(out),
            }
            return Ok(());
        }
        let (value, undefined) = self.filtered(sh, fr, f)?;
        if undefined && !f.has_default {
            self.undefined(sh, fr, f)?;
        }
        value.write_to(out);
        Ok(())
    }

    /// An undefined value was output: an error under the strict policy, a warning
    /// (once per place) under the lenient one.
    #[cold]
    fn undefined(&self, sh: &mut Shared<'_>, fr: &Frame<'_>, f: &Filtered) -> Result<()> {
        let tpl = fr.tpl;
        let path = undefined_path(&f.expr, &tpl.source);
        let span = expr_span(&f.expr).unwrap_or(f.span);
        match sh.config.undefined {
            UndefinedPolicy::Strict => Err(error_at(
                tpl,
                span,
                ErrorKind::UndefinedVariable,
                format!("`{path}` is undefined; add a `default` filter or test it with `if`"),
            )),
            UndefinedPolicy::Lenient => {
                let at = LineCol::of(&tpl.source, span.start as usize);
                let seen = sh
                    .warnings
                    .iter()
                    .any(|w| w.at == at && w.path == path && w.template == *tpl.name);
                if !seen {
                    sh.warnings.push(Warning {
                        path,
                        template: tpl.name.to_string(),
                        at,
                    });
                }
                Ok(())
            }
        }
    }
}

fn expr_span(expr: &Expr) -> Option<Span> {
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

#[cold]
fn filter_error(tpl: &Parsed, span: Span, name: &str, e: FilterError) -> Stop {
    let kind = match e {
        FilterError::StringTooLarge { .. } | FilterError::ArrayTooLarge { .. } => {
            ErrorKind::LimitExceeded
        }
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
