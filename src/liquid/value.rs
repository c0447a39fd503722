//! The value model: owned [`Value`]s, host data seen through [`ObjectView`],
//! and [`Val`], the two of them as the renderer handles them.
//!
//! Owned values are cheap to clone (strings, arrays and objects sit behind
//! `Arc`), so a local variable can be copied out of a scope without copying
//! its contents. Host data (the globals a caller renders with) is never copied
//! into `Value`s just to be looked up: the renderer walks it through
//! [`ObjectView`] and only materializes what a filter needs.

use std::cmp::Ordering as CmpOrdering;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use indexmap::IndexMap;

mod inspect;
use inspect::{write_object, write_object_within};

/// An object: string keys in insertion order, hashed with foldhash (fast, and seeded
/// per process so that keys from data cannot be chosen to collide).
pub type Map = IndexMap<String, Value, foldhash::fast::RandomState>;

/// A Liquid value owned by the renderer.
///
/// The tag is a whole word (`repr(u64)`) so that moving a value copies aligned words:
/// with a byte tag, `Bool` sits at byte 1 and every move copies bytes 1 to 7 apart,
/// which stalls the loads that read the value back.
#[derive(Clone, Debug, Default)]
#[repr(u64)]
pub enum Value {
    /// `nil`, and what an undefined variable evaluates to.
    #[default]
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// A 64-bit integer; arithmetic on it is checked.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// An array.
    Array(Arc<Vec<Value>>),
    /// An object (hash) with keys in insertion order.
    Object(Arc<Map>),
    /// An inclusive integer range, `(start..end)`.
    Range(i64, i64),
    /// The special literal `empty`.
    Empty,
    /// The special literal `blank`.
    Blank,
    /// A date and time that prints as the text it came as.
    Date(Arc<DateValue>),
}

/// A point in time that prints as the text it arrived as (`01-11-2026 00:00:00`),
/// so that host dates are parsed once, when the data is read.
#[derive(Clone, Debug, PartialEq)]
pub struct DateValue {
    /// The text, as it came.
    pub text: Arc<str>,
    /// The instant, with the offset it is to be shown in.
    pub at: chrono::DateTime<chrono::FixedOffset>,
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// An array value.
    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    /// Whether Liquid treats this as true: everything but `nil` and `false`.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// Whether this is `nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the text Liquid outputs for this value.
    pub fn write_to(&self, out: &mut String) {
        match self {
            Value::Nil | Value::Empty | Value::Blank => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            Value::Float(f) => write_float(*f, out),
            Value::Str(s) => out.push_str(s),
            Value::Array(items) => items.iter().for_each(|item| item.write_to(out)),
            Value::Object(map) => write_object(map, out),
            Value::Range(a, b) => {
                let _ = write!(out, "{a}..{b}");
            }
            Value::Date(d) => out.push_str(&d.text),
        }
    }

    /// Appends the text Liquid outputs for this value unless that would make `out`
    /// longer than `cap` bytes. Returns `false` when it would: `out` then holds part of
    /// the text (at most `cap` bytes and one number), and nothing past `cap` was built.
    ///
    /// An array of many references to one large string is cheap to hold but not to
    /// print: this is the form of [`Value::write_to`] for values of unknown size.
    pub fn write_within(&self, out: &mut String, cap: usize) -> bool {
        match self {
            Value::Str(s) => push_within(out, s, cap),
            Value::Date(d) => push_within(out, &d.text, cap),
            Value::Array(items) => items.iter().all(|item| item.write_within(out, cap)),
            Value::Object(map) => write_object_within(map, out, cap),
            scalar => {
                scalar.write_to(out);
                out.len() <= cap
            }
        }
    }

    /// The text Liquid outputs for this value, if it is at most `cap` bytes; nothing
    /// larger than that is built.
    pub fn to_text_within(&self, cap: usize) -> Option<String> {
        let mut out = String::new();
        self.write_within(&mut out, cap).then_some(out)
    }

