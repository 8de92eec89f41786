//! End-to-end tests of the sync engine as users run it: the real `driftless sync -f` and
//! `driftless diff -f` against an in-process devcluster (with the workload simulator) through a
//! kubeconfig file, real Git repositories (a directory, or `git daemon` over git://), and kubectl
//! as the independent client that checks the cluster and makes changes behind the engine's back.

mod sync_support;

use serde_json::{json, Value};
use sync_support::*;

const NGINX: &str = "nginx:1.27";

/// A repository whose first commit holds a ConfigMap `settings` (mode: fast), a Deployment and
/// a Service `web`; returns it with the commit id.
fn shop_repo() -> (Repo, String) {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write(
        "app/web.yaml",
        &documents(&[deployment("web", NGINX, "1"), service("web")]),
    );
    let sha = repo.commit("first");
    (repo, sha)
}

/// The resourceVersions of `(kind, namespace, name)` objects, in order.
fn versions(cluster: &Cluster, objects: &[(&str, &str, &str)]) -> Vec<u64> {
    objects
        .iter()
        .map(|(kind, namespace, name)| cluster.resource_version(kind, namespace, name))
        .collect()
}

fn short(sha: &str) -> &str {
    &sha[..12]
}

// ---------------------------------------------------------------------------------------------
// 1. First sync, second sync

#[test]
fn first_sync_over_git_daemon_creates_everything_and_a_second_sync_writes_nothing() {
    let (repo, sha) = shop_repo();
    let daemon = repo.serve();
    let cluster = Cluster::start();
    let app = App::new(&daemon.url());

    let first = cluster.sync(&app, &[]);
    first.expect_code(0);
    assert_eq!(
        first.stdout,
        format!(
            "ACTION    KIND              NAMESPACE   NAME       MESSAGE\n\
             created   Namespace                     shop       CreateNamespace=true\n\
             created   ConfigMap         shop        settings\n\
             created   Service           shop        web\n\
             created   Deployment.apps   shop        web\n\
             sync {}: 4 created; sync Synced, health Healthy\n",
            short(&sha)
        )
    );

    let settings = cluster.find("configmap", "shop", "settings").unwrap();
    assert_eq!(settings["data"], json!({"mode": "fast"}));
    assert_eq!(
        settings["metadata"]["labels"]["driftless.dev/app"],
        "default.shop"
    );
    let web = cluster.get(&["deployment", "web", "-n", "shop", "--show-managed-fields"]);
    assert_eq!(
        web["metadata"]["annotations"]["driftless.dev/tracking-id"],
        "default/shop:apps/Deployment:shop/web"
    );
    assert!(
        web["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["manager"] == "driftless" && m["operation"] == "Apply"),
        "{web:#}"
    );
    assert_eq!(
        web["status"]["availableReplicas"], 1,
        "the sync waited until the Deployment was available"
    );
    assert!(cluster.find("service", "shop", "web").is_some());

    let objects = [
        ("namespace", "", "shop"),
        ("configmap", "shop", "settings"),
        ("service", "shop", "web"),
        ("deployment", "shop", "web"),
    ];
    let before = versions(&cluster, &objects);
    let second = cluster.sync(&app, &[]);
    second.expect_code(0);
    assert_eq!(
        second.stdout,
        format!(
            "ACTION      KIND              NAMESPACE   NAME       MESSAGE\n\
             unchanged   ConfigMap         shop        settings\n\
             unchanged   Service           shop        web\n\
             unchanged   Deployment.apps   shop        web\n\
             sync {}: 3 unchanged; sync Synced, health Healthy\n",
            short(&sha)
        )
    );
    assert_eq!(
        versions(&cluster, &objects),
        before,
        "an unchanged sync moves no resourceVersion"
    );
}

#[test]
fn a_sync_of_an_application_in_the_cluster_writes_its_status() {
    let (repo, sha) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let app = App::new(&repo.url());
    cluster.apply_application(&app);

    cluster.sync(&app, &[]).expect_code(0);
    let status = cluster.application_status();
    assert_eq!(
        status["sync"],
        json!({"status": "Synced", "revision": sha}),
        "{status:#}"
    );
    assert_eq!(status["health"]["status"], "Healthy");
    assert_eq!(status["lastAppliedRevision"], sha.as_str());
    let ready = condition(&status, "Ready");
    assert_eq!(ready["status"], "True");
    assert_eq!(ready["reason"], "ReconciliationSucceeded");
    assert_eq!(status["operationState"]["phase"], "Succeeded");
    assert_eq!(status["operationState"]["revision"], sha.as_str());
    let changes: Vec<String> = status["operationState"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["action"].as_str().unwrap(),
                c["object"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "created shop",
            "created settings",
            "created web",
            "created web"
        ]
    );
    let inventory: Vec<String> = status["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        inventory,
        ["ConfigMap/settings", "Service/web", "Deployment/web"]
    );
    let resources = status["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 3, "{status:#}");
    for resource in resources {
        assert_eq!(resource["status"], "Synced", "{resource:#}");
        assert_eq!(resource["health"]["status"], "Healthy", "{resource:#}");
    }
    let history = status["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["id"], 0);
    assert_eq!(history[0]["revision"], sha.as_str());
    assert_eq!(history[0]["source"]["repoURL"], repo.url().as_str());
    assert_eq!(history[0]["source"]["path"], "app");

    let objects = [
        ("configmap", "shop", "settings"),
        ("service", "shop", "web"),
        ("deployment", "shop", "web"),
    ];
    let before = versions(&cluster, &objects);
    let again = cluster.sync(&app, &[]);
    again.expect_code(0);
    assert_eq!(
        again.briefs(),
        [
            "unchanged ConfigMap shop/settings",
            "unchanged Service shop/web",
            "unchanged Deployment.apps shop/web",
        ]
    );
    assert_eq!(versions(&cluster, &objects), before);
    let status = cluster.application_status();
    assert_eq!(
        status["history"].as_array().unwrap().len(),
        1,
        "a re-sync of the same revision is not a new deployment: {status:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Configured, created, pruned, skipped

#[test]
fn a_commit_that_changes_adds_and_removes_objects_is_configured_created_and_pruned() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/old.yaml", &config_map("old", &[("a", "1")]))
    .write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).automated(true);
    cluster.sync(&app, &[]).expect_code(0);
    let web_version = cluster.resource_version("deployment", "shop", "web");

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "safe")]),
    )
    .remove("app/old.yaml")
    .write("app/extra.yaml", &config_map("extra", &[("b", "2")]));
    let sha = repo.commit("second");
    let run = cluster.sync(&app, &[]);
    run.expect_code(0);
    assert_eq!(
        run.briefs(),
        [
            "created ConfigMap shop/extra",
            "configured ConfigMap shop/settings",
            "pruned ConfigMap shop/old",
            "unchanged Deployment.apps shop/web",
        ]
    );
    assert_eq!(
        run.summary(),
        format!(
            "sync {}: 1 created, 1 configured, 1 unchanged, 1 pruned; sync Synced, health Healthy",
            short(&sha)
        )
    );
    assert!(cluster.find("configmap", "shop", "old").is_none());
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"],
        json!({"mode": "safe"})
    );
    assert_eq!(
        cluster.find("configmap", "shop", "extra").unwrap()["data"],
        json!({"b": "2"})
    );
    assert_eq!(
        cluster.resource_version("deployment", "shop", "web"),
        web_version
    );
}

