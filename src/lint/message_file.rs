//! A message file read with the places of its values, so that a finding in a field's
//! template can point into the file: the field's string is found by its span in the
//! TOML text, and decoded again here with a map from each byte of the value to the
//! byte of the file it came from (escapes, line-ending backslashes and the newline
//! after `'''` or `"""` included). When our decoding does not reproduce the TOML
//! parser's value exactly, the field gets no map and its findings name the field and
//! the line:col in its template instead.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use crate::liquid::Span;

/// The message file's shape (as `Message::from_toml` reads it), with spans.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageFile {
    #[serde(default)]
    pub event: Option<Spanned<String>>,
    #[serde(default)]
    pub events: Vec<Spanned<String>>,
    pub channel: Spanned<String>,
    pub fields: IndexMap<Spanned<String>, Spanned<String>>,
}

/// Parses a message file; the error is the TOML parser's message and its place.
pub(crate) fn parse(text: &str) -> Result<MessageFile, (String, Option<Span>)> {
    toml::from_str(text).map_err(|e| {
        (
            e.message().trim_end().replace('\n', " "),
            e.span().map(|r| Span::new(r.start, r.end)),
        )
    })
}

/// Where each byte of a field's value is in the file.
pub(crate) struct FieldMap {
    /// The file offset of each byte of the value, and of its end.
    offsets: Vec<usize>,
}

impl FieldMap {
    /// The map of the string whose TOML token is at `span` of `text`, decoding to
    /// `value`; `None` when it cannot be rebuilt.
    pub(crate) fn new(text: &str, span: Range<usize>, value: &str) -> Option<FieldMap> {
        let raw = text.get(span.clone())?;
        let (delimiter, basic) = ["\"\"\"", "'''", "\"", "'"]
            .into_iter()
            .find(|d| raw.starts_with(d) && raw.len() >= 2 * d.len() && raw.ends_with(d))
            .map(|d| (d, d.starts_with('"')))?;
        let mut start = span.start + delimiter.len();
        let end = span.end - delimiter.len();
        if delimiter.len() == 3 {
            // A newline right after the opening delimiter is not part of the value.
            if text[start..end].starts_with("\r\n") {
                start += 2;
            } else if text[start..end].starts_with('\n') {
                start += 1;
            }
        }
        let multiline = delimiter.len() == 3;
        let (decoded, mut offsets) = if basic {
            decode_basic(text, start, end, multiline)?
        } else {
            decode_literal(text, start, end, multiline)
        };
        if decoded != value {
            return None;
        }
        offsets.push(end);
        Some(FieldMap { offsets })
    }

    /// The file span of a span of the value.
    pub(crate) fn span(&self, span: Span) -> Span {
        let at = |i: u32| {
            self.offsets
                .get(i as usize)
                .or(self.offsets.last())
                .copied()
                .unwrap_or(0)
        };
        Span::new(at(span.start), at(span.end).max(at(span.start)))
    }
}

/// A literal string's content `text[start..end]`, with each byte's offset: verbatim,
/// but for the CRLF line ends of a multi-line string, which TOML reads as LF.
fn decode_literal(text: &str, start: usize, end: usize, multiline: bool) -> (String, Vec<usize>) {
    let content = &text[start..end];
    let mut out = String::with_capacity(content.len());
    let mut offsets = Vec::with_capacity(content.len());
    for (i, c) in content.char_indices() {
        if multiline && c == '\r' && content[i + 1..].starts_with('\n') {
            continue;
        }
        out.push(c);
        offsets.extend(std::iter::repeat_n(start + i, c.len_utf8()));
    }
    (out, offsets)
}

/// Decodes a basic string's content `text[start..end]`, with each byte's offset.
fn decode_basic(
    text: &str,
    start: usize,
    end: usize,
    multiline: bool,
) -> Option<(String, Vec<usize>)> {
    let content = &text[start..end];
    let mut out = String::with_capacity(content.len());
    let mut offsets = Vec::with_capacity(content.len());
    let mut chars = content.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = start + i;
        if multiline && c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            continue;
        }
        if c != '\\' {
            out.push(c);
            offsets.extend(std::iter::repeat_n(at, c.len_utf8()));
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            '"' => '"',
            '\\' => '\\',
            'u' | 'U' => {
                let digits = if e == 'u' { 4 } else { 8 };
                let hex: String = (0..digits)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            w if multiline && w.is_whitespace() => {
                // A line-ending backslash: drop the whitespace up to the next text.
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        out.push(decoded);
        offsets.extend(std::iter::repeat_n(at, decoded.len_utf8()));
    }
    Some((out, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(text: &str) -> (String, FieldMap) {
        let file = parse(text).ok().unwrap();
        let (_, value) = file.fields.into_iter().next().unwrap();
        let span = value.span();
        let value = value.into_inner();
        let map = FieldMap::new(text, span, &value).expect("the value maps");
        (value, map)
    }

    fn file_text_at(text: &str, value: &str, map: &FieldMap, needle: &str) -> String {
        let start = value.find(needle).unwrap();
        let span = map.span(Span::at(start, needle.len()));
        text[span.start as usize..span.end as usize].to_owned()
    }

    #[test]
    fn every_kind_of_string_maps_back_to_the_file() {
        for (text, needle, expected) in [
            (
                "channel = \"sms\"\n[fields]\nbody = \"Hi {{ x }}\"\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = 'Hi {{ x }}'\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = '''\nHi\n{{ x }}'''\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = \"\"\"\nA \\\n   B {{ \\\"x\\\" }}\"\"\"\n",
                "B {{ \"x\" }}",
                "B {{ \\\"x\\\" }}",
            ),
            (
                "channel = \"sms\"\r\n[fields]\r\nbody = \'\'\'\r\nHi\r\n{{ x }}\'\'\'\r\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\r\n[fields]\r\nbody = \"\"\"\r\nHi\r\n{{ x }}\"\"\"\r\n",
                "{{ x }}",
                "{{ x }}",
            ),
            (
                "channel = \"sms\"\n[fields]\nbody = \"\\u00e9 \\n {{ y }}\"\n",
                "{{ y }}",
                "{{ y }}",
            ),
        ] {
            let (value, map) = map_of(text);
            assert_eq!(file_text_at(text, &value, &map, needle), expected, "{text}");
        }
    }

    #[test]
    fn a_toml_error_has_its_place() {
        let Err((message, span)) = parse("channel = \"sms\"\nfields = 3\n") else {
            panic!()
        };
        assert!(message.contains("invalid type"), "{message}");
        assert_eq!(span.map(|s| s.start), Some(25)); // the `3`
    }
}
