//! Conditions as analysis records them: what held (or failed) where a variable is
//! used, and how to fold a condition whose terms are literals.

use std::sync::Arc;

use super::PathPart;
use crate::liquid::ast::{CompareOp, Logic};

/// A condition known to have held (or failed) where a variable is used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Guard {
    /// The condition's source text.
    #[serde(serialize_with = "as_str")]
    pub text: Arc<str>,
    /// Whether the condition held (`true`) or failed (`false`) there.
    pub holds: bool,
    /// The condition's structure.
    #[serde(skip)]
    pub test: Arc<Test>,
}

/// A condition as analysis sees it: terms joined by `and`/`or`, which group from the
/// right (`a and b or c` is `a and (b or c)`), as in Liquid. Kept flat, like the
/// template's own conditions, so that no walk over it recurses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    /// The terms, left to right.
    pub terms: Vec<Term>,
    /// The operator after each term but the last.
    pub joins: Vec<Logic>,
}

/// One term of a [`Test`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// A value's truthiness.
    Truthy(Operand),
    /// `a op b`.
    Compare(Operand, CompareOp, Operand),
}

/// A side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A path into the globals (not into a name the template binds).
    Global(Vec<PathPart>),
    /// A literal.
    Literal(Literal),
    /// Anything else: a local variable, a range.
    Other,
}

/// A literal value in a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float, as its text.
    Float(String),
    /// A string.
    Str(String),
    /// `empty`.
    Empty,
    /// `blank`.
    Blank,
}

impl Test {
    /// The condition's value when every term is a literal that decides it; `None`
    /// when it depends on data.
    pub fn constant(&self) -> Option<bool> {
        self.fold(
            |term| term.constant(),
            |join, a, b| match join {
                Logic::And => match (a, b) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                Logic::Or => match (a, b) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
            },
        )
    }

    /// Folds the terms from the right, as the condition groups: `f` values each term,
    /// `join` combines a term's value with the value of everything right of it.
    pub fn fold<T>(&self, f: impl Fn(&Term) -> T, join: impl Fn(Logic, T, T) -> T) -> T
    where
        T: Default,
    {
        let mut terms = self.terms.iter().rev();
        let Some(last) = terms.next() else {
            return T::default();
        };
        let mut acc = f(last);
        for (term, op) in terms.zip(self.joins.iter().rev()) {
            acc = join(*op, f(term), acc);
        }
        acc
    }
}

impl Term {
    fn constant(&self) -> Option<bool> {
        match self {
            Term::Truthy(Operand::Literal(l)) => match l {
                Literal::Nil | Literal::Bool(false) => Some(false),
                Literal::Bool(true) | Literal::Int(_) | Literal::Float(_) | Literal::Str(_) => {
                    Some(true)
                }
                Literal::Empty | Literal::Blank => None,
            },
            Term::Compare(Operand::Literal(a), op, Operand::Literal(b)) => {
                compare_literals(a, *op, b)
            }
            _ => None,
        }
    }
}

fn compare_literals(a: &Literal, op: CompareOp, b: &Literal) -> Option<bool> {
    use std::cmp::Ordering;
    let order = match (a, b) {
        (Literal::Int(x), Literal::Int(y)) => Some(x.cmp(y)),
        (Literal::Str(x), Literal::Str(y)) => Some(x.cmp(y)),
        (Literal::Nil, Literal::Nil) => Some(Ordering::Equal),
        (Literal::Bool(x), Literal::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }?;
    let ordered = matches!((a, b), (Literal::Int(_), Literal::Int(_)));
    match op {
        CompareOp::Eq => Some(order == Ordering::Equal),
        CompareOp::Ne => Some(order != Ordering::Equal),
        CompareOp::Lt if ordered => Some(order == Ordering::Less),
        CompareOp::Gt if ordered => Some(order == Ordering::Greater),
        CompareOp::Le if ordered => Some(order != Ordering::Greater),
        CompareOp::Ge if ordered => Some(order != Ordering::Less),
        _ => None,
    }
}

impl Guard {
    /// The same condition, known to have failed.
    pub(super) fn failed(&self) -> Guard {
        Guard {
            text: self.text.clone(),
            holds: !self.holds,
            test: self.test.clone(),
        }
    }
}

pub(super) fn as_str<S: serde::Serializer>(text: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(text)
}
