//! The benchmark workloads, rendered a fixed number of times, for instruction counts
//! (timings on a shared machine are noise; instructions are not):
//!
//! ```sh
//! cargo build --release --example workload
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/examples/workload loop 20000
//! ```
//!
//! Workloads: `push`, `message` and `loop` are the templates of `benches/render.rs`
//! against its globals; `pipeline` is the per-record path of `benches/pipeline.rs`
//! (`batch::Worker::render_line` on generated CT Coupon Rewarded records).

use std::hint::black_box;

use promo_liquid::batch::{Batch, BatchOptions};
use promo_liquid::liquid::{Environment, ObjectView, Value};
use promo_liquid::message::Message;
use promo_liquid::promo::schema::EventKind;
use promo_liquid::promo::{self, Settings};

#[path = "gen_records/records.rs"]
mod records;

const PUSH: &str =
    r#"Hi {{ Profile.Name | default: "there" }}, your code {{ Event["Coupon Code"] }} is ready!"#;

const MESSAGE: &str = r#"{% assign tier = Profile.Tier | upcase -%}
{% if Event["Coupon Value"] >= 1000 -%}
Big win, {{ Profile.Name }}!
{%- elsif Event["Coupon Value"] >= 500 -%}
Nice one, {{ Profile.Name }}!
{%- else -%}
Hello {{ Profile.Name }},
{%- endif %}
As a {{ tier }} member you get {{ Event["Coupon Code"] }}, worth Rs {{ Event["Coupon Value"] }}.
Use it before {{ Event["Expiry Date"] | date: "%d %b %Y" }}.
{{ Event["Coupon Description"] | truncate: 40 }}"#;

const LOOP: &str = r#"{% assign total = 0 -%}
Your last {{ Profile.orders | size }} orders:
{% for order in Profile.orders -%}
{% assign amount = order.price | times: order.qty | minus: order.discount -%}
{% assign total = total | plus: amount -%}
{{ forloop.index }}. {{ order.item }} x{{ order.qty }}: Rs {{ amount }}, {{ amount | divided_by: 100 | plus: Event.Multiplier }} points
{% endfor -%}
Total Rs {{ total }}, {{ total | divided_by: 100 | times: Event.Multiplier }} points."#;

const FIELDS: [(&str, &str); 3] = [
    (
        "title",
        "🎁 A reward for you, {{ Profile.Name | default: 'there' }}!",
    ),
    (
        "body",
        r#"{%- assign code = Event["Coupon Code"] | default: Event["Coupon Name"] -%}
{%- if Profile.Language == "hi" -%}
{{ Profile.Name | default: "Dost" }}, aapka code {{ code }} taiyaar hai!
{%- else -%}
Use code {{ code }}{% if Event["Coupon Description"] != blank %} for {{ Event["Coupon Description"] | downcase }}{% endif %}, valid till {{ Event["Coupon Expiry Date"] }}.
{%- endif -%}"#,
    ),
    (
        "deep_link",
        "shop://coupons/{{ Event['Coupon Id'] | url_encode }}?campaign={{ Event['Campaign Id'] | url_encode }}&tier={{ Profile.Tier | downcase }}",
    ),
];

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

fn render(source: &str, iterations: u64) {
    let template = Environment::new()
        .compile("workload", source)
        .expect("the workload compiles");
    let globals = Value::from(&globals());
    let globals: &dyn ObjectView = &globals;
    let mut out = String::new();
    for _ in 0..iterations {
        out.clear();
        template.render(globals, &mut out).expect("render succeeds");
        black_box(&out);
    }
}

fn pipeline(iterations: u64) {
    let mut toml = "event = \"CT Coupon Rewarded\"\nchannel = \"push\"\n[fields]\n".to_owned();
    for (name, source) in FIELDS {
        toml.push_str(&format!("{name} = '''\n{source}'''\n"));
    }
    let settings = Settings::default();
    let env = promo::environment(&settings);
    let message = Message::from_toml("coupon.push.toml", &toml, &env).expect("message loads");
    let shape = records::Shape {
        events: vec![EventKind::CouponRewarded],
        names: records::Names::Canonical,
        complete: true,
        orders: 10,
    };
    let mut generator = records::Generator::new(2026, shape);
    let lines: Vec<String> = (0..1000).map(|_| generator.line()).collect();
    let batch = Batch::new(&message, &settings, BatchOptions::default());
    let mut worker = batch.worker();
    let mut out = Vec::new();
    for i in 0..iterations {
        out.clear();
        worker.render_line(1, lines[i as usize % lines.len()].as_bytes(), &mut out);
        black_box(&out);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "loop".to_owned());
    let iterations: u64 = args
        .next()
        .map_or(10_000, |n| n.parse().expect("iterations is a number"));
    match workload.as_str() {
        "push" => render(PUSH, iterations),
        "message" => render(MESSAGE, iterations),
        "loop" => render(LOOP, iterations),
        "pipeline" => pipeline(iterations),
        other => panic!("unknown workload {other}: push, message, loop or pipeline"),
    }
}
