//! Static analysis of a compiled template: which variables it reads from its globals,
//! and which filters and tags it uses, each with where. Lint and preview build on it.
//!
//! Beyond the names, it records what a checker needs to reason about a use without
//! data: the conditions a use depends on and whether each held ([`Guard`]), the
//! filters applied to each value ([`FilterUse`]), and which `abort` tags can be reached
//! ([`AbortTag`], [`Analysis::always_aborts`]). Conditions whose terms are all literals
//! (`if false`, `if 1 == 2`) are folded, so code under them is known to be unreachable.

use std::collections::HashSet;
use std::sync::Arc;

mod condition;
mod lines;
mod partials;
#[cfg(test)]
mod tests;

pub use condition::{Guard, Literal, Operand, Term, Test};
pub use lines::LineIndex;
pub use partials::{Fallback, PartialArg, PartialUse};

use super::ast::{
    Block, CompareOp, Comparison, Condition, Expr, Filtered, Logic, Node, Offset, Path, Segment,
};
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

fn guards<S: serde::Serializer>(guards: &Arc<[Guard]>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(guards.iter())
}

/// How a variable is used where it appears.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Usage {
    /// Output (`{{ }}` / `echo`), or the input of an `assign`'s filters. The argument
    /// of a `default` filter counts too: it is output when the value before it is
    /// missing, through the filters after the `default`.
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
    /// The conditions (source text) this use is nested in, innermost last: the
    /// conditions of the `if`/`elsif` branches up to and including the one it is in.
    pub guards: Vec<String>,
    /// What is known to hold where this use is, outermost first: the conditions of the
    /// enclosing branches (held or failed), of `{% if c %}{% abort %}{% endif %}`
    /// before it (failed), and of the value a `default` falls back from (failed).
    #[serde(serialize_with = "guards")]
    pub conditions: Arc<[Guard]>,
    /// The filters applied to this value, in order, with their places (empty unless
    /// the use is [`Usage::Output`]).
    pub filters: Vec<FilterUse>,
    /// Whether some path through the template reaches this use.
    pub reachable: bool,
}

/// A filter applied to a value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FilterUse {
    /// The filter's name.
    #[serde(serialize_with = "condition::as_str")]
    pub name: Arc<str>,
    /// Where the name is.
    pub span: (u32, u32),
    /// Its line and column.
    pub at: LineCol,
}

/// A named use of a filter or tag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NameUse {
    /// The filter or tag name.
    pub name: String,
    /// Where it is.
    pub at: LineCol,
}

/// An `abort` tag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AbortTag {
    /// Where the tag is.
    pub span: (u32, u32),
    /// Its line and column.
    pub at: LineCol,
    /// Whether some path through the template reaches it: not inside `{% if false %}`,
    /// not after an `abort` or `break` that always stops first.
    pub reachable: bool,
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
    /// Where the `abort` tags are, in source order.
    pub aborts: Vec<LineCol>,
    /// The `abort` tags, in source order, with whether each can be reached.
    pub abort_tags: Vec<AbortTag>,
    /// Whether every path through the template reaches an `abort`.
    pub always_aborts: bool,
    /// The `include`, `render` and `snippet` tags, in source order.
    pub partials: Vec<PartialUse>,
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
        tags: Default::default(),
        lines: LineIndex::new(source),
        bound: vec![Arc::from("forloop"), Arc::from("tablerowloop")],
        guards: Vec::new(),
        known: Known::default(),
        reachable: true,
        result: Analysis::default(),
    };
    let flow = walker.block(root);
    walker.result.always_aborts = flow.aborts;
    walker.result.tags = walker.tags.iter().map(|t| (*t).to_owned()).collect();
    walker.result.variables.sort_unstable_by_key(|v| v.span);
    walker.result.filters.sort_by_key(|f| (f.at.line, f.at.col));
    walker.result.abort_tags.sort_by_key(|a| a.span);
    walker.result.aborts = walker.result.abort_tags.iter().map(|a| a.at).collect();
    walker.result
}

/// How control leaves a block, on every path through it.
#[derive(Clone, Copy, Debug, Default)]
struct Flow {
    /// It never reaches the block's end (`abort`, `break`, `continue`).
    ends: bool,
    /// It always aborts.
    aborts: bool,
}

const STOPS: Flow = Flow {
    ends: true,
    aborts: false,
};

struct Walker<'s> {
    source: &'s str,
    /// The tags used, sorted.
    tags: std::collections::BTreeSet<&'static str>,
    lines: LineIndex,
    bound: Vec<Arc<str>>,
    guards: Vec<String>,
    known: Known,
    reachable: bool,
    result: Analysis,
}

