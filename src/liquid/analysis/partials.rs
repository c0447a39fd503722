//! The `include`, `render` and `snippet` tags a template uses: which partial each names
//! (a literal, or a value from data), its fallback and the arguments it passes, each
//! with its place. Lint checks them against a snippet library.

use super::{Operand, Walker, expr_span};
use crate::liquid::LineCol;
use crate::liquid::ast::{Expr, PartialCall};
use crate::liquid::value::Value;

/// An `include`, `render` or `snippet` tag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartialUse {
    /// `include`, `render` or `snippet`.
    pub tag: &'static str,
    /// The partial's name when it is a literal (`{% render 'card' %}`); `None` when it
    /// comes from data (`{% snippet Event["Code Snippet Name"] %}`).
    pub name: Option<String>,
    /// Where a name that is not a literal comes from: a path into the globals, or
    /// anything else ([`Operand::Other`]: a variable of the template).
    #[serde(skip)]
    pub source: Operand,
    /// The name as written.
    pub name_text: String,
    /// `or "name"`: the snippet rendered when the name has none.
    pub fallback: Option<Fallback>,
    /// The arguments passed (`key: value`; `with x` and `for xs` as the variable they
    /// bind), in source order.
    pub args: Vec<PartialArg>,
    /// Where the tag is.
    pub span: (u32, u32),
    /// Its line and column.
    pub at: LineCol,
    /// Whether some path through the template reaches it.
    pub reachable: bool,
}

/// The fallback of a `snippet` tag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Fallback {
    /// The fallback snippet's name.
    pub name: String,
    /// Where the name is.
    pub span: (u32, u32),
    /// Its line and column.
    pub at: LineCol,
}

/// An argument a partial is passed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartialArg {
    /// The parameter's name.
    pub name: String,
    /// The value: a literal, a path into the globals, or anything else.
    #[serde(skip)]
    pub value: Operand,
    /// Whether the value is the item of a `for` (the partial renders once per item).
    pub each: bool,
    /// Where it is (`key: value`, or the `with`/`for` value).
    pub span: (u32, u32),
    /// Its line and column.
    pub at: LineCol,
}

impl Walker<'_> {
    /// Records a partial tag in [`super::Analysis::partials`].
    pub(super) fn partial(&mut self, call: &PartialCall) {
        let tag = match (call.snippet, call.isolated) {
            (true, _) => "snippet",
            (false, true) => "render",
            (false, false) => "include",
        };
        let span = (call.span.start, call.span.end);
        let at = self.lines.at(self.source, call.span.start as usize);
        let name = match &call.name {
            Expr::Literal(Value::Str(s)) => Some(String::from(&**s)),
            _ => None,
        };
        let name_text = match expr_span(&call.name) {
            Some(s) => self.slice(s),
            None => name.as_ref().map_or_else(String::new, |n| format!("{n:?}")),
        };
        let fallback = call.fallback.as_ref().map(|(name, s)| Fallback {
            name: String::from(&**name),
            span: (s.start, s.end),
            at: self.lines.at(self.source, s.start as usize),
        });
        let mut args = Vec::new();
        if let Some((e, each)) = &call.bound {
            let bound_name = call.alias.as_deref().map(String::from).or(name.clone());
            if let Some(bound_name) = bound_name {
                let place = expr_span(e).unwrap_or(call.span);
                args.push(PartialArg {
                    name: bound_name,
                    value: if *each {
                        Operand::Other
                    } else {
                        self.operand(e)
                    },
                    each: *each,
                    span: (place.start, place.end),
                    at: self.lines.at(self.source, place.start as usize),
                });
            }
        }
        for (key, e, s) in &call.args {
            args.push(PartialArg {
                name: String::from(&**key),
                value: self.operand(e),
                each: false,
                span: (s.start, s.end),
                at: self.lines.at(self.source, s.start as usize),
            });
        }
        let source = self.operand(&call.name);
        self.result.partials.push(PartialUse {
            tag,
            name,
            source,
            name_text,
            fallback,
            args,
            span,
            at,
            reachable: self.reachable,
        });
    }
}
