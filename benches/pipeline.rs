//! The send-time pipeline, per record: one JSON line in, one outcome line out, for a
//! coupon push, through promo-liquid and through the same path built the usual way on
//! the `liquid` crate (0.26), in the same run.
//!
//! `record/<engine>` times the whole path, and `stage/<step>/<engine>` each step on its
//! own, its inputs made beforehand (engines `promo-liquid` and `liquid-crate`):
//!
//! | step | promo-liquid | liquid crate |
//! |---|---|---|
//! | `json` | check the line is JSON (`serde::de::IgnoredAny`), the least any reader does | parse a `serde_json::Value` |
//! | `context` | `Record::parse`, JSON included (the table subtracts `json`): the event validated into typed properties, dates parsed once, the profile's fields found (each parsed when first read) | `liquid::to_object` of the globals (`Event`, `EventName`, `Profile` moved out of the parsed line) |
//! | `render` | `Message::render_reusing`, the three fields into the last outcome's buffers, on records never rendered before | each field's template (parsed once) |
//! | `output` | the outcome line serialized into a reused buffer | the same, by the same code (`stage/output/both`) |
//! | `record` | `batch::Worker::render_line`, the per-record path of `promo-liquid batch`: UTF-8 check and all of the above | all of the above |
//!
//! These single-threaded groups measure the thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`): the machines this runs on are shared, and time spent
//! waiting for a core is not time spent rendering.
//!
//! `batch/threads-N`: [`Batch::run`] over 20,000 of the same records held in memory,
//! output to `io::sink()`, on a rayon pool of one thread and of every core, in wall time:
//! the records/s of the whole pipeline, reading and chunking included.
//!
//! The records are those of `examples/gen_records` (seeded), restricted to what both
//! engines can render: CT Coupon Rewarded events with canonical property names and every
//! property and profile field set (the `liquid` crate fails on a missing value even under
//! `default`). Each is about 1.4 KB, with ten recent orders in the profile. The message
//! uses standard filters only, and no `date` (the crate compiles a regex on every `date`
//! call, which would flatter us). Before anything is timed, both paths turn every record
//! into the same outcome line, byte for byte.
//!
//! Run it with `cargo bench --bench pipeline` (about two minutes on two cores).

use std::hint::black_box;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::{Bencher, Criterion, Throughput};
use indexmap::IndexMap;
use promo_liquid::batch::{Batch, BatchOptions, LineOutcome};
use promo_liquid::message::{FailureKind, Message, Outcome};
use promo_liquid::promo::record::{Record, RecordOptions};
use promo_liquid::promo::schema::EventKind;
use promo_liquid::promo::{self, Settings};
use serde::de::IgnoredAny;

#[path = "../examples/gen_records/records.rs"]
mod records;

/// Records cycled through by the per-record benchmarks.
const RECORDS: usize = 1000;
/// Records in the in-memory input of `batch/*`.
const BATCH_RECORDS: usize = 20_000;

/// The push: a greeting, the code (or the bulk coupon's name) in the user's language,
/// and a deep link with URL-encoded parts.
const FIELDS: [(&str, &str); 3] = [
    (
        "title",
        "🎁 A reward for you, {{ Profile.Name | default: 'there' }}!",
    ),
    (
        "body",
        r#"{%- assign code = Event["Coupon Code"] | default: Event["Coupon Name"] -%}
{%- if Profile.Language == "hi" -%}
{{ Profile.Name | default: "Dost" }}, aapka code {{ code }} taiyaar hai!
{%- else -%}
Use code {{ code }}{% if Event["Coupon Description"] != blank %} for {{ Event["Coupon Description"] | downcase }}{% endif %}, valid till {{ Event["Coupon Expiry Date"] }}.
{%- endif -%}"#,
    ),
    (
        "deep_link",
        "shop://coupons/{{ Event['Coupon Id'] | url_encode }}?campaign={{ Event['Campaign Id'] | url_encode }}&tier={{ Profile.Tier | downcase }}",
    ),
];

fn message_toml() -> String {
    let mut toml = "event = \"CT Coupon Rewarded\"\nchannel = \"push\"\n[fields]\n".to_owned();
    for (name, source) in FIELDS {
        toml.push_str(&format!("{name} = '''\n{source}'''\n"));
    }
    toml
}

fn lines(count: usize) -> Vec<String> {
    let shape = records::Shape {
        events: vec![EventKind::CouponRewarded],
        names: records::Names::Canonical,
        complete: true,
        orders: 10,
    };
    let mut generator = records::Generator::new(2026, shape);
    (0..count).map(|_| generator.line()).collect()
}