/// One branch of an `if` or `case`, as the walker needs it.
struct Branch<'a> {
    /// The branch's condition, to walk when the branch is reached.
    condition: Option<&'a Condition>,
    /// What holds in the branch.
    guard: Guard,
    /// Whether the condition's text goes in [`Variable::guards`] (`if` branches only).
    textual: bool,
    body: &'a Block,
    /// Whether the branch is taken whenever it is reached (`Some(true)`), never
    /// (`Some(false)`), or depending on data.
    constant: Option<bool>,
}

impl<'s> Walker<'s> {
    fn tag(&mut self, name: &'static str) {
        self.tags.insert(name);
    }

    fn block(&mut self, block: &Block) -> Flow {
        let depth = self.known.len();
        let reachable = self.reachable;
        let mut flow = Flow::default();
        for node in block {
            if flow.ends {
                self.reachable = false;
            }
            let next = self.node(node);
            if !flow.ends {
                flow = next;
            }
        }
        self.known.truncate(depth);
        self.reachable = reachable;
        flow
    }

    fn with_bound(&mut self, names: &[Arc<str>], f: impl FnOnce(&mut Self)) {
        let len = self.bound.len();
        self.bound.extend(names.iter().cloned());
        f(self);
        self.bound.truncate(len);
    }

    fn node(&mut self, node: &Node) -> Flow {
        match node {
            Node::Text(_) => Flow::default(),
            Node::Output(f) => {
                self.filtered(f, true);
                Flow::default()
            }
            Node::If {
                branches,
                otherwise,
                negate_first,
            } => {
                self.tag(if *negate_first { "unless" } else { "if" });
                self.if_node(branches, otherwise.as_ref(), *negate_first)
            }
            Node::Case { subject, arms, .. } => {
                self.tag("case");
                self.case_node(subject, arms)
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
                self.with_bound(std::slice::from_ref(&f.var), |w| {
                    w.block(&f.body);
                });
                if let Some(body) = &f.otherwise {
                    self.block(body);
                }
                Flow::default()
            }
            Node::Assign { name, value, .. } => {
                self.tag("assign");
                self.filtered(value, false);
                self.bound.push(name.clone());
                Flow::default()
            }
            Node::Capture { name, body, .. } => {
                self.tag("capture");
                let flow = self.block(body);
                self.bound.push(name.clone());
                flow
            }
            Node::Counter { name, step, .. } => {
                self.tag(if *step > 0 { "increment" } else { "decrement" });
                self.bound.push(name.clone());
                Flow::default()
            }
            Node::Cycle { group, values, .. } => {
                self.tag("cycle");
                for e in group.iter().chain(values) {
                    self.expr(e, Usage::Other);
                }
                Flow::default()
            }
            Node::IfChanged(body) => {
                self.tag("ifchanged");
                self.block(body)
            }
            Node::Partial(call) => {
                self.tag(match (call.snippet, call.isolated) {
                    (true, _) => "snippet",
                    (false, true) => "render",
                    (false, false) => "include",
                });
                self.partial(call);
                self.expr(&call.name, Usage::Other);
                if let Some((e, _)) = &call.bound {
                    self.expr(e, Usage::Other);
                }
                for (_, e, _) in &call.args {
                    self.expr(e, Usage::Other);
                }
                Flow::default()
            }
            Node::Block(body) => {
                self.tag("liquid");
                self.block(body)
            }
            Node::Break => {
                self.tag("break");
                STOPS
            }
            Node::Continue => {
                self.tag("continue");
                STOPS
            }
            Node::Abort(reason, span) => {
                self.tag("abort");
                if let Some(e) = reason {
                    self.expr(e, Usage::Other);
                }
                self.result.abort_tags.push(AbortTag {
                    span: (span.start, span.end),
                    at: self.lines.at(self.source, span.start as usize),
                    reachable: self.reachable,
                });
                Flow {
                    ends: true,
                    aborts: true,
                }
            }
        }
    }

    fn if_node(
        &mut self,
        branches: &[(Condition, Block)],
        otherwise: Option<&Block>,
        negate_first: bool,
    ) -> Flow {
        let branches: Vec<Branch<'_>> = branches
            .iter()
            .enumerate()
            .map(|(i, (condition, body))| {
                let test = self.test(condition);
                // An `unless` branch is taken when its condition fails.
                let holds = !(i == 0 && negate_first);
                Branch {
                    condition: Some(condition),
                    constant: test.constant().map(|c| c == holds),
                    guard: Guard {
                        text: Arc::from(self.condition_text(condition)),
                        holds,
                        test: Arc::new(test),
                    },
                    textual: true,
                    body,
                }
            })
            .collect();
        self.branches(&branches, otherwise)
    }

