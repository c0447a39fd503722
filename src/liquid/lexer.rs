//! Splits a template's source into text, output (`{{ }}`) and tag (`{% %}`) tokens,
//! applying whitespace control (`{{-`, `-%}`) and taking `raw` and `doc` bodies
//! verbatim.

use super::error::{Error, ErrorKind, Span};

/// One token of a template.
#[derive(Clone, Debug, PartialEq)]
pub enum Token<'s> {
    /// Literal text, already trimmed by whitespace control.
    Text(&'s str),
    /// The inside of `{{ ... }}`.
    Output {
        /// The expression source.
        inner: &'s str,
        /// Where `inner` starts in the template.
        offset: usize,
        /// The whole markup.
        span: Span,
    },
    /// A tag: `{% name args %}`, or a line of a `liquid` tag.
    Tag {
        /// The tag name (`#` for an inline comment).
        name: &'s str,
        /// The rest of the markup.
        args: &'s str,
        /// Where `args` starts in the template.
        offset: usize,
        /// The whole markup.
        span: Span,
    },
}

/// Whether `c` is white space that whitespace control strips.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Tokenizes a whole template.
pub fn tokenize(source: &str) -> Result<Vec<Token<'_>>, Error> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    let bytes = source.as_bytes();
    while pos < source.len() {
        let Some(found) = find_markup(source, pos) else {
            push_text(&mut tokens, &source[pos..], trim_next, false);
            break;
        };
        let is_output = bytes[found + 1] == b'{';
        let trim_before = bytes.get(found + 2) == Some(&b'-');
        push_text(&mut tokens, &source[pos..found], trim_next, trim_before);
        let inner_start = found + 2 + trim_before as usize;
        let close = if is_output { "}}" } else { "%}" };
        let Some(rel) = source[inner_start..].find(close) else {
            let what = if is_output { "output" } else { "tag" };
            return Err(syntax(
                format!("{what} is never closed: expected \"{close}\""),
                source,
                Span::at(found, 2),
            ));
        };
        let mut inner_end = inner_start + rel;
        let end = inner_end + 2;
        trim_next = inner_end > inner_start && bytes[inner_end - 1] == b'-';
        if trim_next {
            inner_end -= 1;
        }
        let span = Span::new(found, end);
        let inner = &source[inner_start..inner_end];
        if is_output {
            tokens.push(Token::Output {
                inner,
                offset: inner_start,
                span,
            });
            pos = end;
            continue;
        }
        let (name, args, args_offset) = split_tag(inner, inner_start, source, span)?;
        tokens.push(Token::Tag {
            name,
            args,
            offset: args_offset,
            span,
        });
        pos = end;
        if name == "raw" || name == "doc" {
            pos = verbatim_body(source, pos, name, span, &mut tokens, &mut trim_next)?;
        }
    }
    Ok(tokens)
}

/// Finds the next `{{` or `{%` at or after `from`.
fn find_markup(source: &str, from: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut i = from;
    while let Some(rel) = source[i..].find('{') {
        let at = i + rel;
        match bytes.get(at + 1) {
            Some(b'{') | Some(b'%') => return Some(at),
            _ => i = at + 1,
        }
    }
    None
}

fn push_text<'s>(tokens: &mut Vec<Token<'s>>, mut text: &'s str, trim_start: bool, trim_end: bool) {
    if trim_start {
        text = text.trim_start_matches(is_ws);
    }
    if trim_end {
        text = text.trim_end_matches(is_ws);
    }
    if !text.is_empty() {
        tokens.push(Token::Text(text));
    }
}

/// Splits tag markup into its name and arguments.
fn split_tag<'s>(
    inner: &'s str,
    inner_start: usize,
    source: &str,
    span: Span,
) -> Result<(&'s str, &'s str, usize), Error> {
    let lead = inner.len() - inner.trim_start_matches(is_ws).len();
    let body = &inner[lead..];
    if let Some(rest) = body.strip_prefix('#') {
        return Ok(("#", rest, inner_start + lead + 1));
    }
    let name_len = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if name_len == 0 {
        let found = body.split(is_ws).next().unwrap_or("");
        let message = if found.is_empty() {
            "expected a tag name, found nothing".to_owned()
        } else {
            format!("expected a tag name, found \"{found}\"")
        };
        return Err(syntax(message, source, span));
    }
    let name = &body[..name_len];
    let args = &body[name_len..];
    Ok((name, args, inner_start + lead + name_len))
}

