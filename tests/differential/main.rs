//! Differential testing against Shopify Liquid 5.4 (Debian's `ruby-liquid`): generated
//! marketing templates are rendered by promo-liquid and by Shopify, every disagreement
//! is minimized, and the test fails on any that `tests/differential/deviations.toml`
//! does not list. The README ("Differential testing") says how it compares and how to
//! run it at scale:
//!
//! ```sh
//! DIFFERENTIAL_TEMPLATES=50000 DIFFERENTIAL_SEED=7 cargo test --release --test differential -- --nocapture
//! ```
//!
//! Without Ruby and `ruby-liquid` the tests say so and pass, unless
//! `PROMO_LIQUID_REQUIRE_TOOLS=1` (CI) makes that a failure; `PROMO_LIQUID_SKIP_SHOPIFY=1`
//! skips them where Ruby is installed.

mod data;
mod deviations;
mod engines;
mod fixtures;
mod generate;
mod minimize;
mod rng;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use engines::{Outcome, Shopify, Subject, Theirs, agree, render_ours};
use minimize::Shape;

/// The seed CI uses; any other gives another set of templates.
const DEFAULT_SEED: u64 = 20_261_101;
/// How many templates CI renders.
const DEFAULT_TEMPLATES: u64 = 5_000;
/// Templates that our limits stop (and Shopify renders) are skipped, not compared; more
/// than this share of them means the generator makes unreasonable templates.
const MAX_LIMITED_SHARE: f64 = 0.005;

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, found {v:?}")),
        Err(_) => default,
    }
}

/// A disagreement, minimized.
struct Found {
    index: u64,
    minimal: Subject,
    ours: Outcome,
    theirs: Theirs,
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

impl Found {
    /// The disagreement as a deviations.toml entry to fill in.
    fn as_entry(&self) -> String {
        let mut e = String::new();
        let _ = writeln!(e, "[[deviation]]  # template {}", self.index);
        let _ = writeln!(e, "id = \"\"\nsummary = \"\"");
        let _ = writeln!(e, "template = {}", toml_string(&self.minimal.template));
        let _ = writeln!(e, "data = {}", toml_string(&self.minimal.data.to_string()));
        let _ = writeln!(e, "ours = {}", toml_string(&self.ours.describe()));
        let _ = writeln!(
            e,
            "shopify = {}",
            toml_string(&self.theirs.strict.describe())
        );
        if let Some(lax) = &self.theirs.lax {
            let _ = writeln!(e, "# lax: {}", toml_string(&lax.describe()));
        }
        for (name, _) in &self.minimal.partials {
            let _ = writeln!(e, "# uses partial {name:?}");
        }
        e
    }
}

/// Whether Shopify, patched as the deviation says, renders what we render (true for a
/// deviation without a patch).
fn explains(
    d: &deviations::Deviation,
    subject: &Subject,
    ours: &Outcome,
    shopify: &mut Shopify,
) -> bool {
    match &d.shopify_patch {
        Some(patch) => agree(ours, &shopify.render_patched(subject, Some(patch))),
        None => true,
    }
}

/// The entries that explain a disagreement together when none does alone: every entry
/// with a patch whose pattern matches the template, at least two of them, when Shopify
/// with all their patches renders what we render.
fn explained_together<'d>(
    deviations: &'d [deviations::Deviation],
    subject: &Subject,
    ours: &Outcome,
    shopify: &mut Shopify,
) -> Option<Vec<&'d deviations::Deviation>> {
    let causes: Vec<_> = deviations
        .iter()
        .filter(|d| d.shopify_patch.is_some() && d.pattern_matches(&subject.template))
        .collect();
    if causes.len() < 2 {
        return None;
    }
    let patch = causes
        .iter()
        .filter_map(|d| d.shopify_patch.as_deref())
        .collect::<Vec<_>>()
        .join("\n");
    agree(ours, &shopify.render_patched(subject, Some(&patch))).then_some(causes)
}

