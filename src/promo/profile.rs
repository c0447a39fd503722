//! The user's profile, read lazily: a profile is often most of a record (an order
//! history, addresses, preferences) while a message reads two or three of its fields.
//!
//! Lazy is not lenient: every field is checked against the record rule (see
//! [`strict`](super::strict)) when the record is read, so a field that breaks it fails
//! the record whether a message reads it or not, and a field read later always parses.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json_borrow::{KeyStrType, Map, Value as Json};

use super::strict::{self, Breach, Check, Duplicate, Keys};

/// The user's profile as given (`profileData`), nested objects and arrays included.
///
/// Reading a record finds the profile's fields and checks all of it against the record
/// rule, but parses a field's value only the first time it is looked up, once. A field the
/// message never reads costs two scans of its text: one to find it, one to check it.
#[derive(Clone, Debug, Default)]
pub struct Profile<'a> {
    fields: Vec<(Cow<'a, str>, Lazy<'a>)>,
}

/// A field's value: its JSON text, parsed on first use.
#[derive(Clone, Debug)]
struct Lazy<'a> {
    /// The text, already checked to be JSON; `None` when the value came parsed.
    text: Option<&'a str>,
    value: OnceLock<Json<'a>>,
}

impl<'a> Lazy<'a> {
    fn get(&self) -> &Json<'a> {
        self.value.get_or_init(|| {
            // The text was checked against the record rule when the record was read, so
            // this parse succeeds; `Null` is never reached.
            self.text
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(Json::Null)
        })
    }
}

impl<'a> Profile<'a> {
    /// The value of the field `name`.
    pub fn get(&self, name: &str) -> Option<&Json<'a>> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.get())
    }

    /// The position and value of the field `name`, looked for at position `guess`
    /// first (where records of the same shape have it).
    pub fn get_at(&self, name: &str, guess: usize) -> Option<(usize, &Json<'a>)> {
        if let Some((key, value)) = self.fields.get(guess) {
            if key == name {
                return Some((guess, value.get()));
            }
        }
        let at = self.fields.iter().position(|(key, _)| key == name)?;
        Some((at, self.fields[at].1.get()))
    }

    /// Every field with its value, in input order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.fields.iter().map(|(key, value)| (&**key, value.get()))
    }

    /// How many fields it has.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether it has no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A profile from its fields' texts, each already checked against the record rule
    /// (see [`scan`](super::scan)).
    pub(super) fn from_checked(fields: Vec<(Cow<'a, str>, &'a str)>) -> Profile<'a> {
        let fields = fields
            .into_iter()
            .map(|(key, text)| {
                let lazy = Lazy {
                    text: Some(text),
                    value: OnceLock::new(),
                };
                (key, lazy)
            })
            .collect();
        Profile { fields }
    }

    /// A profile from an already parsed JSON object.
    pub(super) fn from_object(object: Map<'a>) -> Profile<'a> {
        let fields = object
            .into_vec()
            .into_iter()
            .map(|(key, value)| {
                let lazy = Lazy {
                    text: None,
                    value: OnceLock::from(value),
                };
                (key, lazy)
            })
            .collect();
        Profile { fields }
    }
}

/// Reads `profileData` from a record line: a profile, `None` for `null`, or the
/// description of what came instead of an object (for the record's error). A breach of
/// the record rule inside it is left in `found`, its place starting at the field.
pub(super) struct ProfileSeed<'f, 'de> {
    /// Where a breach is left.
    pub found: &'f mut Option<Breach<'de>>,
}

/// How deep a profile field's value may nest: the record and `profileData` are two levels.
const FIELD_DEPTH: u8 = strict::MAX_DEPTH - 2;

impl<'de> DeserializeSeed<'de> for ProfileSeed<'_, 'de> {
    type Value = Result<Option<Profile<'de>>, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Checks one field's text against the record rule: serde_json reads it again, on its
/// own, so its errors are placed in the field's text.
fn check_field<'de>(text: &'de str, found: &mut Option<Breach<'de>>) -> Result<(), ()> {
    let mut de = serde_json::Deserializer::from_str(text);
    let check = Check {
        depth_left: FIELD_DEPTH,
        found: &mut *found,
    };
    match check.deserialize(&mut de).and_then(|()| de.end()) {
        Ok(()) => Ok(()),
        Err(error) => {
            match found {
                None => *found = Some(Breach::Json { error, text }),
                // Placed where serde_json would place it reading the whole record.
                Some(Breach::TooDeep) => {
                    if let Some(at) = strict::too_deep_at(text, FIELD_DEPTH) {
                        *found = Some(Breach::Deep { text, at });
                    }
                }
                Some(_) => {}
            }
            Err(())
        }
    }
}

impl<'de> Visitor<'de> for ProfileSeed<'_, 'de> {
    type Value = Result<Option<Profile<'de>>, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a profile object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<KeyStrType<'de>>()? {
            let key = Cow::from(key);
            if !keys.insert(key.clone()) {
                let duplicate = Duplicate::new(&key).inside_key("profileData");
                return Err(strict::report(self.found, Breach::Duplicate(duplicate)));
            }
            let text: &'de RawValue = map.next_value()?;
            if check_field(text.get(), self.found).is_err() {
                strict::within(self.found, &key);
                strict::within(self.found, "profileData");
                return Err(serde::de::Error::custom(strict::BREACH));
            }
            let lazy = Lazy {
                text: Some(text.get()),
                value: OnceLock::new(),
            };
            fields.push((key, lazy));
        }
        Ok(Ok(Some(Profile { fields })))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err("an array".to_owned()))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Err(b.to_string()))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Err(n.to_string()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Err(n.to_string()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Err(
            serde_json::Number::from_f64(n).map_or_else(|| n.to_string(), |n| n.to_string())
        ))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Err(format!("{s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_parsed_when_first_read() {
        let text = r#"{"Name": "Asha", "orders": [{"id": 1}, {"id": 2}], "Tier": "gold"}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let profile = ProfileSeed { found: &mut None }
            .deserialize(&mut de)
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(profile.fields.iter().all(|(_, v)| v.value.get().is_none()));
        assert_eq!(profile.get("Name"), Some(&Json::Str("Asha".into())));
        assert_eq!(profile.len(), 3);
        assert!(profile.fields[1].1.value.get().is_none());
        let orders = profile.get("orders").unwrap();
        assert!(matches!(orders, Json::Array(items) if items.len() == 2));
    }

    #[test]
    fn what_is_not_an_object_is_described() {
        let read = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            ProfileSeed { found: &mut None }
                .deserialize(&mut de)
                .unwrap()
                .map(|p| p.map(|p| p.len()))
        };
        assert_eq!(read("null"), Ok(None));
        assert_eq!(read("{}"), Ok(Some(0)));
        assert_eq!(read("[1, [2]]"), Err("an array".to_owned()));
        assert_eq!(read("\"Asha\""), Err("\"Asha\"".to_owned()));
        assert_eq!(read("-3"), Err("-3".to_owned()));
        assert_eq!(read("1.5"), Err("1.5".to_owned()));
        assert_eq!(read("true"), Err("true".to_owned()));
    }
}