/// Takes the body of `raw` or `doc` verbatim, up to its closing tag.
fn verbatim_body<'s>(
    source: &'s str,
    start: usize,
    name: &str,
    open_span: Span,
    tokens: &mut Vec<Token<'s>>,
    trim_next: &mut bool,
) -> Result<usize, Error> {
    let end_name = if name == "raw" { "endraw" } else { "enddoc" };
    let mut search = start;
    while let Some(found) = source[search..].find("{%").map(|i| search + i) {
        let mut i = found + 2;
        let trim_before = source.as_bytes().get(i) == Some(&b'-');
        i += trim_before as usize;
        let rest = source[i..].trim_start_matches(is_ws);
        if let Some(after) = rest.strip_prefix(end_name) {
            let after_trimmed = after.trim_start_matches(is_ws);
            let (trim_after, close_len) = if after_trimmed.starts_with("-%}") {
                (true, 3)
            } else if after_trimmed.starts_with("%}") {
                (false, 2)
            } else {
                search = found + 2;
                continue;
            };
            // The body is verbatim: `{% raw -%}` does not trim its start (as in Shopify);
            // `{%- endraw %}` trims its end.
            if name == "raw" {
                push_text(tokens, &source[start..found], false, trim_before);
            }
            let end = source.len() - after_trimmed.len() + close_len;
            let span = Span::new(found, end);
            tokens.push(Token::Tag {
                name: if name == "raw" { "endraw" } else { "enddoc" },
                args: "",
                offset: span.end as usize,
                span,
            });
            *trim_next = trim_after;
            return Ok(end);
        }
        search = found + 2;
    }
    Err(syntax(
        format!("\"{name}\" is never closed: expected \"{{% {end_name} %}}\""),
        source,
        open_span,
    ))
}

/// Tokenizes the body of a `liquid` tag: one tag per line, no delimiters.
pub fn tokenize_liquid<'s>(
    body: &'s str,
    offset: usize,
    source: &str,
) -> Result<Vec<Token<'s>>, Error> {
    let mut tokens = Vec::new();
    let mut comment_depth = 0usize;
    let mut line_start = 0;
    for line in body.split('\n') {
        let start = line_start;
        line_start += line.len() + 1;
        let lead = line.len() - line.trim_start_matches(is_ws).len();
        let text = line[lead..].trim_end_matches(is_ws);
        if text.is_empty() {
            continue;
        }
        let abs = offset + start + lead;
        let span = Span::at(abs, text.len());
        let (name, args, args_offset) = split_tag(text, abs, source, span)?;
        if comment_depth > 0 {
            match name {
                "comment" => comment_depth += 1,
                "endcomment" => comment_depth -= 1,
                _ => continue,
            }
            if comment_depth > 0 {
                continue;
            }
        } else if name == "comment" {
            comment_depth = 1;
        }
        if name == "#" {
            continue;
        }
        tokens.push(Token::Tag {
            name,
            args,
            offset: args_offset,
            span,
        });
    }
    Ok(tokens)
}

pub(crate) fn syntax(message: impl Into<String>, source: &str, span: Span) -> Error {
    Error::new(ErrorKind::Syntax, message).with_span(source, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<String> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|t| match t {
                Token::Text(s) => format!("T({s})"),
                Token::Output { inner, .. } => format!("O({inner})"),
                Token::Tag { name, args, .. } => format!("G({name}|{args})"),
            })
            .collect()
    }

    #[test]
    fn splits_text_output_and_tags() {
        assert_eq!(
            kinds("a {{ x }} b {% if y %}c{% endif %}"),
            [
                "T(a )",
                "O( x )",
                "T( b )",
                "G(if| y )",
                "T(c)",
                "G(endif| )"
            ]
        );
    }

    #[test]
    fn whitespace_control_trims_both_sides() {
        assert_eq!(kinds("a \n {{- x -}} \n b"), ["T(a)", "O( x )", "T(b)"]);
    }

    #[test]
    fn raw_body_is_verbatim() {
        assert_eq!(
            kinds("{% raw %}{{ x }}{% endraw %}!"),
            ["G(raw| )", "T({{ x }})", "G(endraw|)", "T(!)"]
        );
    }

    #[test]
    fn unclosed_output_is_an_error_at_its_start() {
        let err = tokenize("ab\n  {{ x").unwrap_err();
        assert_eq!(err.line_col().unwrap().to_string(), "2:3");
    }
}