    /// The text Liquid outputs for this value.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// The string form, borrowed when this already is a string.
    pub fn to_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Str(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.to_text()),
        }
    }

    /// The length of a string (in characters), array, object or range; `None` otherwise.
    pub fn size(&self) -> Option<usize> {
        match self {
            Value::Str(s) => Some(s.chars().count()),
            Value::Date(d) => Some(d.text.chars().count()),
            Value::Array(items) => Some(items.len()),
            Value::Object(map) => Some(map.len()),
            Value::Range(a, b) => Some(range_len(*a, *b) as usize),
            _ => None,
        }
    }

    /// Looks up `key` on an object, or the `size`/`first`/`last` properties Liquid gives
    /// arrays, strings and objects.
    pub fn get(&self, key: &str) -> Option<Value> {
        if let Value::Object(map) = self {
            if let Some(v) = map.get(key) {
                return Some(v.clone());
            }
        }
        match key {
            "size" => self.size().map(|n| Value::Int(n as i64)),
            "first" => self.first(),
            "last" => self.last(),
            _ => None,
        }
    }

    /// Item `index` of an array or range (negative counts from the end), or the value of
    /// an object for a key that is a number.
    pub fn index(&self, index: i64) -> Option<Value> {
        match self {
            Value::Array(items) => resolve_index(index, items.len()).map(|i| items[i].clone()),
            Value::Range(a, b) => {
                let len = range_len(*a, *b);
                let i = if index < 0 {
                    index.checked_add(len)?
                } else {
                    index
                };
                (0..len).contains(&i).then(|| Value::Int(a + i))
            }
            Value::Object(map) => map.get(index.to_string().as_str()).cloned(),
            _ => None,
        }
    }

    /// The first item of an array or range, or the first `[key, value]` pair of an object.
    pub fn first(&self) -> Option<Value> {
        match self {
            Value::Array(items) => items.first().cloned(),
            Value::Range(..) => self.index(0),
            Value::Object(map) => map
                .first()
                .map(|(k, v)| Value::array(vec![Value::str(k), v.clone()])),
            _ => None,
        }
    }

    /// The last item of an array or range.
    pub fn last(&self) -> Option<Value> {
        match self {
            Value::Array(items) => items.last().cloned(),
            Value::Range(..) => self.index(-1),
            _ => None,
        }
    }

    /// Whether this is an empty string, array or object (what `== empty` tests).
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            Value::Object(map) => map.is_empty(),
            Value::Range(a, b) => b < a,
            Value::Empty => true,
            _ => false,
        }
    }

    /// Whether this is blank: nil, false, a string of only white space, or an empty
    /// array or object (what `== blank` tests).
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Nil | Value::Bool(false) | Value::Blank => true,
            Value::Str(s) => s.trim().is_empty(),
            Value::Array(_) | Value::Object(_) | Value::Range(..) | Value::Empty => self.is_empty(),
            _ => false,
        }
    }

    /// Liquid's `==`.
    pub fn liquid_eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            // `empty == empty` is false in Shopify (neither literal is empty or blank
            // itself); only values are.
            (Blank | Empty, Blank | Empty) => false,
            // A Ruby range has no `empty?`: Shopify never finds one empty or blank.
            (Blank | Empty, Range(..)) | (Range(..), Blank | Empty) => false,
            (Blank, v) | (v, Blank) => v.is_blank(),
            (Empty, v) | (v, Empty) => v.is_empty(),
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (Float(a), Float(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Array(a), Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.liquid_eq(y))
            }
            (Object(a), Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.liquid_eq(w)))
            }
            (Range(a, b), Range(c, d)) => a == c && b == d,
            (Date(a), Date(b)) => a.at == b.at,
            (Date(d), Str(s)) | (Str(s), Date(d)) => *d.text == **s,
            // A range equals only a range with the same ends, never an array of the same
            // integers (Ruby's `Range#==`, which Shopify uses): `[] == (0..-1)` is false.
            _ => false,
        }
    }

    /// Liquid's ordering for `<`, `>`, `<=`, `>=` and sorting. `None` when the two cannot
    /// be compared.
    pub fn liquid_cmp(&self, other: &Value) -> Option<CmpOrdering> {
        use Value::*;
        match (self, other) {
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
            (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
            (Float(a), Float(b)) => a.partial_cmp(b),
            (Str(a), Str(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.at.cmp(&b.at)),
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Nil, Nil) => Some(CmpOrdering::Equal),
            _ => None,
        }
    }

    /// Liquid's `contains`: substring of a string, item of an array, key of an object.
    pub fn contains(&self, needle: &Value) -> bool {
        match self {
            Value::Str(s) => match needle {
                Value::Nil => false,
                // As in Shopify, `empty` and `blank` are the empty string here.
                Value::Empty | Value::Blank => true,
                Value::Str(n) => s.contains(&**n),
                // A needle whose text is longer than the string is not in it: its
                // text (an array's may be huge) is built only up to that length.
                // Shopify looks for an array's Ruby text (`["a"]`).
                Value::Array(_) => {
                    inspect::inspect_within(needle, s.len()).is_some_and(|n| s.contains(&n))
                }
                n => n.to_text_within(s.len()).is_some_and(|n| s.contains(&n)),
            },
            // As in Shopify, `contains nil`, `contains false` (and `contains empty`,
            // which looks for the literal itself) are always false.
            Value::Array(items) => {
                needle.is_truthy()
                    && !matches!(needle, Value::Empty | Value::Blank)
                    && items.iter().any(|item| item.liquid_eq(needle))
            }
            Value::Range(a, b) => match needle {
                Value::Int(n) => (a..=b).contains(&n),
                _ => false,
            },
            Value::Object(map) => needle.as_str().is_some_and(|k| map.contains_key(k)),
            _ => false,
        }
    }

    /// This value as a list of items: arrays as they are, ranges expanded, objects as
    /// `[key, value]` pairs, nil as nothing, anything else as a one-item list.
    pub fn to_array(&self) -> Value {
        match self {
            Value::Array(_) => self.clone(),
            Value::Nil | Value::Empty | Value::Blank => Value::array(Vec::new()),
            Value::Range(a, b) => Value::array((*a..=*b).map(Value::Int).collect()),
            Value::Object(map) => Value::array(
                map.iter()
                    .map(|(k, v)| Value::array(vec![Value::str(k), v.clone()]))
                    .collect(),
            ),
            other => Value::array(vec![other.clone()]),
        }
    }

    /// The name of this value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Range(..) => "range",
            Value::Empty => "empty",
            Value::Blank => "blank",
            Value::Date(_) => "date",
        }
    }
}

