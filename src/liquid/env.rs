//! The [`Environment`] (configuration, filters, partial loader, limits) and the
//! [`Template`]s it compiles.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::analysis::{self, Analysis};
use super::ast::Block;
use super::error::{Error, ErrorKind, LineCol};
use super::filters::Filters;
use super::parser;
use super::render::{self, Report};
use super::resolve;
use super::value::{ObjectView, Value};

/// Resource limits: what one compile and one render may spend. Templates and data are
/// untrusted, so every limit has a safe default; change them on
/// [`Environment::limits_mut`]. A breach is an [`ErrorKind::LimitExceeded`] error whose
/// message names the limit and whose place is where it was reached (a message's
/// outcome kind `limit_exceeded`).
///
/// The render limits are one budget, checked before the work is done: iterations of every kind, output bytes, the bytes of
/// every value built (a filter works out the size of what it builds before building
/// it), partial depth, and a wall-clock deadline as the backstop. Filters run in
/// linear time on their input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest template source, in bytes. Default 1 MiB.
    pub max_template_bytes: usize,
    /// How deeply blocks (and brackets in expressions) may nest, counted across
    /// partials at render time. Default 100.
    pub max_depth: usize,
    /// How deeply partials may include partials. Default 16.
    pub max_partial_depth: usize,
    /// Iterations in one render, all kinds together: `for` and `tablerow` runs, the
    /// items of `include`/`render ... for`, `case`/`when` block runs (a repeated
    /// `when` value runs its block per match) and partial renders. Default 1,000,000.
    pub max_iterations: u64,
    /// The largest output of one render, in bytes, `tablerow` markup and partials
    /// included. Checked before each piece is written. Default 4 MiB.
    pub max_output_bytes: usize,
    /// The most integers a range may hold. Default 1,000,000.
    pub max_range_size: i64,
    /// The largest string a filter, `capture` or `cycle` may build, in bytes; the text
    /// of an array or object is measured before it is built. Default 1 MiB.
    pub max_string_bytes: usize,
    /// The largest array a filter may build. Default 100,000.
    pub max_array_items: usize,
    /// The bytes of strings, arrays and objects one render may build, all added up
    /// (each value about 24 bytes plus its text; an array that refers to large values
    /// repeatedly pays their full size; host data copied for a filter counts, once).
    /// Bounds the memory a render holds and the work of quadratic patterns such as
    /// `append` or `concat` in a loop. Default 64 MiB.
    pub max_memory_bytes: u64,
    /// The wall-clock time one render may take, the backstop for work the other limits
    /// do not bound; `None` for no deadline. Default 250 ms.
    ///
    /// The clock is read every few tens of microseconds of work, and first after a
    /// little work, so that small renders never read it; the deadline counts from that
    /// first reading unless the caller set one ([`Template::render_until`]).
    pub deadline: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_template_bytes: 1 << 20,
            max_depth: 100,
            max_partial_depth: 16,
            max_iterations: 1_000_000,
            max_output_bytes: 4 << 20,
            max_range_size: 1_000_000,
            max_string_bytes: 1 << 20,
            max_array_items: 100_000,
            max_memory_bytes: 64 << 20,
            deadline: Some(Duration::from_millis(250)),
        }
    }
}

/// What outputting an undefined variable does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UndefinedPolicy {
    /// Output nothing, and report the path as a warning. `default` and tests work.
    #[default]
    Lenient,
    /// Fail the render, unless a `default` filter handles the value. Tests
    /// (`if x`, `x == blank`) stay legal.
    Strict,
}

/// Where `include`, `render` and `snippet` find partials.
pub trait PartialLoader: Send + Sync {
    /// The source of the partial called `name`; an error of kind
    /// [`std::io::ErrorKind::NotFound`] when there is none.
    fn load(&self, name: &str) -> std::io::Result<String>;

    /// The values the parameters of the partial `name` take when a `render` or
    /// `snippet` call does not pass them. None by default.
    fn defaults(&self, name: &str) -> Vec<(String, Value)> {
        let _ = name;
        Vec::new()
    }

    /// Why there is no partial called `name`, for the help line of the error of a
    /// `snippet` tag that names it: what may have been meant (`did you mean
    /// "amazon_pay"?`), or why a partial of that name is not available. None by default.
    fn explain_missing(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }
}

