//! Every position shown to a person is in the file they edit: the same broken message
//! gives the same line and column in `lint`, `render`, `preview` and `batch` (the real
//! binary), and the JSON outputs carry both the file's place and the field's.

use std::path::PathBuf;

use serde_json::{Value, json};

mod common;
use common::{run, text};

const RECORD: &str = r#"{"identity":"u-1","evtName":"CT Points Credited","evtData":{"points":5,"walletId":"w-1","campaignId":"c-1","source":"API","transactionId":"t-1"}}"#;

fn record_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "promo-liquid-positions-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, RECORD).unwrap();
    path
}

/// The `-->` lines of a report.
fn places(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .collect()
}

#[test]
fn a_message_that_does_not_compile_is_placed_alike_by_every_command() {
    let file = "tests/fixtures/positions/broken.sms.toml";
    let place = "tests/fixtures/positions/broken.sms.toml:9:32";
    let record = record_file();
    let record = record.to_str().unwrap();

    let lint = run(&["lint", file], b"");
    assert_eq!(lint.status.code(), Some(1));
    assert_eq!(places(&text(&lint.stdout)), [place]);

    let render = run(&["render", file, "--record", record], b"");
    assert_eq!(render.status.code(), Some(1));
    assert_eq!(places(&text(&render.stderr)), [place]);

    let preview = run(&["preview", file], b"");
    assert_eq!(preview.status.code(), Some(1));
    assert_eq!(places(&text(&preview.stderr)), [place]);

    let batch = run(&["batch", file], RECORD.as_bytes());
    assert_eq!(batch.status.code(), Some(2));
    assert_eq!(places(&text(&batch.stderr)), [place]);

    // The same report, word for word, from all four.
    let report = text(&render.stderr);
    assert!(report.starts_with("error[unknown_filter]: unknown filter \"numbr_with_delimiter\"\n"));
    assert!(text(&lint.stdout).starts_with(&report));
    assert_eq!(text(&preview.stderr), report);
    assert!(text(&batch.stderr).starts_with(&report));

    // JSON: the file's place and the field's (line 2, where `\t` is one character).
    let json_render = run(
        &["render", file, "--record", record, "--format", "json"],
        b"",
    );
    assert_eq!(json_render.status.code(), Some(1));
    let outcome: Value = serde_json::from_slice(&json_render.stdout).unwrap();
    assert_eq!(
        outcome,
        json!({
            "outcome": "failed", "kind": "unknown_filter",
            "message": "unknown filter \"numbr_with_delimiter\"",
            "help": "did you mean \"number_with_delimiter\"?",
            "field": "body", "at": {"line": 9, "col": 32}, "field_at": {"line": 2, "col": 31},
        })
    );
    let json_lint = run(&["lint", file, "--format", "json"], b"");
    let lint: Value = serde_json::from_slice(&json_lint.stdout).unwrap();
    let d = &lint["files"][0]["diagnostics"][0];
    assert_eq!(
        (&d["at"], &d["field_at"]),
        (&outcome["at"], &outcome["field_at"])
    );
}

#[test]
fn a_failure_at_render_time_is_placed_alike_by_render_preview_and_batch() {
    let file = "tests/fixtures/positions/fails.sms.toml";
    let place = "tests/fixtures/positions/fails.sms.toml:8:61";
    let record = record_file();
    let record = record.to_str().unwrap();

    let render = run(&["render", file, "--record", record], b"");
    assert_eq!(render.status.code(), Some(1));
    assert_eq!(places(&text(&render.stderr)), [place]);

    let preview = run(&["preview", file], b"");
    assert_eq!(preview.status.code(), Some(1));
    let previewed = text(&preview.stdout);
    assert_eq!(places(&previewed), [place; 4], "{previewed}");

    let batch = run(&["batch", file], RECORD.as_bytes());
    assert_eq!(batch.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&batch.stdout).unwrap();
    assert_eq!(line["at"], json!({"line": 8, "col": 61}));
    // The value starts the line after `'''`, so the columns agree.
    assert_eq!(line["field_at"], json!({"line": 1, "col": 61}));

    let json_render = run(
        &["render", file, "--record", record, "--format", "json"],
        b"",
    );
    let outcome: Value = serde_json::from_slice(&json_render.stdout).unwrap();
    assert_eq!(
        (&outcome["at"], &outcome["field_at"]),
        (&line["at"], &line["field_at"])
    );
    assert_eq!(outcome["kind"], "filter");
}