#[test]
fn with_pruning_off_a_removed_object_is_skipped_and_stays_until_a_sync_with_prune() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/old.yaml", &config_map("old", &[("a", "1")]));
    repo.commit("first");
    let cluster = Cluster::start();
    let automated = App::new(&repo.url()).automated(true);
    cluster.sync(&automated, &[]).expect_code(0);
    repo.remove("app/old.yaml");
    let sha = repo.commit("remove old");

    let no_prune = cluster.sync(&automated, &["--no-prune"]);
    no_prune.expect_code(0);
    let manual = App::new(&repo.url());
    let off = cluster.sync(&manual, &[]);
    off.expect_code(0);
    for run in [&no_prune, &off] {
        assert_eq!(
            run.rows()
                .iter()
                .map(|r| format!("{} {}", r.brief(), r.message))
                .collect::<Vec<_>>(),
            [
                "skipped ConfigMap shop/old no longer in Git; pruning is off",
                "unchanged ConfigMap shop/settings ",
            ]
        );
        assert_eq!(
            run.summary(),
            format!(
                "sync {}: 1 unchanged, 1 skipped; sync OutOfSync, health Healthy",
                short(&sha)
            )
        );
    }
    assert!(cluster.find("configmap", "shop", "old").is_some());

    let prune = cluster.sync(&manual, &["--prune"]);
    prune.expect_code(0);
    assert_eq!(
        prune.briefs(),
        [
            "pruned ConfigMap shop/old",
            "unchanged ConfigMap shop/settings"
        ]
    );
    assert!(cluster.find("configmap", "shop", "old").is_none());
}

#[test]
fn with_the_application_in_the_cluster_the_last_object_of_a_kind_is_pruned_from_the_inventory() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let app = App::new(&repo.url()).automated(true);
    cluster.apply_application(&app);
    cluster.sync(&app, &[]).expect_code(0);
    repo.write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("no more Service");

    let run = cluster.sync(&app, &[]);
    run.expect_code(0);
    assert!(
        run.briefs().contains(&"pruned Service shop/web".to_owned()),
        "{}",
        run.stdout
    );
    assert!(cluster.find("service", "shop", "web").is_none());
    let inventory = cluster.application_status()["inventory"].clone();
    assert!(
        !inventory
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "Service"),
        "{inventory:#}"
    );
}

#[test]
fn without_the_application_in_the_cluster_the_last_object_of_a_kind_is_pruned() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).automated(true);
    cluster.sync(&app, &[]).expect_code(0);
    repo.write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("no more Service");

    let run = cluster.sync(&app, &[]);
    run.expect_code(0);
    assert!(
        run.briefs().contains(&"pruned Service shop/web".to_owned()),
        "{}",
        run.stdout
    );
    assert!(cluster.find("service", "shop", "web").is_none());
}

// ---------------------------------------------------------------------------------------------
// 3. A commit the API refuses

