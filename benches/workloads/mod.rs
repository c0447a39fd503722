//! The send-time workloads that `benches/engines.rs` times and
//! `examples/instructions.rs` counts instructions of: three campaign messages, realistic
//! records for them, and the paths users run, through promo-liquid and through the two
//! engines a Rust user would otherwise pick, the `liquid` crate (0.26) and minijinja 2.
//!
//! The workloads (Liquid in [`WORKLOADS`], an equivalent Jinja template beside each):
//!
//! - `push`: a one-line coupon push with two `default`s;
//! - `branches`: a message with a branch for each of the six events (`if`/`elsif` on
//!   `EventName`), `assign`, `date`, `truncate` and `upcase`;
//! - `loop`: the user's last ten orders, with arithmetic (`times`, `minus`, `plus`,
//!   `divided_by`) and conditions in the loop.
//!
//! The paths ([`Path`]), each through every engine:
//!
//! - `render`: the render alone, the globals of every record built beforehand (a
//!   different record's globals each iteration);
//! - `library`: a record's JSON line to its text, as a library user renders: the line
//!   parsed, the globals `EventName`, `Event` and `Profile` taken from it in place
//!   (promo-liquid reads a borrowed `serde_json_borrow` tree; the other engines need
//!   their own values, built straight from the same borrowed tree), rendered into a
//!   reused buffer. Records spell property names canonically, as the template does;
//! - `record`: promo-liquid's [`Record::parse`] and [`Message::render_reusing`] (the
//!   record validated and typed, property names in any style found under the canonical
//!   one); the other engines do what they need for the same text: the library path plus
//!   renaming the event's properties to their canonical names;
//! - `line`: the whole per-record path of `promo-liquid batch`
//!   ([`promo_liquid::batch::Worker::render_line`]: UTF-8 check, record, render, outcome
//!   line); the other engines: the `record` path plus the same outcome line, written by
//!   the same code.
//!
//! The records come from the one generator (`examples/gen_records`): about 1.5 KB each,
//! a profile with about ten recent orders, property names in every style (canonical,
//! camelCase, snake_case) for `record` and `line`, dates in every input format. They
//! are *complete* (every optional property set): the `liquid` crate fails on a missing
//! value even under `default`, and it has to render every record. `push` is a CT
//! Coupon Rewarded push, so its records are that event; the others mix all six.
//!
//! The `liquid` crate's `date` cannot read the records' dates (`01-11-2026 23:59:59`)
//! and compiles a regex on every call, so both baselines get the same `date` filter,
//! written here with chrono (see [`baseline_date`]); promo-liquid uses its own.
//!
//! [`Record::parse`]: promo_liquid::promo::record::Record::parse
//! [`Message::render_reusing`]: promo_liquid::message::Message::render_reusing

#![allow(dead_code)] // the bench and the instruction counter each take what they need

use promo_liquid::promo::schema::EventKind;

pub mod baseline_date;
pub mod jinja;
pub mod liquid_crate;
pub mod ours;
#[path = "../../examples/gen_records/records.rs"]
pub mod records;

/// A message, in Liquid and in Jinja, and the events its records are drawn from.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// `push`, `branches` or `loop`.
    pub name: &'static str,
    /// The template, for promo-liquid and the `liquid` crate.
    pub liquid: &'static str,
    /// The same template in Jinja, for minijinja.
    pub jinja: &'static str,
    /// The events of its records; empty for all six.
    pub events: &'static [EventKind],
}

