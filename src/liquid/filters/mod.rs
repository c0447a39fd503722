//! Filters: the registry the parser resolves filter names against, and the standard
//! Shopify Liquid 5 filters.
//!
//! A filter is a function of its input, its positional arguments and its keyword
//! arguments ([`Args`]). The registry ([`Filters`]) is the one source of truth for
//! both rendering and documentation: each entry carries its signature, a summary and
//! a Liquid example.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::budget::{self, Breach, Budget};
use super::value::Value;

mod array;
mod date;
mod math;
mod misc;
mod string;

pub use date::parse_date;
pub(crate) use math::decimal_text;
pub use misc::describe;

/// The arguments a filter was called with.
pub struct Args<'a> {
    /// Positional arguments, in order.
    pub positional: &'a [Value],
    /// Keyword arguments (`allow_false: true`), in order.
    pub keyword: &'a [(Arc<str>, Value)],
    /// What the environment lets a filter know and use.
    pub context: &'a FilterContext,
}

impl Args<'_> {
    /// Positional argument `i`, if given.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.positional.get(i)
    }

    /// Keyword argument `name`, if given.
    pub fn keyword(&self, name: &str) -> Option<&Value> {
        self.keyword
            .iter()
            .rev()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    /// Fails unless between `min` and `max` positional arguments were given.
    pub fn expect_count(&self, min: usize, max: usize) -> Result<(), FilterError> {
        let found = self.positional.len();
        if found < min || found > max {
            return Err(FilterError::ArgumentCount { min, max, found });
        }
        Ok(())
    }
}

/// What a filter may know about the render it runs in, and the render's budget it
/// draws on.
///
/// A filter that builds a string or an array pays for it before building it:
/// [`FilterContext::check_string`], [`FilterContext::check_items`] and
/// [`FilterContext::text`] check the size limits and draw on the render's
/// budget; a filter that works long on its input without building much reports it
/// with [`FilterContext::work`], so that the render's deadline is checked.
#[derive(Clone, Debug)]
pub struct FilterContext {
    /// The largest string (in bytes) a filter may build.
    pub max_string_bytes: usize,
    /// The largest array a filter may build.
    pub max_array_items: usize,
    /// What `"now"` and `"today"` mean to the `date` filter; the system clock when `None`.
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The time zone `now` is shown in.
    pub time_zone: chrono_tz::Tz,
    /// The render's budget: iterations, bytes built and the deadline. Unlimited by
    /// default (for calling filters outside a render).
    pub budget: Budget,
}

impl Default for FilterContext {
    fn default() -> Self {
        FilterContext {
            max_string_bytes: 1 << 20,
            max_array_items: 100_000,
            now: None,
            time_zone: chrono_tz::UTC,
            budget: Budget::default(),
        }
    }
}

impl FilterContext {
    /// The current time, in the environment's time zone.
    pub fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        let now = self
            .now
            .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
        now.with_timezone(&self.time_zone).fixed_offset()
    }

    /// Pays for a string of `len` bytes about to be built: fails when it is over the
    /// string limit or the render's memory budget.
    #[inline]
    pub fn check_string(&self, len: usize) -> Result<(), FilterError> {
        if len > self.max_string_bytes {
            return Err(FilterError::StringTooLarge {
                limit: self.max_string_bytes,
            });
        }
        Ok(self.budget.reserve(len)?)
    }

    /// Pays for an array of `n` items about to be built (the items themselves are
    /// paid for where they are made): fails when it is over the array limit or the
    /// render's memory budget.
    #[inline]
    pub fn check_items(&self, n: usize) -> Result<(), FilterError> {
        if n > self.max_array_items {
            return Err(FilterError::ArrayTooLarge {
                limit: self.max_array_items,
            });
        }
        Ok(self.budget.reserve(n.saturating_mul(budget::VALUE_BYTES))?)
    }

    /// Pays for a new array of `n` items that refer to `values` (values taken from an
    /// argument or looked up, rather than items of the input): the array, and the
    /// whole size of what it refers to, since references repeat cheaply but print at
    /// full size.
    pub fn check_references<'v>(
        &self,
        n: usize,
        values: impl IntoIterator<Item = &'v Value>,
    ) -> Result<(), FilterError> {
        if n > self.max_array_items {
            return Err(FilterError::ArrayTooLarge {
                limit: self.max_array_items,
            });
        }
        Ok(self.budget.reserve_refs(n, values)?)
    }

    /// The text of `value`: borrowed when it is a string; otherwise built, and paid
    /// for, only if it fits the string limit (an array of many references to a large
    /// string is refused before its text is built).
    pub fn text<'v>(&self, value: &'v Value) -> Result<Cow<'v, str>, FilterError> {
        match value {
            Value::Str(s) => Ok(Cow::Borrowed(s)),
            Value::Nil | Value::Empty | Value::Blank => Ok(Cow::Borrowed("")),
            other => {
                let text = other.to_text_within(self.max_string_bytes).ok_or(
                    FilterError::TextTooLarge {
                        found: other.type_name(),
                        limit: self.max_string_bytes,
                    },
                )?;
                self.budget.reserve(text.len())?;
                Ok(Cow::Owned(text))
            }
        }
    }

    /// Reports `units` of work about to be done that builds little (a tick is an
    /// item, or 256 bytes): the render's deadline is checked as it adds up.
    #[inline]
    pub fn work(&self, units: u64) -> Result<(), FilterError> {
        Ok(self.budget.tick(units)?)
    }
}

