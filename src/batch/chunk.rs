//! Reading the input a chunk at a time: lines as raw bytes (UTF-8 is checked per record,
//! so one bad byte fails one record), numbered, blank ones skipped, and lines over the
//! size limit counted while they are skipped rather than buffered.

use std::io::{self, BufRead, Read};

/// One non-blank input line of a chunk.
#[derive(Clone, Copy, Debug)]
pub(super) struct Line {
    /// Its number in the input, from 1, blank lines counted.
    pub number: u64,
    /// Where its bytes are in [`Chunk::text`], newline excluded.
    start: usize,
    end: usize,
    /// Its length in bytes when it was over the limit (its bytes were not kept).
    pub too_long: Option<u64>,
}

/// The lines of one chunk, their bytes end to end in one buffer. Both buffers are kept
/// and reused from chunk to chunk.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    text: Vec<u8>,
    lines: Vec<Line>,
}

impl Chunk {
    /// The non-blank lines, in input order.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// A line's bytes, newline excluded (empty for a line over the limit).
    pub fn bytes(&self, line: &Line) -> &[u8] {
        &self.text[line.start..line.end]
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// How much one chunk holds.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// The longest line kept, newline excluded.
    pub max_line_bytes: usize,
    /// A chunk ends after this many lines...
    pub lines: usize,
    /// ... or once its lines add up to this many bytes.
    pub bytes: usize,
}

/// Reads numbered lines from the input into chunks.
#[derive(Debug)]
pub(super) struct LineReader<R> {
    input: R,
    limits: Limits,
    /// The number of the last line read (blank or not).
    number: u64,
    /// Input bytes consumed so far.
    bytes_read: u64,
    /// Blank lines skipped so far.
    blank: u64,
    ended: bool,
}

impl<R> LineReader<R> {
    pub fn new(input: R, limits: Limits) -> Self {
        LineReader {
            input,
            limits,
            number: 0,
            bytes_read: 0,
            blank: 0,
            ended: false,
        }
    }

    /// The number of the last line read.
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// Input bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Blank lines skipped so far.
    pub fn blank_lines(&self) -> u64 {
        self.blank
    }
}

impl<R: BufRead> LineReader<R> {
    /// Empties `chunk` and reads lines into it until it is full or the input ends; an
    /// empty chunk means the input has ended. After an error the chunk holds the lines
    /// read before it.
    pub fn fill(&mut self, chunk: &mut Chunk) -> io::Result<()> {
        self.fill_up_to(chunk, self.limits.lines)
    }

    /// [`LineReader::fill`] with at most `lines` lines (and at least one), fewer than
    /// the limit when the outcomes are expected to be large.
    pub fn fill_up_to(&mut self, chunk: &mut Chunk, lines: usize) -> io::Result<()> {
        chunk.text.clear();
        chunk.lines.clear();
        let lines = lines.min(self.limits.lines).max(1);
        while !self.ended && chunk.lines.len() < lines && chunk.text.len() < self.limits.bytes {
            self.read_line(chunk)?;
        }
        Ok(())
    }

    fn read_line(&mut self, chunk: &mut Chunk) -> io::Result<()> {
        let max = self.limits.max_line_bytes;
        let start = chunk.text.len();
        // One byte past the limit tells a line that is too long from one that fits.
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        let read = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut chunk.text);
        let read = match read {
            Ok(0) => {
                self.ended = true;
                return Ok(());
            }
            Ok(read) => read,
            Err(e) => {
                chunk.text.truncate(start);
                return Err(e);
            }
        };
        self.bytes_read += read as u64;
        // A byte order mark (editors on Windows write one) is not part of the first
        // record.
        if self.number == 0 && chunk.text[start..].starts_with(BOM) {
            chunk.text.drain(start..start + BOM.len());
        }
        let newline = chunk.text.last() == Some(&b'\n');
        let end = chunk.text.len() - usize::from(newline);
        let mut blank = chunk.text[start..end].iter().all(is_blank);
        let mut too_long = None;
        if end - start > max {
            chunk.text.truncate(start);
            let (rest, rest_blank) = self.skip_rest_of_line()?;
            blank = blank && rest_blank;
            too_long = Some((end - start) as u64 + rest);
        }
        // The line is complete: it counts from here on, even if it is blank.
        self.number += 1;
        if blank {
            self.blank += 1;
            chunk.text.truncate(start);
            return Ok(());
        }
        let end = if too_long.is_some() { start } else { end };
        chunk.text.truncate(end);
        chunk.lines.push(Line {
            number: self.number,
            start,
            end,
            too_long,
        });
        Ok(())
    }