/// The three workloads.
pub const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "push",
        liquid: r#"Hi {{ Profile.Name | default: "there" }}, your code {{ Event["Coupon Code"] | default: Event["Coupon Name"] }} is ready!"#,
        jinja: r#"Hi {{ Profile.Name | default("there", true) }}, your code {{ Event["Coupon Code"] | default(Event["Coupon Name"], true) }} is ready!"#,
        events: &[EventKind::CouponRewarded],
    },
    Workload {
        name: "branches",
        liquid: r#"{%- assign tier = Profile.Tier | upcase -%}
{%- if EventName == "CT Coupon Rewarded" -%}
{{ tier }} reward for {{ Profile.Name }}: use {{ Event["Coupon Code"] }} before {{ Event["Coupon Expiry Date"] | date: "%d %b %Y" }}. {{ Event["Coupon Description"] | truncate: 24 }}
{%- elsif EventName == "CT Coupon Redeemed" -%}
You saved Rs {{ Event["Discount Amount"] }} with {{ Event["Coupon Code"] | upcase }} on order {{ Event["Order Id"] }}, {{ tier }} member.
{%- elsif EventName == "CT Coupon Reverted" -%}
{{ Profile.Name }}, coupon {{ Event["Coupon Code"] }} is back in your account: order {{ Event["Order Id"] }} was cancelled.
{%- elsif EventName == "CT Points Credited" -%}
+{{ Event.Points }} points in {{ Event["Wallet Name"] | upcase }}, {{ tier }} member! {{ Event["Wallet Description"] | truncate: 30 }}
{%- elsif EventName == "CT Points Debited" -%}
{{ Event.Points }} points were used from your {{ Event["Wallet Name"] }} wallet ({{ Event.Source | upcase }}).
{%- else -%}
{{ Event["Code Provider"] | upcase }} voucher for {{ Profile.Name }}: {{ Event["Code Name"] }}. {{ Event["Code Description"] | truncate: 28 }}
{%- endif -%}"#,
        jinja: r#"{%- set tier = Profile.Tier | upper -%}
{%- if EventName == "CT Coupon Rewarded" -%}
{{ tier }} reward for {{ Profile.Name }}: use {{ Event["Coupon Code"] }} before {{ Event["Coupon Expiry Date"] | date("%d %b %Y") }}. {{ Event["Coupon Description"] | truncate(length=24, killwords=true, end="...", leeway=0) }}
{%- elif EventName == "CT Coupon Redeemed" -%}
You saved Rs {{ Event["Discount Amount"] }} with {{ Event["Coupon Code"] | upper }} on order {{ Event["Order Id"] }}, {{ tier }} member.
{%- elif EventName == "CT Coupon Reverted" -%}
{{ Profile.Name }}, coupon {{ Event["Coupon Code"] }} is back in your account: order {{ Event["Order Id"] }} was cancelled.
{%- elif EventName == "CT Points Credited" -%}
+{{ Event.Points }} points in {{ Event["Wallet Name"] | upper }}, {{ tier }} member! {{ Event["Wallet Description"] | truncate(length=30, killwords=true, end="...", leeway=0) }}
{%- elif EventName == "CT Points Debited" -%}
{{ Event.Points }} points were used from your {{ Event["Wallet Name"] }} wallet ({{ Event.Source | upper }}).
{%- else -%}
{{ Event["Code Provider"] | upper }} voucher for {{ Profile.Name }}: {{ Event["Code Name"] }}. {{ Event["Code Description"] | truncate(length=28, killwords=true, end="...", leeway=0) }}
{%- endif -%}"#,
        events: &[],
    },
    Workload {
        name: "loop",
        liquid: r#"{%- assign total = 0 -%}
Your last {{ Profile.orders | size }} orders, {{ Profile.Name }}:
{% for order in Profile.orders limit: 10 -%}
{%- assign amount = order.price | times: order.qty | minus: order.discount -%}
{%- assign total = total | plus: amount -%}
{{ forloop.index }}. {{ order.item }} x{{ order.qty }}: Rs {{ amount }}{% if order.discount > 0 %} ({{ order.discount }} off){% endif %}{% if amount >= 5000 %}, a big one{% endif %}
{% endfor -%}
Total Rs {{ total }}: {{ total | divided_by: 100 }} points{% if total > 20000 %} and a gold badge{% endif %}."#,
        jinja: r#"{%- set ns = namespace(total=0) -%}
Your last {{ Profile.orders | length }} orders, {{ Profile.Name }}:
{% for order in Profile.orders[:10] -%}
{%- set amount = order.price * order.qty - order.discount -%}
{%- set ns.total = ns.total + amount -%}
{{ loop.index }}. {{ order.item }} x{{ order.qty }}: Rs {{ amount }}{% if order.discount > 0 %} ({{ order.discount }} off){% endif %}{% if amount >= 5000 %}, a big one{% endif %}
{% endfor -%}
Total Rs {{ ns.total }}: {{ ns.total // 100 }} points{% if ns.total > 20000 %} and a gold badge{% endif %}."#,
        events: &[],
    },
];

/// A workload by name.
pub fn workload(name: &str) -> Option<Workload> {
    WORKLOADS.iter().copied().find(|w| w.name == name)
}

/// What is timed: see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The render alone, globals built beforehand.
    Render,
    /// JSON line to text, globals read in place from the parsed line.
    Library,
    /// promo-liquid's `Record::parse` and `Message::render_reusing`.
    Record,
    /// The whole per-record path of `promo-liquid batch`.
    Line,
}

impl Path {
    /// Every path, in table order.
    pub const ALL: [Path; 4] = [Path::Render, Path::Library, Path::Record, Path::Line];

