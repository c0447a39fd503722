//! `promo-liquid worker`: renders the records of a Redis stream as a member of a
//! consumer group, writing one outcome entry per input entry to an output stream.
//!
//! Three stages overlap, each on its own thread, so that Redis round trips happen
//! while records render: the reader (`XREADGROUP` in batches, claims, recovery), the
//! renderer (this thread, the batch's records on the rayon pool through the library's
//! batch line path) and the writer (one script call per batch that writes each outcome
//! and acknowledges its entry together). The stages hand batches over through channels
//! with no room to spare, so a worker holds at most three batches: one being read,
//! one rendering, one being written.
//!
//! Nothing is acknowledged before its outcome is written, and an entry that another
//! consumer has already acknowledged is not written again (see [`stream`]'s script), so
//! after a crash the output holds every entry once. What happens on a lost connection,
//! a restart or a signal is in the README ("Scaling out").

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use promo_liquid::batch::Tally;
use rayon::prelude::*;

use super::Exit;

mod messages;
mod progress;
mod resp;
pub mod stream;

use messages::{Load, Messages};
use progress::{Progress, Stats};
use stream::{Entry, Epoch, Link, Names, Target, Writes};

/// The arguments of `worker`.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// The message (.toml) to render for every record, a bare Liquid template, or a
    /// directory of messages (*.toml): each record gets the message for its event, or
    /// the one its entry names (--message-field).
    message: PathBuf,
    /// The Redis server: redis://[user:password@]host[:port][/db].
    #[arg(long, value_name = "URL", default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// The input stream; each entry's `record` field holds one record (JSON).
    #[arg(long = "stream", value_name = "IN")]
    input: String,
    /// The consumer group; created (with the stream) when missing.
    #[arg(long, value_name = "G")]
    group: String,
    /// This worker's name in the group; host name and process id by default. A worker
    /// restarted under the same name picks up what it held before.
    #[arg(long, value_name = "NAME")]
    consumer: Option<String>,
    /// The output stream: one entry per input entry, fields `idempotency_key`
    /// (IN:ID) and `outcome` (the outcome JSON, with the input entry's `"id"`).
    #[arg(long = "output-stream", value_name = "OUT")]
    output: String,
    /// Where entries go that were delivered more than --max-deliveries times, or
    /// deleted from IN while pending; IN:dead by default.
    #[arg(long = "dead-letter-stream", value_name = "NAME")]
    dead: Option<String>,
    /// With a directory of messages: the entry field naming each entry's message (its
    /// file name, with or without .toml), instead of choosing by the record's event.
    #[arg(long, value_name = "FIELD")]
    message_field: Option<String>,
    /// Entries read at a time; the worker holds at most three batches.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// Claim entries another consumer has left pending this long (30s, 500ms, 2m).
    #[arg(long, value_name = "TIME", default_value = "30s", value_parser = parse_duration)]
    claim_after: Duration,
    /// An entry delivered more times than this goes to the dead-letter stream instead
    /// of being rendered again.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    max_deliveries: u64,
    /// Trim the output stream to about this many entries (XADD MAXLEN ~). No trimming
    /// unless asked.
    #[arg(long, value_name = "N")]
    output_maxlen: Option<u64>,
    /// Where a group created by this worker starts: 0 (the whole stream) or $ (only
    /// entries added from now on).
    #[arg(long, value_name = "ID", default_value = "0")]
    group_start: String,
    /// Exit once the group has nothing left: no undelivered entry, none pending.
    #[arg(long)]
    drain: bool,
    /// Seconds between progress lines on standard error; 0 for none.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    progress: u64,
    /// How many threads render; all cores by default.
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    #[command(flatten)]
    send: super::SendArgs,
}

/// What the three stages share.
struct Shared {
    names: Names,
    /// Set by SIGTERM or SIGINT: read no more, finish what is in hand.
    stop: Arc<AtomicBool>,
    /// Set when a stage fails: the others stop without waiting.
    failed: AtomicBool,
    /// Entries read and not yet written.
    in_flight: AtomicU64,
    stats: Stats,
}

/// A batch between stages: entries to render, or to send to the dead-letter stream.
#[derive(Default)]
struct Work {
    entries: Vec<Entry>,
    /// Entries that go to the dead-letter stream, with the reason and delivery count.
    dead: Vec<(Entry, String, u64)>,
    /// For entries read fresh from the stream: the claim counter before the read.
    epoch: Option<Epoch>,
}

