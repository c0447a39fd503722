//! What the conditions around a use prove: that a value is set, or which events the
//! record can be of.
//!
//! A term proves a path **set** when it holds (`if x`, `x != blank`, `x != nil`,
//! `x == "A"`, `x > 0`, `x contains "A"`) or when it fails (`x == blank`, `x == nil`,
//! `unless x`), and **missing** in the opposite cases. Terms joined by `and`/`or` are
//! read with De Morgan's laws when the condition failed. A proof that a path is set
//! also proves every path it starts with (`if x.size > 0` proves `x`).
//!
//! Coupons come in two kinds, single-use (with a `Coupon Code`) and bulk (with a
//! `Coupon Name`), so where `Coupon Code` is proven missing, `Coupon Name` is proven
//! set, and the other way round.

use crate::liquid::ast::{CompareOp, Logic};
use crate::liquid::{Guard, Literal, Operand, PathPart, Term, Variable};
use crate::promo::schema::{self, EventKind, PropertyId, prop};

/// Properties of which a record has one or the other: (a, b) where a missing `a`
/// means a set `b`, and the other way round.
const EITHER: &[(PropertyId, PropertyId)] = &[(prop::COUPON_CODE, prop::COUPON_NAME)];

/// What lint wants proven set.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'a> {
    /// A schema property, however it is written (`Event.coupon_code`, `Event["Coupon Code"]`).
    Property(PropertyId),
    /// A path, exactly (a profile field, a custom property).
    Path(&'a [PathPart]),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fact {
    Set,
    Missing,
}

/// Whether the conditions known at `v` prove `target` set.
pub(crate) fn proven_set(v: &Variable, target: Target<'_>) -> bool {
    v.conditions.iter().any(|g| guard_proves(g, target))
}

fn guard_proves(g: &Guard, target: Target<'_>) -> bool {
    let holds = g.holds;
    g.test.fold(
        |term| match term_fact(term, holds) {
            Some((path, fact)) => fact_proves(path, fact, target),
            None => false,
        },
        |join, a, b| match effective(join, holds) {
            Logic::And => a || b,
            Logic::Or => a && b,
        },
    )
}

/// How a join reads when the condition failed: `not (a and b)` is `not a or not b`.
fn effective(join: Logic, holds: bool) -> Logic {
    match (join, holds) {
        (j, true) => j,
        (Logic::And, false) => Logic::Or,
        (Logic::Or, false) => Logic::And,
    }
}

fn fact_proves(path: &[PathPart], fact: Fact, target: Target<'_>) -> bool {
    match (fact, target) {
        (Fact::Set, Target::Path(p)) => path.starts_with(p),
        (Fact::Set, Target::Property(id)) => path.len() >= 2 && property_of(&path[..2]) == Some(id),
        (Fact::Missing, Target::Property(id)) => {
            path.len() == 2
                && property_of(path).is_some_and(|other| {
                    EITHER
                        .iter()
                        .any(|&(a, b)| (a, b) == (other, id) || (b, a) == (other, id))
                })
        }
        (Fact::Missing, Target::Path(_)) => false,
    }
}

/// The schema property `Event.<name>` names, for a two-part path.
pub(crate) fn property_of(path: &[PathPart]) -> Option<PropertyId> {
    match path {
        [PathPart::Key(root), PathPart::Key(name)] if root == "Event" => schema::lookup(name),
        _ => None,
    }
}

/// What `term` says about a global path when it holds (or fails, `holds == false`).
fn term_fact(term: &Term, holds: bool) -> Option<(&[PathPart], Fact)> {
    let (set, missing) = if holds {
        (Fact::Set, Fact::Missing)
    } else {
        (Fact::Missing, Fact::Set)
    };
    match term {
        Term::Truthy(Operand::Global(path)) => Some((path, set)),
        Term::Truthy(_) => None,
        Term::Compare(a, op, b) => {
            let (path, literal, path_left) = match (a, b) {
                (Operand::Global(p), Operand::Literal(l)) => (p, l, true),
                (Operand::Literal(l), Operand::Global(p)) => (p, l, false),
                _ => return None,
            };
            let nothing = matches!(literal, Literal::Nil | Literal::Blank);
            let something = !nothing
                && !matches!(literal, Literal::Empty)
                && *literal != Literal::Str(String::new());
            let fact = match op {
                CompareOp::Eq if nothing => missing,
                CompareOp::Ne if nothing => set,
                // Equal to a value: set when it holds; nothing when it fails.
                CompareOp::Eq if something && holds => Fact::Set,
                CompareOp::Ne if something && !holds => Fact::Set,
                // nil is neither less nor more than a number, nor contains anything.
                CompareOp::Lt | CompareOp::Gt | CompareOp::Le | CompareOp::Ge
                    if something && holds =>
                {
                    Fact::Set
                }
                CompareOp::Contains if path_left && something && holds => Fact::Set,
                _ => return None,
            };
            Some((path, fact))
        }
    }
}

/// The events of `events` a record can be of at `v`, given the `EventName` tests around
/// it, each once, in the schema's order. An empty `events` (any event) stays empty.
pub(crate) fn narrow(v: &Variable, events: &[EventKind]) -> Events {
    let mask = v
        .conditions
        .iter()
        .fold(ALL, |mask, g| mask & guard_events(g));
    let mut narrowed = Events::default();
    for e in EventKind::ALL {
        if mask & bit(e) != 0 && events.contains(&e) {
            narrowed.0[narrowed.1] = e;
            narrowed.1 += 1;
        }
    }
    narrowed
}

