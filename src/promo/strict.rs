//! The record rule, checked: keys that come twice, nesting counted from the record's
//! top, and serde_json's own checks on the parts it does not parse into values. What an
//! accepted record guarantees is in [`record`](super::record)'s docs.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json_borrow::{KeyStrType, Value as Json};

#[cfg(doc)]
use super::record::RecordError;

/// How deep arrays and objects may nest, the record itself counted: serde_json's limit,
/// applied the same way to the parts it does not parse itself.
pub(super) const MAX_DEPTH: u8 = 127;

/// The same key twice in one object.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Duplicate {
    /// The key.
    pub key: String,
    /// The object's place, innermost last (`["profileData", "address"]`).
    path: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Duplicate {
    pub fn new(key: &str) -> Duplicate {
        Duplicate {
            key: key.to_owned(),
            path: Vec::new(),
        }
    }

    /// Adds the place of the value the duplicate was found in, walking outwards.
    fn inside(mut self, segment: Segment) -> Duplicate {
        self.path.push(segment);
        self
    }

    /// Adds a key to the place, walking outwards.
    pub fn inside_key(self, key: &str) -> Duplicate {
        self.inside(Segment::Key(key.to_owned()))
    }

    /// Where the object is: `profileData.address`, `evtData["Order Items"][2]`, or `the
    /// record` for the top level.
    pub fn within(&self) -> String {
        if self.path.is_empty() {
            return "the record".to_owned();
        }
        let mut place = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Index(i) => {
                    let _ = write!(place, "[{i}]");
                }
                Segment::Key(key) if is_identifier(key) => {
                    if !place.is_empty() {
                        place.push('.');
                    }
                    place.push_str(key);
                }
                Segment::Key(key) => {
                    let _ = write!(place, "[{key:?}]");
                }
            }
        }
        place
    }
}

/// Whether a key reads as a path segment after a dot.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// An object with more keys than this is checked with a hash set rather than by
/// comparing each key with the ones before it (which is quadratic).
const LINEAR_KEYS: usize = 16;

/// The keys of one object seen so far, to find a key that comes twice.
#[derive(Default)]
pub(super) struct Keys<'k> {
    few: Vec<Cow<'k, str>>,
    many: Option<foldhash::HashSet<Cow<'k, str>>>,
}

impl<'k> Keys<'k> {
    /// Records `key`; false when the object already had it.
    pub fn insert(&mut self, key: Cow<'k, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > LINEAR_KEYS {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// What the rule found wrong while serde_json read a record.
#[derive(Debug)]
pub(super) enum Breach<'de> {
    /// A key that came twice.
    Duplicate(Duplicate),
    /// Arrays and objects nested too deep, found by [`Check`]: the caller places it.
    TooDeep,
    /// Arrays and objects nested too deep in `text` (a slice of the record's), at byte
    /// `at` of it.
    Deep {
        /// The part's text.
        text: &'de str,
        /// Where the array or object that is one too deep opens.
        at: usize,
    },
    /// serde_json's error in a part read on its own (a profile field), which is `text`.
    Json {
        /// The error, placed in `text`.
        error: serde_json::Error,
        /// The part's text, a slice of the record's.
        text: &'de str,
    },
}

impl Breach<'_> {
    /// The breach, in the value under `segment`.
    fn inside(self, segment: Segment) -> Self {
        match self {
            Breach::Duplicate(d) => Breach::Duplicate(d.inside(segment)),
            json => json,
        }
    }
}

/// The message of the custom error that stands for a [`Breach`] left for the caller.
pub(super) const BREACH: &str = "breach of the record rule";

/// Leaves `breach` for the caller and returns the error that stands for it.
pub(super) fn report<'de, E: de::Error>(slot: &mut Option<Breach<'de>>, breach: Breach<'de>) -> E {
    *slot = Some(breach);
    E::custom(BREACH)
}

/// Adds `segment` to the place of a breach found inside the value under it.
pub(super) fn within(slot: &mut Option<Breach<'_>>, key: &str) {
    *slot = slot.take().map(|b| b.inside(Segment::Key(key.to_owned())));
}

