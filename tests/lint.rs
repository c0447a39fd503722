//! `promo-liquid lint`, run as the real binary over the fixtures in `tests/fixtures/lint/`:
//! `clean/` (and every bundled message in `templates/`) must lint clean; each file in
//! `broken/` must print exactly its `.expected` file. A `NAME.args` file next to a
//! fixture holds extra arguments, one a line. `UPDATE_EXPECTED=1 cargo test --test lint`
//! rewrites the `.expected` files (check every change by hand).

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{root, text};

fn promo_liquid(args: &[&str], stdin: Option<&str>) -> Output {
    common::run(args, stdin.unwrap_or_default().as_bytes())
}

/// The lintable files of a fixture folder, as paths relative to the crate root.
fn fixtures(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("toml" | "liquid")
            )
        })
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files
}

/// The arguments in the fixture's `.args` file, if it has one.
fn extra_args(file: &str) -> Vec<String> {
    let args = root().join(Path::new(file).with_extension("args"));
    std::fs::read_to_string(args)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn lint(file: &str, more: &[&str]) -> Output {
    let extra = extra_args(file);
    let mut args: Vec<&str> = vec!["lint"];
    args.extend(extra.iter().map(String::as_str));
    args.extend(more);
    args.push(file);
    promo_liquid(&args, None)
}

/// Compares `actual` with the file at `expected`, or rewrites it under `UPDATE_EXPECTED`.
fn check_snapshot(actual: &str, expected: &Path) {
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(expected, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(expected)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECTED=1", expected.display()));
    assert_eq!(actual, want, "{}", expected.display());
}

#[test]
fn clean_fixtures_and_every_bundled_message_lint_clean() {
    let mut files = fixtures("tests/fixtures/lint/clean");
    files.extend(fixtures("templates"));
    assert!(files.len() >= 12, "{files:?}");
    for file in &files {
        let out = lint(file, &["--deny-warnings"]);
        // Clean: no finding but notes (the partner voucher's, which lists the snippets
        // of templates/snippets its name from data can pick).
        let findings: Vec<String> = text(&out.stdout)
            .split("\n\n")
            .filter(|f| !f.is_empty() && !f.starts_with("note["))
            .map(str::to_owned)
            .collect();
        assert_eq!(
            (out.status.code(), findings, text(&out.stderr)),
            (Some(0), Vec::new(), String::new()),
            "{file}"
        );
    }
}

#[test]
fn broken_fixtures_print_their_expected_diagnostics() {
    let files = fixtures("tests/fixtures/lint/broken");
    assert!(files.len() >= 15, "{files:?}");
    for file in &files {
        let out = lint(file, &[]);
        let stdout = text(&out.stdout);
        assert_eq!(text(&out.stderr), "", "{file}");
        check_snapshot(
            &stdout,
            &root().join(Path::new(file).with_extension("expected")),
        );
        let errors = stdout.contains("\nerror[") || stdout.starts_with("error[");
        assert_eq!(out.status.code(), Some(errors as i32), "{file}");
        // Every broken fixture has at least a warning.
        assert!(stdout.contains("[") && stdout.ends_with("\n"), "{file}");
        assert_eq!(
            lint(file, &["--deny-warnings"]).status.code(),
            Some(1),
            "{file}"
        );
    }
}

#[test]
fn json_output_is_the_diagnostics_as_data() {
    let out = lint(
        "tests/fixtures/lint/broken/wallet-events.push.toml",
        &["--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    check_snapshot(
        &text(&out.stdout),
        &root().join("tests/fixtures/lint/wallet-events.push.json.expected"),
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["errors"], 1);
    assert_eq!(value["warnings"], 1);
    assert_eq!(value["files"][0]["diagnostics"][1]["code"], "not_on_event");
}

#[test]
fn several_files_lint_together_and_the_worst_decides_the_exit_code() {
    let out = promo_liquid(
        &[
            "lint",
            "templates/wallet.push.toml",
            "tests/fixtures/lint/broken/profile.sms.toml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "warnings alone exit 0");
    assert!(text(&out.stdout).ends_with("lint: 0 errors, 2 warnings\n"));
    let out = promo_liquid(
        &[
            "lint",
            "tests/fixtures/lint/broken/profile.sms.toml",
            "tests/fixtures/lint/broken/syntax.push.toml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).ends_with("lint: 1 error, 2 warnings\n"));
}

#[test]
fn a_template_on_standard_input_is_linted_for_the_events_given() {
    let out = promo_liquid(
        &["lint", "--event", "CT Coupon Rewarded", "-"],
        Some("{{ Event.points }}"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with(
            "error[not_on_event]: `Points` is not a property of CT Coupon Rewarded, so it is always empty here\n --> <stdin>:1:4\n"
        ),
        "{}",
        text(&out.stdout)
    );
    // For any event, a property some event carries is fine.
    let out = promo_liquid(&["lint", "-"], Some("{{ Event.points }}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn usage_and_io_problems_exit_2() {
    let out = promo_liquid(&["lint", "no/such/file.toml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read no/such/file.toml"));
    let out = promo_liquid(&["lint", "--event", "CT Points Credit", "-"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean \"CT Points Credited\"?"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(promo_liquid(&["lint"], None).status.code(), Some(2));
}

#[test]
fn the_readme_lint_example_is_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let (_, rest) = readme
        .split_once("$ cat coupon.push.toml\n")
        .expect("the README's lint example");
    let (file, rest) = rest
        .split_once("$ promo-liquid lint coupon.push.toml\n")
        .unwrap();
    let (expected, _) = rest.split_once("```").unwrap();
    let dir = std::env::temp_dir().join(format!("promo-liquid-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("coupon.push.toml"), file).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .args(["lint", "coupon.push.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(out.status.code(), Some(1));
}

/// A wrong event name, a misspelt field, two unknown filters in one field and an
/// unclosed `if`: one run reports all five, each at its line and column in the file.
#[test]
fn one_lint_run_reports_every_mistake_of_a_message_at_its_place() {
    let out = lint(
        "tests/fixtures/lint/broken/five-mistakes.push.toml",
        &["--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64, u64)> = value["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["help"].as_str().unwrap_or("").to_owned(),
                d["at"]["line"].as_u64().unwrap(),
                d["at"]["col"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        (
            "invalid_message",
            "did you mean \"CT Points Credited\"?",
            3,
            9,
        ),
        ("invalid_message", "did you mean `title`?", 7, 1),
        (
            "unknown_filter",
            "did you mean \"number_with_delimiter\"?",
            8,
            27,
        ),
        ("unknown_filter", "did you mean \"upcase\"?", 8, 97),
        ("syntax", "", 9, 14),
    ];
    let expected: Vec<(String, String, u64, u64)> = expected
        .iter()
        .map(|(c, h, l, col)| (c.to_string(), h.to_string(), *l, *col))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(
        (value["errors"].as_u64(), value["warnings"].as_u64()),
        (Some(5), Some(0))
    );
    // The columns are where the mistakes are, counted by hand in the file.
    let file =
        std::fs::read_to_string(root().join("tests/fixtures/lint/broken/five-mistakes.push.toml"))
            .unwrap();
    let line = |n: usize| file.lines().nth(n - 1).unwrap();
    assert!(line(8)[26..].starts_with("numbr_with_delimiter"));
    assert!(line(8)[96..].starts_with("upcse"));
    assert!(line(9)[13..].starts_with("{% if"));
}

/// Short typos of schema names are errors with their did-you-mean: `Pionts` and
/// `Soruce` are a swap of two letters from `Points` and `Source`.
#[test]
fn swapped_letters_in_a_property_name_are_errors_with_did_you_mean() {
    let out = promo_liquid(
        &[
            "lint",
            "--event",
            "CT Points Credited",
            "--format",
            "json",
            "-",
        ],
        Some("{{ Event.Pionts }} points from {{ Event.Soruce | default: 'us' }}"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(&str, &str, &str)> = value["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["severity"].as_str().unwrap(),
                d["code"].as_str().unwrap(),
                d["help"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("error", "unknown_property", "did you mean `Points`?"),
            ("error", "unknown_property", "did you mean `Source`?"),
        ]
    );
    // A name that is no slip of a schema name stays a custom property (a warning).
    let out = promo_liquid(
        &["lint", "--event", "CT Points Credited", "-"],
        Some("{{ Event.tier | default: 'gold' }}"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).starts_with("warning[custom_property]"));
}
