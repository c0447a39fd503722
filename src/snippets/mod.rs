//! The snippet library: named Liquid snippets, loaded once from a directory, checked,
//! and served to every message through one loader.
//!
//! ```text
//! snippets/
//!   amazon_pay.liquid     the snippet `amazon_pay`: Liquid
//!   amazon_pay.toml       its sidecar (optional): description, channels, events, params
//!   swiggy.liquid
//!   swiggy.toml
//! ```
//!
//! A message uses a snippet with Shopify's `render` (`{% render 'amazon_pay', code:
//! Event["Voucher Code"] %}`), or with `snippet`, whose name may come from the record:
//! `{% snippet Event["Code Snippet Name"] or "generic_voucher", code: Event["Voucher
//! Code"] %}`. Both render the snippet in its own scope: it sees only what it is
//! passed (and the defaults of the parameters it is not passed). A name with no snippet
//! is the outcome `missing_snippet`, naming it, unless the tag gives a fallback after
//! `or`. (`include`, Shopify's deprecated tag that shares the caller's variables, reads
//! the library too.)
//!
//! ```
//! use std::sync::Arc;
//! use promo_liquid::message::{Message, Outcome};
//! use promo_liquid::promo::{self, record::Record, Settings};
//! use promo_liquid::snippets::{Library, SnippetSource};
//!
//! let env = promo::environment(&Settings::default());
//! let (library, problems) = Library::build([
//!     SnippetSource::new("swiggy", "Order in with {{ code }} on Swiggy")
//!         .with_sidecar("[params]\ncode = { type = \"string\", required = true }"),
//! ], &env);
//! assert!(problems.is_empty());
//! let library = Arc::new(library);
//! let message = Message::load_with("push.liquid",
//!     "{% snippet Event['Code Snippet Name'] or 'swiggy', code: Event['Voucher Code'] %}",
//!     &env, Some(&library)).unwrap();
//! let line = r#"{"evtName": "CT Partner Voucher Rewarded", "evtData": {"listTag": "swiggy",
//!     "voucherCode": "SWG-200", "partner": "Swiggy", "voucherListId": "vl-1",
//!     "campaignId": "c-1", "source": "Campaign"}}"#;
//! let record = Record::parse(line, &Settings::default().record_options()).unwrap();
//! let Outcome::Rendered { fields, snippets, .. } = message.render(&record) else { panic!() };
//! assert_eq!(fields["text"], "Order in with SWG-200 on Swiggy");
//! assert_eq!(&*snippets["swiggy"], library.get("swiggy").unwrap().hash());
//! ```
//!
//! **Loading** ([`Library::load`]) reads every `*.liquid` file of the directory (the
//! file's name without `.liquid` is the snippet's name; one final newline, which
//! editors add, is not part of the snippet) and its sidecar `NAME.toml` (see [`meta`]
//! for its format), then checks the whole library, reporting every problem at its
//! place: each snippet compiles; every variable it reads is a parameter it declares,
//! when its sidecar declares them (a snippet sees nothing else; without a `[params]`
//! table its parameters are what it reads); every snippet it names literally exists, fits it and is
//! passed what it needs; no snippets render each other in a cycle. The library is then
//! immutable: records never make it read a file.
//!
//! **Depth.** Snippets nest at most [`DEFAULT_MAX_DEPTH`] (3) deep, a message counting
//! none. A message whose literal names lead through a deeper chain does not load
//! (`limit_exceeded`, naming the chain); one whose names from data do fails with
//! `limit_exceeded` when a record takes it there, as a cycle through names from data
//! does.
//!
//! **Fit.** A snippet that declares its channels or events is for those only: a
//! message for another channel or event cannot reach it. For a literal name that is an
//! error when the message loads; a name from a record that picks such a snippet is
//! `missing_snippet` (the help says why), as a name with no snippet is.
//!
//! **Pinning.** Every snippet has a content hash (of its Liquid and its sidecar, 16 hex
//! digits of SHA-256). A message loaded with a library has a [`Pin`]: the snippets it
//! can reach (literal names followed through the snippets; for a name from data, every
//! snippet that fits the message) with their hashes, and one hash of them all, which
//! `render` and `batch` print. A rendered outcome carries the snippets it used, by name
//! with their hashes (`"snippets": {"amazon_pay": "5f1c0e7b9a2d4c61"}`), so a changed
//! snippet is visible in the outcomes and a run can be checked against a pin.

