//! Input records: one JSON object in CleverTap's upload shape plus the profile,
//! parsed into a typed [`Record`] that borrows its strings from the input line.
//!
//! ```json
//! {"identity": "u-1001", "ts": 1764000000, "evtName": "CT Coupon Rewarded",
//!  "evtData": {"Coupon Code": "SAVE20", ...}, "profileData": {"Name": "Asha", ...}}
//! ```
//!
//! Only `evtName` is required. Properties may be named as in the spec (`Coupon Code`),
//! by their snake_case alias (`coupon_code`) or CleverTap's camelCase (`couponCode`).
//! Numeric properties accept numbers and numeric strings (`"20"`); dates accept
//! `DD-MM-YYYY HH:MM:SS`, `YYYY-MM-DD HH:MM:SS` or epoch seconds, read as wall-clock
//! time in the account's time zone. A `null` property counts as missing. Properties
//! the schema does not know, or that the event does not carry, are kept as custom
//! properties under the name they came with.
//!
//!
//! # The record rule
//!
//! A record that [`Record::parse`] or [`Record::from_json`] accepts guarantees, for the
//! **whole** record (top-level fields the product ignores, `evtData`, `profileData`,
//! every nested object and array):
//!
//! 1. it is one JSON value (RFC 8259) and nothing follows it;
//! 2. no object has the same key twice, keys compared after unescaping (`"a"` and
//!    `"\u0061"` are the same key); a second one is [`RecordError::DuplicateKey`],
//!    naming the key and the object it is in;
//! 3. every number is finite as an `f64` (`1e400` is an error; integers beyond 64 bits
//!    are read as serde_json reads them);
//! 4. every string is Unicode: no lone surrogate (`"\ud800"`);
//! 5. arrays and objects nest at most 127 deep, the record itself counted (serde_json's
//!    limit).
//!
//! Breaking 1, 3, 4 or 5 is [`RecordError::Json`], serde_json's message with the line
//! and column in the record's text, wherever in the record it is.
//!
//! So the outcome of a record never depends on which fields a message reads: the
//! profile is kept as text and each field parsed only when a template reads it (see
//! [`Profile`]), and a reader that skips what no message reads must still check it
//! against this rule. A record valid for one message is valid for every message, and a
//! value that cannot be read fails the record, never renders as undefined.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json_borrow::{KeyStrType, Value as Json};

use super::profile::{Profile, ProfileSeed};
use super::scan;
use super::schema::{self, DataType, EventKind, PROPERTY_COUNT, Presence, PropertyId};
use super::strict::{self, Breach, Check, Duplicate, Keys};

