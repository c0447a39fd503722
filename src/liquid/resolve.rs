//! Binds each variable a template names to where the renderer finds it, once, after
//! parsing ([`Binding`]), and builds the template's name table.
//!
//! A template's own loops are lexical: inside `{% for order in orders %}`, `order` is
//! the loop's variable and `forloop` its state, whatever the data. Every other root
//! name (globals, `assign` and `capture` variables) gets a dense id, and the renderer
//! keeps variables in slots by id instead of searching scopes by name. What cannot be
//! known here (the loops and variables of a template that `include`s this one) is
//! still found by name, at render time.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{
    Binding, Block, Comparison, Condition, Expr, Filtered, Node, Offset, Path, Segment,
};

/// Sets the binding of every path in `root`; returns the name table (by id).
pub(crate) fn resolve(root: &mut Block) -> Box<[Arc<str>]> {
    let mut resolver = Resolver::default();
    resolver.block(root);
    resolver.names.into_boxed_slice()
}

#[derive(Default)]
struct Resolver {
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32, foldhash::fast::RandomState>,
    /// What this template's enclosing loops put on the loop stack, outermost first.
    stack: Vec<Arc<str>>,
    /// How many `for` loops (not `tablerow`s, which have no `forloop`) enclose.
    loops: u32,
}

impl Resolver {
    fn id(&mut self, name: &Arc<str>) -> u32 {
        // Few names: a scan (names are interned, so pointers usually decide). Many:
        // a map, built once the scan would get slow.
        const SCAN: usize = 32;
        if self.names.len() <= SCAN {
            if let Some(id) = self
                .names
                .iter()
                .position(|n| Arc::ptr_eq(n, name) || n == name)
            {
                return id as u32;
            }
        } else {
            if self.ids.is_empty() {
                self.ids = (0..)
                    .zip(&self.names)
                    .map(|(i, n)| (n.clone(), i))
                    .collect();
            }
            if let Some(&id) = self.ids.get(name) {
                return id;
            }
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        if !self.ids.is_empty() {
            self.ids.insert(name.clone(), id);
        }
        id
    }

    fn block(&mut self, block: &mut Block) {
        for node in block {
            self.node(node);
        }
    }

    fn node(&mut self, node: &mut Node) {
        match node {
            Node::Text(_) | Node::Counter { .. } | Node::Break | Node::Continue => {}
            Node::Output(f) => self.filtered(f),
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                for (condition, body) in branches {
                    self.condition(condition);
                    self.block(body);
                }
                if let Some(body) = otherwise {
                    self.block(body);
                }
            }
            Node::Case { subject, arms, .. } => {
                self.expr(subject);
                for (values, body) in arms {
                    for v in values.iter_mut().flatten() {
                        self.expr(v);
                    }
                    self.block(body);
                }
            }
            Node::For(f) => {
                self.expr(&mut f.collection);
                for e in [&mut f.limit, &mut f.cols].into_iter().flatten() {
                    self.expr(e);
                }
                if let Some(Offset::Expr(e)) = &mut f.offset {
                    self.expr(e);
                }
                // The renderer pushes the same entries, in the same order.
                let depth = self.stack.len();
                self.stack.push(f.var.clone());
                if f.tablerow {
                    self.stack.push(Arc::from("tablerowloop"));
                } else {
                    self.loops += 1;
                }
                self.block(&mut f.body);
                if !f.tablerow {
                    self.loops -= 1;
                }
                self.stack.truncate(depth);
                if let Some(body) = &mut f.otherwise {
                    self.block(body);
                }
            }
            Node::Assign { name, value, id } => {
                self.filtered(value);
                *id = self.id(name);
            }
            Node::Capture { name, body, id, .. } => {
                self.block(body);
                *id = self.id(name);
            }
            Node::Cycle { group, values, .. } => {
                for e in group.iter_mut().chain(values) {
                    self.expr(e);
                }
            }
            Node::IfChanged(body) | Node::Block(body) => self.block(body),
            Node::Partial(call) => {
                self.expr(&mut call.name);
                if let Some((e, _)) = &mut call.bound {
                    self.expr(e);
                }
                for (_, e, _) in &mut call.args {
                    self.expr(e);
                }
            }
            Node::Abort(reason, _) => {
                if let Some(e) = reason {
                    self.expr(e);
                }
            }
        }
    }

    fn condition(&mut self, c: &mut Condition) {
        for term in &mut c.terms {
            match term {
                Comparison::Test(e) => self.expr(e),
                Comparison::Compare(a, _, b, _) => {
                    self.expr(a);
                    self.expr(b);
                }
            }
        }
    }

    fn filtered(&mut self, f: &mut Filtered) {
        self.expr(&mut f.expr);
        for call in &mut f.filters {
            for e in call
                .args
                .iter_mut()
                .chain(call.kwargs.iter_mut().map(|(_, e)| e))
            {
                self.expr(e);
            }
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match e {
            Expr::Literal(_) => {}
            Expr::Range(a, b, _) => {
                self.expr(a);
                self.expr(b);
            }
            Expr::Path(path) => self.path(path),
        }
    }

    fn path(&mut self, path: &mut Path) {
        for segment in std::iter::once(&mut path.root).chain(&mut path.rest) {
            if let Segment::Dynamic(e) = segment {
                self.expr(e);
            }
        }
        path.binding = match &path.root {
            Segment::Key(name) => self.bind(name),
            _ => Binding::Dynamic,
        };
    }

    fn bind(&mut self, name: &Arc<str>) -> Binding {
        // `forloop` wins over a loop variable of the same name, as in the renderer.
        if &**name == "forloop" {
            return match self.loops.checked_sub(1) {
                Some(level) => Binding::Forloop(level),
                None => Binding::OuterForloop(self.id(name)),
            };
        }
        match self.stack.iter().rposition(|n| n == name) {
            Some(place) => Binding::Loop(place as u32),
            None => Binding::Name(self.id(name)),
        }
    }
}
