//! The `batch_line` fuzz target: see `checks::batch_line` for what it checks.

#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::batch_line(data));
