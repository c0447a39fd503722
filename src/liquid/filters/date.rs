//! The `date` filter: date parsing and Ruby's `strftime`.
//!
//! The filter reads `"now"`/`"today"`, integer timestamps (numbers, or strings of
//! digits), and the date strings [`parse_date`] understands. Input it cannot read comes
//! back unchanged, as in Shopify. Formatting follows Ruby's `Time#strftime`, flags
//! (`%-d`, `%_m`, `%^a`, `%#p`) and widths (`%3N`, `%10A`) included.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use super::misc::expect_args;
use super::{Args, FilterError, Filters};
use crate::liquid::value::Value;

mod strftime;

use strftime::strftime;

pub(super) fn register(filters: &mut Filters) {
    filters.add(
        "date",
        "date: format",
        "Formats a date (a timestamp, \"now\", or a date string such as 2024-03-01, \
         01-03-2024 10:30:00 or March 1, 2024) with Ruby's strftime directives.",
        "{{ \"2024-03-01\" | date: \"%a, %b %-d, %Y\" }} → Fri, Mar 1, 2024",
        date,
    );
}

fn date(input: &Value, args: &Args<'_>) -> Result<Value, FilterError> {
    expect_args(args, 1, 1)?;
    let format = match args.get(0) {
        Some(v) => args.context.text(v)?,
        None => std::borrow::Cow::Borrowed(""),
    };
    if format.is_empty() {
        return Ok(input.clone());
    }
    let parsed = match input {
        Value::Int(seconds) => DateTime::from_timestamp(*seconds, 0).map(|d| d.fixed_offset()),
        Value::Date(d) => Some(d.at),
        Value::Str(s) if s.eq_ignore_ascii_case("now") || s.eq_ignore_ascii_case("today") => {
            Some(args.context.now())
        }
        // Shopify reads only bare digits as a timestamp; " 42 " is no date at all.
        Value::Str(s)
            if s.trim().len() != s.len() && s.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            None
        }
        Value::Str(s) => parse_date(s),
        _ => None,
    };
    match parsed {
        Some(when) => {
            let text = strftime(&when, &format, args.context.max_string_bytes)?;
            args.context.check_string(text.len())?;
            Ok(Value::from(text))
        }
        None => Ok(input.clone()),
    }
}

/// Parses a date the `date` filter understands; times without an offset are UTC.
///
/// Accepted: epoch seconds (`"1709251200"`); ISO 8601 (`2024-03-01`,
/// `2024-03-01T10:20:30Z`, `2024-03-01 10:20:30.5 +05:30`); day-first numeric dates with
/// the year last (`01-11-2026 00:00:00` is 1 November 2026, also with `/` or `.`); and
/// dates with month names (`March 14, 2016`, `14 Mar 2016 3:04 PM`,
/// `Tue, 1 Jul 2003 10:52:37 +0200`). Zones are numeric offsets, `Z`, `UTC`, `GMT`,
/// `IST` and the US abbreviations. Impossible dates (`2024-02-30`) are `None`.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = s.parse().ok()?;
        return DateTime::from_timestamp(seconds, 0).map(|d| d.fixed_offset());
    }
    let mut parts = Parts::default();
    for token in s.split(|c: char| c.is_whitespace() || c == ',') {
        if !token.is_empty() {
            parts.read(token)?;
        }
    }
    parts.build()
}

/// What the tokens of a date string said.
#[derive(Default)]
struct Parts {
    ymd: Option<(i32, u32, u32)>,
    month: Option<u32>,
    day: Option<u32>,
    year: Option<i32>,
    time: Option<(u32, u32, u32, u32)>,
    meridian: Option<bool>,
    offset: Option<i32>,
}

