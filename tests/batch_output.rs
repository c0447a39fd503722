//! `promo-liquid batch`, the real binary: where its outcomes go and what an interrupted
//! or failed run leaves there. `--output FILE` is replaced only by a run that went to
//! the end; SIGINT and SIGTERM stop a run with whole lines and exit 130 and 143; the
//! input is never the output; `--jobs` is capped.
//!
//! The runs that are stopped read an endless standard input (a thread writes records
//! until the pipe closes), so that they are always mid-run when the signal comes; the
//! tests wait for the output to start (the first outcome read, or the temporary file
//! holding bytes), not for a guessed time.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A template for any event, that renders every record below.
const ANY_EVENT: &str = "tests/fixtures/batch/any-event.liquid";

const RECORD: &str = r#"{"identity": "u-1", "evtName": "CT Points Credited", "evtData": {"Points": 5, "Wallet Id": "w-1", "Campaign Id": "c-1", "Source": "API", "Transaction Id": "t-1"}, "profileData": {"Name": "Asha"}}"#;

fn records(count: usize) -> String {
    format!("{RECORD}\n").repeat(count)
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_promo-liquid"));
    command.arg("batch").args(args).current_dir(root());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-output-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every line is one whole JSON outcome, numbered 1, 2, 3...: returns how many.
fn whole_consecutive_lines(out: &[u8]) -> u64 {
    assert!(out.is_empty() || out.ends_with(b"\n"), "a cut last line");
    let mut count = 0;
    for line in text(out).lines() {
        let outcome: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:.200}"));
        count += 1;
        assert_eq!(outcome["line"], count, "{line:.200}");
        assert_eq!(outcome["outcome"], "rendered", "{line:.200}");
    }
    count
}

/// The `N records in ...` summary is on standard error.
fn assert_summary(stderr: &str, records: u64) {
    assert!(
        stderr.contains(&format!("{records} records in ")),
        "no summary of {records} records in {stderr:?}"
    );
}

/// Starts a batch whose standard input never ends: a thread writes records until the
/// pipe closes.
fn endless(args: &[&str]) -> (Child, std::thread::JoinHandle<()>) {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    let block = records(1000);
    let feeder = std::thread::spawn(move || while input.write_all(block.as_bytes()).is_ok() {});
    (child, feeder)
}

fn signal(child: &Child, signal: Signal) {
    kill(Pid::from_raw(child.id() as i32), signal).expect("the child is there to signal");
}

/// Waits (for up to a minute, checking every 10 ms) until `ready` holds.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "waited a minute for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads what is left of a child's standard error and waits for it.
fn finish(mut child: Child, feeder: std::thread::JoinHandle<()>) -> (Option<i32>, String) {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    feeder.join().unwrap();
    (status.code(), stderr)
}

/// SIGTERM to a batch writing to standard output: the outcomes written are whole
/// lines, every one from the first on, and the summary names the last of them.
#[test]
fn sigterm_ends_standard_output_with_whole_lines_and_exits_143() {
    for (sig, code, name) in [
        (Signal::SIGTERM, 143, "SIGTERM"),
        (Signal::SIGINT, 130, "SIGINT"),
    ] {
        let (mut child, feeder) = endless(&[ANY_EVENT, "--jobs", "2"]);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut out = Vec::new();
        // The run is under way once its first outcome is out.
        stdout.read_until(b'\n', &mut out).unwrap();
        let _watchdog = watchdog(&child);
        signal(&child, sig);
        stdout.read_to_end(&mut out).unwrap();
        let (status, stderr) = finish(child, feeder);
        assert_eq!(status, Some(code), "{name}: {stderr}");
        let count = whole_consecutive_lines(&out);
        assert!(count >= 1);
        assert_summary(&stderr, count);
        assert!(
            stderr.contains(&format!(
                "interrupted by {name}: stopped after input line {count}; every line up to it \
                 has its outcome written"
            )),
            "{stderr}"
        );
    }
}

/// SIGTERM to a batch writing `--output FILE`: FILE is as it was, or not created, and
/// no temporary file is left beside it.
#[test]
fn sigterm_leaves_the_output_file_as_it_was() {
    for previous in [Some("the previous outcomes\n"), None] {
        let dir = scratch(if previous.is_some() {
            "term-previous"
        } else {
            "term-none"
        });
        let path = dir.join("outcomes.ndjson");
        if let Some(previous) = previous {
            fs::write(&path, previous).unwrap();
        }
        let before = listing(&dir);
        let (child, feeder) = endless(&[ANY_EVENT, "--output", path.to_str().unwrap()]);
        // Under way once the temporary file beside the output holds outcomes.
        wait_until("the temporary output to fill", || {
            fs::read_dir(&dir).unwrap().any(|e| {
                let e = e.unwrap();
                e.file_name().to_string_lossy().ends_with(".tmp")
                    && e.metadata().is_ok_and(|m| m.len() > 0)
            })
        });
        let _watchdog = watchdog(&child);
        signal(&child, Signal::SIGTERM);
        let (status, stderr) = finish(child, feeder);
        assert_eq!(status, Some(143), "{stderr}");
        assert!(stderr.contains("records in "), "no summary: {stderr}");
        match previous {
            Some(previous) => {
                assert_eq!(fs::read_to_string(&path).unwrap(), previous);
                assert!(
                    stderr.contains("outcomes.ndjson was left as it was"),
                    "{stderr}"
                );
            }
            None => {
                assert!(!path.exists());
                assert!(
                    stderr.contains("outcomes.ndjson was not created"),
                    "{stderr}"
                );
            }
        }
        assert_eq!(
            listing(&dir),
            before,
            "something was left beside the output"
        );
    }
}

