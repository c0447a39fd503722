//! The deviations file (`tests/differential/deviations.toml`): every deliberate
//! difference from Shopify Liquid, and how a found disagreement is matched to one.
//!
//! A found disagreement is first minimized; it is a listed deviation when:
//! - the same side fails (or neither does), in the same phase (parsing or rendering), as
//!   in one of the entry's examples (`[[deviation.also]]` adds examples of the same cause
//!   where another side fails); the test renders the examples to learn that;
//! - the entry's `pattern` matches the whole minimized template;
//! - `data_pattern`, if given, matches the whole minimized data (compact JSON);
//! - `ours_pattern` and `shopify_pattern`, if given, match the whole of what each engine
//!   gave (its text, or `error: ...`; for Shopify, its strict outcome and, after
//!   ` (lax: `, its lax one when the strict parser refused the template);
//! - with `reordered`, the two outputs hold the same characters in another order;
//! - `shopify_patch`, if given, is Ruby code that makes Shopify do what we do (undefines
//!   `Integer#size`, say): with it, Shopify must render what we render. This is what
//!   keeps an entry from excusing more than its cause: the disagreement must vanish
//!   when that one behaviour is changed.
//!
//! A disagreement that no one entry explains may have two listed causes the minimizer
//! could not part (a Base64 decode whose bytes meet an array printed in Ruby syntax):
//! it is listed when the patterns of two or more entries with patches match it and
//! Shopify with all those patches renders what we render.
//!
//! Patterns are regular expressions over a template a few tokens long, so an entry
//! covers one construct, not a family. To keep them that way the test checks every entry:
//! each example reproduces exactly (we still give `ours`, Shopify still gives `shopify`),
//! the entry's patterns match its own examples, and no other entry's patterns match them.

use regex::Regex;
use serde::Deserialize;
use serde_json::Value as Json;

use super::engines::{Outcome, Shopify, Subject, Theirs, render_ours};
use super::generate::PARTIALS;
use super::minimize::Shape;

/// One deliberate difference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    pub id: String,
    pub summary: String,
    /// The minimal example.
    pub template: String,
    /// Its globals, as JSON text (empty for none).
    #[serde(default)]
    pub data: String,
    /// What we render (or `error: ...`).
    pub ours: String,
    /// What Shopify Liquid 5.4 renders (or `error: ...`).
    pub shopify: String,
    /// Why we differ.
    pub reason: String,
    /// What python-liquid does, from its documentation or source (or `unknown`).
    pub python_liquid: String,
    /// What LiquidJS does, from its documentation or source (or `unknown`).
    pub liquidjs: String,
    pub pattern: String,
    pub data_pattern: Option<String>,
    pub ours_pattern: Option<String>,
    pub shopify_pattern: Option<String>,
    /// Ruby code that makes Shopify behave as we do in this respect.
    pub shopify_patch: Option<String>,
    /// Whether the two outputs must hold the same characters in another order.
    #[serde(default)]
    pub reordered: bool,
    /// How the examples come out (which side fails, in which phase), once observed.
    #[serde(skip)]
    shapes: Vec<Shape>,
    /// More examples of the same cause.
    #[serde(default)]
    pub also: Vec<Example>,
    #[serde(skip)]
    compiled: Option<Compiled>,
}

/// A further example of a deviation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub template: String,
    #[serde(default)]
    pub data: String,
    pub ours: String,
    pub shopify: String,
}

#[derive(Debug)]
struct Compiled {
    pattern: Regex,
    data: Option<Regex>,
    ours: Option<Regex>,
    shopify: Option<Regex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    deviation: Vec<Deviation>,
}

fn anchored(pattern: &str, id: &str) -> Regex {
    Regex::new(&format!("^(?s:{pattern})$"))
        .unwrap_or_else(|e| panic!("deviation {id}: bad pattern {pattern:?}: {e}"))
}

