//! End-to-end tests of `driftless app ...`: the real binary against an in-process devcluster
//! with the Application CRD installed, through a kubeconfig file; Git repositories made by the
//! tests; kubectl as the independent client that checks what the commands wrote. No
//! controller runs here: sync and rollback are checked as the requests they write.

mod sync_support;

use serde_json::{json, Value};
use sync_support::*;

/// A repository whose first commit holds the ConfigMaps `settings` (mode: fast) and `extra`.
fn shop_repo() -> (Repo, String) {
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        &documents(&[
            config_map("settings", &[("mode", "fast")]),
            config_map("extra", &[("a", "1")]),
        ]),
    );
    let sha = repo.commit("first");
    (repo, sha)
}

/// A cluster with the CRD and the Application `default/shop` of `repo`, synced once with
/// `driftless sync -f` so that its status, inventory and history are written.
fn synced_shop(app: &App) -> Cluster {
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(app);
    cluster.sync(app, &[]).expect_code(0);
    cluster
}

fn short(sha: &str) -> &str {
    &sha[..12]
}

/// `kubectl get application shop -n default -o json`.
fn shop(cluster: &Cluster) -> Value {
    cluster.get(&["application", "shop", "-n", "default"])
}

/// A second Application, `team/other`, suspended, never synced.
fn apply_other(cluster: &Cluster) {
    cluster.kubectl_ok(&["create", "namespace", "team"]);
    let other = "apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata:\n  name: other\n  \
                 namespace: team\nspec:\n  source:\n    repoURL: https://git.example.com/other.git\n    \
                 path: deploy\n  destination:\n    namespace: other\n  suspend: true\n";
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], other);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// list, get

#[test]
fn list_shows_every_namespace_as_a_table_and_one_namespace_with_n() {
    let (repo, sha) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);
    apply_other(&cluster);

    let all = cluster.driftless(&["app", "list"]);
    all.expect_code(0);
    let url = repo.url();
    let other_url = "https://git.example.com/other.git";
    let repo_width = url.len().max(other_url.len());
    assert_eq!(
        all.stdout,
        format!(
            "NAMESPACE   NAME                SYNC      HEALTH    REVISION       {:<repo_width$}   PATH\n\
             default     shop                Synced    Healthy   {}   {url:<repo_width$}   app\n\
             team        other (suspended)   Unknown   Unknown                  {other_url:<repo_width$}   deploy\n",
            "REPO",
            short(&sha)
        )
    );

    let team = cluster.driftless(&["app", "list", "-n", "team"]);
    team.expect_code(0);
    assert_eq!(team.stdout.lines().count(), 2, "{}", team.stdout);
    assert!(team
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("team        other (suspended)"));

    let json = cluster.driftless(&["app", "list", "-o", "json"]);
    json.expect_code(0);
    let apps: Value = serde_json::from_str(&json.stdout).unwrap();
    let names: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shop", "other"]);
    assert_eq!(apps[0]["status"]["sync"]["revision"], sha.as_str());
    assert!(
        apps[0]["metadata"].get("managedFields").is_none(),
        "{apps:#}"
    );
}

#[test]
fn get_prints_a_header_and_the_objects_and_json_prints_the_application() {
    let (repo, sha) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);

    let get = cluster.driftless(&["app", "get", "shop"]);
    get.expect_code(0);
    let ready = &shop(&cluster)["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    let ready_line = match ready["message"].as_str() {
        Some(message) if !message.is_empty() => format!("True: {message}"),
        _ => "True".to_owned(),
    };
    let operation = shop(&cluster)["status"]["operationState"].clone();
    let operation_line = match operation["message"].as_str() {
        Some(message) if !message.is_empty() => format!("Succeeded: {message}"),
        _ => "Succeeded".to_owned(),
    };
    assert_eq!(
        get.stdout,
        format!(
            "Name:              default/shop\n\
             Repo:              {}\n\
             Path:              app\n\
             Target revision:   main\n\
             Destination:       in-cluster (namespace shop)\n\
             Sync:              Synced at {}\n\
             Health:            Healthy\n\
             Ready:             {ready_line}\n\
             Last operation:    {operation_line}\n\
             \n\
             KIND        NAMESPACE   NAME       SYNC     HEALTH\n\
             ConfigMap   shop        extra      Synced   Healthy\n\
             ConfigMap   shop        settings   Synced   Healthy\n",
            repo.url(),
            short(&sha)
        )
    );

    let json = cluster.driftless(&["app", "get", "default/shop", "-o", "json"]);
    json.expect_code(0);
    let got: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(got["spec"]["source"]["path"], "app");
    assert_eq!(got["status"]["sync"]["status"], "Synced");
    assert!(got["metadata"].get("managedFields").is_none(), "{got:#}");

    let yaml = cluster.driftless(&["app", "get", "shop", "-o", "yaml"]);
    yaml.expect_code(0);
    assert!(yaml.stdout.contains("kind: Application"), "{}", yaml.stdout);
}

