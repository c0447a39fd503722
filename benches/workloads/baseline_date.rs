//! The `date` filter both baselines get: the records' date formats read with chrono,
//! and formatted with chrono's strftime.
//!
//! The `liquid` crate's own `date` cannot read `DD-MM-YYYY HH:MM:SS` (the spec's
//! format) and compiles a regex on every call; minijinja has no `date` at all. A user
//! of either would write this, so both get it, and neither is slowed by the other's
//! shortcomings.

use chrono::{DateTime, NaiveDateTime};

/// `text` (epoch seconds, `DD-MM-YYYY HH:MM:SS` or `YYYY-MM-DD HH:MM:SS`, UTC)
/// formatted with `format`; `None` when it is no date.
pub fn format(text: &str, format: &str) -> Option<String> {
    let at = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        DateTime::from_timestamp(text.parse().ok()?, 0)?.naive_utc()
    } else {
        NaiveDateTime::parse_from_str(text, "%d-%m-%Y %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
            .ok()?
    };
    Some(at.format(format).to_string())
}
