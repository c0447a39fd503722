//! What is sent is right: `render` and `batch` (the real binary) and the library hold
//! every rendered message to its channel's rules, with the same outcome.

use std::path::PathBuf;
use std::process::Output;

use promo_liquid::message::{Message, Outcome};
use promo_liquid::promo::record::Record;
use promo_liquid::promo::{self, Settings};
use serde_json::{Value, json};

mod common;
use common::{root, run, text};

/// A CT Points Credited record of 20 points whose wallet description is `description`.
fn record(identity: &str, description: &str) -> String {
    json!({
        "identity": identity,
        "evtName": "CT Points Credited",
        "evtData": {
            "points": 20, "walletId": "w-1", "campaignId": "c-1", "source": "API",
            "transactionId": "t-1", "walletDescription": description,
        },
    })
    .to_string()
}

fn record_file(name: &str, line: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("promo-liquid-send-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, line).unwrap();
    path
}

/// `{"aps":{"alert":{"title":"+20 points","body":""}}}` is 50 bytes: 5,251 bytes of
/// description make the APNs payload 5,301 bytes, and FCM's frame is 11 bytes longer.
const PUSH: &str = "tests/fixtures/send/points.push.toml";
const SMS: &str = "tests/fixtures/send/points.sms.toml";

fn outcome_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

#[test]
fn a_push_of_5301_bytes_fails_in_render_with_its_kind_and_numbers() {
    let path = record_file("big.json", &record("u-1", &"a".repeat(5251)));
    let path = path.to_str().unwrap();
    let out = run(&["render", PUSH, "--record", path, "--format", "json"], b"");
    assert_eq!(out.status.code(), Some(1));
    let outcome = outcome_of(&out);
    assert_eq!(outcome["outcome"], "failed");
    assert_eq!(outcome["kind"], "payload_too_large");
    assert_eq!(outcome["apns_bytes"], 5301);
    assert_eq!(outcome["fcm_bytes"], 5312);
    assert_eq!(outcome["limit"], 4096);
    assert!(
        outcome.get("fields").is_none(),
        "nothing to send: {outcome}"
    );

    let out = run(&["render", PUSH, "--record", path], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).starts_with(
            "error[payload_too_large]: the push payload is 5301 bytes for APNs and 5312 bytes for FCM; each takes at most 4096\n"
        ),
        "{}",
        text(&out.stderr)
    );

    // 4,046 bytes of description: 4,096 and 4,107 bytes, and FCM's is one too many.
    let path = record_file("edge.json", &record("u-1", &"a".repeat(4046)));
    let out = run(
        &[
            "render",
            PUSH,
            "--record",
            path.to_str().unwrap(),
            "--format",
            "json",
        ],
        b"",
    );
    let outcome = outcome_of(&out);
    assert_eq!(
        (
            outcome["apns_bytes"].as_u64(),
            outcome["fcm_bytes"].as_u64()
        ),
        (Some(4096), Some(4107))
    );
    let path = record_file("fits.json", &record("u-1", &"a".repeat(4035)));
    let out = run(&["render", PUSH, "--record", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_push_of_5301_bytes_fails_in_batch_while_its_neighbours_are_sent() {
    let input = [
        record("u-1", "Earn on every order"),
        record("u-2", &"a".repeat(5251)),
        record("u-3", "Redeem at checkout"),
    ]
    .join("\n");
    let out = run(&["batch", PUSH], input.as_bytes());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["outcome"], "rendered");
    assert_eq!(lines[0]["fields"]["body"], "Earn on every order");
    assert_eq!(
        lines[1],
        json!({
            "line": 2, "identity": "u-2", "outcome": "failed", "kind": "payload_too_large",
            "message": "the push payload is 5301 bytes for APNs and 5312 bytes for FCM; each takes at most 4096",
            "help": "shorten the body (or the title): every byte of the payload counts, multi-byte characters as their UTF-8 bytes",
            "apns_bytes": 5301, "fcm_bytes": 5312, "limit": 4096,
        })
    );
    assert_eq!(lines[2]["outcome"], "rendered");
}

/// `🎉 +20 points. ` is 15 UTF-16 units; with 150 characters of description the SMS is
/// 165 units of UCS-2: three segments of 67.
#[test]
fn an_sms_of_3_segments_fails_when_2_are_allowed_in_render_and_batch() {
    let line = record("u-1", &"d".repeat(150));
    let path = record_file("long.json", &line);
    let path = path.to_str().unwrap();
    let out = run(
        &[
            "render",
            SMS,
            "--record",
            path,
            "--max-segments",
            "2",
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let outcome = outcome_of(&out);
    assert_eq!(outcome["kind"], "too_many_segments");
    assert_eq!(outcome["max_segments"], 2);
    assert_eq!(
        outcome["sms"],
        json!({"encoding": "UCS-2", "characters": 164, "units": 165, "segments": 3, "forced_by": ["🎉"]})
    );
    assert_eq!(
        outcome["message"],
        "the SMS takes 3 segments (165 code units of UCS-2); at most 2 are allowed"
    );
    assert_eq!(outcome["field"], "body");

    let out = run(&["batch", SMS, "--max-segments", "2"], line.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let batch: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let mut expected = outcome.clone();
    expected["line"] = json!(1);
    expected["identity"] = json!("u-1");
    assert_eq!(batch, expected, "batch gives render's outcome");

    // Allowed three (the default is ten), it is sent, and says what it costs.
    let out = run(
        &[
            "render",
            SMS,
            "--record",
            path,
            "--max-segments",
            "3",
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(outcome_of(&out)["sms"]["segments"], 3);
}

#[test]
fn every_rendered_sms_outcome_carries_its_encoding_and_segments() {
    let gsm = json!({
        "evtName": "CT Coupon Reverted",
        "evtData": {"orderId": "o-1", "couponId": "c-1", "couponCode": "SAVE20"},
    })
    .to_string();
    let path = record_file("reverted.json", &gsm);
    let out = run(
        &[
            "render",
            "templates/coupon-reverted.sms.toml",
            "--record",
            path.to_str().unwrap(),
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outcome = outcome_of(&out);
    let body = outcome["fields"]["body"].as_str().unwrap();
    assert_eq!(outcome["sms"]["encoding"], "GSM-7");
    assert_eq!(outcome["sms"]["segments"], 1);
    assert_eq!(outcome["sms"]["characters"], body.chars().count());
    assert_eq!(outcome["sms"]["forced_by"], json!([]));
    // In text, the SMS line goes to standard error beside the body.
    let out = run(
        &[
            "render",
            "templates/coupon-reverted.sms.toml",
            "--record",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        text(&out.stderr).contains("note: sms: GSM-7, "),
        "{}",
        text(&out.stderr)
    );

    // Every line of a batch, and the library's outcome.
    let input = [record("u-1", "short"), record("u-2", &"é".repeat(300))].join("\n");
    let out = run(&["batch", SMS], input.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for line in text(&out.stdout).lines() {
        let outcome: Value = serde_json::from_str(line).unwrap();
        assert_eq!(outcome["sms"]["encoding"], "UCS-2", "{line}");
        assert!(outcome["sms"]["segments"].as_u64().unwrap() >= 1, "{line}");
    }
    let settings = Settings::default();
    let env = promo::environment(&settings);
    let source = std::fs::read_to_string(root().join(SMS)).unwrap();
    let message = Message::from_toml(SMS, &source, &env).unwrap();
    let line = record("u-1", "short");
    let record = Record::parse(&line, &settings.record_options()).unwrap();
    let Outcome::Rendered { sms: Some(sms), .. } = message.render(&record) else {
        panic!("{:?}", message.render(&record))
    };
    assert_eq!((sms.segments, sms.forced_by.as_slice()), (1, &['🎉'][..]));
}

#[test]
fn a_required_field_that_renders_empty_is_not_sent() {
    let dir = record_file("empty.sms.toml", "");
    let message = dir.with_file_name("empty.sms.toml");
    std::fs::write(
        &message,
        "event = \"CT Points Credited\"\nchannel = \"sms\"\n\n[fields]\nbody = \"{{ Event['Wallet Name'] }}\"\n",
    )
    .unwrap();
    let out = run(
        &["batch", message.to_str().unwrap()],
        record("u-1", "x").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let outcome: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(outcome["kind"], "empty_field");
    assert_eq!(outcome["field"], "body");
    assert_eq!(outcome["at"], json!({"line": 5, "col": 9}));
    assert_eq!(
        outcome["message"],
        "the body rendered empty, and sms messages cannot be sent without one"
    );
}
