//! The render budget: what one render may spend, drawn on by the renderer and by the
//! filters it calls, and checked before the work is done.
//!
//! A render pays from one [`Budget`]:
//!
//! - **iterations**: every run of a `for` or `tablerow` body, every item of an
//!   `include`/`render ... for`, every run of a `case`/`when` block (a `when` whose value
//!   repeats runs its block once per match, and each run counts) and every partial
//!   render ([`Limits::max_iterations`](super::Limits::max_iterations));
//! - **memory**: the bytes of every string, array and object a filter or tag builds, all
//!   of them added up over the render ([`Limits::max_memory_bytes`](super::Limits::max_memory_bytes)).
//!   A filter pays before it builds (`join` adds up the text of its items first). An
//!   array of references to one large value is cheap to build but as large as its
//!   references when printed or joined: the filters that can repeat references
//!   (`concat`, `map`) pay for what their items refer to, so that no value in a render
//!   is ever larger than what was paid for it. Filters that select or reorder the items
//!   of their input (`where`, `sort`, `uniq`, ...) pay for the new array only.
//!   Host data read by a filter is copied (materialized) at most once per render, and
//!   that copy is paid for too;
//! - **time**: a wall-clock deadline ([`Limits::deadline`](super::Limits::deadline)). The
//!   clock is read once the render has done a little work ([`CLOCK_EVERY`] ticks: an
//!   iteration, a node or a filter call is a tick, and larger work costs a tick per 256
//!   bytes or per item), and every [`CLOCK_EVERY`] ticks after that, so that a small
//!   render never reads the clock and a large one reads it every few tens of
//!   microseconds. The deadline counts from the first reading unless the caller gave
//!   one ([`Template::render_until`](super::Template::render_until)).
//!
//! Output bytes, the size of one string or array, nesting and partial depth are
//! checked where the output is written and the values built; see [`Limits`](super::Limits).

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::value::Value;

/// How many ticks of work a render does between two readings of the clock.
pub const CLOCK_EVERY: u64 = 256;

/// Bytes of work that make one tick (an item is a tick on its own).
const BYTES_PER_TICK: usize = 256;

/// A part of the render budget that ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Breach {
    /// More iterations than [`Limits::max_iterations`](super::Limits::max_iterations).
    #[error(
        "more than {limit} iterations in one render (loop, tablerow and case/when runs and partial renders all count)"
    )]
    Iterations {
        /// The limit.
        limit: u64,
    },
    /// More bytes built than [`Limits::max_memory_bytes`](super::Limits::max_memory_bytes).
    #[error("the render built more than the memory limit of {limit} bytes of strings and arrays")]
    Memory {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The render ran past [`Limits::deadline`](super::Limits::deadline).
    #[error("the render ran past its deadline of {} ms", .limit.as_millis())]
    Deadline {
        /// The deadline.
        limit: Duration,
    },
}

/// The budget of one render: iterations, bytes built and time, shared by the renderer
/// and the filters it calls ([`FilterContext::budget`](super::filters::FilterContext)).
///
/// It lives as long as the render and counts through shared references (its counters
/// are [`Cell`]s), so a filter can draw on it through `&Args`. [`Budget::default`] has
/// no limits, for calling filters outside a render.
#[derive(Clone, Debug)]
pub struct Budget {
    max_iterations: u64,
    max_memory: u64,
    deadline: Cell<Option<Duration>>,
    iterations: Cell<u64>,
    memory: Cell<u64>,
    ticks: Cell<u64>,
    next_check: Cell<u64>,
    ends_at: Cell<Option<Instant>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(u64::MAX, u64::MAX, None)
    }
}

impl Budget {
    /// A budget of `max_iterations`, `max_memory` bytes and `deadline` (from the first
    /// reading of the clock).
    pub fn new(max_iterations: u64, max_memory: u64, deadline: Option<Duration>) -> Budget {
        Budget {
            max_iterations,
            max_memory,
            deadline: Cell::new(deadline),
            iterations: Cell::new(0),
            memory: Cell::new(0),
            ticks: Cell::new(0),
            // Without a deadline the clock is never read.
            next_check: Cell::new(if deadline.is_some() {
                CLOCK_EVERY
            } else {
                u64::MAX
            }),
            ends_at: Cell::new(None),
        }
    }

