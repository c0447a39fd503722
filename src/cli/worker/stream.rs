//! The Redis side of the worker: a connection that comes back after it is lost, the
//! stream commands the worker sends, and the one script that writes an outcome and
//! acknowledges its entry in one step.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow};
use redis::{Client, Connection, RedisError, RedisResult, RetryMethod, Script, Value};

/// Writes one entry to `KEYS[2]` for each entry of `KEYS[1]` that this call
/// acknowledges, both in one step (a script runs whole or not at all). An entry that is
/// no longer pending (another consumer claimed it and wrote it first, or an earlier try
/// of this very call got through before the connection broke) is skipped: nothing is
/// written twice. Returns how many entries were written.
///
/// ARGV: the group, the `MAXLEN ~` of `KEYS[2]` (empty for none), the number of field
/// pairs per entry, then each entry's id followed by its field/value pairs.
const WRITE_AND_ACK: &str = r"
local group, maxlen, pairs = ARGV[1], ARGV[2], tonumber(ARGV[3])
local add = {'XADD', KEYS[2]}
if maxlen ~= '' then
  add[#add + 1] = 'MAXLEN'; add[#add + 1] = '~'; add[#add + 1] = maxlen
end
add[#add + 1] = '*'
local base = #add
local written = 0
for i = 4, #ARGV, 1 + 2 * pairs do
  if redis.call('XACK', KEYS[1], group, ARGV[i]) == 1 then
    for j = 1, 2 * pairs do add[base + j] = ARGV[i + j] end
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
    /// The consumer group.
    pub group: String,
    /// This worker's consumer name.
    pub consumer: String,
}

/// A connection to Redis that is made again, with backoff, whenever it is lost. Every
/// command is retried until it goes through or fails for a reason a retry cannot fix.
pub struct Link {
    client: Client,
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

/// [`WRITE_AND_ACK`], sent by its hash once Redis knows it.
static SCRIPT: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(WRITE_AND_ACK));

/// How long a reply may take before the connection counts as lost. Above every
/// `BLOCK` the worker uses, and far above any command's time on a healthy server.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

impl Link {
    /// A link for the stage `role` of the worker `consumer`.
    pub fn new(client: Client, consumer: &str, role: &'static str) -> Link {
        Link {
            client,
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
        mut command: impl FnMut(&mut Connection) -> RedisResult<T>,
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
                        let wait = backoff.next();
                        eprintln!(
                            "worker: {}: cannot connect to redis at {}: {e}; trying again in {:.1} s",
                            self.role,
                            self.client.get_connection_info().addr(),
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
                Err(e) if transient(&e) => {
                    let wait = backoff.next();
                    if e.is_unrecoverable_error() || e.is_io_error() {
                        self.connection = None;
                        self.reconnects += 1;
                    }
                    eprintln!(
                        "worker: {}: {what}: {e}; trying again in {:.1} s",
                        self.role,
                        wait.as_secs_f64()
                    );
                    std::thread::sleep(wait);
                }
                Err(e) => return Err(anyhow!("{what}: {e}")),
            }
        }
    }

    fn connect(&self) -> RedisResult<Connection> {
        let mut connection = self
            .client
            .get_connection_with_timeout(Duration::from_secs(5))?;
        connection.set_read_timeout(Some(REPLY_TIMEOUT))?;
        connection.set_write_timeout(Some(REPLY_TIMEOUT))?;
        // Named, so that `CLIENT LIST` shows whose connection it is. A server that
        // refuses (a user without the `client` permission) is not an error.
        match redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(&self.name)
            .query::<()>(&mut connection)
        {
            Err(e) if e.is_io_error() || e.is_unrecoverable_error() => Err(e),
            _ => Ok(connection),
        }
    }

    /// Creates the group (and the stream) unless it exists; a new group starts after
    /// `start` (`0`: the whole stream, `$`: only entries added from now on).
    pub fn ensure_group(&mut self, names: &Names, start: &str) -> Result<()> {
        self.run("creating the consumer group", |c| {
            let created: RedisResult<Value> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&names.input)
                .arg(&names.group)
                .arg(start)
                .arg("MKSTREAM")
                .query(c);
            match created {
                Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
                other => other.map(drop),
            }
        })
    }

    /// Up to `count` entries never delivered to any consumer of the group, waiting up
    /// to `block` for the first when there is none.
    pub fn read_new(
        &mut self,
        names: &Names,
        count: usize,
        block: Option<Duration>,
    ) -> Result<Vec<Entry>> {
        self.read_group(names, count, block, ">")
    }

    /// Up to `count` of this consumer's own pending entries after id `after`: what it
    /// was given before a restart or a lost reply and has not acknowledged.
    pub fn read_own(&mut self, names: &Names, count: usize, after: &str) -> Result<Vec<Entry>> {
        self.read_group(names, count, None, after)
    }

    fn read_group(
        &mut self,
        names: &Names,
        count: usize,
        block: Option<Duration>,
        id: &str,
    ) -> Result<Vec<Entry>> {
        let reply: Value = self.run("reading the stream", |c| {
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg("GROUP").arg(&names.group).arg(&names.consumer);
            cmd.arg("COUNT").arg(count);
            if let Some(block) = block {
                cmd.arg("BLOCK").arg(block.as_millis().max(1) as u64);
            }
            cmd.arg("STREAMS").arg(&names.input).arg(id);
            cmd.query(c)
        })?;
        match reply {
            Value::Nil => Ok(Vec::new()),
            Value::Array(streams) => match streams.into_iter().next() {
                Some(Value::Array(mut stream)) if stream.len() == 2 => entries(stream.pop()),
                _ => Ok(Vec::new()),
            },
            other => Err(anyhow!("XREADGROUP gave an unexpected reply: {other:?}")),
        }
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
        let reply: Value = self.run("claiming pending entries", |c| {
            redis::cmd("XAUTOCLAIM")
                .arg(&names.input)
                .arg(&names.group)
                .arg(&names.consumer)
                .arg(min_idle.as_millis() as u64)
                .arg(cursor)
                .arg("COUNT")
                .arg(count)
                .query(c)
        })?;
        let Value::Array(parts) = reply else {
            return Err(anyhow!("XAUTOCLAIM gave an unexpected reply: {reply:?}"));
        };
        let mut parts = parts.into_iter();
        let cursor = parts
            .next()
            .and_then(text)
            .unwrap_or_else(|| "0-0".to_owned());
        let entries = entries(parts.next())?;
        let deleted = match parts.next() {
            Some(Value::Array(ids)) => ids.into_iter().filter_map(text).collect(),
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
        let reply: Value = self.run("reading delivery counts", |c| {
            redis::cmd("XPENDING")
                .arg(&names.input)
                .arg(&names.group)
                .arg(*low)
                .arg(*high)
                // Everything this consumer holds in the range: at least `ids`.
                .arg(i64::from(i32::MAX))
                .arg(&names.consumer)
                .query(c)
        })?;
        let mut counts = HashMap::new();
        if let Value::Array(rows) = reply {
            for row in rows {
                if let Value::Array(row) = row
                    && let [id, _consumer, _idle, Value::Int(count)] = row.as_slice()
                    && let Some(id) = text(id.clone())
                {
                    counts.insert(id, *count as u64);
                }
            }
        }
        Ok(counts)
    }

    /// Writes one entry to `target` per pending entry of `names.input` among
    /// `entries` (each an id and its field/value pairs, all with the same number of
    /// pairs) and acknowledges it, in one step; an entry already acknowledged is
    /// skipped. Returns how many were written.
    pub fn write_and_ack<F: AsRef<[u8]>>(
        &mut self,
        names: &Names,
        target: &str,
        maxlen: Option<u64>,
        pairs: usize,
        entries: &[(&str, Vec<F>)],
    ) -> Result<u64> {
        if entries.is_empty() {
            return Ok(0);
        }
        let mut invocation = SCRIPT.prepare_invoke();
        invocation.key(&names.input).key(target);
        invocation
            .arg(&names.group)
            .arg(maxlen.map_or(String::new(), |n| n.to_string()))
            .arg(pairs);
        for (id, fields) in entries {
            invocation.arg(*id);
            for field in fields {
                invocation.arg(field.as_ref());
            }
        }
        self.run("writing outcomes", |c| invocation.invoke::<u64>(c))
    }

    /// Adds one entry to `stream` (for entries no longer in any pending list).
    pub fn add(&mut self, stream: &str, fields: &[(&str, &str)]) -> Result<()> {
        self.run("writing to the dead-letter stream", |c| {
            redis::cmd("XADD")
                .arg(stream)
                .arg("*")
                .arg(fields)
                .query::<Value>(c)
                .map(drop)
        })
    }

    /// The group's pending count and lag.
    pub fn group_state(&mut self, names: &Names) -> Result<GroupState> {
        let reply: Value = self.run("reading the group's state", |c| {
            redis::cmd("XINFO").arg("GROUPS").arg(&names.input).query(c)
        })?;
        let Value::Array(groups) = reply else {
            return Ok(GroupState::default());
        };
        for group in groups {
            let fields: HashMap<String, Value> = match group {
                Value::Array(flat) => flat
                    .chunks(2)
                    .filter_map(|pair| Some((text(pair.first()?.clone())?, pair.get(1)?.clone())))
                    .collect(),
                Value::Map(pairs) => pairs
                    .into_iter()
                    .filter_map(|(k, v)| Some((text(k)?, v)))
                    .collect(),
                _ => continue,
            };
            if fields.get("name").cloned().and_then(text).as_deref() == Some(&names.group) {
                let number = |key: &str| match fields.get(key) {
                    Some(Value::Int(n)) => u64::try_from(*n).ok(),
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

/// The name a worker's connection goes by on the server, `promo-liquid:CONSUMER:ROLE`
/// (`CLIENT LIST` shows it): a character a client name cannot hold (a space, a
/// non-ASCII letter) becomes `_`.
pub fn client_name(consumer: &str, role: &str) -> String {
    format!("promo-liquid:{consumer}:{role}")
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect()
}

/// Whether a retry can help: a lost or refused connection, a timeout, a server that
/// is loading, out of memory, or failing over.
fn transient(e: &RedisError) -> bool {
    match e.retry_method() {
        RetryMethod::NoRetry => matches!(e.code(), Some("OOM" | "BUSY" | "LOADING")),
        _ => true,
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
fn entries(reply: Option<Value>) -> Result<Vec<Entry>> {
    let Some(Value::Array(items)) = reply else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Value::Array(item) = item else {
            return Err(anyhow!("a stream entry is not an array: {item:?}"));
        };
        let mut item = item.into_iter();
        let id = item
            .next()
            .and_then(text)
            .ok_or_else(|| anyhow!("a stream entry has no id"))?;
        let fields = match item.next() {
            Some(Value::Array(flat)) => {
                let mut pairs = Vec::with_capacity(flat.len() / 2);
                let mut flat = flat.into_iter();
                while let (Some(field), Some(value)) = (flat.next(), flat.next()) {
                    pairs.push((bytes(field), bytes(value)));
                }
                Some(pairs)
            }
            _ => None,
        };
        entries.push(Entry { id, fields });
    }
    Ok(entries)
}

fn bytes(value: Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes,
        Value::SimpleString(text) => text.into_bytes(),
        Value::Int(n) => n.to_string().into_bytes(),
        _ => Vec::new(),
    }
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).ok(),
        Value::SimpleString(text) => Some(text),
        _ => None,
    }
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
