//! The `default` filter, and the argument checks every filter file shares.

use super::{Args, FilterError, Filters};
use crate::liquid::value::Value;

pub(super) fn register(filters: &mut Filters) {
    filters.add(
        "default",
        "default: value, allow_false: boolean",
        "The input, or `value` when the input is nil, false or empty; \
         `allow_false: true` keeps a false input.",
        "{{ nil | default: \"there\" }} → there",
        default,
    );
}

fn default(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    if let Some((name, _)) = args.keyword.iter().find(|(k, _)| &**k != "allow_false") {
        return Err(unexpected_keyword(name));
    }
    let allow_false = args.keyword("allow_false").is_some_and(Value::is_truthy);
    let missing = if allow_false {
        input.is_nil()
    } else {
        !input.is_truthy()
    };
    let empty = match input {
        Value::Str(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Empty | Value::Blank => true,
        _ => false,
    };
    Ok(if missing || empty {
        args.get(0).cloned().unwrap_or_else(|| Value::str(""))
    } else {
        input.clone()
    })
}

/// Fails unless between `min` and `max` positional arguments, and no keyword arguments,
/// were given.
pub(super) fn expect_args(args: &Args<'_>, min: usize, max: usize) -> Result<(), FilterError> {
    args.expect_count(min, max)?;
    match args.keyword.first() {
        Some((name, _)) => Err(unexpected_keyword(name)),
        None => Ok(()),
    }
}

fn unexpected_keyword(name: &str) -> FilterError {
    FilterError::InvalidArgument {
        position: name.to_string(),
        expected: "no such keyword argument",
        found: format!("{name}: ..."),
    }
}

/// A short description of a value for error messages: strings quoted (and cut short),
/// numbers and booleans as they print, anything else by its type.
pub(super) fn describe(value: &Value) -> String {
    const MAX_CHARS: usize = 40;
    match value {
        Value::Str(s) => {
            let mut chars = s.chars();
            let short: String = chars.by_ref().take(MAX_CHARS).collect();
            if chars.next().is_some() {
                format!("{short:?}...")
            } else {
                format!("{short:?}")
            }
        }
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => value.to_text(),
        other => other.type_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::liquid::filters::FilterContext;

    fn default_of(input: Value, positional: &[Value], allow_false: Option<bool>) -> Value {
        let context = FilterContext::default();
        let keyword: Vec<(Arc<str>, Value)> = allow_false
            .map(|b| (Arc::from("allow_false"), Value::Bool(b)))
            .into_iter()
            .collect();
        let args = Args {
            positional,
            keyword: &keyword,
            context: &context,
        };
        default(&input, &args).expect("default succeeds")
    }

    #[test]
    fn default_replaces_nil_false_and_empty() {
        let there = [Value::str("there")];
        for input in [
            Value::Nil,
            Value::Bool(false),
            Value::str(""),
            Value::array(Vec::new()),
            Value::from(crate::liquid::value::Map::new()),
        ] {
            assert_eq!(default_of(input, &there, None).to_text(), "there");
        }
    }

    #[test]
    fn default_keeps_other_values() {
        let there = [Value::str("there")];
        assert_eq!(default_of(Value::Int(0), &there, None).to_text(), "0");
        assert_eq!(default_of(Value::str(" "), &there, None).to_text(), " ");
        assert_eq!(
            default_of(Value::str("दिवाली"), &there, None).to_text(),
            "दिवाली"
        );
        assert_eq!(default_of(Value::Float(0.0), &there, None).to_text(), "0.0");
    }

    #[test]
    fn allow_false_keeps_false_but_not_nil() {
        let there = [Value::str("there")];
        assert_eq!(
            default_of(Value::Bool(false), &there, Some(true)).to_text(),
            "false"
        );
        assert_eq!(
            default_of(Value::Bool(false), &there, Some(false)).to_text(),
            "there"
        );
        assert_eq!(
            default_of(Value::Nil, &there, Some(true)).to_text(),
            "there"
        );
        assert_eq!(
            default_of(Value::str(""), &there, Some(true)).to_text(),
            "there"
        );
    }

    #[test]
    fn default_without_argument_is_empty_string() {
        assert_eq!(default_of(Value::Nil, &[], None).to_text(), "");
    }

    #[test]
    fn default_rejects_extra_and_unknown_arguments() {
        let context = FilterContext::default();
        let positional = [Value::Int(1), Value::Int(2)];
        let args = Args {
            positional: &positional,
            keyword: &[],
            context: &context,
        };
        assert!(matches!(
            default(&Value::Nil, &args),
            Err(FilterError::ArgumentCount { .. })
        ));
        let keyword = [(Arc::from("allow_flase"), Value::Bool(true))];
        let args = Args {
            positional: &[],
            keyword: &keyword,
            context: &context,
        };
        assert!(matches!(
            default(&Value::Nil, &args),
            Err(FilterError::InvalidArgument { .. })
        ));
    }

    #[test]
    fn describe_quotes_and_shortens_strings() {
        assert_eq!(describe(&Value::str("ab")), "\"ab\"");
        let long = "🎉".repeat(50);
        assert_eq!(
            describe(&Value::str(&long)),
            format!("{:?}...", "🎉".repeat(40))
        );
        assert_eq!(describe(&Value::Float(2.5)), "2.5");
        assert_eq!(describe(&Value::Nil), "nil");
        assert_eq!(describe(&Value::Range(1, 2)), "range");
    }
}
