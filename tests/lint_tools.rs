//! The template authors' other tools, run as the real binary: `preview` (with the
//! channel checks), `schema` and `filters`. Previews are compared with hand-checked
//! files in `tests/fixtures/lint/preview/` (`UPDATE_EXPECTED=1` rewrites them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use promo_liquid::promo::{self, Settings, schema};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn promo_liquid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn check_snapshot(actual: &str, expected: &Path) {
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(expected, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(expected)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECTED=1", expected.display()));
    assert_eq!(actual, want, "{}", expected.display());
}

const NOW: &str = "2026-10-30T10:00:00+05:30";

#[test]
fn preview_renders_the_four_samples_with_the_sms_checks() {
    let out = promo_liquid(&[
        "preview",
        "tests/fixtures/lint/preview/emoji.sms.toml",
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    check_snapshot(
        &text(&out.stdout),
        &root().join("tests/fixtures/lint/preview/emoji.sms.expected"),
    );
}

#[test]
fn preview_of_a_bundled_push_shows_the_payload_sizes() {
    let out = promo_liquid(&[
        "preview",
        "templates/coupon-rewarded.push.toml",
        "--now",
        NOW,
        "--tz",
        "Asia/Kolkata",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    check_snapshot(
        &text(&out.stdout),
        &root().join("tests/fixtures/lint/preview/coupon-rewarded.push.expected"),
    );
}

#[test]
fn preview_of_a_given_record_renders_it_alone() {
    let out = promo_liquid(&[
        "preview",
        "templates/wallet.push.toml",
        "--record",
        "templates/records/points-debited.json",
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "== templates/records/points-debited.json\n\
         title: 400 points used\n\
         body: 400 points were used from your wallet. Balance: 1,24,600.\n\
         deep_link: shop://wallet/wal_51d0?txn=txn_a17f02\n\
         push: APNs payload 164 bytes, FCM payload 184 bytes (at most 4096); title 15 characters, body 57\n"
    );
    let wrong = promo_liquid(&[
        "preview",
        "templates/wallet.push.toml",
        "--record",
        "templates/records/coupon-rewarded.json",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stdout).contains("error[wrong_event]"));
}

#[test]
fn a_push_past_4096_bytes_fails_the_preview() {
    let out = promo_liquid(&[
        "preview",
        "tests/fixtures/lint/preview/huge.push.toml",
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &value["previews"][0];
    assert_eq!(first["label"], "CT Points Debited: all properties");
    // As `render` and `batch` would send it: not at all. "Points used" and 4100
    // characters of body in the documented frames.
    assert_eq!(first["outcome"], "failed");
    assert_eq!(first["kind"], "payload_too_large");
    assert_eq!(first["apns_bytes"], 4151);
    assert_eq!(first["fcm_bytes"], 4162);
    assert_eq!(first["limit"], 4096);
    assert_eq!(
        first["message"],
        "the push payload is 4151 bytes for APNs and 4162 bytes for FCM; each takes at most 4096"
    );
}

#[test]
fn preview_of_a_bare_template_samples_the_event_given() {
    let out = promo_liquid(&[
        "preview",
        "tests/fixtures/lint/clean/any-event.liquid",
        "--event",
        "CT Partner Voucher Rewarded",
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("== CT Partner Voucher Rewarded: ").count(),
        4
    );
    assert!(stdout.contains("text: |\n  Hi Sample Name, about your partner voucher rewarded\n"));
}

#[test]
fn schema_prints_the_one_table_in_each_format() {
    let markdown = promo_liquid(&["schema", "--format", "markdown"]);
    assert_eq!(text(&markdown.stdout), schema::markdown());

    let json = promo_liquid(&["schema", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["events"].as_array().unwrap().len(), 6);
    assert_eq!(
        value["properties"].as_array().unwrap().len(),
        schema::PROPERTY_COUNT
    );
    let code = &value["properties"][1];
    assert_eq!(code["name"], "Coupon Code");
    assert_eq!(code["camel"], "couponCode");
    assert_eq!(
        code["presence"],
        serde_json::json!({"kind": "conditional", "when": "single-use coupons"})
    );
    assert_eq!(
        code["events"],
        serde_json::json!([
            "CT Coupon Rewarded",
            "CT Coupon Redeemed",
            "CT Coupon Reverted"
        ])
    );

    let table = text(&promo_liquid(&["schema"]).stdout);
    assert!(table.starts_with(
        "CT Coupon Rewarded: User is rewarded with a coupon (When the coupon is issued through a promo campaign)\n"
    ));
    assert!(table.contains(
        "  Coupon Code                 Event.coupon_code                 String   single-use coupons only     couponCode\n"
    ), "{table}");
    for p in schema::PROPERTIES {
        assert!(table.contains(p.name), "{}", p.name);
    }
}

#[test]
fn filters_lists_every_filter_of_the_registry() {
    let registry = promo::environment(&Settings::default());
    let out = text(&promo_liquid(&["filters"]).stdout);
    for f in registry.filters().iter() {
        let entry = format!("{}\n    {}\n    {}\n\n", f.signature, f.summary, f.example);
        assert!(out.contains(&entry), "{}", f.name);
    }
    assert!(out.contains(
        "money: currency\n    Formats an amount in a currency (INR, USD, EUR, GBP, JPY, AED, SGD) with its symbol, grouping and decimals.\n    {{ 1299.5 | money: \"INR\" }} → ₹1,299.50\n"
    ));
    let json = promo_liquid(&["filters", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        value.as_array().unwrap().len(),
        registry.filters().iter().count()
    );
    assert_eq!(value[0]["name"], "abs");
}
