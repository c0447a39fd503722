//! The two engines under comparison: promo-liquid in this process, and Shopify Liquid in
//! one Ruby process (`shopify.rb`) that renders every request of the run.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use promo_liquid::liquid::{Environment, ErrorKind, MemoryLoader};
use serde_json::{Value as Json, json};

/// What an engine made of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It rendered this text.
    Text(String),
    /// It failed to parse or render; what failed is for the report only.
    Error(String),
    /// Ours only: a resource limit (or the render deadline) stopped it.
    Limit(String),
}

impl Outcome {
    /// The outcome as a deviation entry writes it: the text, or `error: ...`.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Text(t) => t.clone(),
            Outcome::Error(e) => format!("error: {e}"),
            Outcome::Limit(e) => format!("limit: {e}"),
        }
    }

    /// Whether this is an error (limits included).
    pub fn is_error(&self) -> bool {
        !matches!(self, Outcome::Text(_))
    }

    /// Whether it rendered, failed to parse, or failed while rendering.
    pub fn side(&self) -> Side {
        match self {
            Outcome::Text(_) => Side::Text,
            Outcome::Error(e) if e.starts_with("parse") => Side::ParseError,
            _ => Side::RenderError,
        }
    }
}

/// What became of a template on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Text,
    ParseError,
    RenderError,
}

/// What Shopify made of a template: with the strict parser, and, when that refused
/// the template, with the lax one (Shopify's default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theirs {
    pub strict: Outcome,
    pub lax: Option<Outcome>,
}

impl Theirs {
    /// The strict outcome, and the lax one when there is one.
    pub fn describe(&self) -> String {
        match &self.lax {
            None => self.strict.describe(),
            Some(lax) => format!("{} (lax: {})", self.strict.describe(), lax.describe()),
        }
    }
}

/// Whether two outcomes agree: the same text, or both errors (messages differ between
/// engines and are not compared).
pub fn same(ours: &Outcome, theirs: &Outcome) -> bool {
    match (ours, theirs) {
        (Outcome::Text(a), Outcome::Text(b)) => a == b,
        (a, b) => a.is_error() && b.is_error(),
    }
}

/// Whether we agree with Shopify: with its strict parser, or, for a template that only
/// its lax parser takes, with what the lax parser made of it.
pub fn agree(ours: &Outcome, theirs: &Theirs) -> bool {
    same(ours, &theirs.strict) || theirs.lax.as_ref().is_some_and(|lax| same(ours, lax))
}

/// A template with its globals and partials.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub template: String,
    pub data: Json,
    pub partials: Vec<(String, String)>,
    /// The data as JSON text, sent to Ruby as it is: what `data` cannot hold (an integer
    /// past 64 bits) reaches Shopify exactly. `None` sends `data`.
    pub data_text: Option<String>,
}

/// Renders with promo-liquid, the library, with default limits but a deadline of ten
/// seconds: the wall-clock deadline is a backstop whose firing depends on how busy the
/// machine is, so it must not decide the comparison; the other limits count work, and
/// a render they stop is set aside (`Outcome::Limit`), not compared.
pub fn render_ours(s: &Subject) -> Outcome {
    let mut env = Environment::new();
    env.limits_mut().deadline = Some(std::time::Duration::from_secs(10));
    env.set_loader(s.partials.iter().cloned().collect::<MemoryLoader>());
    let template = match env.compile("differential", &s.template) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::LimitExceeded => return Outcome::Limit(e.to_string()),
        Err(e) => return Outcome::Error(format!("parse: {e}")),
    };
    match template.render_to_string(&s.data) {
        Ok((text, _)) => Outcome::Text(text),
        Err(e) if e.kind() == ErrorKind::LimitExceeded => Outcome::Limit(e.to_string()),
        Err(e) => Outcome::Error(format!("render: {e}")),
    }
}

/// Shopify Liquid 5.4 in a Ruby process.
pub struct Shopify {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: BufReader<ChildStdout>,
}

/// Set to render nothing with Ruby: the tests that need it pass without running.
pub const SKIP_VAR: &str = "PROMO_LIQUID_SKIP_SHOPIFY";

