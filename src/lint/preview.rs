//! Preview: a message rendered for sample records of its events, generated from the
//! schema, each with the channel checks.
//!
//! For each event of the message there are four samples ([`SampleKind`]): every
//! property set; only the required ones; the conditional ones missing (required and
//! optional set); and long values. Sample values come from the schema: a String
//! property is `Sample <name>` (`Sample Coupon Code`), a Numeric one `20`, a Date one
//! a week after `now` at 23:59:59 in the account's zone, written `DD-MM-YYYY HH:MM:SS`.
//! Long values are 120-character texts and `123456789`. The profile has each field the
//! message reads (`Profile.Name`, `Profile["Wallet Balance"]`): a number (`1250`) when
//! its first filter works on numbers, `Sample <field>` otherwise; the required-only
//! sample has an empty profile.

use chrono::{DateTime, FixedOffset, TimeDelta};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::liquid::{Operand, PathPart, Usage};
use crate::message::channel::{self, ChannelReport};
use crate::message::{Message, Outcome};
use crate::promo::record::Record;
use crate::promo::schema::{self, DataType, EventKind, Presence, Property};

/// Which sample record of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SampleKind {
    /// Every property of the event set.
    AllProperties,
    /// Only the required properties, and an empty profile.
    RequiredOnly,
    /// Required and optional properties; the conditional ones missing.
    ConditionalMissing,
    /// Every property set, texts 120 characters long, numbers nine digits.
    LongValues,
}

impl SampleKind {
    /// All four, in the order previews show them.
    pub const ALL: [SampleKind; 4] = [
        SampleKind::AllProperties,
        SampleKind::RequiredOnly,
        SampleKind::ConditionalMissing,
        SampleKind::LongValues,
    ];

    /// What the sample is, for people: `all properties`, ...
    pub fn label(self) -> &'static str {
        match self {
            SampleKind::AllProperties => "all properties",
            SampleKind::RequiredOnly => "required properties only",
            SampleKind::ConditionalMissing => "conditional properties missing",
            SampleKind::LongValues => "long values",
        }
    }

    fn includes(self, property: &Property) -> bool {
        match (self, property.presence) {
            (SampleKind::RequiredOnly, Presence::Required) => true,
            (SampleKind::RequiredOnly, _) => false,
            (SampleKind::ConditionalMissing, Presence::Conditional(_)) => false,
            _ => true,
        }
    }
}

/// A sample record.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Its event.
    pub event: EventKind,
    /// Which sample it is.
    pub kind: SampleKind,
    /// The record, as an input line would give it.
    pub record: Json,
    /// The snippet a name from the record picks, for the samples made to render the
    /// message with each snippet it can reach ([`with_snippets`]).
    pub snippet: Option<String>,
}

impl Sample {
    /// What the sample is, for people: `CT Coupon Rewarded: all properties`, or
    /// `CT Partner Voucher Rewarded: snippet amazon_pay`.
    pub fn label(&self) -> String {
        match &self.snippet {
            Some(name) => format!("{}: snippet {name}", self.event.name()),
            None => format!("{}: {}", self.event.name(), self.kind.label()),
        }
    }
}

/// The sample records for `message`: four per event (every event, for a bare
/// template), dated from `now` in `zone`.
pub fn samples(message: &Message, now: DateTime<FixedOffset>, zone: Tz) -> Vec<Sample> {
    let events: &[EventKind] = if message.events.is_empty() {
        &EventKind::ALL
    } else {
        &message.events
    };
    let profile = profile_fields(message);
    let date = (now.with_timezone(&zone) + TimeDelta::days(7))
        .format("%d-%m-%Y 23:59:59")
        .to_string();
    let mut out = Vec::new();
    for &event in events {
        for kind in SampleKind::ALL {
            let long = kind == SampleKind::LongValues;
            let mut data = Map::new();
            for id in event.properties() {
                let p = id.property();
                if kind.includes(p) {
                    let value = match (p.data_type, long) {
                        (DataType::String, false) => json!(format!("Sample {}", p.name)),
                        (DataType::String, true) => json!(long_text(p.name)),
                        (DataType::Numeric, false) => json!(20),
                        (DataType::Numeric, true) => json!(123_456_789),
                        (DataType::Date, _) => json!(date),
                    };
                    data.insert(p.name.to_owned(), value);
                }
            }
            let mut profile_data = Map::new();
            if kind != SampleKind::RequiredOnly {
                for (field, numeric) in &profile {
                    let value = match (numeric, long) {
                        (true, false) => json!(1250),
                        (true, true) => json!(123_456_789),
                        (false, false) => json!(format!("Sample {field}")),
                        (false, true) => json!(long_text(field)),
                    };
                    profile_data.insert(field.clone(), value);
                }
            }
            out.push(Sample {
                event,
                kind,
                record: json!({
                    "identity": "preview",
                    "evtName": event.name(),
                    "evtData": data,
                    "profileData": profile_data,
                }),
                snippet: None,
            });
        }
    }
    out
}