#[test]
fn generated_templates_agree_with_shopify() {
    let Some(shopify) = Shopify::start() else {
        return;
    };
    let shopify = std::cell::RefCell::new(shopify);
    let seed = env_number("DIFFERENTIAL_SEED", DEFAULT_SEED);
    let count = env_number("DIFFERENTIAL_TEMPLATES", DEFAULT_TEMPLATES);
    let mut deviations = deviations::load();
    for d in &mut deviations {
        d.observe(&mut shopify.borrow_mut());
    }
    let started = Instant::now();

    let subjects: Vec<Subject> = (0..count)
        .map(|i| {
            let case = generate::case(seed, i);
            Subject {
                template: case.template,
                data: case.data,
                partials: case.partials,
                data_text: None,
            }
        })
        .collect();
    let theirs = shopify.borrow_mut().render_all(&subjects);
    let rendered = started.elapsed();

    let mut limited = 0;
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    let mut unlisted: Vec<Found> = Vec::new();
    for (i, (subject, theirs)) in subjects.iter().zip(&theirs).enumerate() {
        let ours = render_ours(subject);
        if agree(&ours, theirs) {
            continue;
        }
        if let Outcome::Limit(_) = ours {
            limited += 1;
            continue;
        }
        let shape = Shape::of(&ours, theirs);
        let began = Instant::now();
        let tries = std::cell::Cell::new(0);
        let mut still = |candidates: &[Subject]| -> Option<usize> {
            tries.set(tries.get() + candidates.len());
            // Ours first: only the candidates where we still fail (or not) as before go
            // to Ruby.
            let ours: Vec<Outcome> = candidates.iter().map(render_ours).collect();
            let wanted: Vec<usize> = (0..candidates.len())
                .filter(|&i| !matches!(ours[i], Outcome::Limit(_)) && ours[i].side() == shape.ours)
                .collect();
            let asked: Vec<Subject> = wanted.iter().map(|&i| candidates[i].clone()).collect();
            let theirs = shopify.borrow_mut().render_all(&asked);
            wanted.iter().zip(&theirs).find_map(|(&i, theirs)| {
                (!agree(&ours[i], theirs) && Shape::of(&ours[i], theirs) == shape).then_some(i)
            })
        };
        // The template first: most entries need no data pattern, and minimizing the
        // data costs more than the template.
        let mut minimal = minimize::minimize_template_only(subject, &mut still);
        let matched = |minimal: &Subject| {
            let ours = render_ours(minimal);
            let theirs = shopify.borrow_mut().render(minimal);
            let found = deviations.iter().find(|d| {
                d.matches(&minimal.template, &minimal.data, &ours, &theirs)
                    && explains(d, minimal, &ours, &mut shopify.borrow_mut())
            });
            (found, ours, theirs)
        };
        let (mut found, mut ours, mut theirs) = matched(&minimal);
        if found.is_none_or(|d| d.data_pattern.is_some()) {
            minimal = minimize::minimize(&minimal, &mut still);
            (found, ours, theirs) = matched(&minimal);
        }
        if std::env::var_os("DIFFERENTIAL_VERBOSE").is_some() {
            eprintln!(
                "template {i}: minimized in {:.2} s, {} tries: {:?}",
                began.elapsed().as_secs_f64(),
                tries.get(),
                minimal.template
            );
        }
        let listed = match found {
            Some(d) => Some(d.id.clone()),
            None => explained_together(&deviations, &minimal, &ours, &mut shopify.borrow_mut())
                .map(|causes| {
                    let ids: Vec<&str> = causes.iter().map(|d| d.id.as_str()).collect();
                    ids.join(" + ")
                }),
        };
        match listed {
            Some(id) => *hits.entry(id).or_default() += 1,
            None => unlisted.push(Found {
                index: i as u64,
                minimal,
                ours,
                theirs,
            }),
        }
    }

    let disagreements: usize = hits.values().sum::<usize>() + unlisted.len();
    println!(
        "differential: {count} templates (seed {seed}), rendered by Shopify in {:.1} s, \
         compared and minimized in {:.1} s",
        rendered.as_secs_f64(),
        (started.elapsed() - rendered).as_secs_f64()
    );
    println!(
        "  {} agree, {disagreements} disagree ({} listed, {} unlisted), {limited} stopped by our limits",
        count as usize - disagreements - limited,
        disagreements - unlisted.len(),
        unlisted.len()
    );
    for (id, n) in &hits {
        println!("  listed {id}: {n}");
    }
    if !unlisted.is_empty() {
        let mut report = String::new();
        for f in &unlisted {
            report.push_str(&f.as_entry());
            report.push('\n');
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/differential");
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("unlisted-{seed}.toml"));
        let _ = std::fs::write(&file, &report);
        let lines: Vec<String> = unlisted
            .iter()
            .map(|f| {
                serde_json::json!({
                    "index": f.index,
                    "template": f.minimal.template,
                    "data": f.minimal.data,
                    "ours": f.ours.describe(),
                    "shopify": f.theirs.describe(),
                })
                .to_string()
            })
            .collect();
        let _ = std::fs::write(dir.join(format!("unlisted-{seed}.jsonl")), lines.join("\n"));
        println!("{report}");
        println!("(also written to {})", file.display());
    }
    assert!(
        (limited as f64) <= MAX_LIMITED_SHARE * count as f64,
        "{limited} of {count} templates hit our limits"
    );
    assert!(
        unlisted.is_empty(),
        "{} disagreements with Shopify Liquid that deviations.toml does not list (minimized above; \
         reproduce one with DIFFERENTIAL_SEED={seed} and its template number)",
        unlisted.len()
    );
}

