//! What a worker has done, counted by its stages, and the lines it prints about it:
//! a progress line every few seconds and a summary at the end.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::stream::GroupState;

/// Counts shared by the stages.
#[derive(Debug, Default)]
pub struct Stats {
    pub rendered: AtomicU64,
    pub aborted: AtomicU64,
    pub failed: AtomicU64,
    /// Outcome entries written (each with its entry acknowledged).
    pub written: AtomicU64,
    /// Entries rendered here but written by another consumer first (a claimed entry
    /// whose first consumer finished after all): not written twice.
    pub skipped: AtomicU64,
    /// Entries re-read or claimed after another consumer (or this one, before a
    /// restart) held them.
    pub recovered: AtomicU64,
    /// Entries sent to the dead-letter stream.
    pub dead: AtomicU64,
    /// When the first entry came and the last outcome was written: the span the
    /// rate is over, so that time spent waiting for entries does not count.
    span: Mutex<Option<(Instant, Instant)>>,
}

impl Stats {
    /// Notes that entries arrived.
    pub fn first_read(&self) {
        let mut span = self.span.lock().unwrap_or_else(|e| e.into_inner());
        if span.is_none() {
            let now = Instant::now();
            *span = Some((now, now));
        }
    }

    /// Counts a written batch: the tallies of what was rendered (rendered, aborted,
    /// failed), how many outcomes were written of how many rendered, and dead letters.
    pub fn written(&self, tallies: &[u64; 3], written: u64, rendered: u64, dead: u64) {
        self.rendered.fetch_add(tallies[0], Ordering::Relaxed);
        self.aborted.fetch_add(tallies[1], Ordering::Relaxed);
        self.failed.fetch_add(tallies[2], Ordering::Relaxed);
        self.written.fetch_add(written, Ordering::Relaxed);
        self.skipped
            .fetch_add(rendered - written.min(rendered), Ordering::Relaxed);
        self.dead.fetch_add(dead, Ordering::Relaxed);
        let mut span = self.span.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, last)) = span.as_mut() {
            *last = Instant::now();
        }
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// `worker c1: 100000 outcomes written in 9.80 s (10204 entries/s): 99000 rendered, 500
    /// aborted, 500 failed; 1200 recovered, 0 dead-lettered, 0 skipped`.
    pub fn summary(&self, consumer: &str, elapsed: Duration) -> String {
        let written = Self::get(&self.written);
        let span = self
            .span
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map_or(Duration::ZERO, |(first, last)| last - first);
        let rate = if span.as_secs_f64() > 0.0 {
            written as f64 / span.as_secs_f64()
        } else {
            0.0
        };
        format!(
            "worker {consumer}: {written} outcomes written in {:.2} s ({rate:.0} entries/s over {:.2} s of work): \
             {} rendered, {} aborted, {} failed; {} recovered from a restart or another consumer, \
             {} dead-lettered, {} skipped (written by another consumer first)",
            elapsed.as_secs_f64(),
            span.as_secs_f64(),
            Self::get(&self.rendered),
            Self::get(&self.aborted),
            Self::get(&self.failed),
            Self::get(&self.recovered),
            Self::get(&self.dead),
            Self::get(&self.skipped),
        )
    }
}

/// When to print a progress line, and the rate since the last one.
#[derive(Debug)]
pub struct Progress {
    every: Option<Duration>,
    last: Instant,
    last_written: u64,
}

impl Progress {
    /// A line every `every`; none when it is zero.
    pub fn new(every: Duration) -> Progress {
        Progress {
            every: (!every.is_zero()).then_some(every),
            last: Instant::now(),
            last_written: 0,
        }
    }

    /// Whether a line is due.
    pub fn due(&self) -> bool {
        self.every.is_some_and(|every| self.last.elapsed() >= every)
    }

    /// `worker c1: 51200 written (10240 entries/s), group pending 1536, lag 48800`.
    pub fn print(&mut self, consumer: &str, stats: &Stats, group: GroupState) {
        let written = Stats::get(&stats.written);
        let secs = self.last.elapsed().as_secs_f64();
        let rate = (written - self.last_written) as f64 / secs.max(1e-9);
        let lag = group
            .lag
            .map_or("unknown".to_owned(), |lag| lag.to_string());
        eprintln!(
            "worker {consumer}: {written} written ({rate:.0} entries/s), group pending {}, lag {lag}",
            group.pending
        );
        self.last = Instant::now();
        self.last_written = written;
    }
}
