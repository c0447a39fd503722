//! The Redis side of the worker: a connection that comes back after it is lost, the
//! stream commands the worker sends, and the two ways it writes outcomes and
//! acknowledges their entries in one step.
//!
//! **Written once.** An outcome is written only together with the acknowledgement
//! that takes its entry off the pending list, so an entry that another consumer claimed
//! and acknowledged is not written again. The script [`WRITE_AND_ACK`] checks that for
//! each entry, but passing every outcome through Redis's Lua costs Redis more than
//! reading and writing the entries (each string given to Lua is hashed byte by byte).
//! So a batch read fresh from the stream is written with `MULTI`, `XADD`s, one `XACK`
//! and `EXEC`, which checks nothing per entry, and made safe by a counter: every claim
//! of pending entries by a worker increments `IN:claims` in the same transaction, the
//! reader notes the counter before each read, and the writer `WATCH`es it and writes
//! by transaction only when it has not moved since the read; `EXEC` fails if it moves
//! meanwhile. An entry read fresh can only leave this consumer's pending list by a
//! claim or by this worker's own acknowledgement, so an unmoved counter means every
//! entry of the batch is still this consumer's. Otherwise (a claim since the read, a
//! batch of claimed or re-read entries, a retry after a lost connection, whose first
//! try may have been carried out) the script writes it. An `XCLAIM` sent by hand does
//! not move the counter; the idempotency key is there for that and for a Redis that
//! loses acknowledged writes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow};

use super::resp::{self, Address, Command, Connection, Pipeline, Reply};

/// Writes one entry to `KEYS[2]` for each entry of `KEYS[1]` that this call
/// acknowledges, both in one step (a script runs whole or not at all). An entry that is
/// no longer pending (another consumer claimed it and wrote it first, or an earlier try
/// of this very call got through before the connection broke) is skipped: nothing is
/// written twice. Returns how many entries were written. A `KEYS[2]` that is not a
/// stream is refused before anything is acknowledged.
///
/// ARGV: the group, the `MAXLEN ~` of `KEYS[2]` (empty for none), the idempotency
/// key's prefix (`IN:`), the number N of fields after the key and their N names, then
/// for each entry its id and its N values. Each written entry's fields are
/// `idempotency_key` (the prefix and the id) and the N named ones. The names come once
/// and the key is made here, so that each entry costs Redis two strings, not five.
const WRITE_AND_ACK: &str = r"
local kind = redis.call('TYPE', KEYS[2])['ok']
if kind ~= 'stream' and kind ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[2] .. ' holds a ' .. kind .. ', not a stream')
end
local group, maxlen, prefix, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local add = {'XADD', KEYS[2]}
if maxlen ~= '' then
  add[3] = 'MAXLEN'; add[4] = '~'; add[5] = maxlen
end
add[#add + 1] = '*'
add[#add + 1] = 'idempotency_key'
local key = #add + 1
add[key] = ''
for j = 1, n do add[key + 2 * j - 1] = ARGV[4 + j] end
local written = 0
for i = 5 + n, #ARGV, 1 + n do
  local id = ARGV[i]
  if redis.call('XACK', KEYS[1], group, id) == 1 then
    add[key] = prefix .. id
    for j = 1, n do add[key + 2 * j] = ARGV[i + j] end
    redis.call(unpack(add))
    written = written + 1
  end
end
return written
";

/// A stream entry as read: its id and its field/value pairs.
#[derive(Debug, Default)]
pub struct Entry {
    /// The entry id (`1764000000000-0`).
    pub id: String,
    /// The fields in order; `None` when the entry was deleted from the stream while
    /// it was pending.
    pub fields: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Entry {
    /// The value of the first field named `name`.
    pub fn field(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value)
    }

    /// The field/value pairs.
    pub fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.fields
            .iter()
            .flatten()
            .map(|(f, v)| (f.as_slice(), v.as_slice()))
    }
}

/// What one `XAUTOCLAIM` call gave.
#[derive(Debug, Default)]
pub struct Claimed {
    /// Where the next call starts; `0-0` when the pending list has been scanned.
    pub cursor: String,
    /// The entries now owned by this consumer.
    pub entries: Vec<Entry>,
    /// Pending entries that had been deleted from the stream: Redis dropped them from
    /// the pending list.
    pub deleted: Vec<String>,
}

/// The group's state, for progress lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupState {
    /// Entries delivered to some consumer and not yet acknowledged.
    pub pending: u64,
    /// Entries not yet delivered to any consumer (`None` when Redis cannot tell).
    pub lag: Option<u64>,
}