/// How many integers `a..=b` holds (0 when `b < a`), saturating at `i64::MAX`.
pub fn range_len(a: i64, b: i64) -> i64 {
    if b < a {
        0
    } else {
        (b as i128 - a as i128 + 1).min(i64::MAX as i128) as i64
    }
}

/// Resolves a possibly negative index against a length.
pub fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 {
        index.checked_add(len)?
    } else {
        index
    };
    (0..len).contains(&i).then_some(i as usize)
}

/// Writes a float as Ruby prints it: `5.0`, `0.1`, `1.0e+20`.
pub fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if f == 0.0 || (1e-4..1e16).contains(&f.abs()) {
        let start = out.len();
        let _ = write!(out, "{f}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    } else {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        out.push('e');
        let exp: i32 = exp.parse().unwrap_or(0);
        let _ = write!(out, "{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

fn push_within(out: &mut String, s: &str, cap: usize) -> bool {
    if out.len().saturating_add(s.len()) > cap {
        return false;
    }
    out.push_str(s);
    true
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::array(items)
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(Arc::new(map))
    }
}

impl From<&serde_json::Value> for Value {
    fn from(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => json_number(n),
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(items) => {
                Value::array(items.iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => Value::from(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from(v)))
                    .collect::<Map>(),
            ),
        }
    }
}

fn json_number(n: &serde_json::Number) -> Value {
    match n.as_i64() {
        Some(i) => Value::Int(i),
        None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// Host data the renderer reads in place: the globals of a render, and the objects and
/// arrays inside them.
///
/// Implement it for your own types to render with them without building maps;
/// `serde_json::Value` and [`Value`] implement it already.
pub trait ObjectView: Sync {
    /// The property `key` of an object, `None` when it has none.
    fn get(&self, key: &str) -> Option<Val<'_>>;

    /// Item `index` of an array (negative counts from the end). Objects return `None`.
    fn index(&self, _index: i64) -> Option<Val<'_>> {
        None
    }

    /// The number of items or properties.
    fn size(&self) -> usize;

    /// Whether this is an array rather than an object.
    fn is_array(&self) -> bool {
        false
    }

    /// A full owned copy, for filters and loops that need one.
    fn to_value(&self) -> Value;

    /// [`ObjectView::get`], with where the key was found last time in an object of
    /// this kind. Implementations that keep keys in order may check there first and
    /// update the hint; the default ignores it.
    fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<Val<'_>> {
        let _ = hint;
        self.get(key)
    }
}

/// Where a key was found the last time a path looked it up, so that the next lookup
/// in an object of the same shape (the next item of a loop, the next record) compares
/// one key instead of hashing.
///
/// Templates are shared between threads, so the position is an atomic; a stale or
/// foreign hint only costs the one comparison.
#[derive(Debug)]
pub struct KeyHint(AtomicU32);

impl Default for KeyHint {
    fn default() -> Self {
        KeyHint(AtomicU32::new(u32::MAX))
    }
}

impl KeyHint {
    /// The value of `key` in `map`.
    #[inline]
    pub fn find<'m>(&self, map: &'m Map, key: &str) -> Option<&'m Value> {
        let at = self.0.load(Ordering::Relaxed) as usize;
        if let Some((k, v)) = map.get_index(at) {
            if k == key {
                return Some(v);
            }
        }
        self.find_and_remember(map, key)
    }

    /// The position the key had last time (`usize::MAX` before the first lookup), for
    /// host objects that keep their keys in order: check there first.
    #[inline]
    pub fn position(&self) -> usize {
        self.0.load(Ordering::Relaxed) as usize
    }

    /// Remembers where the key was found this time.
    #[inline]
    pub fn remember(&self, position: usize) {
        self.0.store(position as u32, Ordering::Relaxed);
    }

    #[inline(never)]
    fn find_and_remember<'m>(&self, map: &'m Map, key: &str) -> Option<&'m Value> {
        let (at, _, v) = map.get_full(key)?;
        self.0.store(at as u32, Ordering::Relaxed);
        Some(v)
    }
}

