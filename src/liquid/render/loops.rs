//! `for`, `tablerow`, and the partials of `include` and `render`.

use std::sync::Arc;

use super::super::ast::{ForLoop, Offset, PartialCall};
use super::super::budget;
use super::super::env::Parsed;
use super::super::error::{Error, ErrorKind, Span};
use super::super::value::{Borrowed, Map, ObjectView, Val, Value, range_len};
use super::scope::Frame;
use super::spend::breach;
use super::{Flow, LoopState, Renderer, Result, Shared, Stop, error_at};

impl<'g> Renderer<'g> {
    pub(super) fn for_loop(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &ForLoop,
        out: &mut String,
    ) -> Result<Flow> {
        let collection = self.eval(sh, fr, &f.collection)?;
        // A `tablerow` over nil (or false) writes no table at all.
        if f.tablerow && !collection.is_truthy() {
            return Ok(Flow::Normal);
        }
        let items = self.items(sh, fr, collection, f.span)?;
        let total = items.len();
        // `tablerow` reads its numbers as Ruby's `to_i` does (nil is 0), `for` as
        // Ruby's `Integer()` (nil means no limit and no offset), as in Shopify.
        let lenient = f.tablerow;
        let offset = match &f.offset {
            None => 0,
            Some(Offset::Continue) => self
                .offsets
                .iter()
                .find(|(n, _)| *n == f.name)
                .map_or(0, |(_, o)| *o),
            Some(Offset::Expr(e)) => self
                .integer_arg(sh, fr, e, "offset", f.span, lenient)?
                .unwrap_or(0),
        };
        let limit = match &f.limit {
            None => None,
            Some(e) => self.integer_arg(sh, fr, e, "limit", f.span, lenient)?,
        };
        // A string is one item, whatever the offset and limit (Shopify's
        // `slice_collection` returns it whole).
        // The limit counts from the offset as given, so a negative offset shortens it.
        let (from, to) = match items {
            Items::One(_) => (0, total),
            _ => {
                let clamp = |n: i64| n.clamp(0, total as i64) as usize;
                let to = limit.map_or(total, |n| clamp(offset.saturating_add(n)));
                (clamp(offset).min(to), to)
            }
        };
        let length = to - from;
        if !f.tablerow {
            // `offset: continue` starts at this loop's offset as given plus the items
            // it went through (Shopify's rule; after a negative offset that is not
            // where the items stopped).
            let next = offset.saturating_add(length as i64);
            match self.offsets.iter_mut().find(|(n, _)| *n == f.name) {
                Some(slot) => slot.1 = next,
                None => self.offsets.push((f.name.clone(), next)),
            }
        }
        if f.tablerow {
            // No `cols` is one row, its last cell `col_last` (as Golden Liquid wants);
            // `cols` of 0 or less (nil is 0) is one row with no last column, as Shopify
            // renders it.
            let cols = match &f.cols {
                None => length.max(1),
                Some(e) => match self.integer_arg(sh, fr, e, "cols", f.span, true)? {
                    Some(n) if n > 0 => n as usize,
                    _ => usize::MAX,
                },
            };
            return self.tablerow(sh, fr, f, &items, from, length, cols, out);
        }
        if length == 0 {
            if let Some(otherwise) = &f.otherwise {
                return self.nested(sh, fr, otherwise, out, f.span);
            }
            return Ok(Flow::Normal);
        }
        // `resolve` placed the loop variable here: keep the two in step.
        self.stack.push((f.var.clone(), Val::Owned(Value::Nil)));
        self.loops.push(LoopState {
            name: f.name.clone(),
            index0: 0,
            length,
        });
        let result = self.iterate(sh, fr, f, &items, from, length, out);
        self.loops.pop();
        self.stack.pop();
        result.map(|_| Flow::Normal)
    }

    #[allow(clippy::too_many_arguments)]
    fn iterate(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &ForLoop,
        items: &Items<'g>,
        from: usize,
        length: usize,
        out: &mut String,
    ) -> Result<()> {
        let slot = self.stack.len() - 1;
        let state = self.loops.len() - 1;
        for i in 0..length {
            self.count_iteration(sh, fr.tpl, f.span)?;
            let index = if f.reversed {
                from + length - 1 - i
            } else {
                from + i
            };
            self.stack[slot].1 = items.get(index);
            self.loops[state].index0 = i;
            if self.nested(sh, fr, &f.body, out, f.span)? == Flow::Break {
                break;
            }
        }
        Ok(())
    }

