//! Where `batch` writes its outcomes, and the checks before anything is opened.
//!
//! - `--output FILE` (a regular file, or a name that does not exist yet) is written to a
//!   temporary file beside it (`.NAME.PID.tmp`, in the directory of the file a symbolic
//!   link points to), which is renamed over FILE only once every outcome is written and
//!   synced: a run that fails or is interrupted removes it, and FILE is as it was (or
//!   still does not exist). The new file keeps the old one's permissions.
//! - `--output` naming something that is not a regular file (`/dev/null`, a FIFO) is
//!   written directly: it cannot be replaced.
//! - Standard output is written directly, with one `write` per chunk of whole outcome
//!   lines (no buffer of our own cuts a line); it is written as it goes.
//! - The input, or the message, being the file the outcomes would go to (the same
//!   file, through any path, a symbolic or a hard link) is refused before anything is
//!   opened for writing: writing would destroy what is being read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A file's identity: the device and inode it is.
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// The metadata of standard input or output, when it is open.
fn stdio_metadata(fd: std::os::fd::BorrowedFd<'_>) -> Option<fs::Metadata> {
    let file = File::from(fd.try_clone_to_owned().ok()?);
    file.metadata().ok()
}

/// Refuses an output that is the input or the message (the same regular file,
/// whatever the paths). `input` and `output` are `None` (or `-`) for standard input and
/// output.
pub fn refuse_same_file(input: Option<&Path>, output: Option<&Path>, message: &Path) -> Result<()> {
    let is_std = |path: Option<&Path>| path.is_none_or(|p| p == Path::new("-"));
    let output_meta = match output {
        Some(path) if !is_std(Some(path)) => match fs::metadata(path) {
            Ok(meta) => meta,
            // A file that does not exist yet is nothing that is read.
            Err(_) => return Ok(()),
        },
        _ => match stdio_metadata(io::stdout().as_fd()) {
            Some(meta) => meta,
            None => return Ok(()),
        },
    };
    if !output_meta.is_file() {
        return Ok(());
    }
    let output_name = match output {
        Some(path) if !is_std(Some(path)) => path.display().to_string(),
        _ => "standard output".to_owned(),
    };
    let input_meta = match input {
        Some(path) if !is_std(Some(path)) => fs::metadata(path).ok(),
        _ => stdio_metadata(io::stdin().as_fd()),
    };
    let input_name = match input {
        Some(path) if !is_std(Some(path)) => path.display().to_string(),
        _ => "standard input".to_owned(),
    };
    if input_meta.is_some_and(|meta| identity(&meta) == identity(&output_meta)) {
        bail!(
            "{output_name} is the input ({input_name}): writing the outcomes there would \
             destroy the records being read; write them to another file"
        );
    }
    if message != Path::new("-")
        && fs::metadata(message).is_ok_and(|meta| identity(&meta) == identity(&output_meta))
    {
        bail!(
            "{output_name} is the message ({}): writing the outcomes there would destroy \
             it; write them to another file",
            message.display()
        );
    }
    Ok(())
}

/// The open output.
#[derive(Debug)]
pub enum Output {
    /// Standard output, or a file that is not a regular one, written directly.
    Direct { file: File, name: String },
    /// A temporary file renamed over `target` at the end.
    Replace {
        file: File,
        temp: PathBuf,
        target: PathBuf,
        name: String,
        existed: bool,
    },
}

impl Output {
    /// Opens the output: standard output for `None` or `-`.
    pub fn open(path: Option<&Path>) -> Result<Output> {
        let Some(path) = path.filter(|p| *p != Path::new("-")) else {
            let fd = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .context("cannot write to standard output")?;
            return Ok(Output::Direct {
                file: File::from(fd),
                name: "standard output".to_owned(),
            });
        };
        let name = path.display().to_string();
        // Where the outcomes go in the end: through a symbolic link, the file it names.
        let (target, existing) = match fs::canonicalize(path) {
            Ok(real) => {
                let meta = fs::metadata(&real).with_context(|| format!("cannot write {name}"))?;
                if !meta.is_file() {
                    let file = OpenOptions::new()
                        .write(true)
                        .open(&real)
                        .with_context(|| format!("cannot write {name}"))?;
                    return Ok(Output::Direct { file, name });
                }
                (real, Some(meta))
            }
            Err(_) => (path.to_owned(), None),
        };
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let file_name = target
            .file_name()
            .with_context(|| format!("{name} names no file"))?
            .to_string_lossy()
            .into_owned();
        let (file, temp) = create_temp(&dir, &file_name)
            .with_context(|| format!("cannot create a file beside {name} to write it"))?;
        if let Some(meta) = &existing {
            // The new file replaces the old one: same permissions. Best effort.
            let _ = file.set_permissions(meta.permissions());
        }
        Ok(Output::Replace {
            file,
            temp,
            target,
            name,
            existed: existing.is_some(),
        })
    }

    /// What the outcomes are written to.
    pub fn file(&self) -> &File {
        match self {
            Output::Direct { file, .. } | Output::Replace { file, .. } => file,
        }
    }

    /// The output as the user named it.
    pub fn name(&self) -> &str {
        match self {
            Output::Direct { name, .. } | Output::Replace { name, .. } => name,
        }
    }

    /// Whether the output is written only at the end (a file renamed into place).
    pub fn is_replaced(&self) -> bool {
        matches!(self, Output::Replace { .. })
    }

    /// The run went to the end: syncs the temporary file and renames it into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Direct { mut file, name } => {
                file.flush().with_context(|| format!("cannot write {name}"))
            }
            Output::Replace {
                file,
                temp,
                target,
                name,
                ..
            } => {
                let synced = file.sync_all();
                drop(file);
                let renamed = synced.and_then(|()| fs::rename(&temp, &target));
                if let Err(e) = renamed {
                    let _ = fs::remove_file(&temp);
                    return Err(anyhow::Error::new(e))
                        .with_context(|| format!("cannot write {name}"));
                }
                Ok(())
            }
        }
    }

    /// The run did not go to the end: removes the temporary file. Returns what became
    /// of the output, for the message on standard error (`None` for a direct output).
    pub fn discard(self) -> Option<String> {
        match self {
            Output::Direct { .. } => None,
            Output::Replace {
                file,
                temp,
                name,
                existed,
                ..
            } => {
                drop(file);
                let _ = fs::remove_file(&temp);
                Some(if existed {
                    format!("{name} was left as it was")
                } else {
                    format!("{name} was not created")
                })
            }
        }
    }
}

/// Creates `.NAME.PID.tmp` (or `.NAME.PID-N.tmp` if taken) in `dir`.
fn create_temp(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    let pid = std::process::id();
    let mut attempt = 0u32;
    loop {
        let temp_name = match attempt {
            0 => format!(".{name}.{pid}.tmp"),
            n => format!(".{name}.{pid}-{n}.tmp"),
        };
        let temp = dir.join(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}
