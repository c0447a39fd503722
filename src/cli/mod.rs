//! The subcommands. Each returns its [`Exit`]; usage and I/O problems are `Err`, which
//! `main` turns into exit code 2.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use clap::Args;
use promo_liquid::batch::BatchOptions;
use promo_liquid::liquid::Environment;
use promo_liquid::message::channel::DEFAULT_MAX_SMS_SEGMENTS;
use promo_liquid::promo::Settings;
use promo_liquid::snippets::{Library, LibraryError};

pub mod batch;
pub mod filters;
pub mod lint;
pub mod preview;
pub mod render;
pub mod schema;
pub mod serve;
pub mod snippets;
pub mod stream_load;
pub mod worker;

/// How a command ended, when it did not fail with a usage or I/O error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything rendered (or aborted, where that is fine).
    Ok,
    /// Something failed.
    Failed,
    /// The template aborted.
    Aborted,
    /// A signal stopped the run: the code is 128 + the signal's number (130 for
    /// SIGINT, 143 for SIGTERM), as a shell reports a process the signal ended.
    Signal(u8),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Ok => ExitCode::SUCCESS,
            Exit::Failed => ExitCode::from(1),
            Exit::Aborted => ExitCode::from(3),
            Exit::Signal(code) => ExitCode::from(code),
        }
    }
}

/// A usage problem whose text is a finished report (rustc-style, with its own
/// `error[...]` lines): `main` prints it as it is, with exit code 2.
#[derive(Debug)]
pub struct Reported(pub String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The options `batch` and `worker` share: how each record is read, rendered and checked
/// before it is sent.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// Fail a record when it outputs an undefined value without a `default`.
    #[arg(long)]
    pub strict: bool,
    /// The account's time zone (IANA name); wall-clock dates are read in it.
    #[arg(long, default_value = "UTC", value_name = "ZONE", value_parser = parse_zone)]
    pub tz: Tz,
    /// Records longer than this many bytes (newline excluded) fail with
    /// `line_too_long` (`batch` skips such a line without reading it into memory).
    #[arg(long, value_name = "BYTES", default_value_t = BatchOptions::default().max_line_bytes)]
    pub max_line_bytes: usize,
    /// Render as if it were this moment (RFC 3339): what `now`, `date` and
    /// `days_until` see.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<DateTime<FixedOffset>>,
    /// The wall-clock time one record's render may take, in milliseconds (0 for none);
    /// a record past it fails with `limit_exceeded`.
    #[arg(long, value_name = "MS", default_value = "250", value_parser = parse_deadline)]
    pub deadline: Deadline,
    /// The most segments an SMS may take; a longer one fails with `too_many_segments`.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SMS_SEGMENTS as u16, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_segments: u16,
    /// Accept records that lack properties their event requires (a partial feed).
    #[arg(long)]
    pub allow_missing: bool,
    /// The snippet library: a directory of NAME.liquid snippets (and NAME.toml
    /// sidecars) that `render` and `snippet` tags name. Default: the `snippets/`
    /// directory beside the message, when there is one.
    #[arg(long, value_name = "DIR")]
    pub snippets: Option<PathBuf>,
}

impl SendArgs {
    /// The render settings these options ask for.
    pub fn settings(&self) -> Settings {
        Settings {
            time_zone: self.tz,
            strict: self.strict,
            deadline: self.deadline.0,
            allow_missing: self.allow_missing,
        }
    }

    /// The batch options these options ask for.
    pub fn batch_options(&self) -> BatchOptions {
        BatchOptions {
            max_line_bytes: self.max_line_bytes,
            ..BatchOptions::default()
        }
    }
}

/// A `--deadline` value: the milliseconds one render may take; 0 for no deadline.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Option<std::time::Duration>);

/// Parses a `--deadline` value.
pub fn parse_deadline(text: &str) -> Result<Deadline, String> {
    match text.parse::<u64>() {
        Ok(0) => Ok(Deadline(None)),
        Ok(ms) => Ok(Deadline(Some(std::time::Duration::from_millis(ms)))),
        Err(_) => Err(format!(
            "{text:?} is not a number of milliseconds (0 for no deadline)"
        )),
    }
}

/// Parses a `--tz` value.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("{name:?} is not an IANA time zone name (such as Asia/Kolkata or UTC)")
    })
}

/// Parses a `--now` value (RFC 3339).
pub fn parse_now(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|e| {
        format!("{text:?} is not an RFC 3339 time such as 2026-10-30T09:00:00+05:30: {e}")
    })
}

/// The snippet library of `--snippets DIR`, loaded once and checked with `env`'s
/// filters. A library with problems is a usage error that reports every one of them,
/// placed in its files; `None` without the flag.
pub fn load_snippets(dir: Option<&Path>, env: &Environment) -> Result<Option<Arc<Library>>> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    load_library(dir, env).map(Some)
}

/// The snippet library of a command on the message (or directory of messages) at
/// `message`: `--snippets DIR` when given, else the `snippets/` directory beside the
/// message (in the directory, for a directory of messages) when there is one.
pub fn snippets_for(
    dir: Option<&Path>,
    message: &Path,
    env: &Environment,
) -> Result<Option<Arc<Library>>> {
    match dir {
        Some(dir) => load_snippets(Some(dir), env),
        None => load_snippets(snippets_beside(message).as_deref(), env),
    }
}

/// The `snippets/` directory beside a message (in it, for a directory of messages),
/// when there is one: the library a message uses without `--snippets`.
pub fn snippets_beside(message: &Path) -> Option<std::path::PathBuf> {
    if message == Path::new("-") {
        return None;
    }
    let beside = if message.is_dir() {
        message.join("snippets")
    } else {
        message.parent().unwrap_or(Path::new("")).join("snippets")
    };
    beside.is_dir().then_some(beside)
}

fn load_library(dir: &Path, env: &Environment) -> Result<Arc<Library>> {
    match Library::load(dir, env) {
        Ok(library) => Ok(Arc::new(library)),
        Err(e @ LibraryError::Problems(_)) => Err(Reported(e.report()).into()),
        Err(e) => Err(anyhow::Error::new(e).context("--snippets")),
    }
}

/// The snippet pin as `render` and `batch` print it on standard error, for a message
/// that can reach snippets.
pub fn pin_note(message: &promo_liquid::message::Message) -> Option<String> {
    message
        .snippet_pin()
        .filter(|pin| !pin.snippets.is_empty())
        .map(|pin| format!("note: snippets {pin}"))
}
