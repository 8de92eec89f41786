//! End-to-end tests of a running `driftless controller` from the outside: its HTTP API with
//! tokens, Git host webhooks (a bad signature refused, a good one applying the push), the
//! `driftless app` verbs driving it, and a standby replica taking over when the leader dies.

mod sync_support;

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sync_support::http::request;
use sync_support::watch::eventually;
use sync_support::*;

const ADMIN: &str = "admin-token-for-tests";
const READER: &str = "reader-token-for-tests";
const WEBHOOK_SECRET: &str = "webhook-secret-for-tests";

/// A repository whose first commit holds a ConfigMap `settings` (mode: fast) and a Deployment.
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

fn mode(cluster: &Cluster) -> String {
    cluster
        .find("configmap", "shop", "settings")
        .and_then(|c| c["data"]["mode"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn synced_at(cluster: &Cluster, revision: &str) -> bool {
    let status = cluster.application_status();
    status["sync"]["status"] == "Synced"
        && status["health"]["status"] == "Healthy"
        && status["sync"]["revision"] == revision
}

/// The controller with an admin and a read-only token and a webhook secret, from files.
fn controller_with_secrets(cluster: &Cluster, name: &str, extra: &[&str]) -> ControllerProcess {
    let tokens = cluster.scratch("tokens");
    std::fs::write(
        &tokens,
        format!("# API tokens\n{ADMIN} admin\n{READER} read-only\n"),
    )
    .unwrap();
    let secret = cluster.scratch("webhook-secret");
    std::fs::write(&secret, format!("{WEBHOOK_SECRET}\n")).unwrap();
    let mut args = vec![
        "--api-token-file",
        tokens.to_str().unwrap(),
        "--webhook-secret-file",
        secret.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cluster.controller(name, &args)
}

fn github_signature(body: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={digest}")
}

/// A GitHub push event for the repository served at `git://127.0.0.1:PORT/repo`, as GitHub
/// names it in its https form.
fn push_event(daemon_url: &str) -> String {
    let http = daemon_url.replace("git://", "http://");
    serde_json::json!({
        "ref": "refs/heads/main",
        "repository": {"clone_url": format!("{http}.git"), "html_url": http, "ssh_url": "git@example.com:other/repo.git"}
    })
    .to_string()
}

#[test]
fn a_webhook_with_a_bad_signature_is_refused_and_a_good_one_applies_the_push() {
    let (repo, first) = shop_repo();
    let daemon = repo.serve();
    let app = App::new(&daemon.url()).automated(true).interval("1h");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&app);
    let controller = controller_with_secrets(&cluster, "main", &[]);
    let api = controller.api_addr();
    eventually("the first sync", || synced_at(&cluster, &first));
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "slow")]),
    );
    let second = repo.commit("slow");
    let body = push_event(&daemon.url());
    let bad = request(
        &api,
        "POST",
        "/api/v1/webhook",
        &[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", &github_signature(&body, "wrong")),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(bad.status, 401, "{}", bad.body);
    assert!(
        bad.json()["error"].as_str().unwrap().contains("signature"),
        "{}",
        bad.body
    );
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(mode(&cluster), "fast", "a refused webhook changes nothing");
    let pushed = Instant::now();
    let good = request(
        &api,
        "POST",
        "/api/v1/webhook",
        &[
            ("X-GitHub-Event", "push"),
            (
                "X-Hub-Signature-256",
                &github_signature(&body, WEBHOOK_SECRET),
            ),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(good.status, 200, "{}", good.body);
    assert_eq!(
        good.json()["refreshed"],
        serde_json::json!(["default/shop"])
    );
    eventually("the push is applied", || mode(&cluster) == "slow");
    assert!(
        pushed.elapsed() < Duration::from_secs(5),
        "applied {:?} after the webhook",
        pushed.elapsed()
    );
    eventually("the status follows", || synced_at(&cluster, &second));
}

#[test]
fn the_api_needs_a_token_and_a_sync_request_through_it_runs() {
    let (repo, first) = shop_repo();
    let app = App::new(&repo.url()).interval("1h");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&app);
    let controller = controller_with_secrets(&cluster, "main", &[]);
    let api = controller.api_addr();
    assert_eq!(request(&api, "GET", "/healthz", &[], "").status, 200);
    let anonymous = request(&api, "GET", "/api/v1/applications", &[], "");
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let reader = format!("Bearer {READER}");
    let admin = format!("Bearer {ADMIN}");
    let listed = request(
        &api,
        "GET",
        "/api/v1/applications",
        &[("Authorization", &reader)],
        "",
    );
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(listed.body.contains("\"shop\""), "{}", listed.body);
    let refused = request(
        &api,
        "POST",
        "/api/v1/applications/default/shop/sync",
        &[("Authorization", &reader)],
        "",
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(cluster.find("configmap", "shop", "settings").is_none());
    let accepted = request(
        &api,
        "POST",
        "/api/v1/applications/default/shop/sync",
        &[
            ("Authorization", &admin),
            ("Content-Type", "application/json"),
        ],
        "{}",
    );
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    eventually("the requested sync ran", || synced_at(&cluster, &first));
    let detail = request(
        &api,
        "GET",
        "/api/v1/applications/default/shop",
        &[("Authorization", &reader)],
        "",
    )
    .json();
    assert_eq!(detail["status"]["history"][0]["revision"], first.as_str());
    // The counters are updated right after the status is written; the operation runs once.
    eventually("the sync is counted once", || {
        request(&api, "GET", "/metrics", &[], "")
            .body
            .contains("driftless_syncs_total{result=\"succeeded\"} 1")
    });
    let metrics = request(&api, "GET", "/metrics", &[], "");
    for family in [
        "driftless_reconcile_duration_seconds_count",
        "driftless_kube_api_requests_total{verb=\"patch\"}",
        "driftless_app_sync_status{namespace=\"default\",name=\"shop\",status=\"Synced\"} 1",
        "driftless_git_fetch_duration_seconds_count",
        "driftless_queue_depth",
    ] {
        assert!(
            metrics.body.contains(family),
            "{family} missing from:\n{}",
            metrics.body
        );
    }
    let missing = request(
        &api,
        "GET",
        "/api/v1/applications/default/nothing",
        &[("Authorization", &reader)],
        "",
    );
    assert_eq!(missing.status, 404);
    assert!(!missing.body.contains(ADMIN) && !missing.body.contains(READER));
}

#[test]
fn the_app_verbs_drive_a_running_controller() {
    let (repo, first) = shop_repo();
    let app = App::new(&repo.url()).interval("1h");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&app);
    let _controller = cluster.controller("main", &[]);
    let diff = cluster.driftless(&["app", "diff", "shop", "-n", "default", "--exit-code"]);
    assert_eq!(
        diff.code, 1,
        "differences before the first sync: {}{}",
        diff.stdout, diff.stderr
    );
    let synced = cluster.driftless(&[
        "app",
        "sync",
        "shop",
        "-n",
        "default",
        "--wait",
        "--timeout",
        "30",
    ]);
    assert_eq!(synced.code, 0, "{}{}", synced.stdout, synced.stderr);
    assert!(
        synced.stdout.contains("Sync wave 0 (1/1): applying"),
        "progress per wave:\n{}",
        synced.stdout
    );
    assert!(synced.stdout.contains("created"), "{}", synced.stdout);
    assert!(synced_at(&cluster, &first));
    let same = cluster.driftless(&["app", "diff", "shop", "-n", "default", "--exit-code"]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "slow")]),
    );
    let second = repo.commit("slow");
    let preview = cluster.driftless(&[
        "app",
        "diff",
        "shop",
        "-n",
        "default",
        "--revision",
        &second,
    ]);
    assert!(
        preview.stdout.contains("+  mode: slow"),
        "{}",
        preview.stdout
    );
    let moved = cluster.driftless(&[
        "app",
        "sync",
        "shop",
        "-n",
        "default",
        "--wait",
        "--timeout",
        "30",
    ]);
    assert_eq!(moved.code, 0, "{}{}", moved.stdout, moved.stderr);
    assert_eq!(mode(&cluster), "slow");
    let history = cluster.driftless(&["app", "history", "shop", "-n", "default"]);
    assert!(
        history.stdout.contains(&first[..12]) && history.stdout.contains(&second[..12]),
        "{}",
        history.stdout
    );
    let back = cluster.driftless(&[
        "app",
        "rollback",
        "shop",
        "0",
        "-n",
        "default",
        "--wait",
        "--timeout",
        "30",
    ]);
    assert_eq!(back.code, 0, "{}{}", back.stdout, back.stderr);
    assert_eq!(mode(&cluster), "fast");
    let list = cluster.driftless(&["app", "list"]);
    assert!(
        list.stdout.contains("shop") && list.stdout.contains("OutOfSync"),
        "rolled back behind main:\n{}",
        list.stdout
    );
    assert_eq!(
        cluster
            .driftless(&["app", "suspend", "shop", "-n", "default"])
            .code,
        0
    );
    let refused = cluster.driftless(&[
        "app",
        "sync",
        "shop",
        "-n",
        "default",
        "--wait",
        "--timeout",
        "3",
    ]);
    assert_eq!(
        refused.code, 3,
        "a suspended app is not synced: {}{}",
        refused.stdout, refused.stderr
    );
    assert_eq!(
        cluster
            .driftless(&["app", "resume", "shop", "-n", "default"])
            .code,
        0
    );
    eventually("the pending sync runs once resumed", || {
        cluster.application_status()["sync"]["revision"] == second.as_str()
    });
}