impl Parts {
    /// Reads one token; `None` when it is not part of any date we understand. Words
    /// compare without regard to ASCII case, and without allocating.
    fn read(&mut self, token: &str) -> Option<()> {
        let word = token.trim_end_matches('.');
        if let Some((date, time)) = split_iso(token) {
            return self.read_date(date).and_then(|()| self.read_time(time));
        }
        if let Some(offset) = zone(token) {
            return set(&mut self.offset, offset);
        }
        if token.contains(':') {
            return self.read_time(token);
        }
        if let Some(pm) = meridian(word) {
            return set(&mut self.meridian, pm);
        }
        if let Some(month) = month_number(word) {
            return set(&mut self.month, month);
        }
        if is_weekday(word) {
            return Some(());
        }
        if token.contains(['-', '/', '.']) {
            return self.read_date(token);
        }
        let digits = ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|suffix| strip_suffix_ignore_case(word, suffix))
            .unwrap_or(word);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match digits.len() {
            1 | 2 => set(&mut self.day, digits.parse().ok()?),
            4 if digits.len() == word.len() => set(&mut self.year, digits.parse().ok()?),
            _ => None,
        }
    }

    /// `2024-03-01`, `2024/03/01`, or day first: `01-03-2024`, `01/03/2024`, `01.03.2024`.
    fn read_date(&mut self, token: &str) -> Option<()> {
        let separator = token.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        let mut fields = token.split(separator);
        let (a, b, c) = (fields.next()?, fields.next()?, fields.next()?);
        if fields.next().is_some() {
            return None;
        }
        let number = |f: &str, lens: &[usize]| -> Option<u32> {
            (lens.contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
                .then(|| f.parse().ok())
                .flatten()
        };
        let ymd = if a.len() == 4 {
            (
                number(a, &[4])? as i32,
                number(b, &[1, 2])?,
                number(c, &[1, 2])?,
            )
        } else {
            (
                number(c, &[4])? as i32,
                number(b, &[1, 2])?,
                number(a, &[1, 2])?,
            )
        };
        set(&mut self.ymd, ymd)
    }

    /// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fraction`, with an offset or `am`/`pm` attached.
    fn read_time(&mut self, token: &str) -> Option<()> {
        let end = token
            .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
            .unwrap_or(token.len());
        let (clock, suffix) = token.split_at(end);
        if !suffix.is_empty() {
            match meridian(suffix.trim_end_matches('.')) {
                Some(pm) => set(&mut self.meridian, pm)?,
                None => set(&mut self.offset, zone(suffix)?)?,
            }
        }
        let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
        let field = |f: &str| -> Option<u32> {
            (matches!(f.len(), 1 | 2) && f.bytes().all(|b| b.is_ascii_digit()))
                .then(|| f.parse().ok())
                .flatten()
        };
        let mut fields = clock.split(':');
        let (hour, minute) = (field(fields.next()?)?, field(fields.next()?)?);
        let seconds = fields.next();
        if fields.next().is_some() {
            return None;
        }
        let second = match seconds {
            None => 0,
            Some(f) => field(f)?,
        };
        if !fraction.bytes().all(|b| b.is_ascii_digit())
            || (seconds.is_none() && !fraction.is_empty())
        {
            return None;
        }
        let nanos = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(9)
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        set(&mut self.time, (hour, minute, second, nanos))
    }

    fn build(self) -> Option<DateTime<FixedOffset>> {
        let (year, month, day) = match (self.ymd, self.month, self.day, self.year) {
            (Some(ymd), None, None, None) => ymd,
            (None, Some(month), Some(day), Some(year)) => (year, month, day),
            _ => return None,
        };
        let (mut hour, minute, second, nanos) = self.time.unwrap_or((0, 0, 0, 0));
        if let Some(pm) = self.meridian {
            if !(1..=12).contains(&hour) || self.time.is_none() {
                return None;
            }
            hour = match (pm, hour) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
        }
        let naive = NaiveDate::from_ymd_opt(year, month, day)?
            .and_hms_nano_opt(hour, minute, second, nanos)?;
        let offset = FixedOffset::east_opt(self.offset.unwrap_or(0))?;
        offset.from_local_datetime(&naive).single()
    }
}

/// Records a part, failing when the string already gave it.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// `2024-03-01T10:20:30Z` as its date and its time.
fn split_iso(token: &str) -> Option<(&str, &str)> {
    let (date, time) = token.split_once(['T', 't'])?;
    (date.len() >= 8 && date.starts_with(|c: char| c.is_ascii_digit()) && time.contains(':'))
        .then_some((date, time))
}

