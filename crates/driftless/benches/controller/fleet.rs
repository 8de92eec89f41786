//! The fleet: many Applications of a few objects each, all from one repository, synced by one
//! controller; then its steady state measured over several interval passes: memory, CPU per
//! pass and writes per pass (the cluster's resourceVersion must not move).

use std::path::Path;
use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};

use crate::process::Controller;
use crate::setup::{apply_file, git_commit, kubectl_apply_timed, resource_version};

/// What the fleet measurement found.
pub struct FleetResult {
    pub apps: usize,
    pub objects: usize,
    pub initial_sync: Duration,
    pub passes: f64,
    pub window: Duration,
    pub cpu_per_pass: Duration,
    pub writes: u64,
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
    pub kubectl_pass: Duration,
}

/// Paths in the repository; Applications are spread over them.
const PATHS: usize = 100;

/// Writes `apps/pNN/` with `objects` ConfigMaps each and commits.
pub fn make_repo(repo: &Path, objects: usize) {
    for path in 0..PATHS {
        let dir = repo.join(format!("apps/p{path:02}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let mut text = String::new();
        for i in 0..objects {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i}\n  labels: {{tier: bench}}\ndata:\n  path: \"{path}\"\n  index: \"{i}\"\n  settings.yaml: |\n    replicas: 3\n    image: nginx:1.27\n"
            ));
        }
        std::fs::write(dir.join("config.yaml"), text).expect("write manifests");
    }
    git_commit(repo, "fleet");
}

/// The Applications, one YAML stream.
fn applications(repo: &Path, apps: usize, interval: &str) -> String {
    let mut text = String::new();
    for i in 0..apps {
        text.push_str(&format!(
            "---\napiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: {{name: fleet-{i:04}, namespace: fleet}}\nspec:\n  source: {{repoURL: \"file://{}\", targetRevision: main, path: apps/p{:02}}}\n  destination: {{namespace: fleet-{i:04}}}\n  syncPolicy: {{automated: {{prune: true}}, syncOptions: [CreateNamespace=true]}}\n  interval: {interval}\n",
            repo.display(),
            i % PATHS
        ));
    }
    text
}

/// All the objects of the fleet as plain manifests with namespaces, for kubectl.
fn all_objects(repo: &Path, apps: usize) -> String {
    let mut text = String::new();
    for i in 0..apps {
        let manifests =
            std::fs::read_to_string(repo.join(format!("apps/p{:02}/config.yaml", i % PATHS)))
                .expect("read");
        text.push_str(&manifests.replace(
            "metadata:\n",
            &format!("metadata:\n  namespace: fleet-{i:04}\n"),
        ));
    }
    text
}

/// Creates the fleet, lets the controller sync it, and measures its steady state over
/// `passes` intervals of `interval`.
pub async fn measure(
    client: &kube::Client,
    kubeconfig: &Path,
    dir: &Path,
    apps: usize,
    objects: usize,
    interval: Duration,
    passes: u32,
) -> FleetResult {
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir repo");
    make_repo(&repo, objects);
    apply_file(
        kubeconfig,
        dir,
        "namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: fleet}\n",
    );
    let interval_text = format!("{}s", interval.as_secs());
    apply_file(
        kubeconfig,
        dir,
        "applications.yaml",
        &applications(&repo, apps, &interval_text),
    );
    let started = Instant::now();
    let controller = Controller::start(kubeconfig, dir, &["--concurrency", "8"]);
    wait_all_synced(client, apps).await;
    let initial_sync = started.elapsed();
    // Let the first interval pass run before measuring, so that only steady passes count.
    tokio::time::sleep(interval + interval / 5).await;
    let rv_before = resource_version(client).await;
    let cpu_before = controller.cpu();
    let reconciles_before = controller.count("reasons={Interval}");
    let window_started = Instant::now();
    tokio::time::sleep(interval * passes).await;
    let window = window_started.elapsed();
    let cpu = controller.cpu().saturating_sub(cpu_before);
    let reconciles = controller.count("reasons={Interval}") - reconciles_before;
    let writes = resource_version(client).await.saturating_sub(rv_before);
    let (rss_mib, peak_rss_mib) = controller.memory_mib();
    let passes = reconciles as f64 / apps as f64;
    drop(controller);
    let objects_file = dir.join("objects.yaml");
    std::fs::write(&objects_file, all_objects(&repo, apps)).expect("write objects");
    let kubectl_pass = kubectl_apply_timed(kubeconfig, &objects_file);
    FleetResult {
        apps,
        objects: apps * objects,
        initial_sync,
        passes,
        window,
        cpu_per_pass: if passes > 0.0 {
            cpu.div_f64(passes)
        } else {
            cpu
        },
        writes,
        rss_mib,
        peak_rss_mib,
        kubectl_pass,
    }
}

/// Waits until every Application of the fleet reports Synced.
async fn wait_all_synced(client: &kube::Client, apps: usize) {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "driftless.dev",
        "v1alpha1",
        "Application",
    ));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "fleet", &resource);
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let list = api
            .list(&ListParams::default())
            .await
            .expect("list Applications");
        let synced = list
            .items
            .iter()
            .filter(|a| {
                a.data
                    .pointer("/status/sync/status")
                    .and_then(|s| s.as_str())
                    == Some("Synced")
            })
            .count();
        if synced == apps {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {synced} of {apps} Applications synced"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