/// The samples of a message whose templates take a snippet's name from the record
/// (`{% snippet Event["Code Snippet Name"] %}`) made to render with the snippets of
/// its library: each sample names the first snippet the name can pick (by name), and
/// one more sample per snippet it can pick (every property set) names that snippet, so
/// that the preview shows the message with each. Other messages' samples are returned
/// as they are.
pub fn with_snippets(message: &Message, samples: Vec<Sample>) -> Vec<Sample> {
    let Some(library) = message.snippet_library() else {
        return samples;
    };
    // Where in a record the names come from: `Event` properties and `Profile` fields.
    let mut sources: Vec<(&'static str, String)> = Vec::new();
    for field in &message.fields {
        for call in field.template.analyze().partials {
            let Operand::Global(path) = &call.source else {
                continue;
            };
            let [PathPart::Key(root), PathPart::Key(key)] = path.as_slice() else {
                continue;
            };
            let part = match root.as_str() {
                "Event" => "evtData",
                "Profile" => "profileData",
                _ => continue,
            };
            let key = match (part, schema::lookup(key)) {
                ("evtData", Some(id)) => id.property().name.to_owned(),
                _ => key.clone(),
            };
            if !sources.contains(&(part, key.clone())) {
                sources.push((part, key));
            }
        }
    }
    if sources.is_empty() {
        return samples;
    }
    let name = |sample: &mut Sample, snippet: &str| {
        for (part, key) in &sources {
            if let Some(Json::Object(map)) = sample.record.get_mut(*part) {
                map.insert(key.clone(), json!(snippet));
            }
        }
    };
    let mut out = Vec::new();
    for mut sample in samples {
        let reachable = library.reachable(message.channel, &[sample.event]);
        let Some(first) = reachable.first() else {
            out.push(sample);
            continue;
        };
        name(&mut sample, first.name());
        let mut each = Vec::new();
        if sample.kind == SampleKind::AllProperties {
            for snippet in &reachable {
                let mut one = sample.clone();
                name(&mut one, snippet.name());
                one.snippet = Some(snippet.name().to_owned());
                each.push(one);
            }
        }
        out.push(sample);
        out.extend(each);
    }
    out
}

/// A 120-character text that starts with `name`.
fn long_text(name: &str) -> String {
    let mut text = format!("Sample {name}");
    while text.chars().count() < 120 {
        text.push_str(" and more text");
    }
    text.chars().take(120).collect()
}

/// The profile fields the message reads, each with whether it is used as a number.
fn profile_fields(message: &Message) -> Vec<(String, bool)> {
    let mut fields: Vec<(String, bool)> = Vec::new();
    for field in &message.fields {
        for v in field.template.analyze().variables {
            let [PathPart::Key(root), PathPart::Key(name), ..] = v.path.as_slice() else {
                continue;
            };
            if root != "Profile" {
                continue;
            }
            let numeric = matches!(&v.usage, Usage::Output { filters, .. }
            if filters.iter().find(|f| *f != "default").is_some_and(|f| {
                matches!(f.as_str(), "plus" | "minus" | "times" | "divided_by" | "modulo"
                    | "money" | "number_with_delimiter" | "round" | "floor" | "ceil"
                    | "at_least" | "at_most" | "abs")
            }));
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(found) => found.1 |= numeric,
                None => fields.push((name.clone(), numeric)),
            }
        }
    }
    fields
}

/// A message rendered for one record, with the channel checks of what it rendered.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// What the record is: `CT Coupon Rewarded: all properties`, or the record's file.
    pub label: String,
    /// The outcome of the render.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The channel checks, when the message rendered and has a channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<ChannelReport>,
    /// The sample record, for a sample (a given record is not repeated).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub record: Option<Json>,
}

impl Preview {
    /// Whether the record failed to render or the channel checks found an error.
    pub fn has_errors(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
            || self.checks.as_ref().is_some_and(ChannelReport::has_errors)
    }
}

/// Renders `message` for `record` and checks the result against its channel.
pub fn preview(message: &Message, record: &Record<'_>, label: impl Into<String>) -> Preview {
    let outcome = message.render(record);
    let checks = match (&outcome, message.channel) {
        (Outcome::Rendered { fields, .. }, Some(channel)) => Some(channel::check(channel, fields)),
        _ => None,
    };
    Preview {
        label: label.into(),
        outcome,
        checks,
        record: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promo::{self, Settings};

    #[test]
    fn samples_follow_the_schema() {
        let env = promo::environment(&Settings::default());
        let message = Message::from_template(
            "t",
            "{{ Profile.Name }} {{ Profile.Balance | number_with_delimiter }}",
            &env,
        )
        .unwrap();
        let now = DateTime::parse_from_rfc3339("2026-10-30T10:00:00+05:30").unwrap();
        let samples = samples(&message, now, chrono_tz::Asia::Kolkata);
        assert_eq!(samples.len(), 24);
        let all = &samples[0];
        assert_eq!(all.event, EventKind::CouponRewarded);
        assert_eq!(all.record["evtData"]["Coupon Code"], "Sample Coupon Code");
        assert_eq!(
            all.record["evtData"]["Coupon Expiry Date"],
            "06-11-2026 23:59:59"
        );
        assert_eq!(
            all.record["profileData"],
            json!({"Name": "Sample Name", "Balance": 1250})
        );
        let required = &samples[1];
        assert!(required.record["evtData"].get("Coupon Code").is_none());
        assert!(
            required.record["evtData"]
                .get("Coupon Description")
                .is_none()
        );
        assert_eq!(required.record["profileData"], json!({}));
        let conditional = &samples[2];
        assert!(conditional.record["evtData"].get("Coupon Code").is_none());
        assert!(
            conditional.record["evtData"]
                .get("Coupon Description")
                .is_some()
        );
        let long = &samples[3];
        let code = long.record["evtData"]["Coupon Code"].as_str().unwrap();
        assert_eq!(code.chars().count(), 120);
        assert!(code.starts_with("Sample Coupon Code and more text"));
    }
}
