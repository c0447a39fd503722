//! The `date` filter: date parsing and Ruby's `strftime`.
//!
//! The filter reads `"now"`/`"today"`, integer timestamps (numbers, or strings of
//! digits), and the date strings [`parse_date`] understands. Input it cannot read comes
//! back unchanged, as in Shopify. Formatting follows Ruby's `Time#strftime`, flags
//! (`%-d`, `%_m`, `%^a`, `%#p`) and widths (`%3N`, `%10A`) included.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Timelike};

use super::misc::expect_args;
use super::{Args, FilterError, Filters};
use crate::liquid::value::Value;

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
    let format = args.get(0).map(Value::to_str).unwrap_or_default();
    if format.is_empty() {
        return Ok(input.clone());
    }
    let parsed = match input {
        Value::Int(seconds) => DateTime::from_timestamp(*seconds, 0).map(|d| d.fixed_offset()),
        Value::Str(s) if s.eq_ignore_ascii_case("now") || s.eq_ignore_ascii_case("today") => {
            Some(args.context.now())
        }
        Value::Str(s) => parse_date(s),
        _ => None,
    };
    match parsed {
        Some(when) => strftime(&when, &format, args.context.max_string_bytes).map(Value::from),
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
    /// Reads one token; `None` when it is not part of any date we understand.
    fn read(&mut self, token: &str) -> Option<()> {
        let lower = token.to_ascii_lowercase();
        let lower = lower.trim_end_matches('.');
        if let Some((date, time)) = split_iso(token) {
            return self.read_date(date).and_then(|()| self.read_time(time));
        }
        if token.contains(':') {
            return self.read_time(token);
        }
        if let Some(pm) = meridian(lower) {
            return set(&mut self.meridian, pm);
        }
        if let Some(offset) = zone(token) {
            return set(&mut self.offset, offset);
        }
        if let Some(month) = month_number(lower) {
            return set(&mut self.month, month);
        }
        if is_weekday(lower) {
            return Some(());
        }
        if token.contains(['-', '/', '.']) {
            return self.read_date(token);
        }
        let digits = ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|suffix| lower.strip_suffix(suffix))
            .unwrap_or(lower);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match digits.len() {
            1 | 2 => set(&mut self.day, digits.parse().ok()?),
            4 if digits.len() == lower.len() => set(&mut self.year, digits.parse().ok()?),
            _ => None,
        }
    }

    /// `2024-03-01`, `2024/03/01`, or day first: `01-03-2024`, `01/03/2024`, `01.03.2024`.
    fn read_date(&mut self, token: &str) -> Option<()> {
        let separator = token.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        let fields: Vec<&str> = token.split(separator).collect();
        let [a, b, c] = fields[..] else {
            return None;
        };
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
            let lower = suffix.to_ascii_lowercase();
            match meridian(lower.trim_end_matches('.')) {
                Some(pm) => set(&mut self.meridian, pm)?,
                None => set(&mut self.offset, zone(suffix)?)?,
            }
        }
        let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
        let fields: Vec<&str> = clock.split(':').collect();
        let field = |i: usize| -> Option<u32> {
            let f: &str = fields.get(i)?;
            (matches!(f.len(), 1 | 2) && f.bytes().all(|b| b.is_ascii_digit()))
                .then(|| f.parse().ok())
                .flatten()
        };
        let (hour, minute) = (field(0)?, field(1)?);
        let second = match fields.len() {
            2 => 0,
            3 => field(2)?,
            _ => return None,
        };
        if !fraction.bytes().all(|b| b.is_ascii_digit())
            || (fields.len() == 2 && !fraction.is_empty())
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

fn meridian(lower: &str) -> Option<bool> {
    match lower {
        "am" | "a.m" => Some(false),
        "pm" | "p.m" => Some(true),
        _ => None,
    }
}

