//! Math filters, and the number coercions every filter shares.
//!
//! Shopify coerces filter inputs with `Utils.to_number`: integers stay integers, strings
//! that look like `-12.5` become decimals, other strings read their leading integer
//! (`"12abc"` is 12, `"abc"` is 0), and everything else is 0. Floats are turned into
//! `BigDecimal`s before arithmetic, so `10.1 | minus: 2.2` is `7.9`, not
//! `7.8999999999999995`; [`Decimal`] reproduces that for the digits a float prints with.
//! Integer arithmetic is checked: overflow is [`FilterError::Overflow`], never a wrap.

use std::cmp::Ordering;

use super::misc::{describe, expect_args};
use super::{Args, FilterError, Filters};
use crate::liquid::value::Value;

mod decimal;

use decimal::Decimal;

pub(super) fn register(filters: &mut Filters) {
    filters.add(
        "abs",
        "abs",
        "The absolute value of a number.",
        "{{ -17 | abs }} → 17",
        |input, args| {
            expect_args(args, 0, 0)?;
            match to_number(input)? {
                Number::Int(i) => i.checked_abs().map(Value::Int).ok_or(FilterError::Overflow),
                Number::Float(f) => Ok(Value::Float(f.abs())),
            }
        },
    );
    filters.add(
        "plus",
        "plus: number",
        "Adds a number.",
        "{{ 4 | plus: 2 }} → 6",
        |input, args| binary(input, args, Op::Add),
    );
    filters.add(
        "minus",
        "minus: number",
        "Subtracts a number.",
        "{{ 16 | minus: 4 }} → 12",
        |input, args| binary(input, args, Op::Sub),
    );
    filters.add(
        "times",
        "times: number",
        "Multiplies by a number.",
        "{{ 3 | times: 1.5 }} → 4.5",
        |input, args| binary(input, args, Op::Mul),
    );
    filters.add(
        "divided_by",
        "divided_by: number",
        "Divides by a number; an integer divisor gives an integer (floored) result.",
        "{{ 20 | divided_by: 7 }} → 2",
        |input, args| binary(input, args, Op::Div),
    );
    filters.add(
        "modulo",
        "modulo: number",
        "The remainder of a division, with the sign of the divisor.",
        "{{ 10 | modulo: 3 }} → 1",
        |input, args| binary(input, args, Op::Rem),
    );
    filters.add(
        "at_least",
        "at_least: number",
        "Limits a number to a minimum value.",
        "{{ 3 | at_least: 5 }} → 5",
        |input, args| clamp(input, args, Ordering::Greater),
    );
    filters.add(
        "at_most",
        "at_most: number",
        "Limits a number to a maximum value.",
        "{{ 7 | at_most: 5 }} → 5",
        |input, args| clamp(input, args, Ordering::Less),
    );
    filters.add(
        "ceil",
        "ceil",
        "Rounds a number up to the nearest integer.",
        "{{ 1.2 | ceil }} → 2",
        |input, args| {
            expect_args(args, 0, 0)?;
            whole(input, f64::ceil)
        },
    );
    filters.add(
        "floor",
        "floor",
        "Rounds a number down to the nearest integer.",
        "{{ 1.8 | floor }} → 1",
        |input, args| {
            expect_args(args, 0, 0)?;
            whole(input, f64::floor)
        },
    );
    filters.add(
        "round",
        "round: digits",
        "Rounds to the nearest integer, or to `digits` decimal places; halves round away from zero.",
        "{{ 3.14159 | round: 2 }} → 3.14",
        |input, args| {
            expect_args(args, 0, 1)?;
            let digits = match args.get(0) {
                None => 0,
                Some(d) => match to_number(d)? {
                    Number::Int(i) => i,
                    Number::Float(f) => f.trunc().clamp(-1e6, 1e6) as i64,
                },
            };
            round(to_number(input)?, digits).map(Number::into_value)
        },
    );
}

