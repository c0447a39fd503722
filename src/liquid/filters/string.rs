//! String filters.
//!
//! Every string filter works on the text of its input (`5 | append: "x"` is `5x`; nil is
//! the empty string) and counts characters, not bytes, as Ruby does. Each runs in one
//! or two passes over its input, and works out the size of its result before building
//! it: the result is checked against the string size limit and paid for from the
//! render's budget first ([`FilterContext::check_string`](super::FilterContext)).

use std::borrow::Cow;

use super::math::{is_ruby_space, to_integer, trim_ruby};
use super::misc::expect_args;
use super::{Args, FilterError, Filters};
use crate::liquid::value::{Value, range_len};

pub(super) fn register(filters: &mut Filters) {
    register_case_and_space(filters);
    register_substitution(filters);
    filters.add(
        "split",
        "split: separator",
        "Splits a string into an array at each `separator`; an empty separator splits it \
         into characters, a single space at runs of white space.",
        "{{ \"a,b,c\" | split: \",\" | last }} → c",
        |input, args| {
            expect_args(args, 1, 1)?;
            let separator = text(args, args.get(0).unwrap_or(&Value::Nil))?;
            split(&text(args, input)?, &separator, args)
        },
    );
    filters.add(
        "slice",
        "slice: offset, length",
        "The `length` characters (or array items) from `offset` on; a negative offset counts \
         from the end; `length` defaults to 1.",
        "{{ \"Liquid\" | slice: 2, 3 }} → qui",
        slice,
    );
    filters.add(
        "truncate",
        "truncate: length, ellipsis",
        "Shortens a string to `length` characters (default 50), the ellipsis (default \
         \"...\") included.",
        "{{ \"Ground control to Major Tom\" | truncate: 15 }} → Ground contr...",
        truncate,
    );
    filters.add(
        "truncatewords",
        "truncatewords: words, ellipsis",
        "Shortens a string to `words` words (default 15), then adds the ellipsis \
         (default \"...\").",
        "{{ \"Ground control to Major Tom\" | truncatewords: 3 }} → Ground control to...",
        truncatewords,
    );
}

fn register_case_and_space(filters: &mut Filters) {
    // (name, summary, example, the result's length in bytes, the transformation).
    // A transformation that borrows gives a part of its input.
    type Simple = (
        &'static str,
        &'static str,
        &'static str,
        fn(&str) -> usize,
        fn(&str) -> Cow<'_, str>,
    );
    let simple: [Simple; 8] = [
        (
            "upcase",
            "Converts a string to upper case.",
            "{{ \"Parker Moore\" | upcase }} → PARKER MOORE",
            |s| mapped_len(s, char::to_uppercase),
            // Upper case has no rules that look at neighbours: std's is the same, with
            // a fast path for ASCII.
            |s| Cow::Owned(s.to_uppercase()),
        ),
        (
            "downcase",
            "Converts a string to lower case.",
            "{{ \"Parker Moore\" | downcase }} → parker moore",
            |s| mapped_len(s, char::to_lowercase),
            // Character by character (std's would write a final sigma, Ruby does not).
            |s| match s.is_ascii() {
                true => Cow::Owned(s.to_ascii_lowercase()),
                false => Cow::Owned(s.chars().flat_map(char::to_lowercase).collect()),
            },
        ),
        (
            "capitalize",
            "Upper-cases the first character of a string and lower-cases the rest.",
            "{{ \"my GREAT title\" | capitalize }} → My great title",
            capitalized_len,
            |s| Cow::Owned(capitalize(s)),
        ),
        (
            "strip",
            "Removes white space from both ends of a string.",
            "{{ \"  hi  \" | strip }} → hi",
            |s| trim_ruby(s).len(),
            |s| Cow::Borrowed(trim_ruby(s)),
        ),
        (
            "lstrip",
            "Removes white space from the start of a string.",
            "{{ \"  hi\" | lstrip }} → hi",
            |s| s.trim_start_matches(is_ruby_space).len(),
            |s| Cow::Borrowed(s.trim_start_matches(is_ruby_space)),
        ),
        (
            "rstrip",
            "Removes white space from the end of a string.",
            "{{ \"hi  \" | rstrip }} → hi",
            |s| s.trim_end_matches(is_ruby_space).len(),
            |s| Cow::Borrowed(s.trim_end_matches(is_ruby_space)),
        ),
        (
            "strip_newlines",
            "Removes every line break from a string.",
            "{{ note | strip_newlines }} → Hellothere",
            // Every `\n` goes, and the `\r` of each `\r\n`.
            |s| s.len() - s.matches('\n').count() - s.matches("\r\n").count(),
            |s| Cow::Owned(s.replace("\r\n", "").replace('\n', "")),
        ),
        (
            "newline_to_br",
            "Puts an HTML `<br />` before every line break.",
            "{{ note | newline_to_br }} → Hello<br />\nthere",
            // `\r\n` becomes `\n`, then each `\n` gains six bytes.
            |s| {
                let newlines = s.matches('\n').count();
                (s.len() - s.matches("\r\n").count()).saturating_add(newlines.saturating_mul(6))
            },
            |s| Cow::Owned(s.replace("\r\n", "\n").replace('\n', "<br />\n")),
        ),
    ];
    for (name, summary, example, measure, func) in simple {
        let trims = ["strip", "lstrip", "rstrip"].contains(&name);
        filters.add(name, name, summary, example, move |input, args| {
            expect_args(args, 0, 0)?;
            let source = text(args, input)?;
            let len = measure(&source);
            // What is left whole by a trim is the input itself: nothing is built.
            if trims && len == source.len() {
                return Ok(string_value(input, source));
            }
            args.context.check_string(len)?;
            Ok(Value::str(&func(&source)))
        });
    }
}

