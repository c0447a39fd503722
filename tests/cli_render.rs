//! `promo-liquid render`, run as the real binary.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod common;
use common::{root, text};

fn promo_liquid(args: &[&str], stdin: Option<&str>) -> Output {
    common::run(args, stdin.unwrap_or_default().as_bytes())
}

/// Every sample message renders each of its sample records to the text checked by hand
/// into `tests/fixtures/templates/MESSAGE@RECORD.txt` (with the bundled snippet library,
/// which the partner voucher's message takes its body from).
#[test]
fn every_sample_message_renders_its_expected_text() {
    let dir = root().join("tests/fixtures/templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (message, record) = stem.split_once('@').expect("MESSAGE@RECORD.txt");
        let message = format!("templates/{message}.toml");
        let record = format!("templates/records/{record}.json");
        let out = promo_liquid(
            &[
                "render",
                &message,
                "--record",
                &record,
                "--tz",
                "Asia/Kolkata",
                "--now",
                "2026-10-30T10:00:00+05:30",
                "--snippets",
                "templates/snippets",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{stem}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            std::fs::read_to_string(&path).unwrap(),
            "{stem}"
        );
        checked += 1;
    }
    assert!(
        checked >= 9,
        "expected fixtures for all sample messages, found {checked}"
    );
}

#[test]
fn every_event_has_a_sample_record_with_a_push_message() {
    let records = root().join("templates/records");
    for event in promo_liquid::promo::schema::EventKind::ALL {
        let found = std::fs::read_dir(&records).unwrap().any(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            text.contains(&format!("\"evtName\": \"{}\"", event.name()))
        });
        assert!(found, "no sample record for {event}");
        let push = std::fs::read_dir(root().join("templates"))
            .unwrap()
            .any(|e| {
                let path = e.unwrap().path();
                path.to_string_lossy().ends_with(".push.toml")
                    && std::fs::read_to_string(&path)
                        .unwrap()
                        .contains(event.name())
            });
        assert!(push, "no push message for {event}");
    }
}