/// A number as the math filters see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Number {
    /// A 64-bit integer.
    Int(i64),
    /// A float (a `BigDecimal` in Shopify).
    Float(f64),
}

impl Number {
    /// The Liquid value.
    pub(super) fn into_value(self) -> Value {
        match self {
            Number::Int(i) => Value::Int(i),
            Number::Float(f) => Value::Float(f),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    fn to_decimal(self) -> Option<Decimal> {
        match self {
            Number::Int(i) => Some(Decimal {
                mant: i as i128,
                exp: 0,
            }),
            Number::Float(f) => Decimal::from_f64(f),
        }
    }
}

/// A number written out in decimal, as people count money: an integer as it is, a
/// float as the shortest decimal that reads back as the same float (`1.005`, not the
/// binary `1.00499999999999989...`), rounded half away from zero to `places` digits
/// after the point when given, and padded to them (`1.005` is `1.01`, `1299.5` is
/// `1299.50`). The arithmetic is [`round`]'s. `None` for a value that is not a finite
/// number.
pub(crate) fn decimal_text(value: &Value, places: Option<u32>) -> Option<String> {
    let d = match value {
        Value::Int(i) => Decimal {
            mant: i128::from(*i),
            exp: 0,
        },
        Value::Float(f) => Decimal::from_f64(*f)?,
        _ => return None,
    };
    d.to_plain(places)
}

/// Shopify's `Utils.to_number`: what a value counts as in arithmetic.
pub(super) fn to_number(value: &Value) -> Result<Number, FilterError> {
    match value {
        Value::Int(i) => Ok(Number::Int(*i)),
        Value::Float(f) => Ok(Number::Float(*f)),
        Value::Str(s) => {
            let trimmed = trim_ruby(s);
            if looks_decimal(trimmed) {
                let f: f64 = trimmed.parse().unwrap_or(0.0);
                if f.is_finite() {
                    Ok(Number::Float(f))
                } else {
                    Err(FilterError::Overflow)
                }
            } else {
                leading_integer(s).map(Number::Int)
            }
        }
        _ => Ok(Number::Int(0)),
    }
}

/// Shopify's `Utils.to_integer` (Ruby's strict `Integer()`): integers, and strings that
/// are wholly an integer (`"12"`, `" -3 "`, `"0x1f"`, `"1_000"`). Anything else, floats
/// and nil included, is an error. Integers too large for 64 bits saturate, as Shopify
/// clamps them before slicing.
pub(super) fn to_integer(value: &Value, position: usize) -> Result<i64, FilterError> {
    match value {
        Value::Int(i) => Ok(*i),
        Value::Str(s) => parse_strict_integer(s).ok_or_else(|| FilterError::InvalidArgument {
            position: position.to_string(),
            expected: "an integer",
            found: describe(value),
        }),
        other => Err(FilterError::InvalidArgument {
            position: position.to_string(),
            expected: "an integer",
            found: describe(other),
        }),
    }
}

/// Strips what Ruby's `String#strip` strips: ASCII white space and NUL.
pub(super) fn trim_ruby(s: &str) -> &str {
    s.trim_matches(is_ruby_space)
}

/// Ruby's idea of white space in `strip` and `split(" ")`.
pub(super) fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\0')
}

/// `/\A-?\d+\.\d+\z/`.
fn looks_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    match s.split_once('.') {
        Some((int, frac)) => {
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Ruby's `String#to_i`: the integer at the start of the string, 0 when there is none.
fn leading_integer(s: &str) -> Result<i64, FilterError> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value: i128 = 0;
    let mut last_was_digit = false;
    for b in rest.bytes() {
        match b {
            b'0'..=b'9' => {
                value = value * 10 + i128::from(b - b'0');
                if value > i128::from(i64::MAX) + 1 {
                    return Err(FilterError::Overflow);
                }
                last_was_digit = true;
            }
            b'_' if last_was_digit => last_was_digit = false,
            _ => break,
        }
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| FilterError::Overflow)
}

/// Ruby's `Integer(string)`, saturating instead of growing a bignum.
fn parse_strict_integer(s: &str) -> Option<i64> {
    let s = trim_ruby(s);
    let (negative, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = s.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &s[2..]),
        Some("0b") => (2, &s[2..]),
        Some("0o") => (8, &s[2..]),
        Some("0d") => (10, &s[2..]),
        _ if s.len() > 1 && s.starts_with('0') => (8, &s[1..]),
        _ => (10, s),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    let mut value: i128 = 0;
    let mut previous_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if previous_underscore {
                return None;
            }
            previous_underscore = true;
            continue;
        }
        previous_underscore = false;
        let d = c.to_digit(radix)?;
        value = (value * i128::from(radix) + i128::from(d)).min(i128::from(u64::MAX));
    }
    let value = if negative { -value } else { value };
    Some(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

fn binary(input: &Value, args: &Args<'_>, op: Op) -> Result<Value, FilterError> {
    // Two integers, the common case: no coercion to decide.
    if let (Value::Int(x), [Value::Int(y)], []) = (input, args.positional, args.keyword) {
        return int_arith(op, *x, *y).map(Value::Int);
    }
    expect_args(args, 1, 1)?;
    let operand = args.get(0).unwrap_or(&Value::Nil);
    arith(op, to_number(input)?, to_number(operand)?).map(Number::into_value)
}

fn clamp(input: &Value, args: &Args<'_>, replace_when: Ordering) -> Result<Value, FilterError> {
    expect_args(args, 1, 1)?;
    let bound = to_number(args.get(0).unwrap_or(&Value::Nil))?;
    let value = to_number(input)?;
    let chosen = if compare(bound, value) == replace_when {
        bound
    } else {
        value
    };
    Ok(chosen.into_value())
}

fn whole(input: &Value, f: fn(f64) -> f64) -> Result<Value, FilterError> {
    match to_number(input)? {
        Number::Int(i) => Ok(Value::Int(i)),
        Number::Float(x) => float_to_int(f(x)).map(Value::Int),
    }
}

fn float_to_int(x: f64) -> Result<i64, FilterError> {
    if !x.is_finite() {
        return Err(FilterError::InvalidInput {
            expected: "a finite number",
            found: Value::Float(x).to_text(),
        });
    }
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        return Err(FilterError::Overflow);
    }
    Ok(x as i64)
}

/// Compares two numbers exactly, integers against floats included.
pub(super) fn compare(a: Number, b: Number) -> Ordering {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x.cmp(&y),
        (Number::Float(x), Number::Float(y)) => x.total_cmp(&y),
        (Number::Int(x), Number::Float(y)) => compare_int_float(x, y),
        (Number::Float(x), Number::Int(y)) => compare_int_float(y, x).reverse(),
    }
}