/// Why a record was refused. The message says what was expected and what came; the
/// caller adds which record it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The line is not JSON.
    #[error("not valid JSON: {message}")]
    Json {
        /// serde_json's description, with line and column.
        message: String,
    },
    /// A top-level field has the wrong type, or the record is not an object.
    #[error("{field}: expected {expected}, found {found}")]
    Field {
        /// `record`, `identity`, `ts`, `evtName`, `evtData` or `profileData`.
        field: &'static str,
        /// What is needed.
        expected: &'static str,
        /// What came.
        found: String,
    },
    /// `evtName` is missing.
    #[error("missing \"evtName\": expected one of the six promo events")]
    MissingEvent,
    /// `evtName` is not one of the six events.
    #[error(
        "unknown event {name:?}: expected one of {}{}",
        event_list(),
        suggestion.map_or(String::new(), |s| format!("; did you mean {s:?}?"))
    )]
    UnknownEvent {
        /// The name that came.
        name: String,
        /// The event it is a slip of, if it is close to one.
        suggestion: Option<&'static str>,
    },
    /// Properties the event always carries are missing (or `null`).
    #[error(
        "missing required propert{} of {event:?}: {}",
        if missing.len() == 1 { "y" } else { "ies" },
        quoted_list(missing)
    )]
    MissingProperties {
        /// The event.
        event: &'static str,
        /// The canonical names of the missing properties, in schema order.
        missing: Vec<&'static str>,
    },
    /// A property of the wrong type, or a date that cannot be read.
    #[error("property {property:?}: expected {expected}, found {found}")]
    Property {
        /// The property's canonical name.
        property: &'static str,
        /// What is needed.
        expected: String,
        /// What came.
        found: String,
    },
    /// An object in the record has the same key twice (anywhere: the top level,
    /// `evtData`, `profileData`, nested objects).
    #[error("duplicate key {key:?} in {within}")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The object it is in: `the record`, `evtData`, `profileData.address`,
        /// `profileData.orders[2]`.
        within: String,
    },
    /// The same property came twice under different names.
    #[error("property {property:?} is given twice, as {first:?} and as {second:?}")]
    Duplicate {
        /// The property's canonical name.
        property: &'static str,
        /// The first name it came as.
        first: String,
        /// The second.
        second: String,
    },
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn event_list() -> String {
    EventKind::ALL
        .iter()
        .map(|e| format!("{:?}", e.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value of a schema property.
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue<'a> {
    /// A String property.
    Str(Cow<'a, str>),
    /// A Numeric property that is a whole number.
    Int(i64),
    /// A Numeric property with a fraction.
    Float(f64),
    /// A Date property: the text as it came, and the instant it means.
    Date {
        /// The text as it arrived; what `{{ }}` prints.
        text: Cow<'a, str>,
        /// The instant, with the account zone's offset.
        at: DateTime<FixedOffset>,
    },
}

/// A promo event with its properties.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    /// Which of the six events.
    pub kind: EventKind,
    pub(crate) props: [Option<PropValue<'a>>; PROPERTY_COUNT],
    /// Properties outside the schema, or not carried by this event, by their own names.
    pub custom: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Event<'a> {
    /// The value of a schema property, if the record set it.
    pub fn get(&self, id: PropertyId) -> Option<&PropValue<'a>> {
        self.props[id.index()].as_ref()
    }

    /// The schema properties the record set, in schema order.
    pub fn properties(&self) -> impl Iterator<Item = (PropertyId, &PropValue<'a>)> {
        schema::PROPERTIES
            .iter()
            .map(|p| p.id())
            .filter_map(|id| self.get(id).map(|v| (id, v)))
    }
}

/// One input record.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    /// The user's identity, when the record had one (numbers are kept as their text).
    pub identity: Option<Cow<'a, str>>,
    /// The event time, epoch seconds: the record's `ts`, or else its `Event Timestamp`
    /// property (CleverTap's current `eventTimestamp`).
    pub ts: Option<i64>,
    /// The event.
    pub event: Event<'a>,
    /// The profile as given, read lazily.
    pub profile: Option<Profile<'a>>,
}

/// How records are read.
#[derive(Clone, Copy, Debug)]
pub struct RecordOptions {
    /// The account's time zone: wall-clock dates are read in it.
    pub time_zone: Tz,
    /// Accept records that lack properties their event requires (for feeds known to
    /// be partial). Off by default: such a record fails with
    /// [`RecordError::MissingProperties`].
    pub allow_missing: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            time_zone: chrono_tz::UTC,
            allow_missing: false,
        }
    }
}

