//! Personalization filters the product adds to standard Liquid: time zones, number
//! grouping (including Indian lakh/crore grouping), money, and days until a date.
//!
//! They are registered by [`super::environment`], which knows the account's time zone.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use super::record;
use crate::liquid::filters::{self, Args, FilterError, Filters};
use crate::liquid::value::{DateValue, Value};

/// Adds the personalization filters, with `zone` as the account's time zone.
pub fn register(filters: &mut Filters, zone: Tz) {
    filters.add(
        "time_zone",
        "time_zone: zone",
        "Converts a date (a Date property, \"now\", a timestamp or a date string in the \
         account's zone) to the IANA time zone `zone`; `date` then formats it there.",
        "{{ \"01-11-2026 10:00:00\" | time_zone: \"Asia/Kolkata\" | date: \"%d %b %H:%M\" }} → 01 Nov 15:30 (account zone UTC)",
        move |input, args| time_zone(input, args, zone),
    );
    filters.add(
        "days_until",
        "days_until",
        "Whole calendar days from today to a date, both in the account's time zone \
         (negative once the date has passed).",
        "{{ Event[\"Coupon Expiry Date\"] | days_until }} → 3 (three days before the expiry date)",
        move |input, args| days_until(input, args, zone),
    );
    filters.add(
        "number_with_delimiter",
        "number_with_delimiter: grouping",
        "Groups a number's digits with commas: in thousands by default, or the Indian way \
         (lakh, crore) with \"indian\".",
        "{{ 1234567 | number_with_delimiter: \"indian\" }} → 12,34,567",
        number_with_delimiter,
    );
    filters.add(
        "money",
        "money: currency",
        "Formats an amount in a currency (INR, USD, EUR, GBP, JPY, AED, SGD) with its \
         symbol, grouping and decimals.",
        "{{ 1299.5 | money: \"INR\" }} → ₹1,299.50",
        money,
    );
}

fn string_arg<'v>(
    args: &'v Args<'_>,
    what: &'static str,
) -> Result<std::borrow::Cow<'v, str>, FilterError> {
    args.expect_count(1, 1)?;
    match args.get(0) {
        Some(Value::Str(s)) => Ok(std::borrow::Cow::Borrowed(s)),
        Some(other) => Err(FilterError::InvalidArgument {
            position: "1".into(),
            expected: what,
            found: filters::describe(other),
        }),
        None => Err(FilterError::ArgumentCount {
            min: 1,
            max: 1,
            found: 0,
        }),
    }
}

/// The instant a value means, reading wall-clock strings in `zone`.
fn instant(input: &Value, args: &Args<'_>, zone: Tz) -> Option<DateTime<FixedOffset>> {
    match input {
        Value::Date(d) => Some(d.at),
        Value::Int(secs) => DateTime::from_timestamp(*secs, 0).map(|d| d.fixed_offset()),
        Value::Str(s) if s.eq_ignore_ascii_case("now") || s.eq_ignore_ascii_case("today") => {
            Some(args.context.now())
        }
        Value::Str(s) => record::parse_date(s, zone)
            .ok()
            .or_else(|| filters::parse_date(s)),
        _ => None,
    }
}

fn time_zone(input: &Value, args: &Args<'_>, account: Tz) -> Result<Value, FilterError> {
    let name = string_arg(args, "an IANA time zone name such as \"Asia/Kolkata\"")?;
    let zone = Tz::from_str(&name).map_err(|_| FilterError::InvalidArgument {
        position: "1".into(),
        expected: "an IANA time zone name such as \"Asia/Kolkata\"",
        found: filters::describe(&Value::str(&name)),
    })?;
    Ok(match instant(input, args, account) {
        Some(at) => {
            let local = at.with_timezone(&zone);
            Value::Date(Arc::new(DateValue {
                text: Arc::from(local.format("%Y-%m-%d %H:%M:%S %z").to_string()),
                at: local.fixed_offset(),
            }))
        }
        None => input.clone(),
    })
}

fn days_until(input: &Value, args: &Args<'_>, zone: Tz) -> Result<Value, FilterError> {
    args.expect_count(0, 0)?;
    Ok(match instant(input, args, zone) {
        Some(at) => {
            let target = at.with_timezone(&zone).date_naive();
            let today = args.context.now().with_timezone(&zone).date_naive();
            Value::Int((target - today).num_days())
        }
        None => Value::Nil,
    })
}