/// A value during a render: owned, or borrowed from the host's data.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Borrowed<'a> {
    /// A [`Value`] the host owns (globals built as `Value`s).
    Value(&'a Value),
    /// A string the host owns.
    Str(&'a str),
    /// An object or array the host owns.
    Object(&'a dyn ObjectView),
    /// A date the host owns: the text it prints as, and the instant it means.
    Date {
        /// The text as it came.
        text: &'a str,
        /// The instant.
        at: &'a chrono::DateTime<chrono::FixedOffset>,
    },
}

impl std::fmt::Debug for dyn ObjectView + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.to_value(), f)
    }
}

/// A value as the renderer handles it: owned, or borrowed from the globals.
#[derive(Clone, Debug)]
pub enum Val<'a> {
    /// An owned value.
    Owned(Value),
    /// A value borrowed from host data.
    Borrowed(Borrowed<'a>),
}

impl<'a> Val<'a> {
    /// A borrowed host string.
    pub fn str(s: &'a str) -> Val<'a> {
        Val::Borrowed(Borrowed::Str(s))
    }

    /// A borrowed host object or array.
    pub fn object(o: &'a dyn ObjectView) -> Val<'a> {
        Val::Borrowed(Borrowed::Object(o))
    }

    /// A borrowed [`Value`].
    pub fn value(v: &'a Value) -> Val<'a> {
        Val::Borrowed(Borrowed::Value(v))
    }

    /// The owned value (copying borrowed host data).
    pub fn into_value(self) -> Value {
        match self {
            Val::Owned(v) => v,
            Val::Borrowed(Borrowed::Value(v)) => v.clone(),
            Val::Borrowed(Borrowed::Str(s)) => Value::str(s),
            Val::Borrowed(Borrowed::Object(o)) => o.to_value(),
            Val::Borrowed(Borrowed::Date { text, at }) => Value::Date(Arc::new(DateValue {
                text: Arc::from(text),
                at: *at,
            })),
        }
    }

    /// Whether Liquid treats this as true.
    pub fn is_truthy(&self) -> bool {
        self.as_value().is_none_or(Value::is_truthy)
    }

    /// Whether this is `nil`.
    pub fn is_nil(&self) -> bool {
        matches!(
            self,
            Val::Owned(Value::Nil) | Val::Borrowed(Borrowed::Value(Value::Nil))
        )
    }

    /// The value as a `&Value`, if it is one (owned, or a borrowed `Value`).
    pub fn as_value(&self) -> Option<&Value> {
        match self {
            Val::Owned(v) => Some(v),
            Val::Borrowed(Borrowed::Value(v)) => Some(*v),
            Val::Borrowed(_) => None,
        }
    }

    /// The value as a `&Value`, copying only host data that is not a [`Value`].
    pub fn value_ref(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            Val::Owned(v) => std::borrow::Cow::Borrowed(v),
            Val::Borrowed(Borrowed::Value(v)) => std::borrow::Cow::Borrowed(*v),
            other => std::borrow::Cow::Owned(other.clone().into_value()),
        }
    }

    /// Appends the text Liquid outputs for this value.
    pub fn write_to(&self, out: &mut String) {
        match self {
            Val::Owned(v) => v.write_to(out),
            Val::Borrowed(Borrowed::Value(v)) => v.write_to(out),
            Val::Borrowed(Borrowed::Str(s) | Borrowed::Date { text: s, .. }) => out.push_str(s),
            Val::Borrowed(Borrowed::Object(o)) => o.to_value().write_to(out),
        }
    }

    /// Looks up a property, including `size`, `first` and `last`.
    pub fn get(&self, key: &str) -> Option<Val<'a>> {
        self.get_hinted(key, &KeyHint::default())
    }

    /// [`Val::get`], trying first where `hint` says the key was last time.
    #[inline]
    pub fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<Val<'a>> {
        if let Val::Borrowed(Borrowed::Value(Value::Object(map))) = self {
            if let Some(v) = hint.find(map, key) {
                return Some(Val::value(v));
            }
        }
        self.get_slow(key, hint)
    }

