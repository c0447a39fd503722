//! The one error type of the language layer.
//!
//! An [`Error`] has a [`ErrorKind`], a one-line message, and, where it came from a
//! template, the template's name and the line and column. `{}` prints one line;
//! `{:#}` adds the source line with a caret under the place.

use std::fmt;
use std::sync::Arc;

/// What went wrong, broadly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The template does not parse.
    Syntax,
    /// A tag the environment does not know.
    UnknownTag,
    /// A filter the environment does not know.
    UnknownFilter,
    /// An undefined value was output under the strict policy.
    UndefinedVariable,
    /// A filter failed on its input or arguments.
    Filter,
    /// A value of the wrong type for an operation (`'2' > 1`, `limit: 'x'`).
    Type,
    /// A partial that the loader cannot find.
    PartialNotFound,
    /// A resource limit was reached.
    LimitExceeded,
}

impl ErrorKind {
    /// A short lowercase name: `syntax error`, `unknown filter`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::UnknownTag => "unknown tag",
            ErrorKind::UnknownFilter => "unknown filter",
            ErrorKind::UndefinedVariable => "undefined variable",
            ErrorKind::Filter => "filter error",
            ErrorKind::Type => "type error",
            ErrorKind::PartialNotFound => "partial not found",
            ErrorKind::LimitExceeded => "limit exceeded",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range in a template's source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// The first byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span `len` bytes long starting at `start`.
    pub fn at(start: usize, len: usize) -> Span {
        Span::new(start, start + len)
    }
}

/// A line and column (both 1-based; the column counts characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
pub struct LineCol {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1, in characters.
    pub col: u32,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

impl LineCol {
    /// The line and column of byte `offset` in `source`.
    pub fn of(source: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let before = &source[..offset];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() as u32 + 1;
        LineCol { line, col }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where in a template an error is.
#[derive(Clone, Debug)]
struct Location {
    at: LineCol,
    /// The whole source line, for the caret display.
    line_text: String,
    /// How many characters the caret covers.
    width: usize,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    template: Option<Arc<str>>,
    location: Option<Location>,
}

/// An error from compiling or rendering a template.
pub struct Error(Box<Inner>);

impl Error {
    /// An error of `kind` with `message` and no location yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            template: None,
            location: None,
        }))
    }

    /// Locates the error at `span` of `source`, unless it is located already.
    pub fn with_span(mut self, source: &str, span: Span) -> Error {
        if self.0.location.is_none() {
            let start = floor_char_boundary(source, (span.start as usize).min(source.len()));
            let at = LineCol::of(source, start);
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = source[start..]
                .find('\n')
                .map_or(source.len(), |i| start + i);
            let end = floor_char_boundary(source, (span.end as usize).clamp(start, line_end));
            let line_text = source[line_start..line_end]
                .trim_end_matches('\r')
                .to_owned();
            self.0.location = Some(Location {
                at,
                line_text,
                width: source[start..end].chars().count().max(1),
            });
        }
        self
    }

    /// Names the template the error is in, unless it is named already.
    pub fn with_template(mut self, name: &Arc<str>) -> Error {
        if self.0.template.is_none() {
            self.0.template = Some(name.clone());
        }
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The one-line message, without kind or location.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The name of the template the error is in.
    pub fn template(&self) -> Option<&str> {
        self.0.template.as_deref()
    }

    /// The line and column of the error.
    pub fn line_col(&self) -> Option<LineCol> {
        self.0.location.as_ref().map(|l| l.at)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({self:#})")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        write!(f, "{}: {}", inner.kind, inner.message)?;
        match (&inner.template, &inner.location) {
            (Some(name), Some(loc)) => write!(f, " at {name}:{}", loc.at)?,
            (None, Some(loc)) => write!(f, " at {}", loc.at)?,
            (Some(name), None) => write!(f, " in {name}")?,
            (None, None) => {}
        }
        if f.alternate() {
            if let Some(loc) = &inner.location {
                let gutter = loc.at.line.to_string();
                let pad = " ".repeat(gutter.len());
                let before: String = loc
                    .line_text
                    .chars()
                    .take(loc.at.col as usize - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(
                    f,
                    "\n{pad} |\n{gutter} | {}\n{pad} | {before}{}",
                    loc.line_text,
                    "^".repeat(loc.width)
                )?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The closest of `candidates` to `word`, if any is close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(3) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// The Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_format_shows_the_line_and_a_caret() {
        let source = "Hi\n{{ name | upcse }}";
        let err = Error::new(ErrorKind::UnknownFilter, "unknown filter \"upcse\"")
            .with_span(source, Span::at(14, 5))
            .with_template(&Arc::from("push.body"));
        assert_eq!(
            err.to_string(),
            "unknown filter: unknown filter \"upcse\" at push.body:2:12"
        );
        assert_eq!(
            format!("{err:#}"),
            "unknown filter: unknown filter \"upcse\" at push.body:2:12\n  |\n2 | {{ name | upcse }}\n  |            ^^^^^"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["upcase", "downcase", "append"];
        assert_eq!(did_you_mean("upcse", names), Some("upcase"));
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
