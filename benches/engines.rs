//! promo-liquid against the `liquid` crate (0.26) and minijinja 2 on realistic records,
//! through the paths users run, in the same run: see `benches/workloads/mod.rs` for the
//! workloads (`push`, `branches`, `loop`), the paths (`render`, `library`, `record`,
//! `line`) and how each engine is used.
//!
//! Before anything is timed, every engine renders the first 1000 records of every
//! workload on every path, and must give promo-liquid's output byte for byte.
//!
//! Criterion times each `PATH/WORKLOAD` group (functions `promo-liquid`,
//! `liquid-crate`, `minijinja`), a different record each iteration, cycling through
//! 1000, and `compile/WORKLOAD`, compiling the template. Then, because the machines this runs on are shared and noisy, the table is
//! measured apart: for each group, rounds of about 30 ms per engine, the engines
//! interleaved within each round, the median of the rounds, all in the thread's CPU
//! time (time spent waiting for a core is not counted). It prints records per second
//! and the ratios (their time / ours: above 1, promo-liquid is faster).
//!
//! ```sh
//! cargo bench --bench engines                       # criterion, then the table
//! cargo bench --bench engines -- --table            # the table only (about a minute)
//! BENCH_ROUNDS=21 cargo bench --bench engines -- --table
//! cargo bench --bench engines -- render/            # some criterion groups only
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Bencher, Criterion};

mod workloads;

use workloads::{Engine, Engines, Path, Run, WORKLOADS};

/// Records cycled through per group.
const RECORDS: usize = 1000;

/// The CPU time this thread has run.
fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Runs `iters` iterations of `run`, a different record each, and returns the thread
/// CPU time they took.
fn timed(
    run: &mut Run<'_>,
    next: &mut usize,
    records: usize,
    iters: u64,
    out: &mut Vec<u8>,
) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..iters {
        out.clear();
        run(*next, out);
        black_box(&*out);
        *next = (*next + 1) % records;
    }
    thread_cpu_time().saturating_sub(start)
}

fn bench(b: &mut Bencher<'_>, mut run: Run<'_>) {
    let mut next = 0;
    let mut out = Vec::new();
    b.iter_custom(|iters| timed(&mut run, &mut next, RECORDS, iters, &mut out));
}

fn criterion_groups(c: &mut Criterion, engines: &Engines) {
    for path in Path::ALL {
        for (w, workload) in WORKLOADS.iter().enumerate() {
            let lines = workloads::lines(workload, path.mixed_names(), RECORDS);
            let mut group = c.benchmark_group(format!("{}/{}", path.name(), workload.name));
            for engine in Engine::ALL {
                group.bench_function(engine.name(), |b| {
                    bench(b, engines.runner(engine, path, w, &lines));
                });
            }
            group.finish();
        }
    }
}

/// Compiling each workload, through each engine: what loading a message costs.
fn compile_groups(c: &mut Criterion) {
    let env = promo_liquid::promo::environment(&promo_liquid::promo::Settings::default());
    let parser = workloads::liquid_crate::parser();
    let jinja = workloads::jinja::environment();
    for workload in &WORKLOADS {
        let mut group = c.benchmark_group(format!("compile/{}", workload.name));
        group.bench_function(Engine::Ours.name(), |b| {
            b.iter(|| {
                env.compile(workload.name, black_box(workload.liquid))
                    .expect("compiles")
            });
        });
        group.bench_function(Engine::LiquidCrate.name(), |b| {
            b.iter(|| parser.parse(black_box(workload.liquid)).expect("parses"));
        });
        group.bench_function(Engine::Minijinja.name(), |b| {
            b.iter(|| {
                drop(
                    jinja
                        .template_from_str(black_box(workload.jinja))
                        .expect("compiles"),
                );
            });
        });
        group.finish();
    }
}

/// The median ns per record of each engine on `path` of workload `w`, the engines
/// interleaved round by round.
fn interleaved(engines: &Engines, path: Path, w: usize, rounds: usize) -> Vec<f64> {
    let lines = workloads::lines(&WORKLOADS[w], path.mixed_names(), RECORDS);
    let mut runs: Vec<Run<'_>> = Engine::ALL
        .iter()
        .map(|&engine| engines.runner(engine, path, w, &lines))
        .collect();
    let mut out = Vec::new();
    let mut next = vec![0; runs.len()];
    // Iterations for about 30 ms each, from a warm-up of about 30 ms.
    let iters: Vec<u64> = runs
        .iter_mut()
        .zip(&mut next)
        .map(|(run, next)| {
            let mut n = 16;
            loop {
                let took = timed(run, next, RECORDS, n, &mut out);
                if took >= Duration::from_millis(10) {
                    return (n as f64 * 30e6 / took.as_nanos() as f64).ceil() as u64;
                }
                n *= 2;
            }
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); runs.len()];
    for _ in 0..rounds {
        for (e, run) in runs.iter_mut().enumerate() {
            let took = timed(run, &mut next[e], RECORDS, iters[e], &mut out);
            samples[e].push(took.as_nanos() as f64 / iters[e] as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

fn table(engines: &Engines) {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(11);
    // ns[path][workload][engine]
    let mut ns = Vec::new();
    for path in Path::ALL {
        let mut row = Vec::new();
        for w in 0..WORKLOADS.len() {
            row.push(interleaved(engines, path, w, rounds));
        }
        ns.push(row);
    }
    let columns: Vec<(usize, usize)> = (0..Path::ALL.len())
        .flat_map(|p| (0..WORKLOADS.len()).map(move |w| (p, w)))
        .collect();
    let header = |first: &str| {
        let names: Vec<String> = columns
            .iter()
            .map(|&(p, w)| format!("{} {}", WORKLOADS[w].name, Path::ALL[p].name()))
            .collect();
        println!("| {first} | {} |", names.join(" | "));
        println!("|---|{}", "---:|".repeat(columns.len()));
    };
    println!();
    println!(
        "Records per second, one core (thread CPU time, median of {rounds} interleaved rounds):"
    );
    println!();
    header("records/s");
    for (e, engine) in Engine::ALL.iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .map(|&(p, w)| format!("{:.0}k", 1e6 / ns[p][w][e]))
            .collect();
        println!("| {} | {} |", engine.name(), cells.join(" | "));
    }
    println!();
    println!("promo-liquid's speed-up (their time / ours):");
    println!();
    header("vs");
    for (e, engine) in Engine::ALL.iter().enumerate().skip(1) {
        let cells: Vec<String> = columns
            .iter()
            .map(|&(p, w)| format!("{:.1}x", ns[p][w][e] / ns[p][w][0]))
            .collect();
        println!("| {} | {} |", engine.name(), cells.join(" | "));
    }
    println!();
}

fn main() {
    let engines = Engines::new();
    workloads::assert_same_output(&engines, RECORDS);

    let args: Vec<String> = std::env::args().collect();
    let table_only = args.iter().any(|a| a == "--table");
    let test_mode = args.iter().any(|a| a == "--test" || a == "--list");
    if !table_only {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(30)
            .configure_from_args();
        criterion_groups(&mut c, &engines);
        compile_groups(&mut c);
        c.final_summary();
    }
    if !test_mode {
        table(&engines);
    }
}
