//! Running the git CLI: an isolated environment (no user or system config, no prompts),
//! credentials passed through the environment and private files (never the command line), a
//! timeout that kills the whole process group, and failures classified into typed errors.

mod classify;
mod ssh;

use classify::classify;
use ssh::ssh_env;

use crate::credentials::Credentials;
use crate::url::{RepoUrl, Transport};
use base64::Engine;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// What git was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `git ls-remote`: listing the remote's refs.
    ListRefs,
    /// `git fetch`: downloading objects into the local mirror.
    Fetch,
    /// Creating or reading the local mirror repository.
    Mirror,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::ListRefs => "listing refs",
            Step::Fetch => "fetching",
            Step::Mirror => "updating the local mirror",
        })
    }
}

/// A git command that failed, classified by cause. `repo` is the display form of the URL and
/// `detail` is git's own message with every secret value replaced by `***`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GitError {
    /// The `git` executable is not installed or not on `PATH`.
    #[error("the git executable was not found; install git")]
    GitMissing {
        /// The spawn error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// git could not be started for another reason.
    #[error("starting git for {step} failed")]
    Spawn {
        /// What git was to do.
        step: Step,
        /// The spawn error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// Writing the private key, known_hosts or askpass helper for SSH failed.
    #[error("preparing SSH credential files failed")]
    PrepareCredentials {
        /// The file-system error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The host could not be reached (DNS, refused or dropped connection).
    #[error("{step} {repo}: host unreachable: {detail}")]
    Unreachable {
        /// The repository.
        repo: String,
        /// What git was doing.
        step: Step,
        /// git's message.
        detail: String,
    },
    /// The server refused the credentials (or asked for some and none were given).
    #[error("{repo}: authentication failed: {detail}")]
    AuthenticationFailed {
        /// The repository.
        repo: String,
        /// git's message.
        detail: String,
    },
    /// The SSH host key is unknown or does not match `known_hosts`.
    #[error("{repo}: SSH host key verification failed (check known_hosts): {detail}")]
    HostKeyRejected {
        /// The repository.
        repo: String,
        /// git's message.
        detail: String,
    },
    /// The server has no repository at that path.
    #[error("{repo}: repository not found: {detail}")]
    RepositoryNotFound {
        /// The repository.
        repo: String,
        /// git's message.
        detail: String,
    },
    /// The server does not have the commit or ref that was asked for.
    #[error("{repo}: unknown revision: {detail}")]
    UnknownRevision {
        /// The repository.
        repo: String,
        /// git's message.
        detail: String,
    },
    /// The pack the server sent was corrupt or cut short.
    #[error("{step} {repo}: corrupt or truncated pack: {detail}")]
    CorruptPack {
        /// The repository.
        repo: String,
        /// What git was doing.
        step: Step,
        /// git's message.
        detail: String,
    },
    /// git did not finish within the fetch timeout and was killed.
    #[error("{step} {repo}: timed out after {after:?}")]
    TimedOut {
        /// The repository.
        repo: String,
        /// What git was doing.
        step: Step,
        /// The timeout that expired.
        after: Duration,
    },
    /// Any other git failure.
    #[error("{step} {repo}: git failed: {detail}")]
    Failed {
        /// The repository.
        repo: String,
        /// What git was doing.
        step: Step,
        /// git's message.
        detail: String,
    },
}

impl GitError {
    /// True when trying again later may succeed (network trouble, timeouts, corrupt transfers);
    /// false for refused credentials, host keys, missing repositories and unknown revisions.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GitError::Unreachable { .. }
                | GitError::CorruptPack { .. }
                | GitError::TimedOut { .. }
                | GitError::Failed { .. }
        )
    }
}

/// Configuration every git invocation gets, through `GIT_CONFIG_*` variables (not argv, so it is
/// invisible to `ps`): no credential helpers, protocol v2, no background gc in the mirror, and
/// every fetched pack kept whole: index-pack moves a pack into place only once it is verified, so
/// a broken transfer leaves nothing behind (unpack-objects, git's default for small fetches,
/// would keep the objects before the damage, e.g. a commit without its tree).
const BASE_CONFIG: &[(&str, &str)] = &[
    ("fetch.unpackLimit", "1"),
    ("credential.helper", ""),
    ("protocol.version", "2"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("fetch.writeCommitGraph", "false"),
    ("core.askPass", ""),
];

/// A `std::process::Command` for a local git operation in `git_dir`, with the isolated environment.
pub(crate) fn local_command(git_dir: &Path) -> std::process::Command {
    let mut cmd = git_command(&[]);
    cmd.arg("--git-dir").arg(git_dir);
    cmd
}

/// `git` with the isolated environment, `extra_config` added to [`BASE_CONFIG`], and no
/// inherited askpass helper.
fn git_command(extra_config: &[(String, String)]) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.envs(isolated_env(extra_config))
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS");
    cmd
}

