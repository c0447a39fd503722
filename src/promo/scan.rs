//! A fast reader of record lines: one pass that checks a JSON value against the record
//! rule (see [`record`](super::record)) without building it, so that the parts of a
//! record no message reads (the profile's order history, fields the product ignores)
//! cost a scan, not a tree.
//!
//! It is a fast path, not a second definition of valid: it accepts only what serde_json
//! and the rule accept, and gives up ([`Skip`] is `None`) on anything else, and on a few
//! valid but rare shapes (an escaped key, a number near the edge of `f64`, nesting past
//! the limit), so that the caller reads the line again the slow way and reports exactly
//! what serde_json reports. A record's outcome never depends on which path read it.

use std::borrow::Cow;

use serde_json_borrow::Value as Json;

use super::profile::Profile;
use super::record::Parts;
use super::strict;

/// The end of a value that passed the rule, or `None`: read it the slow way.
pub(super) type Skip = Option<usize>;

/// How many keys an object may have before [`Keys`] switches from comparing each key
/// with the ones before it to a hash set.
const LINEAR_KEYS: usize = 16;

/// Reads JSON values in `text` from a byte offset, checking the record rule.
pub(super) struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// The keys of the objects being read, innermost last, for keys that come twice.
    keys: Vec<&'t str>,
}

