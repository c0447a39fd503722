//! The record rule: every part of a record (top level, `evtData`, `profileData`, nested
//! objects, fields the product ignores) is checked the same way, whether a message reads
//! it or not. Through the library, and through `promo-liquid batch`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use promo_liquid::message::{Message, Outcome};
use promo_liquid::promo::record::{Record, RecordError};
use promo_liquid::promo::{self, Settings};
use serde_json::Value;

fn parse_error(line: &str) -> String {
    Record::parse(line, &Settings::default().record_options())
        .map(|_| "parsed".to_owned())
        .unwrap_or_else(|e: RecordError| e.to_string())
}

/// The properties a CT Points Credited record must have.
const REQUIRED: &str =
    r#""walletId":"w-1","campaignId":"c-1","source":"API","points":5,"transactionId":"t-1""#;

/// A CT Points Credited record with `extra` (`"key": value` pairs) inside the object
/// named `place`: `evtData`, `profileData`, or a top-level field the product ignores.
/// Its `evtData` has the event's required properties, first; `extra` ends the line but
/// for the closing braces.
fn record_with(place: &str, extra: &str) -> String {
    if place == "evtData" {
        format!(r#"{{"evtName":"CT Points Credited","evtData":{{{REQUIRED},{extra}}}}}"#)
    } else {
        format!(
            r#"{{"evtName":"CT Points Credited","evtData":{{{REQUIRED}}},"{place}":{{{extra}}}}}"#
        )
    }
}

#[test]
fn a_key_twice_anywhere_is_an_error_naming_the_key_and_its_object() {
    let cases = [
        (
            r#"{"evtName": "CT Points Credited", "evtName": "CT Points Debited"}"#,
            r#"duplicate key "evtName" in the record"#,
        ),
        (
            r#"{"evtName": "CT Points Credited", "unused": 1, "unused": 2}"#,
            r#"duplicate key "unused" in the record"#,
        ),
        (
            &record_with("evtData", r#""Points": 1, "Points": 2"#),
            r#"duplicate key "Points" in evtData"#,
        ),
        (
            &record_with("evtData", r#""Festival": "a", "Festival": "b""#),
            r#"duplicate key "Festival" in evtData"#,
        ),
        (
            &record_with("evtData", r#""cart": {"items": [{"sku": 1, "sku": 2}]}"#),
            r#"duplicate key "sku" in evtData.cart.items[0]"#,
        ),
        (
            &record_with("profileData", r#""Name": "Asha", "Name": "Ravi""#),
            r#"duplicate key "Name" in profileData"#,
        ),
        (
            &record_with(
                "profileData",
                r#""home address": {"city": "a", "city": "b"}"#,
            ),
            r#"duplicate key "city" in profileData["home address"]"#,
        ),
        (
            &record_with(
                "profileData",
                r#""orders": [{"id": 1}, {"id": 2, "id": 3}]"#,
            ),
            r#"duplicate key "id" in profileData.orders[1]"#,
        ),
        (
            &record_with("meta", r#""source": {"a": 1, "a": 1}"#),
            r#"duplicate key "a" in meta.source"#,
        ),
        // Keys are compared after unescaping.
        (
            &record_with("profileData", r#""Name": "Asha", "N\u0061me": "Ravi""#),
            r#"duplicate key "Name" in profileData"#,
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(parse_error(line), expected, "{line}");
    }
}

#[test]
fn a_key_twice_is_found_in_a_record_parsed_elsewhere() {
    let options = Settings::default().record_options();
    for line in [
        r#"{"evtName": "CT Points Credited", "evtName": "CT Points Debited"}"#,
        r#"{"evtName": "CT Points Credited", "profileData": {"a": {"b": 1, "b": 2}}}"#,
    ] {
        let json = serde_json::from_str(line).unwrap();
        let error = Record::from_json(json, &options).unwrap_err();
        assert!(
            matches!(error, RecordError::DuplicateKey { .. }),
            "{line}: {error}"
        );
    }
}

#[test]
fn many_keys_once_each_are_fine_and_one_twice_among_them_is_found() {
    let mut keys: Vec<String> = (0..5000).map(|i| format!(r#""k{i}": {i}"#)).collect();
    let line = record_with("profileData", &keys.join(","));
    assert_eq!(parse_error(&line), "parsed");
    keys.push(r#""k4321": 0"#.to_owned());
    let line = record_with("profileData", &keys.join(","));
    assert_eq!(
        parse_error(&line),
        r#"duplicate key "k4321" in profileData"#
    );
}

/// Values serde_json refuses, each failing with the same message wherever it is: the
/// column differs only by where the value is.
#[test]
fn values_that_cannot_be_read_fail_the_same_way_in_every_part_of_a_record() {
    let deep = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let deep_objects =
        |levels: usize| format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
    let bad = [
        "1e400".to_owned(),
        "-2.5e309".to_owned(),
        format!("1{}", "0".repeat(400)),
        r#""\ud800""#.to_owned(),
        r#""a\udc00b""#.to_owned(),
        r#""\ud800\u0041""#.to_owned(),
        // A value three levels down (record, part, value) may open 125 more.
        deep(126),
        deep_objects(126),
        format!("[1, {{\"b\": {}}}]", deep(124)),
    ];
    for value in &bad {
        let errors: Vec<(String, String)> = ["evtData", "profileData", "extra"]
            .iter()
            .map(|place| {
                let line = record_with(place, &format!(r#""x":{value}"#));
                (line.clone(), parse_error(&line))
            })
            .collect();
        let (first_line, first) = &errors[0];
        assert!(first.starts_with("not valid JSON: "), "{value}: {first}");
        for (line, error) in &errors[1..] {
            // The same message, at the same place in the value.
            let shift = line.len() as i64 - first_line.len() as i64;
            let column = |e: &str| -> i64 { e.rsplit(' ').next().unwrap().parse().unwrap() };
            assert_eq!(
                error.rsplit_once(" column ").unwrap().0,
                first.rsplit_once(" column ").unwrap().0,
                "{value} in {line}"
            );
            assert_eq!(column(error), column(first) + shift, "{value} in {line}");
        }
    }
    let fine = [
        "1e300".to_owned(),
        "1e-400".to_owned(),
        "123456789012345678901234567890".to_owned(),
        r#""\ud83c\udf89""#.to_owned(),
        deep(125),
        deep_objects(125),
    ];
    for value in &fine {
        for place in ["evtData", "profileData", "extra"] {
            let line = record_with(place, &format!(r#""x":{value}"#));
            assert_eq!(parse_error(&line), "parsed", "{line}");
        }
    }
}

#[test]
fn the_error_column_is_where_the_bad_value_is() {
    let line = record_with("profileData", r#""Name": "Asha", "balance": 1e400"#);
    let column = line.find("1e400").unwrap() + "1e400".len();
    assert_eq!(
        parse_error(&line),
        format!("not valid JSON: number out of range at line 1 column {column}")
    );
}

/// A field the message never reads fails the record all the same: a record valid for
/// one message is valid for every message.
#[test]
fn a_profile_field_that_cannot_be_read_fails_the_record_even_unread() {
    let settings = Settings {
        strict: true,
        ..Settings::default()
    };
    let env = promo::environment(&settings);
    let message = Message::from_template("t.liquid", "Hi {{ Profile.Name }}", &env).unwrap();
    let options = settings.record_options();
    let good = record_with("profileData", r#""Name": "Asha", "score": 1e300"#);
    let record = Record::parse(&good, &options).unwrap();
    assert!(matches!(message.render(&record), Outcome::Rendered { .. }));
    for extra in [
        r#""Name": "Asha", "score": 1e400"#,
        r#""Name": "Asha", "nick": "\ud800""#,
        r#""Name": "\ud800""#,
    ] {
        let line = record_with("profileData", extra);
        assert!(Record::parse(&line, &options).is_err(), "{line}");
    }
}

fn batch(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .arg("batch")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn outcomes(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn batch_fails_only_the_records_that_break_the_rule_and_says_why() {
    let lines = [
        record_with("profileData", r#""Name": "Asha""#),
        record_with("profileData", r#""Name": "Asha", "Name": "Ravi""#),
        record_with("profileData", r#""Name": "Asha", "score": 1e400"#),
        record_with("profileData", r#""Name": "\ud800""#),
        r#"{"evtName":"CT Points Credited","evtData":{},"evtName":"CT Points Debited"}"#.to_owned(),
        record_with("profileData", r#""Name": "Ravi""#),
    ];
    let input = lines.join("\n");
    for strict in [false, true] {
        let mut args = vec!["tests/fixtures/batch/any-event.liquid"];
        if strict {
            args.push("--strict");
        }
        let out = batch(&args, input.as_bytes());
        assert_eq!(out.status.code(), Some(1));
        let outcomes = outcomes(&out);
        let kinds: Vec<&str> = outcomes
            .iter()
            .map(|o| o["kind"].as_str().unwrap_or(o["outcome"].as_str().unwrap()))
            .collect();
        assert_eq!(
            kinds,
            [
                "rendered",
                "invalid_record",
                "invalid_json",
                "invalid_json",
                "invalid_record",
                "rendered"
            ]
        );
        assert_eq!(
            outcomes[1]["message"],
            r#"duplicate key "Name" in profileData"#
        );
        assert_eq!(
            outcomes[4]["message"],
            r#"duplicate key "evtName" in the record"#
        );
        assert_eq!(outcomes[5]["fields"]["text"], "CT Points Credited for Ravi");
    }
}

#[test]
fn a_byte_order_mark_at_the_start_of_the_input_is_skipped() {
    let record = record_with("profileData", r#""Name": "Asha""#);
    let input = format!("\u{feff}{record}\n\u{feff}{record}\n");
    let out = batch(&["tests/fixtures/batch/any-event.liquid"], input.as_bytes());
    let outcomes = outcomes(&out);
    assert_eq!(outcomes[0]["outcome"], "rendered", "{outcomes:?}");
    assert_eq!(outcomes[0]["fields"]["text"], "CT Points Credited for Asha");
    // Only at the start of the input: elsewhere it is a stray character.
    assert_eq!(outcomes[1]["kind"], "invalid_json", "{outcomes:?}");
    assert_eq!(out.status.code(), Some(1));
}