mod check;
mod load;
pub mod meta;
pub mod usage;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::liquid::{
    Analysis, Annotation, Environment, LineCol, Snippet as SourceLine, Span, suggest,
};
use crate::message::Channel;
use crate::promo::schema::EventKind;

pub use check::{Finding, FindingKind, check};
use load::{View, compile, hex16};
pub use meta::{Meta, Param, ParamType};

/// How deeply snippets may nest, by default: a message renders a snippet that renders
/// a snippet that renders a snippet, and no further.
pub const DEFAULT_MAX_DEPTH: usize = 3;

/// One snippet of a library.
#[derive(Clone, Debug)]
pub struct Snippet {
    name: String,
    file: String,
    source: Arc<str>,
    meta: Meta,
    sidecar: Option<String>,
    hash: Arc<str>,
    analysis: Analysis,
    html: Option<String>,
}

impl Snippet {
    /// The snippet's name, what messages call it by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it was read from (its name, for snippets built in memory).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Its sidecar's file, when it has one.
    pub fn sidecar(&self) -> Option<&str> {
        self.sidecar.as_deref()
    }

    /// Its Liquid source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What its sidecar says.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Its content hash: 16 hex digits of the SHA-256 of its Liquid and its sidecar.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The content hash, shared (outcomes hold it).
    pub(crate) fn hash_arc(&self) -> Arc<str> {
        self.hash.clone()
    }

    /// The first HTML tag of its text (`<table>`), when it has one: such a snippet is
    /// for channels that show HTML.
    pub fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }

    /// What its template reads and the snippets it names.
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }
}

/// A snippet's files, before they are checked: its name, its Liquid, and its sidecar.
#[derive(Clone, Debug)]
pub struct SnippetSource {
    /// The snippet's name.
    pub name: String,
    /// The Liquid file's name, for reports.
    pub file: String,
    /// The Liquid.
    pub text: String,
    /// The sidecar's file name and text.
    pub sidecar: Option<(String, String)>,
}

impl SnippetSource {
    /// A snippet called `name` (its file called `NAME.liquid`) with the Liquid `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SnippetSource {
        let name = name.into();
        SnippetSource {
            file: format!("{name}.liquid"),
            name,
            text: text.into(),
            sidecar: None,
        }
    }

    /// The same snippet with the sidecar `text` (called `NAME.toml`).
    pub fn with_sidecar(mut self, text: impl Into<String>) -> SnippetSource {
        self.sidecar = Some((format!("{}.toml", self.name), text.into()));
        self
    }
}

/// A problem of a snippet library: what, where, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file it is in.
    pub file: String,
    /// What is wrong, in one line.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
    /// The bytes of the file it is about.
    pub span: Option<Span>,
    /// Their line and column.
    pub at: Option<LineCol>,
    /// The file's text, for the report.
    text: Arc<str>,
}

impl Problem {
    fn new(
        file: &str,
        text: &str,
        message: String,
        span: Option<Span>,
        help: Option<String>,
    ) -> Problem {
        Problem {
            file: file.to_owned(),
            at: span.map(|s| LineCol::of(text, s.start as usize)),
            message,
            help,
            span,
            text: Arc::from(text),
        }
    }