#[test]
fn errors_are_one_line_and_exit_2() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();

    let no_crd = cluster.driftless(&["app", "get", "shop"]);
    no_crd.expect_code(2);
    assert_eq!(
        no_crd.stderr,
        "error: the Application CRD is not installed in this cluster \
         (run `driftless crd | kubectl apply -f -`)\n"
    );
    let no_crd_list = cluster.driftless(&["app", "list"]);
    no_crd_list.expect_code(2);
    assert_eq!(no_crd_list.stderr, no_crd.stderr);

    cluster.install_application_crd();
    cluster.apply_application(&App::new(&repo.url()));
    let missing = cluster.driftless(&["app", "get", "driftless/shop"]);
    missing.expect_code(2);
    assert_eq!(
        missing.stderr,
        "error: application driftless/shop not found\n"
    );
    assert_eq!(missing.stdout, "");

    let bad_name = cluster.driftless(&["app", "get", "Shop_1"]);
    bad_name.expect_code(2);
    assert_eq!(
        bad_name.stderr,
        "error: application name \"Shop_1\" is not a valid Kubernetes name\n"
    );

    let conflicting = cluster.driftless(&["app", "get", "default/shop", "-n", "team"]);
    conflicting.expect_code(2);
    assert_eq!(
        conflicting.stderr,
        "error: default/shop names namespace default but --namespace says team\n"
    );

    cluster.driftless(&["app", "sync"]).expect_code(2);

    let unreachable = cluster.scratch("unreachable.kubeconfig");
    std::fs::write(
        &unreachable,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: \
             http://127.0.0.1:{}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n\
             current-context: c\nusers:\n- name: u\n  user: {{}}\n",
            free_port()
        ),
    )
    .unwrap();
    let down = cluster.driftless(&["app", "list", "--kubeconfig", unreachable.to_str().unwrap()]);
    down.expect_code(2);
    assert!(down.stderr.starts_with("error: "), "{}", down.stderr);
    assert_eq!(down.stderr.lines().count(), 1, "{}", down.stderr);
}

// ---------------------------------------------------------------------------------------------
// history, suspend, resume, refresh

#[test]
fn history_lists_the_syncs_with_their_ids() {
    let (repo, a) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);
    repo.write(
        "app/settings.yaml",
        &documents(&[
            config_map("settings", &[("mode", "safe")]),
            config_map("extra", &[("a", "1")]),
        ]),
    );
    let b = repo.commit("second");
    cluster.sync(&app, &[]).expect_code(0);

    let history = shop(&cluster)["status"]["history"].clone();
    let run = cluster.driftless(&["app", "history", "shop"]);
    run.expect_code(0);
    let at = |i: usize| history[i]["deployedAt"].as_str().unwrap().to_owned();
    let id = |i: usize| history[i]["id"].to_string();
    assert_eq!(
        run.stdout,
        format!(
            "ID   REVISION       DEPLOYED-AT            SOURCE\n\
             {}    {}   {}   app@main\n\
             {}    {}   {}   app@main\n",
            id(0),
            short(&a),
            at(0),
            id(1),
            short(&b),
            at(1)
        )
    );

    let json = cluster.driftless(&["app", "history", "shop", "-o", "json"]);
    json.expect_code(0);
    let data: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(data, history);
}