#[test]
fn a_commit_with_an_invalid_object_applies_nothing_and_the_status_says_the_sync_failed() {
    let (repo, first) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let app = App::new(&repo.url());
    cluster.apply_application(&app);
    cluster.sync(&app, &[]).expect_code(0);
    let objects = [
        ("configmap", "shop", "settings"),
        ("service", "shop", "web"),
        ("deployment", "shop", "web"),
    ];
    let before = versions(&cluster, &objects);

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "safe")]),
    )
    .write("app/extra.yaml", &config_map("extra", &[("b", "2")]))
    .write(
        "app/web.yaml",
        &documents(&[deployment("web", NGINX, "\"two\""), service("web")]),
    );
    let broken = repo.commit("broken");
    let run = cluster.sync(&app, &[]);
    run.expect_code(1);
    let rows = run.rows();
    assert_eq!(run.briefs(), ["failed Deployment.apps shop/web"]);
    assert!(
        rows[0].message.starts_with("app/web.yaml#0: BadRequest: ")
            && rows[0].message.contains("spec.replicas")
            && rows[0].message.contains("integer"),
        "the message names the manifest, the API's reason and the field: {}",
        rows[0].message
    );
    assert!(
        run.summary().starts_with(&format!(
            "sync failed at {}: dry-run failed, nothing was applied: apps/Deployment:shop/web: ",
            short(&broken)
        )),
        "{}",
        run.summary()
    );

    assert!(
        cluster.find("configmap", "shop", "extra").is_none(),
        "a valid new object of the commit was applied"
    );
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"],
        json!({"mode": "fast"})
    );
    assert_eq!(versions(&cluster, &objects), before);

    let status = cluster.application_status();
    assert_eq!(status["operationState"]["phase"], "Failed", "{status:#}");
    assert_eq!(status["operationState"]["revision"], broken.as_str());
    let ready = condition(&status, "Ready");
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "SyncFailed");
    assert!(
        ready["message"]
            .as_str()
            .unwrap()
            .contains("apps/Deployment:shop/web"),
        "{ready:#}"
    );
    assert_eq!(status["lastAttemptedRevision"], broken.as_str());
    assert_eq!(status["lastAppliedRevision"], first.as_str());
    assert_eq!(status["history"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 4. A CRD and its custom resources in one sync

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
fn a_crd_and_custom_resources_of_it_are_created_in_one_sync() {
    let repo = Repo::new();
    repo.write("app/crd.yaml", WIDGET_CRD).write(
        "app/gear.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gear\nspec:\n  size: 3\n",
    );
    repo.commit("widgets");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());

    let run = cluster.sync(&app, &[]);
    run.expect_code(0);
    assert_eq!(
        run.briefs(),
        [
            "created Namespace shop",
            "created CustomResourceDefinition.apiextensions.k8s.io widgets.example.com",
            "created Widget.example.com shop/gear",
        ]
    );
    let gear = cluster
        .find("widgets.example.com", "shop", "gear")
        .expect("the custom resource exists");
    assert_eq!(gear["spec"], json!({"size": 3}));

    let again = cluster.sync(&app, &[]);
    again.expect_code(0);
    assert_eq!(
        again.briefs(),
        [
            "unchanged CustomResourceDefinition.apiextensions.k8s.io widgets.example.com",
            "unchanged Widget.example.com shop/gear",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Waves

fn wave_repo(image: &str) -> Repo {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment("web", image, "1"))
        .write(
            "app/settings.yaml",
            &config_map_annotated(
                "settings",
                &[("driftless.dev/sync-wave", "1")],
                &[("mode", "fast")],
            ),
        );
    repo.commit("waves");
    repo
}

#[test]
fn a_later_wave_is_applied_only_once_the_earlier_wave_is_healthy() {
    let repo = wave_repo(NGINX);
    let cluster = Cluster::start();
    let since = cluster.current_resource_version();

    let run = cluster.sync(&App::new(&repo.url()), &[]);
    run.expect_code(0);
    assert_eq!(
        run.briefs(),
        [
            "created Namespace shop",
            "created Deployment.apps shop/web",
            "created ConfigMap shop/settings",
        ],
        "waves come before kind order (a ConfigMap of the same wave would go first)"
    );
    let available = cluster
        .events_since("/apis/apps/v1/deployments", since)
        .into_iter()
        .find(|(_, d)| d["status"]["availableReplicas"] == 1)
        .map(|(_, d)| rv_of(&d))
        .expect("the Deployment became available");
    let settings = cluster.resource_version("configmap", "shop", "settings");
    assert!(
        settings > available,
        "the wave-1 ConfigMap (resourceVersion {settings}) was created before the wave-0 \
         Deployment was available (resourceVersion {available})"
    );
}

#[test]
fn a_wave_that_never_becomes_healthy_stops_the_sync_before_the_next_wave() {
    let repo = wave_repo("nginx:fail");
    let cluster = Cluster::start();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert_eq!(
        run.briefs(),
        [
            "created Namespace shop",
            "created Deployment.apps shop/web",
            "failed Deployment.apps shop/web",
        ]
    );
    let failed = &run.rows()[2];
    assert!(failed.message.starts_with("Degraded"), "{}", failed.message);
    assert!(
        run.summary().contains("failed at") && run.summary().contains("apps/Deployment:shop/web"),
        "{}",
        run.summary()
    );
    assert!(
        cluster.find("configmap", "shop", "settings").is_none(),
        "the wave-1 ConfigMap was applied after wave 0 failed"
    );
}

#[test]
fn a_first_sync_into_a_new_namespace_dry_runs_every_wave_before_applying_any() {
    let repo = Repo::new();
    repo.write("app/first.yaml", &config_map("first", &[("a", "1")]))
        .write(
            "app/web.yaml",
            &deployment_annotated("web", NGINX, "\"two\"", &[("driftless.dev/sync-wave", "1")]),
        );
    repo.commit("broken in wave 1");
    let cluster = Cluster::start();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert!(
        run.briefs()
            .contains(&"failed Deployment.apps shop/web".to_owned()),
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
// 6. Hooks

#[test]
fn pre_sync_and_post_sync_hooks_run_around_the_sync_and_go_away_when_they_succeed() {
    let repo = Repo::new();
    repo.write(
        "app/hooks.yaml",
        &documents(&[
            job(
                "migrate",
                &[
                    ("driftless.dev/hook", "PreSync"),
                    ("driftless.dev/hook-delete-policy", "HookSucceeded"),
                ],
                "echo migrate",
            ),
            job(
                "notify",
                &[
                    ("argocd.argoproj.io/hook", "PostSync"),
                    ("argocd.argoproj.io/hook-delete-policy", "HookSucceeded"),
                ],
                "echo notify",
            ),
            job(
                "report",
                &[("driftless.dev/hook", "PostSync")],
                "echo report",
            ),
            job(
                "rescue",
                &[("driftless.dev/hook", "SyncFail")],
                "echo rescue",
            ),
        ]),
    )
    .write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("hooks");
    let cluster = Cluster::start();
    let since = cluster.current_resource_version();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(0);
    assert_eq!(
        run.rows()
            .iter()
            .map(|r| format!("{} {}", r.brief(), r.message))
            .collect::<Vec<_>>(),
        [
            "created Namespace shop CreateNamespace=true",
            "created Job.batch shop/migrate hook succeeded",
            "created ConfigMap shop/settings ",
            "created Deployment.apps shop/web ",
            "created Job.batch shop/notify hook succeeded",
            "created Job.batch shop/report hook succeeded",
        ]
    );

    // What kubectl saw: each hook created, completed, and (HookSucceeded) deleted, in order.
    let events = cluster.events_since("/apis/batch/v1/jobs", since);
    let history = |name: &str| -> Vec<(String, bool, u64)> {
        events
            .iter()
            .filter(|(_, job)| job["metadata"]["name"] == name)
            .map(|(kind, job)| {
                (
                    kind.clone(),
                    has_true_condition(job, "Complete"),
                    rv_of(job),
                )
            })
            .collect()
    };
    let settings = cluster.resource_version("configmap", "shop", "settings");
    for (name, deleted, before_settings) in [
        ("migrate", true, true),
        ("notify", true, false),
        ("report", false, false),
    ] {
        let seen = history(name);
        assert_eq!(
            seen.first().map(|e| e.0.as_str()),
            Some("ADDED"),
            "{name}: {seen:?}"
        );
        let completed = seen
            .iter()
            .position(|e| e.1)
            .unwrap_or_else(|| panic!("{name} never completed: {seen:?}"));
        let last = seen.last().unwrap();
        assert_eq!(last.0 == "DELETED", deleted, "{name}: {seen:?}");
        if deleted {
            assert!(
                completed < seen.len() - 1,
                "{name} deleted before it completed"
            );
        }
        assert_eq!(
            last.2 < settings,
            before_settings,
            "{name} ran on the wrong side of the Sync phase: {seen:?}, settings at {settings}"
        );
    }
    let available = cluster
        .events_since("/apis/apps/v1/deployments", since)
        .into_iter()
        .find(|(_, d)| d["status"]["availableReplicas"] == 1)
        .map(|(_, d)| rv_of(&d))
        .expect("the Deployment became available");
    assert!(
        history("notify")[0].2 > available,
        "the PostSync hook started before the Sync phase was healthy"
    );
    assert!(cluster.find("job", "shop", "migrate").is_none());
    assert!(cluster.find("job", "shop", "notify").is_none());
    assert!(has_true_condition(
        &cluster.find("job", "shop", "report").unwrap(),
        "Complete"
    ));
    assert!(
        history("rescue").is_empty(),
        "the SyncFail hook ran after a successful sync"
    );
}

#[test]
fn a_failing_pre_sync_hook_stops_the_sync_before_anything_is_applied() {
    let repo = Repo::new();
    repo.write(
        "app/hooks.yaml",
        &documents(&[
            job("migrate", &[("driftless.dev/hook", "PreSync")], "exit 1"),
            job(
                "rescue",
                &[("driftless.dev/hook", "SyncFail")],
                "echo rescue",
            ),
        ]),
    )
    .write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("hooks");
    let cluster = Cluster::start();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert_eq!(
        run.briefs(),
        [
            "created Namespace shop",
            "failed Job.batch shop/migrate",
            "created Job.batch shop/rescue",
        ]
    );
    assert!(
        cluster.find("configmap", "shop", "settings").is_none(),
        "the Sync phase ran after its PreSync hook failed"
    );
    assert!(has_true_condition(
        &cluster.find("job", "shop", "migrate").unwrap(),
        "Failed"
    ));
}

#[test]
fn a_failing_sync_hook_fails_the_sync_and_runs_the_argocd_spelled_sync_fail_hook() {
    let repo = Repo::new();
    repo.write(
        "app/hooks.yaml",
        &documents(&[
            job("check", &[("driftless.dev/hook", "Sync")], "exit 1"),
            job(
                "cleanup",
                &[("argocd.argoproj.io/hook", "SyncFail")],
                "echo cleanup",
            ),
        ]),
    )
    .write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("hooks");
    let cluster = Cluster::start();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert_eq!(
        run.briefs(),
        [
            "created Namespace shop",
            "created ConfigMap shop/settings",
            "failed Job.batch shop/check",
            "created Job.batch shop/cleanup",
        ]
    );
    let rows = run.rows();
    assert!(
        rows[2].message.contains("BackoffLimitExceeded"),
        "{}",
        rows[2].message
    );
    assert_eq!(rows[3].message, "hook succeeded");
    let cleanup = cluster
        .find("job", "shop", "cleanup")
        .expect("the SyncFail hook ran");
    assert!(has_true_condition(&cleanup, "Complete"), "{cleanup:#}");
    assert!(has_true_condition(
        &cluster.find("job", "shop", "check").unwrap(),
        "Failed"
    ));
}

#[test]
fn an_object_that_never_becomes_healthy_runs_the_sync_fail_hook() {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment("web", "nginx:fail", "1"))
        .write(
            "app/rescue.yaml",
            &documents(&[
                job(
                    "rescue",
                    &[("driftless.dev/hook", "SyncFail")],
                    "echo rescue",
                ),
                job("after", &[("driftless.dev/hook", "PostSync")], "echo after"),
            ]),
        );
    repo.commit("failing");
    let cluster = Cluster::start();

    let run = cluster.sync(&App::new(&repo.url()), &["--timeout", "5"]);
    run.expect_code(1);
    assert_eq!(
        run.briefs(),
        [
            "created Namespace shop",
            "created Deployment.apps shop/web",
            "failed Deployment.apps shop/web",
            "created Job.batch shop/rescue",
        ]
    );
    assert!(has_true_condition(
        &cluster
            .find("job", "shop", "rescue")
            .expect("the SyncFail hook ran"),
        "Complete"
    ));
    assert!(
        cluster.find("job", "shop", "after").is_none(),
        "a PostSync hook ran although the sync failed"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Another field manager

#[test]
fn a_sync_takes_back_a_field_another_manager_took_and_leaves_its_other_fields() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    cluster.sync(&app, &[]).expect_code(0);

    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n\
                 data:\n  mode: slow\n  owner: other\n";
    let run = cluster.kubectl_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
        ],
        other,
    );
    run.expect_code(0);
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"],
        json!({"mode": "slow", "owner": "other"})
    );

    let sync = cluster.sync(&app, &[]);
    sync.expect_code(0);
    assert_eq!(sync.briefs(), ["configured ConfigMap shop/settings"]);
    let settings = cluster.get(&[
        "configmap",
        "settings",
        "-n",
        "shop",
        "--show-managed-fields",
    ]);
    assert_eq!(settings["data"], json!({"mode": "fast", "owner": "other"}));
    let owned = |manager: &str| -> Value {
        settings["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["manager"] == manager)
            .map(|m| m["fieldsV1"]["f:data"].clone())
            .unwrap_or(Value::Null)
    };
    assert!(owned("driftless").get("f:mode").is_some(), "{settings:#}");
    assert!(owned("other").get("f:mode").is_none(), "{settings:#}");
    assert!(owned("other").get("f:owner").is_some(), "{settings:#}");
}

// ---------------------------------------------------------------------------------------------
// 8. Prune protection

#[test]
fn an_object_marked_prune_false_is_skipped_and_stays() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write(
        "app/keep.yaml",
        &config_map_annotated(
            "keep",
            &[("driftless.dev/sync-options", "Prune=false")],
            &[("a", "1")],
        ),
    )
    .write(
        "app/kept.yaml",
        &config_map_annotated(
            "kept",
            &[("argocd.argoproj.io/sync-options", "Prune=false")],
            &[("a", "1")],
        ),
    );
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).automated(true);
    cluster.sync(&app, &[]).expect_code(0);
    repo.remove("app/keep.yaml").remove("app/kept.yaml");
    repo.commit("drop keep and kept");

    let run = cluster.sync(&app, &["--prune"]);
    run.expect_code(0);
    assert_eq!(
        run.rows()
            .iter()
            .map(|r| format!("{} {}", r.brief(), r.message))
            .collect::<Vec<_>>(),
        [
            "skipped ConfigMap shop/keep Prune=false: kept although Git no longer declares it",
            "skipped ConfigMap shop/kept Prune=false: kept although Git no longer declares it",
            "unchanged ConfigMap shop/settings ",
        ]
    );
    assert!(cluster.find("configmap", "shop", "keep").is_some());
    assert!(cluster.find("configmap", "shop", "kept").is_some());
}

#[test]
fn an_object_with_the_app_label_but_another_apps_tracking_id_is_never_pruned() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).automated(true);
    cluster.sync(&app, &[]).expect_code(0);
    let stray = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: shop\n  \
                 labels:\n    driftless.dev/app: default.shop\n  annotations:\n    \
                 driftless.dev/tracking-id: default/other:/ConfigMap:shop/stray\ndata:\n  a: \"1\"\n";
    cluster
        .kubectl_stdin(&["create", "-f", "-"], stray)
        .expect_code(0);

    let run = cluster.sync(&app, &["--prune"]);
    run.expect_code(0);
    assert_eq!(run.briefs(), ["unchanged ConfigMap shop/settings"]);
    assert!(cluster.find("configmap", "shop", "stray").is_some());
}

