//! SSH for git: private key, known_hosts and passphrase files, strict host-key checking and a
//! shared connection per host and credential set.

use crate::credentials::Credentials;
use crate::url::RepoUrl;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

/// Writes the key, known_hosts and (for a passphrase) an askpass helper into a private temporary
/// directory, and builds `GIT_SSH_COMMAND` with strict host-key checking unless told otherwise.
pub(super) fn ssh_env(
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
    // No fsync: the file only lives for one git command, and ssh reads it through the page cache.
    file.write_all(content.as_bytes())?;
    Ok(path.to_string_lossy().into_owned())
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_shared_only_for_identical_credentials() {
        let url = RepoUrl::parse("git@example.com:org/repo").unwrap();
        let a = Credentials {
            identity: Some("key-a".into()),
            ..Default::default()
        };
        let b = Credentials {
            identity: Some("key-b".into()),
            ..Default::default()
        };
        let scratch = Path::new("/cache/tmp");
        assert_eq!(
            control_path(&url, &a, scratch),
            control_path(&url, &a.clone(), scratch)
        );
        assert_ne!(
            control_path(&url, &a, scratch),
            control_path(&url, &b, scratch)
        );
        assert_eq!(
            control_path(&url, &a, &Path::new("/x").join("y".repeat(100))),
            None
        );
    }

    #[test]
    fn secrets_stay_out_of_the_ssh_command() {
        let dir = tempfile::tempdir().unwrap();
        let url = RepoUrl::parse("ssh://git@example.com/org/repo").unwrap();
        let credentials = Credentials {
            identity: Some("PRIVATE-KEY".into()),
            password: Some("passphrase".into()),
            known_hosts: Some("example.com ssh-ed25519 AAAA".into()),
            ..Default::default()
        };
        let (env, files) = ssh_env(&url, &credentials, dir.path(), Duration::from_secs(5)).unwrap();
        let command = &env.iter().find(|(k, _)| k == "GIT_SSH_COMMAND").unwrap().1;
        assert!(command.contains("StrictHostKeyChecking=yes"), "{command}");
        assert!(
            !command.contains("PRIVATE-KEY") && !command.contains("passphrase"),
            "{command}"
        );
        let key = std::fs::metadata(files.path().join("identity")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o777,
            0o600
        );
    }
}