#[test]
fn suspend_and_resume_set_spec_suspend_and_refresh_writes_the_annotation() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&App::new(&repo.url()));

    let suspend = cluster.driftless(&["app", "suspend", "shop"]);
    suspend.expect_code(0);
    assert_eq!(
        suspend.stdout,
        "application default/shop suspended: no sync, poll or repair until `app resume`\n"
    );
    assert_eq!(shop(&cluster)["spec"]["suspend"], true);
    let listed = cluster.driftless(&["app", "list"]);
    assert!(
        listed.stdout.contains("shop (suspended)"),
        "{}",
        listed.stdout
    );

    let resume = cluster.driftless(&["app", "resume", "default/shop"]);
    resume.expect_code(0);
    assert_eq!(resume.stdout, "application default/shop resumed\n");
    assert_eq!(shop(&cluster)["spec"]["suspend"], false);

    let refresh = cluster.driftless(&["app", "refresh", "shop"]);
    refresh.expect_code(0);
    assert_eq!(
        refresh.stdout,
        "refresh of application default/shop requested\n"
    );
    let annotation = &shop(&cluster)["metadata"]["annotations"]["driftless.dev/refresh"];
    assert!(
        annotation.as_str().is_some_and(|t| t.ends_with('Z')),
        "{annotation}"
    );

    cluster
        .driftless(&["app", "suspend", "gone"])
        .expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// create, delete

#[test]
fn create_validates_the_file_refuses_a_duplicate_and_upserts() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    let file = cluster.app_file(&App::new(&repo.url()));
    let file = file.to_str().unwrap();

    let no_crd = cluster.driftless(&["app", "create", "-f", file]);
    no_crd.expect_code(2);
    assert_eq!(
        no_crd.stderr,
        "error: the Application CRD is not installed in this cluster \
         (run `driftless crd | kubectl apply -f -`)\n"
    );

    cluster.install_application_crd();
    let created = cluster.driftless(&["app", "create", "-f", file]);
    created.expect_code(0);
    assert_eq!(created.stdout, "application default/shop created\n");
    assert_eq!(shop(&cluster)["spec"]["source"]["path"], "app");

    let again = cluster.driftless(&["app", "create", "-f", file]);
    again.expect_code(2);
    assert_eq!(
        again.stderr,
        "error: application default/shop already exists (use --upsert)\n"
    );

    let unchanged = cluster.driftless(&["app", "create", "-f", file, "--upsert"]);
    unchanged.expect_code(0);
    assert_eq!(unchanged.stdout, "application default/shop unchanged\n");

    let changed = cluster.app_file(&App::new(&repo.url()).automated(true));
    let upsert = cluster.driftless(&["app", "create", "-f", changed.to_str().unwrap(), "--upsert"]);
    upsert.expect_code(0);
    assert_eq!(upsert.stdout, "application default/shop configured\n");
    assert_eq!(
        shop(&cluster)["spec"]["syncPolicy"]["automated"]["prune"],
        true
    );

    let invalid = cluster.scratch("invalid.yaml");
    std::fs::write(
        &invalid,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {source: {repoURL: x}}\n",
    )
    .unwrap();
    let refused = cluster.driftless(&["app", "create", "-f", invalid.to_str().unwrap()]);
    refused.expect_code(2);
    assert!(
        refused
            .stderr
            .contains("kind is \"ConfigMap\", expected Application"),
        "{}",
        refused.stderr
    );
}

#[test]
fn delete_leaves_the_objects_in_place_without_cascade() {
    let (repo, _) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);

    let run = cluster.driftless(&["app", "delete", "shop"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "application default/shop deleted; its 2 managed object(s) were left in place\n"
    );
    assert!(cluster.find("application", "default", "shop").is_none());
    assert!(cluster.find("configmap", "shop", "settings").is_some());
    assert!(cluster.find("configmap", "shop", "extra").is_some());
    cluster.driftless(&["app", "delete", "shop"]).expect_code(2);
}

