//! OpenSSH's sshd on a random loopback port, accepting one generated client key; git runs as the
//! current user through it. Needs the Debian package openssh-server (installed by .ci/setup).

use super::{free_port, wait_for_port, Daemon};
use std::path::Path;
use std::process::{Command, Stdio};

const SSHD: &str = "/usr/sbin/sshd";

/// A running sshd and the client material to reach it; stopped when dropped.
pub struct Sshd {
    /// The port it listens on.
    pub port: u16,
    /// The client's private key (OpenSSH format).
    pub client_key: String,
    /// A known_hosts line for this server.
    pub known_hosts: String,
    /// The user git logs in as.
    pub user: String,
    _child: Daemon,
    _dir: tempfile::TempDir,
}

fn keygen(path: &Path, passphrase: &str) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client) must be installed");
    assert!(status.success(), "ssh-keygen failed");
}

impl Drop for Sshd {
    /// Ends the per-connection sshd processes too (they outlive the listener), so that shared
    /// client connections (`ControlMaster`) close with the test instead of idling on.
    fn drop(&mut self) {
        let listener = self._child.0.id();
        for pid in children_of(listener) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
}

/// Process ids whose parent is `parent`, read from /proc.
fn children_of(parent: u32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let after_name = &stat[stat.rfind(')')? + 2..];
            let ppid: u32 = after_name.split(' ').nth(1)?.parse().ok()?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

impl Sshd {
    /// Starts sshd; the client key is protected by `passphrase` (empty for none).
    pub fn start(passphrase: &str) -> Self {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (see .ci/setup)"
        );
        let dir = tempfile::tempdir().unwrap();
        let (host_key, client_key) = (dir.path().join("host"), dir.path().join("client"));
        keygen(&host_key, "");
        keygen(&client_key, passphrase);
        std::fs::copy(
            dir.path().join("client.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let port = free_port();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {keys}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nAcceptEnv GIT_PROTOCOL\n\
             PidFile {dir}/sshd.pid\nLogLevel ERROR\n",
            host = host_key.display(),
            keys = dir.path().join("authorized_keys").display(),
            dir = dir.path().display(),
        );
        let config_path = dir.path().join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd must start");
        let child = Daemon(child);
        wait_for_port(port, "sshd");
        let host_public = std::fs::read_to_string(dir.path().join("host.pub")).unwrap();
        Sshd {
            port,
            client_key: std::fs::read_to_string(&client_key).unwrap(),
            known_hosts: format!("[127.0.0.1]:{port} {}", host_public.trim()),
            user,
            _child: child,
            _dir: dir,
        }
    }

    /// The ssh:// URL of the repository at absolute `path`.
    pub fn url(&self, path: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            path.display()
        )
    }

    /// The scp-like `user@[host:port]:path` spelling of the same URL.
    pub fn scp_url(&self, path: &Path) -> String {
        format!("{}@[127.0.0.1:{}]:{}", self.user, self.port, path.display())
    }
}
