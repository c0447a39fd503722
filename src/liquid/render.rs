//! The renderer: walks the node tree with the globals, writing into the caller's buffer.
//!
//! Variables are found where `resolve` bound them: a template's loop variables on the
//! loop stack at a known place, its other names in slots by id (see [`scope`]), the
//! rest in the globals. Values are borrowed from the globals wherever they can be, and
//! only copied when a filter needs an owned input it cannot borrow.

use std::borrow::Cow;
use std::sync::Arc;

use super::ast::{
    Binding, Block, CompareOp, Comparison, Condition, Expr, FilterCall, Filtered, Logic, Node, Path,
    Segment,
};
use super::env::{Config, Environment, Parsed, UndefinedPolicy};
use super::error::{Error, ErrorKind, LineCol, Span};
use super::filters::{Args, FilterContext, FilterError};
use super::value::{Borrowed, KeyHint, ObjectView, Val, Value, range_len};

mod loops;
mod scope;

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
    /// Variables the scope's template never names (assigned by an included partial,
    /// or arguments of a `render` tag), by name.
    extra: Vec<(Arc<str>, Val<'g>)>,
    /// Loop variables and partial arguments, innermost last.
    stack: Vec<(Arc<str>, Val<'g>)>,
    loops: Vec<LoopState>,
    counters: Vec<(Arc<str>, i64)>,
    cycles: Vec<(String, usize)>,
    offsets: Vec<(Arc<str>, usize)>,
    last_changed: Option<String>,
    depth: usize,
    partial_depth: usize,
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
            extra: Vec::new(),
            stack: Vec::new(),
            loops: Vec::new(),
            counters: Vec::new(),
            cycles: Vec::new(),
            offsets: Vec::new(),
            last_changed: None,
            depth: 0,
            partial_depth,
            include_maps: Vec::new(),
        }
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
                    let value = self.filtered(sh, fr, value)?.0;
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
                self.nested(sh, fr, body, &mut captured, Span::default())?;
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
            }
            Node::Counter { name, step } => {
                let slot = match self.counters.iter().position(|(n, _)| n == name) {
                    Some(i) => i,
                    None => {
                        self.counters.push((name.clone(), 0));
                        self.counters.len() - 1
                    }
                };
                let value = &mut self.counters[slot].1;
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
                let slot = match self.cycles.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        self.cycles.push((key, 0));
                        self.cycles.len() - 1
                    }
                };
                let index = self.cycles[slot].1;
                if let Some(expr) = values.get(index) {
                    self.eval(sh, fr, expr)?.write_to(out);
                }
                self.cycles[slot].1 = if index + 1 >= values.len() {
                    0
                } else {
                    index + 1
                };
            }
            Node::IfChanged(body) => {
                let mut text = String::new();
                let flow = self.nested(sh, fr, body, &mut text, Span::default())?;
                if self.last_changed.as_deref() != Some(text.as_str()) {
                    out.push_str(&text);
                    self.last_changed = Some(text);
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

    /// Evaluates an expression and its filters. The flag says whether the expression
    /// itself was undefined.
    #[inline]
    fn filtered(
        &self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &Filtered,
    ) -> Result<(Val<'g>, bool)> {
        let got = self.operand(sh, fr, &f.expr)?;
        let undefined = matches!(got, Got::Undefined);
        let Some((first, rest)) = f.filters.split_first() else {
            return Ok((got.into_val(), undefined));
        };
        // Filters read their input by reference: only host data that is not a `Value`
        // is copied.
        let mut value = self.apply(sh, fr, first, &got.value_ref())?;
        drop(got);
        for call in rest {
            value = self.apply(sh, fr, call, &value)?;
        }
        Ok((Val::Owned(value), undefined))
    }

    /// Calls one filter.
    #[inline]
    fn apply(
        &self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        call: &FilterCall,
        input: &Value,
    ) -> Result<Value> {
        let result = match &call.constant {
            Some((args, kwargs)) => (call.func.0)(
                input,
                &Args {
                    positional: args,
                    keyword: kwargs,
                    context: &sh.filter_context,
                },
            ),
            // One argument, the common case: read in place, no buffer.
            None if call.args.len() == 1 && call.kwargs.is_empty() => {
                let arg = self.operand(sh, fr, &call.args[0])?;
                let arg = arg.value_ref();
                (call.func.0)(
                    input,
                    &Args {
                        positional: std::slice::from_ref(&*arg),
                        keyword: &[],
                        context: &sh.filter_context,
                    },
                )
            }
            None => return self.apply_buffered(sh, fr, call, input),
        };
        match result {
            // Rebuilt rather than moved: copying the whole value right after the
            // filter wrote it field by field stalls the load.
            Ok(Value::Int(i)) => Ok(Value::Int(i)),
            Ok(value) => Ok(value),
            Err(e) => Err(filter_error(fr.tpl, call.span, &call.name, e)),
        }
    }

    /// Calls a filter with its arguments evaluated into the reused buffers.
    #[inline(never)]
    fn apply_buffered(
        &self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        call: &FilterCall,
        input: &Value,
    ) -> Result<Value> {
        let mut args = std::mem::take(&mut sh.arg_buf);
        let mut kwargs = std::mem::take(&mut sh.kwarg_buf);
        let result = self
            .eval_args(sh, fr, call, &mut args, &mut kwargs)
            .map(|()| {
                (call.func.0)(
                    input,
                    &Args {
                        positional: &args,
                        keyword: &kwargs,
                        context: &sh.filter_context,
                    },
                )
            });
        args.clear();
        kwargs.clear();
        sh.arg_buf = args;
        sh.kwarg_buf = kwargs;
        result?.map_err(|e| filter_error(fr.tpl, call.span, &call.name, e))
    }

    fn eval_args(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        call: &FilterCall,
        args: &mut Vec<Value>,
        kwargs: &mut Vec<(Arc<str>, Value)>,
    ) -> Result<()> {
        for a in &call.args {
            args.push(self.operand(sh, fr, a)?.into_value());
        }
        for (k, a) in &call.kwargs {
            kwargs.push((k.clone(), self.operand(sh, fr, a)?.into_value()));
        }
        Ok(())
    }

    /// Evaluates an expression, reading values in place where they are.
    #[inline]
    fn operand<'r>(
        &'r self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        expr: &'r Expr,
    ) -> Result<Got<'r, 'g>> {
        match expr {
            Expr::Literal(v) => Ok(Got::Literal(v)),
            Expr::Path(path) => self.lookup(sh, fr, path),
            Expr::Range(..) => self.eval(sh, fr, expr).map(Got::New),
        }
    }

    /// Evaluates an expression; undefined paths are nil.
    fn eval(&self, sh: &Shared<'_>, fr: &Frame<'_>, expr: &Expr) -> Result<Val<'g>> {
        Ok(match expr {
            Expr::Literal(v) => Val::Owned(v.clone()),
            Expr::Path(path) => self.lookup(sh, fr, path)?.into_val(),
            Expr::Range(start, end, span) => {
                let start = to_range_bound(&self.operand(sh, fr, start)?.value_ref());
                let end = to_range_bound(&self.operand(sh, fr, end)?.value_ref());
                let limit = sh.config.limits.max_range_size;
                if range_len(start, end) > limit {
                    return Err(error_at(
                        fr.tpl,
                        *span,
                        ErrorKind::LimitExceeded,
                        format!(
                            "range ({start}..{end}) holds more than the limit of {limit} integers"
                        ),
                    ));
                }
                Val::Owned(Value::Range(start, end))
            }
        })
    }

    /// Looks a path up.
    #[inline]
    fn lookup<'r>(&'r self, sh: &Shared<'_>, fr: &Frame<'_>, path: &Path) -> Result<Got<'r, 'g>> {
        // The common paths: a loop variable or a plain name, then keys. Results are
        // built where they are returned: moving a `Got` that was just written word by
        // word stalls the load that copies it.
        let last = path.rest.len();
        let mut current = match (path.binding, &path.root) {
            (Binding::Loop(place), _) => {
                let v = &self.stack[fr.stack_base + place as usize].1;
                if last == 0 {
                    return Ok(Got::Stored(v));
                }
                Got::Stored(v)
            }
            (Binding::Name(id), Segment::Key(name)) => {
                if last == 0 {
                    return Ok(self.named(fr, id, name, &path.hints[0]));
                }
                self.named(fr, id, name, &path.hints[0])
            }
            _ => return self.lookup_rest(sh, fr, path),
        };
        for (i, segment) in path.rest.iter().enumerate() {
            let Segment::Key(key) = segment else {
                return self.walk(sh, fr, current, path, i);
            };
            let hint = &path.hints[1 + i];
            match current.find(key, hint) {
                Some(found) if i + 1 == last => return Ok(Got::Global(found)),
                Some(found) => current = Got::Global(found),
                None => {
                    current = current.get_slow(key, hint);
                    if let Got::Undefined = current {
                        return Ok(Got::Undefined);
                    }
                }
            }
        }
        Ok(current)
    }

    /// The paths [`Renderer::lookup`] leaves: `forloop`, and roots that are not names.
    #[inline(never)]
    fn lookup_rest<'r>(
        &'r self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        path: &Path,
    ) -> Result<Got<'r, 'g>> {
        let mut rest = path.rest.iter();
        let root = self.root(sh, fr, path, &mut rest)?;
        // `forloop` may have taken some segments.
        let from = path.rest.len() - rest.len();
        self.walk(sh, fr, root, path, from)
    }

    /// Walks the segments of `path` from number `from` on.
    #[inline(never)]
    fn walk<'r>(
        &'r self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        mut current: Got<'r, 'g>,
        path: &Path,
        from: usize,
    ) -> Result<Got<'r, 'g>> {
        for (segment, hint) in path.rest[from..].iter().zip(&path.hints[1 + from..]) {
            if let Got::Undefined = current {
                break;
            }
            current = match segment {
                Segment::Key(key) => current.get(key, hint),
                Segment::Index(i) => current.index(*i),
                Segment::Dynamic(expr) => {
                    let key = self.operand(sh, fr, expr)?;
                    current.dynamic(&key.value_ref())
                }
            };
        }
        Ok(current)
    }

    fn condition(&self, sh: &Shared<'_>, fr: &Frame<'_>, c: &Condition) -> Result<bool> {
        let last = c.terms.len() - 1;
        let mut result = self.comparison(sh, fr, &c.terms[last])?;
        for i in (0..last).rev() {
            let left = self.comparison(sh, fr, &c.terms[i])?;
            result = match c.ops[i] {
                Logic::And => left && result,
                Logic::Or => left || result,
            };
        }
        Ok(result)
    }

    fn comparison(&self, sh: &Shared<'_>, fr: &Frame<'_>, c: &Comparison) -> Result<bool> {
        let (left, op, right, span) = match c {
            Comparison::Test(expr) => return Ok(self.operand(sh, fr, expr)?.is_truthy()),
            Comparison::Compare(l, op, r, span) => (l, *op, r, *span),
        };
        let left = self.operand(sh, fr, left)?;
        let right = self.operand(sh, fr, right)?;
        if let (Some(a), Some(b)) = (left.as_str(), right.as_str()) {
            match op {
                CompareOp::Eq => return Ok(a == b),
                CompareOp::Ne => return Ok(a != b),
                _ => {}
            }
        }
        let (left, right) = (left.value_ref(), right.value_ref());
        Ok(match op {
            CompareOp::Eq => left.liquid_eq(&right),
            CompareOp::Ne => !left.liquid_eq(&right),
            CompareOp::Contains => left.contains(&right),
            _ => {
                let is_special = |v: &Value| matches!(v, Value::Nil | Value::Empty | Value::Blank);
                if is_special(&left) || is_special(&right) {
                    return Ok(false);
                }
                let Some(order) = left.liquid_cmp(&right) else {
                    return Err(error_at(
                        fr.tpl,
                        span,
                        ErrorKind::Type,
                        format!(
                            "cannot compare {} with {}",
                            left.type_name(),
                            right.type_name()
                        ),
                    ));
                };
                match op {
                    CompareOp::Lt => order.is_lt(),
                    CompareOp::Gt => order.is_gt(),
                    CompareOp::Le => order.is_le(),
                    _ => order.is_ge(),
                }
            }
        })
    }

    fn integer_arg(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        expr: &Expr,
        what: &str,
        tag: Span,
    ) -> Result<i64> {
        let value = self.eval(sh, fr, expr)?.into_value();
        let n = match &value {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.is_finite() => Some(*f as i64),
            Value::Str(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        n.ok_or_else(|| {
            let span = expr_span(expr).unwrap_or(tag);
            error_at(
                fr.tpl,
                span,
                ErrorKind::Type,
                format!(
                    "`{what}` expects an integer, found {} {}",
                    value.type_name(),
                    describe(&value)
                ),
            )
        })
    }
}

/// What evaluating an expression gave, read in place where possible.
enum Got<'r, 'g> {
    /// An undefined path.
    Undefined,
    /// A variable of the scope or the loop stack, not copied.
    Stored(&'r Val<'g>),
    /// A value inside the globals, not copied.
    Global(&'g Value),
    /// A literal of the template, not copied.
    Literal(&'r Value),
    /// A value found or made by the lookup.
    New(Val<'g>),
}

static NIL: Value = Value::Nil;

impl<'r, 'g> Got<'r, 'g> {
    fn from_val(v: Option<Val<'g>>) -> Self {
        match v {
            Some(Val::Borrowed(Borrowed::Value(v))) => Got::Global(v),
            Some(v) => Got::New(v),
            None => Got::Undefined,
        }
    }

    /// The property `key`, including `size`, `first` and `last`.
    fn get(&self, key: &str, hint: &KeyHint) -> Got<'r, 'g> {
        match self.find(key, hint) {
            Some(found) => Got::Global(found),
            None => self.get_slow(key, hint),
        }
    }

    /// The property `key` when this is an object inside the globals that has it.
    #[inline]
    fn find(&self, key: &str, hint: &KeyHint) -> Option<&'g Value> {
        match self {
            Got::Global(Value::Object(map))
            | Got::Stored(Val::Borrowed(Borrowed::Value(Value::Object(map)))) => {
                hint.find(map, key)
            }
            _ => None,
        }
    }

    /// [`Got::get`] for everything but objects inside the globals that have the key.
    #[inline(never)]
    fn get_slow(&self, key: &str, hint: &KeyHint) -> Got<'r, 'g> {
        match self {
            Got::Global(v) => get_global(v, key, hint),
            Got::Stored(Val::Borrowed(Borrowed::Value(v))) => get_global(v, key, hint),
            Got::Stored(v) => Got::from_val(v.get_hinted(key, hint)),
            Got::New(v) => Got::from_val(v.get_hinted(key, hint)),
            Got::Literal(v) => Got::from_val(v.get(key).map(Val::Owned)),
            Got::Undefined => Got::Undefined,
        }
    }

    /// Item `index`.
    fn index(&self, index: i64) -> Got<'r, 'g> {
        match self {
            Got::Global(v) => Got::from_val(Val::value(v).index(index)),
            Got::Stored(v) => Got::from_val(v.index(index)),
            Got::New(v) => Got::from_val(v.index(index)),
            Got::Literal(v) => Got::from_val(v.index(index).map(Val::Owned)),
            Got::Undefined => Got::Undefined,
        }
    }

    /// `[key]`: an item for a number, a property for a string.
    fn dynamic(&self, key: &Value) -> Got<'r, 'g> {
        match key {
            Value::Int(i) => self.index(*i),
            Value::Float(f) => self.index(*f as i64),
            Value::Str(s) => self.get(s, &KeyHint::default()),
            _ => Got::Undefined,
        }
    }

    /// The value, copied if it is stored (nil if undefined).
    fn into_val(self) -> Val<'g> {
        match self {
            Got::Undefined => Val::Owned(Value::Nil),
            Got::Stored(v) => v.clone(),
            Got::Global(v) => Val::value(v),
            Got::Literal(v) => Val::Owned(v.clone()),
            Got::New(v) => v,
        }
    }

    /// The owned value.
    fn into_value(self) -> Value {
        match self {
            Got::Undefined => Value::Nil,
            Got::Stored(v) => v.clone().into_value(),
            Got::Global(v) | Got::Literal(v) => v.clone(),
            Got::New(v) => v.into_value(),
        }
    }

    /// The value as a `&Value`, copying only host data that is not one.
    #[inline]
    fn value_ref(&self) -> Cow<'_, Value> {
        match self {
            Got::Undefined => Cow::Borrowed(&NIL),
            Got::Stored(v) => v.value_ref(),
            Got::Global(v) | Got::Literal(v) => Cow::Borrowed(*v),
            Got::New(v) => v.value_ref(),
        }
    }

    fn write_to(&self, out: &mut String) {
        match self {
            Got::Undefined => {}
            Got::Stored(v) => v.write_to(out),
            Got::Global(v) | Got::Literal(v) => v.write_to(out),
            Got::New(v) => v.write_to(out),
        }
    }

    fn is_truthy(&self) -> bool {
        match self {
            Got::Undefined => false,
            Got::Stored(v) => v.is_truthy(),
            Got::Global(v) | Got::Literal(v) => v.is_truthy(),
            Got::New(v) => v.is_truthy(),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Got::Undefined => None,
            Got::Stored(v) => val_str(v),
            Got::Global(v) | Got::Literal(v) => v.as_str(),
            Got::New(v) => val_str(v),
        }
    }
}

/// The property `key` of a value inside the globals.
fn get_global<'r, 'g>(v: &'g Value, key: &str, hint: &KeyHint) -> Got<'r, 'g> {
    if let Value::Object(map) = v {
        if let Some(found) = hint.find(map, key) {
            return Got::Global(found);
        }
    }
    // `size`, `first` and `last`.
    match v.get(key) {
        Some(found) => Got::New(Val::Owned(found)),
        None => Got::Undefined,
    }
}

fn val_str<'v>(v: &'v Val<'_>) -> Option<&'v str> {
    match v {
        Val::Owned(Value::Str(s)) => Some(s),
        Val::Borrowed(Borrowed::Value(Value::Str(s))) => Some(s),
        Val::Borrowed(Borrowed::Str(s)) => Some(s),
        _ => None,
    }
}

fn to_range_bound(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) if f.is_finite() => *f as i64,
        Value::Str(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(|f| f as i64)
                })
                .unwrap_or(0)
        }
        _ => 0,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{s:?}"),
        Value::Nil => String::new(),
        other => other.to_text(),
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
