//! The pipeline behind [`Batch::run`]: every thread of the pool reads a chunk, renders
//! it and hands it over to be written in input order, with bounded memory whatever the
//! input and the outcomes.
//!
//! - **Reading.** A thread takes the input (a lock), reads the next chunk into its own
//!   buffers and gives the chunk its number in the run. Chunks are bounded by lines and
//!   input bytes, and sized so that their outcomes should stay under
//!   [`BatchOptions::chunk_output_bytes`]: from the outcome bytes a line of the chunk
//!   before took, so that large outcomes come one chunk of a few lines at a time.
//! - **Rendering.** The thread renders the chunk's lines one after another into the
//!   chunk's output buffer. When that buffer passes the output budget anyway (a record
//!   that renders far more than the ones before it), the thread waits for the chunk's
//!   turn, writes what it has and goes on; so no chunk ever holds more than the budget
//!   and one outcome.
//! - **Writing.** A chunk that is done goes into the queue of chunks waiting for their
//!   turn; the thread that finishes the chunk whose turn it is writes it, and every
//!   chunk after it that is done, in order (the other threads go on rendering).
//! - **Bounds.** At most `2 × threads + 2` chunks are read and not yet written (checked
//!   under the input's lock): a thread waits before reading another until the writing
//!   catches up. A slow record (at most the render deadline) holds back the output of
//!   the chunks behind it, and they wait in memory, at most that many.
//! - **Stopping.** The `stop` flag is read before every line: once it is set no more
//!   lines are read or started; the lines being rendered finish, and the output ends
//!   with the last line before the first one that was not rendered, so it is always a
//!   prefix of the full output, in whole lines. The same happens after a write error.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::chunk::{Chunk, LineReader};
use super::{Batch, BatchError, Summary, Tally, Worker};

/// The lines of the first chunk of a run, before any outcome size is known.
const FIRST_CHUNK_LINES: usize = 64;

/// A written chunk's output buffer that grew past this many times the budget (for one
/// very large outcome) is given back rather than kept for the next chunk.
const KEEP_OUTPUT_BUDGETS: usize = 2;

/// Where one line's outcome ends in its chunk's output, and what it counts as.
#[derive(Clone, Copy, Debug)]
struct Mark {
    line: u64,
    end: usize,
    tally: Tally,
}

/// A chunk of input lines with the outcomes rendered for it but not yet written.
#[derive(Debug, Default)]
struct Unit {
    /// The chunk's number in the run, from 0, in input order.
    seq: u64,
    chunk: Chunk,
    /// Outcome lines not yet written.
    out: Vec<u8>,
    /// One for each outcome in `out`.
    marks: Vec<Mark>,
    /// Every line of the chunk was rendered (false: the run stopped inside it).
    complete: bool,
    /// The input bytes read when this chunk had been read (for progress).
    input_bytes: u64,
}

/// What a thread got when it went to read.
enum Read {
    /// A chunk of lines.
    Chunk,
    /// No room: the window's chunks are all read and not yet written.
    Full,
    /// The input has no more lines, or the run stops.
    Ended,
}

/// The input side: the reader and the number of the next chunk.
struct Input<R> {
    reader: LineReader<R>,
    next_seq: u64,
    ended: bool,
    /// A read failed once `stop` was set: the run stopped, it did not fail.
    interrupted: bool,
    error: Option<BatchError>,
}

/// The order in which chunks are written.
#[derive(Default)]
struct Order {
    /// The number of the chunk whose turn it is.
    head: u64,
    /// Chunks done and waiting for their turn, by number.
    done: BTreeMap<u64, Unit>,
    /// A thread is writing: it alone touches the output until it clears this.
    writing: bool,
    /// Nothing more is written: a chunk was cut short by `stop`, or a write failed.
    cut: bool,
    /// Written chunks, their buffers kept for the next ones.
    spare: Vec<Unit>,
}

/// The output side, used by one thread at a time (whichever has `Order::writing`).
struct Sink<W, P> {
    out: W,
    summary: Summary,
    progress: P,
    error: Option<BatchError>,
}

