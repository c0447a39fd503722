//! promo-liquid against the `liquid` crate (0.26), on the same templates and data, in
//! the same run.
//!
//! Three promo-campaign templates render against one CleverTap-like record (an `Event`
//! whose keys have spaces, like `"Coupon Code"`, and a `Profile` with ten orders):
//!
//! - `push`: a one-line push body, two lookups and a `default`;
//! - `message`: `assign`, `if`/`elsif`, `upcase`, `date` and `truncate` over a few lines;
//! - `loop`: a ten-item `for` loop with `times`, `minus`, `divided_by` and `plus`.
//!
//! For each template, `render/<name>` times one render and `parse/<name>` one compile,
//! through both engines (functions `promo-liquid` and `liquid-crate`). Each engine is
//! used its fastest way: compiled once, globals built once (a `liquid::Object` for the
//! crate, a [`Value`] for us, both from the same JSON), output into a reused buffer
//! cleared every iteration. Before anything is timed, both engines render every template
//! once and must produce the same text, so the two sides do the same work.
//!
//! After criterion has run, a table of mean times and the ratio
//! (liquid crate / promo-liquid, higher is better for us) is printed, read from
//! criterion's `estimates.json` files written by this run.
//!
//! Run it with `cargo bench --bench render` (about a minute and a half on two cores);
//! pass a filter after `--` to run some groups only, e.g.
//! `cargo bench --bench render -- render/`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use promo_liquid::liquid::{Environment, ObjectView, Value};

/// The templates, by name: what a coupon campaign sends.
const TEMPLATES: [(&str, &str); 3] = [
    (
        "push",
        r#"Hi {{ Profile.Name | default: "there" }}, your code {{ Event["Coupon Code"] }} is ready!"#,
    ),
    (
        "message",
        r#"{% assign tier = Profile.Tier | upcase -%}
{% if Event["Coupon Value"] >= 1000 -%}
Big win, {{ Profile.Name }}!
{%- elsif Event["Coupon Value"] >= 500 -%}
Nice one, {{ Profile.Name }}!
{%- else -%}
Hello {{ Profile.Name }},
{%- endif %}
As a {{ tier }} member you get {{ Event["Coupon Code"] }}, worth Rs {{ Event["Coupon Value"] }}.
Use it before {{ Event["Expiry Date"] | date: "%d %b %Y" }}.
{{ Event["Coupon Description"] | truncate: 40 }}"#,
    ),
    (
        "loop",
        r#"{% assign total = 0 -%}
Your last {{ Profile.orders | size }} orders:
{% for order in Profile.orders -%}
{% assign amount = order.price | times: order.qty | minus: order.discount -%}
{% assign total = total | plus: amount -%}
{{ forloop.index }}. {{ order.item }} x{{ order.qty }}: Rs {{ amount }}, {{ amount | divided_by: 100 | plus: Event.Multiplier }} points
{% endfor -%}
Total Rs {{ total }}, {{ total | divided_by: 100 | times: Event.Multiplier }} points."#,
    ),
];

/// One CleverTap-like record: the event's properties under their display names and the
/// user's profile.
fn globals() -> serde_json::Value {
    let items = [
        "Basmati Rice 5kg",
        "Sunflower Oil 1L",
        "Masala Chai 250g",
        "Toor Dal 1kg",
        "Ghee 500ml",
        "Atta 10kg",
        "Paneer 200g",
        "Cashews 500g",
        "Jaggery 1kg",
        "Detergent 2kg",
    ];
    let orders: Vec<serde_json::Value> = items
        .iter()
        .zip(0i64..)
        .map(|(item, i)| {
            serde_json::json!({
                "id": format!("ORD-{}", 20_261_000 + i),
                "item": item,
                "qty": 1 + i % 3,
                "price": 149 + 87 * i,
                "discount": 10 * (i % 4),
            })
        })
        .collect();
    serde_json::json!({
        "Event": {
            "Coupon Code": "DIWALI-500-X7Q2",
            "Coupon Value": 500,
            "Coupon Description": "Flat Rs 500 off on groceries above Rs 1999, once per user",
            "Expiry Date": "2026-11-01 10:00:00",
            "Campaign Name": "Diwali Dhamaka",
            "Multiplier": 2,
        },
        "Profile": {
            "Name": "Asha",
            "Email": "asha@example.com",
            "Tier": "gold",
            "Points Balance": 4820,
            "orders": orders,
        },
    })
}

/// Both engines, each with every template compiled and the globals in its own form.
struct Engines {
    ours: Vec<promo_liquid::liquid::Template>,
    ours_globals: Value,
    theirs: Vec<liquid::Template>,
    theirs_globals: liquid::Object,
}

impl Engines {
    fn new() -> Self {
        let env = Environment::new();
        let parser = liquid_parser();
        let json = globals();
        Engines {
            ours: TEMPLATES
                .iter()
                .map(|(name, source)| {
                    env.compile(name, source)
                        .unwrap_or_else(|e| panic!("promo-liquid cannot compile {name}: {e:#}"))
                })
                .collect(),
            theirs: TEMPLATES
                .iter()
                .map(|(name, source)| {
                    parser
                        .parse(source)
                        .unwrap_or_else(|e| panic!("liquid crate cannot parse {name}: {e}"))
                })
                .collect(),
            theirs_globals: liquid::to_object(&json).expect("the globals are a JSON object"),
            ours_globals: Value::from(&json),
        }
    }

