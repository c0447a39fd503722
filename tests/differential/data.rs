//! Generated render data: the globals of a promo record (`Event` with the schema's
//! properties, `EventName`, `Profile` with nested objects and arrays) as plain JSON, and
//! the catalog of paths a template can reach in it.

use promo_liquid::promo::schema::{DataType, EventKind, Presence};
use serde_json::{Map, Value as Json, json};

use super::rng::Rng;

/// Texts with what marketing data holds: names and places in Devanagari (with their
/// combining marks) and other scripts, emoji (with skin tones and joiners), markup,
/// quotes, white space and entities.
pub const TEXTS: &[&str] = &[
    "Asha",
    "आशा",
    "बैग",
    "दिवाली सेल",
    "Zoë",
    "José Müller",
    "ÅSA",
    "straße",
    "🎉 Diwali",
    "👍🏽",
    "👨‍👩‍👧",
    "Gold",
    "gold",
    "silver",
    "SILVER",
    "Platinum",
    "",
    "  ",
    " padded ",
    "line one\nline two",
    "tab\there",
    "<b>Big</b> sale & more",
    "Tom &amp; Jerry",
    "\"quoted\"",
    "it's",
    "a,b,c",
    "10",
    "250",
    "-3",
    "2.5",
    "0",
    "1e3",
    "true",
    "nil",
    "DIWALI-7KQ2",
    "SAVE20",
    "https://shop.example/p?id=7&ref=push",
    "50% off",
    "héllo wörld",
    "مرحبا",
    "日本語",
];

/// Date texts in the shapes records carry.
pub const DATES: &[&str] = &[
    "01-11-2026 23:59:59",
    "15-08-2026 00:00:00",
    "2026-11-01 10:30:00",
    "2026-02-28 23:59:59",
    "31-12-2025 18:45:00",
];

/// One generated render's globals and the paths that reach into them.
pub struct World {
    pub data: Json,
    /// Every path into `data` (spelt as a template would spell it), with its value.
    pub paths: Vec<(String, Json)>,
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len())]
}

fn text(rng: &mut Rng) -> Json {
    Json::from(*pick(rng, TEXTS))
}

/// A number as records carry one: an integer, a decimal, or a numeric string.
fn number(rng: &mut Rng) -> Json {
    match rng.below(10) {
        0 => json!(rng.range(-50, 50)),
        1..=3 => json!(rng.range(0, 5000)),
        4 => json!(rng.range(0, 2000) as f64 / 4.0),
        5 => json!(1299.5),
        6 => json!(rng.range(0, 500).to_string()),
        7 => json!("250"),
        8 => json!(0),
        _ => json!(100),
    }
}

fn date(rng: &mut Rng) -> Json {
    match rng.below(6) {
        0 => json!(1_793_433_600 + rng.range(0, 86_400 * 30)),
        _ => Json::from(*pick(rng, DATES)),
    }
}

fn event(rng: &mut Rng, kind: EventKind) -> Json {
    let mut event = Map::new();
    for id in kind.properties() {
        let property = id.property();
        let present = match property.presence {
            Presence::Required => rng.below(12) != 0,
            _ => rng.below(2) == 0,
        };
        if !present {
            continue;
        }
        let value = match property.data_type {
            DataType::String => match property.name {
                "Coupon Code" => json!(*pick(rng, &["DIWALI-7KQ2", "SAVE20", "", "बैग50"])),
                "Source" => json!(*pick(rng, &["API", "Manual", "Campaign", "cashback"])),
                _ if rng.below(3) == 0 => json!(format!("{}-{}", property.snake, rng.below(999))),
                _ => text(rng),
            },
            DataType::Numeric => number(rng),
            DataType::Date => date(rng),
        };
        event.insert(property.name.to_owned(), value);
    }
    Json::Object(event)
}

fn order(rng: &mut Rng, n: usize) -> Json {
    let items: Vec<Json> = (0..rng.below(4)).map(|_| text(rng)).collect();
    json!({
        "Order Id": format!("ORD-{}", 1000 + n),
        "amount": number(rng),
        "status": *pick(rng, &["delivered", "returned", "Delivered", ""]),
        "items": items,
        "date": date(rng),
        "gift": rng.below(2) == 0,
    })
}

fn profile(rng: &mut Rng) -> Json {
    let tags: Vec<Json> = (0..rng.below(5)).map(|_| text(rng)).collect();
    let orders: Vec<Json> = (0..rng.below(4)).map(|n| order(rng, n)).collect();
    let scores: Vec<Json> = (0..rng.below(5)).map(|_| number(rng)).collect();
    let fields = [
        ("Name", text(rng)),
        (
            "City",
            json!(*pick(rng, &["Pune", "पुणे", "Mumbai", "", "São Paulo"])),
        ),
        (
            "Tier",
            json!(*pick(rng, &["Gold", "gold", "silver", "Platinum", ""])),
        ),
        ("Language", json!(*pick(rng, &["hi", "en", "mr"]))),
        ("Points", number(rng)),
        ("Age", json!(rng.range(16, 80))),
        ("Score", json!(rng.range(0, 50) as f64 / 10.0)),
        ("Subscribed", json!(rng.below(2) == 0)),
        ("Nickname", Json::Null),
        ("Tags", Json::Array(tags)),
        ("Recent Orders", Json::Array(orders)),
        (
            "Address",
            json!({"City": *pick(rng, &["Pune", "पुणे"]), "Pin": "411001", "Line 1": text(rng)}),
        ),
        (
            "Preferences",
            json!({"push": rng.below(2) == 0, "sms": false, "channels": ["push", "email"]}),
        ),
        ("Scores", Json::Array(scores)),
        ("Empty", json!([])),
        ("Blank", json!("  ")),
    ];
    // Every field may be missing, as in real profiles.
    let mut p = Map::new();
    for (key, value) in fields {
        if rng.below(8) != 0 {
            p.insert(key.to_owned(), value);
        }
    }
    Json::Object(p)
}

/// The globals for one template.
pub fn world(rng: &mut Rng) -> World {
    let kind = *pick(rng, &EventKind::ALL);
    let data = json!({
        "Event": event(rng, kind),
        "EventName": kind.name(),
        "Profile": profile(rng),
    });
    let mut paths = Vec::new();
    for (key, value) in data.as_object().unwrap() {
        collect(key.clone(), value, &mut paths, rng);
    }
    World { data, paths }
}

/// Whether a key can follow a dot.
pub fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `base.key` or `base["key"]`, as a template author might write it.
pub fn child(base: &str, key: &str, rng: &mut Rng) -> String {
    if is_identifier(key) && rng.below(4) != 0 {
        format!("{base}.{key}")
    } else {
        format!("{base}[\"{key}\"]")
    }
}

fn collect(path: String, value: &Json, out: &mut Vec<(String, Json)>, rng: &mut Rng) {
    out.push((path.clone(), value.clone()));
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                collect(child(&path, k, rng), v, out, rng);
            }
        }
        Json::Array(items) if !items.is_empty() => {
            let i = rng.below(items.len());
            let index = if rng.below(4) == 0 {
                i as i64 - items.len() as i64
            } else {
                i as i64
            };
            collect(format!("{path}[{index}]"), &items[i], out, rng);
        }
        _ => {}
    }
}