/// The path built on the `liquid` crate: templates parsed once, everything else per
/// record.
struct LiquidCrate {
    fields: Vec<(&'static str, liquid::Template)>,
}

impl LiquidCrate {
    fn new() -> Self {
        let parser = liquid::ParserBuilder::with_stdlib()
            .build()
            .expect("the standard library builds");
        let fields = FIELDS
            .iter()
            .map(|(name, source)| {
                let template = parser
                    .parse(source)
                    .unwrap_or_else(|e| panic!("liquid crate cannot parse {name}: {e}"));
                (*name, template)
            })
            .collect();
        LiquidCrate { fields }
    }

    /// One line to one outcome line, appended to `out`.
    fn render_line(&self, number: u64, line: &str, out: &mut Vec<u8>) {
        let (identity, outcome) = match serde_json::from_str(line) {
            Ok(json) => {
                let (identity, globals) = globals(json);
                (identity, self.render(&globals))
            }
            Err(e) => (
                None,
                Outcome::failed(FailureKind::InvalidJson, e.to_string()),
            ),
        };
        LineOutcome {
            line: number,
            identity: identity.map(Into::into),
            outcome,
        }
        .write_json(out);
    }

    fn render(&self, globals: &serde_json::Value) -> Outcome {
        let object = match liquid::to_object(globals) {
            Ok(object) => object,
            Err(e) => return Outcome::failed(FailureKind::InvalidRecord, e.to_string()),
        };
        self.render_object(&object)
    }

    fn render_object(&self, object: &liquid::Object) -> Outcome {
        let mut fields = IndexMap::with_capacity(self.fields.len());
        for (name, template) in &self.fields {
            match template.render(object) {
                Ok(text) => {
                    fields.insert(*name, text);
                }
                Err(e) => return Outcome::failed(FailureKind::Filter, e.to_string()),
            }
        }
        Outcome::Rendered {
            fields,
            warnings: Vec::new(),
            sms: None,
        }
    }
}

/// The record's identity and its globals, moved (not cloned) out of the parsed line.
fn globals(json: serde_json::Value) -> (Option<String>, serde_json::Value) {
    let serde_json::Value::Object(mut record) = json else {
        return (None, serde_json::Value::Null);
    };
    let identity = match record.remove("identity") {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    let mut globals = serde_json::Map::new();
    for (from, to) in [
        ("evtData", "Event"),
        ("evtName", "EventName"),
        ("profileData", "Profile"),
    ] {
        if let Some(value) = record.remove(from) {
            globals.insert(to.to_owned(), value);
        }
    }
    (identity, serde_json::Value::Object(globals))
}

struct Fixture {
    lines: Vec<String>,
    message: Message,
    settings: Settings,
    theirs: LiquidCrate,
}

impl Fixture {
    fn new() -> Self {
        let settings = Settings::default();
        let env = promo::environment(&settings);
        let message = Message::from_toml("coupon.push.toml", &message_toml(), &env)
            .unwrap_or_else(|e| panic!("promo-liquid cannot load the message: {e}"));
        Fixture {
            lines: lines(RECORDS),
            message,
            settings,
            theirs: LiquidCrate::new(),
        }
    }

    fn batch(&self) -> Batch<'_> {
        Batch::new(&self.message, &self.settings, BatchOptions::default())
    }

    /// Panics unless both paths write the same outcome line for every record, and every
    /// record renders cleanly.
    fn assert_same_output(&self) {
        let batch = self.batch();
        let mut worker = batch.worker();
        for (i, line) in self.lines.iter().enumerate() {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            worker.render_line(i as u64 + 1, line.as_bytes(), &mut ours);
            self.theirs.render_line(i as u64 + 1, line, &mut theirs);
            let ours = String::from_utf8_lossy(&ours);
            assert!(
                ours.contains(r#""outcome":"rendered""#) && ours.contains(r#""warnings":[]"#),
                "promo-liquid did not render record {i} cleanly: {ours}"
            );
            assert_eq!(
                ours,
                String::from_utf8_lossy(&theirs),
                "the paths disagree on record {i}: left is promo-liquid, right the liquid crate"
            );
        }
    }
}

/// Hands out `items` in turn, one per call.
fn cycle<'a, T>(items: &'a [T]) -> impl FnMut() -> &'a T {
    let mut next = 0;
    move || {
        let item = &items[next];
        next = (next + 1) % items.len();
        item
    }
}