    /// Panics unless both engines render every template to the same text, cleanly.
    fn assert_same_output(&self) {
        for (i, (name, _)) in TEMPLATES.iter().enumerate() {
            let (ours, report) = self.ours[i]
                .render_to_string(&self.ours_globals)
                .unwrap_or_else(|e| panic!("promo-liquid cannot render {name}: {e:#}"));
            assert!(
                report.warnings.is_empty() && report.aborted.is_none(),
                "promo-liquid rendered {name} with {report:?}"
            );
            let theirs = self.theirs[i]
                .render(&self.theirs_globals)
                .unwrap_or_else(|e| panic!("liquid crate cannot render {name}: {e}"));
            assert_eq!(
                ours, theirs,
                "the engines disagree on {name}: left is promo-liquid, right the liquid crate"
            );
        }
    }
}

fn liquid_parser() -> liquid::Parser {
    liquid::ParserBuilder::with_stdlib()
        .build()
        .expect("the standard library builds")
}

fn bench_render(c: &mut Criterion, engines: &Engines) {
    for (i, (name, _)) in TEMPLATES.iter().enumerate() {
        let mut group = c.benchmark_group(format!("render/{name}"));
        let template = &engines.ours[i];
        let globals: &dyn ObjectView = &engines.ours_globals;
        let mut out = String::new();
        group.bench_function("promo-liquid", |b| {
            b.iter(|| {
                out.clear();
                template.render(globals, &mut out).expect("render succeeds");
                black_box(&out);
            });
        });
        let template = &engines.theirs[i];
        let globals = &engines.theirs_globals;
        let mut buf: Vec<u8> = Vec::new();
        group.bench_function("liquid-crate", |b| {
            b.iter(|| {
                buf.clear();
                template
                    .render_to(&mut buf, globals)
                    .expect("render succeeds");
                black_box(&buf);
            });
        });
        group.finish();
    }
}

fn bench_parse(c: &mut Criterion) {
    let env = Environment::new();
    let parser = liquid_parser();
    for (name, source) in TEMPLATES {
        let mut group = c.benchmark_group(format!("parse/{name}"));
        group.bench_function("promo-liquid", |b| {
            b.iter(|| env.compile(name, black_box(source)).expect("compiles"));
        });
        group.bench_function("liquid-crate", |b| {
            b.iter(|| parser.parse(black_box(source)).expect("parses"));
        });
        group.finish();
    }
}

/// Where criterion writes its estimates: where it would look by itself, except that
/// we tell it, so the ratio table reads from the same place.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        Path::new(&target).join("criterion")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion")
    }
}

/// The mean time in nanoseconds criterion estimated for `group`/`function`, if this
/// run (started at `since`) measured it.
fn mean_ns(dir: &Path, group: &str, function: &str, since: SystemTime) -> Option<f64> {
    // Criterion's directory names replace `/` (and a few other characters) with `_`.
    let file = dir
        .join(group.replace('/', "_"))
        .join(function)
        .join("new/estimates.json");
    let written = std::fs::metadata(&file).and_then(|m| m.modified()).ok()?;
    if written < since {
        return None;
    }
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

/// Prints mean times and ratios for every group this run measured; nothing when it
/// measured none (`--test` mode, or a filter that matched nothing).
fn print_ratios(dir: &Path, since: SystemTime) {
    let cell = |ns: Option<f64>| ns.map_or_else(|| "-".to_owned(), |ns| format!("{ns:.0}"));
    let mut rows = Vec::new();
    for kind in ["render", "parse"] {
        for (name, _) in TEMPLATES {
            let group = format!("{kind}/{name}");
            let ours = mean_ns(dir, &group, "promo-liquid", since);
            let theirs = mean_ns(dir, &group, "liquid-crate", since);
            if ours.is_none() && theirs.is_none() {
                continue;
            }
            let ratio = match (ours, theirs) {
                (Some(ours), Some(theirs)) => format!("{:.2}x", theirs / ours),
                _ => "-".to_owned(),
            };
            rows.push((group, cell(ours), cell(theirs), ratio));
        }
    }
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "{:<16} | {:>15} | {:>15} | {:>6}",
        "template", "promo-liquid ns", "liquid ns", "ratio"
    );
    println!("{:-<16}-|-{:->15}-|-{:->15}-|-{:->6}", "", "", "", "");
    for (group, ours, theirs, ratio) in rows {
        println!("{group:<16} | {ours:>15} | {theirs:>15} | {ratio:>6}");
    }
    println!();
    println!("ratio = liquid crate time / promo-liquid time (above 1: promo-liquid is faster)");
}

fn main() {
    let engines = Engines::new();
    engines.assert_same_output();

    let started = SystemTime::now();
    let dir = criterion_dir();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .output_directory(&dir)
        .configure_from_args();
    bench_render(&mut c, &engines);
    bench_parse(&mut c);
    c.final_summary();

    print_ratios(&dir, started);
}
