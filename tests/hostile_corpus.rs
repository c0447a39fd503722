//! The hostile corpus (`tests/hostile/`, described in its README) through the library
//! and through the real binary (`promo-liquid render --format json`).
//!
//! Every case runs in a child process of its own (the library path re-runs this test
//! binary on one case), so that what it costs is its own: the child's CPU time and peak
//! memory (max RSS) come from `getrusage(RUSAGE_CHILDREN)` once it has been waited for.
//! Cases run one after another, so each child's CPU time is the growth of the total,
//! and the peak is the running maximum: the first case to push it past the bound is
//! the one that fails.
//!
//! Each case must end in its expected outcome, within twice the default deadline
//! (250 ms) of CPU time, and under 256 MiB at its peak. Cases that fail run under the
//! default deadline, which is part of what they test; cases expected to render run with
//! the deadline lifted to 10 s, so that a busy machine (the deadline is wall-clock
//! time) cannot turn them into deadline failures, and must still stay within the same
//! CPU time. Debug builds (plain `cargo
//! test`) do the same work several times slower, including the work no deadline
//! covers (starting the process, parsing a megabyte of template or record): their
//! time bound is `DEBUG_SLOWDOWN` times wider; the bound of an optimized build
//! (`cargo test --release --test hostile_corpus`) is the plain one. Wall time is only
//! checked against a generous bound, since the machine may be busy with other work.
//! `cargo test --test hostile_corpus -- --nocapture` prints what each case cost.

#[path = "hostile/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use promo_liquid::liquid::DirectoryLoader;
use promo_liquid::message::{Failure, Message, Outcome};
use promo_liquid::promo::{self, Settings, record::Record};

/// The most memory a case may take at its peak.
const MAX_RSS_KIB: i64 = 256 << 10;

/// How much slower an unoptimized build does the same work.
const DEBUG_SLOWDOWN: u32 = 8;

/// The deadline of the cases expected to render, in milliseconds.
const LIFTED_DEADLINE_MS: &str = "10000";

/// The `--deadline` a case runs under.
fn deadline_ms(case: &corpus::Case) -> String {
    if case.outcome == "rendered" {
        LIFTED_DEADLINE_MS.to_owned()
    } else {
        let deadline = Settings::default().deadline.expect("a default deadline");
        deadline.as_millis().to_string()
    }
}

/// The CPU time a case may take: twice the deadline.
fn time_bound() -> Duration {
    let deadline = Settings::default().deadline.expect("a default deadline");
    let bound = deadline * 2;
    if cfg!(debug_assertions) {
        bound * DEBUG_SLOWDOWN
    } else {
        bound
    }
}

/// What the children waited for so far have cost, all together: CPU time, and the
/// largest peak memory of any of them (KiB).
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

/// What one child cost.
struct Cost {
    cpu: Duration,
    wall: Duration,
    /// The largest peak of every child so far.
    peak_kib: i64,
}

fn run(mut command: Command) -> (Output, Cost) {
    let (cpu_before, _) = children();
    let started = Instant::now();
    let output = command.output().expect("the child runs");
    let wall = started.elapsed();
    let (cpu_after, peak_kib) = children();
    let cost = Cost {
        cpu: cpu_after - cpu_before,
        wall,
        peak_kib,
    };
    (output, cost)
}

/// What the parent reads of an outcome: the rendered text and the warnings (megabytes,
/// for some cases) are skipped, not held, so that this process stays small. (A child
/// starts as a copy of its parent, so the parent's size is the least any child's peak
/// can measure.)
#[derive(serde::Deserialize)]
struct Summary {
    outcome: String,
    kind: Option<String>,
    message: Option<String>,
    reason: Option<String>,
}

impl Summary {
    /// The kind of the outcome (`rendered`, `aborted`, or the failure's kind) and its
    /// message.
    fn kind_and_message(&self) -> (String, String) {
        match self.outcome.as_str() {
            "failed" => (
                self.kind.clone().unwrap_or_default(),
                self.message.clone().unwrap_or_default(),
            ),
            "aborted" => (
                "aborted".to_owned(),
                self.reason.clone().unwrap_or_default(),
            ),
            other => (other.to_owned(), String::new()),
        }
    }
}

/// Checks a child's outcome and cost against the case.
fn check(case: &corpus::Case, path: &str, stderr: &str, summary: &Summary, cost: &Cost) {
    let (kind, message) = summary.kind_and_message();
    println!(
        "{:<48} {path:<7} {kind:<15} cpu {:>5} ms  wall {:>5} ms  peak so far {:>4} MiB  {}",
        case.name,
        cost.cpu.as_millis(),
        cost.wall.as_millis(),
        cost.peak_kib >> 10,
        message.chars().take(70).collect::<String>(),
    );
    assert_eq!(
        kind, case.outcome,
        "{} ({path}): expected {}, found {kind}: {message}\n{stderr:.2000}",
        case.name, case.outcome
    );
    if let Some(expected) = &case.message {
        assert!(
            expected.split(" | ").any(|e| message.contains(e)),
            "{} ({path}): the message {message:?} does not say {expected:?}",
            case.name
        );
    }
    assert!(
        cost.cpu < time_bound(),
        "{} ({path}): took {:?} of CPU time, over {:?}",
        case.name,
        cost.cpu,
        time_bound()
    );
    assert!(
        cost.wall < Duration::from_secs(30),
        "{} ({path}): took {:?}",
        case.name,
        cost.wall
    );
    assert!(
        cost.peak_kib < MAX_RSS_KIB,
        "{} ({path}): peak memory {} MiB, over 256 MiB",
        case.name,
        cost.peak_kib >> 10
    );
}

