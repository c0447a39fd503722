//! Snippets, through the real binary: the bundled partner-voucher message with the
//! bundled library (`templates/snippets`), missing snippets and fallbacks, nesting and
//! cycles, lint and preview with a library, pins, and the `snippets` listing. The
//! libraries and messages of the tests are in `tests/fixtures/snippets/`.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

mod common;
use common::{root, text};

fn run(args: &[&str], stdin: &str) -> Output {
    common::run(args, stdin.as_bytes())
}

fn json_lines(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const VOUCHER: &str = "templates/partner-voucher.push.toml";
const LIBRARY: &str = "templates/snippets";
const NOW: &str = "2026-10-30T10:00:00+05:30";

/// A record file as one NDJSON line.
fn line(path: &str) -> String {
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap();
    record.to_string()
}

/// A CT Partner Voucher Rewarded record in CleverTap's current names.
fn current(tag: &str, extra: Value) -> String {
    let mut record = json!({"identity": format!("u-{tag}"), "evtName": "CT Partner Voucher Rewarded",
        "evtData": {"voucherCode": "CODE-1", "partner": "Partner", "voucherListId": "vl-1",
            "listTag": tag, "campaignId": "cmp-1", "source": "Campaign"}});
    for (k, v) in extra.as_object().unwrap() {
        record["evtData"][k] = v.clone();
    }
    record.to_string()
}

#[test]
fn the_bundled_voucher_message_gives_each_providers_snippet_in_render_and_batch() {
    // Checked by hand against templates/snippets/{swiggy,amazon_pay}.liquid: the Swiggy
    // record (spec names) has an empty Code Description and no expiry; the Amazon Pay
    // record (CleverTap's current names) has both.
    let swiggy = "A treat on Swiggy. Apply SWIGGY-FEAST-200 at checkout.";
    let amazon =
        "Rs 250 Amazon Pay balance: add AMZ-7KQ2-X9PL in Amazon Pay > Gift Cards by 30 Nov.";
    for (record, body, snippet) in [
        (
            "templates/records/partner-voucher-rewarded.json",
            swiggy,
            "swiggy",
        ),
        (
            "templates/records/partner-voucher-amazon-pay.json",
            amazon,
            "amazon_pay",
        ),
    ] {
        let out = run(
            &[
                "render",
                VOUCHER,
                "--snippets",
                LIBRARY,
                "--record",
                record,
                "--format",
                "json",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(outcome["fields"]["body"], body);
        let hash = outcome["snippets"][snippet].as_str().unwrap();
        assert_eq!(hash.len(), 16);
        assert_eq!(outcome["snippets"].as_object().unwrap().len(), 1);
        // The pin names every snippet the message can reach.
        assert!(
            text(&out.stderr).contains(&format!("{snippet} {hash}")),
            "{}",
            text(&out.stderr)
        );
    }
    // The same two records, a list with no snippet of its own (the message falls back
    // to `voucher`) and a record with no code at all (the message aborts), in batch.
    let input = [
        line("templates/records/partner-voucher-rewarded.json"),
        line("templates/records/partner-voucher-amazon-pay.json"),
        current("flipkart", json!({"listExpiry": "15-11-2026 23:59:59"})),
        current("swiggy", json!({"voucherCode": null})),
    ]
    .join("\n");
    let out = run(
        &["batch", VOUCHER, "--snippets", LIBRARY, "--now", NOW],
        &input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outcomes = json_lines(&out);
    let bodies: Vec<&str> = outcomes[..3]
        .iter()
        .map(|o| o["fields"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            swiggy,
            amazon,
            "A partner voucher, on us. Your code: CODE-1 (valid till 15 Nov)."
        ]
    );
    assert!(outcomes[2]["snippets"]["voucher"].is_string());
    assert_eq!(outcomes[3]["outcome"], "aborted");
    assert_eq!(outcomes[3]["reason"], "the record has no voucher code");
    assert!(
        text(&out.stderr).contains("note: snippets "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_record_naming_no_snippet_fails_missing_snippet_unless_the_message_falls_back() {
    let input = [
        current("amazon-pay", json!({})),
        current("swiggy", json!({})),
    ]
    .join("\n");
    let out = run(
        &[
            "batch",
            "tests/fixtures/snippets/no-fallback.push.toml",
            "--snippets",
            LIBRARY,
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let outcomes = json_lines(&out);
    assert_eq!(outcomes[0]["outcome"], "failed");
    assert_eq!(outcomes[0]["kind"], "missing_snippet");
    assert_eq!(outcomes[0]["message"], "no snippet named \"amazon-pay\"");
    assert_eq!(outcomes[0]["help"], "did you mean \"amazon_pay\"?");
    assert_eq!(outcomes[0]["field"], "body");
    assert_eq!(
        outcomes[1]["fields"]["body"],
        "A treat on Swiggy. Apply CODE-1 at checkout."
    );
    // The bundled message names a fallback: the same record renders it.
    let out = run(&["batch", VOUCHER, "--snippets", LIBRARY], &input);
    let outcomes = json_lines(&out);
    assert_eq!(
        outcomes[0]["fields"]["body"],
        "A partner voucher, on us. Your code: CODE-1."
    );
    // Without a library, a `snippet` tag has no snippet at all: a typed failure too.
    let out = run(
        &["batch", "tests/fixtures/snippets/no-fallback.push.toml"],
        &input,
    );
    let outcomes = json_lines(&out);
    assert_eq!(outcomes[1]["kind"], "missing_snippet");
}

#[test]
fn nesting_past_the_limit_and_a_cycle_through_names_from_data_end_in_typed_errors() {
    let nesting = "tests/fixtures/snippets/nesting";
    let render = |message: &str, tag: &str| {
        let dir = std::env::temp_dir().join(format!("snippets-nesting-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let record = dir.join(format!("{tag}.json"));
        std::fs::write(&record, current(tag, json!({}))).unwrap();
        let out = run(
            &[
                "render",
                &format!("tests/fixtures/snippets/{message}"),
                "--snippets",
                nesting,
                "--record",
                record.to_str().unwrap(),
                "--format",
                "json",
            ],
            "",
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Three deep is the limit: l2 renders l3, which renders l4.
    assert_eq!(
        render("nest-three.sms.toml", "l2")["fields"]["body"],
        "2 3 4"
    );
    // Four deep is an error, never text with a piece missing.
    let outcome = render("nest.sms.toml", "l1");
    assert_eq!(outcome["kind"], "limit_exceeded");
    assert_eq!(
        outcome["message"],
        "snippets nested deeper than the limit of 3: l1 → l2 → l3 → l4"
    );
    // Names from data that go round: the budget ends it, naming the cycle.
    let outcome = render("cycle.sms.toml", "ping");
    assert_eq!(outcome["kind"], "limit_exceeded");
    assert_eq!(
        outcome["message"],
        "snippets nested deeper than the limit of 3: ping → pong → ping → pong"
    );
}

#[test]
fn literal_cycles_and_other_library_problems_stop_the_load_with_every_problem() {
    let dir = std::env::temp_dir().join(format!("snippets-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in [
        ("a.liquid", "{% render 'b' %}"),
        ("b.liquid", "{% render 'a' %}"),
        ("c.liquid", "Hi {{ name }}"),
        ("c.toml", "[params]\nnmae = \"string\""),
        // Without a sidecar, the variables it reads are its parameters.
        ("f.liquid", "Hi {{ name }}"),
        ("d.liquid", "{{ x | upcse }}"),
        ("e.toml", "description = \"no e.liquid\""),
    ] {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let out = run(&["batch", VOUCHER, "--snippets", dir.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    for expected in [
        "error[snippet_library]: a sidecar without a snippet: there is no e.liquid",
        "error[snippet_library]: unknown filter \"upcse\"",
        "error[snippet_library]: snippets render each other in a cycle: a → b → a",
        "error[snippet_library]: `name` is read but is not a parameter of snippet \"c\"",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    assert!(
        stderr.contains(&format!(" --> {}:1:7", dir.join("c.liquid").display())),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error[").count(), 4, "{stderr}");
}

#[test]
fn lint_reports_each_snippet_mistake_at_its_place() {
    let out = run(
        &[
            "lint",
            "tests/fixtures/snippets/voucher-snippets.sms.toml",
            "--snippets",
            "tests/fixtures/snippets/lint",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let expected = std::fs::read_to_string(
        root().join("tests/fixtures/snippets/voucher-snippets.sms.expected"),
    )
    .unwrap();
    assert_eq!(text(&out.stdout), expected);
    let out = run(
        &[
            "lint",
            "tests/fixtures/snippets/voucher-snippets.sms.toml",
            "--snippets",
            "tests/fixtures/snippets/lint",
            "--format",
            "json",
        ],
        "",
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64)> = report["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["severity"].as_str().unwrap().to_owned(),
                d["at"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, u64)> = [
        ("missing_snippet", "error", 7),
        ("missing_param", "error", 8),
        ("unknown_param", "error", 9),
        ("param_type", "error", 10),
        ("snippet_channel", "error", 11),
        ("snippet_event", "error", 12),
        ("snippet_channel", "error", 13),
        ("reachable_snippets", "note", 13),
    ]
    .into_iter()
    .map(|(c, s, l)| (c.to_owned(), s.to_owned(), l))
    .collect();
    assert_eq!(found, expected);
    assert_eq!(
        (report["errors"].as_u64(), report["warnings"].as_u64()),
        (Some(7), Some(0))
    );
    // The bundled message with the bundled library: clean, and a note listing what the
    // partner's name can pick.
    let out = run(
        &["lint", VOUCHER, "--snippets", LIBRARY, "--deny-warnings"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(
        "note[reachable_snippets]: `Event[\"Code Snippet Name\"]` can pick 3 snippets: amazon_pay, swiggy, voucher"
    ));
}

#[test]
fn preview_renders_the_message_with_each_snippet_a_record_can_pick() {
    let out = run(
        &[
            "preview",
            VOUCHER,
            "--snippets",
            LIBRARY,
            "--now",
            NOW,
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let previews = report["previews"].as_array().unwrap();
    for name in ["amazon_pay", "swiggy", "voucher"] {
        let label = format!("CT Partner Voucher Rewarded: snippet {name}");
        let preview = previews
            .iter()
            .find(|p| p["label"] == label)
            .unwrap_or_else(|| panic!("no preview {label}"));
        assert_eq!(preview["record"]["evtData"]["Code Snippet Name"], name);
        assert!(preview["snippets"][name].is_string(), "{preview}");
    }
}

#[test]
fn a_record_in_clevertaps_current_names_renders_as_in_the_spec_names() {
    let spec = json!({"identity": "u-1", "evtName": "CT Partner Voucher Rewarded", "evtData": {
        "Voucher Code": "AMZ-1", "Voucher List Id": "vl-9", "Code Provider": "Amazon Pay",
        "Code Description": "Rs 100 balance", "Code Snippet Name": "amazon_pay",
        "Voucher Expiry Date": "30-11-2026 23:59:59", "Campaign Id": "cmp-1", "Source": "API",
        "Event Timestamp": 1793952000}});
    let current = json!({"identity": "u-1", "evtName": "CT Partner Voucher Rewarded", "evtData": {
        "voucherCode": "AMZ-1", "voucherListId": "vl-9", "partner": "Amazon Pay",
        "listDescription": "Rs 100 balance", "listTag": "amazon_pay",
        "listExpiry": "30-11-2026 23:59:59", "campaignId": "cmp-1", "source": "API",
        "eventTimestamp": 1793952000}});
    let input = format!("{spec}\n{current}\n");
    let out = run(&["batch", VOUCHER, "--snippets", LIBRARY], &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outcomes = json_lines(&out);
    assert_eq!(
        outcomes[0]["fields"]["body"],
        "Rs 100 balance: add AMZ-1 in Amazon Pay > Gift Cards by 30 Nov."
    );
    assert_eq!(
        outcomes[0]["fields"]["title"],
        "Your Amazon Pay voucher is here"
    );
    assert_eq!(outcomes[0]["fields"], outcomes[1]["fields"]);
    assert_eq!(outcomes[0]["snippets"], outcomes[1]["snippets"]);
}

#[test]
fn an_edited_snippet_changes_its_hash_in_the_outcomes_and_the_pin() {
    let dir = std::env::temp_dir().join(format!("snippets-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(root().join(LIBRARY)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let input = line("templates/records/partner-voucher-rewarded.json");
    let render = |dir: &Path| {
        let out = run(
            &["batch", VOUCHER, "--snippets", dir.to_str().unwrap()],
            &input,
        );
        let pin = text(&out.stderr)
            .lines()
            .find_map(|l| l.strip_prefix("note: snippets ").map(str::to_owned))
            .unwrap();
        (json_lines(&out).remove(0), pin)
    };
    let (before, pin_before) = render(&dir);
    let (same, pin_same) = render(&root().join(LIBRARY));
    assert_eq!(
        (&before, &pin_before),
        (&same, &pin_same),
        "a copy pins the same"
    );
    let swiggy = dir.join("swiggy.liquid");
    let edited = std::fs::read_to_string(&swiggy)
        .unwrap()
        .replace("A treat", "A feast");
    std::fs::write(&swiggy, edited).unwrap();
    let (after, pin_after) = render(&dir);
    assert_eq!(
        after["fields"]["body"],
        "A feast on Swiggy. Apply SWIGGY-FEAST-200 at checkout."
    );
    assert_ne!(after["snippets"]["swiggy"], before["snippets"]["swiggy"]);
    assert_ne!(pin_after, pin_before);
    // Only the edited snippet's hash moved.
    let hash = |pin: &str, name: &str| {
        pin.split([',', '(', ')']).find_map(|p| {
            p.trim()
                .strip_prefix(&format!("{name} "))
                .map(str::to_owned)
        })
    };
    assert_eq!(
        hash(&pin_after, "amazon_pay"),
        hash(&pin_before, "amazon_pay")
    );
    assert_ne!(hash(&pin_after, "swiggy"), hash(&pin_before, "swiggy"));
}

#[test]
fn the_snippets_command_lists_where_each_snippet_is_used() {
    let out = run(
        &[
            "snippets",
            LIBRARY,
            "--messages",
            "templates",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = listing["snippets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["amazon_pay", "swiggy", "voucher"]);
    let voucher = &listing["snippets"][2];
    let uses: Vec<(&str, &str)> = voucher["used_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["file"].as_str().unwrap(), u["how"].as_str().unwrap()))
        .collect();
    assert_eq!(uses, [(VOUCHER, "picked"), (VOUCHER, "fallback")]);
    assert_eq!(voucher["used_by"][0]["by"], "Event[\"Code Snippet Name\"]");
    assert_eq!(voucher["used_by"][0]["at"]["line"], 18);
    assert_eq!(voucher["params"][0]["name"], "code");
    assert_eq!(voucher["params"][0]["required"], true);
    assert_eq!(listing["pin"]["snippets"].as_object().unwrap().len(), 3);
    let out = run(&["snippets", LIBRARY, "--messages", "templates"], "");
    let listing = text(&out.stdout);
    assert!(
        listing.starts_with("3 snippets in templates/snippets, pin "),
        "{listing}"
    );
    assert!(listing.contains(
        "  used by: templates/partner-voucher.push.toml:18:1 (field body), as the fallback\n"
    ));
}

#[test]
fn without_snippets_a_message_uses_the_snippets_directory_beside_it() {
    let out = run(
        &[
            "render",
            VOUCHER,
            "--record",
            "templates/records/partner-voucher-rewarded.json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("body: A treat on Swiggy. Apply SWIGGY-FEAST-200 at checkout."),
        "{}",
        text(&out.stdout)
    );
    // A message that names no snippet prints no pin.
    let out = run(
        &[
            "render",
            "templates/coupon-rewarded.push.toml",
            "--record",
            "templates/records/coupon-rewarded.json",
            "--now",
            NOW,
        ],
        "",
    );
    assert_eq!(text(&out.stderr), "");
}