    /// The problem as rustc prints its errors, with the file's line and carets.
    pub fn report(&self) -> String {
        let place = match self.at {
            Some(at) => format!("{}:{at}", self.file),
            None => self.file.clone(),
        };
        let mut out = String::new();
        let _ = Annotation {
            severity: "error",
            code: "snippet_library",
            message: &self.message,
            place: Some(&place),
            snippet: self.span.and_then(|s| SourceLine::of(&self.text, s)),
            help: self.help.as_deref(),
        }
        .write(&mut out);
        out
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some(at) => write!(f, "{}:{at}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

/// Why a library could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LibraryError {
    /// The directory or a file in it could not be read.
    #[error("cannot read the snippet library {path}")]
    Io {
        /// The directory or file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Snippets that do not check: every problem, in file order.
    #[error("{}{}", .0[0], match .0.len() { 1 => String::new(), n => format!(" (and {} more problems)", n - 1) })]
    Problems(Vec<Problem>),
}

impl LibraryError {
    /// Every problem as rustc prints its errors (for I/O, the one line).
    pub fn report(&self) -> String {
        match self {
            LibraryError::Problems(problems) => {
                problems.iter().map(|p| p.report() + "\n").collect()
            }
            other => format!("error: {other}\n"),
        }
    }
}

/// A checked, immutable set of snippets, by name. Share it through an `Arc`: messages
/// loaded with it hold it.
#[derive(Clone, Debug)]
pub struct Library {
    snippets: BTreeMap<String, Snippet>,
    max_depth: usize,
}

impl Default for Library {
    fn default() -> Self {
        Library::new()
    }
}

impl Library {
    /// A library with no snippets.
    pub fn new() -> Library {
        Library {
            snippets: BTreeMap::new(),
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Loads the snippets of `dir`, compiled with `env` (for its filters), and checks
    /// them; any problem fails the load, with every problem found.
    pub fn load(dir: &Path, env: &Environment) -> Result<Library, LibraryError> {
        let (library, problems) = Library::read(dir, env)?;
        if problems.is_empty() {
            Ok(library)
        } else {
            Err(LibraryError::Problems(problems))
        }
    }

    /// Reads and checks the snippets of `dir` as [`Library::load`] does, but gives the
    /// library of the snippets that compile together with every problem found, for lint.
    pub fn read(dir: &Path, env: &Environment) -> Result<(Library, Vec<Problem>), LibraryError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| LibraryError::Io { path, source }
        };
        let mut liquid = BTreeMap::new();
        let mut sidecars = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
                continue;
            };
            let stem = stem.to_string_lossy().into_owned();
            match ext.to_str() {
                Some("liquid") => liquid.insert(stem, path),
                Some("toml") => sidecars.insert(stem, path),
                _ => None,
            };
        }
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        for (name, path) in &sidecars {
            if !liquid.contains_key(name) {
                problems.push(Problem::new(
                    &path.display().to_string(),
                    "",
                    format!("a sidecar without a snippet: there is no {name}.liquid"),
                    None,
                    suggest(name, liquid.keys().map(String::as_str))
                        .map(|near| format!("did you mean {near}.toml?")),
                ));
            }
        }
        for (name, path) in liquid {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let sidecar = match sidecars.get(&name) {
                Some(side) => Some((
                    side.display().to_string(),
                    std::fs::read_to_string(side).map_err(io(side))?,
                )),
                None => None,
            };
            sources.push(SnippetSource {
                name,
                file: path.display().to_string(),
                text,
                sidecar,
            });
        }
        let (library, mut found) = Library::build(sources, env);
        problems.append(&mut found);
        Ok((library, problems))
    }

    /// Builds a library from snippets in memory, compiled with `env`, and checks it:
    /// the library of the snippets that compile, and every problem found.
    pub fn build(
        sources: impl IntoIterator<Item = SnippetSource>,
        env: &Environment,
    ) -> (Library, Vec<Problem>) {
        let mut library = Library::new();
        let mut problems = Vec::new();
        for source in sources {
            if let Some(snippet) = compile(source, env, &mut problems) {
                library.snippets.insert(snippet.name.clone(), snippet);
            }
        }
        check::library(&library, &mut problems);
        (library, problems)
    }

    /// The same library with snippets nesting at most `depth` deep (default
    /// [`DEFAULT_MAX_DEPTH`]). Set it before loading messages with it.
    pub fn with_max_depth(mut self, depth: usize) -> Library {
        self.max_depth = depth.max(1);
        self
    }

    /// How deeply snippets may nest.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// The snippet called `name`.
    pub fn get(&self, name: &str) -> Option<&Snippet> {
        self.snippets.get(name)
    }

    /// Every snippet, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Snippet> {
        self.snippets.values()
    }

    /// How many snippets it has.
    pub fn len(&self) -> usize {
        self.snippets.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.snippets.is_empty()
    }