/// A zone: a numeric offset (`+05:30`, `+0530`, `-08`) or a known abbreviation, in seconds
/// east of UTC.
fn zone(token: &str) -> Option<i32> {
    const HOUR: i32 = 3600;
    let named = match token.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" => Some(0),
        "IST" => Some(5 * HOUR + 1800),
        "EST" => Some(-5 * HOUR),
        "EDT" | "AST" => Some(-4 * HOUR),
        "CST" => Some(-6 * HOUR),
        "CDT" => Some(-5 * HOUR),
        "MST" => Some(-7 * HOUR),
        "MDT" => Some(-6 * HOUR),
        "PST" => Some(-8 * HOUR),
        "PDT" => Some(-7 * HOUR),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let sign = match token.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = token[1..].chars().filter(|&c| c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || token[1..].matches(':').count() > 1 {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
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
fn month_number(lower: &str) -> Option<u32> {
    if lower == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| {
            let m = m.to_ascii_lowercase();
            lower == m || (lower.len() == 3 && m.starts_with(lower))
        })
        .map(|i| i as u32 + 1)
}

fn is_weekday(lower: &str) -> bool {
    WEEKDAYS.iter().any(|d| {
        let d = d.to_ascii_lowercase();
        lower == d || (lower.len() == 3 && d.starts_with(lower))
    })
}

/// A `strftime` directive: `%`, flags, width, colons, conversion.
#[derive(Default)]
struct Directive {
    no_pad: bool,
    space_pad: bool,
    zero_pad: bool,
    upper: bool,
    swap_case: bool,
    colons: usize,
    width: Option<usize>,
    conversion: char,
}

/// Reads the directive at the start of `spec` (which starts with `%`), and its length.
fn directive(spec: &str) -> Option<(Directive, usize)> {
    let mut d = Directive::default();
    let mut chars = spec.char_indices().skip(1).peekable();
    while let Some(&(_, c)) = chars.peek() {
        match c {
            '-' => d.no_pad = true,
            '_' => d.space_pad = true,
            '0' => d.zero_pad = true,
            '^' => d.upper = true,
            '#' => d.swap_case = true,
            _ => break,
        }
        chars.next();
    }
    while let Some(&(_, c @ '0'..='9')) = chars.peek() {
        let digit = c as usize - '0' as usize;
        d.width = Some(
            d.width
                .unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(digit),
        );
        chars.next();
    }
    while let Some(&(_, ':')) = chars.peek() {
        d.colons += 1;
        chars.next();
    }
    let (mut i, mut c) = chars.next()?;
    if matches!(c, 'E' | 'O') {
        (i, c) = chars.next()?;
    }
    let known = "YCymBbhdejHkIlPpMSLNzZAauwGgVUWsntc%DxFTXRrv";
    if !known.contains(c) || (d.colons > 0 && c != 'z') {
        return None;
    }
    d.conversion = c;
    Some((d, i + c.len_utf8()))
}

/// Ruby's `Time#strftime`.
fn strftime(
    when: &DateTime<FixedOffset>,
    format: &str,
    max_len: usize,
) -> Result<String, FilterError> {
    let too_large = FilterError::StringTooLarge { limit: max_len };
    let mut out = String::new();
    let mut rest = format;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let spec = &rest[i..];
        match directive(spec) {
            Some((d, len)) => {
                if d.width.is_some_and(|w| w > max_len) {
                    return Err(too_large);
                }
                format_directive(when, &d, &mut out, max_len)?;
                rest = &spec[len..];
            }
            None => {
                out.push('%');
                rest = &spec[1..];
            }
        }
        if out.len() > max_len {
            return Err(too_large);
        }
    }
    out.push_str(rest);
    if out.len() > max_len {
        return Err(too_large);
    }
    Ok(out)
}

fn format_directive(
    when: &DateTime<FixedOffset>,
    d: &Directive,
    out: &mut String,
    max_len: usize,
) -> Result<(), FilterError> {
    let hour12 = match when.hour() % 12 {
        0 => 12,
        h => h,
    };
    let number = |value: i64, width: usize, pad: char| Piece::Number { value, width, pad };
    let piece = match d.conversion {
        'Y' => number(i64::from(when.year()), 4, '0'),
        'C' => number(i64::from(when.year().div_euclid(100)), 2, '0'),
        'y' => number(i64::from(when.year().rem_euclid(100)), 2, '0'),
        'm' => number(i64::from(when.month()), 2, '0'),
        'd' => number(i64::from(when.day()), 2, '0'),
        'e' => number(i64::from(when.day()), 2, ' '),
        'j' => number(i64::from(when.ordinal()), 3, '0'),
        'H' => number(i64::from(when.hour()), 2, '0'),
        'k' => number(i64::from(when.hour()), 2, ' '),
        'I' => number(i64::from(hour12), 2, '0'),
        'l' => number(i64::from(hour12), 2, ' '),
        'M' => number(i64::from(when.minute()), 2, '0'),
        'S' => number(i64::from(when.second().min(59)), 2, '0'),
        'u' => number(i64::from(when.weekday().number_from_monday()), 1, '0'),
        'w' => number(i64::from(when.weekday().num_days_from_sunday()), 1, '0'),
        'G' => number(i64::from(when.iso_week().year()), 4, '0'),
        'g' => number(i64::from(when.iso_week().year().rem_euclid(100)), 2, '0'),
        'V' => number(i64::from(when.iso_week().week()), 2, '0'),
        'U' | 'W' => {
            let yday = i64::from(when.ordinal0());
            let wday = i64::from(if d.conversion == 'U' {
                when.weekday().num_days_from_sunday()
            } else {
                when.weekday().num_days_from_monday()
            });
            number((yday + 7 - wday) / 7, 2, '0')
        }
        's' => number(when.timestamp(), 1, '0'),
        'L' | 'N' => {
            let default = if d.conversion == 'L' { 3 } else { 9 };
            let nanos = format!("{:09}", when.nanosecond().min(999_999_999));
            let width = d.width.unwrap_or(default);
            let mut digits: String = nanos.chars().take(width).collect();
            digits.extend(std::iter::repeat_n('0', width.saturating_sub(9)));
            out.push_str(&digits);
            return Ok(());
        }
        'z' => {
            out.push_str(&offset_text(when.offset().local_minus_utc(), d));
            return Ok(());
        }
        'Z' => Piece::Text(if when.offset().local_minus_utc() == 0 {
            "UTC".into()
        } else {
            String::new()
        }),
        'A' => Piece::Text(WEEKDAYS[when.weekday().num_days_from_sunday() as usize].into()),
        'a' => Piece::Text(WEEKDAYS[when.weekday().num_days_from_sunday() as usize][..3].into()),
        'B' => Piece::Text(MONTHS[when.month0() as usize].into()),
        'b' | 'h' => Piece::Text(MONTHS[when.month0() as usize][..3].into()),
        'p' | 'P' => {
            let pm = when.hour() >= 12;
            let upper = (d.conversion == 'p') != d.swap_case;
            Piece::Text(
                match (pm, upper) {
                    (false, true) => "AM",
                    (true, true) => "PM",
                    (false, false) => "am",
                    (true, false) => "pm",
                }
                .into(),
            )
        }
        'n' => Piece::Text("\n".into()),
        't' => Piece::Text("\t".into()),
        '%' => Piece::Text("%".into()),
        composite => {
            let expansion = match composite {
                'c' => "%a %b %e %H:%M:%S %Y",
                'D' | 'x' => "%m/%d/%y",
                'F' => "%Y-%m-%d",
                'T' | 'X' => "%H:%M:%S",
                'R' => "%H:%M",
                'r' => "%I:%M:%S %p",
                _ => "%e-%^b-%Y",
            };
            Piece::Text(strftime(when, expansion, max_len)?)
        }
    };
    match piece {
        Piece::Number { value, width, pad } => {
            let pad = if d.no_pad {
                None
            } else if d.space_pad {
                Some(' ')
            } else if d.zero_pad {
                Some('0')
            } else {
                Some(pad)
            };
            let width = d.width.unwrap_or(width);
            let digits = value.unsigned_abs().to_string();
            let sign = if value < 0 { "-" } else { "" };
            let fill = width.saturating_sub(digits.len() + sign.len());
            match pad {
                Some('0') => {
                    out.push_str(sign);
                    out.extend(std::iter::repeat_n('0', fill));
                }
                Some(c) => {
                    out.extend(std::iter::repeat_n(c, fill));
                    out.push_str(sign);
                }
                None => out.push_str(sign),
            }
            out.push_str(&digits);
        }
        Piece::Text(text) => {
            let text = if d.upper || (d.swap_case && !matches!(d.conversion, 'p' | 'P')) {
                text.to_uppercase()
            } else {
                text
            };
            if !d.no_pad {
                let fill = d.width.unwrap_or(0).saturating_sub(text.chars().count());
                let pad = if d.zero_pad { '0' } else { ' ' };
                out.extend(std::iter::repeat_n(pad, fill));
            }
            out.push_str(&text);
        }
    }
    Ok(())
}

enum Piece {
    Number { value: i64, width: usize, pad: char },
    Text(String),
}

/// `%z`, `%:z` and `%::z`, with Ruby's quirks: `-` and `_` drop the hours' zero padding,
/// and a width pads after the sign.
fn offset_text(seconds: i32, d: &Directive) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (hours, minutes, secs) = (abs / 3600, abs % 3600 / 60, abs % 60);
    let mut body = String::new();
    let default_width = match d.colons {
        0 => 5,
        1 => 6,
        _ => 9,
    };
    let unpadded = d.no_pad || d.space_pad || d.width.is_some_and(|w| w > default_width);
    let _ = if unpadded {
        write!(body, "{hours}")
    } else {
        write!(body, "{hours:02}")
    };
    let _ = match d.colons {
        0 => write!(body, "{minutes:02}"),
        1 => write!(body, ":{minutes:02}"),
        _ => write!(body, ":{minutes:02}:{secs:02}"),
    };
    let width = if d.no_pad {
        0
    } else {
        d.width.unwrap_or(default_width)
    };
    let fill = width.saturating_sub(body.len() + 1);
    if d.space_pad {
        format!("{}{sign}{body}", " ".repeat(fill))
    } else {
        format!("{sign}{}{body}", "0".repeat(fill))
    }
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

    fn fmt(s: &str, format: &str) -> String {
        strftime(&at(s), format, 1 << 20).expect("formats")
    }

    fn run(input: Value, format: &str) -> Result<Value, FilterError> {
        let context = FilterContext {
            now: Some(at("2025-10-20T09:05:00+05:30")),
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
    fn formats_like_ruby_strftime() {
        let when = "2024-03-05T07:08:09.123456+05:30";
        assert_eq!(
            fmt(when, "%Y-%m-%d %H:%M:%S %z"),
            "2024-03-05 07:08:09 +0530"
        );
        assert_eq!(
            fmt(when, "%-d/%-m/%y %e|%k|%l %P %p"),
            "5/3/24  5| 7| 7 am AM"
        );
        assert_eq!(
            fmt(when, "%a %A %b %B %^a %^B %#b %h"),
            "Tue Tuesday Mar March TUE MARCH MAR Mar"
        );
        assert_eq!(
            fmt(when, "%10A|%-10A|%_5d|%05e|%j|%-j"),
            "   Tuesday|Tuesday|    5|00005|065|65"
        );
        assert_eq!(
            fmt(when, "%U %W %V %G %g %u %w %C"),
            "09 10 10 2024 24 2 2 20"
        );
        assert_eq!(
            fmt(when, "%L %N %3N %6N %12N"),
            "123 123456000 123 123456 123456000000"
        );
        assert_eq!(
            fmt(when, "%:z %::z %-z %_z %Z|"),
            "+05:30 +05:30:00 +530  +530 |"
        );
        assert_eq!(
            fmt(when, "%c|%x|%X|%D|%F|%T|%R|%r|%v"),
            "Tue Mar  5 07:08:09 2024|03/05/24|07:08:09|03/05/24|2024-03-05|07:08:09|07:08|07:08:09 AM| 5-MAR-2024"
        );
        assert_eq!(fmt(when, "%s %% %Q %+ %E %"), "1709602689 % %Q %+ %E %");
        assert_eq!(
            fmt("2024-03-05 17:00", "%I %-I %#p %Z %z"),
            "05 5 pm UTC +0000"
        );
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