impl<'t> Scanner<'t> {
    /// A scanner over `text`.
    pub fn new(text: &'t str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            // Room for a record's keys, so that reading one does not grow it.
            keys: Vec::with_capacity(32),
        }
    }

    /// The offset of the first byte at or after `at` that is not JSON white space.
    #[inline]
    pub fn skip_ws(&self, mut at: usize) -> usize {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(at) {
            at += 1;
        }
        at
    }

    /// The byte at `at`, if any.
    #[inline]
    pub fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// The text from `start` to `end`.
    pub fn slice(&self, start: usize, end: usize) -> &'t str {
        &self.text[start..end]
    }

    /// Checks the value that starts at `at` (white space already skipped), nested
    /// `depth_left` levels at most (its own array or object counted).
    pub fn value(&mut self, at: usize, depth_left: u8) -> Skip {
        match self.byte(at)? {
            b'"' => self.string(at).map(|(end, _)| end),
            b'{' => self.object(at, depth_left.checked_sub(1)?),
            b'[' => self.array(at, depth_left.checked_sub(1)?),
            b't' => self.word(at, b"true"),
            b'f' => self.word(at, b"false"),
            b'n' => self.word(at, b"null"),
            b'-' | b'0'..=b'9' => self.number(at),
            _ => None,
        }
    }

    fn word(&self, at: usize, word: &[u8]) -> Skip {
        let end = at + word.len();
        (self.bytes.get(at..end)? == word).then_some(end)
    }

    /// Checks the string that opens at `at`: its end, and whether it has escapes.
    #[inline]
    pub fn string(&self, at: usize) -> Option<(usize, bool)> {
        let bytes = self.bytes;
        let mut i = at + 1;
        let mut escaped = false;
        loop {
            // Eight bytes at a time while none of them is a quote, a backslash or a
            // control character (which JSON strings may not hold raw).
            while let Some(chunk) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                let found = special(word);
                if found != 0 {
                    // The lowest flag is exact: straight to the first such byte.
                    i += (found.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            match *bytes.get(i)? {
                b'"' => return Some((i + 1, escaped)),
                b'\\' => {
                    escaped = true;
                    i = self.escape(i + 1)?;
                }
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
    }

    /// Checks the escape after a backslash at `at - 1`; the offset after it.
    fn escape(&self, at: usize) -> Skip {
        match self.byte(at)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(at + 1),
            b'u' => {
                let unit = self.hex4(at + 1)?;
                match unit {
                    // A leading surrogate must be followed by a trailing one.
                    0xD800..=0xDBFF => {
                        if self.bytes.get(at + 5..at + 7)? != b"\\u" {
                            return None;
                        }
                        let low = self.hex4(at + 7)?;
                        (0xDC00..=0xDFFF).contains(&low).then_some(at + 11)
                    }
                    0xDC00..=0xDFFF => None,
                    _ => Some(at + 5),
                }
            }
            _ => None,
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        digits.iter().try_fold(0u32, |n, &b| {
            let d = (b as char).to_digit(16)?;
            Some(n * 16 + d)
        })
    }

    /// Checks a number: JSON's grammar, and far enough from the edge of `f64` that
    /// serde_json reads it as a finite number.
    fn number(&self, at: usize) -> Skip {
        let bytes = self.bytes;
        let mut i = at;
        if bytes[i] == b'-' {
            i += 1;
        }
        let int_start = i;
        match *bytes.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let int_digits = i - int_start;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
        let mut exponent = 0u32;
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let start = i;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let digits = &self.text[start..i];
            // An empty exponent is a syntax error; a long one is left to serde_json.
            if digits.is_empty() || digits.len() > 3 {
                return None;
            }
            exponent = digits.parse().ok()?;
        }
        // Within 1e300 whatever the sign of the exponent: finite for sure.
        (int_digits as u32 + exponent <= 300).then_some(i)
    }

    fn array(&mut self, at: usize, depth_left: u8) -> Skip {
        let mut i = self.skip_ws(at + 1);
        if self.byte(i)? == b']' {
            return Some(i + 1);
        }
        loop {
            i = self.value(i, depth_left)?;
            i = self.skip_ws(i);
            match self.byte(i)? {
                b',' => i = self.skip_ws(i + 1),
                b']' => return Some(i + 1),
                _ => return None,
            }
        }
    }

    fn object(&mut self, at: usize, depth_left: u8) -> Skip {
        let first_key = self.keys.len();
        let end = self.members(at, |scanner, _, value_at| {
            scanner.value(value_at, depth_left)
        });
        self.keys.truncate(first_key);
        end
    }

    /// Reads the members of the object that opens at `at`, checking its keys, calling
    /// `value` with each key and the offset where its value starts; `value` returns the
    /// offset where the value ends. The end of the object.
    pub fn members(
        &mut self,
        at: usize,
        mut value: impl FnMut(&mut Self, &'t str, usize) -> Skip,
    ) -> Skip {
        let first_key = self.keys.len();
        let mut i = self.skip_ws(at + 1);
        if self.byte(i)? == b'}' {
            return Some(i + 1);
        }
        loop {
            if self.byte(i)? != b'"' {
                return None;
            }
            let (key_end, escaped) = self.string(i)?;
            // Escaped keys are compared unescaped: left to the slow path.
            if escaped {
                return None;
            }
            let key = &self.text[i + 1..key_end - 1];
            if !self.new_key(first_key, key) {
                return None;
            }
            i = self.skip_ws(key_end);
            if self.byte(i)? != b':' {
                return None;
            }
            i = self.skip_ws(i + 1);
            i = value(self, key, i)?;
            i = self.skip_ws(i);
            match self.byte(i)? {
                b',' => i = self.skip_ws(i + 1),
                b'}' => {
                    self.keys.truncate(first_key);
                    return Some(i + 1);
                }
                _ => return None,
            }
        }
    }

    /// Records `key` in the object whose keys start at `first`; false when it came
    /// before.
    fn new_key(&mut self, first: usize, key: &'t str) -> bool {
        let seen = &self.keys[first..];
        // Big objects are rare in records; past a few keys, give up rather than go
        // quadratic (the slow path uses a hash set).
        if seen.len() >= LINEAR_KEYS * 4 || seen.contains(&key) {
            return false;
        }
        self.keys.push(key);
        true
    }

    /// Checks that nothing but white space follows `at`.
    pub fn end(&self, at: usize) -> bool {
        self.skip_ws(at) == self.bytes.len()
    }
}

/// The top-level fields of a record line: the line checked against the
/// record rule in one pass, the event (and `identity`, `ts`, `evtName`) parsed, the
/// profile's fields found and kept as text, everything else skipped. `None` when the
/// scan gives up: the line is then read the slow way, which says what is wrong with it
/// exactly as serde_json does.
pub(super) fn parts(line: &str) -> Option<Parts<'_>> {
    let mut scanner = Scanner::new(line);
    let start = scanner.skip_ws(0);
    if scanner.byte(start)? != b'{' {
        return None;
    }
    // The record is one level; its fields' values may nest in what is left.
    let depth = strict::MAX_DEPTH - 1;
    let mut kept: [Option<&str>; 4] = [None; 4];
    let mut profile = None;
    let end = scanner.members(start, |scanner, key, at| {
        let slot = match key {
            "identity" => 0,
            "ts" => 1,
            "evtName" => 2,
            "evtData" => 3,
            "profileData" => {
                let (end, fields) = profile_fields(scanner, at, depth)?;
                profile = Some(fields);
                return Some(end);
            }
            _ => return scanner.value(at, depth),
        };
        let end = scanner.value(at, depth)?;
        kept[slot] = Some(scanner.slice(at, end));
        Some(end)
    })?;
    if !scanner.end(end) {
        return None;
    }
    // Checked above, so these parses succeed.
    fn parse(text: Option<&str>) -> Option<Json<'_>> {
        text.and_then(|t| serde_json::from_str(t).ok())
    }
    let [identity, ts, name, data] = kept;
    Some(Parts {
        identity: parse(identity),
        ts: parse(ts),
        name: parse(name),
        data: parse(data),
        profile: Ok(profile.flatten()),
    })
}

/// The profile's fields as text, each checked, or `None` for `null`; gives up on
/// anything else (the slow path describes what came instead of an object).
#[allow(clippy::type_complexity)]
fn profile_fields<'a>(
    scanner: &mut Scanner<'a>,
    at: usize,
    depth: u8,
) -> Option<(usize, Option<Profile<'a>>)> {
    if scanner.byte(at)? == b'n' {
        let end = scanner.value(at, depth)?;
        return Some((end, None));
    }
    if scanner.byte(at)? != b'{' {
        return None;
    }
    let mut fields = Vec::with_capacity(16);
    let end = scanner.members(at, |scanner, key, at| {
        let end = scanner.value(at, depth - 1)?;
        fields.push((Cow::Borrowed(key), scanner.slice(at, end)));
        Some(end)
    })?;
    Some((end, Some(Profile::from_checked(fields))))
}

