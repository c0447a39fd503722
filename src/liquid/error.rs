//! The one error type of the language layer, the rustc-style report every error and
//! finding of the crate prints as, and the one suggestion rule ([`suggest`]).
//!
//! An [`Error`] has an [`ErrorKind`], a one-line message, an optional help line (a
//! did-you-mean), and, where it came from a template, the template's name and the byte
//! range it is about. `{}` prints one line; `{:#}` prints it as rustc prints its own
//! errors: the kind, `--> name:line:col`, the source line in a gutter with carets under
//! the range, and `= help:`.

use std::fmt::{self, Write as _};
use std::ops::Range;
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
    /// A `snippet` tag named a snippet the loader does not have, and gave no fallback
    /// (or the fallback is missing too).
    MissingSnippet,
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
            ErrorKind::MissingSnippet => "missing snippet",
            ErrorKind::LimitExceeded => "limit exceeded",
        }
    }

    /// The kind as a code, in snake_case: `syntax`, `unknown_filter`, ... These are
    /// the failure kinds outcomes carry (see `message::FailureKind`).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownTag => "unknown_tag",
            ErrorKind::UnknownFilter => "unknown_filter",
            ErrorKind::UndefinedVariable => "undefined_variable",
            ErrorKind::Filter => "filter",
            ErrorKind::Type => "type",
            ErrorKind::PartialNotFound => "partial_not_found",
            ErrorKind::MissingSnippet => "missing_snippet",
            ErrorKind::LimitExceeded => "limit_exceeded",
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

    /// The span as a range of byte offsets.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A line and column (both 1-based; the column counts characters).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
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

    /// The byte offset of this line and column in `source` (the end of the line, or
    /// of the source, when the column or line is past it).
    pub fn offset_in(self, source: &str) -> usize {
        let line_start: usize = source
            .split_inclusive('\n')
            .take(self.line.saturating_sub(1) as usize)
            .map(str::len)
            .sum();
        let line = &source[line_start.min(source.len())..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        line_start
            + line
                .char_indices()
                .nth(self.col.saturating_sub(1) as usize)
                .map_or(line.len(), |(i, _)| i)
    }
}

pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where in a template an error is.
#[derive(Clone, Debug)]
struct Location {
    span: Span,
    at: LineCol,
    /// The whole source line, for the caret display.
    line_text: String,
    /// How many characters the caret covers.
    width: usize,
}

#[derive(Clone, Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    help: Option<String>,
    template: Option<Arc<str>>,
    location: Option<Location>,
}

/// An error from compiling or rendering a template. Its parts are data: [`kind`],
/// [`message`], [`help`], [`template`], [`span`] and [`line_col`]; no caller needs to
/// read its text.
///
/// [`kind`]: Error::kind
/// [`message`]: Error::message
/// [`help`]: Error::help
/// [`template`]: Error::template
/// [`span`]: Error::span
/// [`line_col`]: Error::line_col
#[derive(Clone)]
pub struct Error(Box<Inner>);

