//! Running the git CLI: an isolated environment (no user or system config, no prompts),
//! credentials passed through the environment and private files (never the command line), a
//! timeout that kills the whole process group, and failures classified into typed errors.

use crate::credentials::Credentials;
use crate::url::{RepoUrl, Transport};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
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
/// invisible to `ps`): no credential helpers, protocol v2, no background gc in the mirror.
const BASE_CONFIG: &[(&str, &str)] = &[
    ("credential.helper", ""),
    ("protocol.version", "2"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("fetch.writeCommitGraph", "false"),
    ("core.askPass", ""),
];

/// A `std::process::Command` for a local git operation in `git_dir`, with the isolated environment.
pub(crate) fn local_command(git_dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    for (key, value) in isolated_env(&[]) {
        cmd.env(key, value);
    }
    cmd.env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .arg("--git-dir")
        .arg(git_dir);
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
        let mut cmd = tokio::process::Command::new("git");
        cmd.env_remove("GIT_ASKPASS").env_remove("SSH_ASKPASS");
        cmd.envs(isolated_env(&transport.config))
            .envs(transport.vars.iter().cloned());
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

/// Writes the key, known_hosts and (for a passphrase) an askpass helper into a private temporary
/// directory, and builds `GIT_SSH_COMMAND` with strict host-key checking unless told otherwise.
fn ssh_env(
    url: &RepoUrl,
    credentials: &Credentials,
    scratch: &Path,
    timeout: Duration,
) -> std::io::Result<(Vec<(String, String)>, TempDir)> {
    let dir = tempfile::Builder::new()
        .prefix("ssh-")
        .tempdir_in(scratch)?;
    let mut ssh = vec![
        "ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o LogLevel=ERROR"
            .to_string(),
        "-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no".to_string(),
        format!("-o ConnectTimeout={}", timeout.as_secs().max(1)),
        "-o GlobalKnownHostsFile=/dev/null".to_string(),
    ];
    let mut env = vec![("GIT_SSH_VARIANT".to_string(), "ssh".to_string())];
    if let Some(identity) = &credentials.identity {
        let key = write_private(dir.path(), "identity", &normalise_key(identity), 0o600)?;
        ssh.push(format!("-i {}", shell_quote(&key)));
    }
    if credentials.insecure_skip_host_key_check {
        ssh.push("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null".into());
    } else {
        let known = credentials.known_hosts.as_deref().unwrap_or("");
        let file = write_private(dir.path(), "known_hosts", known, 0o600)?;
        ssh.push(format!(
            "-o StrictHostKeyChecking=yes -o UserKnownHostsFile={}",
            shell_quote(&file)
        ));
    }
    match &credentials.password {
        Some(passphrase) if credentials.identity.is_some() => {
            let script = "#!/bin/sh\nprintf '%s\\n' \"$DRIFTLESS_SSH_PASSPHRASE\"\n";
            let askpass = write_private(dir.path(), "askpass", script, 0o700)?;
            env.push(("SSH_ASKPASS".into(), askpass));
            env.push(("SSH_ASKPASS_REQUIRE".into(), "force".into()));
            env.push(("DISPLAY".into(), "none".into()));
            env.push(("DRIFTLESS_SSH_PASSPHRASE".into(), passphrase.clone()));
        }
        _ => ssh.push("-o BatchMode=yes".into()),
    }
    if let Some(socket) = control_path(url, credentials, scratch) {
        ssh.push(format!(
            "-o ControlMaster=auto -o ControlPersist={CONTROL_PERSIST_SECS} -o ControlPath={}",
            shell_quote(&socket)
        ));
    }
    env.push(("GIT_SSH_COMMAND".into(), ssh.join(" ")));
    Ok((env, dir))
}

/// How long an idle SSH master connection is kept for the next poll.
const CONTROL_PERSIST_SECS: u64 = 120;

/// The socket of the shared SSH connection for this host and exactly these credentials (so a
/// different key or known_hosts never rides on another's connection); `None` when the path
/// would be too long for a Unix socket (ssh appends 17 characters while creating it).
fn control_path(url: &RepoUrl, credentials: &Credentials, scratch: &Path) -> Option<String> {
    let mut hasher = Sha256::new();
    for part in [
        Some(url.canonical()),
        credentials.identity.as_deref(),
        credentials.known_hosts.as_deref(),
        credentials.password.as_deref(),
    ] {
        hasher.update(part.unwrap_or("").as_bytes());
        hasher.update([0]);
    }
    hasher.update([u8::from(credentials.insecure_skip_host_key_check)]);
    let digest: String = hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = scratch
        .join(format!("m-{digest}"))
        .to_string_lossy()
        .into_owned();
    (path.len() + 17 < 104).then_some(path)
}

/// OpenSSH refuses a key whose last line lacks a newline; Secrets often lose it.
fn normalise_key(key: &str) -> String {
    let mut key = key.replace("\r\n", "\n");
    if !key.ends_with('\n') {
        key.push('\n');
    }
    key
}

fn write_private(dir: &Path, name: &str, content: &str, mode: u32) -> std::io::Result<String> {
    let path = dir.join(name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()?;
    Ok(path.to_string_lossy().into_owned())
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Patterns of git's, curl's and ssh's messages, checked in this order.
const HOST_KEY: &[&str] = &[
    "host key verification failed",
    "remote host identification has changed",
    "host key is known",
];
const AUTH: &[&str] = &[
    "authentication failed",
    "could not read username",
    "could not read password",
    "permission denied (publickey",
    "permission denied, please try again",
    "returned error: 401",
    "returned error: 403",
    "terminal prompts disabled",
    "incorrect passphrase",
];
const NOT_FOUND: &[&str] = &[
    "returned error: 404",
    "repository not found",
    "does not appear to be a git repository",
    "access denied or repository not exported",
    "no such repository",
    "' not found",
];
const UNKNOWN_REVISION: &[&str] = &[
    "not our ref",
    "couldn't find remote ref",
    "no such remote ref",
    "unadvertised object",
];
const CORRUPT: &[&str] = &[
    "early eof",
    "index-pack failed",
    "bad pack",
    "pack has bad object",
    "inflate",
    "protocol error",
    "unexpected disconnect",
    "invalid index-pack output",
    "did not receive expected object",
    "premature end of pack",
    "pack signature",
    "pack is corrupted",
    "missing necessary objects",
];
const UNREACHABLE: &[&str] = &[
    "could not resolve host",
    "could not resolve hostname",
    "connection refused",
    "failed to connect",
    "couldn't connect",
    "unable to connect",
    "connection timed out",
    "no route to host",
    "network is unreachable",
    "unable to look up",
    "name or service not known",
    "temporary failure in name resolution",
    "connection reset",
    "kex_exchange_identification",
];

/// Turns git's stderr into the error that names the cause.
pub(crate) fn classify(step: Step, repo: &str, stderr: &str) -> GitError {
    let lower = stderr.to_ascii_lowercase();
    let has = |patterns: &[&str]| patterns.iter().any(|p| lower.contains(p));
    let repo = repo.to_string();
    let detail = summarise(stderr);
    if has(HOST_KEY) {
        GitError::HostKeyRejected { repo, detail }
    } else if has(AUTH) {
        GitError::AuthenticationFailed { repo, detail }
    } else if has(NOT_FOUND) {
        GitError::RepositoryNotFound { repo, detail }
    } else if has(UNKNOWN_REVISION) {
        GitError::UnknownRevision { repo, detail }
    } else if has(CORRUPT) {
        GitError::CorruptPack { repo, step, detail }
    } else if has(UNREACHABLE) {
        GitError::Unreachable { repo, step, detail }
    } else {
        GitError::Failed { repo, step, detail }
    }
}

/// The last few non-empty lines of git's message, on one line, at most 400 characters.
fn summarise(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(4)..].join(" | ");
    match tail.char_indices().nth(400) {
        Some((cut, _)) => format!("{}...", &tail[..cut]),
        None if tail.is_empty() => "(no message)".to_string(),
        None => tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(stderr: &str) -> String {
        let err = classify(Step::Fetch, "https://h/r", stderr);
        format!("{err:?}")
            .split([' ', '{'])
            .next()
            .unwrap()
            .to_string()
    }

    #[test]
    fn classifies_common_failures() {
        assert_eq!(
            kind("fatal: unable to access 'https://h/r/': Could not resolve host: h"),
            "Unreachable"
        );
        assert_eq!(kind("fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused"), "Unreachable");
        assert_eq!(
            kind("fatal: Authentication failed for 'http://127.0.0.1:1/r/'"),
            "AuthenticationFailed"
        );
        assert_eq!(kind("git@h: Permission denied (publickey).\nfatal: Could not read from remote repository."), "AuthenticationFailed");
        assert_eq!(
            kind("Host key verification failed.\nfatal: Could not read from remote repository."),
            "HostKeyRejected"
        );
        assert_eq!(
            kind("remote: Repository not found.\nfatal: repository 'https://h/r/' not found"),
            "RepositoryNotFound"
        );
        assert_eq!(
            kind("fatal: remote error: upload-pack: not our ref 1234"),
            "UnknownRevision"
        );
        assert_eq!(
            kind("error: RPC failed\nfatal: early EOF\nfatal: index-pack failed"),
            "CorruptPack"
        );
        assert_eq!(kind("fatal: something new"), "Failed");
    }

    #[test]
    fn detail_keeps_the_last_lines_only() {
        let long = (0..10)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(summarise(&long), "line 6 | line 7 | line 8 | line 9");
        assert_eq!(summarise("\n\n"), "(no message)");
        assert!(summarise(&"x".repeat(1000)).len() < 410);
    }

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