#[test]
fn an_inventory_object_taken_over_by_another_app_is_skipped_not_pruned() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/shared.yaml", &config_map("shared", &[("a", "1")]));
    repo.commit("first");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    let app = App::new(&repo.url()).automated(true);
    cluster.apply_application(&app);
    cluster.sync(&app, &[]).expect_code(0);
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "configmap",
        "shared",
        "-n",
        "shop",
        "driftless.dev/tracking-id=default/other:/ConfigMap:shop/shared",
    ]);
    repo.remove("app/shared.yaml");
    repo.commit("hand shared over");

    let run = cluster.sync(&app, &[]);
    run.expect_code(0);
    assert_eq!(
        run.rows()
            .iter()
            .map(|r| format!("{} {}", r.brief(), r.message))
            .collect::<Vec<_>>(),
        [
            "skipped ConfigMap shop/shared its tracking id names another owner; left in place",
            "unchanged ConfigMap shop/settings ",
        ]
    );
    assert!(cluster.find("configmap", "shop", "shared").is_some());
}

// ---------------------------------------------------------------------------------------------
// 9. Rollback

/// A cluster with the Application `app` in it, synced to commit A (settings v1, legacy) and
/// then to commit B (settings v2, fresh); returns the commit ids.
fn synced_twice(cluster: &Cluster, repo: &Repo, app: &App) -> (String, String) {
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "v1")]),
    )
    .write("app/legacy.yaml", &config_map("legacy", &[("a", "1")]));
    let a = repo.commit("A");
    cluster.install_application_crd();
    cluster.apply_application(app);
    cluster.sync(app, &["--prune"]).expect_code(0);
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "v2")]),
    )
    .remove("app/legacy.yaml")
    .write("app/fresh.yaml", &config_map("fresh", &[("b", "2")]));
    let b = repo.commit("B");
    cluster.sync(app, &["--prune"]).expect_code(0);
    assert!(cluster.find("configmap", "shop", "legacy").is_none());
    (a, b)
}

