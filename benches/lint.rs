//! Lint of a 200-line message: what an editor pays to lint on every keystroke.
//!
//! The message is an email for CT Coupon Rewarded whose `html` field has 200 lines of
//! the usual shapes, repeated: guarded optional properties, defaults, dates through
//! `date`, `case` on a property, profile fields, a loop, an `abort` guard, and a few
//! findings (an unguarded `Coupon Code`, a Date through `upcase`, a custom property),
//! so that every check runs and reports.
//!
//! - `lint/message`: [`lint::lint_message`] on the file's text: TOML parse with spans,
//!   message validation, compile of each field, analysis, every check, and placing the
//!   findings in the file.
//! - `lint/checks`: [`lint::lint_compiled`] on the compiled 200-line field: its static
//!   analysis and every check, what lint adds to compiling the template.
//! - `lint/analysis`: `Template::analyze` of the compiled field alone.
//! - `lint/compile`: compiling the field, for scale (the engine's cost, not lint's).
//!
//! Run it with `cargo bench --bench lint`.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use promo_liquid::lint;
use promo_liquid::promo::{self, Settings, schema::EventKind};

/// Ten lines of a coupon email's body; repeated twenty times, 200 lines.
const BLOCK: &str = r#"{%- if Event["Coupon Code"] %}<p>Code <b>{{ Event["Coupon Code"] | escape }}</b></p>
{%- else %}<p>{{ Event["Coupon Name"] | escape }} is in your account</p>{% endif %}
<p>{{ Event["Coupon Description"] | default: "A treat for you" | truncate: 60 }}</p>
<p>From {{ Event["Coupon Start Date"] | date: "%-d %b" }} to {{ Event.coupon_expiry_date | date: "%-d %b %Y" }}</p>
{%- case Event["Coupon Id"] %}{% when "vip" %}<p>VIP {{ Profile.Tier | default: "member" }}</p>{% endcase %}
<p>Hi {{ Profile.Name | default: "there" }}, {{ Event["Coupon Expiry Date"] | days_until }} days left</p>
{%- for order in Profile.Orders limit: 3 %}<li>{{ order.id }}: {{ order.total | money: "INR" }}</li>{% endfor %}
{%- if Event["Terms and Condition"] != blank %}<small>{{ Event["Terms and Condition"] }}</small>{% endif %}
<p>{{ Event["Coupon Code"] }} {{ Event["Coupon Expiry Date"] | upcase }} {{ Event["Loyalty Tier"] }}</p>
{%- if Event["Redemption Activation Date"] == blank %}{% abort "no activation" %}{% endif %}"#;

fn message() -> String {
    let html: Vec<&str> = std::iter::repeat_n(BLOCK, 20).collect();
    let html = html.join("\n");
    assert_eq!(html.lines().count(), 200);
    format!(
        "event = \"CT Coupon Rewarded\"\nchannel = \"email\"\n\n[fields]\n\
         subject = \"{{{{ Profile.Name | default: 'Hi' }}}}, your coupon\"\n\
         html = '''\n{html}'''\n"
    )
}

fn main() {
    let env = promo::environment(&Settings::default());
    let text = message();
    let found = lint::lint_message(&text, &env);
    // 20 x (unguarded Coupon Code, Date through upcase) + one custom property.
    assert_eq!(found.len(), 41, "{found:#?}");

    let html = text
        .split_once("html = '''\n")
        .and_then(|(_, rest)| rest.strip_suffix("'''\n"))
        .expect("the html field");
    let template = env.compile("html", html).expect("it compiles");
    let events = [EventKind::CouponRewarded];
    assert_eq!(lint::lint_compiled(&template, &events).len(), 41);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = c.benchmark_group("lint");
    group.bench_function("message", |b| {
        b.iter(|| lint::lint_message(black_box(&text), &env))
    });
    group.bench_function("checks", |b| {
        b.iter(|| lint::lint_compiled(black_box(&template), &events))
    });
    group.bench_function("analysis", |b| b.iter(|| black_box(&template).analyze()));
    group.bench_function("compile", |b| {
        b.iter(|| env.compile("html", black_box(html)))
    });
    group.finish();
    c.final_summary();
}
