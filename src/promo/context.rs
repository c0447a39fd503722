//! The Liquid view of a record: the globals `Event`, `EventName` and `Profile`, looked up
//! in place in the typed record (nothing is copied into maps).
//!
//! - `Event["Coupon Code"]`, `Event.coupon_code` and `Event.Description` (an alias of
//!   `Coupon Description`) reach the same value; custom properties answer to the name
//!   they came with.
//! - `EventName` is the event's name, for messages shared by several events.
//! - `Profile` is the profile as given, nested objects and arrays included.
//!
//! A property or profile field the record does not have is undefined, so `default` and
//! the environment's undefined policy apply to it.

use liquid_value::{Borrowed, KeyHint, Map, ObjectView, Val, Value};
use serde_json_borrow::Value as Json;

use super::profile::Profile;
use super::record::{Event, PropValue, Record};
use super::schema;
use crate::liquid::value as liquid_value;

impl ObjectView for Record<'_> {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        match key {
            "Event" => Some(Val::object(&self.event)),
            "EventName" => Some(Val::str(self.event.kind.name())),
            "Profile" => self.profile.as_ref().map(|p| Val::object(p)),
            _ => None,
        }
    }

    fn size(&self) -> usize {
        2 + self.profile.is_some() as usize
    }

    fn to_value(&self) -> Value {
        let mut map = Map::default();
        map.insert("Event".to_owned(), self.event.to_value());
        map.insert("EventName".to_owned(), Value::str(self.event.kind.name()));
        if let Some(profile) = &self.profile {
            map.insert("Profile".to_owned(), profile.to_value());
        }
        Value::from(map)
    }
}

impl ObjectView for Event<'_> {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        if let Some(id) = schema::lookup(key) {
            if let Some(value) = self.get(id) {
                return Some(prop_val(value));
            }
        }
        self.custom
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| json_val(v))
    }

    fn size(&self) -> usize {
        self.properties().count() + self.custom.len()
    }

    fn to_value(&self) -> Value {
        let mut map = Map::default();
        for (id, value) in self.properties() {
            map.insert(id.property().name.to_owned(), prop_val(value).into_value());
        }
        for (k, v) in &self.custom {
            map.insert(k.to_string(), json_value(v));
        }
        Value::from(map)
    }
}

impl ObjectView for Profile<'_> {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        self.get(key).map(json_val)
    }

    fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<Val<'_>> {
        let (at, value) = self.get_at(key, hint.position())?;
        hint.remember(at);
        Some(json_val(value))
    }

    fn size(&self) -> usize {
        self.len()
    }

    fn to_value(&self) -> Value {
        let map: Map = self
            .iter()
            .map(|(k, v)| (k.to_owned(), json_value(v)))
            .collect();
        Value::from(map)
    }
}

fn prop_val<'a>(value: &'a PropValue<'_>) -> Val<'a> {
    match value {
        PropValue::Str(s) => Val::str(s),
        PropValue::Int(i) => Val::Owned(Value::Int(*i)),
        PropValue::Float(f) => Val::Owned(Value::Float(*f)),
        PropValue::Date { text, at } => Val::Borrowed(Borrowed::Date { text, at }),
    }
}

/// A borrowed JSON value as the renderer sees it.
pub fn json_val<'a>(json: &'a Json<'_>) -> Val<'a> {
    match json {
        Json::Null => Val::Owned(Value::Nil),
        Json::Bool(b) => Val::Owned(Value::Bool(*b)),
        Json::Number(n) => Val::Owned(match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        Json::Str(s) => Val::str(s),
        Json::Array(_) | Json::Object(_) => Val::object(json),
    }
}

fn json_value(json: &Json<'_>) -> Value {
    json_val(json).into_value()
}

impl ObjectView for Json<'_> {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        match self {
            Json::Object(map) => map.get(key).map(json_val),
            _ => None,
        }
    }

    /// Records of one shape keep their keys in the same places: the key is compared
    /// where it was last time before the object is scanned.
    fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<Val<'_>> {
        let Json::Object(map) = self else {
            return None;
        };
        if let Some((k, v)) = map.get_key_value_at(hint.position()) {
            if k == key {
                return Some(json_val(v));
            }
        }
        let (at, (_, v)) = map.iter().enumerate().find(|(_, (k, _))| *k == key)?;
        hint.remember(at);
        Some(json_val(v))
    }

    fn index(&self, index: i64) -> Option<Val<'_>> {
        match self {
            Json::Array(items) => {
                liquid_value::resolve_index(index, items.len()).map(|i| json_val(&items[i]))
            }
            _ => None,
        }
    }

    fn size(&self) -> usize {
        match self {
            Json::Array(items) => items.len(),
            Json::Object(map) => map.len(),
            _ => 0,
        }
    }

    fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    fn to_value(&self) -> Value {
        match self {
            Json::Array(items) => Value::array(items.iter().map(json_value).collect()),
            Json::Object(map) => Value::from(
                map.iter()
                    .map(|(k, v)| (k.to_owned(), json_value(v)))
                    .collect::<Map>(),
            ),
            scalar => json_val(scalar).into_value(),
        }
    }
}