struct Shared<'s, R, W, P> {
    input: Mutex<Input<R>>,
    order: Mutex<Order>,
    turn: Condvar,
    sink: Mutex<Sink<W, P>>,
    stop: &'s AtomicBool,
    /// Set once the run must end early (a write error, a panic): like `stop`.
    halt: AtomicBool,
    /// `Input::next_seq`, readable without waiting for a thread that is reading.
    issued: AtomicU64,
    /// `Order::head`, readable while holding the input.
    written: AtomicU64,
    /// Outcome bytes a line took in the last chunk rendered, rounded up; 0 before any.
    bytes_per_line: AtomicUsize,
    /// Chunks read and not yet written, at most.
    window: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A thread that panicked has set `halt` and `cut` on its way out (see `Bail`), so
    // what it left behind is only read to wind down.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R, W, P> Shared<'_, R, W, P> {
    fn halted(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.halt.load(Ordering::Relaxed)
    }

    fn end_early(&self) {
        self.halt.store(true, Ordering::Relaxed);
        lock(&self.order).cut = true;
        self.turn.notify_all();
    }
}

/// Ends the run early if the thread that holds it unwinds, so that no other thread
/// waits for a chunk that will never come.
struct Bail<'a, 's, R, W, P>(&'a Shared<'s, R, W, P>);

impl<R, W, P> Drop for Bail<'_, '_, R, W, P> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.end_early();
        }
    }
}