/// The case through the library, in a child: this binary, running `library_child`.
fn through_the_library(case: &corpus::Case) -> (String, Summary, Cost) {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args(["--ignored", "--exact", "library_child", "--nocapture"])
        .args(["--test-threads", "1"])
        .env("HOSTILE_CASE", &case.dir)
        .env("HOSTILE_DEADLINE_MS", deadline_ms(case));
    let (output, cost) = run(command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("hostile-outcome: ").map(|(_, json)| json))
        .unwrap_or_else(|| {
            panic!(
                "{}: the library child printed no outcome\n{stdout:.2000}\n{}",
                case.name,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let summary = serde_json::from_str(line).expect("the child's outcome is JSON");
    (stderr_of(&output), summary, cost)
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .chars()
        .take(2000)
        .collect()
}

/// The case through `promo-liquid render --format json`, its expanded template and
/// record written to files first.
fn through_the_binary(case: &corpus::Case) -> (String, Summary, Cost) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile")
        .join(&case.name);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let template = dir.join("template.liquid");
    let record = dir.join("record.json");
    std::fs::write(&template, &case.template).expect("the template is written");
    std::fs::write(&record, &case.record).expect("the record is written");
    let mut command = Command::new(env!("CARGO_BIN_EXE_promo-liquid"));
    command
        .arg("render")
        .arg(&template)
        .arg("--record")
        .arg(&record)
        .args(["--format", "json", "--deadline", &deadline_ms(case)]);
    if let Some(partials) = &case.partials {
        command.arg("--partials").arg(partials);
    }
    let (output, cost) = run(command);
    let summary = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: the binary printed no outcome ({e})\n{}",
            case.name,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (stderr_of(&output), summary, cost)
}

#[test]
fn every_hostile_case_ends_in_its_outcome_in_bounded_time_and_memory() {
    let cases = corpus::load();
    let mut worst = (Duration::ZERO, String::new());
    for case in &cases {
        for path in ["library", "binary"] {
            let (stderr, summary, cost) = match path {
                "library" => through_the_library(case),
                _ => through_the_binary(case),
            };
            check(case, path, &stderr, &summary, &cost);
            if cost.cpu > worst.0 {
                worst = (cost.cpu, format!("{} ({path})", case.name));
            }
        }
    }
    let parent = getrusage(UsageWho::RUSAGE_SELF)
        .expect("getrusage")
        .max_rss();
    println!(
        "{} cases, each through both paths; the slowest: {} with {} ms of CPU time; the \
         largest peak of any child: {} MiB (this process's own peak: {} MiB)",
        cases.len(),
        worst.1,
        worst.0.as_millis(),
        children().1 >> 10,
        parent >> 10
    );
}

/// Renders the case named by `HOSTILE_CASE` through the library and prints a summary of
/// its outcome: run in a child process by the test above.
#[test]
#[ignore = "run in a child process by every_hostile_case_ends_in_its_outcome_..."]
fn library_child() {
    let dir = std::env::var_os("HOSTILE_CASE").expect("HOSTILE_CASE names a case");
    let case = corpus::load_case(Path::new(&dir));
    let ms: u64 = std::env::var("HOSTILE_DEADLINE_MS")
        .expect("HOSTILE_DEADLINE_MS is set")
        .parse()
        .expect("milliseconds");
    let settings = Settings {
        deadline: Some(Duration::from_millis(ms)),
        ..Settings::default()
    };
    let mut env = promo::environment(&settings);
    if let Some(partials) = &case.partials {
        env.set_loader(DirectoryLoader::new(partials));
    }
    let outcome = match Message::from_template("template.liquid", &case.template, &env) {
        Ok(message) => match Record::parse(&case.record, &settings.record_options()) {
            Ok(record) => message.render(&record),
            Err(e) => Outcome::from(Failure::from_record_error(&e)),
        },
        Err(e) => Outcome::from(e.failure()),
    };
    // Only what the parent checks: the rendered text may be megabytes.
    let summary = match &outcome {
        Outcome::Rendered { warnings, .. } => {
            serde_json::json!({"outcome": "rendered", "warnings": warnings.len()})
        }
        other => serde_json::to_value(other).expect("an outcome serializes"),
    };
    println!("hostile-outcome: {summary}");
}
