//! Realistic CleverTap-shaped promo event records, the same for the same seed: the six
//! events in a realistic mix, profiles with a name, city, tier, language and about ten
//! recent orders, property names in every style the input accepts (canonical, camelCase,
//! snake_case) and every date format (`DD-MM-YYYY HH:MM:SS`, `YYYY-MM-DD HH:MM:SS`, epoch
//! seconds as a number or a string).
//!
//! Shared by `examples/gen_records`, `benches/` and `tests/batch.rs`.

#![allow(dead_code)] // each user takes what it needs

use promo_liquid::promo::schema::{DataType, EventKind, PropertyId, lookup};
use serde_json::{Map, Value, json};

/// splitmix64: tiny, fast and good enough for test data; no dependency needed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, digits: usize) -> String {
        let value = self.next_u64();
        format!("{value:016x}")[..digits].to_owned()
    }

    fn code(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        (0..len).map(|_| *self.pick(ALPHABET) as char).collect()
    }
}

/// How property names are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    /// Each record picks one style: canonical (`Coupon Code`), camelCase (`couponCode`)
    /// or snake_case (`coupon_code`).
    Mixed,
    /// Canonical names only, as templates write them.
    Canonical,
}

/// What records to make.
#[derive(Clone, Debug)]
pub struct Shape {
    /// The events to draw from (in the realistic mix); empty for all six.
    pub events: Vec<EventKind>,
    /// How property names are spelled.
    pub names: Names,
    /// Set every property and profile field, even optional and conditional ones (for
    /// engines that cannot render a missing value).
    pub complete: bool,
    /// How many recent orders a profile lists, on average.
    pub orders: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            events: Vec::new(),
            names: Names::Mixed,
            complete: false,
            orders: 10,
        }
    }
}

/// The events and how often each is sent, in percent.
const MIX: [(EventKind, u64); 6] = [
    (EventKind::CouponRewarded, 25),
    (EventKind::CouponRedeemed, 15),
    (EventKind::CouponReverted, 5),
    (EventKind::PointsCredited, 30),
    (EventKind::PointsDebited, 15),
    (EventKind::PartnerVoucherRewarded, 10),
];

const FIRST_NAMES: &[&str] = &[
    "Asha", "Rohan", "Meera", "Kabir", "Priya", "Arjun", "Ananya", "Vikram", "Sneha", "Rahul",
    "Fatima", "Aditya", "Ishaan", "Diya", "Karan", "Neha", "Sofia", "Daniel", "Zoya", "Dev",
];
const LAST_NAMES: &[&str] = &[
    "Sharma",
    "Iyer",
    "Khan",
    "Reddy",
    "Patel",
    "Das",
    "Menon",
    "Singh",
    "Gupta",
    "Fernandes",
];
const CITIES: &[&str] = &[
    "Mumbai",
    "Delhi",
    "Bengaluru",
    "Pune",
    "Hyderabad",
    "Chennai",
    "Kolkata",
    "Jaipur",
    "Ahmedabad",
    "Kochi",
    "Dubai",
    "Singapore",
];
const TIERS: &[&str] = &["Bronze", "Silver", "Gold", "Platinum"];
const LANGUAGES: &[&str] = &["en", "en", "en", "hi", "ta", "te", "mr", "bn"];
const ITEMS: &[&str] = &[
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
    "Kurta Set",
    "Running Shoes",
    "Earbuds",
    "Phone Cover",
    "Saree",
    "Pressure Cooker 5L",
];
const CAMPAIGNS: &[&str] = &[
    "cmp_diwali_2026",
    "cmp_welcome",
    "cmp_cashback_nov",
    "cmp_partner_food",
    "cmp_winback",
];
const DESCRIPTIONS: &[&str] = &[
    "20% off on festive wear",
    "Flat Rs 150 off on your first order",
    "Free delivery on orders above Rs 499",
    "",
    "Buy 1 get 1 on snacks",
];
const BULK_COUPONS: &[&str] = &["Monsoon Bulk 2026", "Festive Flat 200", "Weekend Saver"];
const WALLETS: &[&str] = &["SuperCoins", "Rewards", "Cashback Wallet"];
const SOURCES: &[&str] = &["Campaign", "API", "Manual", "Cashback"];
const PROVIDERS: &[&str] = &["Swiggy", "Zomato", "Amazon", "Myntra", "Uber"];

/// 2026-10-30 00:00:00 UTC, around when the records happen.
const BASE_TS: i64 = 1_793_318_400;

/// Makes records.
#[derive(Clone, Debug)]
pub struct Generator {
    rng: Rng,
    shape: Shape,
}