#[test]
fn delete_with_cascade_deletes_the_objects_it_owns_last_first_then_the_application() {
    let (repo, _) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);
    cluster.kubectl_ok(&[
        "annotate",
        "configmap",
        "settings",
        "-n",
        "shop",
        "--overwrite",
        "driftless.dev/tracking-id=default/other:/ConfigMap:shop/settings",
    ]);
    let inventory: Vec<String> = shop(&cluster)["status"]["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o["kind"].as_str().unwrap(),
                o["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(inventory, ["ConfigMap extra", "ConfigMap settings"]);

    let run = cluster.driftless(&["app", "delete", "shop", "--cascade"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "ACTION    KIND        NAMESPACE   NAME       MESSAGE\n\
         pruned    ConfigMap   shop        extra\n\
         skipped   ConfigMap   shop        settings   its tracking id names another owner; left in place\n\
         application default/shop deleted\n"
    );
    assert!(cluster.find("configmap", "shop", "extra").is_none());
    assert!(cluster.find("configmap", "shop", "settings").is_some());
    assert!(cluster.find("application", "default", "shop").is_none());
}

// ---------------------------------------------------------------------------------------------
// diff

#[test]
fn app_diff_prints_what_driftless_diff_prints_and_previews_any_revision() {
    let (repo, a) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);

    let same = cluster.driftless(&["app", "diff", "shop", "--exit-code"]);
    same.expect_code(0);
    assert_eq!(
        same.stdout,
        format!(
            "ACTION      KIND        NAMESPACE   NAME       MESSAGE\n\
             unchanged   ConfigMap   shop        extra\n\
             unchanged   ConfigMap   shop        settings\n\
             diff {}: 2 unchanged; sync Synced, health Healthy\n",
            short(&a)
        )
    );

    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "safe")]),
    );
    let b = repo.commit("safe, extra removed");
    let before = cluster.resource_version("configmap", "shop", "settings");
    let differs = cluster.driftless(&["app", "diff", "shop", "--exit-code"]);
    differs.expect_code(1);
    for expected in ["-  mode: fast", "+  mode: safe"] {
        assert!(
            differs.stdout.lines().any(|l| l == expected),
            "{expected:?} in\n{}",
            differs.stdout
        );
    }
    assert_eq!(
        differs.briefs(),
        [
            "configured ConfigMap shop/settings",
            "skipped ConfigMap shop/extra"
        ]
    );
    assert!(differs
        .summary()
        .starts_with(&format!("diff {}:", short(&b))));
    assert_eq!(
        cluster.resource_version("configmap", "shop", "settings"),
        before,
        "app diff changed the cluster"
    );
    let without_exit_code = cluster.driftless(&["app", "diff", "shop"]);
    without_exit_code.expect_code(0);
    let file_diff = cluster.diff(&app, &["--exit-code"]);
    file_diff.expect_code(1);
    assert_eq!(
        differs.stdout, file_diff.stdout,
        "app diff and diff -f print the same"
    );

    let old = cluster.driftless(&["app", "diff", "shop", "--revision", &a, "--exit-code"]);
    old.expect_code(0);
    assert!(
        old.summary().starts_with(&format!("diff {}:", short(&a))),
        "{}",
        old.stdout
    );

    let json = cluster.driftless(&["app", "diff", "shop", "-o", "json"]);
    json.expect_code(0);
    let data: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(data["revision"], b.as_str());

    let unknown = cluster.driftless(&["app", "diff", "shop", "--revision", "no-such-branch"]);
    unknown.expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// sync, rollback (as requests; no controller runs here)

#[test]
fn sync_writes_the_operation_for_the_controller() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&App::new(&repo.url()));

    let run = cluster.driftless(&["app", "sync", "shop"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "sync of application default/shop to main requested\n"
    );
    assert_eq!(
        shop(&cluster)["operation"],
        json!({"sync": {}, "initiatedBy": {"username": "cli", "automated": false}})
    );

    let run = cluster.driftless(&["app", "sync", "default/shop", "--revision", "v2", "--prune"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "sync of application default/shop to v2 requested\n"
    );
    assert_eq!(
        shop(&cluster)["operation"]["sync"],
        json!({"revision": "v2", "prune": true})
    );

    // As the controller does once done: a merge patch keeps the fields a new request leaves
    // out, so the previous request is cleared first.
    cluster.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"operation": null}"#,
    ]);
    let run = cluster.driftless(&["app", "sync", "shop", "--no-prune"]);
    run.expect_code(0);
    assert_eq!(shop(&cluster)["operation"]["sync"], json!({"prune": false}));

    cluster
        .driftless(&["app", "sync", "shop", "--prune", "--no-prune"])
        .expect_code(2);
    cluster.driftless(&["app", "sync", "gone"]).expect_code(2);
}

