//! What a render spends, checked before it is spent: output bytes, iterations, host
//! data copied for filters, and the undefined paths it reports.
//!
//! The counters themselves are the render's [`Budget`](super::super::Budget), which the
//! filters draw on too; this file is the renderer's side of it: where each kind of work
//! is paid for, and how a breach becomes an error at the place it happened.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::super::ast::{Block, Node};
use super::super::budget::{self, Breach};
use super::super::env::Parsed;
use super::super::error::{ErrorKind, LineCol, Span};
use super::super::value::{Borrowed, ObjectView, Val, Value};
use super::eval::Got;
use super::scope::Frame;
use super::{Renderer, Result, Shared, Stop, Warning, error_at};

/// The buffer being written: the render's output, or the text of a `capture`.
#[derive(Clone, Copy)]
pub(super) struct Sink {
    /// The length the buffer may grow to.
    pub limit: usize,
    /// What the limit is, for the error.
    pub kind: SinkKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SinkKind {
    /// The render's output: [`Limits::max_output_bytes`](super::super::Limits).
    Output(usize),
    /// A `capture`: [`Limits::max_string_bytes`](super::super::Limits).
    Capture(usize),
}

/// The undefined paths a render output, once per place, located only when the render
/// is done. Made on the first one: most renders have none.
#[derive(Default)]
pub(super) struct Warnings(Option<Box<Places>>);

#[derive(Default)]
struct Places {
    /// The places seen: the template's source (by address) and the output's offset.
    seen: HashSet<(usize, u32), foldhash::fast::RandomState>,
    /// Each place, in the order first seen: the template's name and source, where the
    /// path is, and where the warning points.
    found: Vec<(Arc<str>, Arc<str>, Span, u32)>,
}

impl Warnings {
    /// Records an undefined `path` output at `at` in `tpl`, unless that place was
    /// recorded already. Nothing is built for a place seen before.
    pub fn add(&mut self, tpl: &Parsed, path: Span, at: u32) {
        let places = self.0.get_or_insert_with(Box::default);
        let key = (Arc::as_ptr(&tpl.source) as *const u8 as usize, at);
        if places.seen.insert(key) {
            places
                .found
                .push((tpl.name.clone(), tpl.source.clone(), path, at));
        }
    }

    /// The warnings, located: each template's source is read once, in order of place.
    pub fn finish(self) -> Vec<Warning> {
        match self.0 {
            None => Vec::new(),
            Some(places) => places.finish(),
        }
    }
}

impl Places {
    fn finish(self) -> Vec<Warning> {
        let mut order: Vec<usize> = (0..self.found.len()).collect();
        order.sort_by_key(|&i| {
            let (_, source, _, at) = &self.found[i];
            (Arc::as_ptr(source) as *const u8 as usize, *at)
        });
        let mut places = vec![LineCol { line: 1, col: 1 }; self.found.len()];
        let mut cursor: Option<(usize, usize, LineCol)> = None;
        for &i in &order {
            let (_, source, _, at) = &self.found[i];
            let id = Arc::as_ptr(source) as *const u8 as usize;
            let at = floor_boundary(source, *at as usize);
            // Continue from the last place in the same source, or start over.
            let (from, mut place) = match cursor {
                Some((sid, offset, place)) if sid == id && offset <= at => (offset, place),
                _ => (0, LineCol { line: 1, col: 1 }),
            };
            for c in source[from..at].chars() {
                if c == '\n' {
                    place.line += 1;
                    place.col = 1;
                } else {
                    place.col += 1;
                }
            }
            places[i] = place;
            cursor = Some((id, at, place));
        }
        self.found
            .into_iter()
            .zip(places)
            .map(|((name, source, path, _), at)| Warning {
                path: source
                    .get(path.start as usize..path.end as usize)
                    .unwrap_or("")
                    .to_owned(),
                template: name.to_string(),
                at,
            })
            .collect()
    }
}

fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Host objects and arrays copied into [`Value`]s for filters, by address, so that a
/// render copies each at most once (and pays for it once).
#[derive(Default)]
pub(super) struct Hosts {
    copies: Option<HashMap<usize, Value, foldhash::fast::RandomState>>,
}

/// A breach of the budget, as an error at `span` of `tpl`.
#[cold]
pub(super) fn breach(tpl: &Parsed, span: Span, breach: Breach) -> Stop {
    error_at(tpl, span, ErrorKind::LimitExceeded, breach.to_string())
}

/// The place of a block, for an error about it: its first node that has one.
#[cold]
pub(super) fn block_span(block: &Block) -> Span {
    block
        .iter()
        .find_map(|node| match node {
            Node::Output(f) => Some(f.span),
            Node::Assign { value, .. } => Some(value.span),
            Node::For(f) => Some(f.span),
            Node::Partial(call) => Some(call.span),
            Node::Abort(_, span) => Some(*span),
            _ => None,
        })
        .unwrap_or_default()
}

impl<'g> Renderer<'g> {
    /// Fails unless `len` more bytes fit the buffer being written.
    #[inline]
    pub(super) fn room(
        &self,
        sh: &Shared<'_>,
        out: &str,
        len: usize,
        fr: &Frame<'_>,
        span: Span,
    ) -> Result<()> {
        if out.len().saturating_add(len) > sh.sink.limit {
            return Err(full(sh, fr, span));
        }
        Ok(())
    }

