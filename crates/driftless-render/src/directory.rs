//! Directory sources: the YAML, JSON and Jsonnet files of one directory (optionally its
//! subdirectories), filtered by include/exclude globs with Argo CD's semantics.

use std::fs;
use std::path::{Path, PathBuf};

use driftless_core::{DirectorySource, JsonnetSource, Manifest};
use globset::{Glob, GlobMatcher};

use crate::checkout::Checkout;
use crate::documents::{parse_manifests, Format};
use crate::jsonnet::evaluate_file;
use crate::RenderError;

/// Why a directory could not be listed or its options understood.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// An include or exclude pattern is not a valid glob.
    #[error("directory.{field} pattern {pattern:?} is invalid: {message}")]
    BadGlob {
        /// `include` or `exclude`.
        field: &'static str,
        /// The pattern.
        pattern: String,
        /// The glob parser's message.
        message: String,
    },
    /// A directory could not be listed.
    #[error("cannot list directory {path}: {source}")]
    List {
        /// The directory, relative to the checkout.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A rendering thread died (a bug: parsing never panics on any input).
    #[error("a directory rendering thread failed")]
    Worker,
}

/// Below this many files per thread, spreading the work costs more than it saves.
const MIN_FILES_PER_WORKER: usize = 16;

/// The kind of a file that a directory source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Data(Format),
    Jsonnet,
}

/// One file picked for rendering.
struct Picked {
    path: PathBuf,
    kind: FileKind,
}

/// Include/exclude patterns, matched against paths relative to the source directory.
/// Like Argo CD (gobwas/glob without separators), `*` also matches `/`, and `{a,b}`
/// gives alternatives.
struct Filter {
    include: Option<GlobMatcher>,
    exclude: Option<GlobMatcher>,
}

impl Filter {
    fn new(options: &DirectorySource) -> Result<Self, DirectoryError> {
        Ok(Self {
            include: compile_glob("include", &options.include)?,
            exclude: compile_glob("exclude", &options.exclude)?,
        })
    }

    fn accepts(&self, relative: &str) -> bool {
        let excluded = self.exclude.as_ref().is_some_and(|g| g.is_match(relative));
        let included = self.include.as_ref().is_none_or(|g| g.is_match(relative));
        included && !excluded
    }
}

fn compile_glob(field: &'static str, pattern: &str) -> Result<Option<GlobMatcher>, DirectoryError> {
    if pattern.is_empty() {
        return Ok(None);
    }
    Glob::new(pattern)
        .map(|g| Some(g.compile_matcher()))
        .map_err(|err| DirectoryError::BadGlob {
            field,
            pattern: pattern.to_owned(),
            message: err.kind().to_string(),
        })
}

/// Renders every matching file under `dir` (already resolved inside the checkout), in
/// path order. Hidden files and directories are skipped; one bad file fails the whole render.
pub fn render_directory(
    checkout: &Checkout,
    dir: &Path,
    options: &DirectorySource,
    jsonnet: &JsonnetSource,
) -> Result<Vec<Manifest>, RenderError> {
    let filter = Filter::new(options)?;
    let mut picked = Vec::new();
    collect_files(checkout, dir, dir, options.recurse, &filter, &mut picked)?;
    render_in_parallel(checkout, &picked, jsonnet)
}

/// Renders the picked files on up to one thread per core, each thread taking a
/// contiguous run of files, and concatenates the results in path order. The error
/// returned is the one of the first failing file in path order.
fn render_in_parallel(
    checkout: &Checkout,
    picked: &[Picked],
    jsonnet: &JsonnetSource,
) -> Result<Vec<Manifest>, RenderError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(picked.len().div_ceil(MIN_FILES_PER_WORKER))
        .max(1);
    if workers == 1 {
        return render_files(checkout, picked, jsonnet);
    }
    let chunk = picked.len().div_ceil(workers);
    let results: Vec<Result<Vec<Manifest>, RenderError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = picked
            .chunks(chunk)
            .map(|files| scope.spawn(move || render_files(checkout, files, jsonnet)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(DirectoryError::Worker.into()))
            })
            .collect()
    });
    let mut manifests = Vec::new();
    for result in results {
        manifests.extend(result?);
    }
    Ok(manifests)
}