/// The length in bytes of `s` with each character mapped by `map` (a case mapping,
/// which may change a character's length: `ß` upper-cases to `SS`).
fn mapped_len<I: Iterator<Item = char>>(s: &str, map: fn(char) -> I) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().flat_map(map).map(char::len_utf8).sum()
}

/// The length in bytes of [`capitalize`]'s result.
fn capitalized_len(s: &str) -> usize {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return 0;
    };
    let head = match titlecase(first) {
        Some(title) => title.len(),
        None => first.to_uppercase().map(char::len_utf8).sum(),
    };
    head + mapped_len(chars.as_str(), char::to_lowercase)
}

fn register_substitution(filters: &mut Filters) {
    filters.add(
        "append",
        "append: string",
        "Adds a string to the end.",
        "{{ \"/my/path\" | append: \".html\" }} → /my/path.html",
        |input, args| {
            expect_args(args, 1, 1)?;
            let head = text(args, input)?;
            let tail = text(args, args.get(0).unwrap_or(&Value::Nil))?;
            concat(args, &head, &tail)
        },
    );
    filters.add(
        "prepend",
        "prepend: string",
        "Adds a string to the start.",
        "{{ \"apples\" | prepend: \"Some \" }} → Some apples",
        |input, args| {
            expect_args(args, 1, 1)?;
            let tail = text(args, input)?;
            let head = text(args, args.get(0).unwrap_or(&Value::Nil))?;
            concat(args, &head, &tail)
        },
    );
    type Substitution = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Which,
        bool,
    );
    let substitutions: [Substitution; 6] = [
        (
            "replace",
            "replace: search, replacement",
            "Replaces every occurrence of `search`.",
            "{{ \"a-b-c\" | replace: \"-\", \"+\" }} → a+b+c",
            Which::All,
            true,
        ),
        (
            "replace_first",
            "replace_first: search, replacement",
            "Replaces the first occurrence of `search`.",
            "{{ \"a-b-c\" | replace_first: \"-\", \"+\" }} → a+b-c",
            Which::First,
            true,
        ),
        (
            "replace_last",
            "replace_last: search, replacement",
            "Replaces the last occurrence of `search`.",
            "{{ \"a-b-c\" | replace_last: \"-\", \"+\" }} → a-b+c",
            Which::Last,
            true,
        ),
        (
            "remove",
            "remove: search",
            "Removes every occurrence of `search`.",
            "{{ \"a-b-c\" | remove: \"-\" }} → abc",
            Which::All,
            false,
        ),
        (
            "remove_first",
            "remove_first: search",
            "Removes the first occurrence of `search`.",
            "{{ \"a-b-c\" | remove_first: \"-\" }} → ab-c",
            Which::First,
            false,
        ),
        (
            "remove_last",
            "remove_last: search",
            "Removes the last occurrence of `search`.",
            "{{ \"a-b-c\" | remove_last: \"-\" }} → a-bc",
            Which::Last,
            false,
        ),
    ];
    for (name, signature, summary, example, which, replaces) in substitutions {
        filters.add(name, signature, summary, example, move |input, args| {
            match (replaces, which) {
                // Shopify gives `replace` and `replace_first` a default replacement of
                // "", but not `replace_last`.
                (true, Which::Last) => expect_args(args, 2, 2)?,
                (true, _) => expect_args(args, 1, 2)?,
                (false, _) => expect_args(args, 1, 1)?,
            }
            let source = text(args, input)?;
            let search = text(args, args.get(0).unwrap_or(&Value::Nil))?;
            let replacement = match args.get(1) {
                Some(v) => text(args, v)?,
                None => Cow::Borrowed(""),
            };
            Ok(
                match substitute(&source, &search, &replacement, which, args)? {
                    Some(result) => Value::from(result),
                    None => string_value(input, source),
                },
            )
        });
    }
}

