//! Everything the demo sets up before the controller starts: the data directory, devcluster,
//! the kubeconfig, the example repository, the Application CRD, the namespace and one
//! Application per example. Each step is idempotent, so a second start resumes the first.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use devcluster::{DevCluster, DevClusterConfig};
use driftless_core::application::Application;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{json, Value};

use super::sample::{self, Example, BRANCH, EXAMPLES};
use super::secrets;

/// The namespace of the demo's Applications (and the kubeconfig's default namespace).
pub const NAMESPACE: &str = "driftless";
/// Field manager of what the demo itself applies (the CRD, the namespace, the Applications).
const FIELD_MANAGER: &str = "driftless-demo";
/// How long simulated workloads take to become ready.
pub const SIMULATE_DELAY: Duration = Duration::from_millis(500);
/// How long the Application kind may take to be served after its CRD is applied.
const CRD_SERVED_TIMEOUT: Duration = Duration::from_secs(10);

/// The files and directories of the demo, under one absolute data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDir {
    root: PathBuf,
}

impl DemoDir {
    /// Creates `dir` if missing, checks that files can be written in it, and makes it absolute.
    pub fn open(dir: &Path) -> anyhow::Result<DemoDir> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        let root = std::fs::canonicalize(dir)
            .with_context(|| format!("cannot resolve the data directory {}", dir.display()))?;
        let probe = root.join(".write-test");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .with_context(|| format!("the data directory {} is not writable", root.display()))?;
        Ok(DemoDir { root })
    }

    /// Takes the directory for this process: one demo at a time may use it (two would run two
    /// clusters over one store). Held until the returned file is dropped.
    pub fn lock(&self) -> anyhow::Result<std::fs::File> {
        let path = self.root.join("demo.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "another `driftless demo` is using {}; stop it first or choose another --data-dir",
                self.root.display()
            ),
            Err(std::fs::TryLockError::Error(error)) => {
                Err(error).with_context(|| format!("locking {}", path.display()))
            }
        }
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// devcluster's durable state.
    pub fn cluster(&self) -> PathBuf {
        self.root.join("cluster")
    }

    /// The example Git repository.
    pub fn repo(&self) -> PathBuf {
        self.root.join("repo")
    }

    /// The kubeconfig for kubectl and `driftless app`.
    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }

    /// The controller's repository cache.
    pub fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// The file holding the admin API token.
    pub fn api_token(&self) -> PathBuf {
        self.root.join("api-token")
    }

    /// The file holding the webhook secret.
    pub fn webhook_secret(&self) -> PathBuf {
        self.root.join("webhook-secret")
    }

    /// The repoURL of the demo's Applications: `file://` and the repository's absolute path.
    pub fn repo_url(&self) -> String {
        format!("file://{}", self.repo().display())
    }
}

/// What the setup leaves running or decided for the rest of the demo.
pub struct Prepared {
    /// The data directory.
    pub dir: DemoDir,
    /// The running cluster.
    pub cluster: DevCluster,
    /// The admin API token.
    pub admin_token: String,
    /// The webhook secret.
    pub webhook_secret: String,
    /// True when this start created the example repository (false: an existing one is reused).
    pub created_repo: bool,
}