/// Loads and checks the deviations file.
pub fn load() -> Vec<Deviation> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/deviations.toml");
    let text = std::fs::read_to_string(&path).expect("deviations.toml is readable");
    let mut file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("deviations.toml: {e}"));
    for d in &mut file.deviation {
        let id = d.id.clone();
        d.compiled = Some(Compiled {
            pattern: anchored(&d.pattern, &id),
            data: d.data_pattern.as_deref().map(|p| anchored(p, &id)),
            ours: d.ours_pattern.as_deref().map(|p| anchored(p, &id)),
            shopify: d.shopify_pattern.as_deref().map(|p| anchored(p, &id)),
        });
        for (field, value) in [
            ("summary", &d.summary),
            ("reason", &d.reason),
            ("python_liquid", &d.python_liquid),
            ("liquidjs", &d.liquidjs),
        ] {
            assert!(!value.trim().is_empty(), "deviation {id}: {field} is empty");
        }
    }
    let mut ids: Vec<&str> = file.deviation.iter().map(|d| d.id.as_str()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "deviation ids must be unique");
    file.deviation
}

impl Example {
    /// The example as something to render, with the generator's partials.
    pub fn subject(&self) -> Subject {
        Subject {
            template: self.template.clone(),
            data: self.data_json(),
            data_text: (!self.data.trim().is_empty()).then(|| self.data.clone()),
            partials: PARTIALS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The example's globals.
    pub fn data_json(&self) -> Json {
        if self.data.trim().is_empty() {
            Json::Object(Default::default())
        } else {
            serde_json::from_str(&self.data).unwrap_or_else(|e| {
                panic!(
                    "deviation example {:?}: data is not JSON: {e}",
                    self.template
                )
            })
        }
    }
}

impl Deviation {
    /// The entry's examples: the main one, then the others.
    pub fn examples(&self) -> Vec<Example> {
        let main = Example {
            template: self.template.clone(),
            data: self.data.clone(),
            ours: self.ours.clone(),
            shopify: self.shopify.clone(),
        };
        std::iter::once(main)
            .chain(self.also.iter().cloned())
            .collect()
    }

    /// Renders the examples to learn which side fails in each, and in which phase.
    pub fn observe(&mut self, shopify: &mut Shopify) {
        let shapes = self
            .examples()
            .iter()
            .map(|e| {
                let subject = e.subject();
                Shape::of(&render_ours(&subject), &shopify.render(&subject))
            })
            .collect();
        self.shapes = shapes;
    }

    /// Whether a minimized disagreement is this deviation ([`Deviation::observe`] first).
    pub fn matches(&self, template: &str, data: &Json, ours: &Outcome, theirs: &Theirs) -> bool {
        let c = self.compiled.as_ref().expect("loaded through load()");
        assert!(
            !self.shapes.is_empty(),
            "deviation {}: not observed",
            self.id
        );
        self.shapes.contains(&Shape::of(ours, theirs))
            && self.pattern_matches(template)
            && c.data
                .as_ref()
                .is_none_or(|re| re.is_match(&data.to_string()))
            && c.ours
                .as_ref()
                .is_none_or(|re| re.is_match(&ours.describe()))
            && c.shopify
                .as_ref()
                .is_none_or(|re| re.is_match(&theirs.describe()))
            && (!self.reordered || reordered(ours, &theirs.strict))
    }

    /// Whether the entry's template pattern matches `template` (the first test of
    /// [`Deviation::matches`], alone: for disagreements that several entries explain
    /// together).
    pub fn pattern_matches(&self, template: &str) -> bool {
        let c = self.compiled.as_ref().expect("loaded through load()");
        c.pattern.is_match(template)
    }

    /// Whether an engine's outcome is what the entry lists (errors by kind only).
    pub fn listed(listed: &str, found: &Outcome) -> bool {
        match found {
            Outcome::Text(t) => !listed.starts_with("error") && listed == t,
            _ => listed.starts_with("error"),
        }
    }
}

/// Whether two texts hold the same characters in another order.
fn reordered(ours: &Outcome, theirs: &Outcome) -> bool {
    let (Outcome::Text(a), Outcome::Text(b)) = (ours, theirs) else {
        return false;
    };
    let sorted = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.sort_unstable();
        chars
    };
    a != b && sorted(a) == sorted(b)
}