impl<'a> Record<'a> {
    /// Parses and validates one record, borrowing strings from `line` where it can. The
    /// profile is read lazily (see [`Profile`]).
    pub fn parse(line: &'a str, options: &RecordOptions) -> Result<Record<'a>, RecordError> {
        // The fast path: one scan checks the whole line and finds its parts, and only
        // the event is parsed. It gives up on anything unusual, read below.
        if let Some(parts) = scan::parts(line) {
            return Record::from_parts(parts, options);
        }
        Record::parse_slow(line, options)
    }

    /// [`Record::parse`] without the fast path: serde_json reads the line, and says what
    /// is wrong with it.
    fn parse_slow(line: &'a str, options: &RecordOptions) -> Result<Record<'a>, RecordError> {
        let json_error = |e: serde_json::Error| RecordError::Json {
            message: e.to_string(),
        };
        // An object is read field by field, so that the profile can be read lazily and
        // unknown fields checked without being kept; anything else is parsed whole, for
        // its error to say what it is.
        if line.trim_start().starts_with('{') {
            let mut found = None;
            let mut de = serde_json::Deserializer::from_str(line);
            let seed = PartsSeed { found: &mut found };
            let parts = seed.deserialize(&mut de).and_then(|parts| {
                de.end()?;
                Ok(parts)
            });
            let parts = parts.map_err(|e| match found {
                Some(Breach::Duplicate(d)) => duplicate_key(&d),
                Some(Breach::Json { error, text }) => RecordError::Json {
                    message: strict::placed_in(&error, text, line),
                },
                Some(Breach::Deep { text, at }) => RecordError::Json {
                    message: strict::at_offset(
                        "recursion limit exceeded",
                        line,
                        strict::offset_in(text, line) + at,
                    ),
                },
                Some(Breach::TooDeep) | None => json_error(e),
            })?;
            return Record::from_parts(parts, options);
        }
        let json: Json<'a> = serde_json::from_str(line).map_err(json_error)?;
        Record::from_json(json, options)
    }

    /// Validates a record already parsed into a borrowed JSON tree (so already checked
    /// by serde_json for all of the record rule but keys that come twice, which this
    /// checks).
    pub fn from_json(json: Json<'a>, options: &RecordOptions) -> Result<Record<'a>, RecordError> {
        strict::check_tree(&json).map_err(|d| duplicate_key(&d))?;
        let Json::Object(fields) = json else {
            return Err(RecordError::Field {
                field: "record",
                expected: "a JSON object",
                found: describe(&json),
            });
        };
        let mut parts = Parts::default();
        for (key, value) in fields.into_vec() {
            match &*key {
                "identity" => parts.identity = Some(value),
                "ts" => parts.ts = Some(value),
                "evtName" => parts.name = Some(value),
                "evtData" => parts.data = Some(value),
                "profileData" => {
                    parts.profile = match value {
                        Json::Null => Ok(None),
                        Json::Object(object) => Ok(Some(Profile::from_object(object))),
                        other => Err(describe(&other)),
                    }
                }
                _ => {}
            }
        }
        Record::from_parts(parts, options)
    }

    fn from_parts(parts: Parts<'a>, options: &RecordOptions) -> Result<Record<'a>, RecordError> {
        let identity = match parts.identity {
            Some(value) => text_of(value, "identity")?,
            None => None,
        };
        let ts = match &parts.ts {
            Some(value) => timestamp(value)?,
            None => None,
        };
        let kind = match parts.name {
            None | Some(Json::Null) => return Err(RecordError::MissingEvent),
            Some(Json::Str(name)) => {
                EventKind::from_name(&name).ok_or_else(|| RecordError::UnknownEvent {
                    suggestion: EventKind::suggest(&name).map(EventKind::name),
                    name: name.into_owned(),
                })?
            }
            Some(other) => {
                return Err(RecordError::Field {
                    field: "evtName",
                    expected: "a string",
                    found: describe(&other),
                });
            }
        };
        let mut event = Event {
            kind,
            props: Default::default(),
            custom: Vec::new(),
        };
        match parts.data {
            None | Some(Json::Null) => {}
            Some(Json::Object(props)) => {
                let mut names: [Option<Cow<'a, str>>; PROPERTY_COUNT] = Default::default();
                for (key, value) in props.into_vec() {
                    let id = schema::lookup_input(&key).filter(|id| kind.carries(*id));
                    let Some(id) = id else {
                        event.custom.push((key, value));
                        continue;
                    };
                    if let Some(first) = &names[id.index()] {
                        return Err(RecordError::Duplicate {
                            property: id.property().name,
                            first: first.to_string(),
                            second: key.into_owned(),
                        });
                    }
                    event.props[id.index()] = typed(id, value, options)?;
                    names[id.index()] = Some(key);
                }
            }
            Some(other) => {
                return Err(RecordError::Field {
                    field: "evtData",
                    expected: "an object of event properties",
                    found: describe(&other),
                });
            }
        }
        if !options.allow_missing {
            missing_properties(&event)?;
        }
        let profile = parts.profile.map_err(|found| RecordError::Field {
            field: "profileData",
            expected: "an object",
            found,
        })?;
        // CleverTap's current voucher records carry their time as a property.
        let ts = ts.or_else(|| match event.get(schema::prop::EVENT_TIMESTAMP) {
            Some(PropValue::Date { at, .. }) => Some(at.timestamp()),
            _ => None,
        });
        Ok(Record {
            identity,
            ts,
            event,
            profile,
        })
    }
}

/// Fails when `event` lacks a property its kind requires.
fn missing_properties(event: &Event<'_>) -> Result<(), RecordError> {
    let required = |id: &&PropertyId| id.property().presence == Presence::Required;
    let lacking = |id: &&PropertyId| event.get(**id).is_none();
    let kind = event.kind;
    if !kind
        .properties()
        .iter()
        .filter(required)
        .any(|id| lacking(&id))
    {
        return Ok(());
    }
    Err(RecordError::MissingProperties {
        event: kind.name(),
        missing: kind
            .properties()
            .iter()
            .filter(required)
            .filter(lacking)
            .map(|id| id.property().name)
            .collect(),
    })
}

fn duplicate_key(duplicate: &Duplicate) -> RecordError {
    RecordError::DuplicateKey {
        key: duplicate.key.clone(),
        within: duplicate.within(),
    }
}

/// The top-level fields of a record, before validation.
pub(super) struct Parts<'a> {
    pub identity: Option<Json<'a>>,
    pub ts: Option<Json<'a>>,
    pub name: Option<Json<'a>>,
    pub data: Option<Json<'a>>,
    /// The profile, or a description of what came instead of an object.
    pub profile: Result<Option<Profile<'a>>, String>,
}

impl Default for Parts<'_> {
    fn default() -> Self {
        Parts {
            identity: None,
            ts: None,
            name: None,
            data: None,
            profile: Ok(None),
        }
    }
}

/// Reads the top-level fields of a record line, checking the parts it does not keep
/// against the record rule; a breach is left in `found`.
struct PartsSeed<'f, 'de> {
    found: &'f mut Option<Breach<'de>>,
}

impl<'de> DeserializeSeed<'de> for PartsSeed<'_, 'de> {
    type Value = Parts<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parts<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PartsSeed<'_, 'de> {
    type Value = Parts<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts<'de>, A::Error> {
        let mut parts = Parts::default();
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<KeyStrType<'de>>()? {
            if !keys.insert(key.0.clone()) {
                let duplicate = Breach::Duplicate(Duplicate::new(&key));
                return Err(strict::report(self.found, duplicate));
            }
            // Parsed whole, so serde_json has checked all but keys that come twice.
            let mut parsed = |slot: &mut Option<Json<'de>>| -> Result<(), A::Error> {
                let value: Json<'de> = map.next_value()?;
                if let Err(duplicate) = strict::check_tree(&value) {
                    let duplicate = Breach::Duplicate(duplicate.inside_key(&key));
                    return Err(strict::report(self.found, duplicate));
                }
                *slot = Some(value);
                Ok(())
            };
            match &*key {
                "identity" => parsed(&mut parts.identity)?,
                "ts" => parsed(&mut parts.ts)?,
                "evtName" => parsed(&mut parts.name)?,
                "evtData" => parsed(&mut parts.data)?,
                "profileData" => {
                    let seed = ProfileSeed {
                        found: &mut *self.found,
                    };
                    parts.profile = map.next_value_seed(seed)?;
                }
                _ => {
                    let check = Check {
                        depth_left: strict::MAX_DEPTH - 1,
                        found: &mut *self.found,
                    };
                    if let Err(e) = map.next_value_seed(check) {
                        strict::within(self.found, &key);
                        return Err(e);
                    }
                }
            }
        }
        Ok(parts)
    }
}

fn text_of<'a>(value: Json<'a>, field: &'static str) -> Result<Option<Cow<'a, str>>, RecordError> {
    match value {
        Json::Null => Ok(None),
        Json::Str(s) => Ok(Some(s)),
        Json::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
        other => Err(RecordError::Field {
            field,
            expected: "a string or a number",
            found: describe(&other),
        }),
    }
}

fn timestamp(value: &Json<'_>) -> Result<Option<i64>, RecordError> {
    match value {
        Json::Null => Ok(None),
        Json::Number(n) if n.as_i64().is_some() => Ok(n.as_i64()),
        other => Err(RecordError::Field {
            field: "ts",
            expected: "epoch seconds (an integer)",
            found: describe(other),
        }),
    }
}

/// Checks and converts a property's value to its schema type.
fn typed<'a>(
    id: PropertyId,
    value: Json<'a>,
    options: &RecordOptions,
) -> Result<Option<PropValue<'a>>, RecordError> {
    let property = id.property();
    let wrong = |expected: &str, found: &Json<'_>| RecordError::Property {
        property: property.name,
        expected: expected.to_owned(),
        found: describe(found),
    };
    Ok(Some(match (property.data_type, value) {
        (_, Json::Null) => return Ok(None),
        (DataType::String, Json::Str(s)) => PropValue::Str(s),
        (DataType::String, Json::Number(n)) => PropValue::Str(Cow::Owned(n.to_string())),
        (DataType::String, other) => return Err(wrong("a string", &other)),
        (DataType::Numeric, Json::Number(n)) => match n.as_i64() {
            Some(i) => PropValue::Int(i),
            None => PropValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        (DataType::Numeric, Json::Str(s)) => {
            number_from_text(&s).ok_or_else(|| wrong("a number", &Json::Str(s.clone())))?
        }
        (DataType::Numeric, other) => return Err(wrong("a number", &other)),
        (DataType::Date, Json::Str(s)) => {
            let at =
                parse_date(&s, options.time_zone).map_err(|problem| RecordError::Property {
                    property: property.name,
                    expected: problem,
                    found: format!("{:?}", &*s),
                })?;
            PropValue::Date { text: s, at }
        }
        (DataType::Date, Json::Number(n)) => {
            let at = n
                .as_i64()
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
                .ok_or_else(|| wrong(DATE_FORMATS, &Json::Number(n)))?;
            PropValue::Date {
                text: Cow::Owned(n.to_string()),
                at: at.with_timezone(&options.time_zone).fixed_offset(),
            }
        }
        (DataType::Date, other) => return Err(wrong(DATE_FORMATS, &other)),
    }))
}

