//! `promo-liquid batch`, run as the real binary, and the batch library under it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use promo_liquid::batch::{Batch, BatchError, BatchOptions};
use promo_liquid::message::{FailureKind, Message};
use promo_liquid::promo::{self, Settings};
use serde_json::{Value, json};

mod common;
use common::{root, text};

/// Runs `promo-liquid batch ARGS` with `stdin` as its input.
fn batch(args: &[&str], stdin: &[u8]) -> Output {
    let args: Vec<&str> = std::iter::once("batch")
        .chain(args.iter().copied())
        .collect();
    common::run(&args, stdin)
}

#[path = "../examples/gen_records/records.rs"]
mod records;

/// The output lines as JSON values.
fn outcomes(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The summary line without its timing: `N records ...: 1 rendered, ...`.
fn summary_counts(output: &Output) -> String {
    let stderr = text(&output.stderr);
    let (_, counts) = stderr
        .split_once("records/s): ")
        .unwrap_or_else(|| panic!("no summary in {stderr:?}"));
    counts.to_owned()
}

fn tempdir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("promo-liquid-batch-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A template for any event, that renders every generated record.
const ANY_EVENT: &str = "tests/fixtures/batch/any-event.liquid";

fn generated(count: usize, seed: u64) -> Vec<String> {
    let mut generator = records::Generator::new(seed, records::Shape::default());
    (0..count).map(|_| generator.line()).collect()
}

#[test]
fn outcomes_keep_input_order_under_parallelism() {
    let lines = generated(10_000, 1);
    let input = lines.join("\n") + "\n";
    let out = batch(&[ANY_EVENT, "--jobs", "2"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outcomes = outcomes(&out);
    assert_eq!(outcomes.len(), 10_000);
    for (i, (outcome, line)) in outcomes.iter().zip(&lines).enumerate() {
        let record: Value = serde_json::from_str(line).unwrap();
        let identity = match &record["identity"] {
            Value::Number(n) => n.to_string(),
            other => other.as_str().unwrap().to_owned(),
        };
        assert_eq!(outcome["line"], json!(i + 1));
        assert_eq!(outcome["identity"], json!(identity), "line {}", i + 1);
        assert_eq!(outcome["outcome"], "rendered", "line {}: {outcome}", i + 1);
        let name = record["profileData"]["Name"].as_str().unwrap_or("you");
        assert_eq!(
            outcome["fields"]["text"],
            json!(format!(
                "{} for {name}",
                record["evtName"].as_str().unwrap()
            )),
            "line {}",
            i + 1
        );
    }
    assert_eq!(
        summary_counts(&out),
        "10000 rendered, 0 aborted, 0 failed\n"
    );
}

/// Every kind of bad line fails at its own line number, with its own kind, and the
/// records around it render.
#[test]
fn every_kind_of_bad_line_fails_at_its_line_while_its_neighbours_render() {
    let good = |id: &str, points: u32| {
        format!(
            r#"{{"identity": "{id}", "evtName": "CT Points Credited", "evtData": {{"walletId": "w1", "campaignId": "c1", "source": "API", "points": {points}, "transactionId": "t-{id}"}}, "profileData": {{"Name": "Asha"}}}}"#
        )
        .into_bytes()
    };
    let lines: Vec<Vec<u8>> = vec![
        good("u-1", 10),
        b"{\"identity\": \"u-2\", \"evtName\": ".to_vec(),
        good("u-3", 30),
        b"{\"identity\": \"u-\xff\", \"evtName\": \"CT Points Credited\"}".to_vec(),
        good("u-5", 50),
        format!(
            r#"{{"identity": "u-6", "evtName": "CT Points Credited", "pad": "{}"}}"#,
            "x".repeat(5000)
        )
        .into_bytes(),
        Vec::new(),
        good("u-8", 80),
        br#"{"identity": "u-9", "evtName": "CT Coupon Redeemed", "evtData": {"orderId": "o-9", "couponId": "c-9"}}"#
            .to_vec(),
        br#"{"identity": "u-10", "evtName": "CT Points Credit"}"#.to_vec(),
        br#"{"identity": 11, "evtName": "CT Points Credited", "evtData": {"Points": "ten"}}"#
            .to_vec(),
        b"   \r".to_vec(),
        good("u-13", 0),
        good("u-14", 140),
    ];
    let input = lines.join(&b'\n');
    let out = batch(
        &["templates/wallet.push.toml", "--max-line-bytes", "2000"],
        &input,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rendered = |line: u64, id: &str, points: &str| {
        json!({
            "line": line, "identity": id, "outcome": "rendered",
            "fields": {
                "title": format!("+{points} points 🎉"),
                "body": format!("Asha, {points} points just landed in your wallet."),
                "deep_link": format!("shop://wallet/w1?txn=t-{id}"),
            },
            "warnings": [],
        })
    };
    let failed = |line: u64, id: Option<&str>, kind: &str, message: &str| {
        let mut outcome =
            json!({"line": line, "outcome": "failed", "kind": kind, "message": message});
        if let Some(id) = id {
            outcome["identity"] = json!(id);
        }
        outcome
    };
    let expected = vec![
        rendered(1, "u-1", "10"),
        failed(
            2,
            None,
            "invalid_json",
            "not valid JSON: EOF while parsing a value at column 31",
        ),
        rendered(3, "u-3", "30"),
        failed(
            4,
            None,
            "invalid_utf8",
            "not valid UTF-8: byte 17 (0xff) is not part of a UTF-8 character",
        ),
        rendered(5, "u-5", "50"),
        failed(
            6,
            None,
            "line_too_long",
            "the line is 5063 bytes long, over the limit of 2000 bytes",
        ),
        rendered(8, "u-8", "80"),
        failed(
            9,
            Some("u-9"),
            "wrong_event",
            "message templates/wallet.push.toml is for CT Points Credited and CT Points Debited, not for \"CT Coupon Redeemed\"",
        ),
        failed(
            10,
            Some("u-10"),
            "invalid_record",
            "unknown event \"CT Points Credit\": expected one of \"CT Coupon Rewarded\", \"CT Coupon Redeemed\", \"CT Coupon Reverted\", \"CT Points Credited\", \"CT Points Debited\", \"CT Partner Voucher Rewarded\"; did you mean \"CT Points Credited\"?",
        ),
        failed(
            11,
            Some("11"),
            "invalid_record",
            "property \"Points\": expected a number, found \"ten\"",
        ),
        json!({"line": 13, "identity": "u-13", "outcome": "aborted", "reason": "no points moved", "field": "title", "at": {"line": 8, "col": 28}, "field_at": {"line": 1, "col": 28}}),
        rendered(14, "u-14", "140"),
    ];
    let actual = outcomes(&out);
    assert_eq!(actual.len(), expected.len(), "{actual:#?}");
    for (actual, expected) in actual.iter().zip(&expected) {
        assert_eq!(actual, expected);
    }
    assert_eq!(
        summary_counts(&out),
        "5 rendered, 1 aborted, 6 failed; 2 blank lines skipped\n"
    );
}

/// The README's first command: the bundled sample renders, one record aborting on
/// purpose (zero points moved), and exits 0.
#[test]
fn the_bundled_sample_renders_and_exits_0() {
    let out = batch(
        &[
            "templates/wallet.push.toml",
            "--input",
            "templates/records/sample.ndjson",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outcomes = outcomes(&out);
    let not_rendered: Vec<(u64, &str)> = outcomes
        .iter()
        .filter(|o| o["outcome"] != "rendered")
        .map(|o| (o["line"].as_u64().unwrap(), o["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(not_rendered, [(15, "aborted")]);
    assert_eq!(
        summary_counts(&out),
        "39 rendered, 1 aborted, 0 failed; 1 blank line skipped\n"
    );
}

/// The README's bad-lines demonstration: each bad line fails on its own, at its line,
/// between records that render.
#[test]
fn the_bundled_bad_lines_fail_each_at_its_line() {
    let out = batch(
        &[
            "templates/wallet.push.toml",
            "--input",
            "templates/records/bad-lines.ndjson",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let outcomes = outcomes(&out);
    let kinds: Vec<(u64, &str)> = outcomes
        .iter()
        .map(|o| {
            let kind = o["kind"].as_str().or(o["outcome"].as_str()).unwrap();
            (o["line"].as_u64().unwrap(), kind)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (1, "rendered"),
            (2, "invalid_json"),
            (3, "invalid_record"),
            (4, "rendered"),
            (5, "wrong_event"),
            (6, "invalid_record"),
            (7, "invalid_record"),
            (8, "rendered"),
        ]
    );
    assert_eq!(outcomes[6]["missing"], json!(["Points"]));
    assert_eq!(
        outcomes[7]["warnings"],
        json!([{"kind": "unknown_property", "property": "Pionts", "suggestion": "Points"}])
    );
    assert_eq!(summary_counts(&out), "3 rendered, 0 aborted, 5 failed\n");
}

#[test]
fn only_blank_lines_make_no_outcomes_and_exit_0() {
    let out = batch(&[ANY_EVENT], b"\n  \n\r\n\t\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        summary_counts(&out),
        "0 rendered, 0 aborted, 0 failed; 4 blank lines skipped\n"
    );
}

#[test]
fn aborted_records_exit_0_and_output_goes_to_the_output_file() {
    let dir = tempdir("output");
    let path = dir.join("outcomes.ndjson");
    let zero = br#"{"identity": "u-1", "evtName": "CT Points Debited", "evtData": {"Points": 0, "Wallet Id": "w-1", "Source": "API", "Transaction Id": "t-1"}}"#;
    let out = batch(
        &[
            "templates/wallet.push.toml",
            "--output",
            path.to_str().unwrap(),
        ],
        zero,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"line\":1,\"identity\":\"u-1\",\"outcome\":\"aborted\",\"reason\":\"no points moved\",\"field\":\"title\",\"at\":{\"line\":8,\"col\":28},\"field_at\":{\"line\":1,\"col\":28}}\n"
    );
}

#[test]
fn strict_mode_fails_records_that_output_undefined_values() {
    let record = br#"{"identity": "u-1", "evtName": "CT Points Credited", "evtData": {"Points": 5, "Wallet Id": "w-1", "Campaign Id": "c-1", "Source": "API", "Transaction Id": "t-1"}}"#;
    let lenient = batch(&[ANY_EVENT, "--tz", "Asia/Kolkata"], record);
    assert_eq!(lenient.status.code(), Some(0));
    assert_eq!(
        outcomes(&lenient)[0]["fields"]["text"],
        "CT Points Credited for you"
    );

    let strict_template = tempdir("strict").join("name.liquid");
    std::fs::write(&strict_template, "Hi {{ Profile.Name }}").unwrap();
    let strict = batch(&[strict_template.to_str().unwrap(), "--strict"], record);
    assert_eq!(strict.status.code(), Some(1));
    let outcome = &outcomes(&strict)[0];
    assert_eq!(outcome["kind"], "undefined_variable");
    assert_eq!(outcome["field"], "text");
}

#[test]
fn usage_and_io_problems_exit_2_before_any_outcome() {
    let cases: [&[&str]; 6] = [
        &["no/such/message.toml"],
        &[ANY_EVENT, "--input", "no/such/records.ndjson"],
        &[ANY_EVENT, "--tz", "Mars/Olympus"],
        &[ANY_EVENT, "--jobs", "0"],
        &[ANY_EVENT, "--now", "yesterday"],
        &["tests/fixtures/batch/broken.toml"],
    ];
    for args in cases {
        let out = batch(args, b"{\"evtName\": \"CT Points Credited\"}\n");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = batch(&["tests/fixtures/batch/broken.toml"], b"");
    assert_eq!(
        text(&out.stderr),
        "error[unknown_filter]: unknown filter \"upcse\"\n --> tests/fixtures/batch/broken.toml:6:24\n  |\n6 | body = \"{{ EventName | upcse }}\"\n  |                        ^^^^^\n  = help: did you mean \"upcase\"?\n\n"
    );
}

/// `batch ... | head -1`: the reader goes away, and the batch stops quietly with 0.
#[test]
fn a_closed_output_pipe_stops_the_batch_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .args(["batch", ANY_EVENT])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Far more output than the pipe and the batch's buffers hold. The batch may stop
        // reading before the end: a broken pipe here is expected.
        let line = br#"{"identity": "u-1", "evtName": "CT Points Credited", "evtData": {"Points": 5, "Wallet Id": "w-1", "Campaign Id": "c-1", "Source": "API", "Transaction Id": "t-1"}}"#;
        for _ in 0..200_000 {
            if input
                .write_all(line)
                .and_then(|()| input.write_all(b"\n"))
                .is_err()
            {
                return;
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with(r#"{"line":1,"identity":"u-1","outcome":"rendered""#));
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    writer.join().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(stderr, "");
}

fn wallet_message(settings: &Settings) -> Message {
    let source = std::fs::read_to_string(root().join("templates/wallet.push.toml")).unwrap();
    Message::from_toml("wallet.push.toml", &source, &promo::environment(settings)).unwrap()
}

/// Small chunks, several threads: the library's iterator yields every outcome in order.
#[test]
fn the_outcome_iterator_yields_every_line_in_order() {
    let settings = Settings::default();
    let message = wallet_message(&settings);
    let options = BatchOptions {
        chunk_lines: 7,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = generated(500, 2);
    let input = lines.join("\n\n");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let outcomes: Vec<_> = pool.install(|| {
        batch
            .outcomes(input.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    });
    assert_eq!(outcomes.len(), 500);
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.line, 2 * i as u64 + 1);
        let expected = batch.outcome(outcome.line, lines[i].as_bytes());
        assert_eq!(outcome, &expected.into_owned());
    }
    let wrong_event = outcomes
        .iter()
        .filter(|o| {
            o.outcome
                .failure()
                .is_some_and(|f| f.kind == FailureKind::WrongEvent)
        })
        .count();
    assert!(wrong_event > 100, "the mix has other events: {wrong_event}");
}

/// Input that fails after some lines: every line before the failure gets its outcome,
/// then the run stops with the line it could not read.
#[test]
fn a_read_error_ends_the_run_after_the_outcomes_before_it() {
    struct Failing {
        data: io::Cursor<Vec<u8>>,
    }
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.data.read(buf)? {
                0 => Err(io::Error::other("disk on fire")),
                n => Ok(n),
            }
        }
    }
    let settings = Settings::default();
    let message = wallet_message(&settings);
    let options = BatchOptions {
        chunk_lines: 4,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let line = r#"{"evtName": "CT Points Credited", "evtData": {"Points": 5}}"#;
    let data = format!("{line}\n").repeat(10).into_bytes();
    let input = BufReader::new(Failing {
        data: io::Cursor::new(data),
    });
    let mut output = Vec::new();
    let error = batch.run(input, &mut output, |_| {}).unwrap_err();
    assert!(
        matches!(error, BatchError::Read { line: 11, .. }),
        "{error:?}"
    );
    assert_eq!(text(&output).lines().count(), 10);
    assert!(
        text(&output)
            .lines()
            .last()
            .unwrap()
            .starts_with(r#"{"line":10,"#)
    );
}
