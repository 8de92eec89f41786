//! The render cache: a rendered source is keyed by commit, path and options, so that an
//! unchanged source is never rendered twice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use driftless_core::{Manifest, SourceSpec};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::helm::Release;

/// Identifies one render: SHA-256 over the commit, the path and every rendering option
/// (repository URL, target revision and credentials are left out: the commit already pins the content;
/// the path is normalised so that `app`, `./app` and `app/` share a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

#[derive(Serialize)]
struct KeyMaterial<'a> {
    commit: &'a str,
    path: &'a str,
    source: &'a SourceSpec,
    release: &'a str,
    namespace: &'a str,
}

impl CacheKey {
    /// The key of rendering `source` at `commit` for `release`.
    pub fn new(commit: &str, source: &SourceSpec, release: &Release<'_>) -> Self {
        let options = SourceSpec {
            repo_url: String::new(),
            target_revision: String::new(),
            path: String::new(),
            secret_ref: None,
            ..source.clone()
        };
        let material = KeyMaterial {
            commit,
            path: normalised_path(&source.path),
            source: &options,
            release: release.name,
            namespace: release.namespace,
        };
        // Serialising plain strings, bools and vectors to JSON cannot fail.
        let bytes = serde_json::to_vec(&material).unwrap_or_default();
        Self(Sha256::digest(&bytes).into())
    }
}

fn normalised_path(path: &str) -> &str {
    match path.trim_matches('/') {
        "." => "",
        trimmed => trimmed.trim_start_matches("./"),
    }
}

/// Counters of a cache, for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found an entry.
    pub hits: u64,
    /// Lookups that found none.
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
}

#[derive(Default)]
struct CacheState {
    entries: HashMap<CacheKey, Arc<Vec<Manifest>>>,
    order: VecDeque<CacheKey>,
    hits: u64,
    misses: u64,
}

/// A bounded in-memory cache of render results; the oldest entry is dropped first.
/// Safe to share between threads. Only successful renders are stored.
#[derive(Default)]
pub struct RenderCache {
    capacity: usize,
    state: Mutex<CacheState>,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("capacity", &self.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}

impl RenderCache {
    /// A cache holding at most `capacity` renders (0 stores nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the map inconsistent: take it over.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The stored render for `key`, counting a hit or a miss.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<Vec<Manifest>>> {
        let mut state = self.lock();
        let found = state.entries.get(key).cloned();
        if found.is_some() {
            state.hits += 1;
        } else {
            state.misses += 1;
        }
        found
    }

    /// Stores a render, dropping the oldest entries beyond the capacity.
    pub fn insert(&self, key: CacheKey, manifests: Arc<Vec<Manifest>>) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.lock();
        if state.entries.insert(key, manifests).is_none() {
            state.order.push_back(key);
        }
        while state.entries.len() > self.capacity {
            let Some(oldest) = state.order.pop_front() else {
                break;
            };
            state.entries.remove(&oldest);
        }
    }

    /// Current counters.
    pub fn stats(&self) -> CacheStats {
        let state = self.lock();
        CacheStats {
            hits: state.hits,
            misses: state.misses,
            entries: state.entries.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::DirectorySource;

    const RELEASE: Release<'static> = Release {
        name: "r",
        namespace: "",
    };

    #[test]
    fn key_ignores_revision_name_but_not_options() {
        let a = SourceSpec {
            path: "app".into(),
            target_revision: "main".into(),
            ..Default::default()
        };
        let b = SourceSpec {
            path: "./app/".into(),
            target_revision: "v1".into(),
            ..Default::default()
        };
        assert_eq!(
            CacheKey::new("c1", &a, &RELEASE),
            CacheKey::new("c1", &b, &RELEASE)
        );
        assert_ne!(
            CacheKey::new("c1", &a, &RELEASE),
            CacheKey::new("c2", &a, &RELEASE)
        );
        let recursive = SourceSpec {
            directory: Some(DirectorySource {
                recurse: true,
                ..Default::default()
            }),
            ..a.clone()
        };
        assert_ne!(
            CacheKey::new("c1", &a, &RELEASE),
            CacheKey::new("c1", &recursive, &RELEASE)
        );
    }

    #[test]
    fn oldest_entry_is_evicted() {
        let cache = RenderCache::new(2);
        let keys: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|c| CacheKey::new(c, &SourceSpec::default(), &RELEASE))
            .collect();
        for key in &keys {
            cache.insert(*key, Arc::new(Vec::new()));
        }
        assert!(cache.get(&keys[0]).is_none());
        assert!(cache.get(&keys[2]).is_some());
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 1,
                entries: 2
            }
        );
    }
}
