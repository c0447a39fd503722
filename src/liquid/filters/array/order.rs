//! Ordering and equality for `sort`, `sort_natural` and `uniq`.
//!
//! Rust's sort needs a total order, so keys are checked up front: the non-nil keys must
//! all be numbers, all be strings, all be dates, or all be equal (Shopify raises "cannot sort values of
//! incompatible types" otherwise). Nil keys sort last, as in Shopify.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::{indexable, items, property_values};
use crate::liquid::filters::math::{compare, to_number};
use crate::liquid::filters::misc::expect_args;
use crate::liquid::filters::{Args, FilterError};
use crate::liquid::value::Value;

pub(super) fn sort(input: &Value, args: &Args<'_>, natural: bool) -> Result<Value, FilterError> {
    expect_args(args, 0, 1)?;
    let list = items(input, args.context)?;
    let keys = match args.get(0).filter(|p| !p.is_nil()) {
        None => list.clone(),
        // Shopify gives nil unless every item can be indexed, and compares (so reads the
        // property) only when there are two items or more.
        Some(_) if !list.iter().all(indexable) => return Ok(Value::Nil),
        Some(_) if list.len() < 2 => return Ok(Value::array(list)),
        Some(property) => match property_values(&list, property)? {
            Some(keys) => keys,
            None => return Ok(Value::Nil),
        },
    };
    // Comparisons: about n log n of them, each as long as its keys.
    let n = list.len() as u64;
    args.context.work(n * u64::from(64 - n.leading_zeros()))?;
    let mut pairs: Vec<(Value, Value)> = keys.into_iter().zip(list).collect();
    if natural {
        // Ruby's `casecmp`: compare the text, folding ASCII letters only. Each key's
        // folded copy is paid for before it is made.
        let mut folded: Vec<(Option<Vec<u8>>, Value)> = Vec::with_capacity(pairs.len());
        for (key, item) in pairs {
            let key = match key {
                Value::Nil => None,
                key => {
                    let text = args.context.text(&key)?;
                    args.context.check_string(text.len())?;
                    Some(text.to_ascii_lowercase().into_bytes())
                }
            };
            folded.push((key, item));
        }
        folded.sort_by(|(a, _), (b, _)| match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
        });
        return Ok(Value::array(
            folded.into_iter().map(|(_, item)| item).collect(),
        ));
    }
    check_sortable(pairs.iter().map(|(key, _)| key))?;
    pairs.sort_by(|(a, _), (b, _)| compare_keys(a, b));
    Ok(Value::array(
        pairs.into_iter().map(|(_, item)| item).collect(),
    ))
}

/// Fails unless the non-nil keys can be ordered against each other: all numbers, all
/// strings, or all the same value.
fn check_sortable<'a>(keys: impl Iterator<Item = &'a Value> + Clone) -> Result<(), FilterError> {
    let mut present = keys.filter(|k| !k.is_nil());
    let Some(first) = present.clone().next() else {
        return Ok(());
    };
    let ok = present
        .clone()
        .all(|k| matches!(k, Value::Int(_) | Value::Float(_)))
        || present.clone().all(|k| matches!(k, Value::Str(_)))
        || present.clone().all(|k| matches!(k, Value::Date(_)))
        || present.all(|k| strict_eq(k, first));
    if ok {
        Ok(())
    } else {
        Err(FilterError::InvalidInput {
            expected: "items of one comparable type",
            found: "values of incompatible types".into(),
        })
    }
}

fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Nil, Value::Nil) => Ordering::Equal,
        (Value::Nil, _) => Ordering::Greater,
        (_, Value::Nil) => Ordering::Less,
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Date(x), Value::Date(y)) => x.at.cmp(&y.at),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            match (to_number(a), to_number(b)) {
                (Ok(x), Ok(y)) => compare(x, y),
                _ => Ordering::Equal,
            }
        }
        _ => Ordering::Equal,
    }
}

/// Ruby's `eql?`: like `==`, but `1` and `1.0` differ.
fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(_), Value::Float(_)) | (Value::Float(_), Value::Int(_)) => false,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| strict_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| strict_eq(v, w)))
        }
        (Value::Empty, Value::Empty) | (Value::Blank, Value::Blank) => true,
        (Value::Empty | Value::Blank, _) | (_, Value::Empty | Value::Blank) => false,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Date(_), _) | (_, Value::Date(_)) => false,
        _ => a.liquid_eq(b),
    }
}