/// The id of the history entry that deployed `revision`.
fn history_id(cluster: &Cluster, revision: &str) -> String {
    let status = cluster.application_status();
    status["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["revision"] == revision)
        .unwrap_or_else(|| panic!("no history entry for {revision}: {status:#}"))["id"]
        .to_string()
}

#[test]
fn rollback_restores_the_objects_of_an_earlier_history_entry() {
    let repo = Repo::new();
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    let (a, b) = synced_twice(&cluster, &repo, &app);
    let id = history_id(&cluster, &a);

    let run = cluster.sync(&app, &["--rollback", &id, "--prune"]);
    run.expect_code(0);
    assert_eq!(
        run.briefs(),
        [
            "created ConfigMap shop/legacy",
            "configured ConfigMap shop/settings",
            "pruned ConfigMap shop/fresh",
        ]
    );
    assert!(run.summary().starts_with(&format!("sync {}:", short(&a))));
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"],
        json!({"mode": "v1"})
    );
    assert!(cluster.find("configmap", "shop", "legacy").is_some());
    assert!(cluster.find("configmap", "shop", "fresh").is_none());

    let status = cluster.application_status();
    assert_eq!(status["sync"]["revision"], a.as_str());
    let revisions: Vec<&str> = status["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["revision"].as_str().unwrap())
        .collect();
    assert_eq!(revisions, [a.as_str(), b.as_str(), a.as_str()]);
}

#[test]
fn rollback_is_refused_while_automated_sync_is_on_unless_forced() {
    let repo = Repo::new();
    let cluster = Cluster::start();
    let app = App::new(&repo.url()).automated(false);
    let (a, _) = synced_twice(&cluster, &repo, &app);
    let id = history_id(&cluster, &a);
    let settings = cluster.resource_version("configmap", "shop", "settings");

    let refused = cluster.sync(&app, &["--rollback", &id]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("rollback refused")
            && refused
                .stderr
                .contains("default/shop has automated sync on"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        cluster.resource_version("configmap", "shop", "settings"),
        settings
    );

    let forced = cluster.sync(&app, &["--rollback", &id, "--force"]);
    forced.expect_code(0);
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"],
        json!({"mode": "v1"})
    );
}

// ---------------------------------------------------------------------------------------------
// 10. ignoreDifferences

#[test]
fn ignored_replicas_leave_a_scaled_deployment_unchanged_and_without_the_rule_it_differs() {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("first");
    let cluster = Cluster::start();
    let plain = App::new(&repo.url());
    cluster.sync(&plain, &[]).expect_code(0);
    cluster.kubectl_ok(&["scale", "deployment", "web", "-n", "shop", "--replicas=3"]);
    cluster.kubectl_ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "shop",
        "--timeout=10s",
    ]);
    let scaled = cluster.resource_version("deployment", "shop", "web");

    let ignoring = App::new(&repo.url()).ignore("apps", "Deployment", &["/spec/replicas"]);
    let diff = cluster.diff(&ignoring, &["--exit-code"]);
    diff.expect_code(0);
    assert_eq!(diff.briefs(), ["unchanged Deployment.apps shop/web"]);
    assert!(!diff.stdout.contains("replicas"), "{}", diff.stdout);
    let sync = cluster.sync(&ignoring, &[]);
    sync.expect_code(0);
    assert_eq!(sync.briefs(), ["unchanged Deployment.apps shop/web"]);
    let web = cluster.find("deployment", "shop", "web").unwrap();
    assert_eq!(web["spec"]["replicas"], 3);
    assert_eq!(rv_of(&web), scaled, "the sync wrote the Deployment");

    let diff = cluster.diff(&plain, &["--exit-code"]);
    diff.expect_code(1);
    assert_eq!(diff.briefs(), ["configured Deployment.apps shop/web"]);
    let lines: Vec<&str> = diff.stdout.lines().collect();
    assert!(lines.contains(&"-  replicas: 3"), "{}", diff.stdout);
    assert!(lines.contains(&"+  replicas: 1"), "{}", diff.stdout);
    assert_eq!(
        cluster.resource_version("deployment", "shop", "web"),
        scaled,
        "diff wrote to the cluster"
    );
}