    /// Ends the render at `at`, a deadline of `limit` set by the caller, instead of
    /// the budget's own deadline counted from the first reading of the clock.
    pub fn end_at(&self, at: Instant, limit: Duration) {
        self.deadline.set(Some(limit));
        self.ends_at.set(Some(at));
        self.next_check
            .set(self.next_check.get().min(self.ticks.get() + CLOCK_EVERY));
    }

    /// One iteration (of any kind) about to run. It costs no tick of its own: the
    /// block it runs pays one per node, and one for itself.
    #[inline]
    pub fn iteration(&self) -> Result<(), Breach> {
        let n = self.iterations.get() + 1;
        self.iterations.set(n);
        if n > self.max_iterations {
            return Err(Breach::Iterations {
                limit: self.max_iterations,
            });
        }
        Ok(())
    }

    /// Pays for `bytes` about to be built.
    #[inline]
    pub fn reserve(&self, bytes: usize) -> Result<(), Breach> {
        let total = self.memory.get().saturating_add(bytes as u64);
        self.memory.set(total);
        if total > self.max_memory {
            return Err(Breach::Memory {
                limit: self.max_memory,
            });
        }
        self.tick(ticks_for(bytes))
    }

    /// Pays for building a new array of `items` items that refer to `values` (the
    /// values' whole size, since copies of references are free to make but not to
    /// print): fails as soon as the total is over what is left, without walking the
    /// rest.
    pub fn reserve_refs<'v>(
        &self,
        items: usize,
        values: impl IntoIterator<Item = &'v Value>,
    ) -> Result<(), Breach> {
        self.reserve(items.saturating_mul(VALUE_BYTES))?;
        let left = self.max_memory.saturating_sub(self.memory.get());
        let mut size = 0u64;
        for value in values {
            size = size.saturating_add(deep_size(value, left.saturating_sub(size)));
            if size > left {
                break;
            }
        }
        self.reserve(usize::try_from(size).unwrap_or(usize::MAX))
    }

    /// `units` ticks of work about to be done (a tick is an iteration, a node, an item,
    /// or 256 bytes).
    #[inline]
    pub fn tick(&self, units: u64) -> Result<(), Breach> {
        let ticks = self.ticks.get() + units;
        self.ticks.set(ticks);
        if ticks >= self.next_check.get() {
            return self.read_clock();
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn read_clock(&self) -> Result<(), Breach> {
        self.next_check
            .set(self.ticks.get().saturating_add(CLOCK_EVERY));
        let Some(limit) = self.deadline.get() else {
            self.next_check.set(u64::MAX);
            return Ok(());
        };
        let now = Instant::now();
        match self.ends_at.get() {
            None => self.ends_at.set(Some(now + limit)),
            Some(end) if now > end => return Err(Breach::Deadline { limit }),
            Some(_) => {}
        }
        Ok(())
    }

    /// Iterations run so far.
    pub fn iterations(&self) -> u64 {
        self.iterations.get()
    }

    /// Bytes built so far.
    pub fn memory(&self) -> u64 {
        self.memory.get()
    }

    /// The memory left to build with.
    pub fn memory_left(&self) -> u64 {
        self.max_memory.saturating_sub(self.memory.get())
    }
}

/// The ticks that working through `bytes` bytes (or items) costs.
#[inline]
pub fn ticks_for(bytes: usize) -> u64 {
    (bytes / BYTES_PER_TICK) as u64
}

/// What one value takes, before what it owns.
pub const VALUE_BYTES: usize = std::mem::size_of::<Value>();

/// The bytes `value` stands for: itself, and everything it refers to, each reference
/// counted as a copy (what printing it or joining it would build). Stops counting once
/// over `cap`, so the walk costs at most `cap / 24` steps.
pub fn deep_size(value: &Value, cap: u64) -> u64 {
    match value {
        Value::Array(_) | Value::Object(_) => {}
        Value::Str(s) => return (VALUE_BYTES + s.len()) as u64,
        Value::Date(d) => return (VALUE_BYTES + d.text.len()) as u64,
        _ => return VALUE_BYTES as u64,
    }
    let mut size = 0u64;
    let mut stack: Vec<&Value> = vec![value];
    while let Some(v) = stack.pop() {
        size = size.saturating_add(VALUE_BYTES as u64);
        match v {
            Value::Str(s) => size = size.saturating_add(s.len() as u64),
            Value::Date(d) => size = size.saturating_add(d.text.len() as u64),
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                for (k, item) in map.iter() {
                    size = size.saturating_add(k.len() as u64);
                    stack.push(item);
                }
            }
            _ => {}
        }
        if size > cap {
            return size;
        }
    }
    size
}

