//! The on-disk cache: one bare mirror per repository and one immutable artifact directory per
//! commit at `<root>/artifacts/<repo-id>/<commit>`, published by an atomic rename and evicted
//! least-recently-used once the total passes a byte budget. Artifacts held by a caller are never
//! evicted. Blocking file-system work: call from a blocking thread.

use crate::refs::ObjectId;
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A file-system step of the cache that failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CacheError {
    /// Creating a cache directory failed.
    #[error("creating cache directory {path} failed")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The file-system error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Reading the existing cache at start-up failed.
    #[error("scanning cache directory {path} failed")]
    Scan {
        /// The directory.
        path: PathBuf,
        /// The file-system error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Renaming a finished checkout into place failed.
    #[error("publishing artifact {to} failed")]
    Publish {
        /// The final path.
        to: PathBuf,
        /// The file-system error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Deleting an evicted artifact or a stale temporary directory failed.
    #[error("removing {path} failed")]
    Remove {
        /// The directory.
        path: PathBuf,
        /// The file-system error.
        #[source]
        source: Arc<std::io::Error>,
    },
}

/// An immutable, read-only checkout of exactly one commit. While any clone of it is alive the
/// cache will not evict its directory.
#[derive(Debug, Clone)]
pub struct Artifact {
    path: PathBuf,
    commit: ObjectId,
    bytes: u64,
    _lease: Arc<Lease>,
}

impl Artifact {
    /// The directory holding the commit's files.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The commit this artifact is a checkout of.
    pub fn commit(&self) -> &ObjectId {
        &self.commit
    }

    /// Bytes of file content in the artifact.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Marker whose reference count tells whether an artifact is in use.
#[derive(Debug)]
struct Lease;

struct Slot {
    bytes: u64,
    last_used: u64,
    lease: Arc<Lease>,
}

impl Slot {
    /// The artifact at `path` that this slot indexes, holding its lease.
    fn artifact(&self, path: PathBuf, commit: &ObjectId) -> Artifact {
        Artifact {
            path,
            commit: commit.clone(),
            bytes: self.bytes,
            _lease: self.lease.clone(),
        }
    }
}

#[derive(Default)]
struct Index {
    slots: HashMap<(String, ObjectId), Slot>,
    clock: u64,
    total: u64,
}

impl Index {
    /// Advances the use clock and returns the new time.
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

/// The artifact and mirror store under one root directory.
pub struct ArtifactCache {
    root: PathBuf,
    budget: u64,
    index: Mutex<Index>,
}

impl ArtifactCache {
    /// Opens (creating if needed) the cache at `root`: removes temporary directories left by a
    /// crash and indexes the artifacts already there, oldest-modified first.
    pub fn open(root: &Path, budget_bytes: u64) -> Result<Self, CacheError> {
        for dir in ["artifacts", "mirrors", "tmp"] {
            create_dir(&root.join(dir))?;
        }
        let cache = Self {
            root: root.to_path_buf(),
            budget: budget_bytes,
            index: Mutex::new(Index::default()),
        };
        clear_dir(&cache.scratch_dir())?;
        cache.index_existing()?;
        Ok(cache)
    }

    /// A directory for short-lived private files (SSH keys); emptied at every open.
    pub fn scratch_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The bare mirror repository of `repo_id`.
    pub fn mirror_dir(&self, repo_id: &str) -> PathBuf {
        self.root.join("mirrors").join(format!("{repo_id}.git"))
    }

    fn artifact_dir(&self, repo_id: &str, commit: &ObjectId) -> PathBuf {
        self.root
            .join("artifacts")
            .join(repo_id)
            .join(commit.as_str())
    }

    /// The artifact of `commit`, if cached; marks it most recently used.
    pub fn lookup(&self, repo_id: &str, commit: &ObjectId) -> Option<Artifact> {
        let path = self.artifact_dir(repo_id, commit);
        let mut index = self.lock();
        let key = (repo_id.to_string(), commit.clone());
        if !path.is_dir() {
            if let Some(slot) = index.slots.remove(&key) {
                index.total -= slot.bytes;
            }
            return None;
        }
        let clock = index.tick();
        let slot = index.slots.get_mut(&key)?;
        slot.last_used = clock;
        Some(slot.artifact(path, commit))
    }

    /// The most recently used artifact of `repo_id`, held so that it is not evicted while the
    /// caller uses it (e.g. to hard-link unchanged files into a new checkout).
    pub fn latest(&self, repo_id: &str) -> Option<Artifact> {
        let index = self.lock();
        let ((_, commit), slot) = index
            .slots
            .iter()
            .filter(|((id, _), _)| id == repo_id)
            .max_by_key(|(_, slot)| slot.last_used)?;
        Some(slot.artifact(self.artifact_dir(repo_id, commit), commit))
    }

    /// A fresh, not yet existing directory next to where `commit`'s artifact will live.
    pub fn staging_dir(&self, repo_id: &str, commit: &ObjectId) -> Result<PathBuf, CacheError> {
        let parent = self.root.join("artifacts").join(repo_id);
        create_dir(&parent)?;
        let staged = tempfile::Builder::new()
            .prefix(&format!(".tmp-{commit}-"))
            .tempdir_in(&parent)
            .map_err(|e| CacheError::CreateDir {
                path: parent.clone(),
                source: Arc::new(e),
            })?;
        let path = staged.keep();
        std::fs::remove_dir(&path).map_err(|e| CacheError::Remove {
            path: path.clone(),
            source: Arc::new(e),
        })?;
        Ok(path)
    }

    /// Renames a finished checkout in `staged` into place, indexes it and evicts past the budget.
    pub fn publish(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        staged: &Path,
        bytes: u64,
    ) -> Result<Artifact, CacheError> {
        let path = self.artifact_dir(repo_id, commit);
        if path.is_dir() {
            remove_tree(staged)?;
        } else {
            std::fs::rename(staged, &path).map_err(|e| CacheError::Publish {
                to: path.clone(),
                source: Arc::new(e),
            })?;
        }
        let mut index = self.lock();
        let slot = Slot {
            bytes,
            last_used: index.tick(),
            lease: Arc::new(Lease),
        };
        let artifact = slot.artifact(path, commit);
        let key = (repo_id.to_string(), commit.clone());
        if let Some(old) = index.slots.insert(key, slot) {
            index.total -= old.bytes;
        }
        index.total += bytes;
        let victims = self.pick_victims(&mut index);
        drop(index);
        for victim in victims {
            remove_tree(&victim)?;
        }
        Ok(artifact)
    }

    /// Removes a staging directory after a failed checkout.
    pub fn discard(&self, staged: &Path) -> Result<(), CacheError> {
        remove_tree(staged)
    }

    /// Total bytes of indexed artifacts.
    pub fn total_bytes(&self) -> u64 {
        self.lock().total
    }

    /// Takes least-recently-used artifacts that nobody holds out of the index until the total
    /// fits the budget; returns their directories for deletion.
    fn pick_victims(&self, index: &mut Index) -> Vec<PathBuf> {
        let mut victims = Vec::new();
        while index.total > self.budget {
            let candidate = index
                .slots
                .iter()
                .filter(|(_, slot)| Arc::strong_count(&slot.lease) == 1)
                .min_by_key(|(_, slot)| slot.last_used)
                .map(|(key, _)| key.clone());
            let Some(key) = candidate else { break };
            if let Some(slot) = index.slots.remove(&key) {
                index.total -= slot.bytes;
                tracing::info!(repo_id = %key.0, revision = %key.1, bytes = slot.bytes, "evicting artifact");
                victims.push(self.artifact_dir(&key.0, &key.1));
            }
        }
        victims
    }

    fn index_existing(&self) -> Result<(), CacheError> {
        let mut found = Vec::new();
        let artifacts = self.root.join("artifacts");
        for repo in read_dir(&artifacts)? {
            let repo_id = repo.file_name().to_string_lossy().into_owned();
            for entry in read_dir(&repo.path())? {
                let name = entry.file_name().to_string_lossy().into_owned();
                match ObjectId::parse(&name) {
                    Some(commit) => found.push((
                        modified(&entry.path()),
                        repo_id.clone(),
                        commit,
                        dir_bytes(&entry.path())?,
                    )),
                    None => remove_tree(&entry.path())?,
                }
            }
        }
        found.sort();
        let mut index = self.lock();
        for (_, repo_id, commit, bytes) in found {
            let slot = Slot {
                bytes,
                last_used: index.tick(),
                lease: Arc::new(Lease),
            };
            index.slots.insert((repo_id, commit), slot);
            index.total += bytes;
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // The index stays consistent between statements, so a panic elsewhere cannot corrupt it.
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn create_dir(path: &Path) -> Result<(), CacheError> {
    std::fs::create_dir_all(path).map_err(|e| CacheError::CreateDir {
        path: path.to_path_buf(),
        source: Arc::new(e),
    })
}

fn read_dir(path: &Path) -> Result<Vec<std::fs::DirEntry>, CacheError> {
    let scan = |e| CacheError::Scan {
        path: path.to_path_buf(),
        source: Arc::new(e),
    };
    std::fs::read_dir(path)
        .map_err(scan)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(scan)
}

fn clear_dir(path: &Path) -> Result<(), CacheError> {
    for entry in read_dir(path)? {
        remove_tree(&entry.path())?;
    }
    Ok(())
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::UNIX_EPOCH)
}

fn dir_bytes(path: &Path) -> Result<u64, CacheError> {
    let mut total = 0;
    for entry in read_dir(path)? {
        let meta = entry.metadata().map_err(|e| CacheError::Scan {
            path: entry.path(),
            source: Arc::new(e),
        })?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// Deletes a directory tree whose directories may be read-only. Missing is fine.
pub(crate) fn remove_tree(path: &Path) -> Result<(), CacheError> {
    let remove_error = |e: std::io::Error| CacheError::Remove {
        path: path.to_path_buf(),
        source: Arc::new(e),
    };
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(remove_error)?,
    };
    if !meta.is_dir() {
        return std::fs::remove_file(path).map_err(remove_error);
    }
    unseal(path).map_err(remove_error)?;
    std::fs::remove_dir_all(path).map_err(remove_error)
}

fn unseal(dir: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            unseal(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(n: u8) -> ObjectId {
        ObjectId::parse(&format!("{n:02x}").repeat(20)).unwrap()
    }

    fn put(cache: &ArtifactCache, n: u8, bytes: usize) -> Artifact {
        let staged = cache.staging_dir("repo", &commit(n)).unwrap();
        std::fs::create_dir(&staged).unwrap();
        std::fs::write(staged.join("f"), vec![b'x'; bytes]).unwrap();
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o555)).unwrap();
        cache
            .publish("repo", &commit(n), &staged, bytes as u64)
            .unwrap()
    }

    #[test]
    fn least_recently_used_unheld_artifact_is_evicted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::open(dir.path(), 250).unwrap();
        drop(put(&cache, 1, 100));
        let held = put(&cache, 2, 100);
        drop(put(&cache, 3, 10));
        assert!(
            cache.lookup("repo", &commit(1)).is_some(),
            "touch 1 so that 3 is older"
        );
        drop(put(&cache, 4, 100));
        // 310 bytes > 250: 2 is held and 4 is new, so 3 (least recently used) goes, then 1.
        assert!(cache.lookup("repo", &commit(3)).is_none());
        assert!(cache.lookup("repo", &commit(1)).is_none());
        assert!(cache.lookup("repo", &commit(4)).is_some());
        assert!(
            held.path().join("f").exists(),
            "a held artifact is never evicted"
        );
        assert!(cache.total_bytes() <= 250, "{}", cache.total_bytes());
    }

    #[test]
    fn reopening_indexes_artifacts_and_drops_half_written_ones() {
        let dir = tempfile::tempdir().unwrap();
        {
            let cache = ArtifactCache::open(dir.path(), 1 << 20).unwrap();
            drop(put(&cache, 1, 10));
            let half = cache.staging_dir("repo", &commit(2)).unwrap();
            std::fs::create_dir(&half).unwrap();
        }
        let cache = ArtifactCache::open(dir.path(), 1 << 20).unwrap();
        assert!(cache.lookup("repo", &commit(1)).is_some());
        assert_eq!(cache.total_bytes(), 10);
        let leftovers = std::fs::read_dir(dir.path().join("artifacts/repo"))
            .unwrap()
            .count();
        assert_eq!(leftovers, 1, "only the published artifact remains");
    }
}
