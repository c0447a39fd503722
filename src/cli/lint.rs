//! `promo-liquid lint`: static checks of message files and bare templates.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::{Exit, read_input};
use promo_liquid::lint;
use promo_liquid::promo::{self, Settings, schema::EventKind};
use promo_liquid::requests::{self, Source};
use promo_liquid::snippets::Library;

/// How `lint` prints its findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Like rustc: the finding, its place, the source line with a caret, a help line.
    Text,
    /// One JSON object with every file's findings.
    Json,
}

/// The arguments of `lint`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Message files (.toml) and bare Liquid templates (any other name; `-` reads
    /// a template from standard input).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The event a bare template is for; repeat it for several. Without it, a bare
    /// template is for any event. Message files name their own events.
    #[arg(long = "event", value_name = "NAME")]
    events: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with 1 when there are warnings, not only errors.
    #[arg(long)]
    deny_warnings: bool,
    /// List at most this many findings a file; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = lint::MAX_FINDINGS)]
    max_findings: usize,
    /// The snippet library the files' `render` and `snippet` tags name: its own
    /// problems are reported too, in its files. Default: the `snippets/` directory
    /// beside the first file, when there is one.
    #[arg(long, value_name = "DIR")]
    snippets: Option<PathBuf>,
}

/// Runs `lint`.
pub fn run(args: LintArgs) -> Result<Exit> {
    let events = args
        .events
        .iter()
        .map(|name| requests::event(name).map_err(|e| anyhow::anyhow!("--event: {e}")))
        .collect::<Result<Vec<EventKind>>>()?;
    let sources = args
        .files
        .iter()
        .map(|path| Ok((display_name(path), read_input(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let env = promo::environment(&Settings::default());
    let dir = (args.snippets.clone())
        .or_else(|| args.files.first().and_then(|f| super::snippets_beside(f)));
    let (snippets, library_problems) = match &dir {
        Some(dir) => {
            let (library, problems) = Library::read(dir, &env).context("--snippets")?;
            (Some(Arc::new(library)), problems)
        }
        None => (None, Vec::new()),
    };
    let files: Vec<Source> = sources
        .iter()
        .map(|(f, s)| Source::from_file(f, s))
        .collect();
    let mut report =
        requests::lint_with(&files, &events, &env, snippets.as_ref(), args.max_findings);
    let library_reports = requests::lint_library(&library_problems);
    report.errors += library_reports.iter().map(|f| f.errors).sum::<usize>();
    let (errors, warnings) = (report.errors, report.warnings);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            report.files.splice(0..0, library_reports);
            stdout.write_all(requests::to_json(&report).as_bytes())?
        }
        Format::Text => {
            for problem in &library_problems {
                writeln!(stdout, "{}", problem.report())?;
            }
            for (file, (_, source)) in report.files.iter().zip(&sources) {
                write!(
                    stdout,
                    "{}",
                    lint::render(&file.file, source, &file.diagnostics)
                )?;
                if file.omitted > 0 {
                    writeln!(
                        stdout,
                        "{}: {} more not shown (--max-findings {})\n",
                        file.file,
                        plural(file.omitted, "finding"),
                        args.max_findings
                    )?;
                }
            }
            if errors + warnings > 0 {
                writeln!(
                    stdout,
                    "lint: {}, {}",
                    plural(errors, "error"),
                    plural(warnings, "warning")
                )?;
            }
        }
    }
    stdout.flush().context("cannot write to standard output")?;
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        return Ok(Exit::Failed);
    }
    Ok(Exit::Ok)
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