impl Shopify {
    /// Starts the Ruby process; `None` when [`SKIP_VAR`] asks to skip, or when Ruby or
    /// `ruby-liquid` is missing (said loudly on standard error), unless
    /// `PROMO_LIQUID_REQUIRE_TOOLS=1` (CI) makes a missing Ruby a failure.
    pub fn start() -> Option<Shopify> {
        if std::env::var_os(SKIP_VAR).is_some_and(|v| v == "1") {
            // Straight to the process's stderr: the test harness captures `eprintln!`.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** skipped: Shopify Liquid ({SKIP_VAR}=1) ***\n"
            );
            return None;
        }
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/differential/shopify.rb");
        let check = Command::new("ruby")
            .args([
                "-e",
                "require 'liquid'; exit(Liquid::VERSION.start_with?('5.') ? 0 : 1)",
            ])
            .status();
        match check {
            Ok(status) if status.success() => {}
            other => {
                let why = format!(
                    "the differential test needs Ruby with Shopify Liquid 5 \
                     (apt-get install ruby ruby-liquid), found {other:?}"
                );
                if std::env::var_os("PROMO_LIQUID_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
                    panic!("{why}; PROMO_LIQUID_REQUIRE_TOOLS=1 makes it required");
                }
                // Straight to the process's stderr: the test harness captures `eprintln!`.
                let _ = writeln!(std::io::stderr(), "\n*** skipped: {why} ***\n");
                return None;
            }
        }
        let mut child = Command::new("ruby")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("ruby starts");
        let input = BufWriter::new(child.stdin.take().unwrap());
        let output = BufReader::new(child.stdout.take().unwrap());
        Some(Shopify {
            child,
            input,
            output,
        })
    }

    fn request(s: &Subject, patch: Option<&str>) -> String {
        let partials: serde_json::Map<String, Json> = s
            .partials
            .iter()
            .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
            .collect();
        let data = match &s.data_text {
            Some(_) => Json::from(0),
            None => s.data.clone(),
        };
        let mut request = json!({"template": s.template, "data": data, "partials": partials});
        if let Some(patch) = patch {
            request["patch"] = Json::from(patch);
        }
        match &s.data_text {
            // `"data":0` stands where the text goes.
            Some(text) => {
                request
                    .to_string()
                    .replacen("\"data\":0", &format!("\"data\":{text}"), 1)
            }
            None => request.to_string(),
        }
    }

    fn outcome(reply: &Json) -> Outcome {
        if reply["ok"] == true {
            Outcome::Text(reply["output"].as_str().unwrap_or_default().to_owned())
        } else {
            let phase = reply["phase"].as_str().unwrap_or_default();
            let error = reply["error"].as_str().unwrap_or_default();
            Outcome::Error(format!("{phase}: {error}"))
        }
    }

    fn read(output: &mut BufReader<ChildStdout>) -> Theirs {
        let mut line = String::new();
        output.read_line(&mut line).expect("reading from ruby");
        assert!(!line.is_empty(), "the ruby renderer exited");
        let reply: Json = serde_json::from_str(&line).expect("ruby replies with JSON");
        Theirs {
            strict: Self::outcome(&reply),
            lax: reply.get("lax").map(Self::outcome),
        }
    }

    /// Renders one subject.
    pub fn render(&mut self, s: &Subject) -> Theirs {
        self.render_patched(s, None)
    }

    /// Renders one subject with Shopify changed by `patch` (Ruby code run first, in a
    /// process of its own).
    pub fn render_patched(&mut self, s: &Subject, patch: Option<&str>) -> Theirs {
        writeln!(self.input, "{}", Self::request(s, patch)).expect("writing to ruby");
        self.input.flush().expect("writing to ruby");
        Self::read(&mut self.output)
    }

    /// Renders many subjects, streaming them to Ruby while reading the replies.
    pub fn render_all(&mut self, subjects: &[Subject]) -> Vec<Theirs> {
        let lines: Vec<String> = subjects.iter().map(|s| Self::request(s, None)).collect();
        let (input, output) = (&mut self.input, &mut self.output);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                for line in &lines {
                    writeln!(input, "{line}").expect("writing to ruby");
                }
                input.flush().expect("writing to ruby");
            });
            (0..subjects.len()).map(|_| Self::read(output)).collect()
        })
    }
}

impl Drop for Shopify {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
