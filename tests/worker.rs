//! `promo-liquid worker` and `stream-load` against a real `redis-server`, each test with
//! its own server on a free loopback port and its own data directory.
//!
//! The tests need `redis-server` on the PATH (`apt-get install redis-server`; `.ci/run`
//! installs it). Without it each test says `skipped: redis-server not installed` on
//! standard error and passes, unless `PROMO_LIQUID_REQUIRE_TOOLS=1` (set by `.ci/run`)
//! makes that a failure; `PROMO_LIQUID_SKIP_REDIS=1` skips them with the server installed.
//!
//! No test waits for a fixed time and hopes: a worker that must be caught midway is
//! frozen (SIGSTOP) and Redis is asked until it has taken in everything the worker had
//! sent (the worker's connections are named `promo-liquid:CONSUMER:ROLE` for that).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use redis::streams::StreamRangeReply;
use redis::{Commands, Connection};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_promo-liquid");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const MISSING: &str = "redis-server not installed (apt-get install redis-server)";

/// Whether the tests can run `redis-server`. When they cannot, says so loudly on
/// standard error (the test then returns), or fails when `PROMO_LIQUID_REQUIRE_TOOLS=1`.
fn redis_installed() -> bool {
    if std::env::var_os("PROMO_LIQUID_SKIP_REDIS").is_some_and(|v| v == "1") {
        say_skipped("PROMO_LIQUID_SKIP_REDIS=1");
        return false;
    }
    let why = match Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => return true,
        Ok(status) => format!("`redis-server --version` exited with {status}"),
        Err(e) => format!("cannot run redis-server: {e}"),
    };
    if std::env::var_os("PROMO_LIQUID_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{MISSING}, and PROMO_LIQUID_REQUIRE_TOOLS=1 requires it ({why})");
    }
    say_skipped(&format!("{MISSING} ({why})"));
    false
}

/// Says on the process's standard error that the worker tests were skipped, and why
/// (straight there: the test harness captures `eprintln!`).
fn say_skipped(why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "\n*** skipped: the worker tests: {why} ***\n"
    );
}

