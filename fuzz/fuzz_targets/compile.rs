//! The `compile` fuzz target: see `checks::compile` for what it checks.

#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::compile(data));