/// The work a filter's input stands for, in ticks: its bytes, or its items, their
/// bytes and the items of the arrays and objects among them, counted up to
/// [`CLOCK_EVERY`] (where the clock is read anyway).
#[inline]
pub fn weight(value: &Value) -> u64 {
    match value {
        Value::Str(s) => ticks_for(s.len()),
        Value::Array(items) => items_weight(items.iter()),
        Value::Object(map) => items_weight(map.values()),
        _ => 0,
    }
}

#[inline(never)]
fn items_weight<'v>(items: impl Iterator<Item = &'v Value>) -> u64 {
    let mut units = 0u64;
    for item in items {
        units += 1 + match item {
            Value::Str(s) => ticks_for(s.len()),
            Value::Array(inner) => inner.len() as u64,
            Value::Object(inner) => inner.len() as u64,
            _ => 0,
        };
        if units >= CLOCK_EVERY {
            break;
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_stop_at_the_limit() {
        let budget = Budget::new(3, u64::MAX, None);
        for _ in 0..3 {
            budget.iteration().unwrap();
        }
        assert_eq!(budget.iteration(), Err(Breach::Iterations { limit: 3 }));
    }

    #[test]
    fn memory_is_added_up() {
        let budget = Budget::new(u64::MAX, 100, None);
        budget.reserve(60).unwrap();
        assert_eq!(budget.reserve(41), Err(Breach::Memory { limit: 100 }));
    }

    #[test]
    fn references_cost_what_they_refer_to() {
        let big = Value::str(&"x".repeat(1000));
        let many = vec![big; 1000];
        let budget = Budget::new(u64::MAX, 100_000, None);
        assert_eq!(
            budget.reserve_refs(many.len(), &many),
            Err(Breach::Memory { limit: 100_000 })
        );
        // The walk stopped early: far fewer than a million bytes were counted.
        assert!(budget.memory() < 300_000, "{}", budget.memory());
    }

    #[test]
    fn deep_size_stops_past_the_cap() {
        let inner = Value::array(vec![Value::Int(1); 1000]);
        let outer = Value::array(vec![inner; 1000]);
        assert!(deep_size(&outer, 10_000) <= 10_000 + 1000 * 24);
        assert_eq!(deep_size(&Value::str("abc"), u64::MAX), 27);
    }

    #[test]
    fn the_deadline_is_checked_on_the_clock() {
        let budget = Budget::new(u64::MAX, u64::MAX, Some(Duration::from_millis(1)));
        budget.end_at(
            Instant::now() - Duration::from_millis(5),
            Duration::from_millis(1),
        );
        assert_eq!(
            budget.tick(CLOCK_EVERY),
            Err(Breach::Deadline {
                limit: Duration::from_millis(1)
            })
        );
        // Without a deadline the clock is never read.
        let free = Budget::default();
        assert_eq!(free.tick(u64::MAX / 2), Ok(()));
    }

    #[test]
    fn weight_is_capped() {
        let items = Value::array(vec![Value::Int(1); 100_000]);
        assert_eq!(weight(&items), CLOCK_EVERY);
        assert_eq!(weight(&Value::str(&"x".repeat(2560))), 10);
        assert_eq!(weight(&Value::Int(5)), 0);
    }
}
