//! An in-process devcluster with the workload simulator, its kubeconfig in a file, and the
//! `driftless` binary and kubectl run against it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use devcluster::{DevCluster, DevClusterConfig};
use serde_json::Value;

use super::{App, Run};

/// How long simulated workloads take to become ready (or to fail).
pub const SIMULATOR_DELAY: Duration = Duration::from_millis(100);

/// The Application CRD as committed under deploy/crds.
fn crd_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds/applications.driftless.dev.yaml")
}

/// An in-process devcluster with the workload simulator, its kubeconfig in a file, and the
/// `driftless` binary and kubectl pointed at it. Tests are plain `#[test]`s: the cluster runs
/// on its own runtime so that the blocking commands never starve it.
pub struct Cluster {
    dev: Option<DevCluster>,
    runtime: Option<tokio::runtime::Runtime>,
    dir: tempfile::TempDir,
    pub(super) kubeconfig: PathBuf,
}

impl Cluster {
    /// Starts a cluster whose simulated workloads settle after [`SIMULATOR_DELAY`].
    pub fn start() -> Cluster {
        Cluster::start_with(None)
    }

    /// Starts a cluster that serves HTTPS and wants `token` on every request (its kubeconfig
    /// carries the CA and the token), as a remote destination does.
    pub fn start_with_token(token: &str) -> Cluster {
        Cluster::start_with(Some(token.to_owned()))
    }

    fn start_with(token: Option<String>) -> Cluster {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dev = runtime
            .block_on(DevCluster::start(DevClusterConfig {
                simulate: Some(SIMULATOR_DELAY),
                token,
                ..DevClusterConfig::default()
            }))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, dev.kubeconfig()).unwrap();
        Cluster {
            dev: Some(dev),
            runtime: Some(runtime),
            dir,
            kubeconfig,
        }
    }

    /// The kubeconfig's text (with the CA and token of a cluster that has them).
    pub fn kubeconfig_text(&self) -> String {
        std::fs::read_to_string(&self.kubeconfig).unwrap()
    }

    /// A path in this cluster's scratch directory.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes the Application file and returns its path.
    pub fn app_file(&self, app: &App) -> PathBuf {
        let path = self.scratch("app.yaml");
        std::fs::write(&path, app.yaml()).unwrap();
        path
    }

    /// Runs `driftless <args>` against this cluster (KUBECONFIG), with its own repository cache.
    pub fn driftless(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_driftless"))
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("DRIFTLESS_CACHE_DIR", self.scratch("repository-cache"))
            .env_remove("DRIFTLESS_KUBECONFIG")
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        Run::from(output)
    }

    /// `driftless sync -f <app file> <extra>`.
    pub fn sync(&self, app: &App, extra: &[&str]) -> Run {
        let file = self.app_file(app);
        let mut args = vec!["sync", "-f", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.driftless(&args)
    }

    /// `driftless diff -f <app file> <extra>`.
    pub fn diff(&self, app: &App, extra: &[&str]) -> Run {
        let file = self.app_file(app);
        let mut args = vec!["diff", "-f", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.driftless(&args)
    }

    fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .args(args)
            .arg("--cache-dir")
            .arg(self.scratch("kubectl-cache"))
            .env("KUBECONFIG", &self.kubeconfig);
        command
    }

    /// Runs kubectl against this cluster.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        let output = self
            .kubectl_command(args)
            .output()
            .expect("kubectl must be installed to run these tests");
        Run::from(output)
    }

    /// Runs kubectl with `stdin` as its input.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .kubectl_command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl must be installed to run these tests");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// Runs kubectl and panics unless it succeeds; returns its standard output.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let run = self.kubectl(args);
        assert_eq!(run.code, 0, "kubectl {args:?}: {}", run.stderr);
        run.stdout
    }

    /// `kubectl get <what> -o json`, parsed.
    pub fn get(&self, what: &[&str]) -> Value {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        args.extend_from_slice(&["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&args)).unwrap()
    }

    /// The object `kind/name` in `namespace`, or `None` when it does not exist.
    pub fn find(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let run = self.kubectl(&[
            "get",
            kind,
            name,
            "-n",
            namespace,
            "-o",
            "json",
            "--ignore-not-found",
        ]);
        assert_eq!(run.code, 0, "kubectl get {kind} {name}: {}", run.stderr);
        (!run.stdout.trim().is_empty()).then(|| serde_json::from_str(&run.stdout).unwrap())
    }

    /// The resourceVersion of `kind/name` in `namespace`; panics when it does not exist.
    pub fn resource_version(&self, kind: &str, namespace: &str, name: &str) -> u64 {
        let object = self
            .find(kind, namespace, name)
            .unwrap_or_else(|| panic!("{kind} {namespace}/{name} does not exist"));
        object["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The cluster's current resourceVersion (one counter for every object).
    pub fn current_resource_version(&self) -> u64 {
        let list: Value =
            serde_json::from_str(&self.kubectl_ok(&["get", "--raw", "/api/v1/namespaces"]))
                .unwrap();
        list["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The watch events of the resource at API path `path` (such as `/apis/batch/v1/jobs`)
    /// since resourceVersion `since`, read by kubectl from a watch the server ends after a second.
    pub fn events_since(&self, path: &str, since: u64) -> Vec<(String, Value)> {
        let url = format!("{path}?watch=1&resourceVersion={since}&timeoutSeconds=1");
        let stdout = self.kubectl_ok(&["get", "--raw", &url]);
        serde_json::Deserializer::from_str(&stdout)
            .into_iter::<Value>()
            .map(|event| {
                let event = event.unwrap();
                (
                    event["type"].as_str().unwrap_or_default().to_owned(),
                    event["object"].clone(),
                )
            })
            .collect()
    }

    /// Installs the committed Application CRD with kubectl and waits until it is established.
    pub fn install_application_crd(&self) {
        self.kubectl_ok(&["apply", "-f", crd_path().to_str().unwrap()]);
        self.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "crd/applications.driftless.dev",
            "--timeout=10s",
        ]);
    }

    /// Creates (or updates) the Application in the cluster with kubectl, as a user would.
    pub fn apply_application(&self, app: &App) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let run = self.kubectl_stdin(&["apply", "-f", "-"], &app.yaml());
            if run.code == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "kubectl apply of the Application: {}",
                run.stderr
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The Application's status as kubectl reads it.
    pub fn application_status(&self) -> Value {
        self.get(&["application", "shop", "-n", "default"])["status"].clone()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            let guard = runtime.enter();
            drop(self.dev.take());
            drop(guard);
            runtime.shutdown_background();
        }
    }
}
