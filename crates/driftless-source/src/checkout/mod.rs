//! Writing one commit's tree from the local mirror into a fresh directory, exactly as committed
//! (no attributes, filters or line-ending conversion), within size and file-count limits, with
//! unsafe paths and escaping symlinks refused. Blocking: run it on a blocking thread.

mod reuse;
mod symlinks;

pub(crate) use reuse::Previous;
use symlinks::{check_symlinks, create_symlinks};

use crate::git::{local_command, spawn_error, GitError, Step};
use crate::refs::ObjectId;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

/// Why a commit could not be written out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CheckoutError {
    /// git could not be run.
    #[error(transparent)]
    Git(#[from] GitError),
    /// `git ls-tree` failed (the commit is not in the mirror or is not a commit).
    #[error("listing the tree of {commit} in {repo} failed: {detail}")]
    ListTree {
        /// The repository.
        repo: String,
        /// The commit.
        commit: ObjectId,
        /// git's message.
        detail: String,
    },
    /// The tree has more files than allowed.
    #[error("{repo} at {commit} has {count} files, more than the limit of {limit}")]
    TooManyFiles {
        /// The repository.
        repo: String,
        /// The commit.
        commit: ObjectId,
        /// Files in the tree.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// The tree's files add up to more bytes than allowed.
    #[error("{repo} at {commit} holds {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The repository.
        repo: String,
        /// The commit.
        commit: ObjectId,
        /// Total size of the files.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A path in the tree is absolute, has `.`/`..` components or writes into `.git`.
    #[error("{repo} at {commit} contains unsafe path {path:?}")]
    UnsafePath {
        /// The repository.
        repo: String,
        /// The commit.
        commit: ObjectId,
        /// The path as stored in the tree.
        path: String,
    },
    /// A symlink points outside the checkout (absolute, too many `..`, or through other links).
    #[error("{repo} at {commit}: symlink {path:?} -> {target:?} points outside the checkout")]
    SymlinkEscapes {
        /// The repository.
        repo: String,
        /// The commit.
        commit: ObjectId,
        /// The symlink's path.
        path: String,
        /// Where it points.
        target: String,
    },
    /// `git cat-file` did not deliver the objects the tree names.
    #[error("reading objects of {commit} in {repo} failed: {detail}")]
    ReadObjects {
        /// The repository.
        repo: String,
        /// The commit.
        commit: ObjectId,
        /// What went wrong.
        detail: String,
    },
    /// Writing a file or directory of the checkout failed.
    #[error("writing {path} failed")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The file-system error.
        #[source]
        source: Arc<std::io::Error>,
    },
}

/// Bounds on what one checkout may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of file content.
    pub max_bytes: u64,
    /// Most files (symlinks included).
    pub max_files: u64,
}

/// What a checkout wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeStats {
    /// Files written (symlinks included).
    pub files: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// Files hard-linked from an earlier checkout instead of written.
    pub linked: u64,
}

/// One blob of the tree.
struct Entry {
    mode: u32,
    id: String,
    size: u64,
    path: Vec<u8>,
}

const MODE_SYMLINK: u32 = 0o120000;
const MODE_EXECUTABLE: u32 = 0o100755;

/// Who and what a checkout is about, for error messages.
pub(crate) struct Subject<'a> {
    /// The repository (display form).
    pub repo: &'a str,
    /// The commit.
    pub commit: &'a ObjectId,
}

/// Writes the tree of `subject.commit` from the bare repository `mirror` into `dest` (created
/// here; must not exist), hard-linking unchanged files from `previous`. Files become read-only. Submodule entries are left out. On error `dest`
/// may hold a partial tree: the caller owns it and removes it.
pub(crate) fn write_tree(
    mirror: &Path,
    subject: &Subject,
    dest: &Path,
    limits: Limits,
    previous: Option<&Previous>,
) -> Result<TreeStats, CheckoutError> {
    let entries = list_tree(mirror, subject)?;
    let mut stats = check_limits(&entries, subject, limits)?;
    for entry in &entries {
        check_path(&entry.path, subject)?;
    }
    make_dir(dest)?;
    create_directories(dest, &entries)?;
    let (to_write, linked) = reuse::link_unchanged(mirror, subject, previous, dest, &entries);
    stats.linked = linked;
    let links = write_blobs(mirror, subject, dest, &to_write)?;
    check_symlinks(&links, subject)?;
    create_symlinks(dest, &links)?;
    seal_directories(dest)?;
    Ok(stats)
}

