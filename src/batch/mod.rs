//! The send-time pipeline: NDJSON records in, one outcome per record out, in input
//! order, rendered on all cores.
//!
//! ```
//! use promo_liquid::batch::{Batch, BatchOptions};
//! use promo_liquid::message::Message;
//! use promo_liquid::promo::{self, Settings};
//!
//! let settings = Settings::default();
//! let message = Message::from_toml("points.toml", r#"
//!     event = "CT Points Credited"
//!     channel = "sms"
//!     [fields]
//!     body = "+{{ Event.Points }} points"
//! "#, &promo::environment(&settings)).unwrap();
//!
//! let input = concat!(
//!     r#"{"identity": "u-1", "evtName": "CT Points Credited", "evtData": {"points": 20, "#,
//!     r#""walletId": "w-1", "campaignId": "c-1", "source": "API", "transactionId": "t-1"}}"#, "\n",
//!     "\n",
//!     "not json\n",
//! );
//! let mut output = Vec::new();
//! let batch = Batch::new(&message, &settings, BatchOptions::default());
//! let summary = batch.run(input.as_bytes(), &mut output, |_| {}).unwrap();
//! assert_eq!((summary.rendered, summary.failed, summary.blank_lines), (1, 1, 1));
//! assert_eq!(String::from_utf8(output).unwrap(), concat!(
//!     r#"{"line":1,"identity":"u-1","outcome":"rendered","fields":{"body":"+20 points"},"warnings":[],"#,
//!     r#""sms":{"encoding":"GSM-7","characters":10,"units":10,"segments":1,"forced_by":[]}}"#, "\n",
//!     r#"{"line":3,"outcome":"failed","kind":"invalid_json","message":"not valid JSON: expected ident at column 2"}"#, "\n",
//! ));
//! ```
//!
//! How it runs (`run.rs` has the details): each thread of the pool reads a chunk of
//! lines (raw bytes, a thousand lines or a MiB at most, fewer when outcomes are large),
//! renders it through its own [`Worker`], which keeps its last outcome's buffers for the
//! next record, into the chunk's output buffer, and hands the chunk over to be written
//! in input order: the thread that finishes the chunk whose turn it is writes it and
//! every chunk after it that is done. There is no barrier between chunks, so a slow
//! record holds back only the output behind it, never the rendering.
//!
//! Memory is bounded by the limits, not by the input or the outcomes: at most `2 ×
//! threads + 2` chunks are read and not yet written, each of at most
//! [`BatchOptions::chunk_bytes`] of input (plus one line) and
//! [`BatchOptions::chunk_output_bytes`] of outcomes plus one outcome (a chunk whose
//! outcomes pass that waits for its turn and writes them before it goes on); one
//! outcome is bounded by the render limits (`Limits::max_output_bytes` a field). A line
//! over the size limit is skipped while it is measured, never buffered.
//!
//! Nothing is lost: every non-blank line gets exactly one outcome, `failed` for lines
//! that are not records (the kinds are [`FailureKind`](crate::message::FailureKind)'s),
//! and a read error ends the run only after the outcomes of every line before it are
//! written. A run can be stopped ([`Batch::run_until`]): the lines being rendered finish
//! and the output ends in whole lines, the outcomes of every line up to
//! [`Summary::last_line`]. The output's `write` calls are counted, so that after a write
//! error [`BatchError::Write`] names the last line whose outcome the output took whole.

use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::message::{Message, Outcome};
use crate::promo::Settings;
use crate::promo::record::RecordOptions;

mod chunk;
mod line;
mod run;

use chunk::{Chunk, Limits, LineReader};
use line::Input;
pub use line::LineOutcome;

