//! Line and column lookups for many places in one source.

use crate::liquid::LineCol;
use crate::liquid::error::floor_char_boundary;

/// Bytes between two checkpoints of the character count: on a line longer than this, a
/// column costs a binary search and a count of at most this many bytes, twice.
const STRIDE: usize = 1024;

/// Where each line of a source starts, so that a line and column costs a binary search
/// and a short count rather than a scan from the start of the source.
///
/// Columns count characters from the line's start. On a long line (a template written
/// on one line, say) counting from the line's start for every place would make many
/// places cost the square of the line's length, so the index also keeps how many
/// characters precede every [`STRIDE`]th byte, and a column is counted from the
/// checkpoint before it.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// For a source longer than [`STRIDE`]: `chars[i]` is how many characters precede
    /// byte `floor_char_boundary(i * STRIDE)`. Empty for shorter sources, whose every
    /// line is short.
    chars: Vec<usize>,
}

impl LineIndex {
    /// The index of `source`.
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        let mut chars = Vec::new();
        if source.len() > STRIDE {
            let (mut before, mut count) = (0, 0);
            for i in 0..=source.len() / STRIDE {
                let at = floor_char_boundary(source, i * STRIDE);
                count += source[before..at].chars().count();
                chars.push(count);
                before = at;
            }
        }
        LineIndex { starts, chars }
    }

    /// The line and column of byte `offset` of `source` (the source indexed), as
    /// [`LineCol::of`] gives them.
    pub fn at(&self, source: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(source, offset);
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1].min(offset);
        let col = if offset - start <= STRIDE {
            source.get(start..offset).map(|t| t.chars().count())
        } else {
            self.chars_before(source, offset)
                .zip(self.chars_before(source, start))
                .map(|(end, start)| end - start)
        };
        match col {
            Some(col) => LineCol {
                line: line as u32,
                col: col as u32 + 1,
            },
            // Not the source indexed.
            None => LineCol::of(source, offset),
        }
    }

    /// How many characters of `source` precede byte `offset` (a character boundary).
    fn chars_before(&self, source: &str, offset: usize) -> Option<usize> {
        let i = offset / STRIDE;
        let checkpoint = floor_char_boundary(source, i * STRIDE);
        Some(self.chars.get(i)? + source.get(checkpoint..offset)?.chars().count())
    }
}
