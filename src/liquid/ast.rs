//! The compiled form of a template: a tree of nodes whose filters are already
//! resolved to functions and whose paths are already split into segments.

use std::sync::Arc;

use super::error::Span;
use super::filters::FilterFn;
use super::value::{KeyHint, Value};

/// A sequence of nodes.
pub type Block = Vec<Node>;

/// One piece of a template.
#[derive(Debug)]
pub enum Node {
    /// Literal text.
    Text(Box<str>),
    /// `{{ ... }}` or `{% echo ... %}`.
    Output(Filtered),
    /// `if`/`elsif`/`else`, and `unless` (whose first condition is negated).
    If {
        /// Each condition with its block; the first is negated for `unless`.
        branches: Vec<(Condition, Block)>,
        /// The `else` block.
        otherwise: Option<Block>,
        /// Whether this is an `unless`.
        negate_first: bool,
    },
    /// `case`/`when`/`else`.
    Case {
        /// The value switched on.
        subject: Expr,
        /// `when` blocks (with their values) and `else` blocks (`None`), in order.
        arms: Vec<(Option<Vec<Expr>>, Block)>,
        /// Where the `case` tag is.
        span: Span,
    },
    /// `for` and `tablerow`.
    For(Box<ForLoop>),
    /// `assign name = ...`.
    Assign {
        /// The variable.
        name: Arc<str>,
        /// The value.
        value: Filtered,
        /// The variable's id in the template's name table (see [`Binding::Name`]).
        id: u32,
    },
    /// `capture name` ... `endcapture`.
    Capture {
        /// The variable.
        name: Arc<str>,
        /// What is captured.
        body: Block,
        /// The variable's id in the template's name table (see [`Binding::Name`]).
        id: u32,
        /// Where the `capture` tag is.
        span: Span,
    },
    /// `increment name` (`step` 1) or `decrement name` (`step` -1).
    Counter {
        /// The counter.
        name: Arc<str>,
        /// +1 or -1.
        step: i64,
    },
    /// `cycle [group:] a, b, c`.
    Cycle {
        /// The named group, if any.
        group: Option<Expr>,
        /// The key of an unnamed group: the source text of its values.
        key: Arc<str>,
        /// The values cycled through.
        values: Vec<Expr>,
    },
    /// `ifchanged` ... `endifchanged`.
    IfChanged(Block),
    /// `include` and `render`.
    Partial(Box<PartialCall>),
    /// A nested block with no tag of its own (the body of a `liquid` tag).
    Block(Block),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// CleverTap's `abort` / `abort "reason"`, and where the tag is.
    Abort(Option<Expr>, Span),
}

/// A `for` or `tablerow` loop.
#[derive(Debug)]
pub struct ForLoop {
    /// The loop variable.
    pub var: Arc<str>,
    /// What is iterated.
    pub collection: Expr,
    /// `forloop.name`: `var-collection source`, also the `offset: continue` key.
    pub name: Arc<str>,
    /// `limit:`.
    pub limit: Option<Expr>,
    /// `offset:`.
    pub offset: Option<Offset>,
    /// `cols:` (tablerow only).
    pub cols: Option<Expr>,
    /// `reversed`.
    pub reversed: bool,
    /// The loop body.
    pub body: Block,
    /// The `else` block, rendered when there is nothing to iterate.
    pub otherwise: Option<Block>,
    /// Whether this is a `tablerow`.
    pub tablerow: bool,
    /// Where the tag is.
    pub span: Span,
}

/// The `offset:` of a loop.
#[derive(Debug)]
pub enum Offset {
    /// An expression.
    Expr(Expr),
    /// `offset: continue`.
    Continue,
}

/// An `include`, `render` or `snippet` call.
#[derive(Debug)]
pub struct PartialCall {
    /// Whether this is `render` or `snippet` (isolated scope) rather than `include`.
    pub isolated: bool,
    /// Whether this is `snippet`: `render`'s scope, a name that may come from data, and
    /// no snippet of that name an [`ErrorKind::MissingSnippet`](super::ErrorKind) error
    /// unless there is a `fallback`.
    pub snippet: bool,
    /// The partial's name.
    pub name: Expr,
    /// `or "name"` (`snippet` only): the snippet rendered when the name has none, and
    /// where the fallback's name is.
    pub fallback: Option<(Arc<str>, Span)>,
    /// `with x` (false) or `for xs` (true), and the value.
    pub bound: Option<(Expr, bool)>,
    /// `as alias`.
    pub alias: Option<Arc<str>>,
    /// Keyword arguments, each with where it is (`key: value`).
    pub args: Vec<(Arc<str>, Expr, Span)>,
    /// Where the tag is.
    pub span: Span,
}