/// The text of a value, as a string filter sees it: an array's or object's text is
/// measured against the string limit, and paid for, before it is built.
pub(super) fn text<'v>(args: &Args<'_>, value: &'v Value) -> Result<Cow<'v, str>, FilterError> {
    args.context.text(value)
}

fn concat(args: &Args<'_>, head: &str, tail: &str) -> Result<Value, FilterError> {
    args.context
        .check_string(head.len().saturating_add(tail.len()))?;
    let mut out = String::with_capacity(head.len() + tail.len());
    out.push_str(head);
    out.push_str(tail);
    Ok(Value::from(out))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    All,
    First,
    Last,
}

/// Replaces occurrences of `search` as Ruby's `gsub`/`sub`/`rindex` do with a plain
/// string: an empty `search` matches between every pair of characters. `None` when
/// nothing matches (the source is the result).
fn substitute(
    source: &str,
    search: &str,
    replacement: &str,
    which: Which,
    args: &Args<'_>,
) -> Result<Option<String>, FilterError> {
    let position = match which {
        Which::All => {
            let count = if search.is_empty() {
                source.chars().count() + 1
            } else {
                source.matches(search).count()
            };
            let len = (source.len() - count.saturating_mul(search.len()).min(source.len()))
                .saturating_add(count.saturating_mul(replacement.len()));
            if count == 0 {
                return Ok(None);
            }
            args.context.check_string(len)?;
            if !search.is_empty() {
                return Ok(Some(source.replace(search, replacement)));
            }
            let mut out = String::with_capacity(len);
            out.push_str(replacement);
            for c in source.chars() {
                out.push(c);
                out.push_str(replacement);
            }
            return Ok(Some(out));
        }
        Which::First => source.find(search),
        Which::Last => source.rfind(search),
    };
    let Some(start) = position else {
        return Ok(None);
    };
    let len = source.len() - search.len() + replacement.len();
    args.context.check_string(len)?;
    let mut out = String::with_capacity(len);
    out.push_str(&source[..start]);
    out.push_str(replacement);
    out.push_str(&source[start + search.len()..]);
    Ok(Some(out))
}

/// Ruby's `capitalize`: the first character in title case, the rest in lower case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out = String::with_capacity(s.len());
    match titlecase(first) {
        Some(title) => out.push_str(title),
        None => out.extend(first.to_uppercase()),
    }
    out.extend(chars.flat_map(char::to_lowercase));
    out
}

/// The characters whose title case differs from their upper case.
fn titlecase(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{1C4}'..='\u{1C6}' => "\u{1C5}",
        '\u{1C7}'..='\u{1C9}' => "\u{1C8}",
        '\u{1CA}'..='\u{1CC}' => "\u{1CB}",
        '\u{1F1}'..='\u{1F3}' => "\u{1F2}",
        'ﬀ' => "Ff",
        'ﬁ' => "Fi",
        'ﬂ' => "Fl",
        'ﬃ' => "Ffi",
        'ﬄ' => "Ffl",
        'ﬅ' | 'ﬆ' => "St",
        _ => return None,
    })
}