fn list_tree(mirror: &Path, subject: &Subject) -> Result<Vec<Entry>, CheckoutError> {
    let output = local_command(mirror)
        .args(["ls-tree", "-r", "-l", "-z", "--full-tree"])
        .arg(subject.commit.as_str())
        .output()
        .map_err(|e| spawn_error(Step::Mirror, e))?;
    if !output.status.success() {
        return Err(CheckoutError::ListTree {
            repo: subject.repo.to_string(),
            commit: subject.commit.clone(),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output
        .stdout
        .split(|b| *b == 0)
        .filter_map(parse_ls_tree_line)
        .collect())
}

/// Parses `<mode> SP <type> SP <id> SP+ <size> TAB <path>`; keeps blobs only (not submodules).
fn parse_ls_tree_line(line: &[u8]) -> Option<Entry> {
    let tab = line.iter().position(|b| *b == b'\t')?;
    let head = std::str::from_utf8(&line[..tab]).ok()?;
    let mut fields = head.split_ascii_whitespace();
    let mode = u32::from_str_radix(fields.next()?, 8).ok()?;
    if fields.next()? != "blob" {
        return None;
    }
    let id = fields.next()?.to_string();
    let size = fields.next()?.parse().ok()?;
    Some(Entry {
        mode,
        id,
        size,
        path: line[tab + 1..].to_vec(),
    })
}

fn check_limits(
    entries: &[Entry],
    subject: &Subject,
    limits: Limits,
) -> Result<TreeStats, CheckoutError> {
    let files = entries.len() as u64;
    if files > limits.max_files {
        return Err(CheckoutError::TooManyFiles {
            repo: subject.repo.to_string(),
            commit: subject.commit.clone(),
            count: files,
            limit: limits.max_files,
        });
    }
    let bytes = entries.iter().map(|e| e.size).sum();
    if bytes > limits.max_bytes {
        return Err(CheckoutError::TooLarge {
            repo: subject.repo.to_string(),
            commit: subject.commit.clone(),
            bytes,
            limit: limits.max_bytes,
        });
    }
    Ok(TreeStats {
        files,
        bytes,
        linked: 0,
    })
}

fn check_path(path: &[u8], subject: &Subject) -> Result<(), CheckoutError> {
    let safe = !path.is_empty()
        && path[0] != b'/'
        && path.split(|b| *b == b'/').all(|part| {
            !part.is_empty() && part != b"." && part != b".." && !part.eq_ignore_ascii_case(b".git")
        });
    if safe {
        return Ok(());
    }
    Err(CheckoutError::UnsafePath {
        repo: subject.repo.to_string(),
        commit: subject.commit.clone(),
        path: String::from_utf8_lossy(path).into_owned(),
    })
}

/// Streams every blob through one `git cat-file --batch` and writes regular files; returns the
/// symlinks (path -> target) for the caller to check and create afterwards, so that no file is
/// ever written through a link.
fn write_blobs(
    mirror: &Path,
    subject: &Subject,
    dest: &Path,
    entries: &[&Entry],
) -> Result<BTreeMap<String, String>, CheckoutError> {
    let mut child = local_command(mirror)
        .args(["cat-file", "--batch", "--buffer"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| spawn_error(Step::Mirror, e))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(read_error(subject, "git cat-file has no pipes".into()));
    };
    let request: Vec<u8> = entries
        .iter()
        .flat_map(|e| format!("{}\n", e.id).into_bytes())
        .collect();
    let feeder = std::thread::spawn(move || stdin.write_all(&request));
    let result = read_blobs(
        BufReader::with_capacity(1 << 16, stdout),
        subject,
        dest,
        entries,
    );
    if result.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    let fed = feeder.join();
    let links = result?;
    match fed {
        Ok(Ok(())) => Ok(links),
        _ => Err(read_error(
            subject,
            "sending object ids to git cat-file failed".into(),
        )),
    }
}

fn read_blobs(
    mut reader: impl BufRead,
    subject: &Subject,
    dest: &Path,
    entries: &[&Entry],
) -> Result<BTreeMap<String, String>, CheckoutError> {
    let mut links = BTreeMap::new();
    let mut header = String::new();
    for entry in entries {
        header.clear();
        reader
            .read_line(&mut header)
            .map_err(|e| read_error(subject, e.to_string()))?;
        let size = blob_size(&header, entry)
            .ok_or_else(|| read_error(subject, format!("unexpected reply {:?}", header.trim())))?;
        let mut body = (&mut reader).take(size);
        let path_text = String::from_utf8_lossy(&entry.path).into_owned();
        if entry.mode == MODE_SYMLINK {
            let mut target = Vec::new();
            body.read_to_end(&mut target)
                .map_err(|e| read_error(subject, e.to_string()))?;
            links.insert(path_text, String::from_utf8_lossy(&target).into_owned());
        } else {
            write_file(dest, entry, &mut body)?;
        }
        let mut newline = [0u8; 1];
        reader
            .read_exact(&mut newline)
            .map_err(|e| read_error(subject, e.to_string()))?;
    }
    Ok(links)
}

/// The size from a `<id> blob <size>` header, when it names the expected blob.
fn blob_size(header: &str, entry: &Entry) -> Option<u64> {
    let mut fields = header.split_ascii_whitespace();
    let (id, kind, size) = (fields.next()?, fields.next()?, fields.next()?);
    (id == entry.id && kind == "blob").then_some(())?;
    size.parse().ok()
}

fn write_file(dest: &Path, entry: &Entry, content: &mut impl Read) -> Result<(), CheckoutError> {
    let path = dest.join(OsStr::from_bytes(&entry.path));
    let mode = if entry.mode == MODE_EXECUTABLE {
        0o555
    } else {
        0o444
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)
        .map_err(write_error(&path))?;
    std::io::copy(content, &mut file).map_err(write_error(&path))?;
    Ok(())
}

/// Creates every directory the entries live in, parents first, once each.
fn create_directories(dest: &Path, entries: &[Entry]) -> Result<(), CheckoutError> {
    let mut dirs = BTreeSet::new();
    for entry in entries {
        let path = Path::new(OsStr::from_bytes(&entry.path));
        dirs.extend(
            path.ancestors()
                .skip(1)
                .filter(|a| !a.as_os_str().is_empty()),
        );
    }
    for dir in dirs {
        let path = dest.join(dir);
        std::fs::DirBuilder::new()
            .mode(0o755)
            .create(&path)
            .map_err(write_error(&path))?;
    }
    Ok(())
}

fn make_dir(path: &Path) -> Result<(), CheckoutError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(path)
        .map_err(write_error(path))
}

/// Makes every directory of the checkout read-only (files already are).
fn seal_directories(dir: &Path) -> Result<(), CheckoutError> {
    let write_error = write_error(dir);
    for child in std::fs::read_dir(dir).map_err(write_error)? {
        let child = child.map_err(write_error)?;
        if child.file_type().map_err(write_error)?.is_dir() {
            seal_directories(&child.path())?;
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).map_err(write_error)
}

/// Maps a file-system error while writing `path` into the checkout.
fn write_error(path: &Path) -> impl Fn(std::io::Error) -> CheckoutError + Copy + '_ {
    move |e| CheckoutError::Write {
        path: path.to_path_buf(),
        source: Arc::new(e),
    }
}

fn read_error(subject: &Subject, detail: String) -> CheckoutError {
    CheckoutError::ReadObjects {
        repo: subject.repo.to_string(),
        commit: subject.commit.clone(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        let commit = ObjectId::parse(&"a".repeat(40)).unwrap();
        let subject = Subject {
            repo: "r",
            commit: &commit,
        };
        for bad in [
            &b"../x"[..],
            b"/abs",
            b"a//b",
            b"a/./b",
            b".git/config",
            b"sub/.GIT/hooks/x",
            b"",
        ] {
            assert!(
                check_path(bad, &subject).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(check_path(b"dir/.gitignore", &subject).is_ok());
    }

    #[test]
    fn ls_tree_lines_keep_blobs_only() {
        let blob = parse_ls_tree_line(
            b"100755 blob 0123456789012345678901234567890123456789     42\tbin/run",
        )
        .unwrap();
        assert_eq!(
            (blob.mode, blob.size, blob.path.as_slice()),
            (MODE_EXECUTABLE, 42, &b"bin/run"[..])
        );
        assert!(parse_ls_tree_line(
            b"160000 commit 0123456789012345678901234567890123456789       -\tsub"
        )
        .is_none());
    }
}