/// A rendered batch: each entry's id and outcome JSON (no newline).
#[derive(Default)]
struct Rendered {
    outcomes: Vec<(String, Vec<u8>)>,
    tallies: [u64; 3],
    dead: Vec<(Entry, String, u64)>,
    epoch: Option<Epoch>,
}

/// Runs `worker`.
pub fn run(args: WorkerArgs) -> Result<Exit> {
    let settings = args.send.settings();
    let env = messages::environment(&settings, args.send.now);
    let snippets = super::snippets_for(args.send.snippets.as_deref(), &args.message, &env)?;
    let messages = Messages::load(Load {
        path: &args.message,
        message_field: args.message_field.as_deref(),
        settings,
        options: args.send.batch_options(),
        env,
        snippets,
        max_segments: usize::from(args.send.max_segments),
    })?;
    let target = Target::parse(&args.redis)?;
    let names = Names {
        dead: args
            .dead
            .clone()
            .unwrap_or_else(|| format!("{}:dead", args.input)),
        claims: format!("{}:claims", args.input),
        input: args.input.clone(),
        output: args.output.clone(),
        group: args.group.clone(),
        consumer: args.consumer.clone().unwrap_or_else(default_consumer),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .context("cannot start the rendering threads")?;

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal ends the process at once; what it held stays pending and
        // is claimed by another worker.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))
            .context("cannot handle signals")?;
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("cannot handle signals")?;
    }
    let shared = Shared {
        names,
        stop,
        failed: AtomicBool::new(false),
        in_flight: AtomicU64::new(0),
        stats: Stats::default(),
    };
    eprintln!(
        "worker {}: reading {} as group {}, writing {} (dead letters: {}), {} rendering threads",
        shared.names.consumer,
        shared.names.input,
        shared.names.group,
        shared.names.output,
        shared.names.dead,
        pool.current_num_threads()
    );

    let started = Instant::now();
    let (to_render, render_queue) = sync_channel::<Work>(0);
    let (to_write, write_queue) = sync_channel::<Rendered>(0);
    let (read_result, write_result) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let reader = Reader {
                link: Link::new(target.clone(), &shared.names.consumer, "reader")
                    .stop_on(Arc::clone(&shared.stop)),
                shared: &shared,
                args: &args,
                to_render,
                progress: Progress::new(Duration::from_secs(args.progress)),
            };
            // A signal while Redis is away: the reader holds nothing, so it stops.
            let result = reader
                .run()
                .or_else(|e| match e.downcast_ref::<stream::Stopped>() {
                    Some(_) => Ok(()),
                    None => Err(e),
                });
            fail_on_error(&shared, result)
        });
        let writer = scope.spawn(|| {
            let link = Link::new(target.clone(), &shared.names.consumer, "writer");
            fail_on_error(
                &shared,
                write_loop(link, &shared, args.output_maxlen, write_queue),
            )
        });
        render_loop(&messages, &pool, render_queue, to_write);
        (join(reader), join(writer))
    });
    read_result?;
    write_result?;
    eprintln!(
        "{}",
        shared
            .stats
            .summary(&shared.names.consumer, started.elapsed())
    );
    Ok(Exit::Ok)
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Result<()>>) -> Result<()> {
    handle
        .join()
        .unwrap_or_else(|_| Err(anyhow!("a worker thread panicked")))
}

fn fail_on_error(shared: &Shared, result: Result<()>) -> Result<()> {
    if result.is_err() {
        shared.failed.store(true, Ordering::SeqCst);
    }
    result
}

fn default_consumer() -> String {
    let host = gethostname::gethostname();
    format!("{}-{}", host.to_string_lossy(), std::process::id())
}

/// Reads `30s`, `500ms`, `2m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30s, 500ms or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(number * 60)),
        _ => Err(format!(
            "{text:?} is not a duration such as 30s, 500ms or 2m"
        )),
    }
}

/// The reading stage.
struct Reader<'a> {
    link: Link,
    shared: &'a Shared,
    args: &'a WorkerArgs,
    to_render: SyncSender<Work>,
    progress: Progress,
}