    /// Walks the branches of an `if` or `case` in order (then `otherwise`), each with
    /// what is known there, and after them records what a leading run of aborting
    /// branches proves for the rest of the enclosing block.
    fn branches(&mut self, branches: &[Branch<'_>], otherwise: Option<&Block>) -> Flow {
        let depth = self.known.len();
        let texts = self.guards.len();
        let outer = self.reachable;
        let mut decided = false;
        let mut any = false;
        let mut all = Flow {
            ends: true,
            aborts: true,
        };
        let mut aborting_prefix = true;
        let mut proven = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            self.known
                .extend(branches[..i].iter().map(|b| b.guard.failed()));
            self.reachable = outer && !decided;
            if let Some(condition) = branch.condition {
                self.condition(condition);
            }
            self.known.push(branch.guard.clone());
            if branch.textual {
                self.guards.push(String::from(&*branch.guard.text));
            }
            let reach = self.reachable && branch.constant != Some(false);
            self.reachable = reach;
            let flow = self.block(branch.body);
            self.known.truncate(depth);
            if reach {
                any = true;
                all.ends &= flow.ends;
                all.aborts &= flow.aborts;
            }
            if aborting_prefix && flow.aborts {
                proven.push(branch.guard.failed());
            } else {
                aborting_prefix = false;
            }
            decided |= branch.constant == Some(true);
        }
        self.guards.truncate(texts);
        let fallthrough = outer && !decided;
        match otherwise {
            Some(body) => {
                self.known.extend(branches.iter().map(|b| b.guard.failed()));
                self.reachable = fallthrough;
                let flow = self.block(body);
                self.known.truncate(depth);
                if fallthrough {
                    any = true;
                    all.ends &= flow.ends;
                    all.aborts &= flow.aborts;
                }
            }
            None if fallthrough => {
                any = true;
                all = Flow::default();
            }
            None => {}
        }
        self.reachable = outer;
        self.known.extend(proven);
        if any { all } else { Flow::default() }
    }

    fn case_node(&mut self, subject: &Expr, arms: &[(Option<Vec<Expr>>, Block)]) -> Flow {
        self.expr(subject, Usage::Condition);
        let left = self.operand(subject);
        let mut whens = Vec::new();
        let mut otherwise = None;
        for (values, body) in arms {
            let Some(values) = values else {
                otherwise = Some(body);
                continue;
            };
            for v in values {
                self.expr(v, Usage::Condition);
            }
            let test = Test {
                terms: values
                    .iter()
                    .map(|v| Term::Compare(left.clone(), CompareOp::Eq, self.operand(v)))
                    .collect(),
                joins: vec![Logic::Or; values.len().saturating_sub(1)],
            };
            let constant = test.constant();
            let text = values
                .iter()
                .filter_map(expr_span)
                .map(|s| self.slice(s))
                .collect::<Vec<_>>()
                .join(" or ");
            // Several `when`s may match: one that surely matches does not rule out
            // the next, so only "never matches" is kept.
            whens.push(Branch {
                condition: None,
                guard: Guard {
                    text: Arc::from(text),
                    holds: true,
                    test: Arc::new(test),
                },
                textual: false,
                body,
                constant: constant.filter(|c| !c),
            });
        }
        self.branches(&whens, otherwise)
    }