fn render_files(
    checkout: &Checkout,
    files: &[Picked],
    jsonnet: &JsonnetSource,
) -> Result<Vec<Manifest>, RenderError> {
    let mut manifests = Vec::new();
    for file in files {
        manifests.extend(render_file(checkout, file, jsonnet)?);
    }
    Ok(manifests)
}

fn render_file(
    checkout: &Checkout,
    file: &Picked,
    jsonnet: &JsonnetSource,
) -> Result<Vec<Manifest>, RenderError> {
    let relative = checkout.relative(&file.path);
    match file.kind {
        FileKind::Data(format) => {
            let text = checkout.read_text(&file.path)?;
            Ok(parse_manifests(&relative, &text, format)?)
        }
        FileKind::Jsonnet => Ok(evaluate_file(checkout, &file.path, jsonnet)?),
    }
}

/// Walks `current` in name order, collecting the files that `filter` accepts. Symlinks
/// are followed only when their target stays inside the checkout (else an error);
/// symlinked directories are not descended into.
fn collect_files(
    checkout: &Checkout,
    base: &Path,
    current: &Path,
    recurse: bool,
    filter: &Filter,
    out: &mut Vec<Picked>,
) -> Result<(), RenderError> {
    for entry in sorted_entries(checkout, current)? {
        let hidden = entry
            .file_name()
            .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."));
        if hidden {
            continue;
        }
        let metadata = fs::symlink_metadata(&entry).map_err(checkout.inspect_error(&entry))?;
        if metadata.is_symlink() {
            let target = checkout.contain(&entry, &checkout.relative(&entry))?;
            if target.is_file() {
                pick_file(base, &entry, target, filter, out);
            }
        } else if metadata.is_dir() {
            if recurse {
                collect_files(checkout, base, &entry, recurse, filter, out)?;
            }
        } else if metadata.is_file() {
            pick_file(base, &entry, entry.clone(), filter, out);
        }
    }
    Ok(())
}

fn pick_file(base: &Path, entry: &Path, target: PathBuf, filter: &Filter, out: &mut Vec<Picked>) {
    let Some(kind) = file_kind(entry) else { return };
    let relative = relative_to(base, entry);
    if filter.accepts(&relative) {
        out.push(Picked { path: target, kind });
    }
}

fn file_kind(path: &Path) -> Option<FileKind> {
    match path.extension()?.to_str()? {
        "yaml" | "yml" => Some(FileKind::Data(Format::Yaml)),
        "json" => Some(FileKind::Data(Format::Json)),
        "jsonnet" => Some(FileKind::Jsonnet),
        _ => None,
    }
}

fn relative_to(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn sorted_entries(checkout: &Checkout, dir: &Path) -> Result<Vec<PathBuf>, DirectoryError> {
    let list_error = |source| DirectoryError::List {
        path: checkout.relative(dir),
        source,
    };
    let mut entries = fs::read_dir(dir)
        .map_err(list_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(list_error)?;
    entries.sort();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &str, exclude: &str) -> Filter {
        Filter::new(&DirectorySource {
            include: include.into(),
            exclude: exclude.into(),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn alternatives_and_star_across_slashes() {
        let f = filter("{config.json,env-usw2/*}", "");
        assert!(f.accepts("config.json"));
        assert!(f.accepts("env-usw2/a/b.yaml"));
        assert!(!f.accepts("env-use1/a.yaml"));
    }

    #[test]
    fn exclude_wins_over_include() {
        let f = filter("*.yaml", "*secret*");
        assert!(f.accepts("app.yaml"));
        assert!(!f.accepts("db-secret.yaml"));
        assert!(!f.accepts("app.json"));
    }

    #[test]
    fn bad_glob_is_reported() {
        let err = Filter::new(&DirectorySource {
            include: "{a".into(),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("directory.include"), "{err}");
    }
}