impl Reader<'_> {
    fn run(mut self) -> Result<()> {
        let names = &self.shared.names;
        self.link.ensure_group(names, &self.args.group_start)?;
        let batch = self.args.batch as usize;
        let claim_every = (self.args.claim_after / 2).max(Duration::from_millis(100));
        // At the start, and after a lost connection: this consumer's own pending
        // entries (a restart under the same name, a read whose reply was lost), then
        // what others left.
        let mut recover = true;
        let mut next_claim = Instant::now();
        let mut reconnects = self.link.reconnects;
        // Whether the last read found nothing.
        let mut found_nothing = false;
        while !self.stopping() {
            if recover || Instant::now() >= next_claim {
                self.wait_until_idle()?;
                if recover {
                    self.read_own()?;
                }
                self.claim()?;
                recover = false;
                next_claim = Instant::now() + claim_every;
                continue;
            }
            // Draining, the read that finds the stream empty does not wait: the
            // worker checks at once whether the group is done. Only while others
            // still hold entries (which may come back to be claimed) does it wait.
            let block = match (self.args.drain, found_nothing) {
                (true, false) => None,
                (true, true) => Some(Duration::from_millis(100)),
                (false, _) => Some(Duration::from_secs(1)),
            };
            let (epoch, entries) = self.link.read_new(names, batch, block)?;
            if self.link.reconnects != reconnects {
                reconnects = self.link.reconnects;
                recover = true;
            }
            if entries.is_empty() {
                if self.args.drain && self.drained()? {
                    break;
                }
                found_nothing = true;
            } else {
                found_nothing = false;
                self.hand_over(Work {
                    entries,
                    dead: Vec::new(),
                    epoch: Some(epoch),
                })?;
            }
            self.report()?;
        }
        Ok(())
    }

    fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed) || self.shared.failed.load(Ordering::Relaxed)
    }

    /// Whether the group has nothing left for anyone: checked once this worker holds
    /// nothing, so its own entries are not counted.
    fn drained(&mut self) -> Result<bool> {
        self.wait_until_idle()?;
        Ok(self.link.group_state(&self.shared.names)?.pending == 0)
    }

    fn report(&mut self) -> Result<()> {
        if self.progress.due() {
            let state = self.link.group_state(&self.shared.names)?;
            self.progress
                .print(&self.shared.names.consumer, &self.shared.stats, state);
        }
        Ok(())
    }

    /// Waits until every entry handed over is written, so that this consumer's pending
    /// list holds nothing in hand.
    fn wait_until_idle(&self) -> Result<()> {
        while self.shared.in_flight.load(Ordering::SeqCst) > 0 {
            if self.shared.failed.load(Ordering::SeqCst) {
                return Err(anyhow!("stopped: another stage failed"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    }

    /// Renders again what this consumer holds pending from before.
    fn read_own(&mut self) -> Result<()> {
        let mut after = "0-0".to_owned();
        loop {
            let entries =
                self.link
                    .read_own(&self.shared.names, self.args.batch as usize, &after)?;
            let Some(last) = entries.last() else {
                return Ok(());
            };
            after = last.id.clone();
            self.hand_over_recovered(entries)?;
        }
    }

    /// Claims the entries other consumers left pending longer than --claim-after.
    fn claim(&mut self) -> Result<()> {
        let mut cursor = "0-0".to_owned();
        loop {
            let claimed = self.link.autoclaim(
                &self.shared.names,
                self.args.claim_after,
                &cursor,
                self.args.batch as usize,
            )?;
            for id in &claimed.deleted {
                self.dead_letter_deleted(id)?;
            }
            self.hand_over_recovered(claimed.entries)?;
            if claimed.cursor == "0-0" || self.stopping() {
                return Ok(());
            }
            cursor = claimed.cursor;
        }
    }

    /// Hands over entries delivered before (re-read or claimed): those delivered more
    /// than --max-deliveries times, or deleted from the stream, go to the dead letters.
    fn hand_over_recovered(&mut self, entries: Vec<Entry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        let deliveries = self.link.deliveries(&self.shared.names, &ids)?;
        let mut work = Work::default();
        for entry in entries {
            let count = deliveries.get(&entry.id).copied().unwrap_or(0);
            if entry.fields.is_none() {
                let reason = format!(
                    "deleted from {} while pending: its record is gone",
                    self.shared.names.input
                );
                work.dead.push((entry, reason, count));
            } else if count > self.args.max_deliveries {
                let reason = format!(
                    "delivered {count} times, more than --max-deliveries {}, without its outcome being written",
                    self.args.max_deliveries
                );
                work.dead.push((entry, reason, count));
            } else {
                work.entries.push(entry);
            }
        }
        self.shared
            .stats
            .recovered
            .fetch_add(work.entries.len() as u64, Ordering::Relaxed);
        self.hand_over(work)
    }

    fn hand_over(&mut self, work: Work) -> Result<()> {
        let count = (work.entries.len() + work.dead.len()) as u64;
        if count == 0 {
            return Ok(());
        }
        self.shared.stats.first_read();
        self.shared.in_flight.fetch_add(count, Ordering::SeqCst);
        self.to_render
            .send(work)
            .map_err(|_| anyhow!("stopped: the renderer is gone"))
    }

    /// An entry Redis dropped from the pending list because it was deleted: nothing to
    /// acknowledge, but its loss is recorded.
    fn dead_letter_deleted(&mut self, id: &str) -> Result<()> {
        let names = &self.shared.names;
        let key = format!("{}:{id}", names.input);
        let reason = format!(
            "deleted from {} while pending: its record is gone",
            names.input
        );
        self.link.add(
            &names.dead,
            &[
                ("idempotency_key", &key),
                ("reason", &reason),
                ("deliveries", "0"),
            ],
        )?;
        self.shared.stats.dead.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The rendering stage: each batch's records on the pool, in parallel.
fn render_loop(
    messages: &Messages,
    pool: &rayon::ThreadPool,
    queue: Receiver<Work>,
    to_write: SyncSender<Rendered>,
) {
    let batches = messages.batches();
    for work in queue {
        let mut rendered = Rendered {
            dead: work.dead,
            epoch: work.epoch,
            ..Rendered::default()
        };
        let outcomes: Vec<(Tally, Vec<u8>)> = pool.install(|| {
            work.entries
                .par_iter()
                .map_init(
                    || batches.iter().map(|b| b.worker()).collect::<Vec<_>>(),
                    |workers, entry| {
                        let mut json = Vec::with_capacity(512);
                        let tally = messages.render(workers, entry, &mut json);
                        json.pop(); // the newline
                        (tally, json)
                    },
                )
                .collect()
        });
        for (entry, (tally, json)) in work.entries.into_iter().zip(outcomes) {
            let slot = match tally {
                Tally::Rendered => 0,
                Tally::Aborted => 1,
                Tally::Failed => 2,
            };
            rendered.tallies[slot] += 1;
            rendered.outcomes.push((entry.id, json));
        }
        if to_write.send(rendered).is_err() {
            return;
        }
    }
}

/// The writing stage: each batch's outcomes written and acknowledged in one step.
fn write_loop(
    mut link: Link,
    shared: &Shared,
    maxlen: Option<u64>,
    queue: Receiver<Rendered>,
) -> Result<()> {
    let names = &shared.names;
    for rendered in queue {
        let mut writes = Writes::new(names, &names.output, maxlen, &[b"outcome"]);
        for (id, json) in &rendered.outcomes {
            writes.entry(id, [json.as_slice()]);
        }
        let written = link.write_and_ack(&writes, rendered.epoch.as_ref())?;
        let mut dead_written = 0;
        for (entry, reason, count) in &rendered.dead {
            let count = count.to_string();
            let mut fields: Vec<&[u8]> = vec![b"reason", b"deliveries"];
            fields.extend(entry.fields().map(|(f, _)| f));
            let mut writes = Writes::new(names, &names.dead, None, &fields);
            let mut values: Vec<&[u8]> = vec![reason.as_bytes(), count.as_bytes()];
            values.extend(entry.fields().map(|(_, v)| v));
            writes.entry(&entry.id, values);
            dead_written += link.write_and_ack(&writes, None)?;
        }
        shared.stats.written(
            &rendered.tallies,
            written,
            rendered.outcomes.len() as u64,
            dead_written,
        );
        let count = (rendered.outcomes.len() + rendered.dead.len()) as u64;
        shared.in_flight.fetch_sub(count, Ordering::SeqCst);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("s").is_err());
    }
}
