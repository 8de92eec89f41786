//! End-to-end tests of `driftless controller`: the real binary against an in-process
//! devcluster (with the workload simulator) through a kubeconfig file, Git repositories made by
//! the tests, and kubectl as the user who creates Applications, asks for operations and
//! changes objects behind the controller's back.

mod sync_support;

use serde_json::Value;
use sync_support::watch::eventually;
use sync_support::*;

/// A repository whose first commit holds a ConfigMap `settings` (mode: fast) and a Deployment
/// `web`; returns it with the commit id.
fn shop_repo() -> (Repo, String) {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "fast")]),
    )
    .write("app/web.yaml", &deployment("web", "nginx:1.27", "1"));
    let sha = repo.commit("first");
    (repo, sha)
}

/// The Application `default/<name>` as kubectl reads it.
fn application(cluster: &Cluster, name: &str) -> Value {
    cluster.get(&["application", name, "-n", "default"])
}

fn status_of(cluster: &Cluster, name: &str) -> Value {
    application(cluster, name)["status"].clone()
}

/// True when `default/<name>` is Synced and Healthy at `revision`.
fn synced_at(cluster: &Cluster, name: &str, revision: &str) -> bool {
    let status = status_of(cluster, name);
    status["sync"]["status"] == "Synced"
        && status["health"]["status"] == "Healthy"
        && status["sync"]["revision"] == revision
}

/// The condition `type_` of `status`, if it has one.
fn find_condition<'a>(status: &'a Value, type_: &str) -> Option<&'a Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn condition_reason(status: &Value, type_: &str) -> String {
    find_condition(status, type_)
        .and_then(|c| c["reason"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn events_of(cluster: &Cluster, name: &str) -> Vec<(String, String)> {
    let list = cluster.get(&["events", "-n", "default"]);
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|e| e["involvedObject"]["name"] == name)
                .map(|e| {
                    (
                        e["reason"].as_str().unwrap_or_default().to_owned(),
                        e["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn setup(app: &App) -> Cluster {
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(app);
    cluster
}

#[test]
fn an_automated_application_is_synced_healthy_and_ready_with_an_event() {
    let (repo, sha) = shop_repo();
    let app = App::new(&repo.url()).automated(true);
    let cluster = setup(&app);
    let controller = cluster.controller("main", &[]);
    eventually("the app is Synced and Healthy", || {
        synced_at(&cluster, "shop", &sha)
    });
    let status = status_of(&cluster, "shop");
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status:#}");
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"]["mode"],
        "fast"
    );
    assert_eq!(status["history"][0]["revision"], sha.as_str());
    eventually("a Synced event", || {
        events_of(&cluster, "shop")
            .iter()
            .any(|(reason, message)| reason == "Synced" && message.contains("created"))
    });
    drop(controller);
}

#[test]
fn a_refresh_applies_a_new_commit_and_the_request_is_removed() {
    let (repo, _) = shop_repo();
    let app = App::new(&repo.url()).automated(true).interval("1h");
    let cluster = setup(&app);
    let _controller = cluster.controller("main", &[]);
    eventually("the first sync", || {
        status_of(&cluster, "shop")["sync"]["status"] == "Synced"
    });
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "slow")]),
    );
    let second = repo.commit("slow");
    cluster.kubectl_ok(&[
        "annotate",
        "application",
        "shop",
        "-n",
        "default",
        "driftless.dev/refresh=now",
    ]);
    eventually("the new commit is applied", || {
        synced_at(&cluster, "shop", &second)
    });
    assert_eq!(
        cluster.find("configmap", "shop", "settings").unwrap()["data"]["mode"],
        "slow"
    );
    eventually("the refresh annotation is removed", || {
        application(&cluster, "shop")["metadata"]["annotations"]["driftless.dev/refresh"].is_null()
    });
}

#[test]
fn drift_made_with_kubectl_is_healed_and_without_self_heal_only_reported() {
    let (repo, sha) = shop_repo();
    let healing = App::new(&repo.url()).self_heal().interval("1h");
    let reporting = App::new(&repo.url())
        .named("report")
        .into_namespace("report")
        .automated(false)
        .interval("1h");
    let cluster = setup(&healing);
    cluster.apply_application(&reporting);
    let _controller = cluster.controller("main", &[]);
    eventually("both are synced", || {
        synced_at(&cluster, "shop", &sha) && synced_at(&cluster, "report", &sha)
    });
    for namespace in ["shop", "report"] {
        cluster.kubectl_ok(&[
            "patch",
            "configmap",
            "settings",
            "-n",
            namespace,
            "--type",
            "merge",
            "-p",
            r#"{"data":{"mode":"tampered"}}"#,
        ]);
    }
    eventually("selfHeal puts the value back", || {
        cluster.find("configmap", "shop", "settings").unwrap()["data"]["mode"] == "fast"
    });
    eventually("without selfHeal the app reports OutOfSync", || {
        status_of(&cluster, "report")["sync"]["status"] == "OutOfSync"
    });
    assert_eq!(
        cluster.find("configmap", "report", "settings").unwrap()["data"]["mode"],
        "tampered"
    );
    assert!(status_of(&cluster, "shop")["sync"]["status"] == "Synced");
}