fn compare_int_float(i: i64, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Less;
    }
    let floor = f.floor();
    if floor >= 9_223_372_036_854_775_808.0 {
        return Ordering::Less;
    }
    if floor < -9_223_372_036_854_775_808.0 {
        return Ordering::Greater;
    }
    match i.cmp(&(floor as i64)) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    }
}

/// Applies an arithmetic operation as Shopify does: integer with integer stays integer
/// (checked, floored division), anything with a float is decimal arithmetic.
pub(super) fn arith(op: Op, a: Number, b: Number) -> Result<Number, FilterError> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => int_arith(op, x, y).map(Number::Int),
        _ => float_arith(op, a, b).map(Number::Float),
    }
}

#[inline]
fn int_arith(op: Op, x: i64, y: i64) -> Result<i64, FilterError> {
    if matches!(op, Op::Div | Op::Rem) && y == 0 {
        return Err(FilterError::DivisionByZero);
    }
    let result = match op {
        Op::Add => x.checked_add(y),
        Op::Sub => x.checked_sub(y),
        Op::Mul => x.checked_mul(y),
        Op::Div => x.checked_div(y).map(|q| {
            if x % y != 0 && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }
        }),
        Op::Rem if y == -1 => Some(0),
        Op::Rem => x.checked_rem(y).map(|r| {
            if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            }
        }),
    };
    result.ok_or(FilterError::Overflow)
}