    /// Writes what a lookup or expression gave, refusing before writing anything
    /// that would not fit the buffer.
    #[inline]
    pub(super) fn write_got(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        got: &Got<'_, 'g>,
        out: &mut String,
        span: Span,
    ) -> Result<()> {
        let value = match got {
            Got::Undefined => return Ok(()),
            Got::Global(v) | Got::Literal(v) => *v,
            Got::Stored(Val::Owned(v)) | Got::New(Val::Owned(v)) => v,
            Got::Stored(Val::Borrowed(Borrowed::Value(v)))
            | Got::New(Val::Borrowed(Borrowed::Value(v))) => *v,
            Got::Stored(v) => return self.write_host(sh, fr, v, out, span),
            Got::New(v) => return self.write_host(sh, fr, v, out, span),
        };
        write_value(sh, fr, value, out, span)
    }

    /// Writes a value's text, refusing before writing anything that would not fit
    /// the buffer.
    #[inline]
    pub(super) fn write_val(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        v: &Val<'g>,
        out: &mut String,
        span: Span,
    ) -> Result<()> {
        match v {
            Val::Owned(v) => write_value(sh, fr, v, out, span),
            Val::Borrowed(Borrowed::Value(v)) => write_value(sh, fr, v, out, span),
            host => self.write_host(sh, fr, host, out, span),
        }
    }

    /// [`Renderer::write_val`] of host data that is not a `Value`.
    #[inline(never)]
    fn write_host(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        v: &Val<'g>,
        out: &mut String,
        span: Span,
    ) -> Result<()> {
        match v {
            Val::Owned(v) => write_value(sh, fr, v, out, span),
            Val::Borrowed(Borrowed::Value(v)) => write_value(sh, fr, v, out, span),
            Val::Borrowed(Borrowed::Str(s) | Borrowed::Date { text: s, .. }) => {
                self.room(sh, out, s.len(), fr, span)?;
                out.push_str(s);
                Ok(())
            }
            Val::Borrowed(Borrowed::Object(o)) => {
                let copy = self.host(sh, fr, *o, span)?;
                write_value(sh, fr, &copy, out, span)
            }
        }
    }

    /// One iteration (of any kind) about to run.
    #[inline]
    pub(super) fn count_iteration(&self, sh: &Shared<'_>, tpl: &Parsed, span: Span) -> Result<()> {
        sh.cx.budget.iteration().map_err(|b| breach(tpl, span, b))
    }

    /// `block` is about to run: it costs a tick, and one a node.
    #[inline]
    pub(super) fn enter(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        block: &Block,
        span: Span,
    ) -> Result<()> {
        sh.cx.budget.tick(1 + block.len() as u64).map_err(|b| {
            let span = if span == Span::default() {
                block_span(block)
            } else {
                span
            };
            breach(fr.tpl, span, b)
        })
    }