/// A number's sign, integer digits and fraction digits, from a value, written in
/// decimal with `decimals` digits after the point (rounded half away from zero on the
/// decimal value as written, as `round` does: `1.005` to two places is `1.01`), or as
/// many as it has. Numeric strings count as numbers.
fn decimal_parts(input: &Value, decimals: Option<usize>) -> Option<(bool, String, String)> {
    let places = decimals.and_then(|d| u32::try_from(d).ok());
    let text = match input {
        Value::Int(_) | Value::Float(_) => filters::decimal_text(input, places)?,
        Value::Str(s) => {
            let s = s.trim();
            let n: f64 = s.parse().ok().filter(|f: &f64| f.is_finite())?;
            let number = match s.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Float(n),
            };
            filters::decimal_text(&number, places)?
        }
        _ => return None,
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let negative = negative && (int.bytes().chain(frac.bytes()).any(|b| b != b'0'));
    Some((negative, int.to_owned(), frac.to_owned()))
}

/// Puts commas into a string of digits: `1,234,567`, or `12,34,567` the Indian way.
fn group(int: &str, indian: bool) -> String {
    let mut groups = Vec::new();
    let mut rest = int;
    let mut size = 3;
    while rest.len() > size {
        let (head, tail) = rest.split_at(rest.len() - size);
        groups.push(tail);
        rest = head;
        if indian {
            size = 2;
        }
    }
    groups.push(rest);
    groups.reverse();
    groups.join(",")
}

fn number_with_delimiter(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let indian = match args.get(0) {
        None => false,
        Some(Value::Str(s)) if matches!(&**s, "western" | "international") => false,
        Some(Value::Str(s)) if &**s == "indian" => true,
        Some(other) => {
            return Err(FilterError::InvalidArgument {
                position: "1".into(),
                expected: "\"indian\" or \"western\"",
                found: filters::describe(other),
            });
        }
    };
    let Some((negative, int, frac)) = decimal_parts(input, None) else {
        return Ok(input.clone());
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group(&int, indian));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    Ok(Value::from(out))
}

/// How a currency is written.
struct Currency {
    code: &'static str,
    symbol: &'static str,
    indian: bool,
    decimals: usize,
}

const CURRENCIES: &[Currency] = &[
    Currency {
        code: "INR",
        symbol: "₹",
        indian: true,
        decimals: 2,
    },
    Currency {
        code: "USD",
        symbol: "$",
        indian: false,
        decimals: 2,
    },
    Currency {
        code: "EUR",
        symbol: "€",
        indian: false,
        decimals: 2,
    },
    Currency {
        code: "GBP",
        symbol: "£",
        indian: false,
        decimals: 2,
    },
    Currency {
        code: "JPY",
        symbol: "¥",
        indian: false,
        decimals: 0,
    },
    Currency {
        code: "AED",
        symbol: "AED ",
        indian: false,
        decimals: 2,
    },
    Currency {
        code: "SGD",
        symbol: "S$",
        indian: false,
        decimals: 2,
    },
];

