//! Evaluating expressions: paths, literals and ranges, filters, conditions.
//!
//! A path's value is read where it is ([`Got`]): a variable of the scope, a value
//! inside the globals or a literal of the template is borrowed, not copied; only
//! host data that is not a [`Value`] is materialized for a filter.

use std::borrow::Cow;
use std::sync::Arc;

use super::super::ast::{
    Binding, CompareOp, Comparison, Condition, Expr, FilterCall, Filtered, Logic, Path, Segment,
};
use super::super::error::{ErrorKind, Span};
use super::super::filters::Args;
use super::super::value::{Borrowed, KeyHint, Val, Value, range_len};
use super::scope::Frame;
use super::spend::breach;
use super::{Renderer, Result, Shared, budget, error_at, expr_span, filter_error};

impl<'g> Renderer<'g> {
    /// Evaluates an expression and its filters. The flag says whether the expression
    /// itself was undefined.
    #[inline]
    pub(super) fn filtered(
        &self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &Filtered,
    ) -> Result<(Val<'g>, bool)> {
        let Some((first, rest)) = f.filters.split_first() else {
            let got = self.operand(sh, fr, &f.expr)?;
            let undefined = matches!(got, Got::Undefined);
            return Ok((got.into_val(), undefined));
        };
        // Filters read their input by reference: only host data that is not a `Value`
        // is copied.
        let (mut value, undefined) = match &f.expr {
            Expr::Path(path) => {
                let got = self.lookup(sh, fr, path)?;
                let value = match got.as_value() {
                    Some(input) => self.apply_first(sh, fr, f, first, input)?,
                    None => {
                        if rest.is_empty() {
                            if let Some(v) = host_shortcut(first, &got) {
                                return Ok((v, false));
                            }
                        }
                        let input = self.owned(sh, fr, &got, path.span)?;
                        self.apply_first(sh, fr, f, first, &input)?
                    }
                };
                (value, matches!(got, Got::Undefined))
            }
            Expr::Literal(v) => (self.apply_first(sh, fr, f, first, v)?, false),
            range => {
                let v = self.eval(sh, fr, range)?;
                let span = expr_span(range).unwrap_or(f.span);
                let input = self.owned_val(sh, fr, &v, span)?;
                (self.apply_first(sh, fr, f, first, &input)?, false)
            }
        };
        for call in rest {
            value = self.apply(sh, fr, call, &value)?;
        }
        Ok((Val::Owned(value), undefined))
    }

