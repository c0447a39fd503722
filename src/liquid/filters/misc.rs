//! The `default` filter, the HTML, URL and Base64 filters, and the argument checks
//! every filter file shares.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE};

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
    register_encodings(filters);
}

/// An encoding filter: the length of its result, then the result (or an error).
type Encoding = (fn(&str) -> usize, fn(&str) -> Result<String, FilterError>);

fn register_encodings(filters: &mut Filters) {
    // (name, summary, example, nil stays nil, (result length, function))
    let encodings: [(&'static str, &'static str, &'static str, bool, Encoding); 8] = [
        (
            "escape",
            "Escapes `&`, `<`, `>`, `\"` and `'` for HTML.",
            "{{ \"<p>Tom & Jerry</p>\" | escape }} → &lt;p&gt;Tom &amp; Jerry&lt;/p&gt;",
            true,
            (escaped_len, |s| Ok(escape_html(s))),
        ),
        (
            "h",
            "Escapes `&`, `<`, `>`, `\"` and `'` for HTML (an alias of `escape`).",
            "{{ \"a < b\" | h }} → a &lt; b",
            true,
            (escaped_len, |s| Ok(escape_html(s))),
        ),
        (
            "escape_once",
            "Escapes for HTML, leaving entities that are already escaped alone.",
            "{{ \"1 &lt; 2 & 3\" | escape_once }} → 1 &lt; 2 &amp; 3",
            false,
            (escaped_once_len, |s| Ok(escape_once(s))),
        ),
        (
            "url_encode",
            "Percent-encodes a string for a URL; spaces become `+`.",
            "{{ \"john@liquid.com\" | url_encode }} → john%40liquid.com",
            true,
            (
                |s| s.len() + 2 * s.bytes().filter(|b| !url_safe(*b)).count(),
                |s| Ok(url_encode(s)),
            ),
        ),
        (
            "url_decode",
            "Decodes a percent-encoded string; `+` becomes a space.",
            "{{ \"%27Stop%21%27+said+Fred\" | url_decode }} → 'Stop!' said Fred",
            true,
            // Never longer than its input.
            (str::len, url_decode),
        ),
        (
            "base64_encode",
            "Encodes a string in Base64.",
            "{{ \"one two\" | base64_encode }} → b25lIHR3bw==",
            false,
            (|s| s.len().div_ceil(3) * 4, |s| Ok(STANDARD.encode(s))),
        ),
        (
            "base64_decode",
            "Decodes a Base64 string.",
            "{{ \"b25lIHR3bw==\" | base64_decode }} → one two",
            false,
            (|s| s.len() / 4 * 3 + 3, |s| decode_text(&STANDARD, s)),
        ),
        (
            "base64_url_safe_encode",
            "Encodes a string in URL-safe Base64 (`-` and `_` for `+` and `/`).",
            "{{ \"<<??>>\" | base64_url_safe_encode }} → PDw_Pz4-",
            false,
            (|s| s.len().div_ceil(3) * 4, |s| Ok(URL_SAFE.encode(s))),
        ),
    ];
    for (name, summary, example, nil_stays_nil, (measure, func)) in encodings {
        filters.add(name, name, summary, example, move |input, args| {
            expect_args(args, 0, 0)?;
            if nil_stays_nil && input.is_nil() {
                return Ok(Value::Nil);
            }
            let source = args.context.text(input)?;
            // At most this long: checked and paid for before it is built.
            args.context.check_string(measure(&source))?;
            Ok(Value::from(func(&source)?))
        });
    }
    filters.add(
        "strip_html",
        "strip_html",
        "Removes HTML tags, comments, scripts and styles from a string.",
        "{{ \"<p>Hi <em>there</em></p>\" | strip_html }} → Hi there",
        |input, args| {
            expect_args(args, 0, 0)?;
            let source = args.context.text(input)?;
            // Never longer than its input.
            args.context.check_string(source.len())?;
            Ok(Value::from(strip_html(&source)))
        },
    );
    filters.add(
        "base64_url_safe_decode",
        "base64_url_safe_decode",
        "Decodes a URL-safe Base64 string; padding is optional.",
        "{{ \"PDw_Pz4-\" | base64_url_safe_decode }} → <<??>>",
        |input, args| {
            expect_args(args, 0, 0)?;
            let source = args.context.text(input)?;
            args.context.check_string(source.len())?;
            // Ruby's `urlsafe_decode64` also accepts the standard alphabet's `+` and `/`.
            let text = source.replace('+', "-").replace('/', "_");
            let engine = GeneralPurpose::new(
                &base64::alphabet::URL_SAFE,
                GeneralPurposeConfig::new()
                    .with_decode_padding_mode(DecodePaddingMode::Indifferent),
            );
            decode_text(&engine, &text).map(Value::from)
        },
    );
}

/// Shopify's `strip_html`: first scripts, comments and styles, then every `<...>`, in
/// one pass each. Shopify's patterns are lazy (`<script.*?</script>`): a block ends at
/// the first closing mark after its start, and where there is none it is no block.
fn strip_html(s: &str) -> String {
    const BLOCKS: [(&str, &str); 3] = [
        ("<script", "</script>"),
        ("<!--", "-->"),
        ("<style", "</style>"),
    ];
    // Where each closing mark next occurs, found at most once per place: a search
    // from a later start only runs again once the text has passed the last one
    // found, so each pattern scans the text about once.
    let mut next_close: [Option<Option<usize>>; 3] = [None; 3];
    let without_blocks = remove_between(s, |at, tail| {
        BLOCKS.iter().enumerate().find_map(|(i, (open, close))| {
            if !tail.starts_with(open) {
                return None;
            }
            let from = at + open.len();
            let found = match next_close[i] {
                Some(Some(end)) if end >= from => Some(end),
                Some(None) => None,
                _ => {
                    let found = s[from..].find(close).map(|end| from + end);
                    next_close[i] = Some(found);
                    found
                }
            };
            found.map(|end| end + close.len() - at)
        })
    });
    let mut next_gt: Option<Option<usize>> = None;
    let text = without_blocks.as_str();
    remove_between(text, |at, _| {
        let found = match next_gt {
            Some(Some(end)) if end > at => Some(end),
            Some(None) => None,
            _ => {
                let found = text[at..].find('>').map(|end| at + end);
                next_gt = Some(found);
                found
            }
        };
        found.map(|end| end + 1 - at)
    })
}

/// Removes, left to right, every span that starts at a `<` and is `span_len(at, tail)`
/// bytes long, where `at` is where that `<` is and `tail` the text from it on.
fn remove_between(s: &str, mut span_len: impl FnMut(usize, &str) -> Option<usize>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    while let Some(i) = s[at..].find('<') {
        let start = at + i;
        out.push_str(&s[at..start]);
        match span_len(start, &s[start..]) {
            Some(len) => at = start + len,
            None => {
                out.push('<');
                at = start + 1;
            }
        }
    }
    out.push_str(&s[at..]);
    out
}

/// Whether `url_encode` keeps a byte as it is.
fn url_safe(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' | b' ')
}

/// The length of `escape`'s result.
fn escaped_len(s: &str) -> usize {
    s.bytes().map(escaped_byte_len).sum()
}

fn escaped_byte_len(b: u8) -> usize {
    match b {
        b'&' => 5,
        b'<' | b'>' => 4,
        b'"' => 6,
        b'\'' => 5,
        _ => 1,
    }
}

/// The length of `escape_once`'s result: an `&` that starts an entity stays as it is.
fn escaped_once_len(s: &str) -> usize {
    s.bytes()
        .enumerate()
        .map(|(i, b)| match b {
            b'&' if starts_entity(&s[i + 1..]) => 1,
            b => escaped_byte_len(b),
        })
        .sum()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Shopify's `escape_once`: escapes like [`escape_html`], except an `&` that starts an
/// entity (`&amp;`, `&#39;`).
fn escape_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c == '&' && starts_entity(&s[i + 1..]) {
            out.push('&');
        } else {
            push_escaped(&mut out, c);
        }
    }
    out
}

