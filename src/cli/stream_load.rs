//! `promo-liquid stream-load`: pushes the records of an NDJSON file into a Redis
//! stream, one entry per non-blank line with the line in its `record` field, the way
//! a producer feeds `promo-liquid worker`. Commands go in pipelines of a thousand, so
//! loading costs about one round trip per thousand records.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use super::Exit;

/// The arguments of `stream-load`.
#[derive(Args, Debug)]
pub struct StreamLoadArgs {
    /// The Redis server: redis://[user:password@]host[:port][/db].
    #[arg(long, value_name = "URL", default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// The stream to add the entries to (created when missing).
    #[arg(long, value_name = "IN")]
    stream: String,
    /// The records, one JSON object a line; standard input by default.
    #[arg(long, short, value_name = "FILE")]
    input: Option<PathBuf>,
}

/// Entries added per pipeline.
const PIPELINE: usize = 1000;

/// Runs `stream-load`.
pub fn run(args: StreamLoadArgs) -> Result<Exit> {
    let client = redis::Client::open(args.redis.as_str())
        .with_context(|| format!("{:?} is not a Redis URL", args.redis))?;
    let mut connection = client
        .get_connection()
        .with_context(|| format!("cannot connect to {}", client.get_connection_info().addr()))?;
    let input: Box<dyn BufRead> = match &args.input {
        None => Box::new(BufReader::with_capacity(256 << 10, std::io::stdin())),
        Some(path) if path.as_os_str() == "-" => {
            Box::new(BufReader::with_capacity(256 << 10, std::io::stdin()))
        }
        Some(path) => Box::new(BufReader::with_capacity(
            256 << 10,
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
        )),
    };
    let started = Instant::now();
    let mut pipe = redis::pipe();
    let mut queued = 0;
    let mut loaded = 0u64;
    let mut flush = |pipe: &mut redis::Pipeline, queued: &mut usize| -> Result<()> {
        if *queued > 0 {
            pipe.exec(&mut connection)
                .with_context(|| format!("cannot add entries to {}", args.stream))?;
            pipe.clear();
            *queued = 0;
        }
        Ok(())
    };
    for line in input.split(b'\n') {
        let mut line = line.context("cannot read the records")?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.iter().all(|b| matches!(b, b' ' | b'\t')) {
            continue;
        }
        pipe.cmd("XADD")
            .arg(&args.stream)
            .arg("*")
            .arg("record")
            .arg(line)
            .ignore();
        queued += 1;
        loaded += 1;
        if queued == PIPELINE {
            flush(&mut pipe, &mut queued)?;
        }
    }
    flush(&mut pipe, &mut queued)?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "stream-load: {loaded} entries added to {} in {secs:.2} s ({:.0} entries/s)",
        args.stream,
        loaded as f64 / secs.max(1e-9)
    );
    Ok(Exit::Ok)
}