impl Generator {
    /// A generator of records of `shape`, the same ones for the same `seed`.
    pub fn new(seed: u64, shape: Shape) -> Self {
        Generator {
            rng: Rng::new(seed),
            shape,
        }
    }

    /// The next record, as one line of JSON (no newline).
    pub fn line(&mut self) -> String {
        self.record().to_string()
    }

    /// The next record.
    pub fn record(&mut self) -> Value {
        let event = self.event();
        let user = self.rng.below(200_000);
        let identity = if self.rng.chance(5) && !self.shape.complete {
            json!(9_000_000 + user)
        } else {
            json!(format!("u-{user:06}"))
        };
        let ts = BASE_TS + self.rng.between(0, 30 * 86_400);
        let names = match self.shape.names {
            Names::Canonical => Style::Canonical,
            Names::Mixed => *self.rng.pick(&[
                Style::Canonical,
                Style::Canonical,
                Style::Camel,
                Style::Camel,
                Style::Snake,
            ]),
        };
        json!({
            "identity": identity,
            "ts": ts,
            "type": "event",
            "evtName": event.name(),
            "evtData": self.event_data(event, ts, names),
            "profileData": self.profile(),
        })
    }

    fn event(&mut self) -> EventKind {
        let events: Vec<(EventKind, u64)> = MIX
            .iter()
            .copied()
            .filter(|(e, _)| self.shape.events.is_empty() || self.shape.events.contains(e))
            .collect();
        let total: u64 = events.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.below(total.max(1));
        for (event, weight) in &events {
            if roll < *weight {
                return *event;
            }
            roll -= weight;
        }
        events
            .first()
            .map_or(EventKind::PointsCredited, |(e, _)| *e)
    }

    fn event_data(&mut self, event: EventKind, ts: i64, style: Style) -> Value {
        let complete = self.shape.complete;
        let mut data = Props {
            map: Map::new(),
            style,
        };
        let rng = &mut self.rng;
        match event {
            EventKind::CouponRewarded => {
                let single_use = rng.chance(80);
                data.set("Coupon Id", json!(format!("cpn_{}", rng.hex(6))));
                if single_use || complete {
                    let code = format!(
                        "{}-{}",
                        rng.pick(&["DIWALI", "FEST", "WELCOME", "SAVE"]),
                        rng.code(4)
                    );
                    data.set("Coupon Code", json!(code));
                }
                if !single_use || complete {
                    data.set("Coupon Name", json!(rng.pick(BULK_COUPONS)));
                }
                data.set("Campaign Id", json!(rng.pick(CAMPAIGNS)));
                if complete || rng.chance(70) {
                    data.set("Coupon Description", json!(rng.pick(DESCRIPTIONS)));
                }
                if complete || rng.chance(50) {
                    data.set(
                        "Terms and Condition",
                        json!("Valid once per customer on orders above Rs 999."),
                    );
                }
                let start = ts - rng.between(0, 3) * 86_400;
                data.set("Coupon Start Date", date(rng, start));
                if complete || rng.chance(40) {
                    data.set("Redemption Activation Date", date(rng, start + 6 * 3600));
                }
                let expiry = start + rng.between(1, 30) * 86_400 - 1;
                data.set("Coupon Expiry Date", date(rng, expiry));
            }
            EventKind::CouponRedeemed | EventKind::CouponReverted => {
                data.set(
                    "Order Id",
                    json!(format!("ORD-{}", rng.between(100_000, 999_999))),
                );
                if complete || rng.chance(70) {
                    data.set("Coupon Code", json!(format!("SAVE-{}", rng.code(5))));
                } else {
                    data.set("Coupon Name", json!(rng.pick(BULK_COUPONS)));
                }
                data.set("Coupon Id", json!(format!("cpn_{}", rng.hex(6))));
                if complete || rng.chance(60) {
                    let amount = rng.between(50, 1500);
                    let amount = if rng.chance(20) {
                        json!(amount as f64 + 0.5)
                    } else {
                        json!(amount)
                    };
                    data.set("Discount Amount", numeric(rng, amount));
                }
                if complete || rng.chance(40) {
                    let points = json!(rng.between(25, 500));
                    data.set("Cashback Points", numeric(rng, points));
                }
            }
            EventKind::PointsCredited | EventKind::PointsDebited => {
                data.set("Wallet Id", json!(format!("wal_{}", rng.hex(4))));
                if complete || rng.chance(60) {
                    data.set("Wallet Name", json!(rng.pick(WALLETS)));
                }
                if event == EventKind::PointsCredited {
                    data.set("Campaign Id", json!(rng.pick(CAMPAIGNS)));
                }
                data.set("Source", json!(rng.pick(SOURCES)));
                if complete || rng.chance(30) {
                    data.set(
                        "Wallet Description",
                        json!("Earn on every order, redeem at checkout"),
                    );
                }
                // Now and then a movement of zero points, which the wallet push aborts.
                let points = if !complete && rng.chance(1) {
                    0
                } else {
                    rng.between(10, 5000)
                };
                data.set("Points", numeric(rng, json!(points)));
                data.set("Transaction Id", json!(format!("txn_{}", rng.hex(8))));
            }
            EventKind::PartnerVoucherRewarded => {
                let provider = *rng.pick(PROVIDERS);
                let value = rng.pick(&[100, 200, 250, 500]);
                data.set(
                    "Code Name",
                    json!(format!(
                        "{}-{}-{value}",
                        provider.to_uppercase(),
                        rng.code(4)
                    )),
                );
                data.set(
                    "Voucher List Id",
                    json!(format!("vl_{}_{}", provider.to_lowercase(), rng.hex(3))),
                );
                if complete || rng.chance(60) {
                    data.set(
                        "Code Description",
                        json!(format!("Rs {value} off your next {provider} order")),
                    );
                }
                data.set("Code Provider", json!(provider));
                data.set("Code Snippet Name", json!(format!("voucher_{value}")));
                data.set("Campaign Id", json!(rng.pick(CAMPAIGNS)));
                data.set("Source", json!(rng.pick(SOURCES)));
                if !complete && rng.chance(20) {
                    // A property outside the schema, kept as a custom property.
                    data.map.insert(
                        "Channel Partner".to_owned(),
                        json!(format!("{provider} One")),
                    );
                }
            }
        }
        Value::Object(data.map)
    }