impl Error {
    /// An error of `kind` with `message` and no location yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            help: None,
            template: None,
            location: None,
        }))
    }

    /// Locates the error at `span` of `source`, unless it is located already.
    pub fn with_span(mut self, source: &str, span: Span) -> Error {
        if self.0.location.is_none() {
            let start = floor_char_boundary(source, span.start as usize);
            let at = LineCol::of(source, start);
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = source[start..]
                .find('\n')
                .map_or(source.len(), |i| start + i);
            let end = floor_char_boundary(source, (span.end as usize).clamp(start, line_end));
            let line_text = source[line_start..line_end]
                .trim_end_matches('\r')
                .to_owned();
            let end_all = floor_char_boundary(source, (span.end as usize).max(start));
            self.0.location = Some(Location {
                span: Span::new(start, end_all),
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

    /// Adds a help line: how to fix it, such as `did you mean "upcase"?`.
    pub fn with_help(mut self, help: impl Into<String>) -> Error {
        self.0.help = Some(help.into());
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The one-line message, without kind, help or location.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// How to fix it, when there is something to say (a did-you-mean).
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The name of the template the error is in.
    pub fn template(&self) -> Option<&str> {
        self.0.template.as_deref()
    }

    /// The bytes of the template's source the error is about.
    pub fn span(&self) -> Option<Span> {
        self.0.location.as_ref().map(|l| l.span)
    }

    /// The byte range of the template's source the error is about.
    pub fn range(&self) -> Option<Range<usize>> {
        self.span().map(Span::range)
    }

    /// The line and column of the error.
    pub fn line_col(&self) -> Option<LineCol> {
        self.0.location.as_ref().map(|l| l.at)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({self})")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        if f.alternate() {
            let place = match (&inner.template, &inner.location) {
                (Some(name), Some(loc)) => format!("{name}:{}", loc.at),
                (None, Some(loc)) => loc.at.to_string(),
                (Some(name), None) => name.to_string(),
                (None, None) => String::new(),
            };
            let snippet = inner.location.as_ref().map(|loc| Snippet {
                at: loc.at,
                line: &loc.line_text,
                width: loc.width,
            });
            let report = Annotation {
                severity: "error",
                code: inner.kind.code(),
                message: &inner.message,
                place: (!place.is_empty()).then_some(place.as_str()),
                snippet,
                help: inner.help.as_deref(),
            };
            let mut text = String::new();
            report.write(&mut text)?;
            return f.write_str(text.trim_end_matches('\n'));
        }
        write!(f, "{}: {}", inner.kind, inner.message)?;
        if let Some(help) = &inner.help {
            write!(f, " ({help})")?;
        }
        match (&inner.template, &inner.location) {
            (Some(name), Some(loc)) => write!(f, " at {name}:{}", loc.at),
            (None, Some(loc)) => write!(f, " at {}", loc.at),
            (Some(name), None) => write!(f, " in {name}"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

/// The source line a report shows, with the place and width of its carets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Snippet<'a> {
    /// The line and column the carets start at.
    pub at: LineCol,
    /// The whole line (without its line end).
    pub line: &'a str,
    /// How many characters the carets cover (at least one).
    pub width: usize,
}

impl<'a> Snippet<'a> {
    /// The snippet of `span` in `source`; `None` when the span is not in it.
    pub(crate) fn of(source: &'a str, span: Span) -> Option<Snippet<'a>> {
        let start = span.start as usize;
        if start > source.len() || !source.is_char_boundary(start) {
            return None;
        }
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let end = floor_char_boundary(source, (span.end as usize).clamp(start, line_end));
        Some(Snippet {
            at: LineCol::of(source, start),
            line: source[line_start..line_end].trim_end_matches('\r'),
            width: source[start..end].chars().count().max(1),
        })
    }
}

impl Snippet<'_> {
    /// The longest line a report shows whole, in characters.
    const MAX_CHARS: usize = 200;
    /// How many characters of a longer line it shows on each side of the place.
    const CONTEXT: usize = 60;

    /// The line as shown, the carets' column in it (from 0) and their width: a long
    /// line (a whole template on one line) is cut to a window around the place, with
    /// `...` where it was cut, so that a report stays a few lines long.
    fn window(&self) -> (String, usize, usize) {
        let col = (self.at.col as usize).saturating_sub(1);
        let len = self.line.chars().count();
        if len <= Self::MAX_CHARS {
            return (self.line.to_owned(), col, self.width);
        }
        let width = self.width.min(Self::MAX_CHARS / 2);
        let start = col.saturating_sub(Self::CONTEXT);
        let end = (col + width + Self::CONTEXT).min(len);
        let mut shown: String = if start > 0 {
            "...".into()
        } else {
            String::new()
        };
        let caret = shown.len() + (col - start);
        shown.extend(self.line.chars().skip(start).take(end - start));
        if end < len {
            shown.push_str("...");
        }
        (shown, caret, width)
    }
}

/// One error or finding as rustc prints its own:
///
/// ```text
/// error[unknown_filter]: unknown filter "upcse"
///  --> push.toml:6:20
///   |
/// 6 | body = "{{ name | upcse }}"
///   |                   ^^^^^
///   = help: did you mean "upcase"?
/// ```
#[derive(Clone, Copy, Debug)]
pub(crate) struct Annotation<'a> {
    /// `error` or `warning`.
    pub severity: &'a str,
    /// The code in brackets.
    pub code: &'a str,
    /// The one-line message.
    pub message: &'a str,
    /// What follows `-->`: `file:line:col`, or a name.
    pub place: Option<&'a str>,
    /// The source line with carets.
    pub snippet: Option<Snippet<'a>>,
    /// The `= help:` line.
    pub help: Option<&'a str>,
}

impl Annotation<'_> {
    /// Writes the report, each line ending in a newline.
    pub(crate) fn write(&self, out: &mut String) -> fmt::Result {
        writeln!(out, "{}[{}]: {}", self.severity, self.code, self.message)?;
        let gutter = self.snippet.map_or(1, |s| s.at.line.to_string().len());
        let pad = " ".repeat(gutter);
        if let Some(place) = self.place {
            writeln!(out, "{pad}--> {place}")?;
        }
        if let Some(s) = self.snippet {
            let (line, col, width) = s.window();
            let before: String = line
                .chars()
                .take(col)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(out, "{pad} |")?;
            writeln!(out, "{} | {line}", s.at.line)?;
            writeln!(out, "{pad} | {before}{}", "^".repeat(width))?;
        }
        if let Some(help) = self.help {
            writeln!(out, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// The name among `candidates` that `word` is most likely a slip of, if one is close
/// enough: the one rule every did-you-mean of the crate follows (filters, tags, event
/// names, `Event` properties in templates and in records, globals, message fields).
///
/// Names are compared with case ignored and `_`, `-` and space taken as the same
/// character, by the optimal-string-alignment distance (insertions, deletions,
/// substitutions, and swaps of two neighbouring characters, one edit each: `Pionts` is
/// one edit from `Points`, `Soruce` one from `Source`). A candidate is close enough
/// when it is at most this many edits away, by the length of `word` in characters:
///
/// | length of `word` | edits |
/// |---|---|
/// | 1 or 2 | 0 (only case or `_`/space differs: `id` for `Id`) |
/// | 3 to 7 | 1 (`iff`, `upcse`, `Pionts`, `Point`) |
/// | 8 or more | 2 (`Coupon Cod`, `number_with_delimeter`, `Campain Id`) |
///
/// So names that merely share letters are not taken for slips: a custom property
/// `tier` or `store` is nobody's typo, and neither is `source_id` (three edits from
/// `source`) or `Coupon` (three from `Coupon Id`). A name that differs only in
/// case or separators (`coupon code`, `POINTS`) is always suggested, since names are
/// matched exactly. Ties go to the candidate listed first.
///
/// ```
/// use promo_liquid::liquid::suggest;
///
/// let names = ["Points", "Source", "Wallet Id"];
/// assert_eq!(suggest("Pionts", names), Some("Points"));
/// assert_eq!(suggest("soruce", names), Some("Source"));
/// assert_eq!(suggest("wallet_id", names), Some("Wallet Id"));
/// assert_eq!(suggest("tier", names), None);
/// assert_eq!(suggest("source_id", names), None);
/// ```
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = fold(word);
    let limit = match wanted.len() {
        0..=2 => 0,
        3..=7 => 1,
        _ => 2,
    };
    let mut best: Option<(usize, &'a str)> = None;
    let mut folded = Vec::new();
    for candidate in candidates {
        // Most candidates are too long or too short to be near: skip them unfolded.
        if candidate.chars().count().abs_diff(wanted.len()) > limit + 1 {
            continue;
        }
        folded.clear();
        folded.extend(fold_chars(candidate));
        if folded.len().abs_diff(wanted.len()) > limit {
            continue;
        }
        let d = edit_distance_chars(&wanted, &folded);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// A name as [`suggest`] compares it: lowercase, with `_`, `-` and space alike.
fn fold(name: &str) -> Vec<char> {
    fold_chars(name).collect()
}

fn fold_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
}

/// The optimal-string-alignment distance between two strings, in characters: the
/// fewest insertions, deletions, substitutions and swaps of neighbouring characters
/// that turn one into the other (no substring edited twice). [`suggest`] is what the
/// crate uses it for.
#[cfg(test)]
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    edit_distance_chars(&a, &b)
}

fn edit_distance_chars(a: &[char], b: &[char]) -> usize {
    // Three rows: two back (for swaps), the previous one, and the current one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown_filter() -> Error {
        let source = "Hi\n{{ name | upcse }}";
        Error::new(ErrorKind::UnknownFilter, "unknown filter \"upcse\"")
            .with_help("did you mean \"upcase\"?")
            .with_span(source, Span::at(14, 5))
            .with_template(&Arc::from("push.body"))
    }

    #[test]
    fn plain_format_is_one_line() {
        assert_eq!(
            unknown_filter().to_string(),
            "unknown filter: unknown filter \"upcse\" (did you mean \"upcase\"?) at push.body:2:12"
        );
    }

    #[test]
    fn alternate_format_is_rustc_style() {
        assert_eq!(
            format!("{:#}", unknown_filter()),
            "error[unknown_filter]: unknown filter \"upcse\"\n --> push.body:2:12\n  |\n2 | {{ name | upcse }}\n  |            ^^^^^\n  = help: did you mean \"upcase\"?"
        );
    }

    #[test]
    fn the_parts_are_data() {
        let e = unknown_filter();
        assert_eq!(e.kind(), ErrorKind::UnknownFilter);
        assert_eq!(e.message(), "unknown filter \"upcse\"");
        assert_eq!(e.help(), Some("did you mean \"upcase\"?"));
        assert_eq!(e.range(), Some(14..19));
        assert_eq!(e.line_col(), Some(LineCol { line: 2, col: 12 }));
        assert_eq!(e.template(), Some("push.body"));
    }

    #[test]
    fn a_long_line_is_shown_around_the_place() {
        let source = format!("{}{{{{ x | upcse }}}}{}", "a".repeat(500), "b".repeat(500));
        let start = source.find("upcse").unwrap();
        let err = Error::new(ErrorKind::UnknownFilter, "unknown filter \"upcse\"")
            .with_span(&source, Span::at(start, 5));
        let shown = format!("{err:#}");
        let lines: Vec<&str> = shown.lines().collect();
        // 60 characters before the place and 60 after its end, `...` where cut.
        assert_eq!(
            lines[3],
            format!(
                "1 | ...{}{{{{ x | upcse }}}}{}...",
                "a".repeat(53),
                "b".repeat(57)
            )
        );
        assert_eq!(lines[4], format!("  | {}^^^^^", " ".repeat(3 + 60)));
        assert!(shown.len() < 400, "{shown}");
    }

    #[test]
    fn swaps_are_one_edit() {
        assert_eq!(edit_distance("Pionts", "Points"), 1);
        assert_eq!(edit_distance("Soruce", "Source"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("ca", "abc"), 3); // OSA, not full Damerau
    }

    #[test]
    fn suggests_close_names_only() {
        let filters = ["upcase", "downcase", "append", "number_with_delimiter"];
        assert_eq!(suggest("upcse", filters), Some("upcase"));
        assert_eq!(
            suggest("number_with_delimeter", filters),
            Some("number_with_delimiter")
        );
        assert_eq!(suggest("zzz", filters), None);
        assert_eq!(suggest("up", filters), None);
        assert_eq!(suggest("iff", ["if", "for"]), Some("if"));
        let props = ["Points", "Source", "Coupon Id", "Coupon Code", "Order Id"];
        for (typo, meant) in [
            ("Pionts", "Points"),
            ("Soruce", "Source"),
            ("Point", "Points"),
            ("POINTS", "Points"),
            ("coupon_code", "Coupon Code"),
            ("Coupon Cod", "Coupon Code"),
            ("Cuopon Id", "Coupon Id"),
        ] {
            assert_eq!(suggest(typo, props), Some(meant), "{typo}");
        }
        for custom in [
            "tier",
            "store",
            "source_id",
            "Coupon",
            "Order",
            "city",
            "id",
        ] {
            assert_eq!(suggest(custom, props), None, "{custom}");
        }
        assert_eq!(suggest("id", ["Id", "ID"]), Some("Id"));
    }
}