    /// Why `snippet` cannot be used in a message for `channel` (`None`: a bare
    /// template, any channel) and `events` (empty: any event), if it cannot: it
    /// declares other channels, or none of the events.
    pub fn misfit(
        &self,
        snippet: &Snippet,
        channel: Option<Channel>,
        events: &[EventKind],
    ) -> Option<String> {
        let meta = &snippet.meta;
        if let Some(channel) = channel {
            if !meta.channels.is_empty() && !meta.channels.contains(&channel) {
                let names: Vec<&str> = meta.channels.iter().map(|c| c.name()).collect();
                return Some(format!(
                    "snippet \"{}\" is for {} messages, not {channel}",
                    snippet.name,
                    names.join(" and ")
                ));
            }
        }
        if !events.is_empty()
            && !meta.events.is_empty()
            && !events.iter().any(|e| meta.events.contains(e))
        {
            let names: Vec<&str> = meta.events.iter().map(|e| e.name()).collect();
            return Some(format!(
                "snippet \"{}\" is for {}, not this message's events",
                snippet.name,
                names.join(" and ")
            ));
        }
        None
    }

    /// The snippets a name from data can pick in a message for `channel` and `events`:
    /// every snippet that fits it.
    pub fn reachable(&self, channel: Option<Channel>, events: &[EventKind]) -> Vec<&Snippet> {
        self.iter()
            .filter(|s| self.misfit(s, channel, events).is_none())
            .collect()
    }

    /// The environment a message for `channel` and `events` compiles its fields with:
    /// `base` with this library as its partial loader, serving the snippets that fit
    /// the message, and the library's depth limit.
    pub fn environment(
        self: &Arc<Self>,
        base: &Environment,
        channel: Option<Channel>,
        events: &[EventKind],
    ) -> Environment {
        let mut env = base.clone();
        env.set_loader(View {
            library: self.clone(),
            channel,
            events: events.to_vec(),
        });
        env.limits_mut().max_partial_depth = self.max_depth;
        env
    }

    /// The pin of a message for `channel` and `events` whose templates are `analyses`:
    /// the snippets it can reach, with their hashes.
    pub fn pin<'a>(
        &self,
        analyses: impl IntoIterator<Item = &'a Analysis>,
        channel: Option<Channel>,
        events: &[EventKind],
    ) -> Pin {
        let mut reached = BTreeMap::new();
        let mut dynamic = false;
        let mut todo: Vec<&Analysis> = analyses.into_iter().collect();
        while let Some(analysis) = todo.pop() {
            for call in &analysis.partials {
                let names = call
                    .name
                    .iter()
                    .chain(call.fallback.iter().map(|f| &f.name));
                dynamic |= call.name.is_none();
                for name in names {
                    if let Some(s) = self.get(name) {
                        if reached.insert(s.name.clone(), s.hash.to_string()).is_none() {
                            todo.push(&s.analysis);
                        }
                    }
                }
            }
            if dynamic {
                // A name from data may pick any snippet that fits.
                for s in self.reachable(channel, events) {
                    if reached.insert(s.name.clone(), s.hash.to_string()).is_none() {
                        todo.push(&s.analysis);
                    }
                }
            }
        }
        Pin::new(reached)
    }

    /// The pin of the whole library: every snippet with its hash.
    pub fn pin_all(&self) -> Pin {
        Pin::new(
            self.iter()
                .map(|s| (s.name.clone(), s.hash.to_string()))
                .collect(),
        )
    }
}

/// The snippets a message can reach, by name with their hashes, and one hash of them
/// all: what `render` and `batch` print, so that a run can be reproduced.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Pin {
    /// 16 hex digits of the SHA-256 of the `name hash` lines of the snippets, by name.
    pub hash: String,
    /// Each snippet's hash, by name.
    pub snippets: BTreeMap<String, String>,
}

impl Pin {
    fn new(snippets: BTreeMap<String, String>) -> Pin {
        let mut all = Sha256::new();
        for (name, hash) in &snippets {
            all.update(format!("{name} {hash}\n"));
        }
        Pin {
            hash: hex16(&all.finalize()),
            snippets,
        }
    }
}

impl std::fmt::Display for Pin {
    /// `3f9c2b1a0d8e7f65 (amazon_pay 5f1c0e7b9a2d4c61, swiggy 0b7e...)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hash)?;
        let each: Vec<String> = self
            .snippets
            .iter()
            .map(|(name, hash)| format!("{name} {hash}"))
            .collect();
        if each.is_empty() {
            f.write_str(" (no snippets)")
        } else {
            write!(f, " ({})", each.join(", "))
        }
    }
}

/// `a, b, c` or `a, b, c and 5 more`.
fn list(names: &[&str], most: usize) -> String {
    if names.len() <= most {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..most].join(", "),
        names.len() - most
    )
}

#[cfg(test)]
mod tests;