    fn get_slow(&self, key: &str, hint: &KeyHint) -> Option<Val<'a>> {
        match self {
            Val::Owned(v) => match v {
                Value::Object(map) => hint.find(map, key).cloned(),
                _ => None,
            }
            .or_else(|| v.get(key))
            .map(Val::Owned),
            // The hint was tried: what is left is `size`, `first` and `last`.
            Val::Borrowed(Borrowed::Value(v)) => v.get(key).map(Val::Owned),
            Val::Borrowed(Borrowed::Str(s) | Borrowed::Date { text: s, .. }) => match key {
                "size" => Some(Val::Owned(Value::Int(s.chars().count() as i64))),
                _ => None,
            },
            Val::Borrowed(Borrowed::Object(o)) => {
                let o: &'a dyn ObjectView = *o;
                o.get_hinted(key, hint).or_else(|| match key {
                    "size" => Some(Val::Owned(Value::Int(o.size() as i64))),
                    "first" if o.is_array() => o.index(0),
                    "last" if o.is_array() => o.index(-1),
                    "first" => o.to_value().first().map(Val::Owned),
                    _ => None,
                })
            }
        }
    }

    /// Looks up an array item by index.
    pub fn index(&self, index: i64) -> Option<Val<'a>> {
        match self {
            Val::Owned(v) => v.index(index).map(Val::Owned),
            Val::Borrowed(Borrowed::Value(Value::Array(items))) => {
                resolve_index(index, items.len()).map(|i| Val::value(&items[i]))
            }
            Val::Borrowed(Borrowed::Value(v)) => v.index(index).map(Val::Owned),
            Val::Borrowed(Borrowed::Str(_) | Borrowed::Date { .. }) => None,
            Val::Borrowed(Borrowed::Object(o)) => {
                let o: &'a dyn ObjectView = *o;
                if o.is_array() {
                    o.index(index)
                } else {
                    o.get(&index.to_string())
                }
            }
        }
    }
}