/// Why a filter failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The wrong number of positional arguments.
    #[error("expected {} argument{}, found {found}", count_text(*.min, *.max), if *.max == 1 { "" } else { "s" })]
    ArgumentCount {
        /// The fewest allowed.
        min: usize,
        /// The most allowed.
        max: usize,
        /// How many came.
        found: usize,
    },
    /// An argument of the wrong type or value.
    #[error("argument {position}: expected {expected}, found {found}")]
    InvalidArgument {
        /// 1-based position, or the keyword's name.
        position: String,
        /// What the filter needs.
        expected: &'static str,
        /// What came.
        found: String,
    },
    /// The input is of a type the filter cannot work on.
    #[error("expected {expected} as input, found {found}")]
    InvalidInput {
        /// What the filter needs.
        expected: &'static str,
        /// What came.
        found: String,
    },
    /// Integer arithmetic overflowed 64 bits.
    #[error("integer overflow")]
    Overflow,
    /// Division or modulo by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// The result would be larger than the string size limit.
    #[error("result is larger than the string size limit ({limit} bytes)")]
    StringTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The result would be larger than the array size limit.
    #[error("result is larger than the array size limit ({limit} items)")]
    ArrayTooLarge {
        /// The limit in items.
        limit: usize,
    },
    /// The text of an array or object, wanted as a string, would be larger than the
    /// string size limit (it is not built).
    #[error("the text of this {found} is larger than the string size limit ({limit} bytes)")]
    TextTooLarge {
        /// The value's type.
        found: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The render's budget ran out: iterations, memory or time.
    #[error(transparent)]
    Budget(#[from] Breach),
}

fn count_text(min: usize, max: usize) -> String {
    match (min, max) {
        (a, b) if a == b => a.to_string(),
        (a, usize::MAX) => format!("at least {a}"),
        (a, b) => format!("{a} to {b}"),
    }
}

/// The function behind a filter.
pub type FilterFn = Arc<dyn Fn(&Value, &Args<'_>) -> Result<Value, FilterError> + Send + Sync>;

/// A registered filter and its documentation.
#[derive(Clone)]
pub struct Filter {
    /// The name templates call it by.
    pub name: &'static str,
    /// How it is called, e.g. `truncate: length, ellipsis`.
    pub signature: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    /// A Liquid example and its output, e.g. `{{ "hello" | upcase }} → HELLO`.
    pub example: &'static str,
    /// The implementation.
    pub func: FilterFn,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter").field("name", &self.name).finish()
    }
}

/// The filters an environment knows, by name.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    by_name: HashMap<&'static str, Filter>,
}

impl Filters {
    /// No filters at all.
    pub fn empty() -> Self {
        Filters::default()
    }

    /// Every standard Shopify Liquid 5 filter.
    pub fn standard() -> Self {
        let mut filters = Filters::empty();
        string::register(&mut filters);
        array::register(&mut filters);
        math::register(&mut filters);
        date::register(&mut filters);
        misc::register(&mut filters);
        filters
    }

    /// Adds (or replaces) a filter.
    pub fn insert(&mut self, filter: Filter) {
        self.by_name.insert(filter.name, filter);
    }

    /// Adds a filter from a plain function.
    pub fn add(
        &mut self,
        name: &'static str,
        signature: &'static str,
        summary: &'static str,
        example: &'static str,
        func: impl Fn(&Value, &Args<'_>) -> Result<Value, FilterError> + Send + Sync + 'static,
    ) {
        self.insert(Filter {
            name,
            signature,
            summary,
            example,
            func: Arc::new(func),
        });
    }

    /// The filter called `name`.
    pub fn get(&self, name: &str) -> Option<&Filter> {
        self.by_name.get(name)
    }

    /// Every filter, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Filter> {
        let mut all: Vec<&Filter> = self.by_name.values().collect();
        all.sort_by_key(|f| f.name);
        all.into_iter()
    }

    /// Every filter name.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }
}