fn number_from_text(s: &str) -> Option<PropValue<'static>> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(PropValue::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && s.bytes().any(|b| b.is_ascii_digit()))
        .map(PropValue::Float)
}

const DATE_FORMATS: &str = "a date as DD-MM-YYYY HH:MM:SS, YYYY-MM-DD HH:MM:SS or epoch seconds";

/// Reads a date property: `DD-MM-YYYY HH:MM:SS`, `YYYY-MM-DD HH:MM:SS` or epoch seconds
/// in a string, wall-clock times in `zone`. The error says what was expected.
pub fn parse_date(text: &str, zone: Tz) -> Result<DateTime<FixedOffset>, String> {
    let s = text.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(|at| at.with_timezone(&zone).fixed_offset())
            .ok_or_else(|| DATE_FORMATS.to_owned());
    }
    let (date, time) = s.split_once(' ').unwrap_or((s, ""));
    let parts: Vec<&str> = date.split(['-', '/', '.']).collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(DATE_FORMATS.to_owned());
    }
    // With the year last and slashes or dots (`01/11/2026`), or a two-digit year
    // (`01-11-26`), day and month cannot be told apart: the US reads them the other way.
    let year_last = parts[2].len() == 4;
    if (year_last && date.contains(['/', '.'])) || parts.iter().all(|p| p.len() <= 2) {
        return Err(format!(
            "an unambiguous date ({DATE_FORMATS}); day and month order cannot be told apart"
        ));
    }
    if date.contains(['/', '.']) {
        return Err(DATE_FORMATS.to_owned());
    }
    let num = |p: &str| p.parse::<u32>().unwrap_or(u32::MAX);
    let (day, month, year) = if parts[0].len() == 4 {
        (num(parts[2]), num(parts[1]), num(parts[0]))
    } else if parts[2].len() == 4 {
        (num(parts[0]), num(parts[1]), num(parts[2]))
    } else {
        return Err(DATE_FORMATS.to_owned());
    };
    let Some(day_date) = NaiveDate::from_ymd_opt(year as i32, month, day) else {
        return Err(format!(
            "a real calendar date (there is no day {day} in month {month} of {year})"
        ));
    };
    let time = match time.trim() {
        "" => return Err(format!("{DATE_FORMATS} (the time is missing)")),
        t => hh_mm_ss(t)
            .or_else(|| chrono::NaiveTime::parse_from_str(t, "%H:%M:%S").ok())
            .ok_or_else(|| format!("{DATE_FORMATS} (the time must be HH:MM:SS)"))?,
    };
    let local = NaiveDateTime::new(day_date, time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.fixed_offset()),
        LocalResult::Ambiguous(..) => Err(format!(
            "an unambiguous time ({s} happens twice in {zone}, when clocks go back)"
        )),
        LocalResult::None => Err(format!(
            "a time that exists ({s} is skipped in {zone}, when clocks go forward)"
        )),
    }
}