/// Partials held in memory, by name.
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    partials: HashMap<String, String>,
}

impl MemoryLoader {
    /// No partials.
    pub fn new() -> Self {
        MemoryLoader::default()
    }

    /// Adds a partial.
    pub fn insert(&mut self, name: impl Into<String>, source: impl Into<String>) {
        self.partials.insert(name.into(), source.into());
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MemoryLoader {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        MemoryLoader {
            partials: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl PartialLoader for MemoryLoader {
    fn load(&self, name: &str) -> std::io::Result<String> {
        self.partials.get(name).cloned().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no partial named {name:?}"),
            )
        })
    }
}

/// Partials read from a directory: `'name'` is `DIR/name` or `DIR/name.liquid`.
/// Names that would leave the directory (`..`, absolute paths) are refused.
#[derive(Clone, Debug)]
pub struct DirectoryLoader {
    root: PathBuf,
}

impl DirectoryLoader {
    /// A loader reading from `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirectoryLoader { root: root.into() }
    }
}

impl PartialLoader for DirectoryLoader {
    fn load(&self, name: &str) -> std::io::Result<String> {
        let relative = Path::new(name);
        if !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("partial name {name:?} must be a plain relative path"),
            ));
        }
        let plain = self.root.join(relative);
        match std::fs::read_to_string(&plain) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::read_to_string(self.root.join(format!("{name}.liquid")))
            }
            other => other,
        }
    }
}

/// A parsed template or partial: its name, source and nodes.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub name: Arc<str>,
    pub source: Arc<str>,
    pub root: Block,
    /// The variable names the nodes refer to by id ([`Binding::Name`](super::ast::Binding)).
    pub names: Box<[Arc<str>]>,
    /// For a partial, the values its parameters take when a `render` or `snippet` call
    /// does not pass them ([`PartialLoader::defaults`]).
    pub defaults: Box<[(Arc<str>, Value)]>,
}

#[derive(Clone)]
pub(crate) struct Config {
    pub filters: Filters,
    pub limits: Limits,
    pub undefined: UndefinedPolicy,
    pub loader: Option<Arc<dyn PartialLoader>>,
    /// What `"now"` means to `date` (the system clock when `None`).
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The time zone `now` is shown in.
    pub time_zone: chrono_tz::Tz,
}

/// Owns the configuration templates are compiled and rendered with: filters, partial
/// loader, undefined policy and limits.
///
/// Cloning is cheap; clones share the partial cache. Changing a setting affects the
/// templates compiled afterwards.
#[derive(Clone)]
pub struct Environment {
    pub(crate) config: Arc<Config>,
    pub(crate) partials: Arc<RwLock<HashMap<String, Arc<Parsed>>>>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment::new()
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("limits", &self.config.limits)
            .field("undefined", &self.config.undefined)
            .finish_non_exhaustive()
    }
}

impl Environment {
    /// The standard filters, lenient undefined policy, default limits, no partials.
    pub fn new() -> Self {
        Environment {
            config: Arc::new(Config {
                filters: Filters::standard(),
                limits: Limits::default(),
                undefined: UndefinedPolicy::Lenient,
                loader: None,
                now: None,
                time_zone: chrono_tz::UTC,
            }),
            partials: Arc::default(),
        }
    }

    fn config_mut(&mut self) -> &mut Config {
        // Settings change what partials compile to: start a fresh cache.
        self.partials = Arc::default();
        Arc::make_mut(&mut self.config)
    }

    /// Sets the undefined-variable policy.
    pub fn set_undefined(&mut self, policy: UndefinedPolicy) -> &mut Self {
        self.config_mut().undefined = policy;
        self
    }

    /// The undefined-variable policy.
    pub fn undefined(&self) -> UndefinedPolicy {
        self.config.undefined
    }

