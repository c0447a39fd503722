//! Static analysis of a compiled template: which variables it reads from its globals,
//! and which filters and tags it uses, each with where. Lint and preview build on it.

use std::collections::HashSet;
use std::sync::Arc;

use super::ast::{Block, Comparison, Condition, Expr, Filtered, Node, Offset, Path, Segment};
use super::error::{LineCol, Span};
use super::value::Value;

/// One step of a variable path, as far as it is known without data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum PathPart {
    /// `.name` or `["name"]`.
    Key(String),
    /// `[0]`.
    Index(i64),
    /// `[expr]`: known only at render time.
    #[serde(serialize_with = "dynamic")]
    Dynamic,
}

fn dynamic<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[?]")
}

/// How a variable is used where it appears.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Usage {
    /// Output (`{{ }}` / `echo`), or the input of an `assign`'s filters.
    Output {
        /// The filters applied, in order.
        filters: Vec<String>,
        /// Whether a `default` filter is among them.
        has_default: bool,
        /// Whether the value is written to the output (rather than assigned).
        written: bool,
    },
    /// Tested in a condition (`if`, `unless`, `case`, `when`).
    Condition,
    /// Anything else: a filter argument, a loop collection, a partial argument.
    Other,
}

/// A variable the template reads from its globals.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Variable {
    /// The path, root first.
    pub path: Vec<PathPart>,
    /// The path as written in the source.
    pub text: String,
    /// Where it is.
    pub span: (u32, u32),
    /// Its line and column.
    pub at: LineCol,
    /// How it is used.
    pub usage: Usage,
    /// The conditions (source text) this use is nested in, innermost last.
    pub guards: Vec<String>,
}

/// A named use of a filter or tag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NameUse {
    /// The filter or tag name.
    pub name: String,
    /// Where it is.
    pub at: LineCol,
}

/// What a template uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Analysis {
    /// Variables read from the globals (names bound by `assign`, `capture`, loops and
    /// partial arguments excluded), in source order.
    pub variables: Vec<Variable>,
    /// Filters used, in source order.
    pub filters: Vec<NameUse>,
    /// Tags used (names as written, without the closing tags).
    pub tags: Vec<String>,
    /// `abort` tags, with whether each is reachable at all.
    pub aborts: Vec<LineCol>,
}

impl Analysis {
    /// The distinct root names of the variables read, in first-use order.
    pub fn roots(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.variables
            .iter()
            .filter_map(|v| match v.path.first() {
                Some(PathPart::Key(k)) => Some(k.as_str()),
                _ => None,
            })
            .filter(|k| seen.insert(*k))
            .collect()
    }
}

pub(crate) fn analyze(root: &Block, source: &str) -> Analysis {
    let mut walker = Walker {
        source,
        bound: vec![Arc::from("forloop"), Arc::from("tablerowloop")],
        guards: Vec::new(),
        result: Analysis::default(),
    };
    walker.block(root);
    walker.result.tags.sort();
    walker.result.tags.dedup();
    walker.result.variables.sort_by_key(|v| v.span);
    walker.result.filters.sort_by_key(|f| (f.at.line, f.at.col));
    walker.result
}

struct Walker<'s> {
    source: &'s str,
    bound: Vec<Arc<str>>,
    guards: Vec<String>,
    result: Analysis,
}

