//! The checkout root: every path the renderer touches is resolved through it, so that
//! nothing outside the checkout (through `..`, absolute paths or symlinks) is ever read.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Why a path inside the checkout could not be resolved or read. Paths are relative
/// to the checkout root.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// The checkout root itself could not be opened.
    #[error("cannot open checkout root: {source}")]
    OpenRoot {
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A path given in the source spec is absolute.
    #[error("path {path} is absolute; paths must be relative to the repository root")]
    Absolute {
        /// The offending path.
        path: String,
    },
    /// A path (through `..` or a symlink) points outside the checkout.
    #[error("path {path} escapes the repository checkout")]
    Escapes {
        /// The offending path.
        path: String,
    },
    /// A path does not exist or cannot be inspected.
    #[error("path {path} cannot be read: {source}")]
    Inspect {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file is over [`MAX_FILE_BYTES`].
    #[error("file {path} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A file is not UTF-8 text.
    #[error("file {path} is not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: String,
    },
}

/// A checkout directory with its canonical root.
#[derive(Debug, Clone)]
pub struct Checkout {
    root: PathBuf,
}

impl Checkout {
    /// Opens a checkout; the root is canonicalised once.
    pub fn open(dir: &Path) -> Result<Self, CheckoutError> {
        let root = dir
            .canonicalize()
            .map_err(|source| CheckoutError::OpenRoot { source })?;
        Ok(Self { root })
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves a user-given relative path (`""` and `.` mean the root) to a canonical
    /// path inside the checkout. Refuses absolute paths and anything that, after
    /// following `..` and symlinks, lies outside the root.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, CheckoutError> {
        let rel = Path::new(relative);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::Prefix(_))) {
            return Err(CheckoutError::Absolute {
                path: relative.to_owned(),
            });
        }
        self.contain(&self.root.join(rel), relative)
    }

    /// Resolves `relative` against `base` (an already resolved directory inside the
    /// checkout) with the same guarantees as [`Checkout::resolve`].
    pub fn resolve_from(&self, base: &Path, relative: &str) -> Result<PathBuf, CheckoutError> {
        if Path::new(relative).is_absolute() {
            return Err(CheckoutError::Absolute {
                path: relative.to_owned(),
            });
        }
        let shown = format!("{}/{}", self.relative(base), relative);
        self.contain(&base.join(relative), shown.trim_start_matches("./"))
    }

    /// Canonicalises `path` and checks that it lies inside the root; `shown` names it in errors.
    pub fn contain(&self, path: &Path, shown: &str) -> Result<PathBuf, CheckoutError> {
        let canonical = path
            .canonicalize()
            .map_err(|source| CheckoutError::Inspect {
                path: shown.to_owned(),
                source,
            })?;
        if canonical.starts_with(&self.root) {
            Ok(canonical)
        } else {
            Err(CheckoutError::Escapes {
                path: shown.to_owned(),
            })
        }
    }

    /// The path relative to the root, `/`-separated; `.` for the root itself. Paths
    /// outside the root are shown by file name only, never as a host path.
    pub fn relative(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// Walks the whole checkout (except `.git`) and refuses any symlink whose target lies
    /// outside it, as Argo CD does before running a tool that could follow one. Dangling
    /// links are ignored (they expose nothing); symlinked directories are not descended.
    pub fn check_symlinks(&self) -> Result<(), CheckoutError> {
        let mut pending = vec![self.root.clone()];
        while let Some(dir) = pending.pop() {
            let entries = fs::read_dir(&dir).map_err(self.inspect_error(&dir))?;
            for entry in entries {
                let entry = entry.map_err(self.inspect_error(&dir))?;
                let path = entry.path();
                let file_type = entry.file_type().map_err(self.inspect_error(&path))?;
                if file_type.is_symlink() {
                    self.check_link(&path)?;
                } else if file_type.is_dir() && entry.file_name() != ".git" {
                    pending.push(path);
                }
            }
        }
        Ok(())
    }

    /// Turns an I/O error on `path` (inside the checkout) into [`CheckoutError::Inspect`].
    pub(crate) fn inspect_error<'a>(
        &'a self,
        path: &'a Path,
    ) -> impl Fn(io::Error) -> CheckoutError + 'a {
        move |source| CheckoutError::Inspect {
            path: self.relative(path),
            source,
        }
    }

    fn check_link(&self, link: &Path) -> Result<(), CheckoutError> {
        match link.canonicalize() {
            Ok(target) if !target.starts_with(&self.root) => Err(CheckoutError::Escapes {
                path: self.relative(link),
            }),
            _ => Ok(()),
        }
    }

    /// Reads a UTF-8 file inside the checkout, refusing files over [`MAX_FILE_BYTES`].
    /// `path` must already be resolved (canonical, inside the root).
    pub fn read_text(&self, path: &Path) -> Result<String, CheckoutError> {
        let bytes = self.read_bytes(path)?;
        String::from_utf8(bytes).map_err(|_| CheckoutError::NotUtf8 {
            path: self.relative(path),
        })
    }

    /// Reads a file inside the checkout, refusing files over [`MAX_FILE_BYTES`].
    pub fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, CheckoutError> {
        let inspect = self.inspect_error(path);
        let size = fs::metadata(path).map_err(&inspect)?.len();
        if size > MAX_FILE_BYTES {
            return Err(CheckoutError::TooLarge {
                path: self.relative(path),
                size,
                limit: MAX_FILE_BYTES,
            });
        }
        fs::read(path).map_err(inspect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("repo")).unwrap();
        let checkout = Checkout::open(&dir.path().join("repo")).unwrap();
        let err = checkout.resolve("..").unwrap_err();
        assert!(matches!(err, CheckoutError::Escapes { .. }), "{err}");
    }

    #[test]
    fn absolute_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let checkout = Checkout::open(dir.path()).unwrap();
        assert!(matches!(
            checkout.resolve("/etc").unwrap_err(),
            CheckoutError::Absolute { .. }
        ));
    }

    #[test]
    fn inner_dot_dot_is_fine_and_relative_paths_use_slashes() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        let checkout = Checkout::open(dir.path()).unwrap();
        let p = checkout.resolve("a/b/../b").unwrap();
        assert_eq!(checkout.relative(&p), "a/b");
        assert_eq!(checkout.relative(checkout.root()), ".");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_out_of_checkout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("repo")).unwrap();
        fs::write(dir.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("repo/link"))
            .unwrap();
        let checkout = Checkout::open(&dir.path().join("repo")).unwrap();
        assert!(matches!(
            checkout.resolve("link").unwrap_err(),
            CheckoutError::Escapes { .. }
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_scan_finds_links_out_of_the_checkout_only() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("repo/a/b")).unwrap();
        fs::write(dir.path().join("repo/a/file"), "x").unwrap();
        fs::write(dir.path().join("outside"), "x").unwrap();
        std::os::unix::fs::symlink("../file", dir.path().join("repo/a/b/inner")).unwrap();
        std::os::unix::fs::symlink("missing", dir.path().join("repo/a/dangling")).unwrap();
        let checkout = Checkout::open(&dir.path().join("repo")).unwrap();
        checkout.check_symlinks().unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), dir.path().join("repo/a/b/leak"))
            .unwrap();
        let err = checkout.check_symlinks().unwrap_err();
        assert_eq!(
            err.to_string(),
            "path a/b/leak escapes the repository checkout"
        );
    }

    #[test]
    fn large_file_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let file = fs::File::create(dir.path().join("big.yaml")).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let checkout = Checkout::open(dir.path()).unwrap();
        let path = checkout.resolve("big.yaml").unwrap();
        assert!(matches!(
            checkout.read_text(&path).unwrap_err(),
            CheckoutError::TooLarge { .. }
        ));
    }
}
