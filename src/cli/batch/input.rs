//! Where `batch` reads its records. A regular file is read directly; standard input
//! and anything else that may wait for data (a pipe, a terminal, a FIFO) are read on a
//! thread of their own, so that a signal stops the run even while no data comes: a
//! read that is waiting gives up once the stop flag is set.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

use anyhow::{Context, Result};

/// Large buffers, so that reading costs few system calls.
const IO_BUFFER: usize = 256 << 10;

/// Blocks read ahead by the reading thread.
const BLOCKS_AHEAD: usize = 4;

/// How often a read waiting for data looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(50);

/// The input, boxed.
pub type Input = Box<dyn BufRead + Send>;

/// Opens the input (standard input for `None` or `-`) and, for a regular file, its
/// length (for the progress bar).
pub fn open(path: Option<&Path>, stop: &Arc<AtomicBool>) -> Result<(Input, Option<u64>)> {
    let file = match path.filter(|p| *p != Path::new("-")) {
        None => {
            let fd = io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .context("cannot read standard input")?;
            File::from(fd)
        }
        Some(path) => {
            File::open(path).with_context(|| format!("cannot read {}", path.display()))?
        }
    };
    let regular = file.metadata().ok().filter(|m| m.is_file());
    match regular {
        Some(meta) => Ok((
            Box::new(BufReader::with_capacity(IO_BUFFER, file)),
            Some(meta.len()),
        )),
        None => Ok((Box::new(Threaded::spawn(file, Arc::clone(stop))), None)),
    }
}

/// A reader whose reads happen on a thread of its own, handed over in blocks.
struct Threaded {
    blocks: Receiver<io::Result<Vec<u8>>>,
    /// Blocks given back to the reading thread, to be filled again.
    empty: SyncSender<Vec<u8>>,
    block: Vec<u8>,
    at: usize,
    stop: Arc<AtomicBool>,
    ended: bool,
}

impl Threaded {
    fn spawn(mut source: File, stop: Arc<AtomicBool>) -> Threaded {
        let (full_tx, full_rx) = sync_channel::<io::Result<Vec<u8>>>(BLOCKS_AHEAD);
        let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(BLOCKS_AHEAD + 2);
        // Not joined: when the run stops while it waits for data, the process ends
        // with it.
        std::thread::spawn(move || {
            loop {
                let mut block = empty_rx.try_recv().unwrap_or_default();
                block.resize(IO_BUFFER, 0);
                let read = loop {
                    match source.read(&mut block) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let (message, last) = match read {
                    Ok(0) => return,
                    Ok(n) => {
                        block.truncate(n);
                        (Ok(block), false)
                    }
                    Err(e) => (Err(e), true),
                };
                if full_tx.send(message).is_err() || last {
                    return;
                }
            }
        });
        Threaded {
            blocks: full_rx,
            empty: empty_tx,
            block: Vec::new(),
            at: 0,
            stop,
            ended: false,
        }
    }
}

impl Read for Threaded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Threaded {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.block.len() && !self.ended {
            match self.blocks.recv_timeout(STOP_POLL) {
                Ok(Ok(block)) => {
                    let used = std::mem::replace(&mut self.block, block);
                    let _ = self.empty.try_send(used);
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.stop.load(Ordering::Relaxed) {
                        return Err(io::Error::other("stopped while waiting for input"));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => self.ended = true,
            }
        }
        Ok(&self.block[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.block.len());
    }
}
