//! Just enough of the Redis protocol (RESP2) for the worker's own connections: commands
//! written straight into one buffer, replies read from a buffered socket into a small
//! tree. The `redis` crate still parses the URL; this replaces its connection because its
//! general reply parser cost the worker about as much per entry as Redis's own reading
//! of the entry (README, "Scaling out", throughput).

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A reply, as RESP2 has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A nil bulk string or nil array.
    Nil,
    /// `+OK` and the like (`OK` and `QUEUED`, the most frequent, without allocating).
    Status(Cow<'static, str>),
    /// `-CODE message`: the server refused the command.
    Error(String),
    /// `:42`.
    Int(i64),
    /// `$n` bytes.
    Bulk(Vec<u8>),
    /// `*n` replies.
    Array(Vec<Reply>),
}

impl Reply {
    /// The reply's text, for a bulk or status reply.
    pub fn into_text(self) -> Option<String> {
        match self {
            Reply::Bulk(bytes) => String::from_utf8(bytes).ok(),
            Reply::Status(text) => Some(text.into_owned()),
            _ => None,
        }
    }

    /// The reply's bytes, for a bulk, status or integer reply.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Reply::Bulk(bytes) => bytes,
            Reply::Status(text) => text.into_owned().into_bytes(),
            Reply::Int(n) => n.to_string().into_bytes(),
            _ => Vec::new(),
        }
    }
}

/// Why a command got no reply it could use.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection failed, timed out or was closed: reconnect and try again.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server answered with an error (`-CODE message`).
    #[error("{0}")]
    Server(String),
    /// The server sent something that is not RESP2; the connection is unusable.
    #[error("redis sent a reply this worker cannot read: {0}")]
    Protocol(String),
}

impl Error {
    /// The error code of a server error (`NOSCRIPT`, `LOADING`, `WRONGTYPE`...).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Server(message) => message.split(' ').next(),
            _ => None,
        }
    }
}

/// A command being built: its arguments, already in the protocol's form.
#[derive(Debug, Default)]
pub struct Command {
    args: Vec<u8>,
    count: usize,
}

impl Command {
    /// A command named `name`.
    pub fn new(name: &str) -> Command {
        let mut command = Command::default();
        command.arg(name);
        command
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<[u8]>) -> &mut Command {
        let arg = arg.as_ref();
        self.args.push(b'$');
        self.args
            .extend_from_slice(itoa::Buffer::new().format(arg.len()).as_bytes());
        self.args.extend_from_slice(b"\r\n");
        self.args.extend_from_slice(arg);
        self.args.extend_from_slice(b"\r\n");
        self.count += 1;
        self
    }

    /// Adds a number argument.
    pub fn int(&mut self, n: u64) -> &mut Command {
        self.arg(itoa::Buffer::new().format(n))
    }
}

/// Commands to send at once, in the protocol's form.
#[derive(Debug, Default)]
pub struct Pipeline {
    bytes: Vec<u8>,
    count: usize,
}

