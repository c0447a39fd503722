//! Fixture tests of the Liquid engine: every `*.test` file under `tests/fixtures/liquid/`
//! holds cases of this shape, each expectation written by hand:
//!
//! ```text
//! === a case name
//! --- data                 (optional: JSON globals)
//! {"x": 1}
//! --- partial NAME         (optional, repeatable)
//! ...
//! --- options              (optional: `strict`, `now=2026-11-01T10:00:00+00:00`, a limit
//!                          of `Limits` such as `max_iterations=1000` or `deadline_ms=50`)
//! --- template
//! {{ x }}
//! --- output               (the text, or)
//! 1
//! --- error                (the error's one-line display, or)
//! ...
//! --- aborted              (the abort reason)
//! --- warnings             (optional, with output: one warning a line)
//! ```
//!
//! Sections end at the next `---`/`===` line; their trailing newlines are not part of
//! them (end a template with a visible character to test a final newline).

use std::path::{Path, PathBuf};

use promo_liquid::liquid::{Environment, MemoryLoader, UndefinedPolicy};

#[derive(Default, Debug)]
struct Case {
    file: String,
    name: String,
    data: Option<String>,
    partials: Vec<(String, String)>,
    options: String,
    template: String,
    output: Option<String>,
    error: Option<String>,
    aborted: Option<String>,
    warnings: Option<String>,
}

fn parse_file(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    let mut section: Option<String> = None;
    let mut body: Vec<&str> = Vec::new();

    let flush = |case: &mut Option<Case>, section: &mut Option<String>, body: &mut Vec<&str>| {
        if let (Some(case), Some(name)) = (case.as_mut(), section.take()) {
            let content = body.join("\n").trim_end_matches('\n').to_owned();
            match name.as_str() {
                "data" => case.data = Some(content),
                "options" => case.options = content,
                "template" => case.template = content,
                "output" => case.output = Some(content),
                "error" => case.error = Some(content),
                "aborted" => case.aborted = Some(content),
                "warnings" => case.warnings = Some(content),
                other => match other.strip_prefix("partial ") {
                    Some(partial) => case.partials.push((partial.trim().to_owned(), content)),
                    None => panic!("{}: unknown section {other:?}", case.file),
                },
            }
        }
        body.clear();
    };

    for line in text.split('\n') {
        if let Some(name) = line.strip_prefix("=== ") {
            flush(&mut current, &mut section, &mut body);
            cases.extend(current.take());
            current = Some(Case {
                file: file.clone(),
                name: name.trim().to_owned(),
                ..Case::default()
            });
        } else if let Some(name) = line.strip_prefix("--- ") {
            flush(&mut current, &mut section, &mut body);
            section = Some(name.trim().to_owned());
        } else if section.is_some() {
            body.push(line);
        }
    }
    flush(&mut current, &mut section, &mut body);
    cases.extend(current);
    cases
}

fn run(case: &Case) -> Result<(), String> {
    let mut env = Environment::new();
    for option in case.options.split_whitespace() {
        match option.split_once('=') {
            None if option == "strict" => {
                env.set_undefined(UndefinedPolicy::Strict);
            }
            Some(("now", at)) => {
                env.set_now(chrono::DateTime::parse_from_rfc3339(at).expect("valid now"));
            }
            Some((limit, n)) => {
                let n: usize = n.parse().expect("a number");
                let limits = env.limits_mut();
                match limit {
                    "max_depth" => limits.max_depth = n,
                    "max_partial_depth" => limits.max_partial_depth = n,
                    "max_iterations" => limits.max_iterations = n as u64,
                    "max_memory_bytes" => limits.max_memory_bytes = n as u64,
                    "max_array_items" => limits.max_array_items = n,
                    "deadline_ms" => {
                        limits.deadline = Some(std::time::Duration::from_millis(n as u64))
                    }
                    "max_output_bytes" => limits.max_output_bytes = n,
                    "max_range_size" => limits.max_range_size = n as i64,
                    "max_string_bytes" => limits.max_string_bytes = n,
                    "max_template_bytes" => limits.max_template_bytes = n,
                    other => panic!("unknown limit {other}"),
                }
            }
            _ => panic!("unknown option {option}"),
        }
    }
    if !case.partials.is_empty() {
        env.set_loader(case.partials.iter().cloned().collect::<MemoryLoader>());
    }
    let data: serde_json::Value = match &case.data {
        Some(text) => serde_json::from_str(text).map_err(|e| format!("bad data JSON: {e}"))?,
        None => serde_json::json!({}),
    };
    let result = env
        .compile("case", &case.template)
        .and_then(|t| t.render_to_string(&data));
    match (result, &case.output, &case.error, &case.aborted) {
        (Ok((text, report)), Some(expected), None, None) => {
            if report.aborted.is_some() {
                return Err(format!("aborted: {:?}", report.aborted));
            }
            if &text != expected {
                return Err(format!("expected output {expected:?}\n     found {text:?}"));
            }
            let warnings: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
            let expected_warnings: Vec<&str> = case
                .warnings
                .as_deref()
                .map_or(Vec::new(), |w| w.lines().collect());
            if warnings != expected_warnings {
                return Err(format!(
                    "expected warnings {expected_warnings:?}\n     found {warnings:?}"
                ));
            }
            Ok(())
        }
        (Ok((_, report)), None, None, Some(reason)) => match report.aborted {
            Some(abort) if abort.reason.as_deref().unwrap_or("") == reason => Ok(()),
            other => Err(format!("expected abort {reason:?}, found {other:?}")),
        },
        (Err(e), None, Some(expected), None) => {
            let found = e.to_string();
            if &found == expected {
                Ok(())
            } else {
                Err(format!("expected error {expected:?}\n     found {found:?}"))
            }
        }
        (Ok((text, _)), _, Some(expected), _) => {
            Err(format!("expected error {expected:?}, rendered {text:?}"))
        }
        (Err(e), _, _, _) => Err(format!("failed: {e:#}")),
        (Ok((text, report)), _, _, _) => Err(format!(
            "case needs exactly one of output/error/aborted; rendered {text:?} {report:?}"
        )),
    }
}

#[test]
fn liquid_fixtures() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/liquid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in &files {
        for case in parse_file(file) {
            count += 1;
            if let Err(why) = run(&case) {
                failures.push(format!("{} / {}: {why}", case.file, case.name));
            }
        }
    }
    for f in &failures {
        eprintln!("FAILED {f}");
    }
    assert!(count > 0, "no fixture cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} fixture cases failed",
        failures.len()
    );
}
