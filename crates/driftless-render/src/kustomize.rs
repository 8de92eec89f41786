//! Kustomize sources, behind one boundary ([`Kustomizer`]) so that an in-process
//! implementation can later replace the subprocess without touching callers.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use driftless_core::KustomizeSource;
use serde_json::Value;

use crate::checkout::{Checkout, CheckoutError};
use crate::subprocess::{find_on_path, Invocation, RunError};

/// File names that make a directory a kustomization, in the order Kustomize looks for them.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Fields of a kustomization that name other resources, bases or components.
const REFERENCE_FIELDS: [&str; 3] = ["resources", "bases", "components"];

/// A proxy address nobody listens on: with it, a tool that tries to reach the network fails fast.
const BLACKHOLE_PROXY: &str = "http://127.0.0.1:9";

/// Why a Kustomize build failed. Paths are relative to the checkout.
#[derive(Debug, thiserror::Error)]
pub enum KustomizeError {
    /// Neither `kustomize` nor `kubectl` is on PATH.
    #[error(
        "cannot render {dir} with Kustomize: install `kustomize` or `kubectl` and put it on PATH"
    )]
    ToolMissing {
        /// The kustomization directory.
        dir: String,
    },
    /// A kustomization refers to a remote base or resource and the spec does not allow it.
    #[error("{file}: remote reference {reference:?} is not allowed; set kustomize.allowRemoteBases: true to fetch it")]
    RemoteReference {
        /// The kustomization file.
        file: String,
        /// The entry.
        reference: String,
    },
    /// A kustomization refers to a path outside the checkout.
    #[error("{file}: {source}")]
    Reference {
        /// The kustomization file.
        file: String,
        /// Why the reference was refused.
        #[source]
        source: CheckoutError,
    },
    /// The tool failed or timed out; the message carries its stderr.
    #[error("kustomize build of {dir} failed: {source}")]
    Build {
        /// The kustomization directory.
        dir: String,
        /// The tool's failure.
        #[source]
        source: RunError,
    },
}

/// Builds a kustomization directory into a YAML stream. The only way the renderer
/// reaches Kustomize.
pub trait Kustomizer: Send + Sync + fmt::Debug {
    /// Builds the kustomization in `dir` (resolved inside `checkout`), returning the YAML
    /// stream of the resulting objects. Remote references are refused unless `options`
    /// allow them, and nothing outside the checkout is loaded.
    fn build(
        &self,
        checkout: &Checkout,
        dir: &Path,
        options: &KustomizeSource,
    ) -> Result<String, KustomizeError>;
}

/// Which command-line tool runs the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KustomizeTool {
    /// `kustomize build DIR`.
    Kustomize,
    /// `kubectl kustomize DIR`.
    Kubectl,
}

/// Kustomize through a subprocess: `kustomize build` or `kubectl kustomize`, with
/// `--load-restrictor=LoadRestrictionsRootOnly`, a timeout, and the network blocked
/// (through an unreachable proxy) unless remote bases are allowed.
#[derive(Debug, Clone)]
pub struct KustomizeCommand {
    program: Option<PathBuf>,
    tool: KustomizeTool,
    timeout: Duration,
}

impl KustomizeCommand {
    /// Uses `kustomize` when it is on PATH, else `kubectl`; when neither is, every build
    /// fails with [`KustomizeError::ToolMissing`].
    pub fn from_path(timeout: Duration) -> Self {
        match find_on_path("kustomize") {
            Some(program) => Self::with_program(program, KustomizeTool::Kustomize, timeout),
            None => Self {
                program: find_on_path("kubectl"),
                tool: KustomizeTool::Kubectl,
                timeout,
            },
        }
    }

    /// Uses the given program, invoked as `tool`.
    pub fn with_program(program: PathBuf, tool: KustomizeTool, timeout: Duration) -> Self {
        Self {
            program: Some(program),
            tool,
            timeout,
        }
    }

    /// The tool that will run builds, if one was found.
    pub fn tool(&self) -> Option<KustomizeTool> {
        self.program.as_ref().map(|_| self.tool)
    }

    fn invocation(&self, program: PathBuf, dir: &Path, allow_network: bool) -> Invocation {
        let subcommand: &[&str] = match self.tool {
            KustomizeTool::Kustomize => &["build"],
            KustomizeTool::Kubectl => &["kustomize"],
        };
        let mut args: Vec<_> = subcommand.iter().map(Into::into).collect();
        args.push(dir.as_os_str().to_owned());
        args.push("--load-restrictor=LoadRestrictionsRootOnly".into());
        Invocation {
            program,
            args,
            dir: dir.to_path_buf(),
            env: if allow_network {
                Vec::new()
            } else {
                network_blocking_env()
            },
        }
    }
}