    /// Calls one filter, once the work its input stands for is paid for.
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
                    context: &sh.cx,
                },
            ),
            // One argument, the common case: read in place, no buffer.
            None if call.args.len() == 1 && call.kwargs.is_empty() => {
                let arg = self.operand(sh, fr, &call.args[0])?;
                let arg = self.owned(sh, fr, &arg, call.span)?;
                (call.func.0)(
                    input,
                    &Args {
                        positional: std::slice::from_ref(&*arg),
                        keyword: &[],
                        context: &sh.cx,
                    },
                )
            }
            None => return self.apply_buffered(sh, fr, call, input),
        };
        // An integer is rebuilt rather than moved: copying the whole value right after
        // the filter wrote it field by field stalls the load. It owns nothing, so
        // forgetting the original leaks nothing.
        if let Ok(Value::Int(i)) = result {
            std::mem::forget(result);
            return Ok(Value::Int(i));
        }
        match result {
            Ok(value) => Ok(value),
            Err(e) => Err(filter_error(fr.tpl, call.span, &call.name, e)),
        }
    }

    /// Calls the first filter of `f`, once the chain is paid for: a tick a filter,
    /// and the ticks of the input it starts from. What the filters build on the way
    /// is paid for as it is built.
    #[inline]
    fn apply_first(
        &self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &Filtered,
        call: &FilterCall,
        input: &Value,
    ) -> Result<Value> {
        sh.cx
            .budget
            .tick(f.filters.len() as u64 + budget::weight(input))
            .map_err(|b| breach(fr.tpl, call.span, b))?;
        self.apply(sh, fr, call, input)
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
                        context: &sh.cx,
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
            let got = self.operand(sh, fr, a)?;
            args.push(self.owned(sh, fr, &got, call.span)?.into_owned());
        }
        for (k, a) in &call.kwargs {
            let got = self.operand(sh, fr, a)?;
            kwargs.push((k.clone(), self.owned(sh, fr, &got, call.span)?.into_owned()));
        }
        Ok(())
    }

    /// Evaluates an expression, reading values in place where they are.
    #[inline]
    pub(super) fn operand<'r>(
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
    pub(super) fn eval(&self, sh: &Shared<'_>, fr: &Frame<'_>, expr: &Expr) -> Result<Val<'g>> {
        Ok(match expr {
            Expr::Literal(v) => Val::Owned(v.clone()),
            Expr::Path(path) => self.lookup(sh, fr, path)?.into_val(),
            Expr::Range(start, end, span) => {
                let bound = |e: &Expr| -> Result<i64> {
                    let got = self.operand(sh, fr, e)?;
                    got.range_bound().ok_or_else(|| {
                        let found = got.as_value().map_or("object", Value::type_name);
                        error_at(
                            fr.tpl,
                            expr_span(e).unwrap_or(*span),
                            ErrorKind::Type,
                            format!("a range's ends must be integers, found {found}"),
                        )
                    })
                };
                let (start, end) = (bound(start)?, bound(end)?);
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
    #[inline(always)]
    pub(super) fn lookup<'r>(
        &'r self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        path: &Path,
    ) -> Result<Got<'r, 'g>> {
        // The commonest paths, in line where the value is used: a property of a loop
        // variable holding an object of the globals, and a variable of this scope.
        match (path.binding, path.rest.as_slice()) {
            (Binding::Loop(place), [Segment::Key(key)]) => {
                if let Some(found) = Got::Stored(&self.stack[fr.stack_base + place as usize].1)
                    .find(key, &path.hints[1])
                {
                    return Ok(Got::Global(found));
                }
            }
            (Binding::Name(id), []) if fr.map.is_none() => {
                if let Some(Some(v)) = self.slots.get(id as usize) {
                    return Ok(Got::Stored(v));
                }
            }
            _ => {}
        }
        self.lookup_general(sh, fr, path)
    }

    /// [`Renderer::lookup`] for any path.
    #[inline(never)]
    fn lookup_general<'r>(
        &'r self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        path: &Path,
    ) -> Result<Got<'r, 'g>> {
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
            (Binding::Forloop(level), _) if last == 1 => {
                let Segment::Key(key) = &path.rest[0] else {
                    return Ok(Got::Undefined);
                };
                let level = fr.loop_base + level as usize;
                return Ok(match self.loop_property(level, key) {
                    Some(v) => Got::New(Val::Owned(v)),
                    None => Got::Undefined,
                });
            }
            _ => return self.lookup_rest(sh, fr, path),
        };
        for (i, segment) in path.rest.iter().enumerate() {
            let Segment::Key(key) = segment else {
                return self.walk(sh, fr, current, path, i);
            };
            let Some(hint) = path.hints.get(1 + i) else {
                return self.walk(sh, fr, current, path, i);
            };
            match current.find(key, hint) {
                Some(found) if i + 1 == last => return Ok(Got::Global(found)),
                Some(found) => current = Got::Global(found),
                None => {
                    current = self.property(sh, fr, &current, key, hint, path.span)?;
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
        for (i, segment) in path.rest.iter().enumerate().skip(from) {
            if let Got::Undefined = current {
                break;
            }
            let spare = KeyHint::default();
            let hint = path.hints.get(1 + i).unwrap_or(&spare);
            current = match segment {
                Segment::Key(key) => match current.find(key, hint) {
                    Some(found) => Got::Global(found),
                    None => self.property(sh, fr, &current, key, hint, path.span)?,
                },
                Segment::Index(i) => current.index(*i),
                Segment::Dynamic(expr) => {
                    let key = self.operand(sh, fr, expr)?;
                    match key.as_str() {
                        Some(name) => self.property(sh, fr, &current, name, &spare, path.span)?,
                        None => current.dynamic(&key),
                    }
                }
            };
        }
        Ok(current)
    }

    /// The property `key` of `current` when it is not simply found in a `Value` object:
    /// host data, `size`, `first` and `last`. The `first` pair of a host hash comes
    /// from its copy, made once a render rather than on every lookup.
    #[inline(never)]
    fn property<'r>(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        current: &Got<'r, 'g>,
        key: &str,
        hint: &KeyHint,
        span: Span,
    ) -> Result<Got<'r, 'g>> {
        // `size` counts a string's characters: as long as the string.
        if key == "size" {
            if let Some(s) = current.as_str() {
                sh.cx
                    .budget
                    .tick(budget::ticks_for(s.len()))
                    .map_err(|b| breach(fr.tpl, span, b))?;
            }
        }
        if key == "first" {
            if let Got::Stored(Val::Borrowed(Borrowed::Object(o)))
            | Got::New(Val::Borrowed(Borrowed::Object(o))) = current
            {
                if !o.is_array() && o.get(key).is_none() {
                    let copy = self.host(sh, fr, *o, span)?;
                    return Ok(copy
                        .first()
                        .map_or(Got::Undefined, |v| Got::New(Val::Owned(v))));
                }
            }
        }
        Ok(current.get_slow(key, hint))
    }

    /// Pays for comparing two values: a tick, and the ticks of what it reads (arrays,
    /// objects and strings, by their size).
    #[inline]
    pub(super) fn pay_comparison(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        left: &Value,
        right: &Value,
        span: Span,
    ) -> Result<()> {
        sh.cx
            .budget
            .tick(1 + budget::weight(left) + budget::weight(right))
            .map_err(|b| breach(fr.tpl, span, b))
    }

    /// Evaluates a condition as Shopify does: from the left, stopping at the first
    /// false term of an `and` or true term of an `or`, so that a term after it is not
    /// evaluated (and cannot fail). Terms group from the right, so this is the value of
    /// `a and (b or (c ...))`.
    pub(super) fn condition(&self, sh: &Shared<'_>, fr: &Frame<'_>, c: &Condition) -> Result<bool> {
        for (i, term) in c.terms.iter().enumerate() {
            let truth = self.comparison(sh, fr, term)?;
            match c.ops.get(i) {
                None => return Ok(truth),
                Some(Logic::And) if !truth => return Ok(false),
                Some(Logic::Or) if truth => return Ok(true),
                Some(_) => {}
            }
        }
        Ok(false)
    }

    fn comparison(&self, sh: &Shared<'_>, fr: &Frame<'_>, c: &Comparison) -> Result<bool> {
        let (left, op, right, span) = match c {
            Comparison::Test(expr) => return Ok(self.operand(sh, fr, expr)?.is_truthy()),
            Comparison::Compare(l, op, r, span) => (l, *op, r, *span),
        };
        let left = self.operand(sh, fr, left)?;
        let right = self.operand(sh, fr, right)?;
        if let (Some(a), Some(b)) = (left.as_str(), right.as_str()) {
            // A comparison is a tick, and as long as the text it reads: two equal
            // strings are read to their end, a haystack to its end.
            let read = match op {
                CompareOp::Contains => a.len(),
                _ => a.len().min(b.len()),
            };
            sh.cx
                .budget
                .tick(1 + budget::ticks_for(read))
                .map_err(|b| breach(fr.tpl, span, b))?;
            match op {
                CompareOp::Eq => return Ok(a == b),
                CompareOp::Ne => return Ok(a != b),
                _ => {}
            }
        }
        // `x == blank` on host data is answered from its size, not from a copy.
        if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            if let Some(equal) = left.host_is(&right).or_else(|| right.host_is(&left)) {
                return Ok(equal == (op == CompareOp::Eq));
            }
        }
        let left = self.owned(sh, fr, &left, span)?;
        let right = self.owned(sh, fr, &right, span)?;
        self.pay_comparison(sh, fr, &left, &right, span)?;
        Ok(match op {
            CompareOp::Eq => left.liquid_eq(&right),
            CompareOp::Ne => !left.liquid_eq(&right),
            CompareOp::Contains => left.contains(&right),
            _ => {
                // Only numbers, strings and dates have an order; anything compared with
                // nil, a boolean, an array, an object or a range is not less, greater
                // or equal, as in Shopify (whose values of those types have no `<`).
                let ordered = |v: &Value| {
                    matches!(
                        v,
                        Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Date(_)
                    )
                };
                if !ordered(&left) || !ordered(&right) {
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

    /// A loop's `limit`, `offset` or `cols`; `None` for nil in a `for`. `lenient` reads it as
    /// Ruby's `to_i` does (`tablerow`: `"3 rows"` is 3, `"x"` is 0), otherwise the text
    /// must be an integer (`for`). Floats are truncated.
    pub(super) fn integer_arg(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        expr: &Expr,
        what: &str,
        tag: Span,
        lenient: bool,
    ) -> Result<Option<i64>> {
        let value = self.eval(sh, fr, expr)?;
        let value = self.owned_val(sh, fr, &value, expr_span(expr).unwrap_or(tag))?;
        let n = match &value {
            // `tablerow` reads nil as 0 (`limit: nil` is no cells); `for` ignores it.
            Value::Nil if lenient => Some(0),
            Value::Nil => return Ok(None),
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.is_finite() => Some(*f as i64),
            Value::Str(s) if lenient => Some(ruby_to_i(s)),
            Value::Str(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        n.map(Some).ok_or_else(|| {
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

/// Ruby's `String#to_i`: the integer the text starts with (after white space, with an
/// optional sign, `_` allowed between digits), 0 when there is none; saturating.
pub(super) fn ruby_to_i(s: &str) -> i64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    let mut last_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                n = n.saturating_mul(10).saturating_add(d);
                last_digit = true;
            }
            b'_' if last_digit => last_digit = false,
            _ => break,
        }
    }
    if negative { -n } else { n }
}

/// The result of `default` or `size` on host data (a borrowed string, date, array or
/// object), found without copying the data into a `Value` for the filter: `default`
/// gives back a value that is not empty as it is, `size` is the host's count. `None`
/// when the filter has to run.
fn host_shortcut<'g>(call: &FilterCall, got: &Got<'_, 'g>) -> Option<Val<'g>> {
    let host = match got {
        Got::Stored(Val::Borrowed(b)) | Got::New(Val::Borrowed(b)) => *b,
        _ => return None,
    };
    if !call.kwargs.is_empty() {
        return None;
    }
    match (&*call.name, host) {
        ("default", Borrowed::Str(s)) if !s.is_empty() && call.args.len() <= 1 => {
            Some(Val::Borrowed(host))
        }
        ("default", Borrowed::Date { .. }) if call.args.len() <= 1 => Some(Val::Borrowed(host)),
        ("default", Borrowed::Object(o)) if o.size() > 0 && call.args.len() <= 1 => {
            Some(Val::Borrowed(host))
        }
        ("size", Borrowed::Object(o)) if call.args.is_empty() => {
            Some(Val::Owned(Value::Int(o.size() as i64)))
        }
        ("size", Borrowed::Str(s) | Borrowed::Date { text: s, .. }) if call.args.is_empty() => {
            Some(Val::Owned(Value::Int(s.chars().count() as i64)))
        }
        _ => None,
    }
}

/// What evaluating an expression gave, read in place where possible.
pub(super) enum Got<'r, 'g> {
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
    pub(super) fn from_val(v: Option<Val<'g>>) -> Self {
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
    fn dynamic(&self, key: &Got<'_, '_>) -> Got<'r, 'g> {
        if let Some(s) = key.as_str() {
            return self.get(s, &KeyHint::default());
        }
        match key.as_value() {
            Some(Value::Int(i)) => self.index(*i),
            Some(Value::Float(f)) => self.index(*f as i64),
            _ => Got::Undefined,
        }
    }

    /// The name a `[key]` at the start of a path looks up: the text of a string or a
    /// number; nothing for a value whose text is no name (an array, an object).
    pub(super) fn key_name(&self) -> Option<Cow<'_, str>> {
        if let Some(s) = self.as_str() {
            return Some(Cow::Borrowed(s));
        }
        match self.as_value()? {
            v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Nil) => {
                Some(Cow::Owned(v.to_text()))
            }
            _ => None,
        }
    }

    /// A range bound (see [`to_range_bound`]); `None` for anything but numbers,
    /// strings and nil (host data is not copied to find that out).
    fn range_bound(&self) -> Option<i64> {
        match self.as_str() {
            Some(s) => Some(ruby_to_i(s)),
            None => self.as_value().and_then(to_range_bound),
        }
    }

    /// Whether this host object or array equals `other` when that is `blank`, `empty`
    /// or `nil`; `None` when either is something else.
    fn host_is(&self, other: &Got<'_, '_>) -> Option<bool> {
        let o = match self {
            Got::Stored(Val::Borrowed(Borrowed::Object(o)))
            | Got::New(Val::Borrowed(Borrowed::Object(o))) => *o,
            _ => return None,
        };
        match other.as_value()? {
            Value::Empty | Value::Blank => Some(o.size() == 0),
            Value::Nil => Some(false),
            _ => None,
        }
    }

    /// The value, copied if it is stored (nil if undefined).
    pub(super) fn into_val(self) -> Val<'g> {
        match self {
            Got::Undefined => Val::Owned(Value::Nil),
            Got::Stored(v) => v.clone(),
            Got::Global(v) => Val::value(v),
            Got::Literal(v) => Val::Owned(v.clone()),
            Got::New(v) => v,
        }
    }

    /// The value, when it is a `&Value` already (nil when undefined).
    #[inline]
    pub(super) fn as_value(&self) -> Option<&Value> {
        match self {
            Got::Undefined => Some(&NIL),
            Got::Stored(Val::Owned(v)) => Some(v),
            Got::Stored(Val::Borrowed(Borrowed::Value(v))) => Some(v),
            Got::Global(v) | Got::Literal(v) => Some(v),
            Got::New(Val::Owned(v)) => Some(v),
            Got::New(Val::Borrowed(Borrowed::Value(v))) => Some(v),
            Got::Stored(_) | Got::New(_) => None,
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

/// A range end as Shopify reads it: integers as they are, strings and nil by Ruby's
/// `to_i` (`"3 items"` is 3, nil is 0), floats truncated; `None` for anything else.
fn to_range_bound(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.is_finite() => Some(*f as i64),
        Value::Str(s) => Some(ruby_to_i(s)),
        Value::Nil | Value::Empty | Value::Blank => Some(0),
        _ => None,
    }
}

/// A value for an error message, cut short.
fn describe(v: &Value) -> String {
    const MAX: usize = 40;
    let text = match v {
        Value::Nil => return String::new(),
        Value::Str(s) => s.to_string(),
        other => other
            .to_text_within(MAX)
            .unwrap_or_else(|| "...".to_owned()),
    };
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(MAX).collect();
    match (v, chars.next().is_some()) {
        (Value::Str(_), true) => format!("{short:?}..."),
        (Value::Str(_), false) => format!("{short:?}"),
        (_, true) => format!("{short}..."),
        (_, false) => short,
    }
}
