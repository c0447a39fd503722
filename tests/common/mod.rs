//! What the tests of the real binary share: running `promo-liquid` from the repository's
//! root with some standard input, and reading what it wrote.

// Each test crate that includes this module uses some of it.
#![allow(dead_code)]

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The repository's root, where the tests run the binary.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `promo-liquid ARGS` from the repository's root with `stdin` as its standard
/// input, and waits for it to end.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_promo-liquid"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Written from a thread so that a large input cannot deadlock against the output.
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    // A command that fails before it reads its input (a message that does not load) may
    // have exited already: a closed pipe is its right, not the test's failure.
    if let Err(e) = writer.join().unwrap() {
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{e}");
    }
    output
}

/// Bytes the binary wrote, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