/// The CPU time this thread has run.
fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Times `iters` runs of `f` in this thread's CPU time.
fn cpu_timed(b: &mut Bencher<'_>, mut f: impl FnMut()) {
    b.iter_custom(|iters| {
        let start = thread_cpu_time();
        for _ in 0..iters {
            f();
        }
        thread_cpu_time().saturating_sub(start)
    });
}

/// Times `iters` runs of `f`, each on an input made by `setup`, in this thread's CPU
/// time; the inputs are made a thousand at a time, untimed.
fn cpu_timed_with<I>(b: &mut Bencher<'_>, mut setup: impl FnMut() -> I, mut f: impl FnMut(I)) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        let mut inputs = Vec::with_capacity(1000);
        let mut left = iters;
        while left > 0 {
            let count = left.min(1000);
            inputs.extend((0..count).map(|_| setup()));
            let start = thread_cpu_time();
            inputs.drain(..).for_each(&mut f);
            total += thread_cpu_time().saturating_sub(start);
            left -= count;
        }
        total
    });
}

/// The whole path per record, through both engines.
fn bench_record(c: &mut Criterion, fx: &Fixture) {
    let batch = fx.batch();
    let mut worker = batch.worker();
    let mut out = Vec::new();
    let mut line = cycle(&fx.lines);
    let mut group = c.benchmark_group("record");
    group.bench_function("promo-liquid", |b| {
        cpu_timed(b, || {
            out.clear();
            worker.render_line(1, line().as_bytes(), &mut out);
            black_box(&out);
        });
    });
    group.bench_function("liquid-crate", |b| {
        cpu_timed(b, || {
            out.clear();
            fx.theirs.render_line(1, line(), &mut out);
            black_box(&out);
        });
    });
    group.finish();
}

/// Each step of the path on its own, its inputs made beforehand.
fn bench_stages(c: &mut Criterion, fx: &Fixture) {
    let options = RecordOptions::default();
    let mut line = cycle(&fx.lines);

    let mut group = c.benchmark_group("stage/json");
    group.bench_function("promo-liquid", |b| {
        cpu_timed(b, || {
            drop(black_box(serde_json::from_str::<IgnoredAny>(line())))
        });
    });
    group.bench_function("liquid-crate", |b| {
        cpu_timed(b, || {
            black_box(serde_json::from_str::<serde_json::Value>(line()).expect("JSON"));
        });
    });
    group.finish();

    // promo-liquid reads and validates in one pass: this is `Record::parse` whole, JSON
    // included (the table subtracts `stage/json`).
    let mut group = c.benchmark_group("stage/context");
    group.bench_function("promo-liquid", |b| {
        cpu_timed(b, || drop(black_box(Record::parse(line(), &options))));
    });
    let theirs_globals: Vec<serde_json::Value> = fx
        .lines
        .iter()
        .map(|l| globals(serde_json::from_str(l).expect("JSON")).1)
        .collect();
    let mut globals = cycle(&theirs_globals);
    group.bench_function("liquid-crate", |b| {
        cpu_timed(b, || {
            black_box(liquid::to_object(globals()).expect("an object"));
        });
    });
    group.finish();

    // Records never rendered, so that each timed render reads its profile fields as the
    // path does (they are parsed on first use).
    let records: Vec<Record<'_>> = fx
        .lines
        .iter()
        .map(|l| Record::parse(l, &options).expect("a valid record"))
        .collect();
    let mut record = cycle(&records);
    let mut spare = None;
    let theirs_objects: Vec<liquid::Object> = theirs_globals
        .iter()
        .map(|g| liquid::to_object(g).expect("an object"))
        .collect();
    let mut object = cycle(&theirs_objects);
    let mut group = c.benchmark_group("stage/render");
    group.bench_function("promo-liquid", |b| {
        cpu_timed_with(
            b,
            || record().clone(),
            |record| {
                let outcome = fx.message.render_reusing(&record, spare.take());
                spare = Some(black_box(outcome));
            },
        );
    });
    group.bench_function("liquid-crate", |b| {
        cpu_timed(b, || drop(black_box(fx.theirs.render_object(object()))));
    });
    group.finish();

    // The same outcome type and serializer on both sides.
    let batch = fx.batch();
    let outcomes: Vec<LineOutcome<'_>> = fx
        .lines
        .iter()
        .map(|line| batch.outcome(1, line.as_bytes()))
        .collect();
    let mut outcome = cycle(&outcomes);
    let mut out = Vec::new();
    let mut group = c.benchmark_group("stage/output");
    group.bench_function("both", |b| {
        cpu_timed(b, || {
            out.clear();
            outcome().write_json(&mut out);
            black_box(&out);
        });
    });
    group.finish();
}