    fn profile(&mut self) -> Value {
        let complete = self.shape.complete;
        let rng = &mut self.rng;
        let first = *rng.pick(FIRST_NAMES);
        let last = *rng.pick(LAST_NAMES);
        let mut profile = Map::new();
        if complete || rng.chance(92) {
            profile.insert("Name".into(), json!(format!("{first} {last}")));
        }
        profile.insert(
            "Email".into(),
            json!(format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                rng.below(100)
            )),
        );
        profile.insert(
            "Phone".into(),
            json!(format!("+9198{:08}", rng.below(100_000_000))),
        );
        profile.insert("City".into(), json!(rng.pick(CITIES)));
        profile.insert("Tier".into(), json!(rng.pick(TIERS)));
        profile.insert("Language".into(), json!(rng.pick(LANGUAGES)));
        profile.insert("Wallet Balance".into(), json!(rng.between(0, 250_000)));
        let count = if self.shape.orders == 0 {
            0
        } else {
            rng.between(self.shape.orders as i64 - 2, self.shape.orders as i64 + 2)
                .max(0)
        };
        let orders: Vec<Value> = (0..count)
            .map(|i| {
                json!({
                    "id": format!("ORD-{}", rng.between(100_000, 999_999)),
                    "item": rng.pick(ITEMS),
                    "qty": rng.between(1, 3),
                    "price": rng.between(99, 4999),
                    "discount": rng.pick(&[0, 0, 10, 25, 50]),
                    "date": format!("2026-10-{:02}", 29 - i.min(28)),
                })
            })
            .collect();
        profile.insert("orders".into(), Value::Array(orders));
        Value::Object(profile)
    }
}

/// How a record spells its property names.
#[derive(Clone, Copy, Debug)]
enum Style {
    Canonical,
    Camel,
    Snake,
}

/// Event properties under their names in a style.
struct Props {
    map: Map<String, Value>,
    style: Style,
}

impl Props {
    fn set(&mut self, canonical: &str, value: Value) {
        let property = lookup(canonical)
            .map(PropertyId::property)
            .unwrap_or_else(|| panic!("{canonical} is not in the schema"));
        debug_assert!(property.data_type != DataType::Date || !value.is_null());
        let name = match self.style {
            Style::Canonical => property.name,
            Style::Camel => property.camel,
            Style::Snake => property.snake,
        };
        self.map.insert(name.to_owned(), value);
    }
}

/// A date in one of the formats the input accepts.
fn date(rng: &mut Rng, ts: i64) -> Value {
    let at = chrono::DateTime::from_timestamp(ts, 0).expect("a date in range");
    match rng.below(20) {
        0..=11 => json!(at.format("%d-%m-%Y %H:%M:%S").to_string()),
        12..=16 => json!(at.format("%Y-%m-%d %H:%M:%S").to_string()),
        17 | 18 => json!(ts),
        _ => json!(ts.to_string()),
    }
}

/// A number, now and then as a numeric string (`"20"`), which the input also accepts.
fn numeric(rng: &mut Rng, number: Value) -> Value {
    if rng.chance(15) {
        json!(number.to_string())
    } else {
        number
    }
}
