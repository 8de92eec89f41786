//! kubectl as a real client of an in-process devcluster: a temporary kubeconfig and HOME, the real binary.
//! Tests using it fail (not skip) when kubectl is not installed.

use std::path::PathBuf;

use devcluster::{DevCluster, DevClusterConfig};
use serde_json::Value;

/// A devcluster with a kubeconfig for kubectl.
pub struct Kubectl {
    /// The cluster kubectl talks to.
    pub cluster: DevCluster,
    /// The kubeconfig file.
    pub kubeconfig: PathBuf,
    /// A temporary directory (kubectl's HOME, files written by tests).
    pub dir: tempfile::TempDir,
}

/// What one kubectl run printed.
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Kubectl {
    /// An in-memory devcluster with default settings.
    pub async fn start() -> Kubectl {
        Kubectl::start_with(DevClusterConfig::default()).await
    }

    /// A devcluster with `config`.
    pub async fn start_with(config: DevClusterConfig) -> Kubectl {
        let cluster = DevCluster::start(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, cluster.kubeconfig()).unwrap();
        Kubectl {
            cluster,
            kubeconfig,
            dir,
        }
    }

    /// Runs kubectl with extra environment variables.
    pub async fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let out = self
            .command(args)
            .envs(env.iter().copied())
            .output()
            .await
            .expect("kubectl must be installed to run these tests");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }

    /// Runs kubectl.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    /// Runs kubectl and returns its standard output, failing the test unless it succeeded.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert_eq!(
            out.code, 0,
            "kubectl {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// A kubectl command ready to spawn (for long-running ones such as `get -w`).
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("kubectl");
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path());
        command
    }

    /// Writes a file into the temporary directory; returns its path.
    pub fn file(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    /// `kubectl <args> -o json`, parsed.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all).await).unwrap()
    }
}