/// An expression followed by filters.
#[derive(Debug)]
pub struct Filtered {
    /// The expression.
    pub expr: Expr,
    /// The filters, applied in order.
    pub filters: Vec<FilterCall>,
    /// Whether one of the filters is `default`, which makes an undefined value fine.
    pub has_default: bool,
    /// The whole expression's span.
    pub span: Span,
}

/// A call of a filter.
#[derive(Debug)]
pub struct FilterCall {
    /// The filter's name.
    pub name: Arc<str>,
    /// The filter.
    pub func: FilterFnDebug,
    /// Positional arguments.
    pub args: Vec<Expr>,
    /// Keyword arguments.
    pub kwargs: Vec<(Arc<str>, Expr)>,
    /// Arguments known at compile time (all literals), evaluated once.
    pub constant: Option<ConstantArgs>,
    /// Where the call is.
    pub span: Span,
}

/// Filter arguments evaluated at compile time: positional, then keyword.
pub type ConstantArgs = (Vec<Value>, Vec<(Arc<str>, Value)>);

/// A filter function that prints as its address.
pub struct FilterFnDebug(pub FilterFn);

impl std::fmt::Debug for FilterFnDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<filter>")
    }
}

/// An expression.
#[derive(Debug)]
pub enum Expr {
    /// A literal value.
    Literal(Value),
    /// A variable path.
    Path(Path),
    /// `(start..end)`.
    Range(Box<Expr>, Box<Expr>, Span),
}

/// A variable and the properties and items looked up on it.
#[derive(Debug)]
pub struct Path {
    /// The first segment (a name, or a bracketed expression).
    pub root: Segment,
    /// Where the renderer finds the root variable.
    pub binding: Binding,
    /// The rest.
    pub rest: Vec<Segment>,
    /// Where each key was found last time: the root's among the globals first, then
    /// one for each of the first segments of `rest` (longer paths are rare).
    pub hints: [KeyHint; 4],
    /// Where the path is.
    pub span: Span,
}

/// Where the renderer finds the variable a path starts with, decided once after
/// parsing (by `resolve`) so that rendering does not search scopes by name.
///
/// A template's loop variables are known from its nesting alone. Every other name
/// gets an id in the template's name table; the renderer keeps the template's
/// `assign`/`capture` variables in slots by id, and falls back to the globals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Binding {
    /// A root that is not a plain name (`[0]`, `[key]`): found by name at render time.
    #[default]
    Dynamic,
    /// The variable of an enclosing loop of this template: its place on the loop
    /// stack, counted from where this template's part of the stack begins.
    Loop(u32),
    /// `forloop` inside a `for` of this template: the loop's nesting level, counted
    /// from this template's outermost loop.
    Forloop(u32),
    /// `forloop` outside any `for` of this template: the innermost loop of an
    /// including template if there is one, else the name with this id.
    OuterForloop(u32),
    /// Any other name, by its id in the template's name table.
    Name(u32),
}

/// One step of a path.
#[derive(Debug)]
pub enum Segment {
    /// `.name` or `["name"]`.
    Key(Arc<str>),
    /// `[0]`, `[-1]`.
    Index(i64),
    /// `[expr]`.
    Dynamic(Box<Expr>),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
}

/// One comparison (or bare test) inside a condition.
#[derive(Debug)]
pub enum Comparison {
    /// A value's truthiness.
    Test(Expr),
    /// `a op b`.
    Compare(Expr, CompareOp, Expr, Span),
}

/// `and` or `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logic {
    /// `and`
    And,
    /// `or`
    Or,
}

/// A condition of `if`, `unless`, `elsif`: comparisons joined by `and`/`or`, which
/// group from the right (`a and b or c` is `a and (b or c)`). Kept flat so that a
/// long chain neither recurses nor overflows the stack.
#[derive(Default, Debug)]
pub struct Condition {
    /// The comparisons, left to right.
    pub terms: Vec<Comparison>,
    /// The operator after each term but the last.
    pub ops: Vec<Logic>,
}