/// White space as Ruby's `split(" ")` sees it.
fn is_awk_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Ruby's `String#split` with a string separator.
fn split(source: &str, separator: &str, args: &Args<'_>) -> Result<Value, FilterError> {
    let cx = args.context;
    let mut items: Vec<Value> = Vec::new();
    // Each part is counted and paid for before it is made.
    let mut push = |part: &str| -> Result<(), FilterError> {
        if items.len() >= cx.max_array_items {
            return Err(FilterError::ArrayTooLarge {
                limit: cx.max_array_items,
            });
        }
        cx.budget
            .reserve(crate::liquid::budget::VALUE_BYTES + part.len())?;
        items.push(Value::str(part));
        Ok(())
    };
    if separator.is_empty() {
        let mut buf = [0u8; 4];
        for c in source.chars() {
            push(c.encode_utf8(&mut buf))?;
        }
    } else if separator == " " {
        for word in source.split(is_awk_space).filter(|w| !w.is_empty()) {
            push(word)?;
        }
    } else {
        // Ruby drops the empty parts at the end.
        let end = source.trim_end_matches(separator).len();
        if end > 0 {
            for part in source[..end].split(separator) {
                push(part)?;
            }
        }
    }
    Ok(Value::array(items))
}

fn slice(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    expect_args(args, 1, 2)?;
    let offset = to_integer(args.get(0).unwrap_or(&Value::Nil), 1)?;
    let length = match args.get(1) {
        None | Some(Value::Nil | Value::Bool(false)) => 1,
        Some(v) => to_integer(v, 2)?,
    };
    match input {
        Value::Array(list) => Ok(Value::array(match bounds(list.len(), offset, length) {
            Some((start, end)) => {
                args.context.check_items(end - start)?;
                list[start..end].to_vec()
            }
            None => Vec::new(),
        })),
        Value::Range(a, b) => {
            let len = usize::try_from(range_len(*a, *b)).unwrap_or(usize::MAX);
            let Some((start, end)) = bounds(len, offset, length) else {
                return Ok(Value::array(Vec::new()));
            };
            args.context.check_items(end - start)?;
            Ok(Value::array(
                (start..end).map(|i| Value::Int(a + i as i64)).collect(),
            ))
        }
        other => {
            let text = text(args, other)?;
            let len = text.chars().count();
            Ok(match bounds(len, offset, length) {
                Some((start, end)) => {
                    // Byte offsets of the characters, then one copy, paid for first.
                    let byte = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
                    let from = byte(start);
                    let to = from
                        + text[from..]
                            .char_indices()
                            .nth(end - start)
                            .map_or(text.len() - from, |(i, _)| i);
                    args.context.check_string(to - from)?;
                    Value::str(&text[from..to])
                }
                None => Value::str(""),
            })
        }
    }
}