/// The names one worker works with.
#[derive(Clone, Debug)]
pub struct Names {
    /// The input stream.
    pub input: String,
    /// The output stream.
    pub output: String,
    /// The dead-letter stream.
    pub dead: String,
    /// The claim counter (`IN:claims`), incremented by each claim.
    pub claims: String,
    /// The consumer group.
    pub group: String,
    /// This worker's consumer name.
    pub consumer: String,
}

/// Where the worker's Redis is and how to log in, read from its URL.
#[derive(Debug, Clone)]
pub struct Target {
    address: Address,
    /// Shown in messages (`127.0.0.1:6379`).
    shown: String,
    username: Option<String>,
    password: Option<String>,
    db: i64,
}

impl Target {
    /// Reads `redis://[user:password@]host[:port][/db]` or `redis+unix:///path[?db=N]`.
    pub fn parse(url: &str) -> Result<Target> {
        let client =
            redis::Client::open(url).map_err(|e| anyhow!("{url:?} is not a Redis URL: {e}"))?;
        let info = client.get_connection_info();
        let address = match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => Address::Tcp(host.clone(), *port),
            #[cfg(unix)]
            redis::ConnectionAddr::Unix(path) => Address::Unix(path.clone()),
            other => return Err(anyhow!("{url:?}: the worker cannot connect to {other}")),
        };
        let settings = info.redis_settings();
        Ok(Target {
            address,
            shown: info.addr().to_string(),
            username: settings.username().map(str::to_owned),
            password: settings.password().map(str::to_owned),
            db: settings.db(),
        })
    }
}

/// A connection to Redis that is made again, with backoff, whenever it is lost. Every
/// command is retried until it goes through or fails for a reason a retry cannot fix.
pub struct Link {
    target: Target,
    connection: Option<Connection>,
    /// Says which thread is talking, in messages.
    role: &'static str,
    /// The connection's name on the server (`CLIENT SETNAME`).
    name: String,
    /// How many times the connection was lost and made again.
    pub reconnects: u64,
    /// When set, retries give up once it is true (a reader that holds nothing need not
    /// wait for Redis to come back before it stops).
    stop: Option<Arc<AtomicBool>>,
}

/// Why a command gave up: the worker is stopping and the command was only retrying.
#[derive(Debug, thiserror::Error)]
#[error("stopped while waiting for redis")]
pub struct Stopped;

/// The claim counter as a reader saw it just before a read: the batch read may be
/// written by transaction while the counter still holds this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch(Option<Vec<u8>>);

/// [`WRITE_AND_ACK`]'s SHA-1, by which it is called once Redis knows it.
static SCRIPT_SHA: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| redis::Script::new(WRITE_AND_ACK).get_hash().to_owned());

/// How long a reply may take before the connection counts as lost. Above every
/// `BLOCK` the worker uses, and far above any command's time on a healthy server.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// What to do about a failed command.
enum Verdict {
    /// Make a new connection, then try again.
    Reconnect,
    /// Wait, then try again on the same connection.
    Wait,
    /// Give up: a retry cannot help.
    Fail,
}

impl Link {
    /// A link for the stage `role` of the worker `consumer`.
    pub fn new(target: Target, consumer: &str, role: &'static str) -> Link {
        Link {
            target,
            connection: None,
            role,
            name: client_name(consumer, role),
            reconnects: 0,
            stop: None,
        }
    }

    /// Gives up retrying once `stop` is set.
    pub fn stop_on(mut self, stop: Arc<AtomicBool>) -> Link {
        self.stop = Some(stop);
        self
    }