/// Whether `rest` (the text after an `&`) is `name;` or `#digits;`.
fn starts_entity(rest: &str) -> bool {
    let (body, digits_only) = match rest.strip_prefix('#') {
        Some(body) => (body, true),
        None => (rest, false),
    };
    let len = body
        .bytes()
        .take_while(|b| {
            if digits_only {
                b.is_ascii_digit()
            } else {
                b.is_ascii_alphabetic()
            }
        })
        .count();
    len > 0 && body.as_bytes().get(len) == Some(&b';')
}

/// Ruby's `CGI.escape`.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("%{b:02X}"));
            }
        }
    }
    out
}

/// Ruby's `CGI.unescape`; the result must be UTF-8.
fn url_decode(s: &str) -> Result<String, FilterError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FilterError::InvalidInput {
        expected: "percent-encoded UTF-8 text",
        found: describe(&Value::str(s)),
    })
}

/// Decodes Base64 that must hold UTF-8 text.
fn decode_text(engine: &impl base64::Engine, s: &str) -> Result<String, FilterError> {
    let invalid = |expected| FilterError::InvalidInput {
        expected,
        found: describe(&Value::str(s)),
    };
    let bytes = engine.decode(s).map_err(|_| invalid("valid Base64"))?;
    String::from_utf8(bytes).map_err(|_| invalid("Base64 of UTF-8 text"))
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
pub fn describe(value: &Value) -> String {
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
    use crate::liquid::filters::{FilterContext, Filters};

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
            Value::from(crate::liquid::value::Map::default()),
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

    fn encode(name: &str, input: Value) -> Result<Value, FilterError> {
        let filters = Filters::standard();
        let context = FilterContext::default();
        let args = Args {
            positional: &[],
            keyword: &[],
            context: &context,
        };
        (filters.get(name).expect("filter exists").func)(&input, &args)
    }

    fn encoded(name: &str, input: &str) -> String {
        encode(name, Value::str(input))
            .expect("filter succeeds")
            .to_text()
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            encoded("escape", r#"<a href="x">'🎉' & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;🎉&#39; &amp; co&lt;/a&gt;"
        );
        assert_eq!(encoded("h", "a<b"), "a&lt;b");
        assert_eq!(
            encoded("escape_once", "&amp; &#39; &x; & &#x41; &;"),
            "&amp; &#39; &x; &amp; &amp;#x41; &amp;;"
        );
        assert_eq!(encoded("escape_once", "दिवाली <b>"), "दिवाली &lt;b&gt;");
        assert!(matches!(encode("escape", Value::Nil), Ok(Value::Nil)));
        assert_eq!(encode("escape_once", Value::Nil).unwrap().to_text(), "");
    }

    #[test]
    fn strip_html_removes_tags_and_blocks() {
        assert_eq!(encoded("strip_html", "<b>bold</b> text"), "bold text");
        assert_eq!(
            encoded(
                "strip_html",
                "a<script>var x = '<b>';</script>b<style>p{}</style>c"
            ),
            "abc"
        );
        assert_eq!(encoded("strip_html", "x<!-- <p> \n -->y"), "xy");
        assert_eq!(
            encoded("strip_html", "1 < 2 and <unclosed"),
            "1 < 2 and <unclosed"
        );
        assert_eq!(encoded("strip_html", "<p>🎉 दिवाली</p>"), "🎉 दिवाली");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(
            encoded("url_encode", "a b&c=d/é~*"),
            "a+b%26c%3Dd%2F%C3%A9~%2A"
        );
        assert_eq!(encoded("url_encode", "दि"), "%E0%A4%A6%E0%A4%BF");
        assert_eq!(encoded("url_decode", "a+b%26c%3dd%2F%C3%A9"), "a b&c=d/é");
        assert_eq!(encoded("url_decode", "100%+sure%2"), "100% sure%2");
        assert!(encode("url_decode", Value::str("%FF")).is_err());
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(
            encoded("base64_encode", "🎉 दिवाली"),
            "8J+OiSDgpKbgpL/gpLXgpL7gpLLgpYA="
        );
        assert_eq!(
            encoded("base64_decode", "8J+OiSDgpKbgpL/gpLXgpL7gpLLgpYA="),
            "🎉 दिवाली"
        );
        assert_eq!(
            encoded("base64_url_safe_encode", "🎉 दिवाली"),
            "8J-OiSDgpKbgpL_gpLXgpL7gpLLgpYA="
        );
        assert_eq!(
            encoded("base64_url_safe_decode", "8J-OiSDgpKbgpL_gpLXgpL7gpLLgpYA"),
            "🎉 दिवाली"
        );
        assert_eq!(
            encoded("base64_url_safe_decode", "8J+OiSDgpKbgpL/gpLXgpL7gpLLgpYA="),
            "🎉 दिवाली"
        );
        assert_eq!(
            encode("base64_encode", Value::Int(42)).unwrap().to_text(),
            "NDI="
        );
        assert_eq!(encode("base64_decode", Value::Nil).unwrap().to_text(), "");
        assert!(encode("base64_decode", Value::str("8J-O")).is_err());
        assert!(encode("base64_decode", Value::str("abc")).is_err());
        // Valid Base64, but not of UTF-8 text.
        assert!(encode("base64_decode", Value::str("/w==")).is_err());
    }

    /// Every filter's documented example renders as documented.
    #[test]
    fn examples_render_as_documented() {
        let data = serde_json::json!({
            "products": [
                {"title": "Shoes", "price": 30, "available": true, "vendor": "Acme"},
                {"title": "Socks", "price": 5, "available": false},
            ],
            "fruits": ["apple"],
            "vegetables": ["kale"],
            "note": "Hello\nthere",
        });
        let env = crate::liquid::Environment::new();
        for filter in Filters::standard().iter() {
            let (template, expected) = filter
                .example
                .split_once(" → ")
                .unwrap_or_else(|| panic!("{}: example has no →", filter.name));
            assert!(
                template.contains(&format!("| {}", filter.name)),
                "{}: the example does not use the filter",
                filter.name
            );
            let rendered = env
                .compile(filter.name, template)
                .and_then(|t| t.render_to_string(&data).map(|(text, _)| text))
                .unwrap_or_else(|e| panic!("{}: {e}", filter.name));
            assert_eq!(rendered, expected, "{}", filter.name);
        }
    }

    /// No filter panics, whatever it is given: every filter against awkward inputs and
    /// every combination of up to two awkward arguments.
    #[test]
    fn filters_survive_hostile_values() {
        let mut object = crate::liquid::value::Map::default();
        object.insert("k".into(), Value::Int(i64::MIN));
        object.insert("".into(), Value::array(vec![Value::Nil]));
        let values = [
            Value::Nil,
            Value::Bool(false),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Int(-1),
            Value::Float(f64::NAN),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(-1e308),
            Value::Float(5e-324),
            Value::str(""),
            Value::str("🎉दि\r\n <b>&amp;</b>%E0%A4"),
            Value::str("-9223372036854775809"),
            Value::str("k"),
            Value::array(vec![
                Value::Nil,
                Value::array(vec![Value::Int(i64::MAX), Value::str("k")]),
                Value::from(object.clone()),
            ]),
            Value::from(object),
            Value::Range(i64::MIN, i64::MAX),
            Value::Range(5, -5),
            Value::Empty,
            Value::Date(std::sync::Arc::new(crate::liquid::value::DateValue {
                text: "31-12-9999 23:59:59".into(),
                at: super::super::parse_date("31-12-9999 23:59:59").expect("parses"),
            })),
        ];
        let context = FilterContext {
            max_string_bytes: 4096,
            max_array_items: 64,
            ..FilterContext::default()
        };
        let mut argument_lists: Vec<Vec<Value>> = vec![Vec::new()];
        for a in &values {
            argument_lists.push(vec![a.clone()]);
            for b in &values {
                argument_lists.push(vec![a.clone(), b.clone()]);
            }
        }
        for filter in Filters::standard().iter() {
            for input in &values {
                for positional in &argument_lists {
                    let args = Args {
                        positional,
                        keyword: &[],
                        context: &context,
                    };
                    if let Ok(out) = (filter.func)(input, &args) {
                        assert!(out.to_text().len() <= 4096 * 2, "{}", filter.name);
                    }
                }
            }
        }
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