    /// The value of host data as an owned [`Value`], copied at most once a render.
    pub(super) fn host(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        o: &dyn ObjectView,
        span: Span,
    ) -> Result<Value> {
        // A zero-sized view has no address of its own to tell it apart by.
        let cacheable = std::mem::size_of_val(o) != 0;
        let address = o as *const dyn ObjectView as *const u8 as usize;
        if cacheable {
            let hosts = sh.hosts.borrow();
            if let Some(copy) = hosts.copies.as_ref().and_then(|c| c.get(&address)) {
                return Ok(copy.clone());
            }
        }
        let copy = o.to_value();
        let size = budget::deep_size(&copy, sh.cx.budget.memory_left());
        sh.cx
            .budget
            .reserve(usize::try_from(size).unwrap_or(usize::MAX))
            .map_err(|b| breach(fr.tpl, span, b))?;
        if cacheable {
            sh.hosts
                .borrow_mut()
                .copies
                .get_or_insert_with(HashMap::default)
                .insert(address, copy.clone());
        }
        Ok(copy)
    }

    /// The value of `got` as a `Value`: borrowed where it is one, host data copied
    /// (objects once a render, strings each time, paid for).
    #[inline]
    pub(super) fn owned<'v>(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        got: &'v Got<'_, 'g>,
        span: Span,
    ) -> Result<std::borrow::Cow<'v, Value>> {
        if let Some(v) = got.as_value() {
            return Ok(std::borrow::Cow::Borrowed(v));
        }
        self.owned_slow(sh, fr, got, span)
    }

    #[inline(never)]
    fn owned_slow<'v>(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        got: &'v Got<'_, 'g>,
        span: Span,
    ) -> Result<std::borrow::Cow<'v, Value>> {
        let val = match got {
            Got::Stored(v) => *v,
            Got::New(v) => v,
            _ => unreachable!("`as_value` answers the others"),
        };
        self.owned_val(sh, fr, val, span)
            .map(std::borrow::Cow::Owned)
    }

    /// [`Renderer::owned`] of a host value that is not a `Value`.
    pub(super) fn owned_val(
        &self,
        sh: &Shared<'_>,
        fr: &Frame<'_>,
        val: &Val<'g>,
        span: Span,
    ) -> Result<Value> {
        match val {
            Val::Owned(v) => Ok(v.clone()),
            Val::Borrowed(Borrowed::Value(v)) => Ok((*v).clone()),
            Val::Borrowed(Borrowed::Object(o)) => self.host(sh, fr, *o, span),
            Val::Borrowed(Borrowed::Str(s)) => {
                sh.cx
                    .budget
                    .reserve(s.len())
                    .map_err(|b| breach(fr.tpl, span, b))?;
                Ok(Value::str(s))
            }
            date @ Val::Borrowed(Borrowed::Date { .. }) => Ok(date.clone().into_value()),
        }
    }
}

/// Writes a value's text, refusing before writing past the buffer's limit.
#[inline(always)]
fn write_value(
    sh: &Shared<'_>,
    fr: &Frame<'_>,
    v: &Value,
    out: &mut String,
    span: Span,
) -> Result<()> {
    match v {
        Value::Str(s) => {
            if out.len().saturating_add(s.len()) > sh.sink.limit {
                return Err(full(sh, fr, span));
            }
            out.push_str(s);
        }
        Value::Int(i) => {
            let mut digits = itoa::Buffer::new();
            let text = digits.format(*i);
            if out.len().saturating_add(text.len()) > sh.sink.limit {
                return Err(full(sh, fr, span));
            }
            out.push_str(text);
        }
        Value::Nil | Value::Empty | Value::Blank => {}
        other => {
            if !other.write_within(out, sh.sink.limit) {
                return Err(full(sh, fr, span));
            }
        }
    }
    Ok(())
}

#[cold]
fn full(sh: &Shared<'_>, fr: &Frame<'_>, span: Span) -> Stop {
    let message = match sh.sink.kind {
        SinkKind::Output(limit) => format!("output is larger than the limit of {limit} bytes"),
        SinkKind::Capture(limit) => {
            format!("captured text is larger than the string limit of {limit} bytes")
        }
    };
    error_at(fr.tpl, span, ErrorKind::LimitExceeded, message)
}