impl Batch<'_> {
    /// See [`Batch::run_until`].
    pub(super) fn run_pipeline<R, W, P>(
        &self,
        input: R,
        output: W,
        stop: &AtomicBool,
        progress: P,
    ) -> Result<Summary, BatchError>
    where
        R: BufRead + Send,
        W: Write + Send,
        P: FnMut(&Summary) + Send,
    {
        let threads = rayon::current_num_threads().max(1) as u64;
        let shared = Shared {
            input: Mutex::new(Input {
                reader: LineReader::new(input, self.limits()),
                next_seq: 0,
                ended: false,
                interrupted: false,
                error: None,
            }),
            order: Mutex::new(Order::default()),
            turn: Condvar::new(),
            sink: Mutex::new(Sink {
                out: output,
                summary: Summary::default(),
                progress,
                error: None,
            }),
            stop,
            halt: AtomicBool::new(false),
            issued: AtomicU64::new(0),
            written: AtomicU64::new(0),
            bytes_per_line: AtomicUsize::new(0),
            window: 2 * threads + 2,
        };
        rayon::broadcast(|_| self.work(&shared));

        let Shared {
            input, order, sink, ..
        } = shared;
        let input = input.into_inner().unwrap_or_else(PoisonError::into_inner);
        let order = order.into_inner().unwrap_or_else(PoisonError::into_inner);
        let mut sink = sink.into_inner().unwrap_or_else(PoisonError::into_inner);
        if let Some(error) = sink.error.take() {
            return Err(error);
        }
        let complete =
            input.ended && !input.interrupted && !order.cut && order.head == input.next_seq;
        if complete {
            if let Err(source) = sink.out.flush() {
                return Err(BatchError::Write {
                    last_line: sink.summary.last_line,
                    source,
                });
            }
            sink.summary.last_line = input.reader.line_number();
            sink.summary.blank_lines = input.reader.blank_lines();
        } else {
            // Stopped: the output is the outcomes of every line up to `last_line`, and
            // every line up to it that has none was blank.
            sink.summary.stopped = true;
            sink.summary.blank_lines = sink.summary.last_line - sink.summary.records();
            if let Err(source) = sink.out.flush() {
                return Err(BatchError::Write {
                    last_line: sink.summary.last_line,
                    source,
                });
            }
        }
        sink.summary.input_bytes = input.reader.bytes_read();
        (sink.progress)(&sink.summary);
        match input.error {
            Some(error) if complete => Err(error),
            _ => Ok(sink.summary),
        }
    }

    /// One thread's part of the run: read a chunk, render it, hand it over, until the
    /// input ends or the run stops.
    fn work<R, W, P>(&self, shared: &Shared<'_, R, W, P>)
    where
        R: BufRead,
        W: Write,
        P: FnMut(&Summary),
    {
        let _bail = Bail(shared);
        let mut worker = self.worker();
        let mut unit = Unit::default();
        while self.wait_for_room(shared) {
            match self.read(shared, &mut unit) {
                Read::Chunk => {
                    self.render_unit(shared, &mut worker, &mut unit);
                    unit = self.hand_over(shared, unit);
                }
                // Another thread took the room first.
                Read::Full => {}
                Read::Ended => return,
            }
        }
    }

    /// Waits until fewer than the window's chunks are read and not written; false when
    /// the run stops instead.
    fn wait_for_room<R, W, P>(&self, shared: &Shared<'_, R, W, P>) -> bool {
        let mut order = lock(&shared.order);
        loop {
            if shared.halted() || order.cut {
                return false;
            }
            // Not the input's lock: a thread may be waiting for input while holding it.
            if shared.issued.load(Ordering::Acquire) < order.head + shared.window {
                return true;
            }
            order = shared
                .turn
                .wait(order)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Reads the next chunk into `unit`, if the window has room for it.
    fn read<R: BufRead, W, P>(&self, shared: &Shared<'_, R, W, P>, unit: &mut Unit) -> Read {
        let mut input = lock(&shared.input);
        if input.ended || shared.halted() {
            return Read::Ended;
        }
        if input.next_seq >= shared.written.load(Ordering::Acquire) + shared.window {
            return Read::Full;
        }
        let lines = match shared.bytes_per_line.load(Ordering::Relaxed) {
            0 => FIRST_CHUNK_LINES,
            bytes => self.options.chunk_output_bytes / bytes,
        };
        let read = input.reader.fill_up_to(&mut unit.chunk, lines);
        if let Err(source) = read {
            // The lines before the error are in the chunk: they get their outcomes. A
            // reader may give up waiting for input once `stop` is set: that is no error.
            if shared.stop.load(Ordering::Relaxed) {
                input.interrupted = true;
            } else {
                input.error = Some(super::read_error(&input.reader, source));
            }
            input.ended = true;
        }
        if unit.chunk.is_empty() {
            input.ended = true;
            return Read::Ended;
        }
        unit.seq = input.next_seq;
        unit.input_bytes = input.reader.bytes_read();
        input.next_seq += 1;
        shared.issued.store(input.next_seq, Ordering::Release);
        Read::Chunk
    }

    /// Renders the chunk's lines into its output buffer, writing it on the way when it
    /// passes the budget.
    fn render_unit<R, W, P>(
        &self,
        shared: &Shared<'_, R, W, P>,
        worker: &mut Worker<'_, '_>,
        unit: &mut Unit,
    ) where
        W: Write,
        P: FnMut(&Summary),
    {
        let Unit {
            chunk, out, marks, ..
        } = unit;
        unit.complete = false;
        let lines = chunk.lines();
        let mut bytes = 0;
        for (i, line) in lines.iter().enumerate() {
            if shared.halted() {
                return;
            }
            let before = out.len();
            let tally = worker.render(line.number, Batch::chunk_input(chunk, line), out);
            bytes += out.len() - before;
            marks.push(Mark {
                line: line.number,
                end: out.len(),
                tally,
            });
            if out.len() >= self.options.chunk_output_bytes && i + 1 < lines.len() {
                // Too much to hold: write it when this chunk's turn comes.
                if !self.write_in_turn(shared, unit.seq, out, marks) {
                    return;
                }
            }
        }
        unit.complete = true;
        let per_line = bytes.div_ceil(lines.len().max(1)).max(1);
        shared.bytes_per_line.store(per_line, Ordering::Relaxed);
    }

    /// Waits for chunk `seq`'s turn and writes what it has rendered so far; false when
    /// the run stops first or the write fails.
    fn write_in_turn<R, W, P>(
        &self,
        shared: &Shared<'_, R, W, P>,
        seq: u64,
        out: &mut Vec<u8>,
        marks: &mut Vec<Mark>,
    ) -> bool
    where
        W: Write,
        P: FnMut(&Summary),
    {
        let mut order = lock(&shared.order);
        while !order.cut && (order.head != seq || order.writing) {
            order = shared
                .turn
                .wait(order)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if order.cut {
            return false;
        }
        order.writing = true;
        drop(order);
        let written = lock(&shared.sink).write(out, marks, None);
        out.clear();
        marks.clear();
        let mut order = lock(&shared.order);
        order.writing = false;
        if !written {
            order.cut = true;
            shared.halt.store(true, Ordering::Relaxed);
        }
        drop(order);
        shared.turn.notify_all();
        written
    }

    /// Puts a rendered chunk in the queue, and writes every chunk whose turn has come
    /// unless another thread is doing so. Returns a chunk to read the next lines into.
    fn hand_over<R, W, P>(&self, shared: &Shared<'_, R, W, P>, unit: Unit) -> Unit
    where
        W: Write,
        P: FnMut(&Summary),
    {
        let mut order = lock(&shared.order);
        if order.cut {
            return recycle(unit, self.options.chunk_output_bytes);
        }
        order.done.insert(unit.seq, unit);
        if order.writing {
            // The thread writing takes this chunk too when its turn comes.
            return order.spare.pop().unwrap_or_default();
        }
        let mut ready = Vec::new();
        loop {
            while !order.cut {
                let head = order.head + ready.len() as u64;
                let Some(unit) = order.done.remove(&head) else {
                    break;
                };
                let complete = unit.complete;
                ready.push(unit);
                if !complete {
                    break;
                }
            }
            if ready.is_empty() {
                break;
            }
            order.writing = true;
            drop(order);
            let mut written = true;
            let mut cut = false;
            {
                let mut sink = lock(&shared.sink);
                for unit in &ready {
                    let input_bytes = unit.complete.then_some(unit.input_bytes);
                    written = sink.write(&unit.out, &unit.marks, input_bytes);
                    cut = !written || !unit.complete;
                    if cut {
                        break;
                    }
                }
            }
            order = lock(&shared.order);
            order.writing = false;
            order.head += ready.len() as u64;
            shared.written.store(order.head, Ordering::Release);
            if cut {
                order.cut = true;
                if !written {
                    shared.halt.store(true, Ordering::Relaxed);
                }
            }
            let budget = self.options.chunk_output_bytes;
            order
                .spare
                .extend(ready.drain(..).map(|unit| recycle(unit, budget)));
            shared.turn.notify_all();
        }
        order.spare.pop().unwrap_or_default()
    }
}

/// Empties a written chunk for reuse, giving back an output buffer grown far past the
/// budget.
fn recycle(mut unit: Unit, budget: usize) -> Unit {
    unit.out.clear();
    unit.marks.clear();
    if unit.out.capacity() > KEEP_OUTPUT_BUDGETS * budget.max(1 << 16) {
        unit.out = Vec::new();
    }
    unit
}

impl<W: Write, P: FnMut(&Summary)> Sink<W, P> {
    /// Writes outcome lines and counts them; `input_bytes` when they end their chunk.
    /// On an error, counts the outcomes written whole, keeps the error and returns
    /// false.
    fn write(&mut self, out: &[u8], marks: &[Mark], input_bytes: Option<u64>) -> bool {
        if self.error.is_some() {
            return false;
        }
        let mut written = 0;
        let mut failure = None;
        while written < out.len() {
            match self.out.write(&out[written..]) {
                Ok(0) => {
                    failure = Some(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        for mark in marks.iter().take_while(|mark| mark.end <= written) {
            self.summary.count(mark.tally);
            self.summary.last_line = mark.line;
        }
        if let Some(source) = failure {
            self.error = Some(BatchError::Write {
                last_line: self.summary.last_line,
                source,
            });
            return false;
        }
        if let Some(bytes) = input_bytes {
            self.summary.input_bytes = bytes;
        }
        (self.progress)(&self.summary);
        true
    }
}
