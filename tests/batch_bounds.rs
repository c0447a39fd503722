//! `promo-liquid batch` (the real binary) against records that try to take it down:
//! each fails alone, every other line gets its outcome, and the run stays within its
//! bounds of time and memory.
//!
//! Each test's child process is measured with `getrusage(RUSAGE_CHILDREN)` once it is
//! waited for: its CPU time as the growth of the total, and the peak memory (max RSS) as
//! the running maximum of every child so far. The children run one at a time (a lock),
//! so the first child to push the peak past the bound is the one whose test fails. This
//! process holds no large buffer, since a child starts as a copy of it.

#[path = "hostile/corpus.rs"]
mod corpus;

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use serde::Deserialize;

/// The most memory any child may take at its peak.
const MAX_RSS_KIB: i64 = 256 << 10;

/// How much slower an unoptimized build does the same work.
const DEBUG_SLOWDOWN: u32 = 8;

/// One child at a time, so that the peak measured is the one just run's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-bounds-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// CPU time and the peak memory (KiB) of every child waited for so far.
fn children() -> (Duration, i64) {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let time = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    (
        time(usage.user_time()) + time(usage.system_time()),
        usage.max_rss(),
    )
}

/// Runs `promo-liquid batch ARGS` to the end; its output, CPU time and the peak so far.
fn batch(args: &[&str]) -> (Output, Duration, i64) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (before, _) = children();
    let output = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .arg("batch")
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let (after, peak) = children();
    (output, after - before, peak)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A CT Points Credited record for `name`, numbered `i`.
fn credited(i: usize, name: &str) -> String {
    format!(
        r#"{{"identity": "u-{i}", "evtName": "CT Points Credited", "evtData": {{"Points": {i}, "Wallet Id": "w-1", "Campaign Id": "c-1", "Source": "API", "Transaction Id": "t-{i}"}}, "profileData": {{"Name": "{name}"}}}}"#
    )
}

/// `count` records, the one at `hostile` (from 0) replaced.
fn input_with(count: usize, hostile: usize, record: &str) -> String {
    let mut input = String::new();
    for i in 0..count {
        if i == hostile {
            input.push_str(record);
        } else {
            input.push_str(&credited(i, "Asha"));
        }
        input.push('\n');
    }
    input
}

/// What is checked of an outcome line. The rest (megabytes of text or warnings, for
/// some cases) is skipped, not held, so that this process stays small.
#[derive(Debug, Deserialize)]
struct Brief {
    line: u64,
    identity: Option<String>,
    outcome: String,
    kind: Option<String>,
    message: Option<String>,
    reason: Option<String>,
    fields: Option<Fields>,
}

#[derive(Debug, Deserialize)]
struct Fields {
    text: Option<String>,
}

impl Brief {
    /// `rendered`, `aborted`, or the kind of the failure.
    fn kind(&self) -> &str {
        match self.outcome.as_str() {
            "failed" => self.kind.as_deref().unwrap_or_default(),
            other => other,
        }
    }

    fn message(&self) -> &str {
        self.message
            .as_deref()
            .or(self.reason.as_deref())
            .unwrap_or_default()
    }

    fn text(&self) -> Option<&str> {
        self.fields.as_ref()?.text.as_deref()
    }
}

/// The outcomes, one a line.
fn outcomes(stdout: &[u8]) -> Vec<Brief> {
    stdout
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice(line)
                .unwrap_or_else(|e| panic!("{e}: {:.300}", String::from_utf8_lossy(line)))
        })
        .collect()
}

/// Every line but `hostile` rendered `rendered(i)`, in order; returns the hostile one.
fn check_all_but_one(
    mut outcomes: Vec<Brief>,
    count: usize,
    hostile: usize,
    rendered: impl Fn(usize) -> String,
) -> Brief {
    assert_eq!(outcomes.len(), count);
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.line, i as u64 + 1, "{outcome:?}");
        if i != hostile {
            assert_eq!(outcome.identity, Some(format!("u-{i}")));
            assert_eq!(outcome.outcome, "rendered", "line {}: {outcome:?}", i + 1);
            assert_eq!(outcome.text(), Some(rendered(i).as_str()), "line {}", i + 1);
        }
    }
    outcomes.swap_remove(hostile)
}

/// What the bounds of the hostile corpus are: twice the deadline of CPU time (wider
/// for an unoptimized build), and 256 MiB.
fn time_bound() -> Duration {
    let bound = Duration::from_millis(500);
    if cfg!(debug_assertions) {
        bound * DEBUG_SLOWDOWN
    } else {
        bound
    }
}

