//! The batch pipeline as a library: order and completeness when outcomes are larger
//! than a chunk may hold, a run stopped midway, and a write that fails midway. The
//! expected output is always built from the one-line path (`Batch::outcome`), which
//! shares nothing with the pipeline's chunks, threads and writing.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use promo_liquid::batch::{Batch, BatchError, BatchOptions, Summary};
use promo_liquid::message::Message;
use promo_liquid::promo::{self, Settings};

/// Small outcomes for most records, about 8 KB for one in fourteen.
const TEMPLATE: &str = "{{ Event.Points }} points{% if Event.Points > 90 %}\
    {% for i in (1..1000) %} padding{% endfor %}{% endif %}";

fn message(settings: &Settings) -> Message {
    Message::from_template("big.liquid", TEMPLATE, &promo::environment(settings))
        .expect("the template compiles")
}

/// `count` lines: records, a blank line now and then, a line that is not JSON.
fn input(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| match i % 50 {
            17 => String::new(),
            33 => "not json".to_owned(),
            _ => format!(
                r#"{{"identity": "u-{i}", "evtName": "CT Points Credited", "evtData": {{"Points": {}, "Wallet Id": "w", "Campaign Id": "c", "Source": "API", "Transaction Id": "t-{i}"}}}}"#,
                i % 98
            ),
        })
        .collect()
}

/// The output the pipeline must write: each line's outcome on its own, in order.
fn expected(batch: &Batch<'_>, lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.trim().is_empty() {
            batch
                .outcome(i as u64 + 1, line.as_bytes())
                .write_json(&mut out);
        }
    }
    out
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// Chunks that may hold only 4 KiB of outcomes, on four threads: chunks are cut to a
/// few lines and chunks that pass the budget write on their turn; nothing moves.
#[test]
fn outcomes_larger_than_a_chunk_may_hold_come_out_whole_and_in_order() {
    let settings = Settings::default();
    let message = message(&settings);
    let options = BatchOptions {
        chunk_lines: 64,
        chunk_output_bytes: 4 << 10,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = input(3000);
    let text = lines.join("\n");
    let want = expected(&batch, &lines);
    assert!(want.len() > 1 << 20, "the test needs large outcomes");
    for threads in [1, 4] {
        let mut out = Vec::new();
        let summary = pool(threads)
            .install(|| batch.run(text.as_bytes(), &mut out, |_| {}))
            .expect("in memory");
        assert!(out == want, "{threads} threads: the output differs");
        assert_eq!(summary.records(), 3000 - 60);
        assert_eq!(summary.failed, 60);
        assert_eq!((summary.blank_lines, summary.last_line), (60, 3000));
        assert!(!summary.stopped);
    }
}

/// Stopped after its first write: the output is the start of the full output, in
/// whole lines, and the summary names the last line written.
#[test]
fn a_stopped_run_writes_the_outcomes_of_a_prefix_of_the_input_in_whole_lines() {
    let settings = Settings::default();
    let message = message(&settings);
    let options = BatchOptions {
        chunk_lines: 16,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = input(20_000);
    let text = lines.join("\n");
    let want = expected(&batch, &lines);
    let stop = AtomicBool::new(false);
    let mut out = Vec::new();
    let summary = pool(3)
        .install(|| {
            batch.run_until(text.as_bytes(), &mut out, &stop, |_| {
                stop.store(true, Ordering::Relaxed)
            })
        })
        .expect("in memory");
    assert!(summary.stopped);
    assert!(!out.is_empty() && out.len() < want.len(), "{}", out.len());
    assert!(want.starts_with(&out), "not a prefix of the full output");
    assert!(out.ends_with(b"\n"));
    let last: serde_json::Value = serde_json::from_slice(
        out[..out.len() - 1]
            .rsplit(|&b| b == b'\n')
            .next()
            .expect("a last line"),
    )
    .expect("the last line is whole");
    assert_eq!(last["line"], summary.last_line);
    let written = out.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(summary.records(), written);
    assert_eq!(summary.records() + summary.blank_lines, summary.last_line);
}

/// A reader that gives up once the run is stopped (as the command line's reader of
/// standard input does while it waits): the run ends stopped, not failed, with the
/// outcomes of the chunks rendered before (one thread, chunks of four lines: the first
/// two chunks).
#[test]
fn a_read_that_fails_after_the_stop_ends_the_run_as_stopped() {
    struct GivesUp<'a> {
        data: io::Cursor<Vec<u8>>,
        stop: &'a AtomicBool,
    }
    impl io::Read for GivesUp<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.data.read(buf)? {
                0 => {
                    // The signal comes while the reader waits for more.
                    self.stop.store(true, Ordering::Relaxed);
                    Err(io::Error::other("stopped while waiting for input"))
                }
                n => Ok(n),
            }
        }
    }
    let settings = Settings::default();
    let message = message(&settings);
    let options = BatchOptions {
        chunk_lines: 4,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = input(10);
    let stop = AtomicBool::new(false);
    let reader = io::BufReader::new(GivesUp {
        data: io::Cursor::new((lines.join("\n") + "\n").into_bytes()),
        stop: &stop,
    });
    let mut out = Vec::new();
    let summary = pool(1)
        .install(|| batch.run_until(reader, &mut out, &stop, |_| {}))
        .expect("stopped, not failed");
    assert!(summary.stopped);
    assert_eq!(out, expected(&batch, &lines[..8]));
    assert_eq!(summary.last_line, 8);
}