fn float_arith(op: Op, a: Number, b: Number) -> Result<f64, FilterError> {
    let (x, y) = (a.as_f64(), b.as_f64());
    if matches!(op, Op::Div | Op::Rem) && y == 0.0 {
        return Err(FilterError::DivisionByZero);
    }
    let plain = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => x / y,
        Op::Rem => {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
    };
    let exact = match (a.to_decimal(), b.to_decimal()) {
        (Some(da), Some(db)) => da.apply(op, db),
        _ => None,
    };
    let result = match exact {
        // A zero keeps the sign float arithmetic gives it (`0 | times: -1.0` is `-0.0`),
        // except a remainder, which BigDecimal makes positive.
        Some(d) if d.mant == 0 && op == Op::Rem => 0.0,
        Some(d) if d.mant == 0 => 0.0f64.copysign(plain),
        Some(d) => d.to_f64(),
        None => plain,
    };
    if result.is_finite() || !(x.is_finite() && y.is_finite()) {
        Ok(result)
    } else {
        Err(FilterError::Overflow)
    }
}

/// Rounds half away from zero to `digits` decimal places (negative digits round to tens,
/// hundreds, ...). The result is an integer when `digits <= 0`.
pub(super) fn round(n: Number, digits: i64) -> Result<Number, FilterError> {
    let digits = digits.clamp(-400, 400) as i32;
    match n {
        Number::Int(i) if digits >= 0 => Ok(Number::Int(i)),
        Number::Int(i) => {
            let rounded = Decimal {
                mant: i128::from(i),
                exp: 0,
            }
            .round_to(digits);
            rounded.to_i64().map(Number::Int)
        }
        Number::Float(f) => {
            let d = Decimal::from_f64(f).ok_or_else(|| FilterError::InvalidInput {
                expected: "a finite number",
                found: Value::Float(f).to_text(),
            })?;
            let rounded = d.round_to(digits);
            if digits <= 0 {
                rounded.to_i64().map(Number::Int)
            } else if rounded.mant == 0 {
                Ok(Number::Float(0.0f64.copysign(f)))
            } else {
                Ok(Number::Float(rounded.to_f64()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::filters::{Args, FilterContext};

    fn call(name: &str, input: Value, positional: &[Value]) -> Result<Value, FilterError> {
        let filters = Filters::standard();
        let context = FilterContext::default();
        let args = Args {
            positional,
            keyword: &[],
            context: &context,
        };
        (filters.get(name).expect("filter exists").func)(&input, &args)
    }

    fn text(name: &str, input: Value, positional: &[Value]) -> String {
        call(name, input, positional)
            .expect("filter succeeds")
            .to_text()
    }

    #[test]
    fn integer_arithmetic_stays_integer() {
        assert_eq!(text("plus", Value::Int(40), &[Value::Int(2)]), "42");
        assert_eq!(text("minus", Value::Int(3), &[Value::Int(10)]), "-7");
        assert_eq!(text("times", Value::Int(-6), &[Value::Int(7)]), "-42");
    }

    #[test]
    fn float_arithmetic_is_decimal() {
        assert_eq!(text("plus", Value::Float(0.1), &[Value::Float(0.2)]), "0.3");
        assert_eq!(
            text("minus", Value::Float(5.3), &[Value::Float(1.1)]),
            "4.2"
        );
        assert_eq!(text("times", Value::Int(3), &[Value::Float(0.1)]), "0.3");
        assert_eq!(
            text("times", Value::Float(1.15), &[Value::Int(100)]),
            "115.0"
        );
        assert_eq!(text("plus", Value::Int(1), &[Value::Float(1.0)]), "2.0");
        assert_eq!(text("times", Value::Int(0), &[Value::Float(-2.0)]), "-0.0");
    }

    #[test]
    fn strings_coerce_like_shopify() {
        assert_eq!(text("plus", Value::str(" 7 "), &[Value::str("3")]), "10");
        assert_eq!(text("plus", Value::str("2.50"), &[Value::Int(1)]), "3.5");
        assert_eq!(
            text("plus", Value::str("12 apples"), &[Value::Int(0)]),
            "12"
        );
        assert_eq!(text("plus", Value::str("1_000"), &[Value::Int(1)]), "1001");
        assert_eq!(text("plus", Value::str("1e3"), &[Value::Int(0)]), "1");
        assert_eq!(text("plus", Value::str("दिवाली"), &[Value::Int(5)]), "5");
        assert_eq!(text("plus", Value::Nil, &[Value::Bool(true)]), "0");
    }

    #[test]
    fn division_floors_integers_and_keeps_floats() {
        assert_eq!(text("divided_by", Value::Int(7), &[Value::Int(2)]), "3");
        assert_eq!(text("divided_by", Value::Int(-7), &[Value::Int(2)]), "-4");
        assert_eq!(
            text("divided_by", Value::Int(7), &[Value::Float(2.0)]),
            "3.5"
        );
        assert_eq!(
            text("divided_by", Value::Int(1), &[Value::Float(3.0)]),
            "0.3333333333333333"
        );
        assert_eq!(text("modulo", Value::Int(-7), &[Value::Int(3)]), "2");
        assert_eq!(text("modulo", Value::Int(7), &[Value::Int(-3)]), "-2");
        assert_eq!(text("modulo", Value::Float(5.5), &[Value::Int(2)]), "1.5");
        assert_eq!(text("modulo", Value::Float(-0.5), &[Value::Int(2)]), "1.5");
    }

    #[test]
    fn overflow_and_division_by_zero_are_errors() {
        let min = Value::Int(i64::MIN);
        assert_eq!(
            call("divided_by", min.clone(), &[Value::Int(-1)]).err(),
            Some(FilterError::Overflow)
        );
        assert!(matches!(
            call("modulo", min.clone(), &[Value::Int(-1)]),
            Ok(Value::Int(0))
        ));
        assert_eq!(
            call("abs", min.clone(), &[]).err(),
            Some(FilterError::Overflow)
        );
        assert_eq!(
            call("plus", Value::Int(i64::MAX), &[Value::Int(1)]).err(),
            Some(FilterError::Overflow)
        );
        assert_eq!(
            call("times", Value::Int(1 << 40), &[Value::Int(1 << 40)]).err(),
            Some(FilterError::Overflow)
        );
        assert_eq!(
            call("minus", min, &[Value::Int(1)]).err(),
            Some(FilterError::Overflow)
        );
        assert_eq!(
            call("divided_by", Value::Int(5), &[Value::Int(0)]).err(),
            Some(FilterError::DivisionByZero)
        );
        assert_eq!(
            call("modulo", Value::Float(5.0), &[Value::str("zero")]).err(),
            Some(FilterError::DivisionByZero)
        );
        assert_eq!(
            call("times", Value::Float(1e300), &[Value::Float(1e300)]).err(),
            Some(FilterError::Overflow)
        );
        assert_eq!(
            call("plus", Value::str("99999999999999999999"), &[Value::Int(1)]).err(),
            Some(FilterError::Overflow)
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(text("round", Value::Float(2.5), &[]), "3");
        assert_eq!(text("round", Value::Float(-2.5), &[]), "-3");
        assert_eq!(text("round", Value::Float(1.005), &[Value::Int(2)]), "1.01");
        assert_eq!(text("round", Value::Float(7.0), &[Value::Int(3)]), "7.0");
        assert_eq!(
            text("round", Value::Float(1234.5), &[Value::Int(-2)]),
            "1200"
        );
        assert_eq!(text("round", Value::Int(1250), &[Value::Int(-2)]), "1300");
        assert_eq!(text("round", Value::Int(-1250), &[Value::Int(-2)]), "-1300");
        assert_eq!(text("round", Value::Int(42), &[Value::Int(2)]), "42");
        assert_eq!(text("round", Value::Float(0.4), &[Value::Int(-1000)]), "0");
        assert_eq!(
            text("round", Value::Float(0.125), &[Value::Int(i64::MAX)]),
            "0.125"
        );
        assert_eq!(
            call("round", Value::Int(i64::MAX), &[Value::Int(-19)]).err(),
            Some(FilterError::Overflow)
        );
        assert_eq!(
            call("round", Value::Float(1e300), &[]).err(),
            Some(FilterError::Overflow)
        );
    }

    #[test]
    fn ceil_floor_abs() {
        assert_eq!(text("ceil", Value::Float(-1.5), &[]), "-1");
        assert_eq!(text("floor", Value::Float(-1.5), &[]), "-2");
        assert_eq!(text("floor", Value::str("9.99"), &[]), "9");
        assert_eq!(text("abs", Value::str("-0.25"), &[]), "0.25");
        assert_eq!(
            call("ceil", Value::Float(1e19), &[]).err(),
            Some(FilterError::Overflow)
        );
        assert!(call("ceil", Value::Float(f64::NAN), &[]).is_err());
    }

    #[test]
    fn at_least_and_at_most() {
        assert_eq!(text("at_least", Value::Int(2), &[Value::Float(2.5)]), "2.5");
        assert_eq!(text("at_least", Value::Int(3), &[Value::Float(3.0)]), "3");
        assert_eq!(text("at_most", Value::Float(9.5), &[Value::Int(9)]), "9");
        assert_eq!(text("at_most", Value::str("4"), &[Value::Int(9)]), "4");
    }

    #[test]
    fn argument_counts_are_checked() {
        assert!(matches!(
            call("plus", Value::Int(1), &[]),
            Err(FilterError::ArgumentCount { .. })
        ));
        assert!(matches!(
            call("abs", Value::Int(1), &[Value::Int(1)]),
            Err(FilterError::ArgumentCount { .. })
        ));
        assert!(matches!(
            call("round", Value::Int(1), &[Value::Int(1), Value::Int(2)]),
            Err(FilterError::ArgumentCount { .. })
        ));
    }

    #[test]
    fn strict_integers() {
        let int = |s: &str| to_integer(&Value::str(s), 1).ok();
        assert_eq!(int(" 12 "), Some(12));
        assert_eq!(int("-0x1f"), Some(-31));
        assert_eq!(int("0b101"), Some(5));
        assert_eq!(int("017"), Some(15));
        assert_eq!(int("1_000"), Some(1000));
        assert_eq!(int("1__0"), None);
        assert_eq!(int("2.5"), None);
        assert_eq!(int(""), None);
        assert_eq!(int("99999999999999999999999"), Some(i64::MAX));
        assert!(to_integer(&Value::Float(2.0), 1).is_err());
        assert!(to_integer(&Value::Nil, 1).is_err());
    }

    #[test]
    fn exact_comparison_of_ints_and_floats() {
        let big = Number::Int(9_007_199_254_740_993);
        assert_eq!(
            compare(big, Number::Float(9_007_199_254_740_992.0)),
            Ordering::Greater
        );
        assert_eq!(compare(Number::Int(2), Number::Float(2.5)), Ordering::Less);
        assert_eq!(
            compare(Number::Float(-0.5), Number::Int(-1)),
            Ordering::Greater
        );
        assert_eq!(
            compare(Number::Int(i64::MAX), Number::Float(1e19)),
            Ordering::Less
        );
    }
}