impl From<Value> for Val<'_> {
    fn from(v: Value) -> Self {
        Val::Owned(v)
    }
}

impl<'a> From<&'a serde_json::Value> for Val<'a> {
    fn from(json: &'a serde_json::Value) -> Val<'a> {
        match json {
            serde_json::Value::Null => Val::Owned(Value::Nil),
            serde_json::Value::Bool(b) => Val::Owned(Value::Bool(*b)),
            serde_json::Value::Number(n) => Val::Owned(json_number(n)),
            serde_json::Value::String(s) => Val::str(s),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => Val::object(json),
        }
    }
}

impl ObjectView for serde_json::Value {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        match self {
            serde_json::Value::Object(map) => map.get(key).map(Val::from),
            _ => None,
        }
    }

    fn index(&self, index: i64) -> Option<Val<'_>> {
        match self {
            serde_json::Value::Array(items) => {
                resolve_index(index, items.len()).map(|i| Val::from(&items[i]))
            }
            _ => None,
        }
    }

    fn size(&self) -> usize {
        match self {
            serde_json::Value::Array(items) => items.len(),
            serde_json::Value::Object(map) => map.len(),
            _ => 0,
        }
    }

    fn is_array(&self) -> bool {
        self.is_array()
    }

    fn to_value(&self) -> Value {
        Value::from(self)
    }
}

impl ObjectView for serde_json::Map<String, serde_json::Value> {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        self.get(key).map(Val::from)
    }

    fn size(&self) -> usize {
        self.len()
    }

    fn to_value(&self) -> Value {
        Value::from(
            self.iter()
                .map(|(k, v)| (k.clone(), Value::from(v)))
                .collect::<Map>(),
        )
    }
}

impl ObjectView for Map {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        self.get(key).map(Val::value)
    }

    fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<Val<'_>> {
        hint.find(self, key).map(Val::value)
    }

    fn size(&self) -> usize {
        self.len()
    }

    fn to_value(&self) -> Value {
        Value::from(self.clone())
    }
}

/// A [`Value`] as globals: its properties, when it is an object.
impl ObjectView for Value {
    fn get(&self, key: &str) -> Option<Val<'_>> {
        match self {
            Value::Object(map) => map.get(key).map(Val::value),
            _ => None,
        }
    }

    fn get_hinted(&self, key: &str, hint: &KeyHint) -> Option<Val<'_>> {
        match self {
            Value::Object(map) => hint.find(map, key).map(Val::value),
            _ => None,
        }
    }

    fn index(&self, index: i64) -> Option<Val<'_>> {
        Val::value(self).index(index)
    }

    fn size(&self) -> usize {
        Value::size(self).unwrap_or(0)
    }

    fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// No globals at all.
impl ObjectView for () {
    fn get(&self, _key: &str) -> Option<Val<'_>> {
        None
    }

    fn size(&self) -> usize {
        0
    }

    fn to_value(&self) -> Value {
        Value::from(Map::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(f, &mut s);
        s
    }

    #[test]
    fn floats_print_as_ruby_prints_them() {
        assert_eq!(float(5.0), "5.0");
        assert_eq!(float(7.9), "7.9");
        assert_eq!(float(-0.5), "-0.5");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float(1e20), "1.0e+20");
        assert_eq!(float(1.5e-5), "1.5e-05");
    }

    #[test]
    fn blank_and_empty_equality() {
        assert!(Value::Nil.liquid_eq(&Value::Blank));
        assert!(!Value::Nil.liquid_eq(&Value::Empty));
        assert!(Value::str("  ").liquid_eq(&Value::Blank));
        assert!(!Value::str("  ").liquid_eq(&Value::Empty));
        assert!(!Value::Blank.liquid_eq(&Value::Empty));
    }

    #[test]
    fn int_and_float_are_equal_but_not_int_and_string() {
        assert!(Value::Int(1).liquid_eq(&Value::Float(1.0)));
        assert!(!Value::Int(1).liquid_eq(&Value::str("1")));
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Values are moved on every lookup and filter call: keep them three words.
    #[test]
    fn hot_types_stay_small() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Val<'_>>(), 32);
    }
}
