//! Line and column lookups for many places in one source.

use crate::liquid::LineCol;

/// Where each line of a source starts, so that a line and column costs a binary search
/// and a short count rather than a scan from the start of the source.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of `source`.
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The line and column of byte `offset` of `source` (the source indexed), as
    /// [`LineCol::of`] gives them.
    pub fn at(&self, source: &str, offset: usize) -> LineCol {
        let offset = offset.min(source.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = source.get(start..offset).map_or_else(
            || LineCol::of(source, offset).col as usize - 1,
            |t| t.chars().count(),
        );
        LineCol {
            line: line as u32,
            col: col as u32 + 1,
        }
    }
}