    /// Sets where `include` and `render` find partials.
    pub fn set_loader(&mut self, loader: impl PartialLoader + 'static) -> &mut Self {
        self.config_mut().loader = Some(Arc::new(loader));
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// Changes the limits.
    pub fn limits_mut(&mut self) -> &mut Limits {
        let config = self.config_mut();
        &mut config.limits
    }

    /// The filters templates may use.
    pub fn filters(&self) -> &Filters {
        &self.config.filters
    }

    /// Changes the filters (for example, to add your own).
    pub fn filters_mut(&mut self) -> &mut Filters {
        &mut self.config_mut().filters
    }

    /// Fixes what `"now"` means to the `date` filter (for tests and previews).
    pub fn set_now(&mut self, now: chrono::DateTime<chrono::FixedOffset>) -> &mut Self {
        self.config_mut().now = Some(now);
        self
    }

    /// Sets the time zone `"now"` is shown in (default UTC).
    pub fn set_time_zone(&mut self, zone: chrono_tz::Tz) -> &mut Self {
        self.config_mut().time_zone = zone;
        self
    }

    /// The time zone `"now"` is shown in.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.config.time_zone
    }

    /// Compiles `source` into a template named `name`.
    pub fn compile(&self, name: &str, source: &str) -> Result<Template, Error> {
        let parsed = self.parse(name, source)?;
        Ok(Template {
            parsed: Arc::new(parsed),
            env: self.clone(),
        })
    }

    /// Every compile error of `source`, in source order: the parser goes on after an
    /// error, at the next tag or output, so one run finds them all. Empty when the
    /// template compiles.
    pub fn errors(&self, name: &str, source: &str) -> Vec<Error> {
        match self.parse_all(name, source) {
            Ok(_) => Vec::new(),
            Err(errors) => errors,
        }
    }

    fn parse(&self, name: &str, source: &str) -> Result<Parsed, Error> {
        // `parse_all` gives at least one error, the first in the source first.
        self.parse_all(name, source).map_err(|errors| {
            errors
                .into_iter()
                .next()
                .unwrap_or_else(|| unreachable_error(name))
        })
    }

    fn parse_all(&self, name: &str, source: &str) -> Result<Parsed, Vec<Error>> {
        let name: Arc<str> = Arc::from(name);
        let mut root =
            parser::parse(source, &self.config.filters, &self.config.limits).map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| e.with_template(&name))
                    .collect::<Vec<_>>()
            })?;
        let names = resolve::resolve(&mut root);
        Ok(Parsed {
            name,
            source: Arc::from(source),
            root,
            names,
            defaults: Box::default(),
        })
    }

    /// The compiled partial `name`, from the cache or the loader.
    pub(crate) fn partial(&self, name: &str) -> Result<Arc<Parsed>, Error> {
        self.load_partial(name, false)
    }

    /// The compiled snippet `name` (a partial, from the cache or the loader); no
    /// snippet of that name is an [`ErrorKind::MissingSnippet`] error.
    pub(crate) fn snippet(&self, name: &str) -> Result<Arc<Parsed>, Error> {
        self.load_partial(name, true)
    }

    fn load_partial(&self, name: &str, snippet: bool) -> Result<Arc<Parsed>, Error> {
        if let Some(found) = self.partials.read().ok().and_then(|c| c.get(name).cloned()) {
            return Ok(found);
        }
        let Some(loader) = &self.config.loader else {
            return Err(if snippet {
                Error::new(
                    ErrorKind::MissingSnippet,
                    format!("no snippet named \"{name}\": no snippet library is configured"),
                )
            } else {
                Error::new(
                    ErrorKind::PartialNotFound,
                    format!("no partial named \"{name}\": no partial loader is configured"),
                )
            });
        };
        let source = loader.load(name).map_err(|e| {
            if snippet && e.kind() == std::io::ErrorKind::NotFound {
                let error = Error::new(
                    ErrorKind::MissingSnippet,
                    format!("no snippet named \"{name}\""),
                );
                match loader.explain_missing(name) {
                    Some(help) => error.with_help(help),
                    None => error,
                }
            } else {
                Error::new(
                    ErrorKind::PartialNotFound,
                    format!("cannot load partial \"{name}\": {e}"),
                )
            }
        })?;
        let mut parsed = self.parse(name, &source)?;
        parsed.defaults = loader
            .defaults(name)
            .into_iter()
            .map(|(k, v)| (Arc::from(k), v))
            .collect();
        let parsed = Arc::new(parsed);
        if let Ok(mut cache) = self.partials.write() {
            cache.insert(name.to_owned(), parsed.clone());
        }
        Ok(parsed)
    }
}