    fn stopping(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Runs `command` until it succeeds, reconnecting with backoff after a lost
    /// connection or a transient error (loading, OOM, failover). Other errors are
    /// returned.
    fn run<T>(
        &mut self,
        what: &str,
        mut command: impl FnMut(&mut Connection) -> Result<T, resp::Error>,
    ) -> Result<T> {
        let mut backoff = Backoff::default();
        loop {
            if self.stopping() && (self.connection.is_none() || backoff.tries > 0) {
                return Err(Stopped.into());
            }
            if self.connection.is_none() {
                match self.connect() {
                    Ok(connection) => self.connection = Some(connection),
                    Err(e) => {
                        if let Verdict::Fail = verdict(&e) {
                            return Err(anyhow!(
                                "cannot connect to redis at {}: {e}",
                                self.target.shown
                            ));
                        }
                        let wait = backoff.next();
                        eprintln!(
                            "worker: {}: cannot connect to redis at {}: {e}; trying again in {:.1} s",
                            self.role,
                            self.target.shown,
                            wait.as_secs_f64()
                        );
                        std::thread::sleep(wait);
                        continue;
                    }
                }
            }
            let Some(connection) = self.connection.as_mut() else {
                continue;
            };
            match command(connection) {
                Ok(value) => return Ok(value),
                Err(e) => {
                    match verdict(&e) {
                        Verdict::Fail => return Err(anyhow!("{what}: {e}")),
                        Verdict::Reconnect => {
                            self.connection = None;
                            self.reconnects += 1;
                        }
                        Verdict::Wait => {}
                    }
                    let wait = backoff.next();
                    eprintln!(
                        "worker: {}: {what}: {e}; trying again in {:.1} s",
                        self.role,
                        wait.as_secs_f64()
                    );
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// Connects, logs in, selects the database and names the connection.
    fn connect(&self) -> Result<Connection, resp::Error> {
        let mut connection = Connection::open(&self.target.address, REPLY_TIMEOUT)?;
        if let Some(password) = &self.target.password {
            let mut auth = Command::new("AUTH");
            if let Some(user) = &self.target.username {
                auth.arg(user);
            }
            connection.query(auth.arg(password))?;
        }
        if self.target.db != 0 {
            connection.query(Command::new("SELECT").arg(self.target.db.to_string()))?;
        }
        // Named, so that `CLIENT LIST` shows whose connection it is. A server that
        // refuses (a user without the `client` permission) is not an error.
        match connection.query(Command::new("CLIENT").arg("SETNAME").arg(&self.name)) {
            Err(e @ (resp::Error::Io(_) | resp::Error::Protocol(_))) => Err(e),
            _ => Ok(connection),
        }
    }

    /// Creates the group (and the stream) unless it exists; a new group starts after
    /// `start` (`0`: the whole stream, `$`: only entries added from now on).
    pub fn ensure_group(&mut self, names: &Names, start: &str) -> Result<()> {
        let mut create = Command::new("XGROUP");
        create
            .arg("CREATE")
            .arg(&names.input)
            .arg(&names.group)
            .arg(start)
            .arg("MKSTREAM");
        self.run("creating the consumer group", |c| match c.query(&create) {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other.map(drop),
        })
    }

    /// Up to `count` entries never delivered to any consumer of the group, waiting up
    /// to `block` for the first when there is none, and the claim counter as it was
    /// just before.
    pub fn read_new(
        &mut self,
        names: &Names,
        count: usize,
        block: Option<Duration>,
    ) -> Result<(Epoch, Vec<Entry>)> {
        let mut get = Command::new("GET");
        get.arg(&names.claims);
        let commands = [get, read_command(names, count, block, ">")];
        let mut replies = self.run("reading the stream", |c| c.query_all(&commands))?;
        let entries = stream_entries(replies.pop())?;
        let epoch = match replies.pop() {
            Some(Reply::Bulk(value)) => Epoch(Some(value)),
            _ => Epoch(None),
        };
        Ok((epoch, entries))
    }

    /// Up to `count` of this consumer's own pending entries after id `after`: what it
    /// was given before a restart or a lost reply and has not acknowledged.
    pub fn read_own(&mut self, names: &Names, count: usize, after: &str) -> Result<Vec<Entry>> {
        let read = read_command(names, count, None, after);
        let reply = self.run("reading the stream", |c| c.query(&read))?;
        stream_entries(Some(reply))
    }

    /// Claims up to `count` entries that other consumers have left pending for at
    /// least `min_idle`, scanning the pending list from `cursor`.
    pub fn autoclaim(
        &mut self,
        names: &Names,
        min_idle: Duration,
        cursor: &str,
        count: usize,
    ) -> Result<Claimed> {
        let mut claim = Command::new("XAUTOCLAIM");
        claim
            .arg(&names.input)
            .arg(&names.group)
            .arg(&names.consumer)
            .int(min_idle.as_millis() as u64)
            .arg(cursor)
            .arg("COUNT")
            .int(count as u64);
        let mut incr = Command::new("INCR");
        incr.arg(&names.claims);
        // The counter moves with the claim, in one step: see the module's docs.
        let commands = [Command::new("MULTI"), incr, claim, Command::new("EXEC")];
        let mut replies = self.run("claiming pending entries", |c| {
            let mut replies = c.query_all(&commands)?;
            match replies.pop() {
                Some(Reply::Array(results)) => {
                    for result in &results {
                        if let Reply::Error(message) = result {
                            return Err(resp::Error::Server(message.clone()));
                        }
                    }
                    Ok(results)
                }
                other => Err(resp::Error::Protocol(format!(
                    "EXEC gave {other:?} for a claim"
                ))),
            }
        })?;
        let reply = replies.pop().unwrap_or(Reply::Nil);
        let Reply::Array(parts) = reply else {
            return Err(anyhow!("XAUTOCLAIM gave an unexpected reply: {reply:?}"));
        };
        let mut parts = parts.into_iter();
        let cursor = parts
            .next()
            .and_then(Reply::into_text)
            .unwrap_or_else(|| "0-0".to_owned());
        let entries = entries(parts.next())?;
        let deleted = match parts.next() {
            Some(Reply::Array(ids)) => ids.into_iter().filter_map(Reply::into_text).collect(),
            _ => Vec::new(),
        };
        Ok(Claimed {
            cursor,
            entries,
            deleted,
        })
    }

    /// How many times each of `ids`, pending to this consumer, has been delivered.
    pub fn deliveries(&mut self, names: &Names, ids: &[&str]) -> Result<HashMap<String, u64>> {
        let (Some(low), Some(high)) = (
            ids.iter().min_by_key(|id| id_order(id)),
            ids.iter().max_by_key(|id| id_order(id)),
        ) else {
            return Ok(HashMap::new());
        };
        let mut pending = Command::new("XPENDING");
        pending
            .arg(&names.input)
            .arg(&names.group)
            .arg(low)
            .arg(high)
            // Everything this consumer holds in the range: at least `ids`.
            .int(i32::MAX as u64)
            .arg(&names.consumer);
        let reply = self.run("reading delivery counts", |c| c.query(&pending))?;
        let mut counts = HashMap::new();
        if let Reply::Array(rows) = reply {
            for row in rows {
                if let Reply::Array(row) = row
                    && let [Reply::Bulk(id), _consumer, _idle, Reply::Int(count)] = row.as_slice()
                    && let Ok(id) = std::str::from_utf8(id)
                {
                    counts.insert(id.to_owned(), *count as u64);
                }
            }
        }
        Ok(counts)
    }

    /// Writes each entry of `writes` to its target stream if its input entry is still
    /// pending and acknowledges it, in one step; an entry already acknowledged is
    /// skipped. `epoch` is the claim counter before the entries were read, for a batch
    /// read fresh from the stream (see the module's docs). Returns how many were
    /// written.
    pub fn write_and_ack(&mut self, writes: &Writes, epoch: Option<&Epoch>) -> Result<u64> {
        if writes.ids.is_empty() {
            return Ok(0);
        }
        let mut load = Command::new("SCRIPT");
        load.arg("LOAD").arg(WRITE_AND_ACK);
        // Only a first try may go by transaction: a retry's first try may have been
        // carried out, and only the script tells what was written.
        let mut first = epoch;
        let reply = self.run("writing outcomes", |c| {
            if let Some(epoch) = first.take()
                && let Some(written) = write_by_transaction(c, writes, epoch)?
            {
                return Ok(Reply::Int(written as i64));
            }
            let script = writes.script();
            match c.query(&script) {
                // Redis forgets scripts when it restarts: teach it again.
                Err(e) if e.code() == Some("NOSCRIPT") => {
                    c.query(&load)?;
                    c.query(&script)
                }
                other => other,
            }
        })?;
        match reply {
            Reply::Int(n) => Ok(n.max(0) as u64),
            other => Err(anyhow!(
                "the write script gave an unexpected reply: {other:?}"
            )),
        }
    }

    /// Adds one entry to `stream` (for entries no longer in any pending list).
    pub fn add(&mut self, stream: &str, fields: &[(&str, &str)]) -> Result<()> {
        let mut add = Command::new("XADD");
        add.arg(stream).arg("*");
        for (field, value) in fields {
            add.arg(field).arg(value);
        }
        self.run("writing to the dead-letter stream", |c| {
            c.query(&add).map(drop)
        })
    }

    /// The group's pending count and lag.
    pub fn group_state(&mut self, names: &Names) -> Result<GroupState> {
        let mut info = Command::new("XINFO");
        info.arg("GROUPS").arg(&names.input);
        let reply = self.run("reading the group's state", |c| c.query(&info))?;
        let Reply::Array(groups) = reply else {
            return Ok(GroupState::default());
        };
        for group in groups {
            let Reply::Array(flat) = group else {
                continue;
            };
            let mut fields = HashMap::new();
            let mut flat = flat.into_iter();
            while let (Some(key), Some(value)) = (flat.next(), flat.next()) {
                if let Some(key) = key.into_text() {
                    fields.insert(key, value);
                }
            }
            if fields
                .get("name")
                .cloned()
                .and_then(Reply::into_text)
                .as_deref()
                == Some(&names.group)
            {
                let number = |key: &str| match fields.get(key) {
                    Some(Reply::Int(n)) => u64::try_from(*n).ok(),
                    _ => None,
                };
                return Ok(GroupState {
                    pending: number("pending").unwrap_or(0),
                    lag: number("lag"),
                });
            }
        }
        Ok(GroupState::default())
    }
}

/// A batch of writes for [`Link::write_and_ack`]: entries of one target stream, each
/// with the fields `idempotency_key` (`IN:ID`) and then the same named ones.
pub struct Writes<'a> {
    names: &'a Names,
    target: &'a str,
    maxlen: Option<u64>,
    fields: Vec<&'a [u8]>,
    ids: Vec<&'a str>,
    /// Each entry's values, `fields.len()` of them an entry.
    values: Vec<&'a [u8]>,
}

impl<'a> Writes<'a> {
    /// Writes to `target` (`MAXLEN ~ maxlen` when given), acknowledging input entries of
    /// `names`.
    pub fn new(
        names: &'a Names,
        target: &'a str,
        maxlen: Option<u64>,
        fields: &[&'a [u8]],
    ) -> Writes<'a> {
        Writes {
            names,
            target,
            maxlen,
            fields: fields.to_vec(),
            ids: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds the entry for input entry `id`: one value per field.
    pub fn entry(&mut self, id: &'a str, values: impl IntoIterator<Item = &'a [u8]>) {
        let before = self.values.len();
        self.values.extend(values);
        debug_assert_eq!(self.values.len() - before, self.fields.len());
        self.ids.push(id);
    }

    fn entries(&self) -> impl Iterator<Item = (&'a str, &[&'a [u8]])> {
        self.ids
            .iter()
            .copied()
            .zip(self.values.chunks(self.fields.len().max(1)))
    }

    /// The script call that writes them all.
    fn script(&self) -> Command {
        let names = self.names;
        let mut command = Command::new("EVALSHA");
        command
            .arg(SCRIPT_SHA.as_str())
            .arg("2")
            .arg(&names.input)
            .arg(self.target)
            .arg(&names.group)
            .arg(self.maxlen.map_or(String::new(), |n| n.to_string()))
            .arg(format!("{}:", names.input))
            .int(self.fields.len() as u64);
        for field in &self.fields {
            command.arg(field);
        }
        for (id, values) in self.entries() {
            command.arg(id);
            for value in values {
                command.arg(value);
            }
        }
        command
    }

    /// The transaction that writes them all and acknowledges them: `MULTI`, an `XADD`
    /// each, one `XACK`, `EXEC`.
    fn transaction(&self) -> Pipeline {
        let names = self.names;
        // Each entry's values, and about 100 bytes of names, ids and lengths.
        let room = self.values.iter().map(|v| v.len() + 16).sum::<usize>()
            + self.ids.len() * (100 + names.input.len() + self.target.len())
            + 64 * self.fields.len();
        let mut pipeline = Pipeline::with_capacity(room);
        pipeline.push(&Command::new("MULTI"));
        let maxlen = self.maxlen.map(|n| n.to_string());
        let count = 5 + if maxlen.is_some() { 3 } else { 0 } + 2 * self.fields.len();
        let mut key = Vec::new();
        for (id, values) in self.entries() {
            pipeline.begin(count);
            pipeline.arg(b"XADD");
            pipeline.arg(self.target.as_bytes());
            if let Some(maxlen) = &maxlen {
                pipeline.arg(b"MAXLEN");
                pipeline.arg(b"~");
                pipeline.arg(maxlen.as_bytes());
            }
            key.clear();
            key.extend_from_slice(names.input.as_bytes());
            key.push(b':');
            key.extend_from_slice(id.as_bytes());
            pipeline.arg(b"*");
            pipeline.arg(b"idempotency_key");
            pipeline.arg(&key);
            for (field, value) in self.fields.iter().zip(values) {
                pipeline.arg(field);
                pipeline.arg(value);
            }
        }
        let mut ack = Command::new("XACK");
        ack.arg(&names.input).arg(&names.group);
        for id in &self.ids {
            ack.arg(id);
        }
        pipeline.push(&ack);
        pipeline.push(&Command::new("EXEC"));
        pipeline
    }
}

/// Writes `writes` by transaction if the claim counter still holds `epoch` (see the
/// module's docs): `None` when it does not, or moved before `EXEC`, or the target is not
/// a stream (the script then says so), and nothing was written.
fn write_by_transaction(
    c: &mut Connection,
    writes: &Writes,
    epoch: &Epoch,
) -> Result<Option<u64>, resp::Error> {
    let names = writes.names;
    let mut watch = Command::new("WATCH");
    watch.arg(&names.claims);
    let mut get = Command::new("GET");
    get.arg(&names.claims);
    let mut kind = Command::new("TYPE");
    kind.arg(writes.target);
    let replies = c.query_all(&[watch, get, kind])?;
    let now = match replies.get(1) {
        Some(Reply::Bulk(value)) => Epoch(Some(value.clone())),
        _ => Epoch(None),
    };
    let stream = matches!(
        replies.get(2),
        Some(Reply::Status(kind)) if kind == "stream" || kind == "none"
    );
    if now != *epoch || !stream {
        c.query(&Command::new("UNWATCH"))?;
        return Ok(None);
    }
    let mut replies = c.query_pipeline(&writes.transaction())?;
    match replies.pop() {
        // The counter moved after WATCH: nothing was carried out.
        Some(Reply::Nil) => Ok(None),
        Some(Reply::Array(results)) => {
            if let Some(Reply::Error(message)) =
                results.iter().find(|r| matches!(r, Reply::Error(_)))
            {
                return Err(resp::Error::Server(message.clone()));
            }
            Ok(Some(writes.ids.len() as u64))
        }
        other => Err(resp::Error::Protocol(format!(
            "EXEC gave {other:?} for a write"
        ))),
    }
}

/// `XREADGROUP` for this consumer from `id` (`>`: entries never delivered).
fn read_command(names: &Names, count: usize, block: Option<Duration>, id: &str) -> Command {
    let mut read = Command::new("XREADGROUP");
    read.arg("GROUP").arg(&names.group).arg(&names.consumer);
    read.arg("COUNT").int(count as u64);
    if let Some(block) = block {
        read.arg("BLOCK").int(block.as_millis().max(1) as u64);
    }
    read.arg("STREAMS").arg(&names.input).arg(id);
    read
}

/// The entries of an `XREADGROUP` reply (`[[stream, entries]]`, or nil for none).
fn stream_entries(reply: Option<Reply>) -> Result<Vec<Entry>> {
    match reply {
        None | Some(Reply::Nil) => Ok(Vec::new()),
        Some(Reply::Array(streams)) => match streams.into_iter().next() {
            Some(Reply::Array(mut stream)) if stream.len() == 2 => entries(stream.pop()),
            _ => Ok(Vec::new()),
        },
        Some(other) => Err(anyhow!("XREADGROUP gave an unexpected reply: {other:?}")),
    }
}

/// The name a worker's connection goes by on the server, `promo-liquid:CONSUMER:ROLE`
/// (`CLIENT LIST` shows it): a character a client name cannot hold (a space, a
/// non-ASCII letter) becomes `_`.
pub fn client_name(consumer: &str, role: &str) -> String {
    format!("promo-liquid:{consumer}:{role}")
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect()
}

/// What a retry can do about `e`: a lost connection is made again; a server that is
/// loading, out of memory, busy with a script or failing over is waited for; anything
/// else (a key of the wrong type, a deleted group, a refused password, a reply that is
/// not RESP) is final.
fn verdict(e: &resp::Error) -> Verdict {
    match e {
        resp::Error::Io(_) => Verdict::Reconnect,
        resp::Error::Protocol(_) => Verdict::Fail,
        resp::Error::Server(_) => match e.code() {
            Some("LOADING" | "BUSY" | "OOM" | "TRYAGAIN" | "CLUSTERDOWN") => Verdict::Wait,
            // A node demoted to replica: the name may point at the new master now.
            Some("READONLY" | "MASTERDOWN") => Verdict::Reconnect,
            _ => Verdict::Fail,
        },
    }
}

/// Exponential backoff with jitter: 100 ms doubling up to 5 s.
#[derive(Default)]
struct Backoff {
    tries: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let base = 100u64.saturating_mul(1 << self.tries.min(6)).min(5000);
        self.tries += 1;
        // Jitter from the clock, so that workers that lost Redis together do not come
        // back in step.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()));
        Duration::from_millis(base / 2 + nanos % (base / 2 + 1))
    }
}

/// The entries of a stream's reply: `[[id, [field, value, ...]], ...]`, the fields
/// nil for an entry deleted while pending.
fn entries(reply: Option<Reply>) -> Result<Vec<Entry>> {
    let Some(Reply::Array(items)) = reply else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Reply::Array(item) = item else {
            return Err(anyhow!("a stream entry is not an array: {item:?}"));
        };
        let mut item = item.into_iter();
        let id = item
            .next()
            .and_then(Reply::into_text)
            .ok_or_else(|| anyhow!("a stream entry has no id"))?;
        let fields = match item.next() {
            Some(Reply::Array(flat)) => {
                let mut pairs = Vec::with_capacity(flat.len() / 2);
                let mut flat = flat.into_iter();
                while let (Some(field), Some(value)) = (flat.next(), flat.next()) {
                    pairs.push((field.into_bytes(), value.into_bytes()));
                }
                Some(pairs)
            }
            _ => None,
        };
        entries.push(Entry { id, fields });
    }
    Ok(entries)
}

/// An entry id as a number pair, for ordering (`10-0` comes after `9-5`).
pub fn id_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_as_numbers() {
        assert!(id_order("10-0") > id_order("9-5"));
        assert!(id_order("9-10") > id_order("9-9"));
    }

    #[test]
    fn client_names_hold_no_spaces() {
        assert_eq!(
            client_name("host 1-été", "reader"),
            "promo-liquid:host_1-_t_:reader"
        );
    }

    #[test]
    fn backoff_grows_to_its_cap() {
        let mut backoff = Backoff::default();
        let waits: Vec<Duration> = (0..10).map(|_| backoff.next()).collect();
        assert!(waits[0] <= Duration::from_millis(100));
        assert!(waits[9] >= Duration::from_millis(2500) && waits[9] <= Duration::from_secs(5));
    }
}
