//! Reusing an earlier checkout of the same repository: a file whose blob and mode are unchanged
//! is hard-linked from it instead of being written again. Artifacts are read-only, so sharing
//! their inodes is safe; linking is an order of magnitude cheaper than writing.

use super::{list_tree, Entry, Subject, MODE_SYMLINK};
use crate::refs::ObjectId;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An earlier, published checkout of the same repository. The caller holds its artifact, so it
/// cannot be evicted while files are linked from it.
pub(crate) struct Previous<'a> {
    /// Its directory.
    pub root: &'a Path,
    /// Its commit (present in the mirror).
    pub commit: &'a ObjectId,
}

/// Hard-links into `dest` (whose directories exist) every regular file of `entries` that `previous` holds with the same
/// blob and mode. Returns the entries still to be written and how many were linked. Reuse is an
/// optimisation: if the previous tree cannot be listed or a link fails, the file is written.
pub(super) fn link_unchanged<'e>(
    mirror: &Path,
    subject: &Subject,
    previous: Option<&Previous>,
    dest: &Path,
    entries: &'e [Entry],
) -> (Vec<&'e Entry>, u64) {
    let Some(previous) = previous else {
        return (entries.iter().collect(), 0);
    };
    let earlier = Subject {
        repo: subject.repo,
        commit: previous.commit,
    };
    let Ok(old_entries) = list_tree(mirror, &earlier) else {
        return (entries.iter().collect(), 0);
    };
    let old: HashMap<(&str, u32), &[u8]> = old_entries
        .iter()
        .filter(|e| e.mode != MODE_SYMLINK)
        .map(|e| ((e.id.as_str(), e.mode), e.path.as_slice()))
        .collect();
    let mut remaining = Vec::new();
    let mut linked = 0;
    for entry in entries {
        // Symlinks are not in `old`, so they are never linked.
        let Some(old_path) = old.get(&(entry.id.as_str(), entry.mode)) else {
            remaining.push(entry);
            continue;
        };
        let source = previous.root.join(OsStr::from_bytes(old_path));
        let target = dest.join(OsStr::from_bytes(&entry.path));
        match std::fs::hard_link(&source, &target) {
            Ok(()) => linked += 1,
            Err(_) => remaining.push(entry),
        }
    }
    (remaining, linked)
}