#[test]
fn sync_and_rollback_operations_run_and_are_cleared() {
    let (repo, first) = shop_repo();
    let app = App::new(&repo.url()).interval("1h");
    let cluster = setup(&app);
    let _controller = cluster.controller("main", &[]);
    eventually("a manual app is only compared", || {
        status_of(&cluster, "shop")["sync"]["status"] == "OutOfSync"
    });
    assert!(
        cluster.find("configmap", "shop", "settings").is_none(),
        "nothing applied without a request"
    );
    let request_sync = |revision: &str| {
        let patch = format!(
            r#"{{"operation":{{"sync":{{"revision":"{revision}"}},"initiatedBy":{{"username":"test"}}}}}}"#
        );
        cluster.kubectl_ok(&[
            "patch",
            "application",
            "shop",
            "-n",
            "default",
            "--type",
            "merge",
            "-p",
            &patch,
        ]);
    };
    request_sync("");
    eventually("the sync ran and the operation is cleared", || {
        let app = application(&cluster, "shop");
        app["operation"].is_null()
            && app["status"]["operationState"]["phase"] == "Succeeded"
            && synced_at(&cluster, "shop", &first)
    });
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "slow")]),
    );
    let second = repo.commit("slow");
    request_sync("main");
    eventually("the second commit is synced", || {
        synced_at(&cluster, "shop", &second)
    });
    let history = status_of(&cluster, "shop")["history"].clone();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history:#}");
    let first_id = history[0]["id"].as_i64().unwrap();
    let patch = format!(r#"{{"operation":{{"rollback":{{"id":{first_id}}}}}}}"#);
    cluster.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "default",
        "--type",
        "merge",
        "-p",
        &patch,
    ]);
    eventually("the rollback restored the first revision", || {
        cluster.find("configmap", "shop", "settings").unwrap()["data"]["mode"] == "fast"
            && application(&cluster, "shop")["operation"].is_null()
    });
    assert_eq!(
        status_of(&cluster, "shop")["operationState"]["revision"],
        first.as_str()
    );
}

#[test]
fn a_suspended_application_is_left_alone_until_resumed() {
    let (repo, sha) = shop_repo();
    let app = App::new(&repo.url()).automated(true).suspended();
    let cluster = setup(&app);
    let controller = cluster.controller("main", &[]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        cluster.find("configmap", "shop", "settings").is_none(),
        "{}",
        controller.log()
    );
    assert!(status_of(&cluster, "shop").is_null());
    cluster.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "default",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"suspend":false}}"#,
    ]);
    eventually("resumed, it syncs", || synced_at(&cluster, "shop", &sha));
}

#[test]
fn depends_on_waits_until_the_named_application_is_ready() {
    let (repo, sha) = shop_repo();
    let infra = App::new(&repo.url())
        .named("infra")
        .into_namespace("infra")
        .automated(true);
    let web = App::new(&repo.url())
        .named("web")
        .automated(true)
        .depends_on("infra");
    let cluster = setup(&web);
    let _controller = cluster.controller("main", &[]);
    eventually("web waits for infra", || {
        condition_reason(&status_of(&cluster, "web"), "Ready") == "DependencyNotReady"
    });
    let status = status_of(&cluster, "web");
    assert_eq!(
        condition(&status, "Ready")["message"],
        "waiting for default/infra to be Ready"
    );
    assert!(cluster.find("configmap", "shop", "settings").is_none());
    cluster.apply_application(&infra);
    eventually("infra, then web, are synced", || {
        synced_at(&cluster, "infra", &sha) && synced_at(&cluster, "web", &sha)
    });
}

