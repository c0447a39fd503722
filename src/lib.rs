//! promo-liquid renders Liquid campaign messages for CleverTap's promo events.
//!
//! ```
//! use promo_liquid::message::{Message, Outcome};
//! use promo_liquid::promo::{self, record::Record, Settings};
//!
//! let settings = Settings::default();
//! let env = promo::environment(&settings);
//! let message = Message::from_template("push.liquid",
//!     "{{ Profile.Name | default: 'Hi' }}, +{{ Event.Points }} points!", &env).unwrap();
//! let line = r#"{"evtName": "CT Points Credited", "evtData": {"points": 20,
//!     "walletId": "w-1", "campaignId": "c-1", "source": "API", "transactionId": "t-1"}}"#;
//! let record = Record::parse(line, &settings.record_options()).unwrap();
//! let Outcome::Rendered { fields, .. } = message.render(&record) else { panic!() };
//! assert_eq!(fields["text"], "Hi, +20 points!");
//! ```
//!
//! Where to read next, following the layers of `DESIGN.md`:
//!
//! 1. [`liquid`]: the Liquid language ([`liquid::Environment`], [`liquid::Template`],
//!    the value model and filters, static analysis). It knows nothing of promo events.
//! 2. [`promo`]: the event schema, input records, the Liquid view of a record and the
//!    personalization filters.
//! 3. [`message`]: campaign messages (fields for a channel), their outcomes, and the
//!    channel checks ([`message::channel`]: push payload sizes, SMS encoding and segments);
//!    beside it [`snippets`], the snippet library messages render named snippets from.
//! 4. [`batch`]: the send-time pipeline, NDJSON records in and one outcome per record
//!    out, in order, on all cores.
//! 5. [`lint`]: static checks of messages against the schema, and previews with sample
//!    records.
//! 6. [`requests`]: render, lint, preview, schema and filters as every front end (the
//!    CLI, the preview service, the stream worker) runs them, texts in and JSON out.

pub mod batch;
pub mod lint;
pub mod liquid;
pub mod message;
pub mod promo;
pub mod requests;
pub mod snippets;

/// The IANA time zones ([`promo::Settings::time_zone`] takes one), re-exported so that
/// a user of the library needs no other dependency: `promo_liquid::chrono_tz::Asia::Kolkata`,
/// or `"Asia/Kolkata".parse::<promo_liquid::chrono_tz::Tz>()`.
pub use chrono_tz;
pub use liquid::{Environment, Error, Template};
pub use message::{Message, Outcome};
pub use promo::record::Record;

/// The README's examples, run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
