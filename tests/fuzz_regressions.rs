//! Inputs for the fuzz targets, replayed through the targets' own checks
//! (`fuzz/fuzz_targets/checks.rs`): every input a target ever failed on (copied here
//! from `fuzz/artifacts/TARGET/` when it was found, named for what it does), and a few
//! hostile ones written by hand. Each check asserts the target's invariants (an error
//! placed inside its source, output within its limits, one batch outcome per line, ...),
//! so a regression fails here, in the normal test suite, without cargo-fuzz.

#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;

use std::path::PathBuf;

/// Runs every input in `tests/fuzz_regressions/<target>/` through `check`.
fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory").path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    for path in inputs {
        let data = std::fs::read(&path).expect("a readable input");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target}/{name}: {why}");
        }
    }
}

#[test]
fn templates_compile_or_fail_in_place() {
    replay("compile", checks::compile);
}

#[test]
fn renders_stay_within_their_limits_and_fail_in_place() {
    replay("render", checks::render);
}

#[test]
fn record_errors_name_schema_properties() {
    replay("record", checks::record);
}

#[test]
fn broken_messages_report_problems_in_place() {
    replay("message", checks::message);
}

#[test]
fn batches_give_one_outcome_per_line() {
    replay("batch_line", checks::batch_line);
}