/// How a batch reads its input and how much it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    /// Lines longer than this many bytes (newline excluded) fail with `line_too_long`;
    /// they are skipped, not buffered. Default 1 MiB.
    pub max_line_bytes: usize,
    /// A chunk holds at most this many lines. Default 1024.
    pub chunk_lines: usize,
    /// A chunk ends once its lines add up to this many bytes. Default 1 MiB.
    pub chunk_bytes: usize,
    /// The outcome bytes a chunk holds before they must be written: chunks are sized
    /// from the outcomes of the lines before them to stay under it, and a chunk that
    /// passes it anyway waits for its turn and writes what it has. Default 1 MiB.
    pub chunk_output_bytes: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            max_line_bytes: 1 << 20,
            chunk_lines: 1024,
            chunk_bytes: 1 << 20,
            chunk_output_bytes: 1 << 20,
        }
    }
}

/// What a batch did: outcomes written, by kind, and the input read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records rendered.
    pub rendered: u64,
    /// Records whose message aborted.
    pub aborted: u64,
    /// Lines that failed: not records, or records that could not be rendered.
    pub failed: u64,
    /// Blank lines skipped (no outcome), up to `last_line`.
    pub blank_lines: u64,
    /// Input bytes read, newlines included.
    pub input_bytes: u64,
    /// The last input line done with: every line up to it has its outcome written, or
    /// was blank. The input's last line when the run went to the end, else the line
    /// of the last outcome written (0 when there was none): where to resume.
    pub last_line: u64,
    /// The run was stopped (see [`Batch::run_until`]) before the end of its input.
    pub stopped: bool,
}

impl Summary {
    /// Outcomes written: one per non-blank line.
    pub fn records(&self) -> u64 {
        self.rendered + self.aborted + self.failed
    }

    fn count(&mut self, tally: Tally) {
        match tally {
            Tally::Rendered => self.rendered += 1,
            Tally::Aborted => self.aborted += 1,
            Tally::Failed => self.failed += 1,
        }
    }
}

/// Why a batch stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The input could not be read. The outcomes of the lines before `line` were
    /// written.
    #[error("cannot read the input at line {line}")]
    Read {
        /// The line being read.
        line: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// The outcomes could not be written. The output took the outcomes of the lines up
    /// to `last_line` whole (as far as its `write` calls tell: a buffered writer takes
    /// more than it writes) and at most a part of the next one.
    #[error("cannot write the outcome after line {last_line}")]
    Write {
        /// The line of the last outcome written whole; 0 when there was none.
        last_line: u64,
        /// The I/O error.
        source: io::Error,
    },
}

impl BatchError {
    /// Whether the output was a pipe whose reader has gone (`| head`): not a failure
    /// of the batch, only the end of the interest in it.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, BatchError::Write { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A compiled message ready to render records in bulk.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'m> {
    message: &'m Message,
    records: RecordOptions,
    options: BatchOptions,
}

impl<'m> Batch<'m> {
    /// A batch rendering `message`, compiled with `settings`' environment, for records
    /// read under `settings`.
    pub fn new(message: &'m Message, settings: &Settings, options: BatchOptions) -> Self {
        Batch {
            message,
            records: settings.record_options(),
            options,
        }
    }

    /// Renders every line of `input` and writes one outcome line (JSON) per non-blank
    /// line to `output`, in input order, on every thread of the current rayon thread
    /// pool (run it inside `ThreadPool::install` to choose the threads). `progress` is
    /// called as outcomes are written, from the thread writing them. The output is
    /// flushed at the end, and before a read error is returned, once the outcomes of
    /// every line before it are written.
    pub fn run<R, W>(
        &self,
        input: R,
        output: W,
        progress: impl FnMut(&Summary) + Send,
    ) -> Result<Summary, BatchError>
    where
        R: BufRead + Send,
        W: Write + Send,
    {
        self.run_until(input, output, &AtomicBool::new(false), progress)
    }