#[test]
fn respect_ignore_differences_keeps_an_ignored_field_when_the_object_is_applied() {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment("web", NGINX, "1"));
    repo.commit("first");
    let cluster = Cluster::start();
    let ignoring = App::new(&repo.url()).ignore("apps", "Deployment", &["/spec/replicas"]);
    cluster.sync(&ignoring, &[]).expect_code(0);
    cluster.kubectl_ok(&["scale", "deployment", "web", "-n", "shop", "--replicas=3"]);
    repo.write("app/web.yaml", &deployment("web", "nginx:1.28", "1"));
    repo.commit("new image");

    let respecting = ignoring
        .clone()
        .sync_option("RespectIgnoreDifferences=true");
    let run = cluster.sync(&respecting, &[]);
    run.expect_code(0);
    assert_eq!(run.briefs(), ["configured Deployment.apps shop/web"]);
    let web = cluster.find("deployment", "shop", "web").unwrap();
    assert_eq!(
        web["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    assert_eq!(web["spec"]["replicas"], 3, "the ignored field was reset");

    repo.write("app/web.yaml", &deployment("web", "nginx:1.29", "1"));
    repo.commit("newer image");
    let run = cluster.sync(&ignoring, &[]);
    run.expect_code(0);
    assert_eq!(run.briefs(), ["configured Deployment.apps shop/web"]);
    assert_eq!(
        cluster.find("deployment", "shop", "web").unwrap()["spec"]["replicas"],
        1,
        "without RespectIgnoreDifferences an apply sets Git's value, as in Argo CD"
    );
}

// ---------------------------------------------------------------------------------------------
// 11. diff

#[test]
fn diff_exit_code_is_0_in_sync_1_when_different_and_2_on_errors() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    cluster.sync(&app, &[]).expect_code(0);

    let same = cluster.diff(&app, &["--exit-code"]);
    same.expect_code(0);
    assert!(!same.stdout.contains("+++"), "{}", same.stdout);
    assert_eq!(
        same.briefs(),
        [
            "unchanged ConfigMap shop/settings",
            "unchanged Service shop/web",
            "unchanged Deployment.apps shop/web",
        ]
    );

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "safe")]),
    );
    let sha = repo.commit("safe");
    let before = cluster.resource_version("configmap", "shop", "settings");
    let differs = cluster.diff(&app, &["--exit-code"]);
    differs.expect_code(1);
    let lines: Vec<&str> = differs.stdout.lines().collect();
    for expected in [
        "--- live /ConfigMap shop/settings",
        "+++ desired /ConfigMap shop/settings",
        "-  mode: fast",
        "+  mode: safe",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} in\n{}",
            differs.stdout
        );
    }
    assert_eq!(
        differs.briefs(),
        [
            "configured ConfigMap shop/settings",
            "unchanged Service shop/web",
            "unchanged Deployment.apps shop/web",
        ]
    );
    assert!(differs
        .summary()
        .starts_with(&format!("diff {}:", short(&sha))));
    assert_eq!(
        cluster.resource_version("configmap", "shop", "settings"),
        before,
        "diff changed the cluster"
    );
    cluster.diff(&app, &[]).expect_code(0);

    let missing = cluster.scratch("no-such-app.yaml");
    let error = cluster.driftless(&["diff", "-f", missing.to_str().unwrap(), "--exit-code"]);
    error.expect_code(2);
    assert!(
        error.stderr.starts_with("error: reading "),
        "{}",
        error.stderr
    );

    let unreachable = App::new(&format!("git://127.0.0.1:{}/repo", free_port()));
    let error = cluster.diff(&unreachable, &["--exit-code"]);
    error.expect_code(2);
    assert!(
        error
            .summary()
            .starts_with("diff failed: fetching git://127.0.0.1:"),
        "{}",
        error.stdout
    );
}