/// Takes `room` bytes, a few at a time, then fails as a full disk does.
struct FillsUp {
    taken: Vec<u8>,
    room: usize,
}

impl Write for FillsUp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.room - self.taken.len();
        if room == 0 {
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        let n = buf.len().min(room).min(977);
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The disk fills up in the middle of an outcome: the error names the line of the last
/// outcome the output took whole.
#[test]
fn a_write_error_names_the_last_outcome_written_whole() {
    let settings = Settings::default();
    let message = message(&settings);
    let options = BatchOptions {
        chunk_lines: 32,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = input(2000);
    let text = lines.join("\n");
    let want = expected(&batch, &lines);
    for room in [0, 100, 150_000, want.len() - 1] {
        let mut out = FillsUp {
            taken: Vec::new(),
            room,
        };
        let error = pool(2)
            .install(|| batch.run(text.as_bytes(), &mut out, |_| {}))
            .expect_err("the disk is full");
        let BatchError::Write { last_line, source } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(source.kind(), io::ErrorKind::StorageFull);
        assert_eq!(out.taken, want[..room], "room {room}");
        // The whole lines taken, and the line of the last of them.
        let whole = out
            .taken
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let last = match whole {
            0 => 0,
            _ => {
                let last_line = out.taken[..whole - 1]
                    .rsplit(|&b| b == b'\n')
                    .next()
                    .unwrap();
                let value: serde_json::Value = serde_json::from_slice(last_line).unwrap();
                value["line"].as_u64().unwrap()
            }
        };
        assert_eq!(*last_line, last, "room {room}");
        assert!(
            error.to_string().contains(&format!("after line {last}")),
            "{error}"
        );
    }
}

/// A summary's counts are those of the outcomes written, at every progress call.
#[test]
fn progress_counts_only_outcomes_written() {
    let settings = Settings::default();
    let message = message(&settings);
    let options = BatchOptions {
        chunk_lines: 8,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = input(500);
    let text = lines.join("\n");
    let mut out = Vec::new();
    let seen = std::sync::Mutex::new(Vec::<Summary>::new());
    // `out` is only written by the pipeline; progress sees its length through a copy.
    let written = std::sync::atomic::AtomicUsize::new(0);
    struct Counting<'a>(&'a mut Vec<u8>, &'a std::sync::atomic::AtomicUsize);
    impl Write for Counting<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.extend_from_slice(buf);
            self.1.fetch_add(
                buf.iter().filter(|&&b| b == b'\n').count(),
                Ordering::Relaxed,
            );
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let summary = pool(2)
        .install(|| {
            batch.run(text.as_bytes(), Counting(&mut out, &written), |s| {
                assert_eq!(s.records(), written.load(Ordering::Relaxed) as u64);
                seen.lock().unwrap().push(*s);
            })
        })
        .expect("in memory");
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() > 10, "{}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].records() <= w[1].records()));
    assert_eq!(seen.last(), Some(&summary));
}

/// The outcome iterator holds a chunk's outcomes only up to the budget: with large
/// outcomes and a budget of 4 KiB it renders a chunk in several rounds, and yields
/// every outcome, in order, as the one-line path gives it.
#[test]
fn the_outcome_iterator_yields_large_outcomes_in_order_within_its_budget() {
    let settings = Settings::default();
    let message = message(&settings);
    let options = BatchOptions {
        chunk_lines: 300,
        chunk_output_bytes: 4 << 10,
        ..BatchOptions::default()
    };
    let batch = Batch::new(&message, &settings, options);
    let lines = input(1500);
    let text = lines.join("\n");
    let mut out = Vec::new();
    let count = pool(3).install(|| {
        let mut count = 0;
        for outcome in batch.outcomes(text.as_bytes()) {
            outcome.expect("in memory").write_json(&mut out);
            count += 1;
        }
        count
    });
    assert_eq!(count, 1500 - 30);
    assert!(out == expected(&batch, &lines), "the outcomes differ");
}