fn network_blocking_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
    ]
    .iter()
    .map(|name| (name.to_string(), BLACKHOLE_PROXY.to_owned()))
    .collect();
    env.push(("NO_PROXY".into(), String::new()));
    env.push(("no_proxy".into(), String::new()));
    env.push(("GIT_ALLOW_PROTOCOL".into(), "file".into()));
    env.push(("GIT_TERMINAL_PROMPT".into(), "0".into()));
    env
}

impl Kustomizer for KustomizeCommand {
    fn build(
        &self,
        checkout: &Checkout,
        dir: &Path,
        options: &KustomizeSource,
    ) -> Result<String, KustomizeError> {
        let shown = checkout.relative(dir);
        let Some(program) = self.program.clone() else {
            return Err(KustomizeError::ToolMissing { dir: shown });
        };
        check_references(checkout, dir, options.allow_remote_bases)?;
        self.invocation(program, dir, options.allow_remote_bases)
            .run(self.timeout)
            .map_err(|source| KustomizeError::Build {
                dir: shown,
                source: source.relative_to(checkout.root()),
            })
    }
}

/// Walks the kustomization in `dir` and the local kustomizations it refers to, refusing
/// references that leave the checkout and, unless allowed, remote ones.
pub fn check_references(
    checkout: &Checkout,
    dir: &Path,
    allow_remote: bool,
) -> Result<(), KustomizeError> {
    let mut visited = HashSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        if !visited.insert(current.clone()) {
            continue;
        }
        let Some(file) = kustomization_file(&current) else {
            continue;
        };
        let shown = checkout.relative(&file);
        for reference in references(checkout, &file) {
            if looks_remote(&reference) {
                if allow_remote {
                    continue;
                }
                return Err(KustomizeError::RemoteReference {
                    file: shown,
                    reference,
                });
            }
            let target = checkout
                .resolve_from(&current, &reference)
                .map_err(|source| KustomizeError::Reference {
                    file: shown.clone(),
                    source,
                })?;
            if target.is_dir() {
                pending.push(target);
            }
        }
    }
    Ok(())
}

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// The entries of the reference fields of a kustomization file. A file that cannot be
/// read or parsed yields none: the tool reports it with its own message.
fn references(checkout: &Checkout, file: &Path) -> Vec<String> {
    let Ok(text) = checkout.read_text(file) else {
        return Vec::new();
    };
    let Ok(document) = serde_saphyr::from_str::<Value>(&text) else {
        return Vec::new();
    };
    REFERENCE_FIELDS
        .iter()
        .filter_map(|field| document.get(field).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Whether a kustomization entry names something Kustomize would fetch over the network.
pub fn looks_remote(reference: &str) -> bool {
    const HOSTS: [&str; 3] = ["github.com/", "gitlab.com/", "bitbucket.org/"];
    reference.contains("://")
        || reference.starts_with("git@")
        || reference.contains("?ref=")
        || reference.contains("?version=")
        || HOSTS.iter().any(|host| reference.starts_with(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_forms_are_recognised() {
        for remote in [
            "https://github.com/org/repo//base?ref=v1",
            "github.com/org/repo/base?ref=main",
            "git@github.com:org/repo.git",
            "ssh://git@host/repo",
            "example.com/org/repo?ref=v2",
        ] {
            assert!(looks_remote(remote), "{remote}");
        }
        for local in ["../base", "deployment.yaml", "components/monitoring"] {
            assert!(!looks_remote(local), "{local}");
        }
    }

    #[test]
    fn kubectl_invocation_restricts_loading_and_blocks_network() {
        let command = KustomizeCommand::with_program(
            PathBuf::from("kubectl"),
            KustomizeTool::Kubectl,
            Duration::from_secs(1),
        );
        let invocation = command.invocation(PathBuf::from("kubectl"), Path::new("/x"), false);
        let args: Vec<_> = invocation
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "kustomize",
                "/x",
                "--load-restrictor=LoadRestrictionsRootOnly"
            ]
        );
        assert!(invocation
            .env
            .iter()
            .any(|(k, v)| k == "HTTPS_PROXY" && v == BLACKHOLE_PROXY));
        let allowed = command.invocation(PathBuf::from("kubectl"), Path::new("/x"), true);
        assert!(allowed.env.is_empty());
    }
}