/// A `redis-server` of a test's own, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Redis {
    /// Starts a server, or returns `None` when the test is to be skipped.
    fn start(name: &str) -> Option<Redis> {
        if !redis_installed() {
            return None;
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("redis-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A free port can be taken by someone else before the server binds it: then
        // the server exits, or another answers on it; either way, another port.
        let mut tries = 0;
        loop {
            let port = free_port();
            let mut child = spawn_server(&dir, port);
            match wait_ready(&mut child, port) {
                Ok(()) => return Some(Redis { child, port, dir }),
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    tries += 1;
                    assert!(tries < 5, "redis-server did not start: {why}");
                    eprintln!("redis-server on port {port}: {why}; trying another port");
                }
            }
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn connection(&self) -> Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Stops the server the way an operator restarts it (it saves its data on the way
    /// out) and starts it again on the same port and data.
    fn restart(&mut self) {
        let _ = redis::cmd("SHUTDOWN").query::<()>(&mut self.connection());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "redis-server exited with {status}");
        self.child = spawn_server(&self.dir, self.port);
        if let Err(why) = wait_ready(&mut self.child, self.port) {
            panic!("redis-server did not start again: {why}");
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn_server(dir: &Path, port: u16) -> Child {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "yes", "--appendfsync", "everysec"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run redis-server: {e}"))
}

/// Waits until `child` answers on `port`, its data loaded: the server that answers must be this very
/// process (its `INFO` gives its pid), not another that took the port.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Err(format!("it exited with {status}"));
        }
        let info = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .and_then(|c| c.get_connection())
            .and_then(|mut c| {
                redis::cmd("INFO")
                    .arg("server")
                    .arg("persistence")
                    .query::<String>(&mut c)
            });
        // Up, and done loading its data (after a restart).
        if let Some(info) = info.as_ref().ok().filter(|i| i.contains("\nloading:0")) {
            let pid = info
                .lines()
                .find_map(|l| l.strip_prefix("process_id:"))
                .and_then(|pid| pid.trim().parse::<u32>().ok());
            return match pid {
                Some(pid) if pid == child.id() => Ok(()),
                _ => Err(format!("another server answers on port {port}")),
            };
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("no answer in 30 s: {info:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `worker` with the stream names every test uses and the given arguments.
fn worker(redis: &Redis, message: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(root())
        .args(["worker", message, "--redis", &redis.url()])
        .args([
            "--stream",
            "in",
            "--group",
            "g",
            "--output-stream",
            "out",
            "--progress",
            "0",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run(mut command: Command) -> Output {
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        text(&output.stderr)
    );
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Loads NDJSON into `in` with `stream-load`; returns the entry ids in order.
fn load(redis: &Redis, ndjson: &[u8]) -> Vec<String> {
    let mut child = Command::new(BIN)
        .args(["stream-load", "--redis", &redis.url(), "--stream", "in"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(ndjson).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    stream_ids(&mut redis.connection(), "in")
}

fn stream_ids(connection: &mut Connection, stream: &str) -> Vec<String> {
    range(connection, stream)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// Every entry of `stream`: its id and its fields as text.
fn range(connection: &mut Connection, stream: &str) -> Vec<(String, HashMap<String, String>)> {
    let mut entries = Vec::new();
    let mut start = "-".to_owned();
    loop {
        let reply: StreamRangeReply = connection
            .xrange_count(stream, &start, "+", 10_000)
            .unwrap();
        let Some(last) = reply.ids.last() else {
            return entries;
        };
        start = format!("({}", last.id);
        for entry in reply.ids {
            let fields = entry
                .map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        text(&redis::from_redis_value::<Vec<u8>>(v.clone()).unwrap()),
                    )
                })
                .collect();
            entries.push((entry.id, fields));
        }
    }
}

/// The outcome entries of `out`: the input id each is for, its outcome JSON, and its
/// idempotency key checked against the id.
fn outcomes(redis: &Redis) -> Vec<(String, Value)> {
    range(&mut redis.connection(), "out")
        .into_iter()
        .map(|(_, fields)| {
            let outcome: Value = serde_json::from_str(&fields["outcome"]).unwrap();
            let id = outcome["id"].as_str().unwrap().to_owned();
            assert_eq!(fields["idempotency_key"], format!("in:{id}"));
            (id, outcome)
        })
        .collect()
}

fn pending(redis: &Redis) -> u64 {
    let reply: redis::streams::StreamPendingReply = redis.connection().xpending("in", "g").unwrap();
    reply.count() as u64
}

/// `n` small records, cheap to render in a debug build.
fn small_records(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        writeln!(
            out,
            r#"{{"identity":"u-{i}","evtName":"CT Points Credited","evtData":{{"points":{},"walletId":"w-1","campaignId":"c-1","source":"API","transactionId":"t-{i}"}}}}"#,
            i % 1000
        )
        .unwrap();
    }
    out
}

const SMALL_MESSAGE: &str = "tests/fixtures/worker/points.sms.toml";

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, signal: Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, signal).unwrap();
}

/// The connections of the worker `consumer` that Redis still has: for each, the
/// fields `CLIENT LIST` gives (`name`, `flags`, `qbuf`, `cmd`, ...).
fn clients_of(connection: &mut Connection, consumer: &str) -> Vec<HashMap<String, String>> {
    let list: String = redis::cmd("CLIENT").arg("LIST").query(connection).unwrap();
    let prefix = format!("promo-liquid:{consumer}:");
    list.lines()
        .map(|line| {
            line.split(' ')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect::<HashMap<_, _>>()
        })
        .filter(|fields| fields.get("name").is_some_and(|n| n.starts_with(&prefix)))
        .collect()
}

/// The ids of the entries of `in` pending to `consumer`.
fn held_by(connection: &mut Connection, consumer: &str) -> HashSet<String> {
    let held: redis::streams::StreamPendingCountReply = connection
        .xpending_consumer_count("in", "g", "-", "+", 100_000, consumer)
        .unwrap();
    held.ids.into_iter().map(|p| p.id).collect()
}

/// What a worker has done, as Redis has it: outcomes written, entries it holds.
#[derive(Debug, PartialEq)]
struct Done {
    written: usize,
    held: HashSet<String>,
}

/// Once the worker `consumer` is frozen (SIGSTOP), waits until Redis has carried out
/// every command the worker sent before it froze: the output, the worker's pending list
/// and what Redis has of the worker's next command (a command it froze in the middle
/// of sending stays half there) the same over several looks. A frozen worker sends
/// nothing more, so what this returns stays true until the worker runs again.
fn settled_frozen(redis: &Redis, consumer: &str) -> Done {
    let mut connection = redis.connection();
    let mut last = None;
    let mut same = 0;
    let started = Instant::now();
    loop {
        let mut buffers: Vec<(String, String)> = clients_of(&mut connection, consumer)
            .into_iter()
            .map(|c| (c["name"].clone(), c["qbuf"].clone()))
            .collect();
        buffers.sort();
        let look = (
            Done {
                written: connection.xlen("out").unwrap(),
                held: held_by(&mut connection, consumer),
            },
            buffers,
        );
        same = if last.as_ref() == Some(&look) {
            same + 1
        } else {
            0
        };
        if same == 3 {
            return look.0;
        }
        last = Some(look);
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "Redis did not settle with {consumer} frozen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Once the worker `consumer` is dead, waits until Redis has dropped its connections:
/// from then on nothing the worker sent can still change anything.
fn settled_dead(redis: &Redis, consumer: &str) -> Done {
    let mut connection = redis.connection();
    wait_for(
        "Redis to drop the dead worker's connections",
        Duration::from_secs(60),
        || clients_of(&mut connection, consumer).is_empty(),
    );
    Done {
        written: connection.xlen("out").unwrap(),
        held: held_by(&mut connection, consumer),
    }
}

/// The number the summary line gives before `label`.
fn summary_count(stderr: &str, label: &str) -> u64 {
    let summary = stderr
        .lines()
        .find(|l| l.contains("outcomes written"))
        .unwrap_or_else(|| panic!("no summary: {stderr}"));
    let at = summary
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {summary}"));
    summary[..at]
        .trim_end()
        .rsplit([' ', '('])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn every_entry_gets_the_outcome_batch_gives_plus_its_id() {
    let Some(redis) = Redis::start("same-as-batch") else {
        return;
    };
    let mut input = std::fs::read(root().join("templates/records/sample.ndjson")).unwrap();
    input.extend(std::fs::read(root().join("templates/records/bad-lines.ndjson")).unwrap());
    input.extend_from_slice(b"{\"identity\": \"u-\xff\", \"evtName\": \"CT Points Credited\"}\n");
    input.extend_from_slice(format!("{{\"identity\": \"{}\"}}\n", "x".repeat(3000)).as_bytes());
    let ids = load(&redis, &input);
    let _: String = redis
        .connection()
        .xadd("in", "*", &[("not_a_record", "1")])
        .unwrap();

    let message = "templates/wallet.push.toml";
    let output = run(worker(
        &redis,
        message,
        &["--drain", "--max-line-bytes", "2000", "--batch", "7"],
    ));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("outcomes written"), "{stderr}");

    let mut batch = Command::new(BIN);
    batch
        .current_dir(root())
        .args(["batch", message, "--max-line-bytes", "2000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = batch.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let batch_output = child.wait_with_output().unwrap();
    let batch_lines: Vec<Value> = text(&batch_output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let outcomes: HashMap<String, Value> = outcomes(&redis).into_iter().collect();
    assert_eq!(outcomes.len(), ids.len() + 1, "one outcome per entry");
    assert_eq!(
        batch_lines.len(),
        ids.len(),
        "stream-load skips blank lines as batch does"
    );
    let mut kinds = HashSet::new();
    for (id, line) in ids.iter().zip(&batch_lines) {
        let mut from_worker = outcomes[id].clone();
        let mut from_batch = line.clone();
        // The entry id stands where batch has the line number; all else is equal,
        // key order included.
        assert_eq!(
            from_worker.as_object_mut().unwrap().remove("id").unwrap(),
            id.as_str()
        );
        from_batch.as_object_mut().unwrap().remove("line").unwrap();
        assert_eq!(from_worker.to_string(), from_batch.to_string());
        kinds.insert(from_worker.get("kind").map(|k| k.to_string()));
    }
    for kind in [
        "invalid_json",
        "invalid_utf8",
        "line_too_long",
        "invalid_record",
        "wrong_event",
    ] {
        assert!(
            kinds.contains(&Some(format!("\"{kind}\""))),
            "no {kind} among {kinds:?}"
        );
    }
    let last = stream_ids(&mut redis.connection(), "in").pop().unwrap();
    assert_eq!(outcomes[&last]["kind"], "invalid_entry");
    assert_eq!(
        outcomes[&last]["message"],
        "the entry has no \"record\" field (its fields: \"not_a_record\")"
    );
    assert_eq!(pending(&redis), 0);
}

#[test]
fn two_workers_split_the_stream_and_render_nothing_twice() {
    const ENTRIES: usize = 20_000;
    let Some(redis) = Redis::start("split") else {
        return;
    };
    let mut connection = redis.connection();
    // Both workers wait on the empty stream first, so that neither can take it all
    // before the other has started: each new entry goes to a worker that waits.
    let start = |name: &str| {
        worker(
            &redis,
            SMALL_MESSAGE,
            &["--jobs", "1", "--batch", "100", "--consumer", name],
        )
        .spawn()
        .unwrap()
    };
    let (a, b) = (start("a"), start("b"));
    wait_for(
        "both workers to wait for entries",
        Duration::from_secs(120),
        || {
            ["a", "b"].iter().all(|name| {
                clients_of(&mut connection, name).iter().any(|c| {
                    c["name"].ends_with(":reader")
                        && c["flags"].contains('b')
                        && c["cmd"] == "xreadgroup"
                })
            })
        },
    );
    let ids = load(&redis, &small_records(ENTRIES));
    wait_for("every outcome", Duration::from_secs(300), || {
        connection.xlen::<_, usize>("out").unwrap() >= ENTRIES && pending(&redis) == 0
    });
    signal(&a, Signal::SIGTERM);
    signal(&b, Signal::SIGTERM);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        text(&a.stderr),
        text(&b.stderr)
    );
    let (a, b) = (text(&a.stderr), text(&b.stderr));
    let rendered = |s: &str| {
        summary_count(s, "rendered") + summary_count(s, "aborted") + summary_count(s, "failed")
    };
    assert!(
        rendered(&a) > 0 && rendered(&b) > 0,
        "both workers took a share:\n{a}\n{b}"
    );
    assert_eq!(
        rendered(&a) + rendered(&b),
        ENTRIES as u64,
        "nothing rendered twice:\n{a}\n{b}"
    );

    let outcomes = outcomes(&redis);
    assert_eq!(outcomes.len(), ids.len());
    let seen: HashSet<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(seen, ids.iter().map(String::as_str).collect());
}

#[test]
fn a_killed_workers_entries_are_claimed_and_every_entry_comes_out_once() {
    const ENTRIES: usize = 100_000;
    let Some(redis) = Redis::start("kill") else {
        return;
    };
    let ids = load(&redis, &small_records(ENTRIES));
    assert_eq!(ids.len(), ENTRIES);
    let mut doomed = worker(
        &redis,
        SMALL_MESSAGE,
        &[
            "--consumer",
            "doomed",
            "--batch",
            "500",
            "--claim-after",
            "1s",
        ],
    )
    .spawn()
    .unwrap();
    let mut connection = redis.connection();
    wait_for(
        "the first worker to be midway",
        Duration::from_secs(300),
        || connection.xlen::<_, usize>("out").unwrap() >= ENTRIES / 3,
    );
    // Kill it while it holds entries it has not written. It holds none for a moment
    // now and then (before it claims, it finishes what it has), so freeze it, look,
    // and let it run on a little when it holds nothing.
    let mut frozen = None;
    for attempt in 0..200 {
        signal(&doomed, Signal::SIGSTOP);
        let done = settled_frozen(&redis, "doomed");
        if !done.held.is_empty() {
            eprintln!(
                "froze the worker at look {}: {} written, {} held",
                attempt + 1,
                done.written,
                done.held.len()
            );
            frozen = Some(done);
            break;
        }
        signal(&doomed, Signal::SIGCONT);
        std::thread::sleep(Duration::from_millis(1 + attempt % 20));
    }
    let frozen = frozen.expect("the worker held entries at one of 200 looks");
    doomed.kill().unwrap(); // SIGKILL, still frozen
    doomed.wait().unwrap();
    let dead = settled_dead(&redis, "doomed");
    assert_eq!(dead, frozen, "a frozen worker changes nothing more");
    assert!(dead.written < ENTRIES, "killed midway");

    let output = run(worker(
        &redis,
        SMALL_MESSAGE,
        &[
            "--consumer",
            "survivor",
            "--batch",
            "500",
            "--claim-after",
            "1s",
            "--drain",
        ],
    ));
    let stderr = text(&output.stderr);
    assert_eq!(
        summary_count(&stderr, "recovered"),
        dead.held.len() as u64,
        "the survivor rendered what the dead worker held: {stderr}"
    );
    assert_eq!(
        summary_count(&stderr, "outcomes written") as usize,
        ENTRIES - dead.written,
        "{stderr}"
    );

    let outcomes = outcomes(&redis);
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &outcomes {
        *count.entry(id.as_str()).or_default() += 1;
    }
    let missing = ids
        .iter()
        .filter(|id| !count.contains_key(id.as_str()))
        .count();
    assert_eq!(missing, 0, "every input entry has an outcome");
    // Writing an outcome and acknowledging its entry are one step, so the killed
    // worker cannot have written an entry it had not acknowledged: no duplicates.
    let duplicates: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "duplicated outcomes: {duplicates:?}");
    assert_eq!(outcomes.len(), ENTRIES);
    let survivor: HashSet<&str> = outcomes[dead.written..]
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(
        dead.held.iter().all(|id| survivor.contains(id.as_str())),
        "the survivor wrote what the dead worker held"
    );
    assert_eq!(pending(&redis), 0);
}

#[test]
fn a_slow_workers_claimed_entries_are_written_once_by_the_claimer() {
    const ENTRIES: usize = 5_000;
    let Some(redis) = Redis::start("slow") else {
        return;
    };
    let ids = load(&redis, &small_records(ENTRIES));
    let slow = worker(
        &redis,
        SMALL_MESSAGE,
        &["--consumer", "slow", "--batch", "100", "--jobs", "1"],
    )
    .spawn()
    .unwrap();
    let mut connection = redis.connection();
    wait_for(
        "the slow worker's first outcomes",
        Duration::from_secs(120),
        || connection.xlen::<_, usize>("out").unwrap() > 0,
    );
    // Frozen with entries in hand, as a worker stalls (a long pause, a swapped-out
    // process) while the others think it dead.
    let mut frozen = None;
    for attempt in 0..200 {
        signal(&slow, Signal::SIGSTOP);
        let done = settled_frozen(&redis, "slow");
        if !done.held.is_empty() {
            frozen = Some(done);
            break;
        }
        signal(&slow, Signal::SIGCONT);
        std::thread::sleep(Duration::from_millis(1 + attempt % 20));
    }
    let frozen = frozen.expect("the slow worker held entries at one of 200 looks");
    assert!(frozen.written < ENTRIES, "caught midway");
    // The claimer takes what the slow worker holds, and everything else.
    let output = run(worker(
        &redis,
        SMALL_MESSAGE,
        &["--consumer", "claimer", "--claim-after", "100ms", "--drain"],
    ));
    let claimer = text(&output.stderr);
    assert_eq!(
        summary_count(&claimer, "recovered"),
        frozen.held.len() as u64,
        "{claimer}"
    );
    assert_eq!(outcomes(&redis).len(), ENTRIES, "{claimer}");
    // The slow worker wakes up and finishes what it had in hand: all of it was
    // written by the claimer meanwhile.
    signal(&slow, Signal::SIGCONT);
    wait_for(
        "the slow worker to finish its batches",
        Duration::from_secs(120),
        || {
            clients_of(&mut connection, "slow")
                .iter()
                .all(|c| c["name"].ends_with(":writer") || c["flags"].contains('b'))
                && held_by(&mut connection, "slow").is_empty()
        },
    );
    signal(&slow, Signal::SIGTERM);
    let output = slow.wait_with_output().unwrap();
    let slow = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{slow}");
    assert_eq!(
        summary_count(&slow, "skipped"),
        frozen.held.len() as u64,
        "{slow}"
    );
    assert_eq!(
        summary_count(&slow, "outcomes written") as usize,
        frozen.written,
        "{slow}"
    );

    let outcomes = outcomes(&redis);
    let seen: HashSet<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(seen, ids.iter().map(String::as_str).collect());
    assert_eq!(outcomes.len(), ENTRIES, "no entry twice");
    assert_eq!(pending(&redis), 0);
}

#[test]
fn an_entry_delivered_too_often_goes_to_the_dead_letter_stream() {
    let Some(redis) = Redis::start("poison") else {
        return;
    };
    let ids = load(&redis, &small_records(3));
    let mut connection = redis.connection();
    let _: () = redis::cmd("XGROUP")
        .arg(&["CREATE", "in", "g", "0"])
        .query(&mut connection)
        .unwrap();
    // A consumer that took the first two entries and never finished them: the first
    // as if it had crashed on it nine times, the second then deleted from the stream.
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg(&["GROUP", "g", "ghost", "COUNT", "2", "STREAMS", "in", ">"])
        .query(&mut connection)
        .unwrap();
    // Both left idle for a minute already, as far as Redis knows.
    let _: redis::Value = redis::cmd("XCLAIM")
        .arg(&[
            "in",
            "g",
            "ghost",
            "0",
            &ids[0],
            "IDLE",
            "60000",
            "RETRYCOUNT",
            "9",
        ])
        .query(&mut connection)
        .unwrap();
    let _: redis::Value = redis::cmd("XCLAIM")
        .arg(&["in", "g", "ghost", "0", &ids[1], "IDLE", "60000"])
        .query(&mut connection)
        .unwrap();
    let _: usize = connection.xdel("in", &[&ids[1]]).unwrap();

    let output = run(worker(
        &redis,
        SMALL_MESSAGE,
        &["--drain", "--claim-after", "30s", "--max-deliveries", "5"],
    ));
    let stderr = text(&output.stderr);
    assert_eq!(summary_count(&stderr, "dead-lettered"), 2, "{stderr}");

    let outcomes: Vec<String> = outcomes(&redis).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        outcomes,
        [ids[2].clone()],
        "only the healthy entry is rendered"
    );
    let dead = range(&mut connection, "in:dead");
    assert_eq!(dead.len(), 2, "{dead:?}");
    let by_key: HashMap<&str, &HashMap<String, String>> = dead
        .iter()
        .map(|(_, f)| (f["idempotency_key"].as_str(), f))
        .collect();
    let poison = by_key[format!("in:{}", ids[0]).as_str()];
    assert_eq!(
        poison["reason"],
        "delivered 10 times, more than --max-deliveries 5, without its outcome being written"
    );
    assert_eq!(poison["deliveries"], "10");
    assert!(
        poison["record"].contains("\"u-0\""),
        "the record is kept for replay"
    );
    let deleted = by_key[format!("in:{}", ids[1]).as_str()];
    assert_eq!(
        deleted["reason"],
        "deleted from in while pending: its record is gone"
    );
    assert_eq!(pending(&redis), 0, "dead letters are acknowledged");
}

#[test]
fn sigterm_finishes_the_batch_in_hand_and_exits_0() {
    const BATCH: usize = 1000;
    let Some(redis) = Redis::start("sigterm") else {
        return;
    };
    let ids = load(&redis, &small_records(30_000));
    let child = worker(
        &redis,
        SMALL_MESSAGE,
        &["--batch", "1000", "--jobs", "1", "--consumer", "stopping"],
    )
    .spawn()
    .unwrap();
    let mut connection = redis.connection();
    wait_for("the first outcomes", Duration::from_secs(120), || {
        connection.xlen::<_, usize>("out").unwrap() > 0
    });
    // Frozen, it reads nothing more until it has the signal in hand.
    signal(&child, Signal::SIGSTOP);
    let before = settled_frozen(&redis, "stopping");
    assert!(
        before.written + 3 * BATCH < ids.len(),
        "caught early enough to tell stopping from finishing: {} written",
        before.written
    );
    signal(&child, Signal::SIGTERM);
    signal(&child, Signal::SIGCONT);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let written = outcomes(&redis).len();
    // It holds at most three batches (one read, one rendering, one being written):
    // those it finishes, and reads no more.
    assert!(
        written >= before.written + before.held.len() && written <= before.written + 3 * BATCH,
        "{} written before the signal, {} held, {written} at the end",
        before.written,
        before.held.len()
    );
    assert_eq!(
        summary_count(&stderr, "outcomes written") as usize,
        written,
        "{stderr}"
    );
    assert_eq!(
        pending(&redis),
        0,
        "every entry it read was written and acknowledged"
    );
}

#[test]
fn a_redis_restart_mid_run_loses_nothing() {
    let Some(mut redis) = Redis::start("restart") else {
        return;
    };
    let ids = load(&redis, &small_records(30_000));
    let child = worker(
        &redis,
        SMALL_MESSAGE,
        &["--batch", "200", "--claim-after", "2s", "--consumer", "w"],
    )
    .spawn()
    .unwrap();
    wait_for("the first outcomes", Duration::from_secs(120), || {
        redis.connection().xlen::<_, usize>("out").unwrap() > 2000
    });
    // Restarted while the worker is frozen midway, with entries in hand and perhaps a
    // write half sent: it finds its connections gone when it runs again.
    signal(&child, Signal::SIGSTOP);
    let before = settled_frozen(&redis, "w");
    assert!(before.written < ids.len(), "caught midway");
    redis.restart();
    signal(&child, Signal::SIGCONT);
    wait_for("every entry", Duration::from_secs(300), || {
        redis.connection().xlen::<_, usize>("out").unwrap() >= ids.len() && pending(&redis) == 0
    });
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("trying again"),
        "the worker saw the restart: {stderr}"
    );
    let outcomes = outcomes(&redis);
    let seen: HashSet<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(seen.len(), ids.len(), "every entry once");
    assert_eq!(outcomes.len(), ids.len(), "no entry twice");
}

#[test]
fn a_directory_of_messages_is_chosen_by_event_or_by_an_entry_field() {
    let Some(redis) = Redis::start("directory") else {
        return;
    };
    let mut connection = redis.connection();
    let record = |event: &str| {
        let data = match event {
            "CT Points Credited" => {
                r#"{"points":7,"walletId":"w-1","campaignId":"c-1","source":"API","transactionId":"t-1"}"#
            }
            _ => {
                r#"{"couponCode":"C-1","couponId":"k-1","campaignId":"c-1","orderId":"o-1","couponStartDate":"01-11-2026 00:00:00","couponExpiryDate":"30-11-2026 23:59:59"}"#
            }
        };
        format!(r#"{{"identity":"u-1","evtName":"{event}","evtData":{data}}}"#)
    };
    let add = |connection: &mut Connection, fields: &[(&str, String)]| -> String {
        connection.xadd("in", "*", fields).unwrap()
    };
    let credited = add(&mut connection, &[("record", record("CT Points Credited"))]);
    let rewarded = add(&mut connection, &[("record", record("CT Coupon Rewarded"))]);
    let redeemed = add(&mut connection, &[("record", record("CT Coupon Redeemed"))]);
    run(worker(
        &redis,
        "tests/fixtures/worker/messages",
        &["--drain"],
    ));
    let by_event: HashMap<String, Value> = outcomes(&redis).into_iter().collect();
    assert_eq!(by_event[&credited]["fields"]["body"], "+7 points");
    assert_eq!(by_event[&rewarded]["fields"]["body"], "Your code: C-1");
    assert_eq!(by_event[&redeemed]["kind"], "wrong_event");
    assert_eq!(
        by_event[&redeemed]["message"],
        "no message in tests/fixtures/worker/messages is for \"CT Coupon Redeemed\""
    );

    let _: () = connection.del(&["in", "out"]).unwrap();
    let named = add(
        &mut connection,
        &[
            ("record", record("CT Points Credited")),
            ("message", "points.sms".into()),
        ],
    );
    let unknown = add(
        &mut connection,
        &[
            ("record", record("CT Points Credited")),
            ("message", "nope".into()),
        ],
    );
    let unnamed = add(&mut connection, &[("record", record("CT Points Credited"))]);
    let wrong = add(
        &mut connection,
        &[
            ("record", record("CT Points Credited")),
            ("message", "coupon.sms.toml".into()),
        ],
    );
    run(worker(
        &redis,
        "tests/fixtures/worker/messages",
        &[
            "--drain",
            "--message-field",
            "message",
            "--group-start",
            "0",
        ],
    ));
    let by_field: HashMap<String, Value> = outcomes(&redis).into_iter().collect();
    assert_eq!(by_field[&named]["fields"]["body"], "+7 points");
    assert_eq!(by_field[&unknown]["kind"], "invalid_entry");
    assert_eq!(
        by_field[&unnamed]["message"],
        "the entry has no \"message\" field naming its message"
    );
    assert_eq!(by_field[&wrong]["kind"], "wrong_event");
}
