//! The generator's random numbers: one stream per template, from the run's seed and the
//! template's number, so that any template can be made again on its own.

/// A seeded random stream.
pub struct Rng(oorandom::Rand64);

impl Rng {
    /// The stream of template `index` in the run seeded with `seed`.
    pub fn new(seed: u64, index: u64) -> Rng {
        Rng(oorandom::Rand64::new(
            (u128::from(seed) << 64) | u128::from(index),
        ))
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0.rand_range(0..n as u64) as usize
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.0.rand_range(0..(hi - lo) as u64) as i64
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}