fn money(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    let code = string_arg(args, "a currency code: INR, USD, EUR, GBP, JPY, AED or SGD")?;
    let Some(currency) = CURRENCIES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(&code))
    else {
        return Err(FilterError::InvalidArgument {
            position: "1".into(),
            expected: "a currency code: INR, USD, EUR, GBP, JPY, AED or SGD",
            found: filters::describe(&Value::str(&code)),
        });
    };
    let Some((negative, int, frac)) = decimal_parts(input, Some(currency.decimals)) else {
        return Ok(input.clone());
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(currency.symbol);
    out.push_str(&group(&int, currency.indian));
    if currency.decimals > 0 {
        out.push('.');
        out.push_str(&frac);
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::filters::FilterContext;

    fn call(name: &str, input: Value, args: &[Value]) -> Result<Value, FilterError> {
        let mut filters = Filters::empty();
        register(&mut filters, chrono_tz::UTC);
        let context = FilterContext {
            now: Some(DateTime::parse_from_rfc3339("2026-10-29T23:30:00+00:00").unwrap()),
            ..FilterContext::default()
        };
        let f = filters.get(name).unwrap();
        (f.func)(
            &input,
            &Args {
                positional: args,
                keyword: &[],
                context: &context,
            },
        )
    }

    fn text(v: Result<Value, FilterError>) -> String {
        v.unwrap().to_text()
    }

    #[test]
    fn groups_digits_in_thousands_or_the_indian_way() {
        assert_eq!(
            text(call("number_with_delimiter", Value::Int(1234567), &[])),
            "1,234,567"
        );
        assert_eq!(
            text(call(
                "number_with_delimiter",
                Value::Int(1234567),
                &["indian".into()]
            )),
            "12,34,567"
        );
        assert_eq!(
            text(call(
                "number_with_delimiter",
                Value::Int(123456789),
                &["indian".into()]
            )),
            "12,34,56,789"
        );
        assert_eq!(
            text(call("number_with_delimiter", Value::Int(-999), &[])),
            "-999"
        );
        assert_eq!(
            text(call("number_with_delimiter", Value::Float(1234.5), &[])),
            "1,234.5"
        );
        assert_eq!(
            text(call("number_with_delimiter", "abc".into(), &[])),
            "abc"
        );
    }

    #[test]
    fn money_has_each_currency_s_symbol_grouping_and_decimals() {
        assert_eq!(
            text(call("money", Value::Float(1299.5), &["INR".into()])),
            "₹1,299.50"
        );
        assert_eq!(
            text(call("money", Value::Int(1234567), &["INR".into()])),
            "₹12,34,567.00"
        );
        assert_eq!(
            text(call("money", Value::Int(1234567), &["USD".into()])),
            "$1,234,567.00"
        );
        assert_eq!(
            text(call("money", Value::Float(-5.5), &["EUR".into()])),
            "-€5.50"
        );
        assert_eq!(
            text(call("money", Value::Float(1299.5), &["GBP".into()])),
            "£1,299.50"
        );
        assert_eq!(
            text(call("money", Value::Float(1299.5), &["JPY".into()])),
            "¥1,300"
        );
        assert!(call("money", Value::Int(1), &["XYZ".into()]).is_err());
    }

    /// Halves round away from zero on the decimal value as written, as `round` does
    /// and as people count money: binary floats would make `1.005` `$1.00`.
    #[test]
    fn money_rounds_the_decimal_value_as_written_half_away_from_zero() {
        let money = |value: Value, code: &str| text(call("money", value, &[code.into()]));
        assert_eq!(money(Value::Float(1.005), "USD"), "$1.01");
        assert_eq!(money(Value::Float(0.125), "INR"), "₹0.13");
        assert_eq!(money(Value::Float(2.675), "GBP"), "£2.68");
        assert_eq!(money(Value::Float(-1.005), "USD"), "-$1.01");
        assert_eq!(money(Value::Float(1.004), "USD"), "$1.00");
        assert_eq!(money(Value::Float(0.5), "JPY"), "¥1");
        assert_eq!(money(Value::Float(2.5), "JPY"), "¥3");
        assert_eq!(money(Value::Float(-0.001), "EUR"), "€0.00");
        assert_eq!(money("1.005".into(), "USD"), "$1.01");
        assert_eq!(money("1234567.125".into(), "INR"), "₹12,34,567.13");
        assert_eq!(
            money(Value::Float(1e20), "USD"),
            "$100,000,000,000,000,000,000.00"
        );
        assert_eq!(money(Value::Float(1299.5), "AED"), "AED 1,299.50");
    }

    #[test]
    fn number_with_delimiter_writes_the_decimal_value_as_written() {
        let grouped = |value: Value| text(call("number_with_delimiter", value, &[]));
        assert_eq!(grouped(Value::Float(1234567.891)), "1,234,567.891");
        assert_eq!(grouped(Value::Float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(grouped(Value::Float(1e21)), "1,000,000,000,000,000,000,000");
        assert_eq!(grouped(Value::Float(-0.5)), "-0.5");
        assert_eq!(grouped("2500.50".into()), "2,500.5");
    }

    #[test]
    fn time_zone_converts_from_the_account_zone() {
        let out = call(
            "time_zone",
            "01-11-2026 10:00:00".into(),
            &["Asia/Kolkata".into()],
        )
        .unwrap();
        assert_eq!(out.to_text(), "2026-11-01 15:30:00 +0530");
        assert!(call("time_zone", "now".into(), &["Mars/Olympus".into()]).is_err());
    }

    #[test]
    fn days_until_counts_calendar_days_in_the_account_zone() {
        // "now" is 29 Oct 2026, 23:30 UTC.
        assert_eq!(
            text(call("days_until", "01-11-2026 00:00:00".into(), &[])),
            "3"
        );
        assert_eq!(
            text(call("days_until", "29-10-2026 00:00:00".into(), &[])),
            "0"
        );
        assert_eq!(
            text(call("days_until", "28-10-2026 23:59:59".into(), &[])),
            "-1"
        );
    }
}
