//! The checks of the fuzz targets, one function per target, shared with the regression
//! test that replays every input a target once failed on (`tests/fuzz_regressions.rs`).
//! Each checks more than "no panic"; see the README ("Fuzzing").

#![allow(dead_code)]

use std::sync::OnceLock;

use promo_liquid::batch::{Batch, BatchOptions};
use promo_liquid::liquid::{Environment, Error, ErrorKind};
use promo_liquid::message::Message;
use promo_liquid::promo::record::{Record, RecordError, RecordOptions};
use promo_liquid::promo::schema::{EventKind, PROPERTIES, Presence};
use promo_liquid::promo::{self, Settings};
use serde_json::{Value as Json, json};

/// Panics unless `e` is placed inside `source` (when it is placed at all): a byte range
/// on character boundaries, and a line and column that exist.
pub fn placed_inside(e: &Error, source: &str) {
    let _ = format!("{e}");
    let _ = format!("{e:#}");
    assert!(!e.message().is_empty(), "an error without a message: {e:?}");
    if let Some(r) = e.range() {
        assert!(
            r.start <= r.end && r.end <= source.len(),
            "error range {r:?} outside a source of {} bytes: {e}",
            source.len()
        );
        assert!(
            source.is_char_boundary(r.start) && source.is_char_boundary(r.end),
            "error range {r:?} splits a character: {e}"
        );
    }
    if let Some(at) = e.line_col() {
        let lines: Vec<&str> = source.split('\n').collect();
        let line = lines
            .get(at.line as usize - 1)
            .unwrap_or_else(|| panic!("error at line {} of {} lines: {e}", at.line, lines.len()));
        let columns = line.chars().count() as u32 + 1;
        assert!(
            at.col >= 1 && at.col <= columns,
            "error at {}:{} where the line has {} characters: {e}",
            at.line,
            at.col,
            columns - 1
        );
    }
}

fn liquid_env() -> &'static Environment {
    static ENV: OnceLock<Environment> = OnceLock::new();
    ENV.get_or_init(Environment::new)
}

/// The product's environment with its default limits and a fixed clock.
fn promo_env() -> &'static Environment {
    static ENV: OnceLock<Environment> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = promo::environment(&Settings::default());
        env.set_now(chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00+00:00").unwrap());
        env
    })
}

/// `compile`: any text as a template compiles, or every error (the parser goes on after
/// some) is a compile-time kind placed inside the source; a template that compiles has
/// no compile errors.
pub fn compile(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let env = liquid_env();
    let compiled = env.compile("fuzz", source);
    let errors = env.errors("fuzz", source);
    match compiled {
        Ok(template) => {
            assert!(errors.is_empty(), "compiled, yet errors: {errors:?}");
            let _ = template.analyze();
        }
        Err(e) => {
            assert!(!errors.is_empty(), "failed with {e}, yet no errors listed");
            for e in std::iter::once(&e).chain(&errors) {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Syntax
                            | ErrorKind::UnknownTag
                            | ErrorKind::UnknownFilter
                            | ErrorKind::LimitExceeded
                    ),
                    "a compile error of kind {:?}: {e}",
                    e.kind()
                );
                placed_inside(e, source);
            }
        }
    }
}

fn default_globals() -> Json {
    json!({
        "Event": {"Points": 250, "Coupon Code": "DIWALI-7KQ2", "Coupon Expiry Date": "01-11-2026 23:59:59"},
        "EventName": "CT Points Credited",
        "Profile": {"Name": "आशा", "Tier": "Gold", "Tags": ["vip", "🎉"], "Recent Orders": [{"amount": 1299.5}]},
    })
}

/// `render`: a template, a NUL byte, the globals as JSON (a promo record's when that is
/// not a JSON object), rendered with the product's environment and default limits. The
/// output stays within the output limit; a failure is a render-time kind placed inside
/// the template; rendering again gives the same text (the clock is fixed), unless the
/// second render meets a limit (the wall-clock deadline can).
pub fn render(data: &[u8]) {
    let (template, globals) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let Ok(source) = std::str::from_utf8(template) else {
        return;
    };
    let globals = match serde_json::from_slice::<Json>(globals) {
        Ok(g @ Json::Object(_)) => g,
        _ => default_globals(),
    };
    let env = promo_env();
    let compiled = match env.compile("fuzz", source) {
        Ok(t) => t,
        Err(e) => {
            placed_inside(&e, source);
            return;
        }
    };
    let limit = env.limits().max_output_bytes;
    match compiled.render_to_string(&globals) {
        Ok((text, _)) => {
            assert!(
                text.len() <= limit,
                "{} bytes of output past the limit of {limit}",
                text.len()
            );
            match compiled.render_to_string(&globals) {
                Ok((again, _)) => assert_eq!(text, again, "a second render differs"),
                Err(e) => assert_eq!(
                    e.kind(),
                    ErrorKind::LimitExceeded,
                    "rendered once, then {e}"
                ),
            }
        }
        Err(e) => {
            assert!(
                matches!(
                    e.kind(),
                    ErrorKind::Filter
                        | ErrorKind::Type
                        | ErrorKind::LimitExceeded
                        | ErrorKind::PartialNotFound
                        | ErrorKind::MissingSnippet
                ),
                "a render error of kind {:?}: {e}",
                e.kind()
            );
            placed_inside(&e, source);
        }
    }
}