/// A hash consistent with [`strict_eq`].
fn hash_value(value: &Value, state: &mut DefaultHasher) {
    std::mem::discriminant(value).hash(state);
    match value {
        Value::Bool(b) => b.hash(state),
        Value::Int(i) => i.hash(state),
        Value::Float(f) => (if *f == 0.0 { 0.0f64 } else { *f }).to_bits().hash(state),
        Value::Str(s) => s.hash(state),
        Value::Array(items) => items.iter().for_each(|item| hash_value(item, state)),
        // Order-independent, as object equality is.
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let mut h = DefaultHasher::new();
                k.hash(&mut h);
                hash_value(v, &mut h);
                h.finish()
            })
            .fold(0u64, u64::wrapping_add)
            .hash(state),
        Value::Range(a, b) => (a, b).hash(state),
        Value::Date(d) => d.text.hash(state),
        Value::Nil | Value::Empty | Value::Blank => {}
    }
}

/// The items whose key has not been seen before, in order.
pub(super) fn unique_by_key(list: Vec<Value>, keys: &[Value]) -> Vec<Value> {
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut out = Vec::new();
    for (i, item) in list.into_iter().enumerate() {
        let mut state = DefaultHasher::new();
        hash_value(&keys[i], &mut state);
        let bucket = seen.entry(state.finish()).or_default();
        if bucket.iter().any(|&j| strict_eq(&keys[j], &keys[i])) {
            continue;
        }
        bucket.push(i);
        out.push(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_equality_separates_ints_and_floats() {
        assert!(strict_eq(&Value::Int(1), &Value::Int(1)));
        assert!(!strict_eq(&Value::Int(1), &Value::Float(1.0)));
        assert!(strict_eq(&Value::Float(0.0), &Value::Float(-0.0)));
        let a = Value::array(vec![Value::Int(1), Value::str("x")]);
        let b = Value::array(vec![Value::Int(1), Value::str("x")]);
        assert!(strict_eq(&a, &b));
        assert!(!strict_eq(
            &a,
            &Value::array(vec![Value::Float(1.0), Value::str("x")])
        ));
    }

    #[test]
    fn equal_values_hash_alike() {
        let hash = |v: &Value| {
            let mut state = DefaultHasher::new();
            hash_value(v, &mut state);
            state.finish()
        };
        let mut one = crate::liquid::value::Map::default();
        one.insert("a".into(), Value::Int(1));
        one.insert("b".into(), Value::Int(2));
        let mut other = crate::liquid::value::Map::default();
        other.insert("b".into(), Value::Int(2));
        other.insert("a".into(), Value::Int(1));
        assert_eq!(hash(&Value::from(one)), hash(&Value::from(other)));
        assert_eq!(hash(&Value::Float(0.0)), hash(&Value::Float(-0.0)));
    }

    #[test]
    fn keys_sort_with_nil_last() {
        let mut keys = [Value::Nil, Value::Int(3), Value::Float(-1.5), Value::Int(2)];
        keys.sort_by(compare_keys);
        let shown: Vec<String> = keys.iter().map(Value::to_text).collect();
        assert_eq!(shown, ["-1.5", "2", "3", ""]);
        assert!(check_sortable([Value::Int(1), Value::str("1")].iter()).is_err());
        let date = |text: &str| {
            Value::Date(std::sync::Arc::new(crate::liquid::value::DateValue {
                text: text.into(),
                at: crate::liquid::filters::parse_date(text).expect("parses"),
            }))
        };
        // Dates order by instant, not by text.
        let mut dates = [date("02-01-2026"), date("01-02-2025"), Value::Nil];
        assert!(check_sortable(dates.iter()).is_ok());
        dates.sort_by(compare_keys);
        let shown: Vec<String> = dates.iter().map(Value::to_text).collect();
        assert_eq!(shown, ["01-02-2025", "02-01-2026", ""]);
        assert!(check_sortable([Value::Bool(true), Value::Nil, Value::Bool(true)].iter()).is_ok());
    }
}
