//! Regression tests of bugs found in a review of the sync engine, one per bug, all fixed.

mod sync_support;

use serde_json::json;
use sync_support::*;

const NGINX: &str = "nginx:1.27";

/// A ConfigMap in `namespace` with `data`.
fn config_map_in(namespace: &str, name: &str, data: &[(&str, &str)]) -> String {
    config_map(name, data).replacen(
        "metadata:\n",
        &format!("metadata:\n  namespace: {namespace}\n"),
        1,
    )
}

/// A Namespace manifest.
fn namespace(name: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")
}

// ---------------------------------------------------------------------------------------------
// Dry-run everything first

#[test]
fn a_namespace_declared_in_git_does_not_let_a_broken_commit_apply_its_first_wave() {
    let repo = Repo::new();
    repo.write("app/namespace.yaml", &namespace("store"))
        .write(
            "app/first.yaml",
            &config_map_in("store", "first", &[("a", "1")]),
        )
        .write(
            "app/web.yaml",
            &deployment_annotated("web", NGINX, "\"two\"", &[("driftless.dev/sync-wave", "1")])
                .replacen("metadata:\n", "metadata:\n  namespace: store\n", 1),
        );
    repo.commit("broken in wave 1");
    let cluster = Cluster::start();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert!(
        run.briefs()
            .contains(&"failed Deployment.apps store/web".to_owned()),
        "{}",
        run.stdout
    );
    assert!(
        cluster.find("configmap", "store", "first").is_none(),
        "the wave-0 ConfigMap was applied although a wave-1 object fails its dry-run:\n{}",
        run.stdout
    );
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
";

#[test]
fn an_invalid_custom_resource_in_a_later_wave_does_not_let_the_first_wave_apply() {
    let repo = Repo::new();
    repo.write("app/crd.yaml", WIDGET_CRD)
        .write("app/first.yaml", &config_map("first", &[("a", "1")]))
        .write(
            "app/gear.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gear\n  annotations:\n    \
             driftless.dev/sync-wave: \"1\"\nspec:\n  size: big\n",
        );
    repo.commit("an invalid widget in wave 1");
    let cluster = Cluster::start();
    cluster.kubectl_ok(&["create", "namespace", "shop"]);

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert!(
        run.briefs()
            .contains(&"failed Widget.example.com shop/gear".to_owned()),
        "{}",
        run.stdout
    );
    assert!(
        cluster.find("configmap", "shop", "first").is_none(),
        "the wave-0 ConfigMap was applied although a wave-1 object fails its dry-run:\n{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// Status

#[test]
fn a_diff_of_another_revision_does_not_change_the_applications_sync_status() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    let first = repo.commit("first");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let app = App::new(&repo.url());
    cluster.apply_application(&app);
    cluster.sync(&app, &[]).expect_code(0);

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "safe")]),
    );
    let second = repo.commit("second");
    // The target (main) is now `second`, which differs from the cluster.
    cluster.diff(&app, &[]);
    let status = cluster.application_status();
    assert_eq!(status["sync"]["status"], "OutOfSync", "{status:#}");
    assert_eq!(status["sync"]["revision"], json!(second), "{status:#}");

    // Previewing the old commit is a question about that commit, not about the Application.
    cluster.diff(&app, &["--revision", &first]);
    let status = cluster.application_status();
    assert_eq!(
        (&status["sync"]["status"], &status["sync"]["revision"]),
        (&json!("OutOfSync"), &json!(second)),
        "a preview of {first} marked the Application as synced at it while main is at {second}: \
         {status:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Pruning

#[test]
fn an_automated_sync_to_a_commit_that_declares_nothing_does_not_prune_everything() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).automated(true).interval("1s");
    let _watching = cluster.watch(&app);
    watch::eventually("the first sync created the ConfigMap", || {
        cluster.find("configmap", "shop", "settings").is_some()
    });

    // A commit that (by mistake) leaves the path without manifests.
    repo.remove("app/settings.yaml")
        .remove("app/web.yaml")
        .write("app/README.md", "moved elsewhere\n");
    repo.commit("move the manifests away");
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        cluster.find("configmap", "shop", "settings").is_some()
            && cluster.find("deployment", "shop", "web").is_some(),
        "automated sync pruned every resource of the app because a commit declared none; Argo CD \
         refuses this unless syncPolicy.automated.allowEmpty is set"
    );
}