#[test]
fn a_missing_credentials_secret_stalls_until_the_application_changes() {
    let (repo, sha) = shop_repo();
    let broken = App::new(&repo.url())
        .automated(true)
        .secret_ref("repo-creds")
        .interval("1s");
    let cluster = setup(&broken);
    let controller = cluster.controller("main", &[]);
    eventually("Stalled", || {
        !condition_reason(&status_of(&cluster, "shop"), "Stalled").is_empty()
    });
    let status = status_of(&cluster, "shop");
    assert_eq!(condition(&status, "Stalled")["status"], "True");
    assert!(
        condition(&status, "Stalled")["message"]
            .as_str()
            .unwrap()
            .contains("default/repo-creds"),
        "{status:#}"
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let attempts = controller.log().matches("result=\"stalled\"").count();
    assert_eq!(
        attempts,
        1,
        "a stalled app is not retried every interval:\n{}",
        controller.log()
    );
    cluster.apply_application(&App::new(&repo.url()).automated(true).interval("1s"));
    eventually("fixed, it syncs", || synced_at(&cluster, "shop", &sha));
    assert!(find_condition(&status_of(&cluster, "shop"), "Stalled").is_none());
}

#[test]
fn a_failing_fetch_is_retried_with_back_off_up_to_the_limit() {
    let port = free_port();
    let app = App::new(&format!("git://127.0.0.1:{port}/nothing.git"))
        .automated(true)
        .interval("1h")
        .retry(2, "300ms");
    let cluster = setup(&app);
    let controller = cluster.controller("main", &[]);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let log = controller.log();
    let retries = log.matches("reasons={Retry}").count();
    assert_eq!(retries, 2, "two retries, then the interval:\n{log}");
    let status = status_of(&cluster, "shop");
    assert_eq!(condition(&status, "Ready")["status"], "False", "{status:#}");
    assert!(
        find_condition(&status, "Stalled").is_none(),
        "a network failure is not terminal"
    );
}

#[test]
fn steady_state_passes_write_nothing() {
    let (repo, sha) = shop_repo();
    let app = App::new(&repo.url()).self_heal().interval("300ms");
    let cluster = setup(&app);
    // A leader renews its Lease every retry period: that write is not part of a pass.
    let controller = cluster.controller("main", &["--leader-elect=false"]);
    eventually("synced and healthy", || synced_at(&cluster, "shop", &sha));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = cluster.current_resource_version();
    let passes_before = controller.log().matches("reasons={Interval}").count();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let passes = controller.log().matches("reasons={Interval}").count() - passes_before;
    assert!(
        passes >= 3,
        "interval passes ran: {passes}\n{}",
        controller.log()
    );
    assert_eq!(
        cluster.current_resource_version(),
        before,
        "no write in {passes} passes:\n{}",
        controller.log()
    );
}

#[test]
fn applications_in_one_cluster_deploy_to_another_registered_as_a_secret() {
    let (repo, sha) = shop_repo();
    let far = Cluster::start_with_token("far-cluster-token");
    let app = App::new(&repo.url())
        .self_heal()
        .interval("1h")
        .destination_cluster("far");
    let cluster = setup(&app);
    cluster.kubectl_ok(&["create", "namespace", "driftless"]);
    let kubeconfig = far.kubeconfig_text();
    cluster.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "far",
        "-n",
        "driftless",
        "--from-literal=name=far",
        &format!("--from-literal=kubeconfig={kubeconfig}"),
    ]);
    cluster.kubectl_ok(&[
        "label",
        "secret",
        "far",
        "-n",
        "driftless",
        "driftless.dev/secret-type=cluster",
    ]);
    let _controller = cluster.controller("main", &[]);
    eventually("synced into the far cluster", || {
        synced_at(&cluster, "shop", &sha)
    });
    assert_eq!(
        far.find("configmap", "shop", "settings").unwrap()["data"]["mode"],
        "fast"
    );
    assert!(
        cluster.find("configmap", "shop", "settings").is_none(),
        "nothing lands in the Applications' cluster"
    );
    far.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "-n",
        "shop",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"mode":"tampered"}}"#,
    ]);
    eventually("drift in the far cluster is healed", || {
        far.find("configmap", "shop", "settings").unwrap()["data"]["mode"] == "fast"
    });
}

#[test]
fn deleting_an_application_deletes_its_objects_only_with_the_resources_finalizer() {
    let (repo, sha) = shop_repo();
    let cascading = App::new(&repo.url())
        .automated(true)
        .interval("1h")
        .with_resources_finalizer();
    let leaving = App::new(&repo.url())
        .named("kept")
        .into_namespace("kept")
        .automated(true)
        .interval("1h");
    let cluster = setup(&cascading);
    cluster.apply_application(&leaving);
    let _controller = cluster.controller("main", &[]);
    eventually("both are synced", || {
        synced_at(&cluster, "shop", &sha) && synced_at(&cluster, "kept", &sha)
    });
    cluster.kubectl_ok(&[
        "delete",
        "application",
        "shop",
        "kept",
        "-n",
        "default",
        "--wait=false",
    ]);
    eventually("the finalized Application and its objects are gone", || {
        cluster.find("application", "default", "shop").is_none()
            && cluster.find("configmap", "shop", "settings").is_none()
            && cluster.find("deployment", "shop", "web").is_none()
    });
    assert!(cluster.find("application", "default", "kept").is_none());
    assert!(
        cluster.find("configmap", "kept", "settings").is_some(),
        "without the finalizer the objects stay"
    );
    assert!(events_of(&cluster, "shop")
        .iter()
        .any(|(reason, message)| reason == "Deleted" && message.contains("pruned")));
}

#[test]
fn without_the_application_crd_the_controller_says_how_to_install_it() {
    let cluster = Cluster::start();
    let run = cluster.driftless(&["controller", "--listen", "127.0.0.1:0"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr,
        "error: the Application CRD is not installed in this cluster (run `driftless crd | kubectl apply -f -`)\n"
    );
}