/// Maps a failure to start git to the right error.
pub(crate) fn spawn_error(step: Step, error: std::io::Error) -> GitError {
    if error.kind() == std::io::ErrorKind::NotFound {
        GitError::GitMissing {
            source: Arc::new(error),
        }
    } else {
        GitError::Spawn {
            step,
            source: Arc::new(error),
        }
    }
}

fn isolated_env(extra_config: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = vec![
        ("GIT_TERMINAL_PROMPT".to_string(), "0".to_string()),
        ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()),
        ("LC_ALL".into(), "C".into()),
    ];
    let config: Vec<(String, String)> = BASE_CONFIG
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(extra_config.iter().cloned())
        .collect();
    env.push(("GIT_CONFIG_COUNT".into(), config.len().to_string()));
    for (i, (key, value)) in config.into_iter().enumerate() {
        env.push((format!("GIT_CONFIG_KEY_{i}"), key));
        env.push((format!("GIT_CONFIG_VALUE_{i}"), value));
    }
    env
}

/// Runs network git commands against one remote with its credentials and a timeout.
pub(crate) struct Remote<'a> {
    /// The remote.
    pub url: &'a RepoUrl,
    /// Its credentials.
    pub credentials: &'a Credentials,
    /// Where private SSH files may be written (a directory only this process uses).
    pub scratch: &'a Path,
    /// Kill git after this long.
    pub timeout: Duration,
}

impl Remote<'_> {
    /// Runs `git [--git-dir DIR] ARGS...` and returns its stdout, or the classified failure.
    pub(crate) async fn run(
        &self,
        step: Step,
        git_dir: Option<&Path>,
        args: &[String],
    ) -> Result<String, GitError> {
        let transport = self.transport_env(step)?;
        let mut cmd = tokio::process::Command::from(git_command(&transport.config));
        cmd.envs(transport.vars.iter().cloned());
        if let Some(dir) = git_dir {
            cmd.arg("--git-dir").arg(dir);
        }
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let child = cmd.spawn().map_err(|e| spawn_error(step, e))?;
        let mut group = ProcessGroup(child.id());
        let waited = tokio::time::timeout(self.timeout, child.wait_with_output()).await;
        let output = match waited {
            Err(_) => {
                return Err(GitError::TimedOut {
                    repo: self.url.to_string(),
                    step,
                    after: self.timeout,
                });
            }
            Ok(result) => result.map_err(|e| spawn_error(step, e))?,
        };
        group.0 = None;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let stderr = self
            .credentials
            .scrub(&String::from_utf8_lossy(&output.stderr));
        Err(classify(step, &self.url.to_string(), &stderr))
    }

    /// The config entries, environment variables and private files for one command of `step`.
    fn transport_env(&self, step: Step) -> Result<TransportEnv, GitError> {
        let mut env = TransportEnv::default();
        match self.url.transport() {
            Transport::Http | Transport::Https => env.config = http_auth_config(self.credentials),
            Transport::Ssh => {
                let (vars, files) = ssh_env(self.url, self.credentials, self.scratch, self.timeout)
                    .map_err(|e| GitError::PrepareCredentials {
                        source: Arc::new(e),
                    })?;
                env.vars = vars;
                env._files = Some(files);
            }
            // Protocol v2 writes its ls-refs request in several small segments, which stall for
            // the 40 ms delayed-ACK timer on a git:// socket; v0 needs no request to list refs.
            Transport::Git if step == Step::ListRefs => {
                env.config = vec![("protocol.version".into(), "0".into())]
            }
            Transport::Git | Transport::File | Transport::Local => {}
        }
        Ok(env)
    }
}

/// What one network command needs beyond the isolated environment.
#[derive(Default)]
struct TransportEnv {
    /// Extra `GIT_CONFIG_*` entries.
    config: Vec<(String, String)>,
    /// Extra environment variables.
    vars: Vec<(String, String)>,
    /// Private files that must outlive the command.
    _files: Option<TempDir>,
}

/// Kills the process group of a git command that is abandoned (timed out or cancelled), so that
/// helpers such as `git-remote-https`, `ssh` and `index-pack` do not outlive it.
struct ProcessGroup(Option<u32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

fn http_auth_config(credentials: &Credentials) -> Vec<(String, String)> {
    let header = match (
        &credentials.bearer_token,
        &credentials.username,
        &credentials.password,
    ) {
        (Some(token), _, _) => format!("Authorization: Bearer {token}"),
        (None, Some(user), password) => {
            let pair = format!("{user}:{}", password.as_deref().unwrap_or(""));
            format!(
                "Authorization: Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        }
        (None, None, _) => return Vec::new(),
    };
    vec![("http.extraHeader".to_string(), header)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_headers() {
        let basic = Credentials {
            username: Some("u".into()),
            password: Some("p".into()),
            ..Default::default()
        };
        assert_eq!(http_auth_config(&basic)[0].1, "Authorization: Basic dTpw");
        let bearer = Credentials {
            bearer_token: Some("t0k".into()),
            ..basic
        };
        assert_eq!(http_auth_config(&bearer)[0].1, "Authorization: Bearer t0k");
        assert!(http_auth_config(&Credentials::default()).is_empty());
    }
}
