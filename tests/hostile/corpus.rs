//! Reads the hostile corpus: every directory beside this file is a case (see the
//! README). Shared by the tests that run the corpus (`tests/hostile_corpus.rs`, and
//! through `batch`): include it with `#[path = "hostile/corpus.rs"] mod corpus;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The record a case renders against when it has no `record.json`: a valid CT Points
/// Debited event with a one-field profile, on one line.
pub const DEFAULT_RECORD: &str = r#"{"identity":"u-hostile","evtName":"CT Points Debited","evtData":{"Wallet Id":"w-1","Source":"API","Points":10,"Transaction Id":"t-1"},"profileData":{"Name":"Asha"}}"#;

/// One case, its generated parts expanded.
#[derive(Debug)]
pub struct Case {
    /// The directory's name.
    pub name: String,
    /// The case's directory.
    pub dir: PathBuf,
    /// The Liquid template, expanded.
    pub template: String,
    /// The record (one line of JSON), expanded.
    pub record: String,
    /// The directory of the partials the template may `include` or `render`.
    pub partials: Option<PathBuf>,
    /// The outcome expected: `rendered`, `aborted`, or the kind of a failure
    /// (`limit_exceeded`, ...).
    pub outcome: String,
    /// Text the outcome's message must contain, if given; alternatives are separated
    /// by ` | ` (`memory limit | deadline`: the deadline may come first on a slow
    /// machine).
    pub message: Option<String>,
}

/// The corpus's directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// Every case, by name.
pub fn load() -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(root())
        .expect("tests/hostile is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .map(|dir| load_case(&dir))
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!cases.is_empty(), "the corpus has no cases");
    cases
}

/// The case in `dir`.
pub fn load_case(dir: &Path) -> Case {
    let read = |file: &str| std::fs::read_to_string(dir.join(file));
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let template = read("template.liquid").unwrap_or_else(|e| panic!("{name}: template: {e}"));
    let record = read("record.json").unwrap_or_else(|_| DEFAULT_RECORD.to_owned());
    let expect = read("expect").unwrap_or_else(|e| panic!("{name}: expect: {e}"));
    let mut lines = expect.lines().map(str::trim).filter(|l| !l.is_empty());
    let outcome = lines
        .next()
        .unwrap_or_else(|| panic!("{name}: expect is empty"))
        .to_owned();
    let message = lines.next().map(str::to_owned);
    let partials = Some(dir.join("partials")).filter(|p| p.is_dir());
    let template = expand(template.strip_suffix('\n').unwrap_or(&template));
    let record = expand(record.trim());
    assert!(
        !record.contains('\n'),
        "{name}: the record must be one line"
    );
    Case {
        name,
        dir: dir.to_owned(),
        template,
        record,
        partials,
        outcome,
        message,
    }
}

/// Expands every `<<repeat N>>TEXT<</repeat>>` into TEXT written N times.
pub fn expand(text: &str) -> String {
    const OPEN: &str = "<<repeat ";
    const CLOSE: &str = "<</repeat>>";
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let (count, body) = after
            .split_once(">>")
            .unwrap_or_else(|| panic!("unclosed `<<repeat` in {text:.60}"));
        let count: usize = count
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("`<<repeat {count}>>` needs a count"));
        let end = body
            .find(CLOSE)
            .unwrap_or_else(|| panic!("`<<repeat` without `<</repeat>>` in {text:.60}"));
        out.push_str(&body[..end].repeat(count));
        rest = &body[end + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn repeats_expand_and_the_rest_stays() {
    assert_eq!(expand("a<<repeat 3>>xy<</repeat>>b"), "axyxyxyb");
    assert_eq!(expand("<<repeat 2>><<</repeat>>"), "<<");
    assert_eq!(expand("{{ x }}"), "{{ x }}");
}
