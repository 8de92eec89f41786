//! End-to-end tests of self-heal: `driftless sync -f app.yaml --watch` keeps an Application in
//! sync from watches, so drift made by hand with kubectl (patch, scale, delete) is put back, a
//! new commit is followed at spec.interval, our own writes cause no loop, and SIGTERM stops it.

mod sync_support;

use std::time::Duration;

use sync_support::watch::{drift_settings_mode, eventually, settings_mode};
use sync_support::*;

const NGINX: &str = "nginx:1.27";

fn shop_repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/web.yaml", &deployment("web", NGINX, "2"));
    repo.commit("first");
    repo
}

fn replicas(cluster: &Cluster) -> Option<i64> {
    cluster
        .find("deployment", "shop", "web")
        .and_then(|d| d["spec"]["replicas"].as_i64())
}

#[test]
fn drift_made_with_kubectl_patch_scale_and_delete_is_put_back() {
    let repo = shop_repo();
    let cluster = Cluster::start();
    let _watching = cluster.watch(&App::new(&repo.url()).self_heal());
    eventually("the first sync created the ConfigMap", || {
        settings_mode(&cluster).as_deref() == Some("fast")
    });

    drift_settings_mode(&cluster);
    eventually("the patched value is back", || {
        settings_mode(&cluster).as_deref() == Some("fast")
    });

    eventually("the Deployment exists", || replicas(&cluster) == Some(2));
    cluster.kubectl_ok(&["scale", "deployment", "web", "-n", "shop", "--replicas=5"]);
    eventually("the replicas are back", || replicas(&cluster) == Some(2));

    let uid = |cluster: &Cluster| {
        cluster
            .find("deployment", "shop", "web")
            .and_then(|d| d["metadata"]["uid"].as_str().map(str::to_owned))
    };
    let before = uid(&cluster).unwrap();
    cluster.kubectl_ok(&["delete", "deployment", "web", "-n", "shop"]);
    eventually("the deleted Deployment is back", || {
        uid(&cluster).is_some_and(|now| now != before)
    });
}

#[test]
fn without_self_heal_drift_stays_and_the_status_says_out_of_sync() {
    let repo = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let app = App::new(&repo.url()).automated(false);
    cluster.apply_application(&app);
    let _watching = cluster.watch(&app);
    eventually("the first sync reported Synced", || {
        cluster.application_status()["sync"]["status"] == "Synced"
    });

    drift_settings_mode(&cluster);
    eventually("the status says OutOfSync", || {
        cluster.application_status()["sync"]["status"] == "OutOfSync"
    });
    assert_eq!(
        settings_mode(&cluster).as_deref(),
        Some("slow"),
        "without selfHeal nothing is repaired"
    );
}

#[test]
fn a_new_commit_is_followed_at_the_interval() {
    let repo = shop_repo();
    let cluster = Cluster::start();
    let _watching = cluster.watch(&App::new(&repo.url()).automated(true).interval("1s"));
    eventually("the first sync created the ConfigMap", || {
        settings_mode(&cluster).as_deref() == Some("fast")
    });

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "careful")]),
    );
    repo.commit("second");
    eventually("the new commit is applied", || {
        settings_mode(&cluster).as_deref() == Some("careful")
    });
}

#[test]
fn once_healed_our_own_writes_do_not_start_a_loop() {
    let repo = shop_repo();
    let cluster = Cluster::start();
    let _watching = cluster.watch(&App::new(&repo.url()).self_heal());
    eventually("the Deployment is available", || {
        cluster
            .find("deployment", "shop", "web")
            .is_some_and(|d| d["status"]["availableReplicas"] == 2)
    });
    drift_settings_mode(&cluster);
    eventually("the patched value is back", || {
        settings_mode(&cluster).as_deref() == Some("fast")
    });

    let settled = cluster.current_resource_version();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        cluster.current_resource_version(),
        settled,
        "nothing was written once the drift was repaired"
    );
}

#[test]
fn sigterm_stops_the_watch_mode_cleanly() {
    let repo = shop_repo();
    let cluster = Cluster::start();
    let watching = cluster.watch(&App::new(&repo.url()).self_heal());
    eventually("the first sync created the ConfigMap", || {
        settings_mode(&cluster).as_deref() == Some("fast")
    });
    assert_eq!(watching.terminate(), Some(0));
}

/// A StatefulSet `db` running `image`; with a `:fail` image the simulator never lets it settle.
fn stateful_set(image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  \
         selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        \
         app: db\n    spec:\n      containers:\n      - name: main\n        image: {image}\n"
    )
}

#[test]
fn a_newer_commit_replaces_a_sync_stuck_waiting_for_health() {
    let repo = Repo::new();
    let wave_one =
        config_map_annotated("after", &[("driftless.dev/sync-wave", "1")], &[("a", "1")]);
    repo.write("app/db.yaml", &stateful_set("postgres:fail"))
        .write("app/after.yaml", &wave_one);
    repo.commit("a StatefulSet that never becomes ready");
    let cluster = Cluster::start();
    let _watching = cluster.watch(&App::new(&repo.url()).automated(true).interval("1s"));
    eventually("the StatefulSet of the first commit exists", || {
        cluster.find("statefulset", "shop", "db").is_some()
    });
    assert!(
        cluster.find("configmap", "shop", "after").is_none(),
        "wave 1 waits for the StatefulSet"
    );

    repo.write("app/db.yaml", &stateful_set("postgres:16"));
    repo.commit("fix the image");
    eventually(
        "the fixed commit is applied although the first sync still waits (its timeout is 300 s)",
        || cluster.find("configmap", "shop", "after").is_some(),
    );
    let db = cluster.find("statefulset", "shop", "db").unwrap();
    assert_eq!(
        db["spec"]["template"]["spec"]["containers"][0]["image"],
        "postgres:16"
    );
}
