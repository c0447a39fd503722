//! Ruby's `Time#strftime`, flags and widths included.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use super::{MONTHS, WEEKDAYS};
use crate::liquid::filters::FilterError;

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
pub(super) fn strftime(
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
            // A conversion cut off by the end of the format (`%`, `%-`, `%3`) is an
            // error in Ruby's strftime, so in Shopify: the format is broken, not text.
            None if spec[1..]
                .bytes()
                .all(|b| b"-_0^#".contains(&b) || b.is_ascii_digit()) =>
            {
                return Err(FilterError::InvalidArgument {
                    position: "1".into(),
                    expected: "a strftime format whose last directive is complete",
                    found: format!("{format:?}"),
                });
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

    fn fmt(s: &str, format: &str) -> String {
        let when = super::super::parse_date(s).expect("parses");
        strftime(&when, format, 1 << 20).expect("formats")
    }

    #[test]
    fn a_directive_cut_off_by_the_end_is_an_error_as_in_ruby() {
        let when = super::super::parse_date("2024-03-05T07:08:09+05:30").expect("parses");
        // Ruby 3.1: `Time#strftime` raises "invalid format" for each of these.
        for format in ["%", "abc%", "%-", "%5", "%-5", "%_", "%#", "%^", "%:z%"] {
            assert!(
                strftime(&when, format, 1 << 20).is_err(),
                "{format:?} should be refused"
            );
        }
        // And prints these as they are.
        assert_eq!(
            fmt("2024-03-05T07:08:09+05:30", "%5 x|%- x|%:|%E|%O"),
            "%5 x|%- x|%:|%E|%O"
        );
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
        assert_eq!(fmt(when, "%s %% %Q %+ %E"), "1709602689 % %Q %+ %E");
        assert_eq!(
            fmt("2024-03-05 17:00", "%I %-I %#p %Z %z"),
            "05 5 pm UTC +0000"
        );
    }
}
