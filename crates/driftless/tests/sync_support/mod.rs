//! Harness of the sync end-to-end tests: Git repositories the tests commit to (served from
//! their directory or by `git daemon`), Application files, and an in-process devcluster with
//! the workload simulator that the real `driftless` binary and kubectl both talk to through a
//! kubeconfig file. Every helper panics loudly when git or kubectl is missing: the tests must
//! not pass by skipping.

// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use devcluster::{DevCluster, DevClusterConfig};
use serde_json::Value;

pub mod watch;

/// How long simulated workloads take to become ready (or to fail).
pub const SIMULATOR_DELAY: Duration = Duration::from_millis(100);

/// The Application CRD as committed under deploy/crds.
fn crd_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds/applications.driftless.dev.yaml")
}

// ---------------------------------------------------------------------------------------------
// Git

/// Runs git in `dir` with a fixed identity; panics with git's message on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git must be installed to run these tests");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A Git repository the test writes and commits to: `<root>/repo`, so that `git daemon` can
/// serve `<root>` as its base path.
pub struct Repo {
    root: tempfile::TempDir,
}

impl Repo {
    /// An empty repository on branch `main`.
    pub fn new() -> Repo {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("repo")).unwrap();
        let repo = Repo { root };
        git(&repo.path(), &["init", "-q", "-b", "main"]);
        repo
    }

    /// The working directory (also the repoURL of a local repository).
    pub fn path(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    /// The repoURL that names the repository by its directory.
    pub fn url(&self) -> String {
        self.path().display().to_string()
    }

    /// Writes `contents` at `file` (relative to the repository root).
    pub fn write(&self, file: &str, contents: &str) -> &Repo {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Removes `file` from the working tree.
    pub fn remove(&self, file: &str) -> &Repo {
        std::fs::remove_file(self.path().join(file)).unwrap();
        self
    }

    /// Commits everything written or removed so far; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        git(&self.path(), &["add", "-A"]);
        git(
            &self.path(),
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        git(&self.path(), &["rev-parse", "HEAD"])
    }

    /// Serves the repository read-only over git:// until the returned daemon is dropped.
    pub fn serve(&self) -> GitDaemon {
        GitDaemon::start(self.root.path())
    }
}

/// A running `git daemon` on a free loopback port; stopped when dropped.
pub struct GitDaemon {
    port: u16,
    child: Child,
}

impl GitDaemon {
    fn start(base: &Path) -> GitDaemon {
        let port = free_port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git must be installed to run git daemon");
        let daemon = GitDaemon { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// The git:// URL of the repository.
    pub fn url(&self) -> String {
        format!("git://127.0.0.1:{}/repo", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------------------------
// Application files

/// An Application manifest, built field by field. Defaults: `default/shop`, source path `app`
/// at `main`, destination namespace `shop`, `CreateNamespace=true`, no automated sync.
#[derive(Clone)]
pub struct App {
    name: String,
    repo_url: String,
    path: String,
    target_revision: String,
    destination: String,
    sync_options: Vec<String>,
    automated: Option<bool>,
    self_heal: bool,
    interval: Option<String>,
    ignore_differences: Vec<String>,
}

impl App {
    /// The Application `default/shop` of the repository at `repo_url`.
    pub fn new(repo_url: &str) -> App {
        App {
            name: "shop".to_owned(),
            repo_url: repo_url.to_owned(),
            path: "app".to_owned(),
            target_revision: "main".to_owned(),
            destination: "shop".to_owned(),
            sync_options: vec!["CreateNamespace=true".to_owned()],
            automated: None,
            self_heal: false,
            interval: None,
            ignore_differences: Vec::new(),
        }
    }

    /// Turns automated sync on, with `prune` as syncPolicy.automated.prune.
    pub fn automated(mut self, prune: bool) -> App {
        self.automated = Some(prune);
        self
    }

    /// Turns syncPolicy.automated.selfHeal on (and automated sync with it).
    pub fn self_heal(mut self) -> App {
        self.automated.get_or_insert(false);
        self.self_heal = true;
        self
    }

    /// Sets spec.interval (a Go duration such as `1s`).
    pub fn interval(mut self, interval: &str) -> App {
        self.interval = Some(interval.to_owned());
        self
    }

    /// Adds a sync option (`Key=value`) to syncPolicy.syncOptions.
    pub fn sync_option(mut self, option: &str) -> App {
        self.sync_options.push(option.to_owned());
        self
    }

    /// Adds an ignoreDifferences rule for `group`/`kind` with these JSON pointers.
    pub fn ignore(mut self, group: &str, kind: &str, pointers: &[&str]) -> App {
        self.ignore_differences.push(format!(
            "  - group: {}\n    kind: {kind}\n    jsonPointers: {}\n",
            quoted(group),
            serde_json::to_string(pointers).unwrap()
        ));
        self
    }

    /// The manifest as YAML.
    pub fn yaml(&self) -> String {
        let mut text = format!(
            "apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata:\n  name: {}\n  \
             namespace: default\nspec:\n  source:\n    repoURL: {}\n    targetRevision: {}\n    \
             path: {}\n  destination:\n    namespace: {}\n  syncPolicy:\n    syncOptions: {}\n",
            self.name,
            quoted(&self.repo_url),
            self.target_revision,
            self.path,
            self.destination,
            serde_json::to_string(&self.sync_options).unwrap(),
        );
        if let Some(prune) = self.automated {
            text.push_str(&format!(
                "    automated: {{prune: {prune}, selfHeal: {}}}\n",
                self.self_heal
            ));
        }
        if let Some(interval) = &self.interval {
            text.push_str(&format!("  interval: {interval}\n"));
        }
        if !self.ignore_differences.is_empty() {
            text.push_str("  ignoreDifferences:\n");
            for rule in &self.ignore_differences {
                text.push_str(rule);
            }
        }
        text
    }
}

/// `value` as a YAML double-quoted string.
fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Manifests

/// A ConfigMap with `data`.
pub fn config_map(name: &str, data: &[(&str, &str)]) -> String {
    config_map_annotated(name, &[], data)
}

/// A ConfigMap with annotations and `data`.
pub fn config_map_annotated(
    name: &str,
    annotations: &[(&str, &str)],
    data: &[(&str, &str)],
) -> String {
    let mut text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    text.push_str(&map_block("  annotations", annotations, 4));
    text.push_str(&map_block("data", data, 2));
    text
}

/// A Deployment of one container running `image`, `replicas` as written (YAML).
pub fn deployment(name: &str, image: &str, replicas: &str) -> String {
    deployment_annotated(name, image, replicas, &[])
}

/// A Deployment with annotations.
pub fn deployment_annotated(
    name: &str,
    image: &str,
    replicas: &str,
    annotations: &[(&str, &str)],
) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{}spec:\n  replicas: \
         {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      \
         labels:\n        app: {name}\n    spec:\n      containers:\n      - name: main\n        \
         image: {image}\n",
        map_block("  annotations", annotations, 4)
    )
}

/// A ClusterIP Service in front of the pods labelled `app: <name>`.
pub fn service(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: \
         {name}\n  ports:\n  - port: 80\n    targetPort: 8080\n"
    )
}

/// A Job running `script` with `sh -c`, with annotations (hook settings).
pub fn job(name: &str, annotations: &[(&str, &str)], script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n{}spec:\n  template:\n    \
         spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: \
         busybox:1.36\n        command: [\"sh\", \"-c\", {}]\n",
        map_block("  annotations", annotations, 4),
        quoted(script)
    )
}

/// A Secret whose `stringData` holds `key: value`.
pub fn secret(name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\nstringData:\n  \
         {key}: {}\n",
        quoted(value)
    )
}

/// `key:` and the pairs below it, indented; nothing when `pairs` is empty.
fn map_block(key: &str, pairs: &[(&str, &str)], indent: usize) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut text = format!("{key}:\n");
    for (k, v) in pairs {
        text.push_str(&format!(
            "{}{}: {}\n",
            " ".repeat(indent),
            quoted(k),
            quoted(v)
        ));
    }
    text
}

/// Joins manifests into one multi-document YAML file.
pub fn documents(manifests: &[String]) -> String {
    manifests.join("---\n")
}

// ---------------------------------------------------------------------------------------------
// The cluster, kubectl and driftless

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics, showing both streams, unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The ChangeSet table rows of the output.
    pub fn rows(&self) -> Vec<Row> {
        table_rows(&self.stdout)
    }

    /// The rows, each as `action kind namespace/name` (see [`Row::brief`]).
    pub fn briefs(&self) -> Vec<String> {
        self.rows().iter().map(Row::brief).collect()
    }

    /// The last line of standard output (the table's summary line).
    pub fn summary(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }
}

/// One row of the ChangeSet table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// created, configured, unchanged, pruned, skipped or failed.
    pub action: String,
    /// `Kind` or `Kind.group`.
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// The message, empty when there is none.
    pub message: String,
}

