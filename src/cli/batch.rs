//! `promo-liquid batch`: one message, a stream of NDJSON records, one JSON outcome line
//! per record, in input order, rendered on all cores.
//!
//! Exit codes: 0 when every record rendered or aborted, 1 when any failed, 2 for a usage
//! or I/O problem or a message that does not load (then no record was rendered), 130
//! and 143 when SIGINT or SIGTERM stopped the run (128 + the signal's number, as a
//! shell reports a process the signal ended). A closed standard output (`batch ... |
//! head`) ends the run quietly with 0, as ripgrep does: whoever stopped reading has
//! what they wanted.
//!
//! Signals: the first SIGINT or SIGTERM stops the run (no more lines are read, those
//! being rendered finish and their outcomes are written, the summary names the last
//! input line done with); a second one ends the process at once, with the same code. A
//! signal that comes once every line is done changes nothing: the run ends as it would
//! have, its output renamed into place.
//! SIGXFSZ (a file-size limit, `ulimit -f`) is caught, so that a write past the limit
//! fails with an error naming the last whole outcome written rather than killing the
//! process. Where the outcomes go, and what an interrupted run leaves there, is in
//! `batch/output.rs`; `--jobs` is capped at [`JOBS_PER_CORE`] threads a core.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Exit, SendArgs, read_input};
use promo_liquid::batch::{Batch, BatchError, Summary};
use promo_liquid::liquid::DirectoryLoader;
use promo_liquid::message::Message;
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
    /// How many threads render; all cores by default, at most 4 a core.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    #[command(flatten)]
    send: SendArgs,
    /// The directory `include` and `render` read partials from, as in `render`
    /// (instead of a snippet library).
    #[arg(long, value_name = "DIR", conflicts_with = "snippets")]
    partials: Option<PathBuf>,
}

mod input;
mod output;

use output::Output;

/// The most threads `--jobs` starts for each core: rendering is CPU work, and more
/// threads than cores only share them (and hold more chunks in memory).
pub const JOBS_PER_CORE: usize = 4;

/// Runs `batch`.
pub fn run(args: BatchArgs) -> Result<Exit> {
    let settings = args.send.settings();
    output::refuse_same_file(args.input.as_deref(), args.output.as_deref(), &args.message)?;
    let mut message = load_message(&args, &settings)?;
    message.rules.max_sms_segments = usize::from(args.send.max_segments);
    let signals = Signals::install()?;
    let (input, input_len) = input::open(args.input.as_deref(), &signals.stop)?;
    let output = Output::open(args.output.as_deref())?;
    let batch = Batch::new(&message, &settings, args.send.batch_options());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(args.jobs))
        .build()
        .context("cannot start the rendering threads")?;

    // Outcomes printed to the terminal would scroll through the bar.
    let outcomes_to_terminal = !output.is_replaced() && io::stdout().is_terminal();
    let bar = if outcomes_to_terminal {
        ProgressBar::hidden()
    } else {
        progress_bar(input_len)
    };
    let started = Instant::now();
    let result = pool.install(|| {
        batch.run_until(input, output.file(), &signals.stop, |summary| {
            bar.set_position(summary.input_bytes);
            bar.set_message(format!("{} records", summary.records()));
        })
    });
    bar.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(e) if e.is_broken_pipe() => return Ok(Exit::Ok),
        Err(e) => return Err(failure(e, output)),
    };
    eprintln!("{}", summary_line(&summary, started.elapsed()));
    if summary.stopped {
        let signal = signals.received();
        let left = match output.discard() {
            Some(left) => format!("{left} (run it again to write it)"),
            None => "every line up to it has its outcome written".to_owned(),
        };
        eprintln!(
            "interrupted by {}: stopped after input line {}; {left}",
            signal.name(),
            summary.last_line
        );
        return Ok(Exit::Signal(signal.code()));
    }
    output.commit()?;
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
    if let Some(now) = args.send.now {
        env.set_now(now);
    }
    if let Some(dir) = &args.partials {
        env.set_loader(DirectoryLoader::new(dir));
    }
    // `--partials` names the loader itself: no library is looked for beside the message.
    let snippets = match &args.partials {
        Some(_) => None,
        None => super::snippets_for(args.send.snippets.as_deref(), &args.message, &env)?,
    };
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

/// The error of a run that could not go on, with what became of the output.
fn failure(e: BatchError, output: Output) -> anyhow::Error {
    let name = output.name().to_owned();
    let left = output.discard();
    let (what, last_line) = match &e {
        BatchError::Write { last_line, source } => (
            format!("cannot write the outcomes to {name}: {source}"),
            *last_line,
        ),
        other => (format!("{other}: {}", error_source(other)), 0),
    };
    let mut text = what;
    if let BatchError::Write { .. } = e {
        match last_line {
            0 => text.push_str("; no outcome was written whole"),
            n => text.push_str(&format!("; the last outcome written whole is line {n}'s")),
        }
    }
    if let Some(left) = left {
        text.push_str(&format!("; {left}"));
    }
    anyhow::anyhow!(text)
}

fn error_source(e: &BatchError) -> String {
    std::error::Error::source(e).map_or_else(String::new, |s| s.to_string())
}

/// The threads for `--jobs`: all cores by default, and never more than
/// [`JOBS_PER_CORE`] a core (with a note).
fn threads(jobs: Option<u16>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let cap = cores * JOBS_PER_CORE;
    match jobs.map(usize::from) {
        None => cores,
        Some(jobs) if jobs > cap => {
            eprintln!(
                "note: --jobs {jobs} is more than {JOBS_PER_CORE} threads for each of the \
                 {cores} cores: using {cap}"
            );
            cap
        }
        Some(jobs) => jobs,
    }
}

/// The signals a run answers to.
struct Signals {
    /// Set by SIGINT and SIGTERM: the run stops.
    stop: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

/// The signal that stopped a run.
#[derive(Clone, Copy, Debug)]
enum Signal {
    Int,
    Term,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }

    /// The exit code: 128 + the signal's number.
    fn code(self) -> u8 {
        match self {
            Signal::Int => 130,
            Signal::Term => 143,
        }
    }
}

impl Signals {
    fn install() -> Result<Signals> {
        use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};
        use signal_hook::flag;
        let stop = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        let context = "cannot handle signals";
        for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
            // A second signal, once the first has set `stop`, ends the process at once.
            flag::register_conditional_shutdown(signal, code, Arc::clone(&stop))
                .context(context)?;
            flag::register(signal, Arc::clone(&stop)).context(context)?;
        }
        flag::register(SIGTERM, Arc::clone(&term)).context(context)?;
        // Caught rather than fatal: a write past the file-size limit fails (EFBIG).
        flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false))).context(context)?;
        Ok(Signals { stop, term })
    }

    /// The signal that set `stop`: SIGTERM if it came, else SIGINT.
    fn received(&self) -> Signal {
        if self.term.load(Ordering::Relaxed) {
            Signal::Term
        } else {
            Signal::Int
        }
    }
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