impl Pipeline {
    /// An empty pipeline with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Pipeline {
        Pipeline {
            bytes: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    /// Starts a command of `count` arguments (its name included), each then added with
    /// [`Pipeline::arg`]: no copy through a [`Command`].
    pub fn begin(&mut self, count: usize) {
        self.bytes.push(b'*');
        self.bytes
            .extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        self.count += 1;
    }

    /// Adds an argument to the command begun last.
    pub fn arg(&mut self, arg: &[u8]) {
        self.bytes.push(b'$');
        self.bytes
            .extend_from_slice(itoa::Buffer::new().format(arg.len()).as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        self.bytes.extend_from_slice(arg);
        self.bytes.extend_from_slice(b"\r\n");
    }

    /// Adds `command`.
    pub fn push(&mut self, command: &Command) {
        self.bytes.push(b'*');
        self.bytes
            .extend_from_slice(itoa::Buffer::new().format(command.count).as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
        self.bytes.extend_from_slice(&command.args);
        self.count += 1;
    }
}

/// A socket to a Redis server.
enum Socket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.read(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.write_all(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.write_all(buf),
        }
    }
}

/// Where a server is.
#[derive(Debug, Clone)]
pub enum Address {
    /// Host and port.
    Tcp(String, u16),
    /// A Unix socket's path.
    #[cfg(unix)]
    Unix(std::path::PathBuf),
}

/// How deep arrays may nest in a reply: the worker's deepest is four.
const MAX_DEPTH: usize = 16;

/// One connection: commands go out as written, replies come in through a buffer.
pub struct Connection {
    socket: Socket,
    buf: Vec<u8>,
    /// The unread bytes of `buf` are `buf[pos..len]`.
    pos: usize,
    len: usize,
}

impl Connection {
    /// Connects, giving up after `timeout`, and waits at most `timeout` for each reply
    /// or write from then on.
    pub fn open(address: &Address, timeout: Duration) -> io::Result<Connection> {
        let socket = match address {
            Address::Tcp(host, port) => {
                let mut last = None;
                let mut socket = None;
                for addr in std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), *port))? {
                    match TcpStream::connect_timeout(&addr, timeout) {
                        Ok(s) => {
                            socket = Some(s);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                let socket = socket.ok_or_else(|| {
                    last.unwrap_or_else(|| {
                        io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
                    })
                })?;
                socket.set_nodelay(true)?;
                socket.set_read_timeout(Some(timeout))?;
                socket.set_write_timeout(Some(timeout))?;
                Socket::Tcp(socket)
            }
            #[cfg(unix)]
            Address::Unix(path) => {
                let socket = UnixStream::connect(path)?;
                socket.set_read_timeout(Some(timeout))?;
                socket.set_write_timeout(Some(timeout))?;
                Socket::Unix(socket)
            }
        };
        Ok(Connection {
            socket,
            buf: vec![0; 256 << 10],
            pos: 0,
            len: 0,
        })
    }

    /// Sends `command` and reads its reply; a server error is an `Err`.
    pub fn query(&mut self, command: &Command) -> Result<Reply, Error> {
        let mut replies = self.query_all(std::slice::from_ref(command))?;
        Ok(replies.pop().unwrap_or(Reply::Nil))
    }

    /// Sends `commands` in one write and reads their replies, in order. A server error
    /// is an `Err` (the first, once every reply is read); inside an `EXEC`'s reply they
    /// are left for the caller.
    pub fn query_all(&mut self, commands: &[Command]) -> Result<Vec<Reply>, Error> {
        let mut pipeline = Pipeline::default();
        for command in commands {
            pipeline.push(command);
        }
        self.query_pipeline(&pipeline)
    }

    /// Sends `pipeline` and reads its replies, as [`Connection::query_all`] does.
    pub fn query_pipeline(&mut self, pipeline: &Pipeline) -> Result<Vec<Reply>, Error> {
        self.socket.write_all(&pipeline.bytes)?;
        let mut replies = Vec::with_capacity(pipeline.count);
        let mut error = None;
        for _ in 0..pipeline.count {
            match self.reply()? {
                Reply::Error(message) => {
                    error.get_or_insert(message);
                }
                reply => replies.push(reply),
            }
        }
        match error {
            Some(message) => Err(Error::Server(message)),
            None => Ok(replies),
        }
    }

    /// Reads one reply.
    pub fn reply(&mut self) -> Result<Reply, Error> {
        self.value(0)
    }

    fn value(&mut self, depth: usize) -> Result<Reply, Error> {
        let (start, end) = self.line()?;
        let kind = self.buf[start];
        let rest = &self.buf[start + 1..end];
        match kind {
            b'+' => Ok(Reply::Status(match rest {
                b"OK" => Cow::Borrowed("OK"),
                b"QUEUED" => Cow::Borrowed("QUEUED"),
                _ => Cow::Owned(String::from_utf8_lossy(rest).into_owned()),
            })),
            b'-' => Ok(Reply::Error(String::from_utf8_lossy(rest).into_owned())),
            b':' => Ok(Reply::Int(number(rest)?)),
            b'$' => match number(rest)? {
                -1 => Ok(Reply::Nil),
                n if n >= 0 => Ok(Reply::Bulk(self.bulk(n as usize)?)),
                n => Err(Error::Protocol(format!("a bulk string of length {n}"))),
            },
            b'*' => match number(rest)? {
                -1 => Ok(Reply::Nil),
                n if n >= 0 => {
                    if depth >= MAX_DEPTH {
                        return Err(Error::Protocol(format!(
                            "arrays nested deeper than {MAX_DEPTH}"
                        )));
                    }
                    let n = n as usize;
                    // No more room up front than the bytes buffered could fill.
                    let mut items = Vec::with_capacity(n.min(self.buf.len() / 4));
                    for _ in 0..n {
                        items.push(self.value(depth + 1)?);
                    }
                    Ok(Reply::Array(items))
                }
                n => Err(Error::Protocol(format!("an array of length {n}"))),
            },
            other => Err(Error::Protocol(format!(
                "a reply starting with {:?}",
                char::from(other)
            ))),
        }
    }

    /// Where the next line is in `buf` (its CRLF left out, at least one byte long),
    /// valid until the next read.
    fn line(&mut self) -> Result<(usize, usize), Error> {
        let mut scanned = 0;
        loop {
            let unread = &self.buf[self.pos..self.len];
            if let Some(at) = unread[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + at;
                if end < 2 || unread[end - 1] != b'\r' {
                    return Err(Error::Protocol("a line not ended by CRLF".into()));
                }
                let start = self.pos;
                self.pos += end + 1;
                return Ok((start, start + end - 1));
            }
            scanned = unread.len();
            if scanned > 64 << 10 {
                return Err(Error::Protocol("a header line longer than 64 KiB".into()));
            }
            self.fill()?;
        }
    }

    /// `n` bytes and the CRLF after them.
    fn bulk(&mut self, n: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(n.min(self.buf.len()));
        while out.len() < n {
            if self.pos == self.len {
                self.fill()?;
            }
            let take = (n - out.len()).min(self.len - self.pos);
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
        }
        while self.len - self.pos < 2 {
            self.fill()?;
        }
        if &self.buf[self.pos..self.pos + 2] != b"\r\n" {
            return Err(Error::Protocol("a bulk string not ended by CRLF".into()));
        }
        self.pos += 2;
        Ok(out)
    }

    /// Reads more bytes after the unread ones, moving those to the front first.
    fn fill(&mut self) -> Result<(), Error> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        let read = loop {
            // A signal (SIGTERM, or SIGSTOP and SIGCONT) interrupts a read with a timeout.
            match self.socket.read(&mut self.buf[self.len..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if read == 0 {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "redis closed the connection",
            )));
        }
        self.len += read;
        Ok(())
    }
}

fn number(text: &[u8]) -> Result<i64, Error> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            Error::Protocol(format!(
                "{:?} is not a number",
                String::from_utf8_lossy(text)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connection to a fake server that answers every command with `replies`, sent in
    /// pieces of `piece` bytes; returns what the connection reads and what it sent.
    fn exchange(
        replies: &[u8],
        piece: usize,
        command: &Command,
        count: usize,
    ) -> (Vec<Result<Reply, String>>, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let replies = replies.to_vec();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            for chunk in replies.chunks(piece) {
                socket.write_all(chunk).unwrap();
                socket.flush().unwrap();
            }
            let mut sent = Vec::new();
            socket
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let _ = socket.read_to_end(&mut sent);
            sent
        });
        let mut connection = Connection::open(
            &Address::Tcp("127.0.0.1".into(), port),
            Duration::from_secs(5),
        )
        .unwrap();
        let sent = connection.query_all(std::slice::from_ref(command));
        let mut got: Vec<Result<Reply, String>> = match sent {
            Ok(replies) => replies.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e.to_string())],
        };
        got.extend((1..count).map(|_| connection.reply().map_err(|e| e.to_string())));
        drop(connection);
        (got, server.join().unwrap())
    }

    #[test]
    fn commands_go_out_as_resp_arrays() {
        let mut command = Command::new("XACK");
        command.arg("in").arg(b"g\r\n").int(42);
        let (_, sent) = exchange(b"+OK\r\n", 100, &command, 1);
        assert_eq!(
            sent,
            b"*4\r\n$4\r\nXACK\r\n$2\r\nin\r\n$3\r\ng\r\n\r\n$2\r\n42\r\n"
        );
    }

    #[test]
    fn a_command_begun_in_a_pipeline_is_the_command_built_whole() {
        let mut whole = Pipeline::default();
        let mut command = Command::new("XADD");
        command
            .arg("out")
            .arg("*")
            .arg("outcome")
            .arg("{\"id\":\"1-0\"}");
        whole.push(&command);
        let mut begun = Pipeline::default();
        begun.begin(5);
        for arg in ["XADD", "out", "*", "outcome", "{\"id\":\"1-0\"}"] {
            begun.arg(arg.as_bytes());
        }
        assert_eq!(begun.bytes, whole.bytes);
        assert_eq!((begun.count, whole.count), (1, 1));
    }

    #[test]
    fn replies_are_read_whatever_pieces_they_come_in() {
        let record = "x".repeat(300_000);
        let wire = format!(
            "*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$6\r\nrecord\r\n${}\r\n{record}\r\n$-1\r\n:-7\r\n+OK\r\n-NOGROUP no such group\r\n*-1\r\n",
            record.len()
        );
        let want = vec![
            Ok(Reply::Array(vec![
                Reply::Array(vec![
                    Reply::Bulk(b"1-0".to_vec()),
                    Reply::Array(vec![
                        Reply::Bulk(b"record".to_vec()),
                        Reply::Bulk(record.clone().into_bytes()),
                    ]),
                ]),
                Reply::Nil,
            ])),
            Ok(Reply::Int(-7)),
            Ok(Reply::Status("OK".into())),
            Ok(Reply::Error("NOGROUP no such group".into())),
            Ok(Reply::Nil),
        ];
        for piece in [1, 7, 4096, wire.len()] {
            let (got, _) = exchange(wire.as_bytes(), piece, &Command::new("PING"), 5);
            assert_eq!(got, want, "in pieces of {piece}");
        }
    }

    #[test]
    fn what_is_not_resp_is_an_error_not_a_panic() {
        for (wire, expected) in [
            (&b"?what\r\n"[..], "a reply starting with '?'"),
            (b"$abc\r\n", "\"abc\" is not a number"),
            (b"$3\r\nabcde\r\n", "a bulk string not ended by CRLF"),
            (b"*-5\r\n", "an array of length -5"),
            (b":1\n", "a line not ended by CRLF"),
            (b"$5\r\nab", "redis closed the connection"),
            (&b"*1\r\n".repeat(40), "arrays nested deeper than 16"),
        ] {
            let (got, _) = exchange(wire, 3, &Command::new("PING"), 1);
            let error = got[0].as_ref().unwrap_err();
            assert!(error.contains(expected), "{error} for {wire:?}");
        }
    }
}