    fn condition_text(&self, c: &Condition) -> &'s str {
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
                .unwrap_or(""),
            _ => "",
        }
    }

    fn slice(&self, span: Span) -> String {
        self.source
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .to_owned()
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

    fn test(&self, c: &Condition) -> Test {
        Test {
            terms: c
                .terms
                .iter()
                .map(|t| match t {
                    Comparison::Test(e) => Term::Truthy(self.operand(e)),
                    Comparison::Compare(a, op, b, _) => {
                        Term::Compare(self.operand(a), *op, self.operand(b))
                    }
                })
                .collect(),
            joins: c.ops.clone(),
        }
    }

    fn operand(&self, e: &Expr) -> Operand {
        match e {
            Expr::Literal(v) => match v {
                Value::Nil => Operand::Literal(Literal::Nil),
                Value::Bool(b) => Operand::Literal(Literal::Bool(*b)),
                Value::Int(i) => Operand::Literal(Literal::Int(*i)),
                Value::Float(f) => Operand::Literal(Literal::Float(f.to_string())),
                Value::Str(s) => Operand::Literal(Literal::Str(String::from(&**s))),
                Value::Empty => Operand::Literal(Literal::Empty),
                Value::Blank => Operand::Literal(Literal::Blank),
                _ => Operand::Other,
            },
            Expr::Path(p) => {
                let parts = parts(p);
                match parts.first() {
                    Some(PathPart::Key(root)) if self.is_bound(root) => Operand::Other,
                    _ => Operand::Global(parts),
                }
            }
            Expr::Range(..) => Operand::Other,
        }
    }

    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|b| **b == *name)
    }

    fn filtered(&mut self, f: &Filtered, written: bool) {
        let uses: Vec<FilterUse> = f
            .filters
            .iter()
            .map(|c| FilterUse {
                name: c.name.clone(),
                span: (c.span.start, c.span.end),
                at: self.lines.at(self.source, c.span.start as usize),
            })
            .collect();
        let output = |from: usize| {
            let rest = &uses[from.min(uses.len())..];
            (
                Usage::Output {
                    filters: rest.iter().map(|u| String::from(&*u.name)).collect(),
                    has_default: rest.iter().any(|u| &*u.name == "default"),
                    written,
                },
                rest.to_vec(),
            )
        };
        let (usage, applied) = output(0);
        self.expr_with(&f.expr, usage, applied);
        // A `default`'s argument is output when everything before it was missing.
        let depth = self.known.len();
        let mut fell_back = vec![&f.expr];
        for (i, call) in f.filters.iter().enumerate() {
            self.result.filters.push(NameUse {
                name: String::from(&*call.name),
                at: uses[i].at,
            });
            let mut args = call.args.iter();
            if &*call.name == "default" {
                if let Some(Expr::Path(path)) = call.args.first() {
                    args.next();
                    for e in &fell_back {
                        if let Some(guard) = self.missing(e) {
                            self.known.push(guard);
                        }
                    }
                    let (usage, applied) = output(i + 1);
                    self.path(path, usage, applied);
                    self.known.truncate(depth);
                    fell_back.push(&call.args[0]);
                }
            }
            for e in args.chain(call.kwargs.iter().map(|(_, e)| e)) {
                self.expr(e, Usage::Other);
            }
        }
    }

    /// What is known where a `default` falls back from `e`: it was falsy or empty.
    fn missing(&self, e: &Expr) -> Option<Guard> {
        let operand = self.operand(e);
        let Operand::Global(_) = operand else {
            return None;
        };
        Some(Guard {
            text: Arc::from(self.slice(expr_span(e)?)),
            holds: false,
            test: Arc::new(Test {
                terms: vec![Term::Truthy(operand)],
                joins: Vec::new(),
            }),
        })
    }

    fn expr(&mut self, e: &Expr, usage: Usage) {
        self.expr_with(e, usage, Vec::new());
    }

    fn expr_with(&mut self, e: &Expr, usage: Usage, applied: Vec<FilterUse>) {
        match e {
            Expr::Literal(_) => {}
            Expr::Range(a, b, _) => {
                self.expr(a, Usage::Other);
                self.expr(b, Usage::Other);
            }
            Expr::Path(path) => self.path(path, usage, applied),
        }
    }

    fn path(&mut self, path: &Path, usage: Usage, applied: Vec<FilterUse>) {
        for segment in std::iter::once(&path.root).chain(&path.rest) {
            if let Segment::Dynamic(e) = segment {
                self.expr(e, Usage::Other);
            }
        }
        let parts = parts(path);
        if let Some(PathPart::Key(root)) = parts.first() {
            if self.is_bound(root) {
                return;
            }
        }
        self.result.variables.push(Variable {
            text: self.slice(path.span),
            span: (path.span.start, path.span.end),
            at: self.lines.at(self.source, path.span.start as usize),
            path: parts,
            usage,
            guards: self.guards.clone(),
            conditions: self.known.shared(),
            filters: applied,
            reachable: self.reachable,
        });
    }
}

/// What is known at the current point of the walk, as a stack, with the snapshot the
/// variables share until the stack changes (most neighbours know the same).
#[derive(Default)]
struct Known {
    stack: Vec<Guard>,
    shared: Option<Arc<[Guard]>>,
}

impl Known {
    fn len(&self) -> usize {
        self.stack.len()
    }

    fn push(&mut self, guard: Guard) {
        self.shared = None;
        self.stack.push(guard);
    }

    fn extend(&mut self, guards: impl IntoIterator<Item = Guard>) {
        self.shared = None;
        self.stack.extend(guards);
    }

    fn truncate(&mut self, len: usize) {
        if len < self.stack.len() {
            self.shared = None;
            self.stack.truncate(len);
        }
    }

    fn shared(&mut self) -> Arc<[Guard]> {
        self.shared
            .get_or_insert_with(|| Arc::from(self.stack.as_slice()))
            .clone()
    }
}

fn parts(path: &Path) -> Vec<PathPart> {
    std::iter::once(&path.root)
        .chain(&path.rest)
        .map(|s| match s {
            Segment::Key(k) => PathPart::Key(String::from(&**k)),
            Segment::Index(i) => PathPart::Index(*i),
            Segment::Dynamic(e) => match &**e {
                Expr::Literal(Value::Str(s)) => PathPart::Key(String::from(&**s)),
                _ => PathPart::Dynamic,
            },
        })
        .collect()
}

fn expr_span(e: &Expr) -> Option<Span> {
    match e {
        Expr::Path(p) => Some(p.span),
        Expr::Range(_, _, s) => Some(*s),
        Expr::Literal(_) => None,
    }
}
