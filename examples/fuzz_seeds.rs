//! Writes the seed corpora of the fuzz targets (`fuzz/`): one file per input, named by a
//! hash of its content, in `DIR/<target>/` (default `fuzz/corpus`).
//!
//! ```sh
//! cargo run --example fuzz_seeds [DIR]
//! ```
//!
//! Seeds come from Golden Liquid (read from `$GOLDEN_LIQUID` or
//! `../shared/conformance/golden-liquid/golden_liquid.json`, never copied into this
//! repository), the Liquid fixtures, the hostile-template corpus, the bundled messages and
//! records. `fuzz/run.sh` runs this first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// FNV-1a, for file names that stay the same from run to run.
fn name_of(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Templates and their data (as JSON, when they have some) from the fixture files.
fn fixture_cases(root: &Path) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for path in files(&root.join("tests/fixtures/liquid"), "test") {
        let Some(text) = read(&path) else { continue };
        for case in text.split("\n=== ").skip(1) {
            let mut sections = BTreeMap::new();
            let body = case.split_once('\n').map_or("", |(_, b)| b);
            for part in format!("\n{body}").split("\n--- ").skip(1) {
                let (name, content) = part.split_once('\n').unwrap_or((part, ""));
                sections.insert(name.trim().to_owned(), content.trim_end().to_owned());
            }
            if let Some(template) = sections.remove("template") {
                out.push((template, sections.remove("data")));
            }
        }
    }
    out
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| root.join("fuzz/corpus"), PathBuf::from);
    let mut corpora: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
    let mut add =
        |target: &'static str, bytes: Vec<u8>| corpora.entry(target).or_default().push(bytes);

    let golden = std::env::var_os("GOLDEN_LIQUID").map_or_else(
        || root.join("../shared/conformance/golden-liquid/golden_liquid.json"),
        PathBuf::from,
    );
    match read(&golden).and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) {
        Some(suite) => {
            for case in suite["tests"].as_array().into_iter().flatten() {
                let Some(template) = case["template"].as_str() else {
                    continue;
                };
                add("compile", template.as_bytes().to_vec());
                let mut input = template.as_bytes().to_vec();
                if let Some(data) = case.get("data") {
                    input.push(0);
                    input.extend(data.to_string().into_bytes());
                }
                add("render", input);
            }
        }
        None => eprintln!(
            "no Golden Liquid at {}: seeding without it",
            golden.display()
        ),
    }
    for (template, data) in fixture_cases(&root) {
        add("compile", template.clone().into_bytes());
        let mut input = template.into_bytes();
        if let Some(data) = data {
            input.push(0);
            input.extend(data.into_bytes());
        }
        add("render", input);
    }
    for path in files(&root.join("tests/hostile"), "liquid") {
        if let Some(template) = read(&path) {
            add("compile", template.clone().into_bytes());
            add("render", template.into_bytes());
        }
    }
    let messages = [root.join("templates"), root.join("tests/fixtures")];
    for path in messages.iter().flat_map(|d| files(d, "toml")) {
        let Some(text) = read(&path) else { continue };
        add("message", text.clone().into_bytes());
        let fields = toml::from_str::<toml::Table>(&text)
            .ok()
            .and_then(|t| t.get("fields").and_then(|f| f.as_table()).cloned());
        for (_, field) in fields.into_iter().flatten() {
            if let Some(template) = field.as_str() {
                add("compile", template.as_bytes().to_vec());
                add("render", template.as_bytes().to_vec());
            }
        }
    }
    let records = root.join("templates/records");
    for path in files(&records, "json") {
        if let Some(text) = read(&path) {
            let line = serde_json::from_str::<serde_json::Value>(&text)
                .map_or(text.clone(), |v| v.to_string());
            add("record", line.clone().into_bytes());
            add("batch_line", line.into_bytes());
        }
    }
    if let Some(sample) = read(&records.join("sample.ndjson")) {
        for line in sample.lines() {
            add("record", line.as_bytes().to_vec());
            add("batch_line", line.as_bytes().to_vec());
        }
        add("batch_line", sample.into_bytes());
    }

    for (target, inputs) in &corpora {
        let target_dir = dir.join(target);
        std::fs::create_dir_all(&target_dir).expect("the corpus directory can be made");
        for input in inputs {
            std::fs::write(target_dir.join(name_of(input)), input).expect("a seed can be written");
        }
        println!(
            "{target}: {} seeds in {}",
            inputs.len(),
            target_dir.display()
        );
    }
}