impl Row {
    /// `action kind namespace/name`, or `action kind name` for a cluster-scoped object.
    pub fn brief(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {} {}", self.action, self.kind, self.name)
        } else {
            format!(
                "{} {} {}/{}",
                self.action, self.kind, self.namespace, self.name
            )
        }
    }
}

/// The rows of the ChangeSet table in `stdout`: the lines after the `ACTION KIND ...` header,
/// cut at the header's column positions, up to the summary line.
pub fn table_rows(stdout: &str) -> Vec<Row> {
    let lines: Vec<&str> = stdout.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("ACTION ")) else {
        panic!("no ChangeSet table in:\n{stdout}");
    };
    let header = lines[start];
    let columns: Vec<usize> = ["KIND", "NAMESPACE", "NAME ", "MESSAGE"]
        .iter()
        .map(|c| {
            header
                .find(c)
                .unwrap_or_else(|| panic!("no {c} in {header}"))
        })
        .collect();
    let cell = |line: &str, from: usize, to: Option<usize>| -> String {
        let chars: Vec<char> = line.chars().collect();
        let end = to.unwrap_or(chars.len()).min(chars.len());
        chars
            .get(from.min(chars.len())..end)
            .map(|c| c.iter().collect::<String>())
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.starts_with("sync ") && !l.starts_with("diff "))
        .map(|line| Row {
            action: cell(line, 0, Some(columns[0])),
            kind: cell(line, columns[0], Some(columns[1])),
            namespace: cell(line, columns[1], Some(columns[2])),
            name: cell(line, columns[2], Some(columns[3])),
            message: cell(line, columns[3], None),
        })
        .collect()
}

/// An in-process devcluster with the workload simulator, its kubeconfig in a file, and the
/// `driftless` binary and kubectl pointed at it. Tests are plain `#[test]`s: the cluster runs
/// on its own runtime so that the blocking commands never starve it.
pub struct Cluster {
    dev: Option<DevCluster>,
    runtime: Option<tokio::runtime::Runtime>,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    /// Starts a cluster whose simulated workloads settle after [`SIMULATOR_DELAY`].
    pub fn start() -> Cluster {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dev = runtime
            .block_on(DevCluster::start(DevClusterConfig {
                simulate: Some(SIMULATOR_DELAY),
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

/// The condition of `type_` among `status.conditions`.
pub fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or_else(|| panic!("no {type_} condition in {status:#}"))
}

/// True when `object.status.conditions` holds `type_` with status True.
pub fn has_true_condition(object: &Value, type_: &str) -> bool {
    object["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == type_ && c["status"] == "True")
    })
}

/// The resourceVersion of a watched object.
pub fn rv_of(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}
