//! The renderer: walks the node tree with the globals, writing into the caller's buffer.

use std::sync::Arc;

use super::ast::{
    Block, CompareOp, Comparison, Condition, Expr, Filtered, ForLoop, Logic, Node, Offset,
    PartialCall, Path, Segment,
};
use super::env::{Config, Environment, Parsed, UndefinedPolicy};
use super::error::{Error, ErrorKind, LineCol, Span};
use super::filters::{Args, FilterContext, FilterError};
use super::value::{Borrowed, Map, ObjectView, Val, Value, range_len};

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

/// Why rendering stopped early.
enum Stop {
    Error(Error),
    Abort(Box<Abort>),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
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
}

struct Renderer<'g> {
    globals: &'g dyn ObjectView,
    /// `assign` and `capture` variables.
    locals: Vec<(Arc<str>, Val<'g>)>,
    /// Loop variables and partial arguments, innermost last.
    stack: Vec<(Arc<str>, Val<'g>)>,
    loops: Vec<LoopState>,
    counters: Vec<(Arc<str>, i64)>,
    cycles: Vec<(String, usize)>,
    offsets: Vec<(Arc<str>, usize)>,
    last_changed: Option<String>,
    depth: usize,
    partial_depth: usize,
    arg_buf: Vec<Value>,
    kwarg_buf: Vec<(Arc<str>, Value)>,
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
    };
    let mut renderer = Renderer::new(globals, 0);
    let aborted = match renderer.block(&mut shared, parsed, &parsed.root, out) {
        Ok(_) => None,
        Err(Stop::Abort(abort)) => Some(*abort),
        Err(Stop::Error(e)) => return Err(e.with_template(&parsed.name)),
    };
    Ok(Report {
        aborted,
        warnings: shared.warnings,
    })
}

fn error_at(tpl: &Parsed, span: Span, kind: ErrorKind, message: impl Into<String>) -> Stop {
    Stop::Error(
        Error::new(kind, message)
            .with_span(&tpl.source, span)
            .with_template(&tpl.name),
    )
}

impl<'g> Renderer<'g> {
    fn new(globals: &'g dyn ObjectView, partial_depth: usize) -> Self {
        Renderer {
            globals,
            locals: Vec::new(),
            stack: Vec::new(),
            loops: Vec::new(),
            counters: Vec::new(),
            cycles: Vec::new(),
            offsets: Vec::new(),
            last_changed: None,
            depth: 0,
            partial_depth,
            arg_buf: Vec::new(),
            kwarg_buf: Vec::new(),
        }
    }

