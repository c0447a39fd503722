//! Instructions per record of each engine on each workload and path of
//! `benches/engines.rs`, counted by valgrind's callgrind: unlike timings, instruction
//! counts do not move with the load of a shared machine, so their ratios are the
//! stable measure.
//!
//! ```sh
//! cargo build --release --example instructions
//! target/release/examples/instructions                 # everything (a few minutes)
//! target/release/examples/instructions push render     # names filter what is counted
//! ```
//!
//! For each workload, path and engine it runs itself under
//! `valgrind --tool=callgrind` twice, with `WARM` and with `WARM + COUNTED` records
//! (cycling through the same 200 records), and divides the difference by `COUNTED`:
//! setup, the first records and valgrind's own start are in both runs and cancel out.
//! Every engine's output is checked against promo-liquid's first. It needs `valgrind`
//! on the `PATH`.

use std::process::{Command, ExitCode};

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use workloads::{Engine, Engines, Path, WORKLOADS};

const RECORDS: usize = 200;
const WARM: usize = 200;
const COUNTED: usize = 1000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("run") {
        run(&args[1..]);
        return ExitCode::SUCCESS;
    }
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let engines = Engines::new();
    workloads::assert_same_output(&engines, RECORDS);
    let exe = std::env::current_exe().expect("the path of this program");
    let mut rows = Vec::new();
    for path in Path::ALL {
        for workload in &WORKLOADS {
            if !wanted(path.name()) && !wanted(workload.name) {
                continue;
            }
            let mut counts = Vec::new();
            for engine in Engine::ALL {
                let count = |records: usize| -> Option<u64> {
                    let output = Command::new("valgrind")
                        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
                        .arg(&exe)
                        .args(["run", workload.name, path.name(), engine.name()])
                        .arg(records.to_string())
                        .output()
                        .ok()?;
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
                    line.rsplit(':').next()?.trim().parse().ok()
                };
                let (Some(warm), Some(all)) = (count(WARM), count(WARM + COUNTED)) else {
                    eprintln!("instructions: valgrind did not run (is it installed?)");
                    return ExitCode::from(2);
                };
                let per_record = all.saturating_sub(warm) as f64 / COUNTED as f64;
                eprintln!(
                    "{}/{} {}: {per_record:.0} instructions a record",
                    path.name(),
                    workload.name,
                    engine.name()
                );
                counts.push(per_record);
            }
            rows.push((format!("{} {}", workload.name, path.name()), counts));
        }
    }
    println!();
    println!(
        "| instructions a record | promo-liquid | liquid crate | minijinja | vs liquid crate | vs minijinja |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, c) in rows {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.1}x | {:.1}x |",
            c[0],
            c[1],
            c[2],
            c[1] / c[0],
            c[2] / c[0]
        );
    }
    ExitCode::SUCCESS
}

/// `run WORKLOAD PATH ENGINE N`: runs N records through one engine, quietly.
fn run(args: &[String]) {
    let [workload, path, engine, n] = args else {
        panic!("usage: instructions run WORKLOAD PATH ENGINE N");
    };
    let w = WORKLOADS
        .iter()
        .position(|x| x.name == workload)
        .expect("a workload");
    let n: usize = n.parse().expect("a count");
    if engine == "serde-json-check" {
        // The floor: serde_json checking each line is JSON, building nothing.
        let lines = workloads::lines(&WORKLOADS[w], true, RECORDS);
        for i in 0..n {
            let line = &lines[i % RECORDS];
            std::hint::black_box(serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok());
        }
        return;
    }
    let path = Path::from_name(path).expect("a path");
    let engine = Engine::from_name(engine).expect("an engine");
    let engines = Engines::new();
    let lines = workloads::lines(&WORKLOADS[w], path.mixed_names(), RECORDS);
    let mut run = engines.runner(engine, path, w, &lines);
    let mut out = Vec::new();
    for i in 0..n {
        out.clear();
        run(i % RECORDS, &mut out);
        std::hint::black_box(&out);
    }
}