/// `am` / `pm` (`a.m`, `P.M` ...): whether it is `pm`.
fn meridian(word: &str) -> Option<bool> {
    let is = |a: &str| word.eq_ignore_ascii_case(a);
    if is("am") || is("a.m") {
        Some(false)
    } else if is("pm") || is("p.m") {
        Some(true)
    } else {
        None
    }
}

/// `word` without `suffix` at its end, in any ASCII case.
fn strip_suffix_ignore_case<'w>(word: &'w str, suffix: &str) -> Option<&'w str> {
    let cut = word.len().checked_sub(suffix.len())?;
    let (rest, end) = (word.get(..cut)?, word.get(cut..)?);
    end.eq_ignore_ascii_case(suffix).then_some(rest)
}

/// Whether `word` is `name` or, when three letters long, its abbreviation.
fn names(word: &str, name: &str) -> bool {
    word.eq_ignore_ascii_case(name)
        || (word.len() == 3 && name.get(..3).is_some_and(|a| a.eq_ignore_ascii_case(word)))
}

/// A zone: a numeric offset (`+05:30`, `+0530`, `-08`) or a known abbreviation, in seconds
/// east of UTC.
fn zone(token: &str) -> Option<i32> {
    const HOUR: i32 = 3600;
    const NAMED: [(&str, i32); 14] = [
        ("Z", 0),
        ("UT", 0),
        ("UTC", 0),
        ("GMT", 0),
        ("IST", 5 * HOUR + 1800),
        ("EST", -5 * HOUR),
        ("EDT", -4 * HOUR),
        ("AST", -4 * HOUR),
        ("CST", -6 * HOUR),
        ("CDT", -5 * HOUR),
        ("MST", -7 * HOUR),
        ("MDT", -6 * HOUR),
        ("PST", -8 * HOUR),
        ("PDT", -7 * HOUR),
    ];
    if let Some((_, offset)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(token)) {
        return Some(*offset);
    }
    let sign = match token.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    // The digits, colons left out: `+05:30` is `0530`.
    let body = &token.as_bytes()[1..];
    if body.iter().filter(|&&b| b == b':').count() > 1 {
        return None;
    }
    let mut digits = [0i32; 4];
    let mut len = 0;
    for &b in body.iter().filter(|&&b| b != b':') {
        if !b.is_ascii_digit() || len == digits.len() {
            return None;
        }
        digits[len] = i32::from(b - b'0');
        len += 1;
    }
    let (hours, minutes) = match (len, digits) {
        (1, [h, ..]) => (h, 0),
        (2, [h1, h2, ..]) => (h1 * 10 + h2, 0),
        (4, [h1, h2, m1, m2]) => (h1 * 10 + h2, m1 * 10 + m2),
        _ => return None,
    };
    (hours < 24 && minutes < 60).then_some(sign * (hours * HOUR + minutes * 60))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A month by its English name or three-letter abbreviation (`sept` too), 1-based.
fn month_number(word: &str) -> Option<u32> {
    if word.eq_ignore_ascii_case("sept") {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| names(word, m))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    WEEKDAYS.iter().any(|d| names(word, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::filters::FilterContext;

    fn at(s: &str) -> DateTime<FixedOffset> {
        parse_date(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    fn iso(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.to_rfc3339())
    }

    fn run(input: Value, format: &str) -> Result<Value, FilterError> {
        let context = FilterContext {
            now: Some(at("2025-10-20T09:05:00+05:30")),
            time_zone: chrono_tz::Asia::Kolkata,
            ..FilterContext::default()
        };
        let positional = [Value::str(format)];
        let args = Args {
            positional: &positional,
            keyword: &[],
            context: &context,
        };
        date(&input, &args)
    }

    fn text(input: Value, format: &str) -> String {
        run(input, format).expect("date succeeds").to_text()
    }

    #[test]
    fn parses_day_first_numeric_dates() {
        assert_eq!(
            iso("01-11-2026 00:00:00").as_deref(),
            Some("2026-11-01T00:00:00+00:00")
        );
        assert_eq!(
            iso("13-11-2026 10:05").as_deref(),
            Some("2026-11-13T10:05:00+00:00")
        );
        assert_eq!(
            iso("5/3/2024").as_deref(),
            Some("2024-03-05T00:00:00+00:00")
        );
        assert_eq!(
            iso("05.03.2024").as_deref(),
            Some("2024-03-05T00:00:00+00:00")
        );
        assert_eq!(iso("11-13-2026"), None);
    }

    #[test]
    fn parses_iso_dates() {
        assert_eq!(
            iso("2024-03-01").as_deref(),
            Some("2024-03-01T00:00:00+00:00")
        );
        assert_eq!(
            iso(" 2024-03-01 23:59:58 ").as_deref(),
            Some("2024-03-01T23:59:58+00:00")
        );
        assert_eq!(
            iso("2024-03-01T10:20:30Z").as_deref(),
            Some("2024-03-01T10:20:30+00:00")
        );
        assert_eq!(
            iso("2024-03-01T10:20:30.25+05:30").as_deref(),
            Some("2024-03-01T10:20:30.250+05:30")
        );
        assert_eq!(
            iso("2024-03-01 10:20 -0800").as_deref(),
            Some("2024-03-01T10:20:00-08:00")
        );
        assert_eq!(
            iso("2024/3/1 10:20 IST").as_deref(),
            Some("2024-03-01T10:20:00+05:30")
        );
    }

    #[test]
    fn parses_dates_with_month_names() {
        assert_eq!(
            iso("March 14, 2016").as_deref(),
            Some("2016-03-14T00:00:00+00:00")
        );
        assert_eq!(
            iso("14 mar 2016 3:04 pm").as_deref(),
            Some("2016-03-14T15:04:00+00:00")
        );
        assert_eq!(
            iso("Sunday, Sept 4th, 2016 12:30AM").as_deref(),
            Some("2016-09-04T00:30:00+00:00")
        );
        assert_eq!(
            iso("Tue, 1 Jul 2003 10:52:37 +0200").as_deref(),
            Some("2003-07-01T10:52:37+02:00")
        );
        assert_eq!(
            iso("Tue Mar  5 17:08:09 2024").as_deref(),
            Some("2024-03-05T17:08:09+00:00")
        );
    }

    #[test]
    fn parses_timestamps_and_rejects_nonsense() {
        assert_eq!(iso("0").as_deref(), Some("1970-01-01T00:00:00+00:00"));
        assert_eq!(
            iso("1700000000").as_deref(),
            Some("2023-11-14T22:13:20+00:00")
        );
        for bad in [
            "",
            "hello",
            "-5",
            "2024-02-30",
            "2024-13-01",
            "2024-03-01 24:00",
            "March 2016",
            "March 14",
            "14 15 2016",
            "2024-03-01 13:00 pm",
            "2024-03-01 10:00 +25:00",
            "99999999999999999999",
            "दिवाली",
            "🎉 March 14, 2016",
        ] {
            assert_eq!(iso(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_filter_inputs() {
        assert_eq!(text(Value::Int(0), "%Y-%m-%d"), "1970-01-01");
        assert_eq!(text(Value::Int(-86400), "%Y-%m-%d"), "1969-12-31");
        assert_eq!(text(Value::str("86400"), "%d"), "02");
        assert_eq!(text(Value::str("now"), "%H:%M %z"), "09:05 +0530");
        assert_eq!(text(Value::str("Today"), "%F"), "2025-10-20");
        assert_eq!(
            text(Value::str("01-11-2026 00:00:00"), "%B %-d"),
            "November 1"
        );
        assert_eq!(text(Value::str("not a date"), "%Y"), "not a date");
        assert_eq!(text(Value::str("दिवाली"), "%Y"), "दिवाली");
        assert_eq!(text(Value::Float(1.5), "%Y"), "1.5");
        assert_eq!(text(Value::str("2024-03-01"), ""), "2024-03-01");
        assert_eq!(text(Value::Int(i64::MAX), "%Y"), i64::MAX.to_string());
        assert!(matches!(run(Value::Nil, "%Y"), Ok(Value::Nil)));
        assert!(run(Value::Int(0), "%99999999999999999999Y").is_err());
    }

    #[test]
    fn date_filter_checks_arguments() {
        let context = FilterContext::default();
        let args = Args {
            positional: &[],
            keyword: &[],
            context: &context,
        };
        assert!(matches!(
            date(&Value::Int(0), &args),
            Err(FilterError::ArgumentCount { .. })
        ));
    }
}
