//! Compiled messages, cached by their content: an editor that sends the same text on
//! every key stroke pays for one compile. Messages that do not load are cached too, as
//! their failed outcome. The cache is bounded by the size of the texts it holds.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use promo_liquid::message::{Message, Outcome};
use promo_liquid::requests::{self, RenderOptions, Source};
use promo_liquid::snippets::Library;
use quick_cache::{Equivalent, Weighter, sync::Cache};

/// A message, or the outcome of one that does not load.
pub(crate) type Compiled = Arc<Result<Message, Outcome>>;

/// What a compile depends on: the source and the settings compiled into it.
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct Key {
    is_message: bool,
    name: Box<str>,
    text: Box<str>,
    zone: Tz,
    strict: bool,
    now: Option<DateTime<FixedOffset>>,
    /// `now`'s offset: equal instants in two offsets are equal `DateTime`s.
    offset: Option<i32>,
}

/// A [`Key`] borrowed from a request, for look-ups that allocate nothing. Its fields
/// hash exactly as the key's do.
#[derive(PartialEq, Eq)]
struct KeyRef<'a> {
    is_message: bool,
    name: &'a str,
    text: &'a str,
    zone: Tz,
    strict: bool,
    now: Option<DateTime<FixedOffset>>,
    /// `now`'s offset: equal instants in two offsets are equal `DateTime`s.
    offset: Option<i32>,
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The same order and types as the derived `Hash` of `Key`.
        self.is_message.hash(state);
        self.name.hash(state);
        self.text.hash(state);
        self.zone.hash(state);
        self.strict.hash(state);
        self.now.hash(state);
        self.offset.hash(state);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.is_message == key.is_message
            && self.strict == key.strict
            && self.zone == key.zone
            && self.now == key.now
            && self.offset == key.offset
            && *self.name == *key.name
            && *self.text == *key.text
    }
}

#[derive(Clone)]
struct TextWeight;

impl Weighter<Key, Compiled> for TextWeight {
    fn weight(&self, key: &Key, _: &Compiled) -> u64 {
        // The compiled form is a few times the text; a fixed part counts the rest.
        (key.text.len() + key.name.len()) as u64 * 4 + 1024
    }
}

/// The compiled-message cache.
pub(crate) struct MessageCache {
    cache: Cache<Key, Compiled, TextWeight>,
}

impl MessageCache {
    /// A cache of up to `bytes` (weighed as [`TextWeight`] does).
    pub fn new(bytes: u64) -> MessageCache {
        MessageCache {
            cache: Cache::with_weighter(1024, bytes.max(1), TextWeight),
        }
    }

    /// The message for `source` under `options`, compiled now or earlier, and whether
    /// it came from the cache.
    pub fn get(
        &self,
        source: Source<'_>,
        options: &RenderOptions,
        snippets: Option<&Arc<Library>>,
    ) -> (Compiled, bool) {
        let (is_message, name, text) = match source {
            Source::Message { name, text } => (true, name, text),
            Source::Template { name, text } => (false, name, text),
        };
        let key = KeyRef {
            is_message,
            name,
            text,
            zone: options.settings.time_zone,
            strict: options.settings.strict,
            now: options.now,
            offset: options.now.map(|n| n.offset().local_minus_utc()),
        };
        if let Some(found) = self.cache.get(&key) {
            return (found, true);
        }
        let env = requests::environment(options);
        let compiled = Arc::new(
            requests::load_with(source, &env, snippets).map_err(|e| requests::load_failure(&e)),
        );
        let key = Key {
            is_message,
            name: name.into(),
            text: text.into(),
            zone: key.zone,
            strict: key.strict,
            now: key.now,
            offset: key.offset,
        };
        self.cache.insert(key, compiled.clone());
        (compiled, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_borrowed_key_hashes_and_compares_as_its_owned_key() {
        let now = DateTime::parse_from_rfc3339("2026-10-30T09:00:00+05:30").ok();
        let owned = Key {
            is_message: true,
            name: "m.toml".into(),
            text: "x".into(),
            zone: chrono_tz::Asia::Kolkata,
            strict: false,
            now,
            offset: Some(19800),
        };
        let borrowed = KeyRef {
            is_message: true,
            name: "m.toml",
            text: "x",
            zone: chrono_tz::Asia::Kolkata,
            strict: false,
            now,
            offset: Some(19800),
        };
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(&owned), state.hash_one(&borrowed));
        assert!(borrowed.equivalent(&owned));
        let other = KeyRef {
            text: "y",
            ..borrowed
        };
        assert!(!other.equivalent(&owned));
    }

    #[test]
    fn the_same_text_compiles_once() {
        let cache = MessageCache::new(1 << 20);
        let options = RenderOptions::default();
        let source = Source::Template {
            name: "t",
            text: "{{ Event.Points }}",
        };
        let (first, hit) = cache.get(source, &options, None);
        assert!(!hit);
        let (second, hit) = cache.get(source, &options, None);
        assert!(hit);
        assert!(Arc::ptr_eq(&first, &second));
        let strict = RenderOptions {
            settings: promo_liquid::promo::Settings {
                strict: true,
                ..Default::default()
            },
            ..options
        };
        assert!(!cache.get(source, &strict, None).1, "strict compiles apart");
    }
}