#[test]
fn diff_exit_code_is_1_when_the_cluster_holds_an_object_git_no_longer_declares() {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/old.yaml", &config_map("old", &[("a", "1")]));
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    cluster.sync(&app, &[]).expect_code(0);
    repo.remove("app/old.yaml");
    repo.commit("remove old");

    let diff = cluster.diff(&app, &["--exit-code"]);
    assert!(
        diff.summary().ends_with("sync OutOfSync, health Healthy"),
        "{}",
        diff.stdout
    );
    diff.expect_code(1);
    assert!(
        !diff.stdout.contains("--- live /ConfigMap shop/old"),
        "no removal diff while pruning is off: {}",
        diff.stdout
    );

    let pruning = cluster.diff(&app.clone().automated(true), &["--exit-code"]);
    pruning.expect_code(1);
    assert!(
        pruning
            .stdout
            .contains("--- live /ConfigMap shop/old\n+++ desired /ConfigMap shop/old\n")
            && pruning.stdout.contains("\n-data:\n-  a: \"1\"\n"),
        "the object to prune shows as removed: {}",
        pruning.stdout
    );
    assert!(pruning
        .briefs()
        .contains(&"pruned ConfigMap shop/old".to_owned()));
}

#[test]
fn secret_values_never_appear_in_diff_or_sync_output() {
    const OLD: &str = "old-password-4217";
    const NEW: &str = "new-password-9981";
    let repo = Repo::new();
    repo.write("app/creds.yaml", &secret("creds", "password", OLD));
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    let first = cluster.sync(&app, &[]);
    first.expect_code(0);
    assert_eq!(
        first.briefs(),
        ["created Namespace shop", "created Secret shop/creds"]
    );
    let same = cluster.diff(&app, &["--exit-code"]);
    same.expect_code(0);
    assert_eq!(same.briefs(), ["unchanged Secret shop/creds"]);

    repo.write("app/creds.yaml", &secret("creds", "password", NEW));
    repo.commit("rotate");
    let runs = [
        ("diff", cluster.diff(&app, &["--exit-code"])),
        ("diff -o json", cluster.diff(&app, &["-o", "json"])),
        ("sync", cluster.sync(&app, &[])),
    ];
    assert_eq!(runs[0].1.code, 1, "{:?}", runs[0].1);
    assert!(
        runs[0].1.stdout.contains("--- live /Secret shop/creds"),
        "the diff shows that the Secret changed: {}",
        runs[0].1.stdout
    );
    let masked: Vec<&str> = runs[0]
        .1
        .stdout
        .lines()
        .filter(|l| l.starts_with("-  password: ") || l.starts_with("+  password: "))
        .collect();
    assert_eq!(masked.len(), 2, "{}", runs[0].1.stdout);
    assert!(
        masked
            .iter()
            .all(|l| l[13..].trim_matches('"').chars().all(|c| c == '+'))
            && masked[0][1..] != masked[1][1..],
        "the changed key shows as two different masks: {masked:?}"
    );
    assert_eq!(runs[2].1.briefs(), ["configured Secret shop/creds"]);
    for (what, run) in &runs {
        for value in [OLD, NEW] {
            for shown in [value.to_owned(), base64(value.as_bytes())] {
                assert!(
                    !run.stdout.contains(&shown) && !run.stderr.contains(&shown),
                    "{what} shows a Secret value:\n{}\n{}",
                    run.stdout,
                    run.stderr
                );
            }
        }
    }
    assert_eq!(
        cluster.find("secret", "shop", "creds").unwrap()["data"]["password"],
        base64(NEW.as_bytes())
    );
}