#[test]
fn json_output_is_the_outcome_object() {
    let out = promo_liquid(
        &[
            "render",
            "templates/wallet.push.toml",
            "--record",
            "templates/records/points-debited.json",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["outcome"], "rendered");
    assert_eq!(outcome["fields"]["title"], "400 points used");
    assert_eq!(outcome["warnings"], serde_json::json!([]));
}

#[test]
fn an_abort_exits_3_with_its_reason() {
    let dir = tempdir("abort");
    let record = dir.join("zero.json");
    std::fs::write(
        &record,
        r#"{"evtName": "CT Points Credited", "evtData": {"Points": 0, "Wallet Id": "w-1", "Campaign Id": "c-1", "Source": "API", "Transaction Id": "t-1"}}"#,
    )
    .unwrap();
    let out = promo_liquid(
        &[
            "render",
            "templates/wallet.push.toml",
            "--record",
            record.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr),
        // Line 8 of the message: the first line of the title's string.
        "aborted: no points moved at templates/wallet.push.toml:8:28 (field title, 1:28)\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_bad_record_fails_with_exit_1_and_says_what_came() {
    let dir = tempdir("bad");
    let record = dir.join("bad.json");
    std::fs::write(
        &record,
        r#"{"evtName": "CT Points Credited", "evtData": {"Points": "ten"}}"#,
    )
    .unwrap();
    let out = promo_liquid(
        &[
            "render",
            "templates/wallet.push.toml",
            "--record",
            record.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error[invalid_record]: record {}: property \"Points\": expected a number, found \"ten\"\n",
            record.display()
        )
    );
}

#[test]
fn a_record_of_another_event_fails() {
    let out = promo_liquid(
        &[
            "render",
            "templates/wallet.push.toml",
            "--record",
            "templates/records/coupon-redeemed.json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error[wrong_event]: message templates/wallet.push.toml is for CT Points Credited and CT Points Debited, not for \"CT Coupon Redeemed\"\n"
    );
}

#[test]
fn a_template_error_shows_its_place_and_exits_1() {
    let out = promo_liquid(
        &["render", "-", "--data", "/dev/null"],
        Some("Hi {{ name | upcse }}"),
    );
    // /dev/null is not JSON: that is an input problem, exit 2.
    assert_eq!(out.status.code(), Some(2));

    let dir = tempdir("tpl");
    let data = dir.join("data.json");
    std::fs::write(&data, r#"{"name": "asha"}"#).unwrap();
    let out = promo_liquid(
        &["render", "-", "--data", data.to_str().unwrap()],
        Some("Hi {{ name | upcse }}"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error[unknown_filter]: unknown filter \"upcse\"\n --> <stdin>:1:14\n  |\n1 | Hi {{ name | upcse }}\n  |              ^^^^^\n  = help: did you mean \"upcase\"?\n\n"
    );
}

#[test]
fn plain_liquid_renders_against_json_data() {
    let dir = tempdir("plain");
    let data = dir.join("data.json");
    std::fs::write(&data, r#"{"items": [1, 2, 3]}"#).unwrap();
    let out = promo_liquid(
        &["render", "-", "--data", data.to_str().unwrap()],
        Some("{{ items | join: '+' }}={{ items | sum }}{{ missing }}"),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "1+2+3=6");
    assert_eq!(
        text(&out.stderr),
        "warning: undefined variable `missing` at <stdin>:1:45\n"
    );
}

#[test]
fn strict_mode_fails_on_undefined_output() {
    let out = promo_liquid(&["render", "-", "--strict"], Some("Hi {{ name }}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("error[undefined_variable]: `name` is undefined"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_file_or_bad_zone_is_a_usage_error() {
    let out = promo_liquid(&["render", "no/such/file.liquid"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = promo_liquid(&["render", "-", "--tz", "Mars/Olympus"], Some(""));
    assert_eq!(out.status.code(), Some(2));
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("promo-liquid-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_message_rendered_without_a_record_is_a_usage_error_that_says_what_to_add() {
    let out = promo_liquid(&["render", "templates/wallet.push.toml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "error: templates/wallet.push.toml is a message: it renders for one promo event record; \
         add `--record RECORD.json` (the bundled samples are in templates/records/)\n"
    );
}

#[test]
fn json_output_is_one_outcome_object_whatever_fails() {
    let dir = tempdir("json");
    let broken_json = dir.join("broken.json");
    std::fs::write(&broken_json, r#"{"evtName": "CT Points Credited", "#).unwrap();
    let broken_message = dir.join("broken.toml");
    std::fs::write(
        &broken_message,
        "event = \"CT Points Credited\"\nchannel = \"sms\"\n[fields]\nbody = \"{{ x | upcse }}\"\n",
    )
    .unwrap();
    let cases = [
        (
            "templates/wallet.push.toml",
            broken_json.to_str().unwrap(),
            "invalid_json",
        ),
        (
            broken_message.to_str().unwrap(),
            "templates/records/points-credited.json",
            "unknown_filter",
        ),
        (
            "templates/wallet.push.toml",
            "templates/records/coupon-rewarded.json",
            "wrong_event",
        ),
    ];
    for (message, record, kind) in cases {
        let out = promo_liquid(
            &["render", message, "--record", record, "--format", "json"],
            None,
        );
        assert_eq!(out.status.code(), Some(1), "{message}");
        let outcome: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{message}: {e}: {}", text(&out.stdout)));
        assert_eq!(outcome["outcome"], "failed");
        assert_eq!(outcome["kind"], kind, "{outcome}");
    }
    // The message's problem is placed in its file.
    let out = promo_liquid(
        &[
            "render",
            broken_message.to_str().unwrap(),
            "--record",
            "templates/records/points-credited.json",
            "--format",
            "json",
        ],
        None,
    );
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["at"], serde_json::json!({"line": 4, "col": 16}));
}

/// `promo-liquid filters | head -1`: the reader goes away after one line, and the
/// command ends quietly with 0, as does every command.
#[test]
fn a_closed_standard_output_ends_a_command_quietly() {
    for args in [
        &["filters"][..],
        &["schema"],
        &["schema", "--format", "json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the pipe before the command writes: every write fails.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
}

/// A coupon that expired before its push went out (a late or replayed event) is not
/// pushed: the bundled coupon push aborts, naming why.
#[test]
fn the_bundled_coupon_push_aborts_for_an_expired_coupon() {
    let render = |now: &str| {
        promo_liquid(
            &[
                "render",
                "templates/coupon-rewarded.push.toml",
                "--record",
                "templates/records/coupon-rewarded.json",
                "--tz",
                "Asia/Kolkata",
                "--now",
                now,
            ],
            None,
        )
    };
    // The sample coupon expires at the end of 1 November 2026.
    let last_day = render("2026-11-01T22:00:00+05:30");
    assert_eq!(last_day.status.code(), Some(0));
    assert!(text(&last_day.stdout).contains(", today only!"));
    let expired = render("2026-11-02T09:00:00+05:30");
    assert_eq!(expired.status.code(), Some(3));
    assert!(expired.stdout.is_empty());
    assert_eq!(
        text(&expired.stderr),
        "aborted: the coupon has expired at templates/coupon-rewarded.push.toml:12:24 (field title, 2:24)\n"
    );
}

#[test]
fn json_output_of_a_template_with_plain_data_is_one_outcome_object_too() {
    let dir = tempdir("plain-json");
    let data = dir.join("data.json");
    std::fs::write(&data, r#"{"name": "Asha"}"#).unwrap();
    let data = data.to_str().unwrap();
    let render = |template: &str| {
        let out = promo_liquid(
            &["render", "-", "--data", data, "--format", "json"],
            Some(template),
        );
        let outcome: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{template}: {e}: {}", text(&out.stdout)));
        (out.status.code(), outcome)
    };
    let (code, outcome) = render("Hi {{ name }}{{ city }}");
    assert_eq!(code, Some(0));
    assert_eq!(outcome["fields"]["text"], "Hi Asha");
    assert_eq!(outcome["warnings"][0]["path"], "city");
    let (code, outcome) = render("Hi\n{{ name | upcse }}");
    assert_eq!(code, Some(1));
    assert_eq!(
        outcome,
        serde_json::json!({
            "outcome": "failed", "kind": "unknown_filter", "message": "unknown filter \"upcse\"",
            "help": "did you mean \"upcase\"?", "field": "text",
            "at": {"line": 2, "col": 11}, "field_at": {"line": 2, "col": 11},
        })
    );
    let (code, outcome) = render("{% abort 'no' %}");
    assert_eq!(
        (code, &outcome["outcome"]),
        (Some(3), &serde_json::json!("aborted"))
    );
}