/// Sets up everything but the controller: secrets, the repository, devcluster on
/// `cluster_listen` with the simulator, the kubeconfig, the CRD, the namespace and the
/// Applications. On an error after devcluster started, devcluster is stopped again.
pub async fn prepare(dir: DemoDir, cluster_listen: SocketAddr) -> anyhow::Result<Prepared> {
    let admin_token = secrets::load_or_create(&dir.api_token())?;
    let webhook_secret = secrets::load_or_create(&dir.webhook_secret())?;
    let created_repo = sample::ensure_repository(&dir.repo())?;
    let cluster = DevCluster::start(DevClusterConfig {
        listen: cluster_listen,
        data_dir: Some(dir.cluster()),
        simulate: Some(SIMULATE_DELAY),
        ..DevClusterConfig::default()
    })
    .await
    .context("starting devcluster")?;
    let installed = async {
        let kubeconfig = with_namespace(cluster.kubeconfig(), NAMESPACE)?;
        secrets::write_private(&dir.kubeconfig(), &kubeconfig)
            .with_context(|| format!("writing {}", dir.kubeconfig().display()))?;
        install(&cluster.client(), &dir.repo_url()).await
    }
    .await;
    if let Err(error) = installed {
        cluster.stop(Duration::from_secs(2)).await;
        return Err(error);
    }
    Ok(Prepared {
        dir,
        cluster,
        admin_token,
        webhook_secret,
        created_repo,
    })
}

/// The kubeconfig `text` with `namespace` as the namespace of every context.
pub fn with_namespace(text: &str, namespace: &str) -> anyhow::Result<String> {
    let mut config: Value =
        serde_saphyr::from_str(text).context("reading devcluster's kubeconfig")?;
    let Some(contexts) = config.get_mut("contexts").and_then(Value::as_array_mut) else {
        bail!("devcluster's kubeconfig has no contexts");
    };
    for entry in contexts {
        if let Some(context) = entry.get_mut("context").and_then(Value::as_object_mut) {
            context.insert("namespace".into(), Value::String(namespace.into()));
        }
    }
    let mut text = serde_saphyr::to_string(&config).context("writing the kubeconfig")?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Applies (server-side) the Application CRD, the namespace and one Application per example.
pub async fn install(client: &kube::Client, repo_url: &str) -> anyhow::Result<()> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let crd = driftless_core::application::crd().context("generating the Application CRD")?;
    let crd_name = crd.metadata.name.clone().unwrap_or_default();
    Api::<CustomResourceDefinition>::all(client.clone())
        .patch(&crd_name, &params, &Patch::Apply(&crd))
        .await
        .context("installing the Application CRD")?;
    let namespace =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}});
    Api::<Namespace>::all(client.clone())
        .patch(NAMESPACE, &params, &Patch::Apply(&namespace))
        .await
        .with_context(|| format!("creating the namespace {NAMESPACE}"))?;
    let apps = Api::<Application>::namespaced(client.clone(), NAMESPACE);
    let deadline = Instant::now() + CRD_SERVED_TIMEOUT;
    for example in EXAMPLES {
        let manifest = application(example, repo_url);
        loop {
            match apps
                .patch(example.name, &params, &Patch::Apply(&manifest))
                .await
            {
                Ok(_) => break,
                // The kind may not be served for a moment after its CRD is created.
                Err(kube::Error::Api(status))
                    if status.code == 404 && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("applying the Application {}", example.name))
                }
            }
        }
    }
    Ok(())
}

