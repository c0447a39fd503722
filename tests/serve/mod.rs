//! A test harness for `promo-liquid serve`: the real binary on an ephemeral port, and a
//! small HTTP/1.1 client over a real socket.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A program the test needs is missing. The test says so loudly on standard error and
/// the caller returns, passing, so that `cargo test` passes with only the Rust
/// toolchain; under `PROMO_LIQUID_REQUIRE_TOOLS=1` (which `.ci/run` exports) the test
/// fails instead, with the same words.
pub fn tool_missing(what: &str, install: &str) {
    let message = format!("skipped: {what} (install with {install})");
    if std::env::var_os("PROMO_LIQUID_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{message}; PROMO_LIQUID_REQUIRE_TOOLS=1 requires it");
    }
    // Past the test harness's capture (which hides what a passing test prints with
    // `eprintln!`), so that a skip is seen.
    let _ = writeln!(std::io::stderr(), "\n*** {message} ***\n");
}

/// A running server, stopped when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Server {
    /// Starts `promo-liquid serve --listen 127.0.0.1:0` with `args`, and waits for the
    /// address it prints.
    pub fn start(args: &[&str]) -> Server {
        Server::try_start(args).unwrap_or_else(|stderr| panic!("serve did not start: {stderr}"))
    }

    /// Starts a server as [`Server::start`] does, or gives what it printed on standard
    /// error when it exits instead (a usage error).
    pub fn try_start(args: &[&str]) -> Result<Server, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start promo-liquid serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the address line");
        let mut stderr = child.stderr.take().unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let mut text = String::new();
            stderr.read_to_string(&mut text).ok();
            let _ = child.wait();
            return Err(format!("{line}{text}"));
        };
        // Drained, so that a server that writes to it never blocks.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Ok(Server {
            child,
            addr: addr.to_owned(),
        })
    }

    /// Sends a request and reads the whole response.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Response {
        request(&self.addr, method, path, body)
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> Response {
        self.request("POST", path, body.to_string().as_bytes())
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection (`Connection: close`), the body read to the end.
pub fn request(addr: &str, method: &str, path: &str, body: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading the whole body and close.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    out
}

/// Runs the CLI and returns its standard output.
pub fn cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .args(args)
        .output()
        .expect("run promo-liquid");
    String::from_utf8(out.stdout).unwrap()
}