/// A few events, without allocating: at most the six there are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Events([EventKind; 6], usize);

impl Default for Events {
    fn default() -> Self {
        Events(EventKind::ALL, 0)
    }
}

impl std::ops::Deref for Events {
    type Target = [EventKind];

    fn deref(&self) -> &[EventKind] {
        &self.0[..self.1]
    }
}

const ALL: u8 = (1 << EventKind::ALL.len()) - 1;

fn bit(event: EventKind) -> u8 {
    let index = EventKind::ALL.iter().position(|e| *e == event).unwrap_or(0);
    1 << index
}

fn guard_events(g: &Guard) -> u8 {
    let holds = g.holds;
    g.test.fold(
        |term| term_events(term, holds),
        |join, a, b| match effective(join, holds) {
            Logic::And => a & b,
            Logic::Or => a | b,
        },
    )
}

fn term_events(term: &Term, holds: bool) -> u8 {
    let Term::Compare(a, op, b) = term else {
        return ALL;
    };
    let name = match (a, b) {
        (Operand::Global(p), Operand::Literal(Literal::Str(s)))
        | (Operand::Literal(Literal::Str(s)), Operand::Global(p))
            if matches!(p.as_slice(), [PathPart::Key(k)] if k == "EventName") =>
        {
            s
        }
        _ => return ALL,
    };
    let Some(event) = EventKind::from_name(name) else {
        return match (op, holds) {
            (CompareOp::Eq, true) | (CompareOp::Ne, false) => 0,
            _ => ALL,
        };
    };
    match (op, holds) {
        (CompareOp::Eq, true) | (CompareOp::Ne, false) => bit(event),
        (CompareOp::Eq, false) | (CompareOp::Ne, true) => ALL & !bit(event),
        _ => ALL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::{Environment, Variable};

    fn output(source: &str, text: &str) -> Variable {
        let template = Environment::new().compile("t", source).unwrap();
        template
            .analyze()
            .variables
            .into_iter()
            .find(|v| v.text == text && matches!(v.usage, crate::liquid::Usage::Output { .. }))
            .unwrap()
    }

    fn code_set(source: &str) -> bool {
        let v = output(source, "Event[\"Coupon Code\"]");
        proven_set(&v, Target::Property(prop::COUPON_CODE))
    }

    #[test]
    fn tests_that_prove_a_property_set() {
        for source in [
            r#"{% if Event["Coupon Code"] %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event.coupon_code != blank %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if nil != Event["Coupon Code"] and Event.points > 1 %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% unless Event["Coupon Code"] == blank %}{{ Event["Coupon Code"] }}{% endunless %}"#,
            r#"{% if Event["Coupon Code"] == blank %}no{% else %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] == "A" or Event["Coupon Code"] contains "B" %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"].size > 0 %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] == blank %}{% abort %}{% endif %}{{ Event["Coupon Code"] }}"#,
            r#"{% if Event["Coupon Code"] == blank %}{% abort %}{% else %}a{% endif %}{{ Event["Coupon Code"] }}"#,
            r#"{% if Event["Coupon Name"] %}a{% elsif Event["Coupon Code"] %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Name"] %}a{% else %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{{ Event["Coupon Name"] | default: Event["Coupon Code"] }}"#,
            r#"{% case Event["Coupon Code"] %}{% when "A" %}{{ Event["Coupon Code"] }}{% endcase %}"#,
        ] {
            assert!(code_set(source), "{source}");
        }
    }

    #[test]
    fn tests_that_do_not() {
        for source in [
            r#"{{ Event["Coupon Code"] }}"#,
            r#"{% if Event["Coupon Code"] or Event.points %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] %}{% else %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] != "A" %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] != empty %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] == blank %}{{ Event["Coupon Code"] }}{% endif %}"#,
            r#"{% if Event["Coupon Code"] %}a{% endif %}{{ Event["Coupon Code"] }}"#,
            r#"{% if Event["Coupon Code"] == blank %}{% endif %}{{ Event["Coupon Code"] }}"#,
            r#"{% if Event["Coupon Name"] %}{{ Event["Coupon Code"] }}{% endif %}"#,
        ] {
            assert!(!code_set(source), "{source}");
        }
    }

    #[test]
    fn event_name_tests_narrow_the_events() {
        let both = [EventKind::PointsCredited, EventKind::PointsDebited];
        let v = output(
            r#"{% if EventName == "CT Points Credited" %}{{ Event["Campaign Id"] }}{% endif %}"#,
            "Event[\"Campaign Id\"]",
        );
        assert_eq!(*narrow(&v, &both), [EventKind::PointsCredited]);
        let v = output(
            r#"{% if EventName != "CT Points Credited" %}{% else %}{{ Event["Campaign Id"] }}{% endif %}"#,
            "Event[\"Campaign Id\"]",
        );
        assert_eq!(*narrow(&v, &both), [EventKind::PointsCredited]);
        let v = output(
            r#"{% unless EventName == "CT Points Credited" %}{{ Event["Campaign Id"] }}{% endunless %}"#,
            "Event[\"Campaign Id\"]",
        );
        assert_eq!(*narrow(&v, &both), [EventKind::PointsDebited]);
        assert!(narrow(&v, &[]).is_empty());
        // Each event once, however often it is given.
        assert_eq!(
            *narrow(&v, &[EventKind::PointsDebited; 9]),
            [EventKind::PointsDebited]
        );
    }
}
