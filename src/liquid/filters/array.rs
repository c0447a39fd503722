//! Array filters.
//!
//! As in Shopify, most array filters first turn their input into a flat list of items:
//! nested arrays are flattened, a range is expanded, an object is a list of one object,
//! nil is the empty list and anything else is a list of itself. Item properties are read
//! as Ruby's `item[property]` reads them: a key of an object, a substring test on a
//! string, a bit of an integer; an item that cannot be indexed at all (nil, a boolean, a
//! float) makes `where`, `find` and friends give nil, as Shopify's do.

use super::math::{Number, Op, arith, to_number};
use super::misc::{describe, expect_args};
use super::{Args, FilterContext, FilterError, Filters};
use crate::liquid::budget;
use crate::liquid::value::{Value, range_len};

mod order;

pub(super) fn register(filters: &mut Filters) {
    register_basics(filters);
    register_ordering(filters);
    register_selection(filters);
}

fn register_basics(filters: &mut Filters) {
    filters.add(
        "join",
        "join: separator",
        "Joins the items of an array into a string, with `separator` (default a space) \
         between them.",
        "{{ \"a,b,c\" | split: \",\" | join: \" & \" }} → a & b & c",
        join,
    );
    filters.add(
        "first",
        "first",
        "The first item of an array.",
        "{{ \"a,b,c\" | split: \",\" | first }} → a",
        |input, args| {
            expect_args(args, 0, 0)?;
            Ok(input.first().unwrap_or_default())
        },
    );
    filters.add(
        "last",
        "last",
        "The last item of an array.",
        "{{ \"a,b,c\" | split: \",\" | last }} → c",
        |input, args| {
            expect_args(args, 0, 0)?;
            Ok(input.last().unwrap_or_default())
        },
    );
    filters.add(
        "size",
        "size",
        "The number of characters in a string, or of items in an array or object.",
        "{{ \"दिवाली\" | size }} → 6",
        |input, args| {
            expect_args(args, 0, 0)?;
            Ok(Value::Int(input.size().map_or(0, |n| n as i64)))
        },
    );
    filters.add(
        "concat",
        "concat: array",
        "Joins two arrays into one.",
        "{{ fruits | concat: vegetables | join: \", \" }} → apple, kale",
        |input, args| {
            expect_args(args, 1, 1)?;
            let other = match args.get(0) {
                Some(Value::Array(other)) => other,
                other => {
                    return Err(FilterError::InvalidArgument {
                        position: "1".into(),
                        expected: "an array",
                        found: describe(other.unwrap_or(&Value::Nil)),
                    });
                }
            };
            let mut out = items(input, args.context)?;
            // Both sides may refer to the same large values: pay for all they refer
            // to, so that `a | concat: a` in a loop cannot double for free.
            let total = out.len().saturating_add(other.len());
            args.context
                .check_references(total, out.iter().chain(other.iter()))?;
            out.extend(other.iter().cloned());
            Ok(Value::array(out))
        },
    );
    filters.add(
        "reverse",
        "reverse",
        "Reverses the order of the items of an array.",
        "{{ (1..3) | reverse | join: \",\" }} → 3,2,1",
        |input, args| {
            expect_args(args, 0, 0)?;
            let mut out = items(input, args.context)?;
            out.reverse();
            Ok(Value::array(out))
        },
    );
    filters.add(
        "map",
        "map: property",
        "The value of `property` of each item.",
        "{{ products | map: \"title\" | join: \", \" }} → Shoes, Socks",
        |input, args| {
            expect_args(args, 1, 1)?;
            let property = args.get(0).unwrap_or(&Value::Nil);
            let out = items(input, args.context)?
                .iter()
                .map(|item| match lookup(item, property) {
                    Lookup::Found(v) => Ok(v),
                    Lookup::NotIndexable => Ok(Value::Nil),
                    Lookup::TypeError => Err(property_error(property)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            // What the items' properties refer to may repeat (one large argument found
            // in every string): pay for it all.
            args.context.check_references(out.len(), &out)?;
            Ok(Value::array(out))
        },
    );
    filters.add(
        "sum",
        "sum: property",
        "The sum of the items of an array, or of their `property`.",
        "{{ (1..4) | sum }} → 10",
        sum,
    );
}

fn register_ordering(filters: &mut Filters) {
    filters.add(
        "sort",
        "sort: property",
        "Sorts an array (by `property` of each item, when given), case-sensitively; nils \
         go last.",
        "{{ \"b,C,a\" | split: \",\" | sort | join }} → C a b",
        |input, args| order::sort(input, args, false),
    );
    filters.add(
        "sort_natural",
        "sort_natural: property",
        "Sorts an array (by `property` of each item, when given), ignoring case; nils go \
         last.",
        "{{ \"b,C,a\" | split: \",\" | sort_natural | join }} → a b C",
        |input, args| order::sort(input, args, true),
    );
    filters.add(
        "uniq",
        "uniq: property",
        "Removes duplicate items (or items with a duplicate `property`).",
        "{{ \"a,b,a\" | split: \",\" | uniq | join }} → a b",
        |input, args| {
            expect_args(args, 0, 1)?;
            let list = items(input, args.context)?;
            let keys = match args.get(0).filter(|p| !p.is_nil()) {
                None => list.clone(),
                // Ruby's `uniq` reads no property when there is one item or none.
                Some(_) if list.len() < 2 => return Ok(Value::array(list)),
                Some(property) => match property_values(&list, property)? {
                    Some(keys) => keys,
                    None => return Ok(Value::Nil),
                },
            };
            Ok(Value::array(order::unique_by_key(list, &keys)))
        },
    );
    filters.add(
        "compact",
        "compact: property",
        "Removes nil items (or items whose `property` is nil).",
        "{{ products | map: \"vendor\" | compact | join: \", \" }} → Acme",
        |input, args| {
            expect_args(args, 0, 1)?;
            let list = items(input, args.context)?;
            let keys = match args.get(0).filter(|p| !p.is_nil()) {
                None => list.clone(),
                Some(property) => match property_values(&list, property)? {
                    Some(keys) => keys,
                    None => return Ok(Value::Nil),
                },
            };
            let kept = list
                .into_iter()
                .zip(keys)
                .filter(|(_, key)| !key.is_nil())
                .map(|(item, _)| item)
                .collect();
            Ok(Value::array(kept))
        },
    );
}

fn register_selection(filters: &mut Filters) {
    let selections: [(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Select,
    ); 5] = [
        (
            "where",
            "where: property, value",
            "The items whose `property` equals `value` (or, without a value, is truthy).",
            "{{ products | where: \"available\" | map: \"title\" | join }} → Shoes",
            Select::Where,
        ),
        (
            "reject",
            "reject: property, value",
            "The items whose `property` does not equal `value` (or, without a value, is not \
             truthy).",
            "{{ products | reject: \"available\" | map: \"title\" | join }} → Socks",
            Select::Reject,
        ),
        (
            "has",
            "has: property, value",
            "Whether any item's `property` equals `value` (or, without a value, is truthy).",
            "{{ products | has: \"title\", \"Socks\" }} → true",
            Select::Has,
        ),
        (
            "find",
            "find: property, value",
            "The first item whose `property` equals `value` (or, without a value, is truthy).",
            "{{ products | find: \"title\", \"Socks\" | map: \"price\" }} → 5",
            Select::Find,
        ),
        (
            "find_index",
            "find_index: property, value",
            "The index of the first item whose `property` equals `value` (or, without a \
             value, is truthy).",
            "{{ products | find_index: \"title\", \"Socks\" }} → 1",
            Select::FindIndex,
        ),
    ];
    for (name, signature, summary, example, mode) in selections {
        filters.add(name, signature, summary, example, move |input, args| {
            select(input, args, mode)
        });
    }
}

/// Shopify's `InputIterator`: the input as a flat list of items, each counted against
/// the array limit and paid for (as a reference) before it is added.
pub(super) fn items(input: &Value, context: &FilterContext) -> Result<Vec<Value>, FilterError> {
    let mut out = Vec::new();
    for_each_item(input, context, |item| {
        context.budget.reserve(budget::VALUE_BYTES)?;
        out.push(item.clone());
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with each item of the input's flat list of items, in order; each item is
/// counted against the array limit, and its bytes against the render's deadline.
fn for_each_item(
    input: &Value,
    context: &FilterContext,
    mut f: impl FnMut(&Value) -> Result<(), FilterError>,
) -> Result<(), FilterError> {
    let max = context.max_array_items;
    let too_many = || FilterError::ArrayTooLarge { limit: max };
    let mut visit = |item: &Value| {
        let bytes = match item {
            Value::Str(s) => s.len(),
            _ => 0,
        };
        context.work(1 + budget::ticks_for(bytes))?;
        f(item)
    };
    match input {
        Value::Array(top) => {
            // An explicit stack: nesting depth is the data's, not ours to trust.
            let mut stack = vec![top.iter()];
            let mut count = 0usize;
            while let Some(level) = stack.last_mut() {
                match level.next() {
                    None => {
                        stack.pop();
                    }
                    Some(Value::Array(inner)) => stack.push(inner.iter()),
                    Some(item) => {
                        count += 1;
                        if count > max {
                            return Err(too_many());
                        }
                        visit(item)?;
                    }
                }
            }
            Ok(())
        }
        Value::Range(a, b) => {
            if usize::try_from(range_len(*a, *b)).map_or(true, |n| n > max) {
                return Err(too_many());
            }
            (*a..=*b).try_for_each(|i| visit(&Value::Int(i)))
        }
        Value::Nil | Value::Empty | Value::Blank => Ok(()),
        other => visit(other),
    }
}

/// Joins the items' text; each piece is measured against the string limit before it
/// is added, so the text of many references to one large string is never built.
fn join(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    expect_args(args, 0, 1)?;
    let cx = args.context;
    let separator = match args.get(0) {
        Some(v) => cx.text(v)?,
        None => std::borrow::Cow::Borrowed(" "),
    };
    let too_large = || FilterError::StringTooLarge {
        limit: cx.max_string_bytes,
    };
    let mut out = String::new();
    let mut first = true;
    for_each_item(input, cx, |item| {
        if !first {
            if out.len().saturating_add(separator.len()) > cx.max_string_bytes {
                return Err(too_large());
            }
            out.push_str(&separator);
        }
        first = false;
        if item.write_within(&mut out, cx.max_string_bytes) {
            Ok(())
        } else {
            Err(too_large())
        }
    })?;
    cx.check_string(out.len())?;
    Ok(Value::from(out))
}

fn sum(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    expect_args(args, 0, 1)?;
    let list = items(input, args.context)?;
    let values = match args.get(0).filter(|p| !p.is_nil()) {
        None => list,
        Some(property) => list
            .iter()
            .map(|item| match lookup(item, property) {
                Lookup::Found(v) => Ok(v),
                Lookup::NotIndexable => Ok(Value::Int(0)),
                Lookup::TypeError => Err(property_error(property)),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut total = Number::Int(0);
    for_each_item(&Value::array(values), args.context, |item| {
        total = arith(Op::Add, total, to_number(item)?)?;
        Ok(())
    })?;
    Ok(total.into_value())
}

/// What `item[property]` gives in Ruby.
enum Lookup {
    /// A value (nil when there is no such key or index).
    Found(Value),
    /// The item has no `[]` (nil, booleans, floats).
    NotIndexable,
    /// The item has `[]`, but not for a property of this type.
    TypeError,
}

fn lookup(item: &Value, property: &Value) -> Lookup {
    match (item, property) {
        // Ruby indexes with a float's integer part (`"abc"[1.5]` is `"b"`).
        (Value::Str(_) | Value::Int(_) | Value::Array(_) | Value::Range(..), Value::Float(f))
            if f.is_finite() =>
        {
            lookup(item, &Value::Int(*f as i64))
        }
        (Value::Object(map), Value::Str(key)) => {
            Lookup::Found(map.get(&**key).cloned().unwrap_or_default())
        }
        (Value::Object(_), _) => Lookup::Found(Value::Nil),
        (Value::Str(s), Value::Str(needle)) => Lookup::Found(if s.contains(&**needle) {
            property.clone()
        } else {
            Value::Nil
        }),
        (Value::Str(s), Value::Int(i)) => {
            let len = s.chars().count();
            Lookup::Found(
                crate::liquid::value::resolve_index(*i, len)
                    .and_then(|i| s.chars().nth(i))
                    .map_or(Value::Nil, |c| Value::from(c.to_string())),
            )
        }
        // Golden Liquid: an undefined property on strings selects nothing.
        (Value::Str(_), Value::Nil) => Lookup::NotIndexable,
        (Value::Int(n), Value::Int(bit)) => Lookup::Found(Value::Int(match *bit {
            b if b < 0 => 0,
            b if b >= 64 => i64::from(*n < 0),
            b => (n >> b) & 1,
        })),
        (Value::Array(_) | Value::Range(..), Value::Int(i)) => {
            Lookup::Found(item.index(*i).unwrap_or_default())
        }
        (Value::Str(_) | Value::Int(_) | Value::Array(_) | Value::Range(..), _) => {
            Lookup::TypeError
        }
        _ => Lookup::NotIndexable,
    }
}

/// Whether `item[property]` exists in Ruby for some property.
fn indexable(item: &Value) -> bool {
    matches!(
        item,
        Value::Object(_) | Value::Str(_) | Value::Int(_) | Value::Array(_) | Value::Range(..)
    )
}

fn property_error(property: &Value) -> FilterError {
    FilterError::InvalidArgument {
        position: "1".into(),
        expected: "a property the items have",
        found: describe(property),
    }
}

/// Each item's `property`, or `None` when an item cannot be indexed at all.
fn property_values(list: &[Value], property: &Value) -> Result<Option<Vec<Value>>, FilterError> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        match lookup(item, property) {
            Lookup::Found(v) => out.push(v),
            Lookup::NotIndexable => return Ok(None),
            Lookup::TypeError => return Err(property_error(property)),
        }
    }
    Ok(Some(out))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Select {
    Where,
    Reject,
    Has,
    Find,
    FindIndex,
}

/// Shopify's `filter_array`, behind `where`, `reject`, `has`, `find` and `find_index`.
fn select(input: &Value, args: &Args<'_>, mode: Select) -> Result<Value, FilterError> {
    expect_args(args, 1, 2)?;
    let property = args.get(0).unwrap_or(&Value::Nil);
    let target = args.get(1).filter(|v| !v.is_nil());
    let list = items(input, args.context)?;
    let mut kept = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let value = match lookup(item, property) {
            Lookup::Found(v) => v,
            Lookup::NotIndexable => return Ok(Value::Nil),
            Lookup::TypeError => return Err(property_error(property)),
        };
        let hit = match target {
            None => value.is_truthy(),
            Some(target) => value.liquid_eq(target),
        };
        match mode {
            Select::Where if hit => kept.push(item.clone()),
            Select::Reject if !hit => kept.push(item.clone()),
            Select::Has if hit => return Ok(Value::Bool(true)),
            Select::Find if hit => return Ok(item.clone()),
            Select::FindIndex if hit => return Ok(Value::Int(i as i64)),
            _ => {}
        }
    }
    Ok(match mode {
        Select::Where | Select::Reject => Value::array(kept),
        Select::Has => Value::Bool(false),
        Select::Find | Select::FindIndex => Value::Nil,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_in(
        context: &FilterContext,
        name: &str,
        input: &Value,
        positional: &[Value],
    ) -> Result<Value, FilterError> {
        let filters = Filters::standard();
        let args = Args {
            positional,
            keyword: &[],
            context,
        };
        (filters.get(name).expect("filter exists").func)(input, &args)
    }

    fn call(name: &str, input: &Value, positional: &[Value]) -> Result<Value, FilterError> {
        call_in(&FilterContext::default(), name, input, positional)
    }

    /// The result's items joined with `|`, or the result's text when it is no array.
    fn show(result: Result<Value, FilterError>) -> String {
        match result.expect("filter succeeds") {
            Value::Array(items) => items.iter().map(show_item).collect::<Vec<_>>().join("|"),
            other => other.to_text(),
        }
    }

    fn show_item(v: &Value) -> String {
        match v {
            Value::Nil => "nil".into(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{k}={}", show_item(v)))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_text(),
        }
    }

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    fn list(items: &[Value]) -> Value {
        Value::array(items.to_vec())
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::from(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<crate::liquid::value::Map>(),
        )
    }

    fn products() -> Value {
        list(&[
            obj(&[
                ("title", s("Shoes")),
                ("price", Value::Int(30)),
                ("on", Value::Bool(true)),
            ]),
            obj(&[
                ("title", s("Socks")),
                ("price", Value::Int(5)),
                ("on", Value::Bool(false)),
            ]),
            obj(&[("title", s("Hat")), ("price", Value::Float(12.5))]),
        ])
    }

    #[test]
    fn join_flattens_and_stringifies() {
        let nested = list(&[s("a"), list(&[Value::Int(1), list(&[Value::Nil, s("🎉")])])]);
        assert_eq!(show(call("join", &nested, &[s("-")])), "a-1--🎉");
        assert_eq!(show(call("join", &Value::Range(1, 3), &[])), "1 2 3");
        assert_eq!(show(call("join", &s("दिवाली"), &[s(",")])), "दिवाली");
        assert_eq!(show(call("join", &Value::Nil, &[s(",")])), "");
    }

    #[test]
    fn join_respects_limits() {
        let context = FilterContext {
            max_string_bytes: 10,
            max_array_items: 5,
            ..FilterContext::default()
        };
        let words = list(&[s("abcd"), s("efgh"), s("ijkl")]);
        assert_eq!(
            call_in(&context, "join", &words, &[]).err(),
            Some(FilterError::StringTooLarge { limit: 10 })
        );
        assert_eq!(
            call_in(&context, "join", &Value::Range(1, 6), &[s("")]).err(),
            Some(FilterError::ArrayTooLarge { limit: 5 })
        );
        assert!(call_in(&context, "join", &Value::Range(i64::MIN, i64::MAX), &[]).is_err());
    }

    #[test]
    fn first_last_size() {
        let letters = list(&[s("x"), s("y"), s("z")]);
        assert_eq!(show(call("first", &letters, &[])), "x");
        assert_eq!(show(call("last", &letters, &[])), "z");
        assert_eq!(show(call("last", &Value::Range(3, 9), &[])), "9");
        assert_eq!(show(call("first", &s("hello"), &[])), "");
        assert_eq!(show(call("size", &s("दिवाली"), &[])), "6");
        assert_eq!(show(call("size", &s("🎉🎉"), &[])), "2");
        assert_eq!(show(call("size", &letters, &[])), "3");
        assert_eq!(show(call("size", &Value::Range(1, 100), &[])), "100");
        assert_eq!(show(call("size", &Value::Int(12345), &[])), "0");
        assert!(call("size", &letters, &[Value::Int(1)]).is_err());
    }

    #[test]
    fn concat_reverse_map() {
        let a = list(&[s("a"), list(&[s("b")])]);
        let b = list(&[list(&[s("c")])]);
        let joined = call("concat", &a, &[b]).unwrap();
        assert_eq!(joined.size(), Some(3));
        assert_eq!(show(call("join", &joined, &[s("")])), "abc");
        assert!(call("concat", &a, &[s("c")]).is_err());
        assert!(call("concat", &a, &[Value::Nil]).is_err());
        assert_eq!(show(call("reverse", &Value::Range(1, 3), &[])), "3|2|1");
        assert_eq!(
            show(call("map", &products(), &[s("title")])),
            "Shoes|Socks|Hat"
        );
        assert_eq!(show(call("map", &products(), &[s("on")])), "true|false|nil");
        assert!(call("map", &list(&[Value::Int(1)]), &[s("title")]).is_err());
    }

    #[test]
    fn concat_respects_the_array_limit() {
        let context = FilterContext {
            max_array_items: 3,
            ..FilterContext::default()
        };
        let two = list(&[Value::Int(1), Value::Int(2)]);
        assert_eq!(
            call_in(&context, "concat", &two, std::slice::from_ref(&two)).err(),
            Some(FilterError::ArrayTooLarge { limit: 3 })
        );
    }

    #[test]
    fn compact_removes_nils() {
        let holes = list(&[Value::Nil, s("a"), Value::Nil, Value::Bool(false)]);
        assert_eq!(show(call("compact", &holes, &[])), "a|false");
        assert_eq!(
            show(call(
                "map",
                &call("compact", &products(), &[s("on")]).unwrap(),
                &[s("title")]
            )),
            "Shoes|Socks"
        );
    }

    #[test]
    fn where_reject_has_find() {
        let p = products();
        let titles = |v: Value| show(call("map", &v, &[s("title")]));
        assert_eq!(titles(call("where", &p, &[s("on")]).unwrap()), "Shoes");
        assert_eq!(
            titles(call("where", &p, &[s("on"), Value::Bool(false)]).unwrap()),
            "Socks"
        );
        assert_eq!(titles(call("reject", &p, &[s("on")]).unwrap()), "Socks|Hat");
        assert_eq!(
            titles(call("where", &p, &[s("price"), Value::Float(5.0)]).unwrap()),
            "Socks"
        );
        assert_eq!(show(call("has", &p, &[s("title"), s("Hat")])), "true");
        assert_eq!(show(call("has", &p, &[s("title"), s("Cap")])), "false");
        assert_eq!(
            show(call("find", &p, &[s("title"), s("Hat")])),
            r#"{"title"=>"Hat", "price"=>12.5}"#
        );
        assert_eq!(
            show(call("find_index", &p, &[s("price"), Value::Int(5)])),
            "1"
        );
        assert_eq!(
            show(call("find_index", &p, &[s("price"), Value::Int(6)])),
            ""
        );
        // Strings are searched by substring, as in Shopify.
        let words = list(&[s("apple"), s("दिवाली")]);
        assert_eq!(show(call("find", &words, &[s("वा")])), "दिवाली");
        assert_eq!(show(call("where", &words, &[s("pp")])), "apple");
    }

    #[test]
    fn selection_edge_cases() {
        let with_nil = list(&[obj(&[("a", Value::Int(1))]), Value::Nil]);
        assert!(matches!(
            call("where", &with_nil, &[s("a")]),
            Ok(Value::Nil)
        ));
        assert!(call("where", &list(&[Value::Int(3)]), &[s("a")]).is_err());
        assert_eq!(show(call("where", &Value::Nil, &[s("a")])), "");
        assert!(matches!(
            call("find", &Value::Nil, &[s("a")]),
            Ok(Value::Nil)
        ));
        assert!(matches!(
            call("has", &Value::Nil, &[s("a")]),
            Ok(Value::Bool(false))
        ));
        assert!(call("where", &products(), &[]).is_err());
        assert!(call("where", &products(), &[s("a"), s("b"), s("c")]).is_err());
    }

    #[test]
    fn sum_adds_numbers_and_properties() {
        let nums = list(&[Value::Int(1), s("2"), list(&[Value::Float(0.1), s("0.2")])]);
        assert_eq!(show(call("sum", &nums, &[])), "3.3");
        assert_eq!(show(call("sum", &products(), &[s("price")])), "47.5");
        assert_eq!(show(call("sum", &Value::Range(1, 100), &[])), "5050");
        assert_eq!(show(call("sum", &Value::Nil, &[])), "0");
        assert_eq!(
            call("sum", &list(&[Value::Int(i64::MAX), Value::Int(1)]), &[]).err(),
            Some(FilterError::Overflow)
        );
        assert!(call("sum", &list(&[Value::Int(1)]), &[s("price")]).is_err());
    }

    #[test]
    fn sort_orders_and_puts_nil_last() {
        let words = list(&[s("b"), Value::Nil, s("B"), s("a"), s("é")]);
        assert_eq!(show(call("sort", &words, &[])), "B|a|b|é|nil");
        assert_eq!(show(call("sort_natural", &words, &[])), "a|b|B|é|nil");
        let nums = list(&[Value::Int(10), Value::Float(2.5), Value::Int(-1)]);
        assert_eq!(show(call("sort", &nums, &[])), "-1|2.5|10");
        assert_eq!(
            show(call("sort", &products(), &[s("price")])),
            "title=Socks,price=5,on=false|title=Hat,price=12.5|title=Shoes,price=30,on=true"
        );
        assert_eq!(
            show(call(
                "map",
                &call("sort_natural", &products(), &[s("title")]).unwrap(),
                &[s("title")]
            )),
            "Hat|Shoes|Socks"
        );
        assert!(call("sort", &list(&[Value::Int(1), s("1")]), &[]).is_err());
        assert_eq!(
            show(call("sort", &list(&[obj(&[]), Value::Nil]), &[s("x")])),
            ""
        );
    }

    #[test]
    fn uniq_uses_strict_equality() {
        let mixed = list(&[
            Value::Int(1),
            Value::Float(1.0),
            s("1"),
            Value::Int(1),
            obj(&[("a", Value::Int(1))]),
            obj(&[("a", Value::Int(1))]),
        ]);
        assert_eq!(show(call("uniq", &mixed, &[])), "1|1.0|1|a=1");
        assert_eq!(
            show(call(
                "map",
                &call("uniq", &products(), &[s("on")]).unwrap(),
                &[s("title")]
            )),
            "Shoes|Socks|Hat"
        );
    }
}