    /// [`Batch::run`] that stops early once `stop` is set (by a signal handler, say):
    /// no line is read or started after that, the lines being rendered finish, and
    /// the output ends with whole outcome lines, those of every line up to
    /// [`Summary::last_line`]; the summary says [`Summary::stopped`] unless every line
    /// was done by then.
    pub fn run_until<R, W>(
        &self,
        input: R,
        output: W,
        stop: &AtomicBool,
        progress: impl FnMut(&Summary) + Send,
    ) -> Result<Summary, BatchError>
    where
        R: BufRead + Send,
        W: Write + Send,
    {
        self.run_pipeline(input, output, stop, progress)
    }

    /// The outcomes of every non-blank line of `input`, in input order, rendered in
    /// parallel on the current rayon thread pool a chunk at a time (a chunk's outcomes
    /// held at most [`BatchOptions::chunk_output_bytes`], plus one outcome a thread). A
    /// read error is the last item, after the outcomes of the lines before it.
    pub fn outcomes<R: BufRead>(&self, input: R) -> Outcomes<'_, 'm, R> {
        Outcomes {
            batch: self,
            reader: LineReader::new(input, self.limits()),
            chunk: Chunk::default(),
            slots: Vec::new(),
            next: 0,
            error: None,
            ended: false,
        }
    }

    /// The outcome of one input line (without its newline), numbered `number`.
    pub fn outcome<'a>(&self, number: u64, line: &'a [u8]) -> LineOutcome<'a> {
        self.line_outcome(number, Input::Bytes(line), None)
    }

    /// A renderer of lines one after another on this thread, each outcome's buffers
    /// kept for the next: what each thread of [`Batch::run`] uses.
    pub fn worker(&self) -> Worker<'_, 'm> {
        Worker {
            batch: self,
            spare: None,
        }
    }

    fn line_outcome<'a>(
        &self,
        number: u64,
        input: Input<'a>,
        spare: Option<Outcome>,
    ) -> LineOutcome<'a> {
        line::outcome(
            self.message,
            &self.records,
            self.options.max_line_bytes,
            number,
            input,
            spare,
        )
    }

    fn chunk_input<'a>(chunk: &'a Chunk, line: &chunk::Line) -> Input<'a> {
        match line.too_long {
            Some(length) => Input::TooLong(length),
            None => Input::Bytes(chunk.bytes(line)),
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_line_bytes: self.options.max_line_bytes,
            lines: self.options.chunk_lines,
            bytes: self.options.chunk_bytes,
        }
    }
}

/// Renders lines one after another on one thread, keeping the buffers of each outcome
/// (its field texts) for the next: see [`Batch::worker`].
#[derive(Debug)]
pub struct Worker<'b, 'm> {
    batch: &'b Batch<'m>,
    spare: Option<Outcome>,
}

impl Worker<'_, '_> {
    /// Renders one input line (without its newline) and appends its outcome line, JSON
    /// and a newline, to `out`: the whole per-record path of [`Batch::run`].
    pub fn render_line(&mut self, number: u64, line: &[u8], out: &mut Vec<u8>) {
        self.render(number, Input::Bytes(line), out);
    }

    /// Renders one record that came as a stream entry rather than a line, and appends
    /// its outcome line to `out` with `"id": id` where a line's outcome has `"line"`
    /// (see [`LineOutcome::write_json_with_id`]): the same per-record path, so the same
    /// bytes otherwise. What the stream worker runs.
    pub fn render_entry(&mut self, id: &str, record: &[u8], out: &mut Vec<u8>) -> Tally {
        self.render_keyed(Some(id), 0, Input::Bytes(record), out)
    }

    fn render(&mut self, number: u64, input: Input<'_>, out: &mut Vec<u8>) -> Tally {
        self.render_keyed(None, number, input, out)
    }

    fn render_keyed(
        &mut self,
        id: Option<&str>,
        number: u64,
        input: Input<'_>,
        out: &mut Vec<u8>,
    ) -> Tally {
        let outcome = self.batch.line_outcome(number, input, self.spare.take());
        let tally = Tally::of(&outcome.outcome);
        match id {
            Some(id) => outcome.write_json_with_id(id, out),
            None => outcome.write_json(out),
        }
        if let Outcome::Rendered { .. } = outcome.outcome {
            self.spare = Some(outcome.outcome);
        }
        tally
    }
}