    /// Consumes the input up to and including the next newline without keeping it.
    /// Returns how many bytes came before the newline, and whether all were whitespace.
    fn skip_rest_of_line(&mut self) -> io::Result<(u64, bool)> {
        let mut skipped = 0u64;
        let mut blank = true;
        loop {
            let buffer = match self.input.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buffer.is_empty() {
                return Ok((skipped, blank));
            }
            let (content, newline) = match buffer.iter().position(|&b| b == b'\n') {
                Some(at) => (at, true),
                None => (buffer.len(), false),
            };
            blank = blank && buffer[..content].iter().all(is_blank);
            let used = content + usize::from(newline);
            self.input.consume(used);
            skipped += content as u64;
            self.bytes_read += used as u64;
            if newline {
                return Ok((skipped, blank));
            }
        }
    }
}

/// The UTF-8 byte order mark, skipped at the start of the input.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// Whether a byte is JSON whitespace (a newline ends the line): a line of nothing else
/// is blank.
fn is_blank(byte: &u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(
        input: &[u8],
        max_line_bytes: usize,
        lines: usize,
    ) -> Vec<(u64, String, Option<u64>)> {
        let limits = Limits {
            max_line_bytes,
            lines,
            bytes: 1 << 20,
        };
        // A tiny buffer makes lines span several reads.
        let mut reader = LineReader::new(io::BufReader::with_capacity(3, input), limits);
        let mut chunk = Chunk::default();
        let mut seen = Vec::new();
        loop {
            reader.fill(&mut chunk).unwrap();
            if chunk.is_empty() {
                return seen;
            }
            assert!(chunk.lines().len() <= lines);
            for line in chunk.lines() {
                let text = String::from_utf8_lossy(chunk.bytes(line)).into_owned();
                seen.push((line.number, text, line.too_long));
            }
        }
    }

    #[test]
    fn lines_are_numbered_with_blank_lines_counted_but_skipped() {
        let seen = read_all(b"a\n\n  \r\nb\r\n\nc", 10, 2);
        assert_eq!(
            seen,
            vec![
                (1, "a".to_owned(), None),
                (4, "b\r".to_owned(), None),
                (6, "c".to_owned(), None),
            ]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_measured_not_kept() {
        let seen = read_all(b"12345\n123456\n1234567890123\nok", 5, 10);
        assert_eq!(
            seen,
            vec![
                (1, "12345".to_owned(), None),
                (2, String::new(), Some(6)),
                (3, String::new(), Some(13)),
                (4, "ok".to_owned(), None),
            ]
        );
    }

    #[test]
    fn a_long_run_of_whitespace_is_still_a_blank_line() {
        let seen = read_all(b"          \nx\n", 4, 10);
        assert_eq!(seen, vec![(2, "x".to_owned(), None)]);
    }

    #[test]
    fn a_chunk_ends_at_its_byte_budget() {
        let limits = Limits {
            max_line_bytes: 100,
            lines: 1000,
            bytes: 8,
        };
        let mut reader = LineReader::new(&b"abcd\nefgh\nijkl\n"[..], limits);
        let mut chunk = Chunk::default();
        reader.fill(&mut chunk).unwrap();
        assert_eq!(chunk.lines().len(), 2);
        reader.fill(&mut chunk).unwrap();
        assert_eq!(chunk.lines().len(), 1);
        assert_eq!(chunk.bytes(&chunk.lines()[0]), b"ijkl");
        assert_eq!(reader.bytes_read(), 15);
    }
}