fn in_schema(name: &str) -> bool {
    PROPERTIES.iter().any(|p| p.name == name)
}

/// `record`: any line as an input record. An error prints; one about a property names a
/// property of the schema (for missing ones, each one the event requires); a record that
/// reads is one of the six events.
pub fn record(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    match Record::parse(line, &RecordOptions::default()) {
        Ok(record) => {
            assert!(EventKind::ALL.contains(&record.event.kind));
            let _ = format!("{record:?}");
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty());
            match &e {
                RecordError::Property { property, .. } => {
                    assert!(in_schema(property), "not a schema property: {property:?}");
                    assert!(
                        text.contains(property),
                        "{text:?} does not name {property:?}"
                    );
                }
                RecordError::MissingProperties { event, missing } => {
                    let kind = EventKind::from_name(event).expect("a schema event");
                    assert!(!missing.is_empty(), "no property named: {text}");
                    for name in missing {
                        let id = kind
                            .properties()
                            .iter()
                            .find(|id| id.property().name == *name)
                            .unwrap_or_else(|| panic!("{event} does not carry {name:?}"));
                        assert_eq!(
                            id.property().presence,
                            Presence::Required,
                            "{name} is not required"
                        );
                        assert!(text.contains(name), "{text:?} does not name {name:?}");
                    }
                }
                _ => {}
            }
        }
    }
}

/// `message`: any text as a message (TOML) loads, or has problems, each printable and
/// placed inside the text.
pub fn message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Message::from_toml("fuzz.toml", text, promo_env()) {
        Ok(message) => {
            let _ = message.source();
        }
        Err(e) => {
            assert!(!e.problems().is_empty(), "an error without problems");
            let _ = e.report();
            let _ = format!("{:?}", e.failure());
            for p in e.problems() {
                if let Some(span) = p.span {
                    let r = span.range();
                    assert!(
                        r.start <= r.end && r.end <= text.len(),
                        "problem at {r:?} outside {} bytes: {p:?}",
                        text.len()
                    );
                }
            }
        }
    }
}

fn wallet_push() -> &'static Message {
    static MESSAGE: OnceLock<Message> = OnceLock::new();
    MESSAGE.get_or_init(|| {
        let text = include_str!("../../templates/wallet.push.toml");
        Message::from_toml("wallet.push.toml", text, promo_env())
            .expect("the bundled message loads")
    })
}

/// `batch_line`: any input to the batch pipeline with the bundled wallet push gives
/// exactly one outcome line per non-blank input line, in order, each a JSON object with
/// its line number and an outcome.
pub fn batch_line(data: &[u8]) {
    let options = BatchOptions {
        max_line_bytes: 4096,
        ..BatchOptions::default()
    };
    let batch = Batch::new(wallet_push(), &Settings::default(), options);
    let mut out = Vec::new();
    let summary = batch
        .run(data, &mut out, |_| {})
        .expect("in-memory input and output");
    // Lines as the batch counts them: a UTF-8 byte order mark at the very start is
    // skipped, the rest split at \n; blank ones hold only spaces, tabs, \r.
    let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if text.ends_with(b"\n") || text.is_empty() {
        lines.pop();
    }
    let wanted: Vec<u64> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let outcomes: Vec<Json> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each outcome is JSON"))
        .collect();
    let numbers: Vec<u64> = outcomes
        .iter()
        .map(|o| o["line"].as_u64().expect("an outcome has its line"))
        .collect();
    assert_eq!(numbers, wanted, "one outcome per non-blank line, in order");
    assert_eq!(summary.records(), wanted.len() as u64);
    for o in &outcomes {
        assert!(
            matches!(
                o["outcome"].as_str(),
                Some("rendered" | "aborted" | "failed")
            ),
            "an outcome of no kind: {o}"
        );
    }
}