/// Ruby's `slice(offset, length)` bounds: `None` where Ruby gives nil.
fn bounds(len: usize, offset: i64, length: i64) -> Option<(usize, usize)> {
    let len = i128::try_from(len).ok()?;
    let mut start = i128::from(offset);
    if start < 0 {
        start += len;
    }
    if start < 0 || start > len || length < 0 {
        return None;
    }
    let end = (start + i128::from(length)).min(len);
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

fn truncate(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    expect_args(args, 0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let length = match args.get(0) {
        Some(v) => to_integer(v, 1)?,
        None => 50,
    };
    let ellipsis = match args.get(1) {
        Some(v) => text(args, v)?,
        None => Cow::Borrowed("..."),
    };
    let source = text(args, input)?;
    if i64::try_from(source.chars().count()).is_ok_and(|n| n <= length) {
        return Ok(string_value(input, source));
    }
    let ellipsis_len = i64::try_from(ellipsis.chars().count()).unwrap_or(i64::MAX);
    let keep = usize::try_from(length.saturating_sub(ellipsis_len)).unwrap_or(0);
    let end = source
        .char_indices()
        .nth(keep)
        .map_or(source.len(), |(i, _)| i);
    concat(args, &source[..end], &ellipsis)
}

fn truncatewords(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    expect_args(args, 0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let words = match args.get(0) {
        Some(v) => to_integer(v, 1)?.max(1),
        None => 15,
    };
    let source = text(args, input)?;
    let mut kept: Vec<&str> = Vec::new();
    let mut rest = source.trim_start_matches(is_awk_space);
    while !rest.is_empty() {
        if i64::try_from(kept.len()).is_ok_and(|n| n >= words) {
            break;
        }
        let end = rest.find(is_awk_space).unwrap_or(rest.len());
        kept.push(&rest[..end]);
        // Ruby's split with a limit keeps the text after the last word it split off, so
        // white space alone after the last kept word still counts as "more".
        rest = &rest[end..];
        if i64::try_from(kept.len()).is_ok_and(|n| n < words) {
            rest = rest.trim_start_matches(is_awk_space);
        }
    }
    if rest.is_empty() {
        return Ok(string_value(input, source));
    }
    let ellipsis = match args.get(1) {
        Some(v) => text(args, v)?,
        None => Cow::Borrowed("..."),
    };
    let kept_len = kept
        .iter()
        .map(|w| w.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    args.context
        .check_string(kept_len.saturating_add(ellipsis.len()))?;
    let mut out = kept.join(" ");
    out.push_str(&ellipsis);
    Ok(Value::from(out))
}

/// The input as a string value, reusing it when it already is one.
fn string_value(input: &Value, source: Cow<'_, str>) -> Value {
    match input {
        Value::Str(_) => input.clone(),
        _ => Value::str(&source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::filters::FilterContext;

    fn call_in(
        context: &FilterContext,
        name: &str,
        input: Value,
        positional: &[Value],
    ) -> Result<Value, FilterError> {
        let filters = Filters::standard();
        let args = Args {
            positional,
            keyword: &[],
            context,
        };
        (filters.get(name).expect("filter exists").func)(&input, &args)
    }

    fn call(name: &str, input: Value, positional: &[Value]) -> Result<Value, FilterError> {
        call_in(&FilterContext::default(), name, input, positional)
    }

    fn run(name: &str, input: &str, positional: &[Value]) -> String {
        call(name, Value::str(input), positional)
            .expect("filter succeeds")
            .to_text()
    }

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    fn joined(value: Value) -> String {
        match value {
            Value::Array(items) => items
                .iter()
                .map(Value::to_text)
                .collect::<Vec<_>>()
                .join("|"),
            other => panic!("expected an array, got {other:?}"),
        }
    }

    #[test]
    fn case_changes() {
        assert_eq!(run("upcase", "straße", &[]), "STRASSE");
        assert_eq!(run("downcase", "ΣΑΣ Ünïcödé", &[]), "σασ ünïcödé");
        assert_eq!(run("capitalize", "hELLO wORLD", &[]), "Hello world");
        assert_eq!(run("capitalize", "ǆemal", &[]), "ǅemal");
        assert_eq!(run("capitalize", "दिवाली", &[]), "दिवाली");
        assert_eq!(run("capitalize", "", &[]), "");
        assert_eq!(call("upcase", Value::Int(7), &[]).unwrap().to_text(), "7");
    }

    #[test]
    fn white_space() {
        assert_eq!(run("strip", "\t x y \n\0", &[]), "x y");
        assert_eq!(run("lstrip", "  x  ", &[]), "x  ");
        assert_eq!(run("rstrip", "  x  ", &[]), "  x");
        // Ruby leaves non-ASCII spaces alone.
        assert_eq!(run("strip", "\u{3000}x\u{a0}", &[]), "\u{3000}x\u{a0}");
        assert_eq!(run("strip_newlines", "a\r\nb\nc\rd", &[]), "abc\rd");
        assert_eq!(run("newline_to_br", "a\r\nb\n", &[]), "a<br />\nb<br />\n");
    }

    #[test]
    fn append_and_prepend() {
        assert_eq!(run("append", "🎉", &[s("दिवाली")]), "🎉दिवाली");
        assert_eq!(run("prepend", "world", &[Value::Int(1)]), "1world");
        assert_eq!(
            call("append", Value::Nil, &[Value::Nil]).unwrap().to_text(),
            ""
        );
        assert!(matches!(
            call("append", s("a"), &[]),
            Err(FilterError::ArgumentCount { .. })
        ));
    }

    #[test]
    fn append_respects_the_string_limit() {
        let context = FilterContext {
            max_string_bytes: 16,
            ..FilterContext::default()
        };
        let mut value = s("ab");
        let mut failed = false;
        for _ in 0..10 {
            match call_in(&context, "append", value.clone(), &[value.clone()]) {
                Ok(v) => value = v,
                Err(e) => {
                    assert_eq!(e, FilterError::StringTooLarge { limit: 16 });
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed);
        assert_eq!(value.to_text().len(), 16);
    }

    #[test]
    fn replace_family() {
        assert_eq!(run("replace", "a.b.c", &[s("."), s("::")]), "a::b::c");
        assert_eq!(run("replace", "abc", &[s(""), s("-")]), "-a-b-c-");
        assert_eq!(run("replace", "🎉x🎉", &[s("🎉")]), "x");
        assert_eq!(run("replace_first", "🎉x🎉", &[s("🎉"), s("!")]), "!x🎉");
        assert_eq!(run("replace_last", "🎉x🎉", &[s("🎉"), s("!")]), "🎉x!");
        assert_eq!(run("replace_last", "abc", &[s(""), s("!")]), "abc!");
        assert_eq!(run("replace_first", "abc", &[s(""), s("!")]), "!abc");
        assert_eq!(run("remove", "banana", &[s("an")]), "ba");
        assert_eq!(run("remove_first", "banana", &[s("an")]), "bana");
        assert_eq!(run("remove_last", "banana", &[s("an")]), "bana");
        assert_eq!(run("remove_last", "banana", &[s("x")]), "banana");
        assert!(call("replace_last", s("a"), &[s("a")]).is_err());
        assert!(call("remove", s("a"), &[s("a"), s("b")]).is_err());
    }

    #[test]
    fn replace_respects_the_string_limit() {
        let context = FilterContext {
            max_string_bytes: 100,
            ..FilterContext::default()
        };
        let big = s(&"x".repeat(50));
        assert!(matches!(
            call_in(&context, "replace", big.clone(), &[s("x"), s("yyy")]),
            Err(FilterError::StringTooLarge { .. })
        ));
        assert!(matches!(
            call_in(&context, "replace", big, &[s(""), s("ab")]),
            Err(FilterError::StringTooLarge { .. })
        ));
    }

    #[test]
    fn split_like_ruby() {
        assert_eq!(
            joined(call("split", s("a,b,,c,,"), &[s(",")]).unwrap()),
            "a|b||c"
        );
        assert_eq!(joined(call("split", s(",a"), &[s(",")]).unwrap()), "|a");
        assert_eq!(
            joined(call("split", s("  a \t b\n"), &[s(" ")]).unwrap()),
            "a|b"
        );
        assert_eq!(
            joined(call("split", s("🎉दि"), &[s("")]).unwrap()),
            "🎉|द|ि"
        );
        assert_eq!(joined(call("split", s(""), &[s(",")]).unwrap()), "");
        assert_eq!(joined(call("split", s(",,"), &[s(",")]).unwrap()), "");
        assert_eq!(
            joined(call("split", Value::Int(1020), &[Value::Int(2)]).unwrap()),
            "10|0"
        );
    }

    #[test]
    fn split_respects_the_array_limit() {
        let context = FilterContext {
            max_array_items: 3,
            ..FilterContext::default()
        };
        assert!(call_in(&context, "split", s("abc"), &[s("")]).is_ok());
        assert_eq!(
            call_in(&context, "split", s("abcd"), &[s("")]).err(),
            Some(FilterError::ArrayTooLarge { limit: 3 })
        );
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(
            run("truncate", "दिवाली की शुभकामनाएं", &[Value::Int(8)]),
            "दिवाल..."
        );
        assert_eq!(
            run("truncate", "🎉🎉🎉🎉", &[Value::Int(3), s("")]),
            "🎉🎉🎉"
        );
        assert_eq!(run("truncate", "🎉🎉🎉🎉", &[Value::Int(4)]), "🎉🎉🎉🎉");
        assert_eq!(run("truncate", "abcdef", &[Value::Int(2)]), "...");
        assert_eq!(run("truncate", "abcdef", &[Value::Int(-5)]), "...");
        assert_eq!(
            run("truncate", "abcdef", &[Value::Int(5), s("🎉")]),
            "abcd🎉"
        );
        assert_eq!(run("truncate", "abc", &[Value::Int(i64::MAX)]), "abc");
        assert_eq!(run("truncate", "abcdef", &[Value::Int(i64::MIN)]), "...");
        assert_eq!(run("truncate", "abcdef", &[s("4")]), "a...");
        assert!(call("truncate", s("abc"), &[Value::Float(1.5)]).is_err());
        assert!(call("truncate", s("abc"), &[Value::Nil]).is_err());
        assert!(matches!(
            call("truncate", Value::Nil, &[Value::Int(1)]),
            Ok(Value::Nil)
        ));
    }

    #[test]
    fn truncatewords_counts_words() {
        let words = |input: &str, n: i64| run("truncatewords", input, &[Value::Int(n)]);
        assert_eq!(words("one two three", 2), "one two...");
        assert_eq!(words("one two three", 3), "one two three");
        assert_eq!(words("one\ttwo\n\nthree", 2), "one two...");
        assert_eq!(words("  one  two  ", 5), "  one  two  ");
        // As in Ruby: trailing white space after the last kept word counts as more text.
        assert_eq!(words("one two ", 2), "one two...");
        assert_eq!(words("one two three", -3), "one...");
        assert_eq!(words("one two", i64::MAX), "one two");
        assert_eq!(words("🎉 दिवाली 🎉", 2), "🎉 दिवाली...");
        assert_eq!(
            run("truncatewords", "a b c", &[Value::Int(1), s(" (more)")]),
            "a (more)"
        );
    }

    fn show(result: Result<Value, FilterError>) -> String {
        match result.expect("filter succeeds") {
            Value::Array(items) => joined(Value::Array(items)),
            other => other.to_text(),
        }
    }

    #[test]
    fn slice_strings_by_character() {
        let word = s("दिवाली🎉");
        assert_eq!(
            show(call("slice", word.clone(), &[Value::Int(0), Value::Int(2)])),
            "दि"
        );
        assert_eq!(show(call("slice", word.clone(), &[Value::Int(-1)])), "🎉");
        assert_eq!(
            show(call(
                "slice",
                word.clone(),
                &[Value::Int(-3), Value::Int(99)]
            )),
            "ली🎉"
        );
        assert_eq!(show(call("slice", word.clone(), &[Value::Int(7)])), "");
        assert_eq!(show(call("slice", word.clone(), &[Value::Int(8)])), "");
        assert_eq!(show(call("slice", word.clone(), &[Value::Int(-8)])), "");
        assert_eq!(
            show(call(
                "slice",
                word.clone(),
                &[Value::Int(1), Value::Int(-1)]
            )),
            ""
        );
        assert_eq!(
            show(call(
                "slice",
                word.clone(),
                &[Value::Int(i64::MIN), Value::Int(i64::MAX)]
            )),
            ""
        );
        assert_eq!(
            show(call(
                "slice",
                word.clone(),
                &[Value::Int(6), Value::Int(i64::MAX)]
            )),
            "🎉"
        );
        assert!(call("slice", word.clone(), &[Value::Float(1.0)]).is_err());
        assert!(call("slice", word.clone(), &[]).is_err());
    }

    #[test]
    fn slice_arrays_and_ranges() {
        let nums = Value::array((1..=4).map(Value::Int).collect());
        assert_eq!(
            show(call("slice", nums.clone(), &[Value::Int(1), Value::Int(2)])),
            "2|3"
        );
        assert_eq!(
            show(call(
                "slice",
                nums.clone(),
                &[Value::Int(-1), Value::Int(5)]
            )),
            "4"
        );
        assert_eq!(show(call("slice", nums.clone(), &[Value::Int(9)])), "");
        let huge = Value::Range(1, i64::MAX);
        assert_eq!(
            show(call(
                "slice",
                huge.clone(),
                &[Value::Int(-2), Value::Int(2)]
            )),
            format!("{}|{}", i64::MAX - 1, i64::MAX)
        );
        assert!(
            call(
                "slice",
                huge.clone(),
                &[Value::Int(0), Value::Int(i64::MAX)]
            )
            .is_err()
        );
    }
}