/// Must-show: the 300-byte array bomb behind a profile test, in one record of 10,000.
#[test]
fn an_array_bomb_in_one_record_of_ten_thousand_fails_that_record_alone() {
    let dir = scratch("bomb");
    let bomb = corpus::load_case(&corpus::root().join("array-bomb-behind-a-profile-test"));
    assert!(bomb.template.len() <= 300, "{}", bomb.template.len());
    let template = dir.join("bomb.liquid");
    fs::write(
        &template,
        format!("Hi {{{{ Profile.Name }}}}{}", bomb.template),
    )
    .unwrap();
    let input = dir.join("records.ndjson");
    fs::write(&input, input_with(10_000, 6_789, &credited(6_789, "slow"))).unwrap();
    let (out, cpu, peak) = batch(&[
        template.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let hostile = check_all_but_one(outcomes(&out.stdout), 10_000, 6_789, |_| "Hi Asha".into());
    assert_eq!(hostile.identity.as_deref(), Some("u-6789"));
    assert_eq!(hostile.kind(), "limit_exceeded", "{hostile:?}");
    assert!(hostile.message().contains("memory limit"), "{hostile:?}");
    assert!(
        stderr.contains("9999 rendered, 0 aborted, 1 failed"),
        "{stderr}"
    );
    assert!(peak < MAX_RSS_KIB, "peak {} MiB", peak >> 10);
    println!(
        "bomb in 10,000: cpu {} ms, peak so far {} MiB",
        cpu.as_millis(),
        peak >> 10
    );
}

/// A record that runs into the deadline fails alone with `limit_exceeded`; the records
/// behind it come out, rendered.
#[test]
fn a_record_past_the_deadline_fails_alone_and_the_rest_flow() {
    let dir = scratch("deadline");
    let slow = corpus::load_case(&corpus::root().join("strings-compared-in-a-loop"));
    let template = dir.join("slow.liquid");
    fs::write(
        &template,
        format!(
            "{{{{ Event.Points }}}}{{% if Profile.Name == \"slow\" %}}{}{{% endif %}}",
            slow.template
        ),
    )
    .unwrap();
    let input = dir.join("records.ndjson");
    fs::write(&input, input_with(2_000, 1_000, &credited(1_000, "slow"))).unwrap();
    let (out, _, _) = batch(&[
        template.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let hostile = check_all_but_one(outcomes(&out.stdout), 2_000, 1_000, |i| i.to_string());
    assert_eq!(hostile.kind(), "limit_exceeded", "{hostile:?}");
    assert!(hostile.message().contains("deadline"), "{hostile:?}");
}

/// Six hundred records of about 1 MiB of outcome each: memory stays bounded by the
/// chunks in flight, not by the outcomes (a pipeline that held a chunk of them took
/// 617 MiB for these).
#[test]
fn large_outcomes_keep_memory_bounded() {
    let dir = scratch("large");
    let template = dir.join("large.liquid");
    let kib = "x".repeat(1023);
    fs::write(
        &template,
        format!("{{% for i in (1..1024) %}}{kib}.{{% endfor %}}{{{{ Event.Points }}}}"),
    )
    .unwrap();
    let input = dir.join("records.ndjson");
    fs::write(&input, input_with(600, usize::MAX, "")).unwrap();
    let (out, cpu, peak) = batch(&[
        template.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        "/dev/null",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("600 records in "), "{stderr}");
    assert!(
        stderr.contains("600 rendered, 0 aborted, 0 failed"),
        "{stderr}"
    );
    println!(
        "600 outcomes of 1 MiB: cpu {} ms, peak so far {} MiB",
        cpu.as_millis(),
        peak >> 10
    );
    assert!(peak < MAX_RSS_KIB, "peak {} MiB, over 256 MiB", peak >> 10);
}

/// Every case of the hostile corpus (`tests/hostile/`) through `batch`: the case's
/// record between 20 ordinary ones, each line one outcome, the hostile one the case's
/// outcome, within the corpus's bounds of time and memory. The ordinary records are of
/// another event (the corpus's records are all CT Points Debited), and the template
/// renders them a line of their own: `{% if EventName == "CT Points Credited" %}...{%
/// else %}THE CASE{% endif %}`.
#[test]
fn every_hostile_case_fails_alone_in_a_batch() {
    let dir = scratch("hostile");
    let mut worst = (Duration::ZERO, String::new());
    for case in corpus::load() {
        let template = dir.join(format!("{}.liquid", case.name));
        fs::write(
            &template,
            format!(
                "{{% if EventName == \"CT Points Credited\" %}}ok {{{{ Profile.Name }}}}{{% else %}}{}{{% endif %}}",
                case.template
            ),
        )
        .unwrap();
        let input = dir.join(format!("{}.ndjson", case.name));
        fs::write(&input, input_with(41, 20, &case.record)).unwrap();
        // As in the corpus's own test: a case expected to render has the deadline
        // lifted, so that a busy machine cannot turn it into a failure.
        let deadline = if case.outcome == "rendered" {
            "10000"
        } else {
            "250"
        };
        let mut args = vec![
            template.to_str().unwrap().to_owned(),
            "--input".to_owned(),
            input.to_str().unwrap().to_owned(),
            "--deadline".to_owned(),
            deadline.to_owned(),
            // Some records are megabytes long: the render is what is tried here.
            "--max-line-bytes".to_owned(),
            (16 << 20).to_string(),
        ];
        if let Some(partials) = &case.partials {
            args.push("--partials".to_owned());
            args.push(partials.to_str().unwrap().to_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, cpu, peak) = batch(&args);
        let stderr = text(&out.stderr);
        let hostile = check_all_but_one(outcomes(&out.stdout), 41, 20, |_| "ok Asha".into());
        drop(out.stdout);
        let (kind, message) = (hostile.kind(), hostile.message());
        println!(
            "{:<48} {kind:<15} cpu {:>5} ms  peak so far {:>4} MiB",
            case.name,
            cpu.as_millis(),
            peak >> 10
        );
        assert_eq!(
            kind, case.outcome,
            "{}: {message:.300}\n{stderr:.2000}",
            case.name
        );
        if let Some(expected) = &case.message {
            assert!(
                expected.split(" | ").any(|e| message.contains(e)),
                "{}: the message {message:?} does not say {expected:?}",
                case.name
            );
        }
        let code = if case.outcome == "rendered" { 0 } else { 1 };
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: {stderr:.2000}",
            case.name
        );
        assert!(
            cpu < time_bound(),
            "{}: {cpu:?} of CPU time, over {:?}",
            case.name,
            time_bound()
        );
        assert!(peak < MAX_RSS_KIB, "{}: peak {} MiB", case.name, peak >> 10);
        if cpu > worst.0 {
            worst = (cpu, case.name.clone());
        }
    }
    println!(
        "the slowest case through batch: {} ({} ms of CPU)",
        worst.1,
        worst.0.as_millis()
    );
}