#[test]
fn a_secret_value_the_api_rejects_is_not_echoed_in_the_error() {
    const VALUE: &str = "hunter2-not-base64!";
    let repo = Repo::new();
    repo.write(
        "app/creds.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: {VALUE:?}\n"
        ),
    );
    repo.commit("bad secret");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    for run in [
        cluster.sync(&app, &[]),
        cluster.sync(&app, &["-o", "json"]),
        cluster.diff(&app, &[]),
    ] {
        assert_ne!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains("/Secret:shop/creds") || run.stdout.contains("\"creds\""),
            "the failure names the Secret: {}",
            run.stdout
        );
        assert!(
            !run.stdout.contains(VALUE) && !run.stderr.contains(VALUE),
            "the rejected value is shown:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

/// Standard base64 with padding, as the API stores Secret data.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

// ---------------------------------------------------------------------------------------------
// 12. Machine-readable output

#[test]
fn sync_and_diff_print_the_changeset_as_json_and_yaml() {
    let (repo, sha) = shop_repo();
    let cluster = Cluster::start();
    let app = App::new(&repo.url());

    let run = cluster.sync(&app, &["-o", "json"]);
    run.expect_code(0);
    let outcome: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(outcome["revision"], sha.as_str());
    assert_eq!(outcome["succeeded"], true);
    assert_eq!(outcome["error"], Value::Null);
    assert_eq!(outcome["sync"], "Synced");
    assert_eq!(outcome["health"]["status"], "Healthy");
    assert_eq!(
        outcome["changes"],
        json!([
            {"object": {"group": "", "version": "v1", "kind": "Namespace", "namespace": "", "name": "shop"},
             "action": "created", "message": "CreateNamespace=true"},
            {"object": {"group": "", "version": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "settings"},
             "action": "created"},
            {"object": {"group": "", "version": "v1", "kind": "Service", "namespace": "shop", "name": "web"},
             "action": "created"},
            {"object": {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
             "action": "created"},
        ])
    );

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "safe")]),
    );
    let next = repo.commit("safe");
    let diff = cluster.diff(&app, &["-o", "yaml"]);
    diff.expect_code(0);
    let outcome: Value = serde_saphyr::from_str(&diff.stdout)
        .unwrap_or_else(|e| panic!("{e}: not YAML:\n{}", diff.stdout));
    assert_eq!(outcome["revision"], next.as_str());
    assert_eq!(outcome["succeeded"], true);
    let actions: Vec<(String, String)> = outcome["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_owned(),
                format!(
                    "{}/{}",
                    c["object"]["kind"].as_str().unwrap(),
                    c["object"]["name"].as_str().unwrap()
                ),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("configured".to_owned(), "ConfigMap/settings".to_owned()),
            ("unchanged".to_owned(), "Service/web".to_owned()),
            ("unchanged".to_owned(), "Deployment/web".to_owned()),
        ]
    );

    repo.write("app/web.yaml", &deployment("web", NGINX, "\"two\""));
    repo.commit("broken");
    let failed = cluster.sync(&app, &["-o", "json"]);
    failed.expect_code(1);
    let outcome: Value = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(outcome["succeeded"], false);
    assert!(
        outcome["error"]
            .as_str()
            .unwrap()
            .starts_with("dry-run failed, nothing was applied"),
        "{outcome:#}"
    );
    assert_eq!(outcome["changes"][0]["action"], "failed");
    assert_eq!(outcome["changes"][0]["object"]["name"], "web");
}

/// The `web` Deployment with its selector (and pod labels) set to `app: <selector>`.
fn deployment_selecting(selector: &str, annotations: &[(&str, &str)]) -> String {
    deployment_annotated("web", NGINX, "1", annotations)
        .replace("app: web", &format!("app: {selector}"))
}

#[test]
fn a_changed_immutable_field_fails_the_dry_run_unless_replace_is_set() {
    let repo = Repo::new();
    repo.write("app/web.yaml", &deployment_selecting("web", &[]));
    repo.commit("first");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    cluster.sync(&app, &[]).expect_code(0);
    let uid = |cluster: &Cluster| {
        cluster.find("deployment", "shop", "web").unwrap()["metadata"]["uid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first_uid = uid(&cluster);

    repo.write("app/web.yaml", &deployment_selecting("web-v2", &[]));
    repo.commit("new selector");
    let refused = cluster.sync(&app, &[]);
    refused.expect_code(1);
    assert_eq!(refused.briefs(), ["failed Deployment.apps shop/web"]);
    assert!(
        refused.rows()[0].message.contains("field is immutable"),
        "{}",
        refused.stdout
    );
    assert_eq!(uid(&cluster), first_uid, "nothing was applied");

    repo.write(
        "app/web.yaml",
        &deployment_selecting("web-v2", &[("driftless.dev/sync-options", "Replace=true")]),
    );
    repo.commit("new selector, replace");
    let replaced = cluster.sync(&app, &[]);
    replaced.expect_code(0);
    assert_eq!(replaced.briefs(), ["configured Deployment.apps shop/web"]);
    assert_eq!(
        replaced.rows()[0].message,
        "replaced: an immutable field changed"
    );
    assert_ne!(
        uid(&cluster),
        first_uid,
        "the Deployment was deleted and created again"
    );
    let selector = &cluster.find("deployment", "shop", "web").unwrap()["spec"]["selector"];
    assert_eq!(selector["matchLabels"]["app"], "web-v2");
}

#[test]
fn a_hook_with_generate_name_runs_under_a_new_name_on_every_sync() {
    let repo = Repo::new();
    let hook = job(
        "migrate",
        &[("driftless.dev/hook", "PostSync")],
        "echo migrate",
    )
    .replace("  name: migrate\n", "  generateName: migrate-\n");
    repo.write("app/hooks.yaml", &hook).write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    );
    repo.commit("hooks");
    let cluster = Cluster::start();
    let app = App::new(&repo.url());
    let jobs = |cluster: &Cluster| -> Vec<String> {
        let list = cluster.get(&["jobs", "-n", "shop"]);
        let mut names: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };

    let first = cluster.sync(&app, &[]);
    first.expect_code(0);
    let after_first = jobs(&cluster);
    assert_eq!(after_first.len(), 1, "{after_first:?}");
    assert!(after_first[0].starts_with("migrate-") && after_first[0].len() == "migrate-".len() + 5);
    assert!(
        first
            .briefs()
            .contains(&format!("created Job.batch shop/{}", after_first[0])),
        "{}",
        first.stdout
    );

    cluster.sync(&app, &[]).expect_code(0);
    let after_second = jobs(&cluster);
    assert_eq!(
        after_second.len(),
        2,
        "a second run, under another name: {after_second:?}"
    );
}