/// The outcomes of a batch as an iterator: see [`Batch::outcomes`].
#[derive(Debug)]
pub struct Outcomes<'b, 'm, R> {
    batch: &'b Batch<'m>,
    reader: LineReader<R>,
    chunk: Chunk,
    /// The outcome of each line of the chunk from `next` on, once rendered.
    slots: Vec<Option<LineOutcome<'static>>>,
    /// The line of the chunk whose outcome comes next.
    next: usize,
    error: Option<BatchError>,
    ended: bool,
}

impl<R: BufRead> Iterator for Outcomes<'_, '_, R> {
    type Item = Result<LineOutcome<'static>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.next < self.slots.len() {
                if self.slots[self.next].is_none() {
                    self.render_slots();
                }
                let outcome = self.slots[self.next].take();
                self.next += 1;
                return outcome.map(Ok);
            }
            if let Some(error) = self.error.take() {
                return Some(Err(error));
            }
            if self.ended {
                return None;
            }
            // After a read error the chunk still holds the lines read before it.
            match self.reader.fill(&mut self.chunk) {
                Err(source) => {
                    self.error = Some(read_error(&self.reader, source));
                    self.ended = true;
                }
                Ok(()) => self.ended = self.chunk.is_empty(),
            }
            self.slots.clear();
            self.slots.resize_with(self.chunk.lines().len(), || None);
            self.next = 0;
        }
    }
}

impl<R> Outcomes<'_, '_, R> {
    /// Renders, in parallel, the lines from `next` on that have no outcome yet, until
    /// the outcomes held pass the budget; the line at `next` always.
    fn render_slots(&mut self) {
        let (batch, chunk, first) = (self.batch, &self.chunk, self.next);
        let held: usize = self.slots[first..]
            .iter()
            .flatten()
            .map(|o| outcome_bytes(&o.outcome))
            .sum();
        let held = AtomicUsize::new(held);
        let budget = batch.options.chunk_output_bytes;
        self.slots[first..]
            .par_iter_mut()
            .zip(chunk.lines()[first..].par_iter())
            .enumerate()
            .for_each(|(i, (slot, line))| {
                if slot.is_some() || (i > 0 && held.load(Ordering::Relaxed) >= budget) {
                    return;
                }
                let input = Batch::chunk_input(chunk, line);
                let outcome = batch.line_outcome(line.number, input, None).into_owned();
                held.fetch_add(outcome_bytes(&outcome.outcome), Ordering::Relaxed);
                *slot = Some(outcome);
            });
    }
}

/// About how many bytes an outcome holds.
fn outcome_bytes(outcome: &Outcome) -> usize {
    let text = match outcome {
        Outcome::Rendered {
            fields, warnings, ..
        } => {
            fields.values().map(String::len).sum::<usize>()
                + warnings.len() * std::mem::size_of::<crate::message::Warning>()
        }
        Outcome::Aborted { reason, .. } => reason.as_ref().map_or(0, String::len),
        Outcome::Failed(failure) => failure.message.len(),
    };
    std::mem::size_of::<LineOutcome<'static>>() + text
}

fn read_error<R>(reader: &LineReader<R>, source: io::Error) -> BatchError {
    BatchError::Read {
        line: reader.line_number() + 1,
        source,
    }
}

/// What an outcome counts as in a summary: which of the three outcomes it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tally {
    /// Rendered.
    #[default]
    Rendered,
    /// Aborted by the template.
    Aborted,
    /// Failed.
    Failed,
}

impl Tally {
    /// Which of the three `outcome` is.
    pub fn of(outcome: &Outcome) -> Tally {
        match outcome {
            Outcome::Rendered { .. } => Tally::Rendered,
            Outcome::Aborted { .. } => Tally::Aborted,
            Outcome::Failed { .. } => Tally::Failed,
        }
    }
}
