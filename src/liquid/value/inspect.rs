//! How Liquid prints an object (hash): as Ruby's `Hash#inspect` does, since that is what
//! Shopify Liquid outputs (`{"name"=>"Asha", "tags"=>["vip", nil]}`).

use std::fmt::Write as _;

use super::{Map, Value, write_float};

/// Writes an object as Ruby 3.1 inspects a hash.
pub(super) fn write_object(map: &Map, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_str(k, out);
        out.push_str("=>");
        write_value(v, out);
    }
    out.push('}');
}

/// A value as Ruby's `inspect` writes it.
pub(super) fn inspect(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out),
        Value::Range(a, b) => {
            let _ = write!(out, "{a}..{b}");
        }
        // `empty` and `blank` are the empty string wherever they are stored.
        Value::Empty | Value::Blank => out.push_str("\"\""),
        Value::Date(d) => write_str(&d.text, out),
    }
}

/// Ruby's `String#inspect`: quotes, backslash escapes for quotes, backslashes, `#{`,
/// `#$`, `#@` and control characters, `\u` for other characters Ruby does not print.
/// Every other character, combining marks and emoji sequences included, is printed as
/// it is. (Ruby also escapes code points its Unicode version has not assigned; those
/// are printed as they are here.)
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            '\x08' => out.push_str("\\b"),
            '\x07' => out.push_str("\\a"),
            '\x1b' => out.push_str("\\e"),
            '#' if matches!(chars.peek(), Some('{' | '$' | '@')) => out.push_str("\\#"),
            c if unprintable(c) => {
                let n = u32::from(c);
                let _ = if n > 0xffff {
                    write!(out, "\\u{{{n:X}}}")
                } else {
                    write!(out, "\\u{n:04X}")
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The characters Ruby escapes whatever its Unicode version: controls (but U+0085,
/// which Ruby prints), the line and paragraph separators, and noncharacters.
fn unprintable(c: char) -> bool {
    let n = u32::from(c);
    (c.is_control() && n != 0x85)
        || n == 0x2028
        || n == 0x2029
        || (0xfdd0..=0xfdef).contains(&n)
        || n & 0xfffe == 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(json: serde_json::Value) -> String {
        let mut out = String::new();
        match Value::from(&json) {
            Value::Object(map) => write_object(&map, &mut out),
            _ => unreachable!(),
        }
        out
    }

    /// Expected texts are Ruby 3.1's `p` of the same hashes.
    #[test]
    fn objects_print_as_ruby_inspects_hashes() {
        assert_eq!(
            inspect(serde_json::json!({"a": [1, null, 2.5, "x", {"b": true}], "c": 1e20})),
            r#"{"a"=>[1, nil, 2.5, "x", {"b"=>true}], "c"=>1.0e+20}"#
        );
        assert_eq!(
            inspect(serde_json::json!({"bag": "बैग 👨‍👩‍👧 👍🏽"})),
            "{\"bag\"=>\"बैग 👨‍👩‍👧 👍🏽\"}"
        );
        assert_eq!(
            inspect(serde_json::json!({"s": "\u{1}\u{7f}\u{2028}\u{fffe}\u{10ffff}\u{85}#{x}#a"})),
            "{\"s\"=>\"\\u0001\\u007F\\u2028\\uFFFE\\u{10FFFF}\u{85}\\#{x}#a\"}"
        );
        assert_eq!(
            inspect(serde_json::json!({"q": "\"\\\u{1b}\u{7}\u{8}\u{c}\u{b}\r\n\t"})),
            r#"{"q"=>"\"\\\e\a\b\f\v\r\n\t"}"#
        );
    }
}