    /// The path's name in groups and tables.
    pub fn name(self) -> &'static str {
        match self {
            Path::Render => "render",
            Path::Library => "library",
            Path::Record => "record",
            Path::Line => "line",
        }
    }

    /// A path by name.
    pub fn from_name(name: &str) -> Option<Path> {
        Path::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether its records spell property names in every style (otherwise canonically).
    pub fn mixed_names(self) -> bool {
        matches!(self, Path::Record | Path::Line)
    }
}

/// The engines compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// promo-liquid.
    Ours,
    /// The `liquid` crate 0.26.
    LiquidCrate,
    /// minijinja 2.
    Minijinja,
}

impl Engine {
    /// Every engine, in table order.
    pub const ALL: [Engine; 3] = [Engine::Ours, Engine::LiquidCrate, Engine::Minijinja];

    /// The engine's name in groups and tables.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Ours => "promo-liquid",
            Engine::LiquidCrate => "liquid-crate",
            Engine::Minijinja => "minijinja",
        }
    }

    /// An engine by name.
    pub fn from_name(name: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// `count` JSON lines for `workload`, names spelled in every style or canonically, the
/// same for the same arguments.
pub fn lines(workload: &Workload, mixed_names: bool, count: usize) -> Vec<String> {
    let shape = records::Shape {
        events: workload.events.to_vec(),
        names: if mixed_names {
            records::Names::Mixed
        } else {
            records::Names::Canonical
        },
        complete: true,
        orders: 10,
    };
    let mut generator = records::Generator::new(2026, shape);
    (0..count).map(|_| generator.line()).collect()
}

/// The canonical name of an event property as a record may spell it (`couponCode`,
/// `coupon_code`), for the baselines, which have no schema of their own.
pub fn canonical(name: &str) -> &str {
    promo_liquid::promo::schema::lookup_input(name).map_or(name, |id| id.property().name)
}

/// The three engines, each with the three workloads compiled.
pub struct Engines {
    /// promo-liquid.
    pub ours: ours::Ours,
    /// The `liquid` crate.
    pub liquid: liquid_crate::LiquidCrate,
    /// minijinja.
    pub jinja: jinja::Jinja,
}

impl Engines {
    /// Every engine with every workload compiled.
    pub fn new() -> Self {
        Engines {
            ours: ours::Ours::new(),
            liquid: liquid_crate::LiquidCrate::new(),
            jinja: jinja::Jinja::new(),
        }
    }
}

/// One iteration of a path: given a record's index, render it and append what comes
/// out (the text, or the outcome line for [`Path::Line`]) to the buffer.
pub type Run<'a> = Box<dyn FnMut(usize, &mut Vec<u8>) + 'a>;

impl Engines {
    /// `path` of workload `w` through `engine`, on the records `lines`. The render path
    /// builds every record's globals now, so that only the render is timed.
    pub fn runner<'a>(
        &'a self,
        engine: Engine,
        path: Path,
        w: usize,
        lines: &'a [String],
    ) -> Run<'a> {
        match engine {
            Engine::Ours => self.ours.runner(path, w, lines),
            Engine::LiquidCrate => self.liquid.runner(path, w, lines),
            Engine::Minijinja => self.jinja.runner(path, w, lines),
        }
    }
}

/// Panics unless every engine gives the same output as promo-liquid for each of the
/// first `records` records of every workload on every path. (promo-liquid's runners
/// panic on a failed render or a warning.)
pub fn assert_same_output(engines: &Engines, records: usize) {
    for (w, workload) in WORKLOADS.iter().enumerate() {
        for path in Path::ALL {
            let lines = lines(workload, path.mixed_names(), records);
            let mut outputs: Vec<(Engine, Vec<u8>)> = Vec::new();
            for engine in Engine::ALL {
                let mut run = engines.runner(engine, path, w, &lines);
                let mut out = Vec::new();
                for i in 0..lines.len() {
                    run(i, &mut out);
                    out.push(0);
                }
                outputs.push((engine, out));
            }
            let split = |out: &[u8]| -> Vec<String> {
                out.split(|b| *b == 0)
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            };
            let ours = split(&outputs[0].1);
            for (engine, out) in &outputs[1..] {
                for (i, (a, b)) in ours.iter().zip(split(out)).enumerate() {
                    assert_eq!(
                        *a,
                        b,
                        "{} differs from promo-liquid (left) on record {i} of {} ({} path):\n{}",
                        engine.name(),
                        workload.name,
                        path.name(),
                        lines.get(i).map_or("", String::as_str)
                    );
                }
            }
        }
    }
}