#[test]
fn a_standby_controller_takes_over_within_the_lease_when_the_leader_dies() {
    let (repo, first) = shop_repo();
    let app = App::new(&repo.url()).automated(true).interval("1h");
    let cluster = Cluster::start();
    cluster.install_application_crd();
    cluster.apply_application(&app);
    let timings = [
        "--lease-duration",
        "2s",
        "--renew-deadline",
        "1500ms",
        "--retry-period",
        "250ms",
    ];
    let mut one = cluster.controller("one", &timings);
    let mut two = cluster.controller("two", &timings);
    eventually("one of them leads", || one.is_leading() || two.is_leading());
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        !(one.is_leading() && two.is_leading()),
        "never two leaders:\n{}\n{}",
        one.log(),
        two.log()
    );
    eventually("the leader syncs", || synced_at(&cluster, &first));
    let (leader, standby) = if one.is_leading() {
        (&mut one, &two)
    } else {
        (&mut two, &one)
    };
    leader.kill();
    let died = Instant::now();
    repo.write(
        "app/settings.yaml",
        &config_map("settings", &[("mode", "slow")]),
    );
    repo.commit("slow");
    cluster.kubectl_ok(&[
        "annotate",
        "application",
        "shop",
        "-n",
        "default",
        "driftless.dev/refresh=after-failover",
    ]);
    eventually("the standby leads", || standby.is_leading());
    let took_over = died.elapsed();
    eventually("the standby applies the change", || {
        mode(&cluster) == "slow"
    });
    assert!(
        took_over < Duration::from_millis(2000 + 250 + 500),
        "took over after {took_over:?}:\n{}",
        standby.log()
    );
}