#[test]
fn every_listed_deviation_reproduces_and_matches_only_itself() {
    let Some(mut shopify) = Shopify::start() else {
        return;
    };
    let mut deviations = deviations::load();
    for d in &mut deviations {
        d.observe(&mut shopify);
    }
    let mut problems = Vec::new();
    let mut examples = 0;
    for d in &deviations {
        for example in d.examples() {
            examples += 1;
            let subject = example.subject();
            let ours = render_ours(&subject);
            let theirs = shopify.render(&subject);
            let at = format!("{} ({:?})", d.id, example.template);
            if !deviations::Deviation::listed(&example.ours, &ours) {
                problems.push(format!(
                    "{at}: we render {:?}, listed {:?}",
                    ours.describe(),
                    example.ours
                ));
            }
            if !deviations::Deviation::listed(&example.shopify, &theirs.strict) {
                problems.push(format!(
                    "{at}: Shopify renders {:?}, listed {:?}",
                    theirs.describe(),
                    example.shopify
                ));
            }
            if agree(&ours, &theirs) {
                problems.push(format!("{at}: the engines agree now; remove the example"));
            }
            if d.shopify_patch.is_some() && !explains(d, &subject, &ours, &mut shopify) {
                problems.push(format!(
                    "{at}: Shopify with the entry's patch still differs"
                ));
            }
            for other in &deviations {
                let matched = other.matches(&subject.template, &subject.data, &ours, &theirs)
                    && explains(other, &subject, &ours, &mut shopify);
                if other.id == d.id && !matched {
                    problems.push(format!("{at}: the entry's patterns do not match it"));
                }
                if other.id != d.id && matched {
                    problems.push(format!("{at}: it also matches {}", other.id));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "deviations.toml:\n{}",
        problems.join("\n")
    );
    println!(
        "{} deviations listed, {examples} examples, each reproduced",
        deviations.len()
    );
}

#[test]
fn shopify_fixture_outputs_are_shopifys() {
    let Some(mut shopify) = Shopify::start() else {
        return;
    };
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/liquid/shopify.test");
    let cases = fixtures::read(&path);
    assert!(!cases.is_empty(), "no cases in {}", path.display());
    let mut problems = Vec::new();
    for case in &cases {
        let subject = Subject {
            template: case.template.clone(),
            data: case.data.clone(),
            partials: case.partials.clone(),
            data_text: None,
        };
        let theirs = shopify.render(&subject);
        let fine = match (&case.output, &theirs.strict) {
            (Some(expected), Outcome::Text(text)) => expected == text,
            (None, found) => found.is_error(),
            _ => false,
        };
        if !fine {
            problems.push(format!(
                "{}: the fixture says {:?}, Shopify renders {:?}",
                case.name,
                case.output.as_deref().unwrap_or("an error"),
                theirs.describe()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "shopify.test:\n{}",
        problems.join("\n")
    );
}