/// A large input file rather than a pipe, with a template slow enough that the run
/// is in its first thousands of records when the signal comes.
#[test]
fn sigterm_stops_a_large_input_file_midway() {
    let dir = scratch("term-file");
    let input = dir.join("records.ndjson");
    fs::write(&input, records(200_000)).unwrap();
    let template = dir.join("slow.liquid");
    fs::write(&template, "{% for i in (1..200) %}{{ i }}{% endfor %}").unwrap();
    let path = dir.join("outcomes.ndjson");
    let mut child = command(&[
        template.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        path.to_str().unwrap(),
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_until("the temporary output to fill", || {
        fs::read_dir(&dir).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().ends_with(".tmp")
                && e.metadata().is_ok_and(|m| m.len() > 0)
        })
    });
    let _watchdog = watchdog(&child);
    signal(&child, Signal::SIGTERM);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143), "{stderr}");
    assert!(!path.exists());
    assert_eq!(listing(&dir), ["records.ndjson", "slow.liquid"]);
    assert!(
        stderr.contains("interrupted by SIGTERM: stopped after input line "),
        "{stderr}"
    );
}

/// A signal while the batch waits for input that does not come (a producer gone
/// quiet, its pipe still open): the run still stops.
#[test]
fn sigterm_stops_a_batch_waiting_for_input() {
    let mut child = command(&[ANY_EVENT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // Several chunks and part of one more, then nothing; the pipe stays open.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(records(5000).as_bytes());
        input
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut out = Vec::new();
    // Past line 3000, and everything written: the batch has read all there is.
    for _ in 0..3000 {
        stdout.read_until(b'\n', &mut out).unwrap();
    }
    let input = writer.join().unwrap();
    let watchdog = watchdog(&child);
    signal(&child, Signal::SIGTERM);
    stdout.read_to_end(&mut out).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    drop(watchdog);
    assert_eq!(status.code(), Some(143), "{stderr}");
    drop(input);
    let count = whole_consecutive_lines(&out);
    assert!((3000..5000).contains(&count), "{count}");
    assert!(
        stderr.contains(&format!("stopped after input line {count};")),
        "{stderr}"
    );
}

/// Kills the child if it is still there a minute after this is made (a run that does
/// not stop would otherwise hang the test); dropping it calls that off.
struct Watchdog(std::sync::Arc<std::sync::atomic::AtomicBool>);

fn watchdog(child: &Child) -> Watchdog {
    use std::sync::atomic::{AtomicBool, Ordering};
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let pid = Pid::from_raw(child.id() as i32);
    let seen = std::sync::Arc::clone(&done);
    std::thread::spawn(move || {
        let started = Instant::now();
        while !seen.load(Ordering::Relaxed) {
            if started.elapsed() > Duration::from_secs(60) {
                let _ = kill(pid, Signal::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    Watchdog(done)
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn run(mut command: Command, stdin: Stdio) -> Output {
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

/// `--output` naming the input, however it is named, is refused before anything is
/// written: exit 2, and the input's bytes are what they were.
#[test]
fn an_output_that_is_the_input_is_refused_and_the_input_is_untouched() {
    let dir = scratch("same");
    let input = dir.join("records.ndjson");
    let content = records(3);
    fs::write(&input, &content).unwrap();
    std::os::unix::fs::symlink(&input, dir.join("link.ndjson")).unwrap();
    fs::hard_link(&input, dir.join("hard.ndjson")).unwrap();
    let before = listing(&dir);
    let input_arg = input.to_str().unwrap();
    let dotted = format!("{}/./records.ndjson", dir.display());
    let link = dir.join("link.ndjson");
    let hard = dir.join("hard.ndjson");
    let outputs = [
        input_arg,
        dotted.as_str(),
        link.to_str().unwrap(),
        hard.to_str().unwrap(),
    ];
    for output in outputs {
        let out = run(
            command(&[ANY_EVENT, "--input", input_arg, "--output", output]),
            Stdio::null(),
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{output}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("is the input"),
            "{output}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    // The records on standard input, the outcomes to the same file.
    let out = run(
        command(&[ANY_EVENT, "--output", input_arg]),
        Stdio::from(fs::File::open(&input).unwrap()),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // `--input x` with standard output appended to x.
    let appending = fs::OpenOptions::new().append(true).open(&input).unwrap();
    let out = command(&[ANY_EVENT, "--input", input_arg])
        .stdout(appending)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("standard output is the input"),
        "{}",
        text(&out.stderr)
    );

    assert_eq!(fs::read_to_string(&input).unwrap(), content);
    assert_eq!(listing(&dir), before);
    // The check is by file, not by name: another file is fine.
    let other = dir.join("outcomes.ndjson");
    let out = run(
        command(&[
            ANY_EVENT,
            "--input",
            input_arg,
            "--output",
            other.to_str().unwrap(),
        ]),
        Stdio::null(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(whole_consecutive_lines(&fs::read(&other).unwrap()), 3);
}

/// A run that goes to the end replaces the previous file in one step, keeping its
/// permissions, through a symbolic link too; nothing is left beside it.
#[test]
fn a_complete_run_replaces_the_output_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("replace");
    let path = dir.join("outcomes.ndjson");
    fs::write(&path, "old\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("latest.ndjson");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    for output in [&path, &link] {
        let out = run(
            command(&[ANY_EVENT, "--output", output.to_str().unwrap()]),
            Stdio::piped(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let out = command(&[ANY_EVENT, "--output", link.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(records(7).as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(whole_consecutive_lines(&fs::read(&path).unwrap()), 7);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(listing(&dir), ["latest.ndjson", "outcomes.ndjson"]);
}

/// A file-size limit (`ulimit -f`) reached in the middle of the outcomes: a clear error
/// naming the last outcome written whole, exit 2, and the previous file as it was.
#[test]
fn a_file_size_limit_leaves_the_previous_output_and_names_the_last_whole_line() {
    let dir = scratch("fsize");
    let input = dir.join("records.ndjson");
    fs::write(&input, records(2000)).unwrap();
    let path = dir.join("outcomes.ndjson");
    fs::write(&path, "old\n").unwrap();
    // 64 blocks of 512 bytes: 32 KiB, far less than the outcomes.
    let limited = |args: &[&str], stdout: Stdio| {
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -f 64 && exec \"$0\" batch \"$@\"")
            .arg(env!("CARGO_BIN_EXE_promo-liquid"))
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    let input_arg = input.to_str().unwrap();
    let out = limited(
        &[
            ANY_EVENT,
            "--input",
            input_arg,
            "--output",
            path.to_str().unwrap(),
        ],
        Stdio::piped(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(
        stderr.contains("the last outcome written whole is line "),
        "{stderr}"
    );
    assert!(
        stderr.contains("outcomes.ndjson was left as it was"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
    assert_eq!(listing(&dir), ["outcomes.ndjson", "records.ndjson"]);

    // Standard output to a file: the error names the last whole line, and the file
    // holds every outcome up to it.
    let redirected = dir.join("redirected.ndjson");
    let file = fs::File::create(&redirected).unwrap();
    let out = limited(&[ANY_EVENT, "--input", input_arg], Stdio::from(file));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let last: u64 = stderr
        .split("the last outcome written whole is line ")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no last line in {stderr}"));
    let written = fs::read(&redirected).unwrap();
    assert_eq!(written.len(), 64 * 512);
    let whole = written.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(whole_consecutive_lines(&written[..whole]), last);
}

/// A full disk (`/dev/full`) is an error, exit 2, that says no outcome was written.
#[test]
fn a_full_disk_is_a_clear_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let out = run(
        command(&[ANY_EVENT, "--output", "/dev/full"]),
        Stdio::piped(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "nothing to write is no error: {stderr}"
    );
    let mut child = command(&[ANY_EVENT, "--output", "/dev/full"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(records(10).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the outcomes to /dev/full: No space left on device")
            && stderr.contains("no outcome was written whole"),
        "{stderr}"
    );
}

/// `--jobs 10000` runs on at most four threads a core, and says so.
#[test]
fn jobs_are_capped_at_four_a_core() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut child = command(&[ANY_EVENT, "--jobs", "10000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(records(3000).as_bytes()).unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = Vec::new();
    stdout.read_until(b'\n', &mut first).unwrap();
    // Rendering, with its input still open: every thread it has is started.
    let threads = fs::read_dir(format!("/proc/{}/task", child.id()))
        .map(|tasks| tasks.count())
        .unwrap_or(0);
    // The pool, the main thread, the reader of standard input, the progress bar's.
    assert!(threads <= 4 * cores + 3, "{threads} threads");
    drop(input);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    first.extend_from_slice(&rest);
    assert_eq!(whole_consecutive_lines(&first), 3000);
    assert!(
        stderr.contains(&format!(
            "note: --jobs 10000 is more than 4 threads for each of the {cores} cores: using {}",
            4 * cores
        )),
        "{stderr}"
    );
}