impl Walker<'_> {
    fn tag(&mut self, name: &str) {
        self.result.tags.push(name.to_owned());
    }

    fn block(&mut self, block: &Block) {
        for node in block {
            self.node(node);
        }
    }

    fn with_bound(&mut self, names: &[Arc<str>], f: impl FnOnce(&mut Self)) {
        let len = self.bound.len();
        self.bound.extend(names.iter().cloned());
        f(self);
        self.bound.truncate(len);
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Text(_) => {}
            Node::Output(f) => self.filtered(f, true),
            Node::If {
                branches,
                otherwise,
                negate_first,
            } => {
                self.tag(if *negate_first { "unless" } else { "if" });
                let depth = self.guards.len();
                for (condition, body) in branches {
                    self.condition(condition);
                    self.guards.push(self.condition_text(condition));
                    self.block(body);
                }
                self.guards.truncate(depth);
                if let Some(body) = otherwise {
                    self.block(body);
                }
            }
            Node::Case { subject, arms } => {
                self.tag("case");
                self.expr(subject, Usage::Condition);
                for (values, body) in arms {
                    for v in values.iter().flatten() {
                        self.expr(v, Usage::Condition);
                    }
                    self.block(body);
                }
            }
            Node::For(f) => {
                self.tag(if f.tablerow { "tablerow" } else { "for" });
                self.expr(&f.collection, Usage::Other);
                for e in [&f.limit, &f.cols].into_iter().flatten() {
                    self.expr(e, Usage::Other);
                }
                if let Some(Offset::Expr(e)) = &f.offset {
                    self.expr(e, Usage::Other);
                }
                self.with_bound(std::slice::from_ref(&f.var), |w| w.block(&f.body));
                if let Some(body) = &f.otherwise {
                    self.block(body);
                }
            }
            Node::Assign { name, value } => {
                self.tag("assign");
                self.filtered(value, false);
                self.bound.push(name.clone());
            }
            Node::Capture { name, body } => {
                self.tag("capture");
                self.block(body);
                self.bound.push(name.clone());
            }
            Node::Counter { name, step } => {
                self.tag(if *step > 0 { "increment" } else { "decrement" });
                self.bound.push(name.clone());
            }
            Node::Cycle { group, values, .. } => {
                self.tag("cycle");
                for e in group.iter().chain(values) {
                    self.expr(e, Usage::Other);
                }
            }
            Node::IfChanged(body) => {
                self.tag("ifchanged");
                self.block(body);
            }
            Node::Partial(call) => {
                self.tag(if call.isolated { "render" } else { "include" });
                self.expr(&call.name, Usage::Other);
                if let Some((e, _)) = &call.bound {
                    self.expr(e, Usage::Other);
                }
                for (_, e) in &call.args {
                    self.expr(e, Usage::Other);
                }
            }
            Node::Block(body) => {
                self.tag("liquid");
                self.block(body);
            }
            Node::Break => self.tag("break"),
            Node::Continue => self.tag("continue"),
            Node::Abort(reason, span) => {
                self.tag("abort");
                if let Some(e) = reason {
                    self.expr(e, Usage::Other);
                }
                self.result
                    .aborts
                    .push(LineCol::of(self.source, span.start as usize));
            }
        }
    }

    fn condition_text(&self, c: &Condition) -> String {
        let span = |cmp: &Comparison| match cmp {
            Comparison::Test(e) => expr_span(e),
            Comparison::Compare(_, _, _, s) => Some(*s),
        };
        let first = c.terms.first().and_then(span);
        let last = c.terms.last().and_then(span);
        match (first, last) {
            (Some(a), Some(b)) => self
                .source
                .get(a.start as usize..b.end as usize)
                .unwrap_or("")
                .to_owned(),
            _ => String::new(),
        }
    }

    fn condition(&mut self, c: &Condition) {
        for term in &c.terms {
            match term {
                Comparison::Test(e) => self.expr(e, Usage::Condition),
                Comparison::Compare(a, _, b, _) => {
                    self.expr(a, Usage::Condition);
                    self.expr(b, Usage::Condition);
                }
            }
        }
    }

    fn filtered(&mut self, f: &Filtered, written: bool) {
        let usage = Usage::Output {
            filters: f.filters.iter().map(|c| c.name.to_string()).collect(),
            has_default: f.has_default,
            written,
        };
        self.expr(&f.expr, usage);
        for call in &f.filters {
            self.result.filters.push(NameUse {
                name: call.name.to_string(),
                at: LineCol::of(self.source, call.span.start as usize),
            });
            for e in call.args.iter().chain(call.kwargs.iter().map(|(_, e)| e)) {
                self.expr(e, Usage::Other);
            }
        }
    }

    fn expr(&mut self, e: &Expr, usage: Usage) {
        match e {
            Expr::Literal(_) => {}
            Expr::Range(a, b, _) => {
                self.expr(a, Usage::Other);
                self.expr(b, Usage::Other);
            }
            Expr::Path(path) => self.path(path, usage),
        }
    }

    fn path(&mut self, path: &Path, usage: Usage) {
        for segment in std::iter::once(&path.root).chain(&path.rest) {
            if let Segment::Dynamic(e) = segment {
                self.expr(e, Usage::Other);
            }
        }
        let parts: Vec<PathPart> = std::iter::once(&path.root)
            .chain(&path.rest)
            .map(|s| match s {
                Segment::Key(k) => PathPart::Key(k.to_string()),
                Segment::Index(i) => PathPart::Index(*i),
                Segment::Dynamic(e) => match &**e {
                    Expr::Literal(Value::Str(s)) => PathPart::Key(s.to_string()),
                    _ => PathPart::Dynamic,
                },
            })
            .collect();
        if let Some(PathPart::Key(root)) = parts.first() {
            if self.bound.iter().any(|b| **b == **root) {
                return;
            }
        }
        self.result.variables.push(Variable {
            text: self
                .source
                .get(path.span.start as usize..path.span.end as usize)
                .unwrap_or("")
                .to_owned(),
            span: (path.span.start, path.span.end),
            at: LineCol::of(self.source, path.span.start as usize),
            path: parts,
            usage,
            guards: self.guards.clone(),
        });
    }
}

fn expr_span(e: &Expr) -> Option<Span> {
    match e {
        Expr::Path(p) => Some(p.span),
        Expr::Range(_, _, s) => Some(*s),
        Expr::Literal(_) => None,
    }
}