#[test]
fn rollback_writes_the_operation_and_is_refused_up_front_when_automated() {
    let (repo, a) = shop_repo();
    let app = App::new(&repo.url());
    let cluster = synced_shop(&app);
    let id = shop(&cluster)["status"]["history"][0]["id"].to_string();

    let run = cluster.driftless(&["app", "rollback", "shop", &id]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "rollback of application default/shop to history entry {id} ({}) requested\n",
            short(&a)
        )
    );
    assert_eq!(
        shop(&cluster)["operation"]["rollback"],
        json!({"id": id.parse::<i64>().unwrap(), "force": false})
    );

    let no_entry = cluster.driftless(&["app", "rollback", "shop", "99"]);
    no_entry.expect_code(2);
    assert!(
        no_entry.stderr.starts_with("error: default/shop: "),
        "{}",
        no_entry.stderr
    );

    cluster.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"operation": null, "spec": {"syncPolicy": {"automated": {"prune": true}}}}"#,
    ]);
    let refused = cluster.driftless(&["app", "rollback", "shop", &id]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("automated sync on") && refused.stderr.lines().count() == 1,
        "{}",
        refused.stderr
    );
    assert!(
        shop(&cluster).get("operation").is_none(),
        "nothing was requested"
    );

    let forced = cluster.driftless(&["app", "rollback", "shop", &id, "--force"]);
    forced.expect_code(0);
    assert_eq!(shop(&cluster)["operation"]["rollback"]["force"], true);
}

#[test]
fn sync_wait_without_a_controller_times_out_with_code_3_and_says_nothing_acted() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&App::new(&repo.url()));

    let started = std::time::Instant::now();
    let run = cluster.driftless(&["app", "sync", "shop", "--wait", "--timeout", "2"]);
    run.expect_code(3);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: timed out after 2s waiting for application default/shop: no controller acted \
         on the sync request (is `driftless controller` running?)\n"
    );
    assert!(shop(&cluster).get("operation").is_some());
}

// ---------------------------------------------------------------------------------------------
// --wait against a stand-in for the controller: kubectl writes what the controller writes

/// Now, RFC 3339 to the second, as the controller writes times.
fn now() -> String {
    jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .unwrap()
        .to_string()
}

/// Writes `operationState` through the status subresource, as the controller does.
fn write_operation_state(cluster: &Cluster, state: Value) {
    let patch = json!({"status": {"operationState": state}}).to_string();
    cluster.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "default",
        "--subresource=status",
        "--type=merge",
        "-p",
        &patch,
    ]);
}

/// Plays the controller for one requested operation: progress messages, then the end state
/// (`phase`, `message`, changes) and the operation cleared.
fn act_as_controller(cluster: &Cluster, phase: &str, message: &str, changes: Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while shop(cluster).get("operation").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no operation was requested"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let started = now();
    for progress in [
        "Sync wave 1 (1/2): applying 2 object(s)",
        "Sync wave 1 (1/2): waiting for health",
        "pruning what the revision no longer declares",
    ] {
        write_operation_state(
            cluster,
            json!({"phase": "Running", "message": progress, "startedAt": started}),
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    write_operation_state(
        cluster,
        json!({"phase": phase, "message": message, "startedAt": started, "finishedAt": now(),
               "revision": "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c", "changes": changes}),
    );
    cluster.kubectl_ok(&[
        "patch",
        "application",
        "shop",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"operation": null}"#,
    ]);
}

#[test]
fn sync_wait_prints_each_progress_message_then_the_changes_and_exits_0_or_1() {
    let (repo, _) = shop_repo();
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&App::new(&repo.url()));
    let changes = json!([
        {"object": {"group": "", "version": "v1", "kind": "ConfigMap", "namespace": "shop",
                    "name": "settings"}, "action": "configured"},
        {"object": {"group": "", "version": "v1", "kind": "ConfigMap", "namespace": "shop",
                    "name": "old"}, "action": "pruned"}
    ]);
    let progress = "Sync wave 1 (1/2): applying 2 object(s)\n\
                    Sync wave 1 (1/2): waiting for health\n\
                    pruning what the revision no longer declares\n";

    let run = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| cluster.driftless(&["app", "sync", "shop", "--wait"]));
        act_as_controller(&cluster, "Succeeded", "", changes.clone());
        waiting.join().unwrap()
    });
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "{progress}\
             ACTION       KIND        NAMESPACE   NAME       MESSAGE\n\
             configured   ConfigMap   shop        settings\n\
             pruned       ConfigMap   shop        old\n\
             sync succeeded at 4f1c2d3e4f5a: 1 configured, 1 pruned\n"
        )
    );

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let run = std::thread::scope(|scope| {
        let waiting = scope
            .spawn(|| cluster.driftless(&["app", "sync", "shop", "--wait", "--timeout", "30"]));
        act_as_controller(&cluster, "Failed", "wave 1 never became healthy", json!([]));
        waiting.join().unwrap()
    });
    run.expect_code(1);
    assert_eq!(
        run.stdout,
        format!("{progress}sync failed at 4f1c2d3e4f5a: wave 1 never became healthy\n")
    );
}