fn bench_batch(c: &mut Criterion, fx: &Fixture) {
    let mut input = Vec::new();
    for line in lines(BATCH_RECORDS) {
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    let batch = fx.batch();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(BATCH_RECORDS as u64));
    group.sample_size(10);
    for threads in [1, cores] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(format!("threads-{threads}"), |b| {
            b.iter(|| {
                pool.install(|| batch.run(Cursor::new(&input), io::sink(), |_| {}))
                    .expect("in-memory I/O cannot fail")
            });
        });
    }
    group.finish();
}

/// Where criterion writes its estimates (see `benches/render.rs`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        Path::new(&target).join("criterion")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion")
    }
}

/// The mean time in nanoseconds of `group`/`function`, if this run measured it.
fn mean_ns(dir: &Path, group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let file = dir
        .join(group.replace('/', "_"))
        .join(function)
        .join("new/estimates.json");
    let written = std::fs::metadata(&file).and_then(|m| m.modified()).ok()?;
    if written < since {
        return None;
    }
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

/// Prints what each step of the path costs through each engine, the records/s of the
/// whole and of `batch`, and the ratios; nothing in `--test` mode.
fn print_table(dir: &Path, since: SystemTime) {
    let mean = |group: &str, function: &str| mean_ns(dir, group, function, since);
    let ns = |v: f64| format!("{v:.0}");
    let ratio = |ours: f64, theirs: f64| format!("{:.2}x", theirs / ours);
    let row = |name: &str, ours: f64, theirs: f64| {
        let r = ratio(ours, theirs);
        println!(
            "{name:<22} | {:>15} | {:>15} | {r:>6}",
            ns(ours),
            ns(theirs)
        );
    };
    let stage = |name: &str| Some((mean(name, "promo-liquid")?, mean(name, "liquid-crate")?));
    if let (Some(json), Some(read), Some(render), Some(output), Some(whole)) = (
        stage("stage/json"),
        stage("stage/context"),
        stage("stage/render"),
        mean("stage/output", "both"),
        stage("record"),
    ) {
        // promo-liquid's stage/context is the whole of Record::parse, JSON included.
        let context = (read.0 - json.0, read.1);
        println!();
        println!(
            "{:<22} | {:>15} | {:>15} | {:>6}",
            "per record, one thread", "promo-liquid ns", "liquid crate ns", "ratio"
        );
        println!("{:-<22}-|-{:->15}-|-{:->15}-|-{:->6}", "", "", "", "");
        row("json", json.0, json.1);
        row("context", context.0, context.1);
        row("render", render.0, render.1);
        row("output", output, output);
        row(
            "sum of the steps",
            json.0 + context.0 + render.0 + output,
            json.1 + context.1 + render.1 + output,
        );
        row("whole record", whole.0, whole.1);
        println!(
            "{:<22} | {:>15.0} | {:>15.0} | {:>6}",
            "records/s",
            1e9 / whole.0,
            1e9 / whole.1,
            ratio(whole.0, whole.1)
        );
        println!();
        println!(
            "ratio = liquid crate time / promo-liquid time (above 1: promo-liquid is faster),"
        );
        println!("in thread CPU time; each step measured on its own (promo-liquid's context is");
        println!("Record::parse minus the JSON scan), the whole record measured in one piece");
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let single = mean("batch", "threads-1");
    for threads in [1, cores] {
        let Some(total) = mean("batch", &format!("threads-{threads}")) else {
            continue;
        };
        let per_record = total / BATCH_RECORDS as f64;
        let speedup =
            single.map_or_else(String::new, |s| format!(", {:.2}x one thread", s / total));
        println!(
            "batch, {threads} thread(s): {:.0} ns/record, {:.0} records/s{speedup} (wall time)",
            per_record,
            1e9 / per_record
        );
    }
}

fn main() {
    let fixture = Fixture::new();
    fixture.assert_same_output();

    let started = SystemTime::now();
    let dir = criterion_dir();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .output_directory(&dir)
        .configure_from_args();
    bench_record(&mut c, &fixture);
    bench_stages(&mut c, &fixture);
    bench_batch(&mut c, &fixture);
    c.final_summary();

    print_table(&dir, started);
}