    fn block(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        block: &Block,
        out: &mut String,
    ) -> Result<Flow> {
        for node in block {
            let flow = self.node(sh, tpl, node, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn nested(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        block: &Block,
        out: &mut String,
        span: Span,
    ) -> Result<Flow> {
        self.depth += 1;
        if self.depth > sh.config.limits.max_depth {
            return Err(error_at(
                tpl,
                span,
                ErrorKind::LimitExceeded,
                format!(
                    "blocks nested deeper than the limit of {}",
                    sh.config.limits.max_depth
                ),
            ));
        }
        let flow = self.block(sh, tpl, block, out);
        self.depth -= 1;
        flow
    }

    fn check_output(&self, sh: &Shared<'_>, out: &str, tpl: &Parsed, span: Span) -> Result<()> {
        let limit = sh.config.limits.max_output_bytes;
        if out.len().saturating_sub(sh.output_base) > limit {
            return Err(error_at(
                tpl,
                span,
                ErrorKind::LimitExceeded,
                format!("output is larger than the limit of {limit} bytes"),
            ));
        }
        Ok(())
    }

    fn node(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        node: &Node,
        out: &mut String,
    ) -> Result<Flow> {
        match node {
            Node::Text(text) => {
                out.push_str(text);
                self.check_output(sh, out, tpl, Span::default())?;
            }
            Node::Output(filtered) => {
                let value = self.output_value(sh, tpl, filtered)?;
                value.write_to(out);
                self.check_output(sh, out, tpl, filtered.span)?;
            }
            Node::If {
                branches,
                otherwise,
                negate_first,
            } => {
                for (i, (condition, body)) in branches.iter().enumerate() {
                    let truth = self.condition(sh, tpl, condition)?;
                    if truth != (i == 0 && *negate_first) {
                        return self.nested(sh, tpl, body, out, Span::default());
                    }
                }
                if let Some(body) = otherwise {
                    return self.nested(sh, tpl, body, out, Span::default());
                }
            }
            Node::Case { subject, arms } => {
                let subject = self.eval(sh, tpl, subject)?.into_value();
                let mut matched = false;
                for (values, body) in arms {
                    // A `when` renders its block once for every value that matches.
                    let runs = match values {
                        None if matched => 0,
                        None => 1,
                        Some(values) => {
                            let mut hits = 0;
                            for v in values {
                                if self.eval(sh, tpl, v)?.into_value().liquid_eq(&subject) {
                                    hits += 1;
                                }
                            }
                            matched |= hits > 0;
                            hits
                        }
                    };
                    for _ in 0..runs {
                        let flow = self.nested(sh, tpl, body, out, Span::default())?;
                        if flow != Flow::Normal {
                            return Ok(flow);
                        }
                    }
                }
            }
            Node::For(for_loop) => return self.for_loop(sh, tpl, for_loop, out),
            Node::Assign { name, value } => {
                let value = self.filtered(sh, tpl, value)?.0;
                self.assign(name, value);
            }
            Node::Capture { name, body } => {
                let mut captured = String::new();
                self.nested(sh, tpl, body, &mut captured, Span::default())?;
                if captured.len() > sh.config.limits.max_string_bytes {
                    return Err(error_at(
                        tpl,
                        Span::default(),
                        ErrorKind::LimitExceeded,
                        format!(
                            "captured text is larger than the string limit of {} bytes",
                            sh.config.limits.max_string_bytes
                        ),
                    ));
                }
                self.assign(name, Val::Owned(Value::from(captured)));
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
                        let g = self.eval(sh, tpl, group)?.into_value();
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
                    self.eval(sh, tpl, expr)?.write_to(out);
                }
                self.cycles[slot].1 = if index + 1 >= values.len() {
                    0
                } else {
                    index + 1
                };
            }
            Node::IfChanged(body) => {
                let mut text = String::new();
                let flow = self.nested(sh, tpl, body, &mut text, Span::default())?;
                if self.last_changed.as_deref() != Some(text.as_str()) {
                    out.push_str(&text);
                    self.last_changed = Some(text);
                }
                return Ok(flow);
            }
            Node::Partial(call) => return self.partial(sh, tpl, call, out),
            Node::Block(body) => return self.nested(sh, tpl, body, out, Span::default()),
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Abort(reason, span) => {
                let reason = match reason {
                    Some(expr) => Some(self.eval(sh, tpl, expr)?.into_value().to_text()),
                    None => None,
                };
                return Err(Stop::Abort(Box::new(Abort {
                    reason,
                    template: tpl.name.to_string(),
                    at: LineCol::of(&tpl.source, span.start as usize),
                })));
            }
        }
        Ok(Flow::Normal)
    }

    fn assign(&mut self, name: &Arc<str>, value: Val<'g>) {
        match self
            .locals
            .iter_mut()
            .find(|(n, _)| Arc::ptr_eq(n, name) || n == name)
        {
            Some(slot) => slot.1 = value,
            None => self.locals.push((name.clone(), value)),
        }
    }

    /// Evaluates an output's value and applies the undefined policy.
    fn output_value(&mut self, sh: &mut Shared<'_>, tpl: &Parsed, f: &Filtered) -> Result<Val<'g>> {
        let (value, undefined) = self.filtered(sh, tpl, f)?;
        if undefined && !f.has_default {
            let path = undefined_path(&f.expr, &tpl.source);
            match sh.config.undefined {
                UndefinedPolicy::Strict => {
                    return Err(error_at(
                        tpl,
                        expr_span(&f.expr).unwrap_or(f.span),
                        ErrorKind::UndefinedVariable,
                        format!(
                            "`{path}` is undefined; add a `default` filter or test it with `if`"
                        ),
                    ));
                }
                UndefinedPolicy::Lenient => {
                    let at = LineCol::of(
                        &tpl.source,
                        expr_span(&f.expr).unwrap_or(f.span).start as usize,
                    );
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
                }
            }
        }
        Ok(value)
    }

    /// Evaluates an expression and its filters. The flag says whether the expression
    /// itself was undefined.
    fn filtered(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        f: &Filtered,
    ) -> Result<(Val<'g>, bool)> {
        let (mut value, undefined) = match &f.expr {
            Expr::Path(path) => match self.lookup(sh, tpl, path)? {
                Some(v) => (v, false),
                None => (Val::Owned(Value::Nil), true),
            },
            other => (self.eval(sh, tpl, other)?, false),
        };
        for call in &f.filters {
            let input = value.into_value();
            let result = match &call.constant {
                Some((args, kwargs)) => (call.func.0)(
                    &input,
                    &Args {
                        positional: args,
                        keyword: kwargs,
                        context: &sh.filter_context,
                    },
                ),
                None => {
                    // Argument buffers are reused from call to call: arguments are plain
                    // expressions, so evaluating them never re-enters this function.
                    let mut args = std::mem::take(&mut self.arg_buf);
                    let mut kwargs = std::mem::take(&mut self.kwarg_buf);
                    for a in &call.args {
                        args.push(self.eval(sh, tpl, a)?.into_value());
                    }
                    for (k, a) in &call.kwargs {
                        kwargs.push((k.clone(), self.eval(sh, tpl, a)?.into_value()));
                    }
                    let result = (call.func.0)(
                        &input,
                        &Args {
                            positional: &args,
                            keyword: &kwargs,
                            context: &sh.filter_context,
                        },
                    );
                    args.clear();
                    kwargs.clear();
                    self.arg_buf = args;
                    self.kwarg_buf = kwargs;
                    result
                }
            };
            value = Val::Owned(result.map_err(|e| filter_error(tpl, call.span, &call.name, e))?);
        }
        Ok((value, undefined))
    }

    /// Evaluates an expression; undefined paths are nil.
    fn eval(&mut self, sh: &mut Shared<'_>, tpl: &Parsed, expr: &Expr) -> Result<Val<'g>> {
        Ok(match expr {
            Expr::Literal(v) => Val::Owned(v.clone()),
            Expr::Path(path) => self
                .lookup(sh, tpl, path)?
                .unwrap_or(Val::Owned(Value::Nil)),
            Expr::Range(start, end, span) => {
                let start = to_range_bound(&self.eval(sh, tpl, start)?.into_value());
                let end = to_range_bound(&self.eval(sh, tpl, end)?.into_value());
                let limit = sh.config.limits.max_range_size;
                if range_len(start, end) > limit {
                    return Err(error_at(
                        tpl,
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

    fn root(&self, name: &str) -> Option<Val<'g>> {
        // Names are interned per template, so a pointer comparison usually decides.
        let same = |n: &Arc<str>| std::ptr::eq(n.as_ptr(), name.as_ptr()) || **n == *name;
        if let Some((_, v)) = self.stack.iter().rev().find(|(n, _)| same(n)) {
            return Some(v.clone());
        }
        if let Some((_, v)) = self.locals.iter().find(|(n, _)| same(n)) {
            return Some(v.clone());
        }
        if let Some((_, n)) = self.counters.iter().find(|(n, _)| same(n)) {
            return Some(Val::Owned(Value::Int(*n)));
        }
        self.globals.get(name)
    }

    /// Looks a path up; `None` when it is undefined.
    fn lookup(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        path: &Path,
    ) -> Result<Option<Val<'g>>> {
        let mut rest = path.rest.iter();
        let mut current = match &path.root {
            Segment::Key(name) if !self.loops.is_empty() && &**name == "forloop" => {
                let mut level = self.loops.len() - 1;
                loop {
                    match rest.clone().next() {
                        Some(Segment::Key(k)) if &**k == "parentloop" => {
                            rest.next();
                            if level == 0 {
                                return Ok(None);
                            }
                            level -= 1;
                        }
                        Some(Segment::Key(k)) => {
                            rest.next();
                            match self.loop_property(level, k) {
                                Some(v) => break Val::Owned(v),
                                None => return Ok(None),
                            }
                        }
                        Some(_) => return Ok(None),
                        None => return Ok(Some(Val::Owned(self.loop_object(level)))),
                    }
                }
            }
            Segment::Key(name) => match self.root(name) {
                Some(v) => v,
                None => return Ok(None),
            },
            Segment::Index(i) => match self.root(&i.to_string()) {
                Some(v) => v,
                None => return Ok(None),
            },
            Segment::Dynamic(expr) => {
                let key = self.eval(sh, tpl, expr)?.into_value();
                match self.root(&key.to_str()) {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
        };
        for segment in rest {
            let next = match segment {
                Segment::Key(k) => current.get(k),
                Segment::Index(i) => current.index(*i),
                Segment::Dynamic(expr) => match self.eval(sh, tpl, expr)?.into_value() {
                    Value::Int(i) => current.index(i),
                    Value::Float(f) => current.index(f as i64),
                    Value::Str(s) => current.get(&s),
                    _ => None,
                },
            };
            match next {
                Some(v) => current = v,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    fn loop_property(&self, level: usize, key: &str) -> Option<Value> {
        let l = &self.loops[level];
        Some(match key {
            "index" => Value::Int(l.index0 as i64 + 1),
            "index0" => Value::Int(l.index0 as i64),
            "rindex" => Value::Int((l.length - l.index0) as i64),
            "rindex0" => Value::Int((l.length - l.index0) as i64 - 1),
            "first" => Value::Bool(l.index0 == 0),
            "last" => Value::Bool(l.index0 + 1 == l.length),
            "length" => Value::Int(l.length as i64),
            "name" => Value::Str(l.name.clone()),
            "parentloop" if level > 0 => self.loop_object(level - 1),
            _ => return None,
        })
    }

    fn loop_object(&self, level: usize) -> Value {
        let mut map = Map::default();
        for key in [
            "name", "length", "index", "index0", "rindex", "rindex0", "first", "last",
        ] {
            if let Some(v) = self.loop_property(level, key) {
                map.insert(key.to_owned(), v);
            }
        }
        Value::from(map)
    }

    fn condition(&mut self, sh: &mut Shared<'_>, tpl: &Parsed, c: &Condition) -> Result<bool> {
        let last = c.terms.len() - 1;
        let mut result = self.comparison(sh, tpl, &c.terms[last])?;
        for i in (0..last).rev() {
            let left = self.comparison(sh, tpl, &c.terms[i])?;
            result = match c.ops[i] {
                Logic::And => left && result,
                Logic::Or => left || result,
            };
        }
        Ok(result)
    }

    fn comparison(&mut self, sh: &mut Shared<'_>, tpl: &Parsed, c: &Comparison) -> Result<bool> {
        let (left, op, right, span) = match c {
            Comparison::Test(expr) => return Ok(self.eval(sh, tpl, expr)?.is_truthy()),
            Comparison::Compare(l, op, r, span) => (l, *op, r, *span),
        };
        let left = self.eval(sh, tpl, left)?;
        let right = self.eval(sh, tpl, right)?;
        if let (Some(a), Some(b)) = (val_str(&left), val_str(&right)) {
            match op {
                CompareOp::Eq => return Ok(a == b),
                CompareOp::Ne => return Ok(a != b),
                _ => {}
            }
        }
        let (left, right) = (left.into_value(), right.into_value());
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
                        tpl,
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
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        expr: &Expr,
        what: &str,
        tag: Span,
    ) -> Result<i64> {
        let value = self.eval(sh, tpl, expr)?.into_value();
        let n = match &value {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.is_finite() => Some(*f as i64),
            Value::Str(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        n.ok_or_else(|| {
            let span = expr_span(expr).unwrap_or(tag);
            error_at(
                tpl,
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

    fn for_loop(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        f: &ForLoop,
        out: &mut String,
    ) -> Result<Flow> {
        let collection = self.eval(sh, tpl, &f.collection)?;
        let items = Items::new(collection);
        let total = items.len();
        let from = match &f.offset {
            None => 0,
            Some(Offset::Continue) => self
                .offsets
                .iter()
                .find(|(n, _)| *n == f.name)
                .map_or(0, |(_, o)| *o),
            Some(Offset::Expr(e)) => {
                self.integer_arg(sh, tpl, e, "offset", f.span)?.max(0) as usize
            }
        };
        let from = from.min(total);
        let to = match &f.limit {
            None => total,
            Some(e) => {
                let limit = self.integer_arg(sh, tpl, e, "limit", f.span)?.max(0) as usize;
                from.saturating_add(limit).min(total)
            }
        };
        if !f.tablerow {
            match self.offsets.iter_mut().find(|(n, _)| *n == f.name) {
                Some(slot) => slot.1 = to,
                None => self.offsets.push((f.name.clone(), to)),
            }
        }
        let length = to - from;
        if f.tablerow {
            let cols = match &f.cols {
                None => length.max(1),
                Some(e) => {
                    let cols = self.integer_arg(sh, tpl, e, "cols", f.span)?;
                    if cols <= 0 {
                        return Err(error_at(
                            tpl,
                            expr_span(e).unwrap_or(f.span),
                            ErrorKind::Type,
                            format!("`cols` must be at least 1, found {cols}"),
                        ));
                    }
                    cols as usize
                }
            };
            return self.tablerow(sh, tpl, f, &items, from, length, cols, out);
        }
        if length == 0 {
            if let Some(otherwise) = &f.otherwise {
                return self.nested(sh, tpl, otherwise, out, f.span);
            }
            return Ok(Flow::Normal);
        }
        self.stack.push((f.var.clone(), Val::Owned(Value::Nil)));
        self.loops.push(LoopState {
            name: f.name.clone(),
            index0: 0,
            length,
        });
        let result = self.iterate(sh, tpl, f, &items, from, length, out);
        self.loops.pop();
        self.stack.pop();
        result.map(|_| Flow::Normal)
    }

    #[allow(clippy::too_many_arguments)]
    fn iterate(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        f: &ForLoop,
        items: &Items<'g>,
        from: usize,
        length: usize,
        out: &mut String,
    ) -> Result<()> {
        for i in 0..length {
            self.count_iteration(sh, tpl, f.span)?;
            let index = if f.reversed {
                from + length - 1 - i
            } else {
                from + i
            };
            let slot = self.stack.len() - 1;
            self.stack[slot].1 = items.get(index);
            if let Some(l) = self.loops.last_mut() {
                l.index0 = i;
            }
            if self.nested(sh, tpl, &f.body, out, f.span)? == Flow::Break {
                break;
            }
        }
        Ok(())
    }

    fn count_iteration(&self, sh: &mut Shared<'_>, tpl: &Parsed, span: Span) -> Result<()> {
        sh.iterations += 1;
        let limit = sh.config.limits.max_loop_iterations;
        if sh.iterations > limit {
            return Err(error_at(
                tpl,
                span,
                ErrorKind::LimitExceeded,
                format!("more than {limit} loop iterations in one render"),
            ));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn tablerow(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        f: &ForLoop,
        items: &Items<'g>,
        from: usize,
        length: usize,
        cols: usize,
        out: &mut String,
    ) -> Result<Flow> {
        out.push_str("<tr class=\"row1\">\n");
        self.stack.push((f.var.clone(), Val::Owned(Value::Nil)));
        self.stack
            .push((Arc::from("tablerowloop"), Val::Owned(Value::Nil)));
        let mut result = Ok(());
        for i in 0..length {
            if let Err(e) = self.count_iteration(sh, tpl, f.span) {
                result = Err(e);
                break;
            }
            let (col0, row) = (i % cols, i / cols + 1);
            let col_last = col0 + 1 == cols || i + 1 == length;
            let mut info = Map::default();
            let fields: [(&str, Value); 12] = [
                ("col", Value::Int(col0 as i64 + 1)),
                ("col0", Value::Int(col0 as i64)),
                ("col_first", Value::Bool(col0 == 0)),
                ("col_last", Value::Bool(col0 + 1 == cols)),
                ("first", Value::Bool(i == 0)),
                ("index", Value::Int(i as i64 + 1)),
                ("index0", Value::Int(i as i64)),
                ("last", Value::Bool(i + 1 == length)),
                ("length", Value::Int(length as i64)),
                ("rindex", Value::Int((length - i) as i64)),
                ("rindex0", Value::Int((length - i) as i64 - 1)),
                ("row", Value::Int(row as i64)),
            ];
            for (k, v) in fields {
                info.insert(k.to_owned(), v);
            }
            let n = self.stack.len();
            self.stack[n - 2].1 = items.get(from + i);
            self.stack[n - 1].1 = Val::Owned(Value::from(info));
            out.push_str(&format!("<td class=\"col{}\">", col0 + 1));
            let flow = match self.nested(sh, tpl, &f.body, out, f.span) {
                Ok(flow) => flow,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            out.push_str("</td>");
            if flow == Flow::Break {
                break;
            }
            if col_last && i + 1 != length {
                out.push_str(&format!("</tr>\n<tr class=\"row{}\">", row + 1));
            }
        }
        self.stack.truncate(self.stack.len() - 2);
        result?;
        out.push_str("</tr>\n");
        Ok(Flow::Normal)
    }

    fn partial(
        &mut self,
        sh: &mut Shared<'_>,
        tpl: &Parsed,
        call: &PartialCall,
        out: &mut String,
    ) -> Result<Flow> {
        let name = self.eval(sh, tpl, &call.name)?.into_value();
        let Value::Str(name) = name else {
            return Err(error_at(
                tpl,
                call.span,
                ErrorKind::Type,
                format!("partial name must be a string, found {}", name.type_name()),
            ));
        };
        let limit = sh.config.limits.max_partial_depth;
        if self.partial_depth >= limit {
            return Err(error_at(
                tpl,
                call.span,
                ErrorKind::LimitExceeded,
                format!(
                    "partials nested deeper than the limit of {limit} (does \"{name}\" include itself?)"
                ),
            ));
        }
        let partial = sh.env.partial(&name).map_err(|e| {
            Stop::Error(e.with_span(&tpl.source, call.span).with_template(&tpl.name))
        })?;
        let mut args = Vec::with_capacity(call.args.len());
        for (k, e) in &call.args {
            args.push((k.clone(), self.eval(sh, tpl, e)?));
        }
        let var: Arc<str> = call.alias.clone().unwrap_or_else(|| Arc::from(&*name));
        let bound = match &call.bound {
            Some((e, is_for)) => Some((self.eval(sh, tpl, e)?, *is_for)),
            None if !call.isolated => self.root(&name).map(|v| (v, false)),
            None => None,
        };
        if call.isolated {
            self.render_isolated(sh, &partial, var, bound, args, out)?;
            return Ok(Flow::Normal);
        }
        // `include` shares this renderer's variables; an array bound with `with` or
        // `for` renders the partial once per item.
        let base = self.stack.len();
        self.stack.extend(args);
        self.partial_depth += 1;
        let result = match bound {
            Some((value, _)) if is_list(&value) => {
                let items = Items::new(value);
                self.stack.push((var, Val::Owned(Value::Nil)));
                let mut flow = Ok(Flow::Normal);
                for i in 0..items.len() {
                    let top = self.stack.len() - 1;
                    self.stack[top].1 = items.get(i);
                    flow = self.nested(sh, &partial, &partial.root, out, call.span);
                    if !matches!(flow, Ok(Flow::Normal)) {
                        break;
                    }
                }
                flow
            }
            Some((value, _)) => {
                self.stack.push((var, value));
                self.nested(sh, &partial, &partial.root, out, call.span)
            }
            None => self.nested(sh, &partial, &partial.root, out, call.span),
        };
        self.partial_depth -= 1;
        self.stack.truncate(base);
        result
    }

    fn render_isolated(
        &mut self,
        sh: &mut Shared<'_>,
        partial: &Parsed,
        var: Arc<str>,
        bound: Option<(Val<'g>, bool)>,
        args: Vec<(Arc<str>, Val<'g>)>,
        out: &mut String,
    ) -> Result<()> {
        // A rendered partial sees only its arguments, as variables of its own: it may
        // reassign them. `for` adds a `forloop` that is no parent of the partial's loops.
        let mut child: Renderer<'g> = Renderer::new(&(), self.partial_depth + 1);
        child.depth = self.depth;
        child.locals = args;
        match bound {
            Some((value, true)) if is_list(&value) => {
                let items = Items::new(value);
                let length = items.len();
                let name: Arc<str> = Arc::from(format!("{var}-{}", partial.name));
                for i in 0..length {
                    self.count_iteration(sh, partial, Span::default())?;
                    child.assign(&var, items.get(i));
                    child.loops.push(LoopState {
                        name: name.clone(),
                        index0: i,
                        length,
                    });
                    let forloop = child.loop_object(0);
                    child.loops.clear();
                    child.assign(&Arc::from("forloop"), Val::Owned(forloop));
                    child.nested(sh, partial, &partial.root, out, Span::default())?;
                }
            }
            Some((value, _)) => {
                child.assign(&var, value);
                child.nested(sh, partial, &partial.root, out, Span::default())?;
            }
            None => {
                child.nested(sh, partial, &partial.root, out, Span::default())?;
            }
        }
        Ok(())
    }
}

/// The items a loop walks, without copying host arrays.
enum Items<'g> {
    Owned(Arc<Vec<Value>>),
    Borrowed(&'g [Value]),
    Host(&'g dyn ObjectView),
    Range(i64, i64),
    One(Val<'g>),
    None,
}

impl<'g> Items<'g> {
    fn new(value: Val<'g>) -> Self {
        match value {
            Val::Borrowed(Borrowed::Value(Value::Array(items))) => Items::Borrowed(items),
            Val::Borrowed(Borrowed::Value(v)) => Items::new(Val::Owned(v.clone())),
            Val::Owned(Value::Array(items)) => Items::Owned(items),
            Val::Owned(Value::Range(a, b)) => Items::Range(a, b),
            Val::Owned(v @ Value::Object(_)) => match v.to_array() {
                Value::Array(items) => Items::Owned(items),
                _ => Items::None,
            },
            Val::Owned(Value::Str(s)) if !s.is_empty() => Items::One(Val::Owned(Value::Str(s))),
            Val::Borrowed(Borrowed::Str(s)) if !s.is_empty() => Items::One(Val::str(s)),
            Val::Borrowed(Borrowed::Object(o)) if o.is_array() => Items::Host(o),
            Val::Borrowed(Borrowed::Object(o)) => Items::new(Val::Owned(o.to_value())),
            _ => Items::None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Items::Owned(items) => items.len(),
            Items::Borrowed(items) => items.len(),
            Items::Host(o) => o.size(),
            Items::Range(a, b) => range_len(*a, *b) as usize,
            Items::One(_) => 1,
            Items::None => 0,
        }
    }

    fn get(&self, i: usize) -> Val<'g> {
        match self {
            Items::Owned(items) => Val::Owned(items[i].clone()),
            Items::Borrowed(items) => Val::value(&items[i]),
            Items::Host(o) => o.index(i as i64).unwrap_or(Val::Owned(Value::Nil)),
            Items::Range(a, _) => Val::Owned(Value::Int(a + i as i64)),
            Items::One(v) => v.clone(),
            Items::None => Val::Owned(Value::Nil),
        }
    }
}

fn is_list(value: &Val<'_>) -> bool {
    match value {
        Val::Owned(Value::Array(_)) | Val::Borrowed(Borrowed::Value(Value::Array(_))) => true,
        Val::Borrowed(Borrowed::Object(o)) => o.is_array(),
        _ => false,
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

fn filter_error(tpl: &Parsed, span: Span, name: &str, e: FilterError) -> Stop {
    let kind = match e {
        FilterError::StringTooLarge { .. } | FilterError::ArrayTooLarge { .. } => {
            ErrorKind::LimitExceeded
        }
        _ => ErrorKind::Filter,
    };
    error_at(tpl, span, kind, format!("filter \"{name}\": {e}"))
}
