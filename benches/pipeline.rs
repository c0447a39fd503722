//! Where promo-liquid's send-time time goes, and what `batch` does on every core.
//! (The comparison with other engines is `benches/engines.rs`.)
//!
//! The message is the bundled coupon push (`templates/coupon-rewarded.push.toml`:
//! three fields, `days_until`, `date`, `url_encode`), the records the generator's CT
//! Coupon Rewarded events as a real stream has them: every property-name style and
//! date format, optional properties sometimes missing, about 1.5 KB each.
//!
//! - `stage/json`: the least any reader does, checking the line is JSON
//!   (`serde::de::IgnoredAny`);
//! - `stage/record`: `Record::parse` (JSON included): the event validated and typed,
//!   dates parsed, the profile's fields found;
//! - `stage/render`: `Message::render_reusing` on records parsed beforehand (each a
//!   fresh copy, so the profile fields it reads are parsed as the pipeline does);
//! - `stage/output`: the outcome line serialized;
//! - `stage/line`: `Worker::render_line`, the whole per-record path;
//! - `batch/threads-N`: `Batch::run` over 20,000 records held in memory, output to
//!   `io::sink()`, on one thread and on every core, in wall time.
//!
//! The `stage/*` groups are in the thread's CPU time (time spent waiting for a core on
//! a shared machine is not counted). Run it with `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::io::{self, Cursor};
use std::time::Duration;

use criterion::{Bencher, Criterion, Throughput};
use promo_liquid::batch::{Batch, BatchOptions, LineOutcome};
use promo_liquid::message::Message;
use promo_liquid::promo::record::Record;
use promo_liquid::promo::schema::EventKind;
use promo_liquid::promo::{self, Settings};
use serde::de::IgnoredAny;

#[path = "../examples/gen_records/records.rs"]
mod records;

/// Records cycled through by the per-record groups.
const RECORDS: usize = 1000;
/// Records in the in-memory input of `batch/*`.
const BATCH_RECORDS: usize = 20_000;

fn lines(count: usize) -> Vec<String> {
    let shape = records::Shape {
        events: vec![EventKind::CouponRewarded],
        ..records::Shape::default()
    };
    let mut generator = records::Generator::new(2026, shape);
    (0..count).map(|_| generator.line()).collect()
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

fn bench_stages(c: &mut Criterion, message: &Message, settings: &Settings, lines: &[String]) {
    let options = settings.record_options();
    let batch = Batch::new(message, settings, BatchOptions::default());
    let mut line = cycle(lines);
    let mut group = c.benchmark_group("stage");
    group.bench_function("json", |b| {
        cpu_timed(b, || {
            drop(black_box(serde_json::from_str::<IgnoredAny>(line())))
        });
    });
    group.bench_function("record", |b| {
        cpu_timed(b, || drop(black_box(Record::parse(line(), &options))));
    });
    let records: Vec<Record<'_>> = lines
        .iter()
        .map(|l| Record::parse(l, &options).expect("a valid record"))
        .collect();
    let mut record = cycle(&records);
    let mut spare = None;
    group.bench_function("render", |b| {
        cpu_timed_with(
            b,
            || record().clone(),
            |record| {
                let outcome = message.render_reusing(&record, spare.take());
                spare = Some(black_box(outcome));
            },
        );
    });
    let outcomes: Vec<LineOutcome<'_>> = lines
        .iter()
        .map(|line| batch.outcome(1, line.as_bytes()))
        .collect();
    let mut outcome = cycle(&outcomes);
    let mut out = Vec::new();
    group.bench_function("output", |b| {
        cpu_timed(b, || {
            out.clear();
            outcome().write_json(&mut out);
            black_box(&out);
        });
    });
    let mut worker = batch.worker();
    group.bench_function("line", |b| {
        cpu_timed(b, || {
            out.clear();
            worker.render_line(1, line().as_bytes(), &mut out);
            black_box(&out);
        });
    });
    group.finish();
}

fn bench_batch(c: &mut Criterion, message: &Message, settings: &Settings) {
    let mut input = Vec::new();
    for line in lines(BATCH_RECORDS) {
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    let batch = Batch::new(message, settings, BatchOptions::default());
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

fn main() {
    let settings = Settings::default();
    let mut env = promo::environment(&settings);
    // The generated coupons expire from late October 2026 and the push aborts for an
    // expired one: render as of before then, so that every record renders.
    env.set_now(chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00+00:00").expect("a time"));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/coupon-rewarded.push.toml"
    );
    let text = std::fs::read_to_string(path).expect("the bundled coupon push");
    let message = Message::from_toml("coupon-rewarded.push.toml", &text, &env)
        .unwrap_or_else(|e| panic!("the bundled coupon push does not load: {e}"));
    let lines = lines(RECORDS);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    bench_stages(&mut c, &message, &settings, &lines);
    bench_batch(&mut c, &message, &settings);
    c.final_summary();
}