/// `HH:MM:SS` read directly: the usual form of a time, and cheaper than a format
/// string. Anything else is left to chrono.
fn hh_mm_ss(time: &str) -> Option<chrono::NaiveTime> {
    let &[h1, h2, b':', m1, m2, b':', s1, s2] = time.as_bytes() else {
        return None;
    };
    let two = |a: u8, b: u8| {
        (a.is_ascii_digit() && b.is_ascii_digit())
            .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    };
    chrono::NaiveTime::from_hms_opt(two(h1, h2)?, two(m1, m2)?, two(s1, s2)?)
}

/// A short description of a JSON value, for error messages.
pub fn describe(value: &Json<'_>) -> String {
    match value {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Str(s) => format!("{:?}", &**s),
        Json::Array(_) => "an array".to_owned(),
        Json::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both paths' results for `line`, as text (a record's Debug shows everything it
    /// holds).
    fn both(line: &str) -> (String, String) {
        let options = RecordOptions::default();
        let fast = format!("{:?}", Record::parse(line, &options));
        let slow = format!("{:?}", Record::parse_slow(line, &options));
        (fast, slow)
    }

    const RECORD: &str = r#"{"identity": "u-1", "ts": 1793433600, "type": "event", "evtName": "CT Coupon Rewarded", "evtData": {"Coupon Code": "DIWALI-7KQ2", "couponId": "c\u00e9", "Coupon Expiry Date": "01-11-2026 23:59:59", "Campaign Id": "cmp_1", "couponStartDate": 1793433600, "x": [1, {"y": null}]}, "profileData": {"Name": "Asha \"A\"", "orders": [{"id": "ORD-1", "price": 1.5e3, "qty": -2}, {"id": "ORD-2", "tags": []}], "Tier": "gold"}}"#;

    #[test]
    fn the_fast_path_reads_a_record_as_the_slow_path_does() {
        let (fast, slow) = both(RECORD);
        assert!(fast.starts_with("Ok("), "{fast}");
        assert_eq!(fast, slow);
        assert!(
            scan::parts(RECORD).is_some(),
            "the fast path gave up on a plain record"
        );
    }

    #[test]
    fn the_fast_path_accepts_nothing_the_slow_path_refuses() {
        // Every prefix, and every one-byte change to a byte that matters in JSON.
        for end in 0..RECORD.len() {
            if RECORD.is_char_boundary(end) {
                let (fast, slow) = both(&RECORD[..end]);
                assert_eq!(fast, slow, "prefix {end}");
            }
        }
        for (at, _) in RECORD.char_indices() {
            for with in [
                "\"", "\\", ",", ":", "{", "}", "[", "]", "e", "-", "0", " ", "\u{1}",
            ] {
                let mut line = RECORD.to_owned();
                line.replace_range(at..at + 1, with);
                let (fast, slow) = both(&line);
                assert_eq!(fast, slow, "{line}");
            }
        }
        for line in [
            r#"{"evtName": "CT Points Credited", "profileData": {"a": 1, "a": 2}}"#,
            r#"{"evtName": "CT Points Credited", "profileData": {"a": "\ud800"}}"#,
            r#"{"evtName": "CT Points Credited", "profileData": {"a": 1e400}}"#,
            r#"{"evtName": "CT Points Credited", "other": {"\u0061": 1, "a": 2}}"#,
            r#"{"evtName": "CT Points Credited", "profileData": [1]}"#,
            r#"{"evtName": "CT Points Credited", "profileData": null}"#,
            r#"{"evtName": "CT Points Credited", "evtName": "CT Points Credited"}"#,
        ] {
            let (fast, slow) = both(line);
            assert_eq!(fast, slow, "{line}");
        }
    }

    fn utc(s: &str) -> Result<String, String> {
        parse_date(s, chrono_tz::UTC).map(|d| d.to_rfc3339())
    }

    #[test]
    fn day_first_dates_mean_the_day_first() {
        assert_eq!(
            utc("01-11-2026 00:00:00").unwrap(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            utc("2026-11-01 00:00:00").unwrap(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(utc("1793491200").unwrap(), "2026-11-01T00:00:00+00:00");
    }

    #[test]
    fn wall_clock_times_are_in_the_account_zone() {
        let at = parse_date("01-11-2026 10:00:00", chrono_tz::Asia::Kolkata).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-01T10:00:00+05:30");
    }

    #[test]
    fn impossible_and_ambiguous_dates_are_refused() {
        assert!(
            utc("31-02-2026 00:00:00")
                .unwrap_err()
                .contains("no day 31 in month 2 of 2026")
        );
        assert!(
            utc("01/11/2026 00:00:00")
                .unwrap_err()
                .contains("cannot be told apart")
        );
        let ny = chrono_tz::America::New_York;
        assert!(
            parse_date("01-11-2026 01:30:00", ny)
                .unwrap_err()
                .contains("happens twice")
        );
        assert!(
            parse_date("08-03-2026 02:30:00", ny)
                .unwrap_err()
                .contains("is skipped")
        );
    }
}
