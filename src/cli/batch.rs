//! `promo-liquid batch`: one message, a stream of NDJSON records, one JSON outcome line
//! per record, in input order, rendered on all cores.
//!
//! Exit codes: 0 when every record rendered or aborted, 1 when any failed, 2 for a usage
//! or I/O problem or a message that does not load (then no record was rendered). A
//! closed standard output (`batch ... | head`) ends the run quietly with 0, as ripgrep
//! does: whoever stopped reading has what they wanted.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Exit, read_input};
use promo_liquid::batch::{Batch, BatchOptions, Summary};
use promo_liquid::message::Message;
use promo_liquid::message::channel::DEFAULT_MAX_SMS_SEGMENTS;
use promo_liquid::promo::{self, Settings};

/// The arguments of `batch`.
#[derive(Args, Debug)]
pub struct BatchArgs {
    /// The message (.toml) to render for every record; anything else is a bare Liquid
    /// template, rendered as one field for any event.
    message: PathBuf,
    /// The records, one JSON object a line (NDJSON); standard input by default.
    #[arg(long, short, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Where the outcomes go, one JSON object a line; standard output by default.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How many threads render; all cores by default.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Fail a record when it outputs an undefined value without a `default`.
    #[arg(long)]
    strict: bool,
    /// The account's time zone (IANA name); wall-clock dates are read in it.
    #[arg(long, default_value = "UTC", value_name = "ZONE", value_parser = super::parse_zone)]
    tz: Tz,
    /// Lines longer than this (newline excluded) fail with `line_too_long` and are
    /// skipped without being read into memory.
    #[arg(long, value_name = "BYTES", default_value_t = BatchOptions::default().max_line_bytes)]
    max_line_bytes: usize,
    /// Render as if it were this moment (RFC 3339): what `now`, `date` and
    /// `days_until` see.
    #[arg(long, value_name = "TIME", value_parser = super::parse_now)]
    now: Option<DateTime<FixedOffset>>,
    /// The wall-clock time one record's render may take, in milliseconds (0 for none);
    /// a record past it fails with `limit_exceeded`.
    #[arg(long, value_name = "MS", default_value = "250", value_parser = super::parse_deadline)]
    deadline: super::Deadline,
    /// The most segments an SMS may take; a longer one fails with `too_many_segments`.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SMS_SEGMENTS as u16, value_parser = clap::value_parser!(u16).range(1..))]
    max_segments: u16,
    /// Accept records that lack properties their event requires (a partial feed).
    #[arg(long)]
    allow_missing: bool,
    /// The snippet library: a directory of NAME.liquid snippets (and NAME.toml
    /// sidecars) that `render` and `snippet` tags name. Default: the `snippets/`
    /// directory beside the message, when there is one.
    #[arg(long, value_name = "DIR")]
    snippets: Option<PathBuf>,
}

/// Large buffers, so that reading and writing cost few system calls.
const IO_BUFFER: usize = 256 << 10;

/// Runs `batch`.
pub fn run(args: BatchArgs) -> Result<Exit> {
    let settings = Settings {
        time_zone: args.tz,
        strict: args.strict,
        deadline: args.deadline.0,
        allow_missing: args.allow_missing,
    };
    let mut message = load_message(&args, &settings)?;
    message.rules.max_sms_segments = usize::from(args.max_segments);
    let (input, input_len) = open_input(args.input.as_deref())?;
    let output = open_output(args.output.as_deref())?;
    let options = BatchOptions {
        max_line_bytes: args.max_line_bytes,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .context("cannot start the rendering threads")?;

    // Outcomes printed to the terminal would scroll through the bar.
    let to_stdout = args.output.as_deref().is_none_or(|p| p == Path::new("-"));
    let outcomes_to_terminal = to_stdout && io::stdout().is_terminal();
    let bar = if outcomes_to_terminal {
        ProgressBar::hidden()
    } else {
        progress_bar(input_len)
    };
    let started = Instant::now();
    let result = pool.install(|| {
        batch.run(input, output, |summary| {
            bar.set_position(summary.input_bytes);
            bar.set_message(format!("{} records", summary.records()));
        })
    });
    bar.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(e) if e.is_broken_pipe() => return Ok(Exit::Ok),
        Err(e) => return Err(e.into()),
    };
    eprintln!("{}", summary_line(&summary, started.elapsed()));
    Ok(if summary.failed > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

fn load_message(args: &BatchArgs, settings: &Settings) -> Result<Message> {
    if args.message == Path::new("-") && args.input.is_none() {
        bail!("the message and the records cannot both come from standard input");
    }
    let mut env = promo::environment(settings);
    if let Some(now) = args.now {
        env.set_now(now);
    }
    let snippets = super::snippets_for(args.snippets.as_deref(), &args.message, &env)?;
    let source = read_input(&args.message)?;
    let name = args.message.display().to_string();
    // Every problem of the message, placed in its file, as rustc prints its errors.
    let message = Message::load_with(&name, &source, &env, snippets.as_ref())
        .map_err(|e| super::Reported(e.report()))?;
    if let Some(note) = super::pin_note(&message) {
        eprintln!("{note}");
    }
    Ok(message)
}

type Input = Box<dyn BufRead + Send>;

/// The input and, for a file, its length (for the progress bar).
fn open_input(path: Option<&Path>) -> Result<(Input, Option<u64>)> {
    match path {
        None => Ok((Box::new(stdin()), None)),
        Some(path) if path == Path::new("-") => Ok((Box::new(stdin()), None)),
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
            let len = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            Ok((Box::new(BufReader::with_capacity(IO_BUFFER, file)), len))
        }
    }
}

fn stdin() -> BufReader<io::Stdin> {
    BufReader::with_capacity(IO_BUFFER, io::stdin())
}

fn open_output(path: Option<&Path>) -> Result<BufWriter<Box<dyn Write + Send>>> {
    let sink: Box<dyn Write + Send> = match path {
        None => Box::new(io::stdout()),
        Some(path) if path == Path::new("-") => Box::new(io::stdout()),
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
    };
    Ok(BufWriter::with_capacity(IO_BUFFER, sink))
}

/// A bar over the input's bytes when its length is known, a spinner otherwise; hidden
/// unless standard error is a terminal.
fn progress_bar(input_len: Option<u64>) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match input_len {
        Some(len) => ProgressBar::new(len).with_style(
            ProgressStyle::with_template("{bar:40} {percent:>3}% {msg} ({elapsed}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `10000 records in 0.05 s (200000 records/s): 9000 rendered, 500 aborted, 500 failed`.
fn summary_line(summary: &Summary, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.records() as f64 / secs
    } else {
        0.0
    };
    let mut line = format!(
        "{} records in {secs:.2} s ({rate:.0} records/s): {} rendered, {} aborted, {} failed",
        summary.records(),
        summary.rendered,
        summary.aborted,
        summary.failed
    );
    match summary.blank_lines {
        0 => {}
        1 => line.push_str("; 1 blank line skipped"),
        n => line.push_str(&format!("; {n} blank lines skipped")),
    }
    line
}
