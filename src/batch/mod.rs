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
//! How it runs: lines are read as raw bytes into a chunk (a few thousand lines, a few
//! MiB), the chunk's records are rendered in parallel with rayon, each thread through a
//! [`Worker`] that keeps its last outcome's field buffers for the next record, and each
//! record's outcome line goes into its own output buffer; the buffers are written in
//! order. While one chunk renders, the
//! previous one is written and the next one read into its buffers, so reading and
//! writing overlap with rendering, and memory holds two chunks whatever the input size.
//! Every buffer is kept from chunk to chunk. A line over the size limit is skipped while
//! it is measured, never buffered.
//!
//! Nothing is lost: every non-blank line gets exactly one outcome, `failed` for lines that
//! are not records (the kinds are [`FailureKind`](crate::message::FailureKind)'s), and a read error ends the run only after
//! the outcomes of every line before it are written.

use std::io::{self, BufRead, Write};

use rayon::prelude::*;

use crate::message::{Message, Outcome};
use crate::promo::Settings;
use crate::promo::record::RecordOptions;

mod chunk;
mod line;

use chunk::{Chunk, Limits, LineReader};
use line::Input;
pub use line::LineOutcome;

/// How a batch reads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    /// Lines longer than this many bytes (newline excluded) fail with `line_too_long`;
    /// they are skipped, not buffered. Default 1 MiB.
    pub max_line_bytes: usize,
    /// A chunk holds at most this many lines. Default 4096.
    pub chunk_lines: usize,
    /// A chunk ends once its lines add up to this many bytes. Default 4 MiB.
    pub chunk_bytes: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            max_line_bytes: 1 << 20,
            chunk_lines: 4096,
            chunk_bytes: 4 << 20,
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
    /// Blank lines skipped (no outcome).
    pub blank_lines: u64,
    /// Input bytes read, newlines included.
    pub input_bytes: u64,
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
    /// The outcomes could not be written.
    #[error("cannot write the outcomes")]
    Write(#[source] io::Error),
}

impl BatchError {
    /// Whether the output was a pipe whose reader has gone (`| head`): not a failure
    /// of the batch, only the end of the interest in it.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, BatchError::Write(e) if e.kind() == io::ErrorKind::BrokenPipe)
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
    /// line to `output`, in input order, on the current rayon thread pool (run it inside
    /// `ThreadPool::install` to choose the threads). `progress` is called after each
    /// chunk. The output is flushed at the end, and before a read error is returned,
    /// once the outcomes of every line before it are written.
    pub fn run<R, W>(
        &self,
        input: R,
        mut output: W,
        mut progress: impl FnMut(&Summary),
    ) -> Result<Summary, BatchError>
    where
        R: BufRead + Send,
        W: Write + Send,
    {
        let mut reader = LineReader::new(input, self.limits());
        let mut summary = Summary::default();
        // `next` is read and waits to be rendered; `done` is rendered and waits to be
        // written, after which the chunk after `next` is read into its buffers.
        let mut next = Stage::default();
        let mut done = Stage::default();
        let mut read = reader.fill(&mut next.chunk);
        while read.is_ok() && !next.chunk.is_empty() {
            let ((), (written, filled)) = rayon::join(
                || self.render_stage(&mut next),
                || {
                    let written = done.write(&mut output, &mut summary);
                    let filled = match written {
                        Ok(()) => reader.fill(&mut done.chunk),
                        Err(_) => Ok(()),
                    };
                    (written, filled)
                },
            );
            written?;
            read = filled;
            std::mem::swap(&mut next, &mut done);
            summary.blank_lines = reader.blank_lines();
            summary.input_bytes = reader.bytes_read();
            progress(&summary);
        }
        // The end of the input, or a read error: `next` holds the lines read before it.
        self.render_stage(&mut next);
        done.write(&mut output, &mut summary)?;
        next.write(&mut output, &mut summary)?;
        output.flush().map_err(BatchError::Write)?;
        summary.blank_lines = reader.blank_lines();
        summary.input_bytes = reader.bytes_read();
        progress(&summary);
        match read {
            Ok(()) => Ok(summary),
            Err(source) => Err(read_error(&reader, source)),
        }
    }

    /// The outcomes of every non-blank line of `input`, in input order, each chunk
    /// rendered in parallel on the current rayon thread pool. A read error is the last
    /// item, after the outcomes of the lines before it.
    pub fn outcomes<R: BufRead>(&self, input: R) -> Outcomes<'_, 'm, R> {
        Outcomes {
            batch: self,
            reader: LineReader::new(input, self.limits()),
            chunk: Chunk::default(),
            ready: Vec::new().into_iter(),
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

    /// Renders a chunk's lines in parallel, each into its own reused buffer, each
    /// thread with a [`Worker`].
    fn render_stage(&self, stage: &mut Stage) {
        let Stage { chunk, outputs } = stage;
        let lines = chunk.lines();
        if outputs.len() < lines.len() {
            outputs.resize_with(lines.len(), Output::default);
        }
        outputs[..lines.len()]
            .par_iter_mut()
            .zip(lines.par_iter())
            .for_each_init(
                || self.worker(),
                |worker, (output, line)| {
                    output.json.clear();
                    let input = Batch::chunk_input(chunk, line);
                    output.tally = worker.render(line.number, input, &mut output.json);
                },
            );
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
    ready: std::vec::IntoIter<LineOutcome<'static>>,
    error: Option<BatchError>,
    ended: bool,
}

impl<R: BufRead> Iterator for Outcomes<'_, '_, R> {
    type Item = Result<LineOutcome<'static>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(outcome) = self.ready.next() {
                return Some(Ok(outcome));
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
            let (batch, chunk) = (self.batch, &self.chunk);
            let outcomes: Vec<_> = chunk
                .lines()
                .par_iter()
                .map(|line| {
                    let input = Batch::chunk_input(chunk, line);
                    batch.line_outcome(line.number, input, None).into_owned()
                })
                .collect();
            self.ready = outcomes.into_iter();
        }
    }
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

/// One record's outcome line, in a buffer kept from chunk to chunk.
#[derive(Debug, Default)]
struct Output {
    json: Vec<u8>,
    tally: Tally,
}

/// A buffer that grew past this for one unusually large outcome is given back after
/// it is written, so that a few huge records do not pin memory for the whole run.
const KEEP_OUTPUT_BYTES: usize = 64 << 10;

/// A chunk and its outcome buffers.
#[derive(Debug, Default)]
struct Stage {
    chunk: Chunk,
    outputs: Vec<Output>,
}

impl Stage {
    /// Writes the chunk's outcome lines in order and counts them.
    fn write(&mut self, out: &mut impl Write, summary: &mut Summary) -> Result<(), BatchError> {
        let count = self.chunk.lines().len();
        for output in &mut self.outputs[..count] {
            out.write_all(&output.json).map_err(BatchError::Write)?;
            summary.count(output.tally);
            if output.json.capacity() > KEEP_OUTPUT_BYTES {
                output.json = Vec::new();
            }
        }
        Ok(())
    }
}
