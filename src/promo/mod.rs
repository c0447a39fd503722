//! The promo domain: the event schema, input records, the Liquid view of a record, and
//! the personalization filters.
//!
//! ```
//! use promo_liquid::promo::{self, record::Record};
//!
//! let env = promo::environment(&promo::Settings::default());
//! let template = env.compile("push", "Use {{ Event['Coupon Code'] }} by {{ Event.coupon_expiry_date | date: '%-d %B' }}").unwrap();
//! let line = r#"{"evtName": "CT Coupon Rewarded", "evtData": {"couponCode": "SAVE20",
//!     "couponId": "cpn-1", "campaignId": "cmp-1", "Coupon Start Date": "25-10-2026 00:00:00",
//!     "Coupon Expiry Date": "01-11-2026 00:00:00"}}"#;
//! let record = Record::parse(line, &promo::Settings::default().record_options()).unwrap();
//! let (text, _) = template.render_to_string(&record).unwrap();
//! assert_eq!(text, "Use SAVE20 by 1 November");
//! ```

use std::time::Duration;

use chrono_tz::Tz;

use crate::liquid::{Environment, Limits, UndefinedPolicy};

pub mod context;
pub mod filters;
pub mod profile;
pub mod record;
mod scan;
pub mod schema;
mod strict;

/// The settings of the product's environment.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The account's time zone: wall-clock dates in records are read in it, and `now`,
    /// `days_until` and `date` use it. Default UTC.
    pub time_zone: Tz,
    /// Whether outputting an undefined value without a `default` fails the render.
    pub strict: bool,
    /// Whether records may lack properties their event requires (feeds known to be
    /// partial). Off by default: such a record fails with `invalid_record`, naming
    /// every missing property.
    pub allow_missing: bool,
    /// The wall-clock time rendering one message for one record may take, all its
    /// fields together; past it the outcome is `limit_exceeded`. `None` for no
    /// deadline. Default 250 ms ([`Limits::deadline`]).
    pub deadline: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: Tz::UTC,
            strict: false,
            allow_missing: false,
            deadline: Limits::default().deadline,
        }
    }
}

impl Settings {
    /// How records are read under these settings.
    pub fn record_options(&self) -> record::RecordOptions {
        record::RecordOptions {
            time_zone: self.time_zone,
            allow_missing: self.allow_missing,
        }
    }
}

/// The environment the product renders with: standard Liquid, the personalization
/// filters, the account's time zone and the undefined policy.
pub fn environment(settings: &Settings) -> Environment {
    let mut env = Environment::new();
    env.set_time_zone(settings.time_zone);
    env.limits_mut().deadline = settings.deadline;
    if settings.strict {
        env.set_undefined(UndefinedPolicy::Strict);
    }
    filters::register(env.filters_mut(), settings.time_zone);
    env
}