/// A compiled template, ready to render any number of times from any number of
/// threads. Cloning is cheap.
#[derive(Clone)]
pub struct Template {
    pub(crate) parsed: Arc<Parsed>,
    pub(crate) env: Environment,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.parsed.name)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// The template's name.
    pub fn name(&self) -> &str {
        &self.parsed.name
    }

    /// The template's source.
    pub fn source(&self) -> &str {
        &self.parsed.source
    }

    /// The limits it renders under (those of the environment that compiled it).
    pub fn limits(&self) -> &Limits {
        self.env.limits()
    }

    /// Renders with `globals`, appending the text to `out`.
    ///
    /// On success the [`Report`] says whether the template aborted and lists the
    /// undefined paths that were output. On error, `out` holds whatever was written
    /// before the error; callers that need all-or-nothing output discard it.
    pub fn render(&self, globals: &dyn ObjectView, out: &mut String) -> Result<Report, Error> {
        render::render(&self.env, &self.parsed, globals, out, None)
    }

    /// Renders like [`Template::render`], but must end by `deadline` instead of the
    /// environment's [`Limits::deadline`] (for several renders that share one
    /// deadline, such as the fields of a message). Past it, the render fails with
    /// [`ErrorKind::LimitExceeded`].
    pub fn render_until(
        &self,
        globals: &dyn ObjectView,
        out: &mut String,
        deadline: Instant,
    ) -> Result<Report, Error> {
        render::render(&self.env, &self.parsed, globals, out, Some(deadline))
    }

    /// Renders with `globals` into a new string.
    pub fn render_to_string(&self, globals: &dyn ObjectView) -> Result<(String, Report), Error> {
        let mut out = String::new();
        let report = self.render(globals, &mut out)?;
        Ok((out, report))
    }

    /// What the template reads from its globals, and the filters and tags it uses.
    pub fn analyze(&self) -> Analysis {
        analysis::analyze(&self.parsed.root, &self.parsed.source)
    }

    /// The line and column of a byte offset in the source.
    pub fn line_col(&self, offset: usize) -> LineCol {
        LineCol::of(&self.parsed.source, offset)
    }
}

/// What `parse` reports if the parser ever failed without an error (it does not).
#[cold]
fn unreachable_error(name: &str) -> Error {
    Error::new(
        ErrorKind::Syntax,
        format!("template {name:?} does not parse"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library-like loader: defaults for `card`'s `greeting`, and a suggestion for
    /// names it lacks.
    struct Cards;

    impl PartialLoader for Cards {
        fn load(&self, name: &str) -> std::io::Result<String> {
            match name {
                "card" => Ok("{{ greeting }}, {{ who }}".to_owned()),
                _ => Err(std::io::ErrorKind::NotFound.into()),
            }
        }

        fn defaults(&self, name: &str) -> Vec<(String, Value)> {
            match name {
                "card" => vec![("greeting".to_owned(), Value::str("Hello"))],
                _ => Vec::new(),
            }
        }

        fn explain_missing(&self, name: &str) -> Option<String> {
            Some(format!("{name:?} is not a card; did you mean \"card\"?"))
        }
    }

    fn render(template: &str) -> Result<(String, Report), Error> {
        let mut env = Environment::new();
        env.set_loader(Cards);
        env.compile("t", template)?
            .render_to_string(&serde_json::json!({"tag": "crad"}))
    }

    #[test]
    fn parameters_a_call_does_not_pass_take_the_loaders_defaults() {
        let (text, report) = render(
            "{% render 'card', who: 'Asha' %}|{% snippet 'card', who: 'Dev', greeting: 'Hi' %}",
        )
        .unwrap();
        assert_eq!(text, "Hello, Asha|Hi, Dev");
        assert_eq!(report.partials, [Arc::from("card")], "each partial once");
    }

    #[test]
    fn a_missing_snippet_has_the_loaders_explanation_as_help() {
        let e = render("{% snippet tag %}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MissingSnippet);
        assert_eq!(e.message(), "no snippet named \"crad\"");
        assert_eq!(
            e.help(),
            Some("\"crad\" is not a card; did you mean \"card\"?")
        );
        // `render` of a missing partial stays what it was.
        let e = render("{% render 'crad' %}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PartialNotFound);
    }
}