/// Checks a value already parsed (so already within rules 1, 3, 4 and 5) for keys that
/// come twice.
pub(super) fn check_tree(value: &Json<'_>) -> Result<(), Duplicate> {
    match value {
        Json::Object(object) => {
            let mut keys = Keys::default();
            for (key, value) in object.iter() {
                if !keys.insert(Cow::Borrowed(key)) {
                    return Err(Duplicate::new(key));
                }
                check_tree(value).map_err(|d| d.inside_key(key))?;
            }
            Ok(())
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_tree(item).map_err(|d| d.inside(Segment::Index(i)))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks a value against the rule while serde_json reads it, keeping nothing: serde_json
/// checks numbers, strings and its own nesting, this checks keys and the nesting counted
/// from the record's top. What it finds is left in `found`, behind a custom error.
pub(super) struct Check<'f, 'de> {
    /// How many more levels of arrays and objects may open, this value's included.
    pub depth_left: u8,
    /// Where a breach is left, with its place.
    pub found: &'f mut Option<Breach<'de>>,
}

impl<'de> DeserializeSeed<'de> for Check<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let depth_left = self.nest::<A::Error>()?;
        let mut index = 0;
        loop {
            let item = Check {
                depth_left,
                found: &mut *self.found,
            };
            match seq.next_element_seed(item) {
                Ok(Some(())) => index += 1,
                Ok(None) => return Ok(()),
                Err(e) => {
                    *self.found = self.found.take().map(|b| b.inside(Segment::Index(index)));
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let depth_left = self.nest::<A::Error>()?;
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<KeyStrType<'de>>()? {
            if !keys.insert(key.0.clone()) {
                return Err(report(self.found, Breach::Duplicate(Duplicate::new(&key))));
            }
            let value = Check {
                depth_left,
                found: &mut *self.found,
            };
            if let Err(e) = map.next_value_seed(value) {
                within(self.found, &key);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Check<'_, '_> {
    /// The depth left inside the array or object this value opens, or a
    /// [`Breach::TooDeep`].
    fn nest<E: de::Error>(&mut self) -> Result<u8, E> {
        match self.depth_left.checked_sub(1) {
            Some(left) => Ok(left),
            None => Err(report(self.found, Breach::TooDeep)),
        }
    }
}

/// Where in `text` (one JSON value) an array or object opens deeper than `depth` levels,
/// the value's own counted: the place serde_json names when its limit is broken.
pub(super) fn too_deep_at(text: &str, depth: u8) -> Option<usize> {
    let (mut level, mut in_string, mut escaped) = (0u32, false, false);
    for (at, byte) in text.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                level += 1;
                if level > u32::from(depth) {
                    return Some(at);
                }
            }
            b']' | b'}' => level = level.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Where `inner`, a slice of `text`, starts in it.
pub(super) fn offset_in(inner: &str, text: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// `message at line L column C`, as serde_json says it, for the byte at `offset` of
/// `text` (the column counts it).
pub(super) fn at_offset(message: &str, text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let line = 1 + before.matches('\n').count();
    format!(
        "{message} at line {line} column {}",
        offset - line_start + 1
    )
}

/// A serde_json error inside a value read on its own (a profile field's text), placed in
/// the whole text: the same message, with the line and column where it is in `text`.
/// `inner` must be a slice of `text`.
pub(super) fn placed_in(error: &serde_json::Error, inner: &str, text: &str) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let Some(bare) = message.strip_suffix(&suffix) else {
        return message;
    };
    let start = offset_in(inner, text);
    let before = text.get(..start).unwrap_or_default();
    let (line, column) = if error.line() <= 1 {
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        (
            1 + before.matches('\n').count(),
            start - line_start + error.column(),
        )
    } else {
        (before.matches('\n').count() + error.line(), error.column())
    };
    format!("{bare} at line {line} column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, depth_left: u8) -> Result<(), String> {
        let mut found = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let result = Check {
            depth_left,
            found: &mut found,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        match (result, found) {
            (Ok(()), None) => Ok(()),
            (Err(_), Some(Breach::Duplicate(d))) => Err(format!("{:?} in {}", d.key, d.within())),
            (Err(e), None) => Err(e.to_string()),
            (result, found) => panic!("{result:?} with {found:?}"),
        }
    }

    #[test]
    fn a_key_twice_is_found_with_its_place() {
        assert_eq!(check(r#"{"a": 1, "b": 2}"#, 10), Ok(()));
        assert_eq!(
            check(r#"{"a": 1, "a": 2}"#, 10),
            Err(r#""a" in the record"#.to_owned())
        );
        assert_eq!(
            check(r#"{"x": [0, {"y": {"k": 1, "\u006b": 2}}]}"#, 10),
            Err(r#""k" in x[1].y"#.to_owned())
        );
        assert_eq!(
            check(r#"{"my key": {"k": 1, "k": 2}}"#, 10),
            Err(r#""k" in ["my key"]"#.to_owned())
        );
    }

    #[test]
    fn a_key_twice_among_many_is_found() {
        let mut text = (0..1000)
            .map(|i| format!("\"k{i}\": {i}"))
            .collect::<Vec<_>>();
        assert_eq!(check(&format!("{{{}}}", text.join(",")), 10), Ok(()));
        text.push("\"k500\": 0".to_owned());
        assert_eq!(
            check(&format!("{{{}}}", text.join(",")), 10),
            Err(r#""k500" in the record"#.to_owned())
        );
    }

    #[test]
    fn keys_are_counted_quickly_in_a_huge_object() {
        let text = (0..50_000)
            .map(|i| format!("\"k{i}\": 0"))
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("{{{text}}}");
        // Quadratic comparison would take minutes; the set takes milliseconds.
        assert_eq!(check(&text, 10), Ok(()));
        let tree: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(check_tree(&tree), Ok(()));
    }

    #[test]
    fn nesting_is_limited_from_the_given_depth() {
        assert_eq!(check("[[[]]]", 3), Ok(()));
        let mut found = None;
        let mut de = serde_json::Deserializer::from_str("[[[[]]]]");
        let check = Check {
            depth_left: 3,
            found: &mut found,
        };
        assert!(check.deserialize(&mut de).is_err());
        assert!(matches!(found, Some(Breach::TooDeep)), "{found:?}");
        assert_eq!(too_deep_at(r#"[{"a[[[": [[]]}]"#, 3), Some(11));
        assert_eq!(too_deep_at(r#"["\"[[[", []]"#, 3), None);
    }

    #[test]
    fn a_tree_is_checked_for_keys_twice() {
        let tree: Json = serde_json::from_str(r#"{"a": [{"b": 1, "b": 2}]}"#).unwrap();
        let d = check_tree(&tree).unwrap_err();
        assert_eq!((d.key.as_str(), d.within().as_str()), ("b", "a[0]"));
    }

    #[test]
    fn an_error_inside_a_part_is_placed_in_the_whole_text() {
        let text = "{\"p\": {\"x\": 1e400}}";
        let inner = &text[12..17];
        let error = serde_json::from_str::<f64>(inner).unwrap_err();
        assert_eq!(
            placed_in(&error, inner, text),
            "number out of range at line 1 column 17"
        );
        let whole = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!(whole.to_string(), "number out of range at line 1 column 17");
    }
}