    /// The items of a loop's collection; a host object (a hash) is copied once a
    /// render, host arrays are walked in place.
    pub(super) fn items(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        collection: Val<'g>,
        span: Span,
    ) -> Result<Items<'g>> {
        match collection {
            Val::Borrowed(Borrowed::Object(o)) if !o.is_array() => {
                Ok(Items::new(Val::Owned(self.host(sh, fr, o, span)?)))
            }
            other => Ok(Items::new(other)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tablerow(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        f: &ForLoop,
        items: &Items<'g>,
        from: usize,
        length: usize,
        cols: usize,
        out: &mut String,
    ) -> Result<Flow> {
        self.markup(sh, fr, out, "<tr class=\"row1\">\n", f.span)?;
        // `resolve` placed these two here: keep them in step.
        self.stack.push((f.var.clone(), Val::Owned(Value::Nil)));
        self.stack
            .push((Arc::from("tablerowloop"), Val::Owned(Value::Nil)));
        let mut result = Ok(());
        for i in 0..length {
            if let Err(e) = self.count_iteration(sh, fr.tpl, f.span) {
                result = Err(e);
                break;
            }
            let (col0, row) = (i % cols, i / cols + 1);
            let shown_cols = if cols == usize::MAX { 0 } else { cols as i64 };
            let col_last = col0 + 1 == cols || i + 1 == length;
            let mut info = Map::default();
            let fields: [(&str, Value); 12] = [
                ("col", Value::Int(col0 as i64 + 1)),
                ("col0", Value::Int(col0 as i64)),
                ("col_first", Value::Bool(col0 == 0)),
                ("col_last", Value::Bool(col0 as i64 + 1 == shown_cols)),
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
            let cell = self
                .markup(
                    sh,
                    fr,
                    out,
                    &format!("<td class=\"col{}\">", col0 + 1),
                    f.span,
                )
                .and_then(|()| self.nested(sh, fr, &f.body, out, f.span))
                .and_then(|flow| self.markup(sh, fr, out, "</td>", f.span).map(|()| flow));
            let flow = match cell {
                Ok(flow) => flow,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            if flow == Flow::Break {
                break;
            }
            if col_last && i + 1 != length {
                let next = format!("</tr>\n<tr class=\"row{}\">", row + 1);
                if let Err(e) = self.markup(sh, fr, out, &next, f.span) {
                    result = Err(e);
                    break;
                }
            }
        }
        self.stack.truncate(self.stack.len() - 2);
        result?;
        self.markup(sh, fr, out, "</tr>\n", f.span)?;
        Ok(Flow::Normal)
    }

    /// Writes `tablerow` markup, which counts as output like any other.
    fn markup(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        out: &mut String,
        text: &str,
        span: Span,
    ) -> Result<()> {
        self.room(sh, out, text.len(), fr, span)?;
        out.push_str(text);
        Ok(())
    }

    pub(super) fn partial(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        call: &PartialCall,
        out: &mut String,
    ) -> Result<Flow> {
        let tpl = fr.tpl;
        let name = self.eval(sh, fr, &call.name)?;
        let name = self.owned_val(sh, fr, &name, call.span)?;
        let name = match name {
            Value::Str(name) => name,
            // A snippet's name comes from data: a number names it by its text, and
            // nothing names no snippet (then the fallback, if any).
            Value::Int(_) | Value::Float(_) if call.snippet => Arc::from(name.to_text()),
            Value::Nil | Value::Empty | Value::Blank if call.snippet => Arc::from(""),
            _ => {
                return Err(error_at(
                    tpl,
                    call.span,
                    ErrorKind::Type,
                    format!("partial name must be a string, found {}", name.type_name()),
                ));
            }
        };
        let limit = sh.config.limits.max_partial_depth;
        if self.partial_depth >= limit {
            let message = if call.snippet {
                let chain: Vec<&str> = sh.open.iter().map(|n| &**n).chain([&*name]).collect();
                format!(
                    "snippets nested deeper than the limit of {limit}: {}",
                    chain.join(" → ")
                )
            } else {
                format!(
                    "partials nested deeper than the limit of {limit} (does \"{name}\" include itself?)"
                )
            };
            return Err(error_at(tpl, call.span, ErrorKind::LimitExceeded, message));
        }
        let partial = match call.snippet {
            true => self.snippet(sh, call, &name),
            false => sh.env.partial(&name),
        }
        .map_err(|e| Stop::from(e.with_span(&tpl.source, call.span).with_template(&tpl.name)))?;
        if !sh.used.contains(&partial.name) {
            sh.used.push(partial.name.clone());
        }
        // A partial render is an iteration, so that partials that render themselves
        // several times cannot multiply up to their depth limit. Loading it (parsing
        // it, the first time) is work as long as its source.
        self.count_iteration(sh, tpl, call.span)?;
        sh.cx
            .budget
            .tick(budget::ticks_for(partial.source.len()))
            .map_err(|b| breach(tpl, call.span, b))?;
        let mut args = Vec::with_capacity(call.args.len());
        for (k, e, _) in &call.args {
            args.push((k.clone(), self.eval(sh, fr, e)?));
        }
        let var: Arc<str> = call.alias.clone().unwrap_or_else(|| partial.name.clone());
        sh.open.push(partial.name.clone());
        let result = self.render_partial(sh, fr, call, &partial, var, args, out);
        sh.open.pop();
        result
    }

    /// The snippet `name`, or the call's fallback when there is no snippet of that name.
    fn snippet(
        &self,
        sh: &Shared<'_>,
        call: &PartialCall,
        name: &str,
    ) -> std::result::Result<Arc<Parsed>, Error> {
        let found = if name.is_empty() {
            Err(Error::new(
                ErrorKind::MissingSnippet,
                "no snippet named \"\": the snippet's name is empty (does the record lack the property it comes from?)",
            ))
        } else {
            sh.env.snippet(name)
        };
        match (found, &call.fallback) {
            (Err(e), Some((fallback, _))) if e.kind() == ErrorKind::MissingSnippet => {
                sh.env.snippet(fallback).map_err(|f| {
                    if f.kind() != ErrorKind::MissingSnippet {
                        return f;
                    }
                    let error = Error::new(
                        ErrorKind::MissingSnippet,
                        format!("no snippet named \"{name}\", nor its fallback \"{fallback}\""),
                    );
                    match e.help().or(f.help()) {
                        Some(help) => error.with_help(help.to_owned()),
                        None => error,
                    }
                })
            }
            (found, _) => found,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render_partial(
        &mut self,
        sh: &mut Shared<'_>,
        fr: &Frame<'_>,
        call: &PartialCall,
        partial: &Arc<Parsed>,
        var: Arc<str>,
        args: Vec<(Arc<str>, Val<'g>)>,
        out: &mut String,
    ) -> Result<Flow> {
        let tpl = fr.tpl;
        let name = &partial.name;
        let bound = match &call.bound {
            Some((e, is_for)) => Some((self.eval(sh, fr, e)?, *is_for)),
            None if !call.isolated => self.by_name(fr, name).map(|v| (v, false)),
            None => None,
        };
        if call.isolated {
            self.render_isolated(sh, partial, var, bound, args, out, (tpl, call.span))?;
            return Ok(Flow::Normal);
        }
        // `include` shares this renderer's variables; an array bound with `with` or
        // `for` renders the partial once per item.
        let base = self.stack.len();
        self.stack.extend(args);
        self.partial_depth += 1;
        let map = self.include_map(fr.owner, partial);
        let result = match bound {
            Some((value, _)) if is_list(&value) => {
                let items = Items::new(value);
                self.stack.push((var, Val::Owned(Value::Nil)));
                let inner = fr.include(partial, map, self.stack.len(), self.loops.len());
                let mut flow = Ok(Flow::Normal);
                for i in 0..items.len() {
                    // The first item's render was counted with the call.
                    if i > 0 {
                        if let Err(e) = self.count_iteration(sh, tpl, call.span) {
                            flow = Err(e);
                            break;
                        }
                    }
                    let top = self.stack.len() - 1;
                    self.stack[top].1 = items.get(i);
                    flow = self.nested(sh, &inner, &partial.root, out, call.span);
                    if !matches!(flow, Ok(Flow::Normal)) {
                        break;
                    }
                }
                flow
            }
            Some((value, _)) => {
                self.stack.push((var, value));
                let inner = fr.include(partial, map, self.stack.len(), self.loops.len());
                self.nested(sh, &inner, &partial.root, out, call.span)
            }
            None => {
                let inner = fr.include(partial, map, self.stack.len(), self.loops.len());
                self.nested(sh, &inner, &partial.root, out, call.span)
            }
        };
        self.partial_depth -= 1;
        self.stack.truncate(base);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn render_isolated(
        &mut self,
        sh: &mut Shared<'_>,
        partial: &Parsed,
        var: Arc<str>,
        bound: Option<(Val<'g>, bool)>,
        args: Vec<(Arc<str>, Val<'g>)>,
        out: &mut String,
        (caller, span): (&Parsed, Span),
    ) -> Result<()> {
        // A rendered partial sees only its arguments, as variables of its own: it may
        // reassign them. `for` adds a `forloop` that is no parent of the partial's loops.
        let mut child: Renderer<'g> = Renderer::new(&(), self.partial_depth + 1);
        child.depth = self.depth;
        let frame = Frame::owner(partial);
        let owner = &*partial.names;
        // Parameters the call does not pass take their defaults.
        for (name, value) in partial.defaults.iter() {
            let passed = args.iter().any(|(n, _)| n == name) || (bound.is_some() && *name == var);
            if !passed {
                child.assign_named(owner, name, Val::Owned(value.clone()));
            }
        }
        for (name, value) in args {
            child.assign_named(owner, &name, value);
        }
        match bound {
            // As Shopify: `for` renders once per item of anything enumerable (an array,
            // a range, an object's `[key, value]` pairs), even none.
            Some((value, true)) if is_enumerable(&value) => {
                let items = Items::new(value);
                let length = items.len();
                let name: Arc<str> = Arc::from(format!("{var}-{}", partial.name));
                let forloop: Arc<str> = Arc::from("forloop");
                for i in 0..length {
                    // The first item's render was counted with the call.
                    if i > 0 {
                        self.count_iteration(sh, caller, span)?;
                    }
                    child.assign_named(owner, &var, items.get(i));
                    child.loops.push(LoopState {
                        name: name.clone(),
                        index0: i,
                        length,
                    });
                    let state = child.loop_object(0);
                    child.loops.clear();
                    child.assign_named(owner, &forloop, Val::Owned(state));
                    child.nested(sh, &frame, &partial.root, out, Span::default())?;
                }
            }
            Some((value, _)) => {
                child.assign_named(owner, &var, value);
                child.nested(sh, &frame, &partial.root, out, Span::default())?;
            }
            None => {
                child.nested(sh, &frame, &partial.root, out, Span::default())?;
            }
        }
        Ok(())
    }
}

/// The items a loop walks, without copying host arrays.
pub(super) enum Items<'g> {
    Owned(Arc<Vec<Value>>),
    Borrowed(&'g [Value]),
    Host(&'g dyn ObjectView),
    Range(i64, i64),
    One(Val<'g>),
    None,
}

impl<'g> Items<'g> {
    pub(super) fn new(value: Val<'g>) -> Self {
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

    pub(super) fn len(&self) -> usize {
        match self {
            Items::Owned(items) => items.len(),
            Items::Borrowed(items) => items.len(),
            Items::Host(o) => o.size(),
            Items::Range(a, b) => range_len(*a, *b) as usize,
            Items::One(_) => 1,
            Items::None => 0,
        }
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> Val<'g> {
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

/// Whether `render ... for` iterates the value (Ruby's `each` and `count`).
fn is_enumerable(value: &Val<'_>) -> bool {
    match value {
        Val::Owned(v) => matches!(v, Value::Array(_) | Value::Object(_) | Value::Range(..)),
        Val::Borrowed(Borrowed::Value(v)) => {
            matches!(v, Value::Array(_) | Value::Object(_) | Value::Range(..))
        }
        Val::Borrowed(Borrowed::Object(_)) => true,
        _ => false,
    }
}
