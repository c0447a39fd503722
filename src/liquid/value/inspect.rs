//! How Liquid prints an object (hash): as Ruby's `Hash#inspect` does, since that is what
//! Shopify Liquid outputs (`{"name"=>"Asha", "tags"=>["vip", nil]}`).

use std::fmt::Write as _;

use super::{Map, Value, write_float};

/// Writes an object as Ruby 3.1 inspects a hash.
pub(super) fn write_object(map: &Map, out: &mut String) {
    write_map(map, out, usize::MAX);
}

/// [`write_object`], unless the text would make `out` longer than `cap` bytes: each
/// string is measured before it is written, so nothing much past `cap` is built.
pub(super) fn write_object_within(map: &Map, out: &mut String, cap: usize) -> bool {
    write_map(map, out, cap)
}

/// A value as Ruby's `inspect` writes it, if that is at most `cap` bytes long.
pub(super) fn inspect_within(v: &Value, cap: usize) -> Option<String> {
    let mut out = String::new();
    write_value(v, &mut out, cap).then_some(out)
}

fn write_map(map: &Map, out: &mut String, cap: usize) -> bool {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if !write_str(k, out, cap) {
            return false;
        }
        out.push_str("=>");
        if !write_value(v, out, cap) {
            return false;
        }
    }
    out.push('}');
    out.len() <= cap
}

fn write_value(v: &Value, out: &mut String, cap: usize) -> bool {
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => return write_str(s, out, cap),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !write_value(item, out, cap) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Object(map) => return write_map(map, out, cap),
        Value::Range(a, b) => {
            let _ = write!(out, "{a}..{b}");
        }
        // `empty` and `blank` are the empty string wherever they are stored.
        Value::Empty | Value::Blank => out.push_str("\"\""),
        Value::Date(d) => return write_str(&d.text, out, cap),
    }
    out.len() <= cap
}

/// Writes `s` as Ruby's `String#inspect` does, if that keeps `out` within `cap`.
fn write_str(s: &str, out: &mut String, cap: usize) -> bool {
    let mut len = 0;
    escape(s, &mut |piece| len += piece.len());
    if out.len().saturating_add(len) > cap {
        return false;
    }
    out.reserve(len);
    escape(s, &mut |piece| out.push_str(piece));
    true
}

/// Ruby's `String#inspect`, piece by piece: quotes, backslash escapes for quotes,
/// backslashes, `#{`, `#$`, `#@` and control characters, `\u` for other characters Ruby
/// does not print. Every other character, combining marks and emoji sequences
/// included, is printed as it is. (Ruby also escapes code points its Unicode version
/// has not assigned; those are printed as they are here.)
fn escape(s: &str, emit: &mut dyn FnMut(&str)) {
    emit("\"");
    let mut chars = s.char_indices().peekable();
    let mut buf = String::new();
    while let Some((at, c)) = chars.next() {
        let piece = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            '\x0c' => "\\f",
            '\x0b' => "\\v",
            '\x08' => "\\b",
            '\x07' => "\\a",
            '\x1b' => "\\e",
            '#' if matches!(chars.peek(), Some((_, '{' | '$' | '@'))) => "\\#",
            c if unprintable(c) => {
                let n = u32::from(c);
                buf.clear();
                let _ = if n > 0xffff {
                    write!(buf, "\\u{{{n:X}}}")
                } else {
                    write!(buf, "\\u{n:04X}")
                };
                emit(&buf);
                continue;
            }
            c => &s[at..at + c.len_utf8()],
        };
        emit(piece);
    }
    emit("\"");
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

    #[test]
    fn an_object_past_the_cap_is_not_written_whole() {
        let map: Map = [("a".to_owned(), Value::str(&"x".repeat(100)))]
            .into_iter()
            .collect();
        let mut out = String::new();
        assert!(!write_object_within(&map, &mut out, 50));
        assert!(out.len() <= 50, "{}", out.len());
        let mut out = String::new();
        assert!(write_object_within(&map, &mut out, 200));
        assert_eq!(out.len(), 2 + 3 + 2 + 102);
    }
}