/// The Application of one example, as the demo applies it.
pub fn application(example: &Example, repo_url: &str) -> Value {
    json!({
        "apiVersion": "driftless.dev/v1alpha1",
        "kind": "Application",
        "metadata": {"name": example.name, "namespace": NAMESPACE},
        "spec": {
            "source": {"repoURL": repo_url, "targetRevision": BRANCH, "path": example.path},
            "destination": {"name": "in-cluster", "namespace": format!("demo-{}", example.name)},
            "syncPolicy": {
                "automated": {"prune": true, "selfHeal": true},
                "syncOptions": ["CreateNamespace=true"],
            },
            "interval": "1m",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_application_parses_as_an_application_and_follows_main_of_the_repo() {
        for example in EXAMPLES {
            let value = application(example, "file:///data/repo");
            let app: Application = serde_json::from_value(value).unwrap();
            assert_eq!(app.spec.source.repo_url, "file:///data/repo");
            assert_eq!(app.spec.source.target_revision, "main");
            assert_eq!(app.spec.source.path, example.path);
            assert_eq!(
                app.spec.destination.namespace,
                format!("demo-{}", example.name)
            );
            let automated = app.spec.sync_policy.automated.unwrap();
            assert!(automated.prune && automated.self_heal);
            assert_eq!(app.spec.sync_policy.sync_options, ["CreateNamespace=true"]);
            assert_eq!(app.spec.interval, "1m");
        }
    }

    #[test]
    fn the_kubeconfig_defaults_to_the_demo_namespace() {
        let endpoint = devcluster::kubeconfig::Endpoint::plain("http://127.0.0.1:1234");
        let text = devcluster::kubeconfig::render(&endpoint, None);
        let changed = with_namespace(&text, NAMESPACE).unwrap();
        let config: Value = serde_saphyr::from_str(&changed).unwrap();
        assert_eq!(config["contexts"][0]["context"]["namespace"], "driftless");
        assert_eq!(
            config["clusters"][0]["cluster"]["server"],
            "http://127.0.0.1:1234"
        );
        assert_eq!(config["current-context"], "devcluster");
        assert!(changed.ends_with('\n'));
    }

    #[test]
    fn an_unwritable_data_directory_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let error = DemoDir::open(&file.join("demo")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("cannot create the data directory"),
            "{error}"
        );
    }

    #[test]
    fn one_demo_at_a_time_uses_a_data_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DemoDir::open(tmp.path()).unwrap();
        let held = dir.lock().unwrap();
        let error = dir.lock().unwrap_err().to_string();
        assert!(
            error.contains("another `driftless demo` is using"),
            "{error}"
        );
        drop(held);
        dir.lock().unwrap();
    }

    /// The whole setup against a real devcluster, twice on the same directory: the second
    /// start keeps the repository's history and the Applications (and their status).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn setup_creates_everything_once_and_resumes_on_restart() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DemoDir::open(&tmp.path().join("demo")).unwrap();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();

        let first = prepare(dir.clone(), listen).await.unwrap();
        assert!(first.created_repo);
        let apps = Api::<Application>::namespaced(first.cluster.client(), NAMESPACE);
        let listed = apps.list(&Default::default()).await.unwrap();
        let mut names: Vec<_> = listed
            .items
            .iter()
            .filter_map(|a| a.metadata.name.clone())
            .collect();
        names.sort();
        assert_eq!(names, ["dashboard", "guestbook", "podinfo", "waves"]);
        for app in &listed.items {
            assert_eq!(app.spec.source.repo_url, dir.repo_url());
        }
        // Something the controller would write, to see that a restart keeps it.
        let status = json!({"status": {"sync": {"status": "Synced", "revision": "abc"}}});
        apps.patch_status("guestbook", &PatchParams::default(), &Patch::Merge(&status))
            .await
            .unwrap();
        let kubeconfig = std::fs::read_to_string(dir.kubeconfig()).unwrap();
        assert!(kubeconfig.contains("namespace: driftless"), "{kubeconfig}");
        let token = std::fs::read_to_string(dir.api_token()).unwrap();
        let head = super::super::repo_watch::read_branch(&dir.repo().join(".git"), BRANCH);
        first.cluster.stop(Duration::from_secs(2)).await;

        let second = prepare(dir.clone(), listen).await.unwrap();
        assert!(!second.created_repo);
        assert_eq!(second.admin_token, token.trim());
        assert_eq!(
            super::super::repo_watch::read_branch(&dir.repo().join(".git"), BRANCH),
            head
        );
        let apps = Api::<Application>::namespaced(second.cluster.client(), NAMESPACE);
        assert_eq!(apps.list(&Default::default()).await.unwrap().items.len(), 4);
        let guestbook = apps.get("guestbook").await.unwrap();
        let sync = guestbook.status.unwrap().sync;
        assert_eq!(sync.revision, "abc");
        second.cluster.stop(Duration::from_secs(2)).await;
    }
}
