//! Runs the Golden Liquid conformance suite (data in `../shared/`, not in this repo).
//!
//! The suite's path is `$GOLDEN_LIQUID`, or `../shared/conformance/golden-liquid/golden_liquid.json`
//! next to this checkout. Cases we fail on purpose are listed, each with its reason, in
//! `tests/golden/known_failures.txt`; the test fails when any other case fails, when a
//! listed case passes (or is not in the suite any more: the list must stay true), or when
//! the pass count drops below `tests/golden/floor.txt`.
//!
//! Without the suite the test fails, unless `PROMO_LIQUID_SKIP_GOLDEN=1` asks to skip it
//! (for a checkout without `../shared/`; this workplace's machines and CI have it): a
//! conformance suite that silently goes missing would leave `cargo test` green while
//! checking nothing. Unlike the tests whose tool is a program to install (Ruby, Redis,
//! Chromium), the suite is data that sits beside every checkout here.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::PathBuf;

use promo_liquid::liquid::{Environment, MemoryLoader};
use serde_json::Value as Json;

fn suite_path() -> PathBuf {
    match std::env::var_os("GOLDEN_LIQUID") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/conformance/golden-liquid/golden_liquid.json"),
    }
}

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs one case; `Err` says how it went wrong.
fn run_case(case: &Json) -> Result<(), String> {
    let template = case["template"].as_str().unwrap_or_default();
    let mut env = Environment::new();
    if let Some(partials) = case["templates"].as_object() {
        env.set_loader(
            partials
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect::<MemoryLoader>(),
        );
    }
    let data = case
        .get("data")
        .cloned()
        .unwrap_or(Json::Object(Default::default()));
    let rendered = env
        .compile("golden", template)
        .and_then(|t| t.render_to_string(&data).map(|(text, _)| text));
    let invalid = case["invalid"].as_bool().unwrap_or(false);
    let expected: Vec<&str> = match (&case["result"], &case["results"]) {
        (Json::String(s), _) => vec![s.as_str()],
        (_, Json::Array(all)) => all.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    match rendered {
        Ok(text) if invalid => Err(format!("expected an error, rendered {text:?}")),
        Ok(text) if expected.contains(&text.as_str()) => Ok(()),
        Ok(text) => Err(format!("expected {expected:?}, rendered {text:?}")),
        Err(_) if invalid => Ok(()),
        Err(e) => Err(format!("expected {expected:?}, failed: {e}")),
    }
}

#[test]
fn golden_liquid_conformance() {
    let path = suite_path();
    if std::env::var_os("PROMO_LIQUID_SKIP_GOLDEN").is_some_and(|v| v == "1") {
        // Straight to the process's stderr: the test harness captures `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** skipped: Golden Liquid (PROMO_LIQUID_SKIP_GOLDEN=1) ***\n"
        );
        return;
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            panic!(
                "Golden Liquid not found at {}: {e} (put the shared folder beside this \
                 checkout, set GOLDEN_LIQUID to the suite's path, or set \
                 PROMO_LIQUID_SKIP_GOLDEN=1 to skip the conformance suite)",
                path.display()
            );
        }
    };
    let suite: Json = serde_json::from_str(&text).expect("golden_liquid.json is JSON");
    let cases = suite["tests"].as_array().expect("a \"tests\" array");

    let known: HashMap<String, String> = repo_file("known_failures.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" | "))
        .map(|(name, why)| (name.trim().to_owned(), why.trim().to_owned()))
        .collect();
    let floor: usize = repo_file("floor.txt")
        .trim()
        .parse()
        .expect("floor.txt holds a number");

    let mut per_category: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    let mut passed = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        let category = name.split(',').next().unwrap_or(name).to_owned();
        let outcome = std::panic::catch_unwind(|| run_case(case))
            .unwrap_or_else(|_| Err("panicked".to_owned()));
        let entry = per_category.entry(category).or_default();
        entry.1 += 1;
        match outcome {
            Ok(()) => {
                entry.0 += 1;
                passed += 1;
                if known.contains_key(name) {
                    fixed.push(name.to_owned());
                }
            }
            Err(why) if !known.contains_key(name) => unexpected.push(format!("{name}: {why}")),
            Err(_) => {}
        }
    }

    println!("Golden Liquid: {passed} of {} cases pass", cases.len());
    for (category, (ok, total)) in &per_category {
        println!("  {category:<20} {ok:>4} / {total}");
    }
    for name in &fixed {
        println!("listed as a known failure but passes: {name}");
    }
    let names: std::collections::HashSet<&str> =
        cases.iter().filter_map(|c| c["name"].as_str()).collect();
    let stale: Vec<&String> = known
        .keys()
        .filter(|k| !names.contains(k.as_str()))
        .collect();
    for name in &stale {
        println!("listed as a known failure but not in the suite: {name}");
    }
    for failure in &unexpected {
        println!("FAILED {failure}");
    }
    assert!(
        unexpected.is_empty(),
        "{} cases fail that tests/golden/known_failures.txt does not list",
        unexpected.len()
    );
    assert!(
        fixed.is_empty() && stale.is_empty(),
        "tests/golden/known_failures.txt lists {} cases that pass and {} that are not in the suite: \
         take them off the list (and raise floor.txt)",
        fixed.len(),
        stale.len()
    );
    assert!(
        passed >= floor,
        "{passed} cases pass, below the floor of {floor}"
    );
}