/// The bytes of `word` (little-endian) that are `"`, `\` or below 0x20, flagged by their
/// high bit (SWAR: no loop over bytes). Only the lowest flag is exact: a borrow may flag
/// bytes above it too.
#[inline]
fn special(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    // Bytes below 0x20: subtracting 0x20 borrows into the high bit, for bytes that had
    // it clear.
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote | backslash | control
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> bool {
        let mut scanner = Scanner::new(text);
        let at = scanner.skip_ws(0);
        scanner.value(at, 127).is_some_and(|end| scanner.end(end))
    }

    #[test]
    fn accepts_what_serde_json_accepts() {
        for text in [
            r#"{"a": [1, -2.5e10, 0, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"], "b": {}}"#,
            "[]",
            " \t\n\r{ } ",
            r#""a string that is long enough for the eight-byte steps to matter, with ünïcödé""#,
            "-0.0e-5",
            "1E+2",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_ok(),
                "{text}"
            );
            assert!(check(text), "{text}");
        }
    }

    #[test]
    fn refuses_what_serde_json_or_the_rule_refuses() {
        for text in [
            r#"{"a": 1,}"#,
            r#"{"a" 1}"#,
            r#"[1 2]"#,
            "01",
            "1.",
            "1e",
            "+1",
            ".5",
            "tru",
            "\"\u{1}\"",
            "\"a",
            r#""\x""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#"{"a": 1, "a": 2}"#,
            "[1] x",
            "1e400",
            "-1e999",
        ] {
            assert!(!check(text), "{text}");
        }
    }

    #[test]
    fn leaves_rare_valid_shapes_to_the_slow_path() {
        // Valid, but for serde_json to judge.
        for text in [r#"{"\u0061": 1}"#, "1e1000", "1e-5000"] {
            assert!(!check(text), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(!check(&deep));
        let fine = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(check(&fine));
    }

    #[test]
    fn finds_control_characters_and_quotes_in_every_position() {
        for len in 0..20 {
            for at in 0..len {
                let mut s: Vec<u8> = vec![b'a'; len];
                s[at] = b'\n';
                let text = format!("\"{}\"", String::from_utf8(s).unwrap());
                assert!(!check(&text), "{text:?}");
            }
            let text = format!("\"{}\"", "b".repeat(len));
            assert!(check(&text));
        }
    }
}