// ---------------------------------------------------------------------------------------------
// Self-heal

#[test]
fn self_heal_keeps_repairing_drift_while_the_source_is_unreachable() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).self_heal().interval("1s");
    let _watching = cluster.watch(&app);
    let mode = || watch::settings_mode(&cluster);
    watch::eventually("the first sync created the ConfigMap", || {
        mode().as_deref() == Some("fast")
    });

    // The Git server goes away for a while; the next polls fail.
    let away = repo.path().with_file_name("away");
    std::fs::rename(repo.path(), &away).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    watch::drift_settings_mode(&cluster);
    let started = std::time::Instant::now();
    let mut healed = false;
    while started.elapsed() < watch::DEADLINE {
        if mode().as_deref() == Some("fast") {
            healed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::fs::rename(&away, repo.path()).unwrap();
    assert!(
        healed,
        "drift made while the source was unreachable was not healed within {:?}",
        watch::DEADLINE
    );
}

// ---------------------------------------------------------------------------------------------
// Status of an Application that is not synced automatically

#[test]
fn a_comparison_of_a_manual_app_records_no_failed_operation() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/web.yaml", &deployment("web", NGINX, "\"two\""));
    repo.commit("broken");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    // No automated sync: the watch mode only compares, as `driftless diff` does.
    let app = App::new(&repo.url()).interval("1s");
    cluster.kubectl_ok(&["create", "namespace", "shop"]);
    cluster.apply_application(&app);
    let _watching = cluster.watch(&app);
    watch::eventually("the comparison wrote the status", || {
        cluster.application_status()["conditions"].is_array()
    });

    let status = cluster.application_status();
    assert!(
        cluster.find("configmap", "shop", "settings").is_none(),
        "nothing is synced automatically"
    );
    assert!(
        status["operationState"].is_null() && status["history"].is_null(),
        "no sync operation ran, yet the status reports one: {status:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Skipping the dry-run of objects unchanged since the last sync

#[test]
fn removing_an_ignore_differences_rule_makes_the_ignored_drift_count_again() {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("first");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let ignoring = App::new(&repo.url()).ignore("apps", "Deployment", &["/spec/replicas"]);
    cluster.apply_application(&ignoring);
    cluster.sync(&ignoring, &[]).expect_code(0);
    cluster.kubectl_ok(&["scale", "deployment", "web", "-n", "shop", "--replicas=3"]);
    cluster.kubectl_ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "shop",
        "--timeout=10s",
    ]);
    let ignored = cluster.sync(&ignoring, &[]);
    ignored.expect_code(0);
    assert_eq!(ignored.briefs(), ["unchanged Deployment.apps shop/web"]);

    // The user drops the rule: the scaled replicas are drift again, as `diff` without the
    // recorded state shows.
    let plain = App::new(&repo.url());
    cluster.apply_application(&plain);
    let run = cluster.sync(&plain, &[]);
    run.expect_code(0);
    assert_eq!(
        (
            run.briefs(),
            cluster.find("deployment", "shop", "web").unwrap()["spec"]["replicas"].clone()
        ),
        (
            vec!["configured Deployment.apps shop/web".to_owned()],
            json!(1)
        ),
        "{}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// spec.suspend

#[test]
fn the_watch_mode_leaves_a_suspended_application_alone() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url())
        .automated(true)
        .interval("1s")
        .suspended();
    let watching = cluster.watch(&app);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let created = cluster.find("configmap", "shop", "settings").is_some();
    drop(watching);
    assert!(
        !created,
        "a suspended Application was synced by the watch mode"
    );
}

// ---------------------------------------------------------------------------------------------
// Odd input

#[test]
fn a_huge_timeout_is_refused_or_honoured_not_a_panic() {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("first");
    let cluster = Cluster::start();

    let run = cluster.sync(
        &App::new(&repo.url()),
        &["--timeout", &u64::MAX.to_string()],
    );
    assert!(
        !run.stderr.contains("panicked"),
        "exit code {}: {}",
        run.code,
        run.stderr
    );
}
