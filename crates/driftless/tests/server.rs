//! The HTTP server against an in-process devcluster: authentication, the Application routes,
//! requests written on the Application, refreshes reaching the queue, webhooks of every
//! provider, metrics, health, the diff of a real Git repository, and the event stream over a
//! real TCP connection.

mod server_support;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use driftless::controller::{AppEvent, Trigger};
use driftless::server::{bind, serve, ApiTokens, ConfigError, Role, ServerState, WebhookSecret};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SHOP: &str = "https://github.com/Org/Shop.git";

#[tokio::test]
async fn api_routes_need_a_known_bearer_token_and_posts_need_admin() {
    let fixture = Fixture::start().await;
    fixture.create_app("default", "shop", SHOP).await;
    let router = fixture.router();

    let none = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications",
        None,
        None,
    )
    .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(none.error(), "missing bearer token");

    let unknown = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications",
        Some("nope"),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(!unknown.text.contains("nope"));

    let reader = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(reader.status, StatusCode::OK);

    let refused = call(
        router.clone(),
        Method::POST,
        "/api/v1/applications/default/shop/sync",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.error().contains("admin"), "{}", refused.text);
    assert!(fixture.app("default", "shop").await.operation.is_none());

    let admin = call(
        router.clone(),
        Method::POST,
        "/api/v1/applications/default/shop/sync",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(admin.status, StatusCode::ACCEPTED, "{}", admin.text);

    let events = call(router, Method::GET, "/api/v1/events", None, None).await;
    assert_eq!(events.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn health_and_metrics_need_no_token() {
    let fixture = Fixture::start().await;
    fixture
        .hub
        .metrics()
        .set_app_status("default", "shop", "Synced", "Healthy");
    let router = fixture.router();

    let healthz = call(router.clone(), Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (healthz.status, healthz.text.as_str()),
        (StatusCode::OK, "ok")
    );
    let readyz = call(router.clone(), Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (readyz.status, readyz.text.as_str()),
        (StatusCode::OK, "ok")
    );

    let metrics = call(router, Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(
        metrics.text.contains("driftless_app_sync_status"),
        "{}",
        metrics.text
    );
    assert!(metrics.text.contains(r#"name="shop""#), "{}", metrics.text);
    assert!(
        metrics.text.trim_end().ends_with("# EOF"),
        "{}",
        metrics.text
    );
}

#[tokio::test]
async fn readyz_is_503_when_the_applications_cluster_does_not_answer() {
    let cache = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = kube::Config::new(format!("http://127.0.0.1:{port}").parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let (hub, _triggers) = hub_over(client, cache.path());
    let state = ServerState {
        hub,
        tokens: ApiTokens::none(),
        webhook: None,
    };
    let readyz = call(
        driftless::server::router(state),
        Method::GET,
        "/readyz",
        None,
        None,
    )
    .await;
    assert_eq!(readyz.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        readyz
            .error()
            .starts_with("the Applications' cluster does not answer"),
        "{}",
        readyz.text
    );
}

#[tokio::test]
async fn applications_are_listed_by_namespace_and_read_one_by_one() {
    let fixture = Fixture::start().await;
    fixture.create_app("default", "shop", SHOP).await;
    fixture
        .create_app("team", "billing", "git@github.com:org/billing.git")
        .await;
    fixture
        .set_status(
            "default",
            "shop",
            json!({
                "sync": {"status": "Synced", "revision": "4f1c"},
                "health": {"status": "Healthy"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": ""}],
                "operationState": {"phase": "Succeeded", "revision": "4f1c"},
                "history": [{"id": 1, "revision": "4f1c", "deployedAt": "2026-11-25T00:00:00Z", "source": {"repoURL": SHOP}}],
            }),
        )
        .await;
    let router = fixture.router();

    let all = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications",
        Some(READER),
        None,
    )
    .await
    .json();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shop", "billing"]);
    let shop = &all[0];
    assert_eq!(shop["namespace"], "default");
    assert_eq!(shop["repoURL"], SHOP);
    assert_eq!(shop["path"], "app");
    assert_eq!(shop["targetRevision"], "main");
    assert_eq!(shop["destination"]["namespace"], "default");
    assert_eq!(shop["sync"], "Synced");
    assert_eq!(shop["revision"], "4f1c");
    assert_eq!(shop["health"], "Healthy");
    assert_eq!(shop["suspended"], false);
    assert_eq!(shop["operationPhase"], "Succeeded");
    assert_eq!(shop["ready"]["status"], "True");
    assert_eq!(all[1]["sync"], "Unknown");

    let team = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications?namespace=team",
        Some(READER),
        None,
    )
    .await
    .json();
    assert_eq!(team.as_array().unwrap().len(), 1);
    assert_eq!(team[0]["name"], "billing");

    let one = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications/default/shop",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    let one = one.json();
    assert_eq!(one["spec"]["source"]["repoURL"], SHOP);
    assert_eq!(one["status"]["history"][0]["revision"], "4f1c");
    assert!(one["metadata"].get("managedFields").is_none(), "{one}");

    let missing = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications/default/nope",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error(), "application default/nope not found");

    let bad = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications/default/Not..ok",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications?namespace=a%2Fb",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let nowhere = call(
        router.clone(),
        Method::GET,
        "/api/v1/nowhere",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(nowhere.error(), "no such route");

    let wrong = call(
        router,
        Method::DELETE,
        "/api/v1/applications/default/shop",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.error(), "method not allowed on this route");
}

#[tokio::test]
async fn a_sync_request_writes_the_operation_on_the_application() {
    let fixture = Fixture::start().await;
    fixture.create_app("default", "shop", SHOP).await;
    let router = fixture.router();

    let answer = call(
        router.clone(),
        Method::POST,
        "/api/v1/applications/default/shop/sync",
        Some(ADMIN),
        Some(json!({"revision": "v2", "prune": false})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    assert_eq!(answer.json()["app"], "default/shop");
    let operation = fixture.app("default", "shop").await.operation.unwrap();
    let sync = operation.sync.unwrap();
    assert_eq!((sync.revision.as_str(), sync.prune), ("v2", Some(false)));
    assert_eq!(operation.initiated_by.unwrap().username, "api");

    let bad = call(
        router.clone(),
        Method::POST,
        "/api/v1/applications/default/shop/sync",
        Some(ADMIN),
        Some(json!({"prune": "yes"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.error().contains("`prune`"), "{}", bad.text);

    let missing = call(
        router,
        Method::POST,
        "/api/v1/applications/default/nope/sync",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rollbacks_are_refused_with_409_or_written_when_possible() {
    let fixture = Fixture::start().await;
    fixture.create_automated_app("default", "auto", SHOP).await;
    fixture.create_app("default", "manual", SHOP).await;
    let history = json!({"history": [{"id": 1, "revision": "4f1c", "deployedAt": "2026-11-25T00:00:00Z", "source": {"repoURL": SHOP, "path": "app"}}]});
    fixture.set_status("default", "auto", history.clone()).await;
    fixture.set_status("default", "manual", history).await;
    let router = fixture.router();
    let rollback = |app: &str, body: Value| {
        let router = router.clone();
        let uri = format!("/api/v1/applications/default/{app}/rollback");
        async move { call(router, Method::POST, &uri, Some(ADMIN), Some(body)).await }
    };

    let automated = rollback("auto", json!({"id": 1})).await;
    assert_eq!(automated.status, StatusCode::CONFLICT, "{}", automated.text);
    assert!(
        automated.error().contains("automated sync"),
        "{}",
        automated.text
    );
    let no_entry = rollback("manual", json!({"id": 9})).await;
    assert_eq!(no_entry.status, StatusCode::CONFLICT);
    assert!(
        no_entry.error().contains("no history entry 9"),
        "{}",
        no_entry.text
    );
    assert!(fixture.app("default", "manual").await.operation.is_none());

    let no_id = rollback("manual", json!({"force": true})).await;
    assert_eq!(no_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_id.error(), "field `id` is required");

    let accepted = rollback("manual", json!({"id": 1})).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
    let forced = rollback("auto", json!({"id": 1, "force": true})).await;
    assert_eq!(forced.status, StatusCode::ACCEPTED, "{}", forced.text);
    let operation = fixture.app("default", "auto").await.operation.unwrap();
    let rollback = operation.rollback.unwrap();
    assert_eq!((rollback.id, rollback.force), (1, true));
}

#[tokio::test]
async fn refresh_goes_to_the_queue_when_leading_and_to_the_annotation_otherwise() {
    let mut fixture = Fixture::start().await;
    fixture.create_app("default", "shop", SHOP).await;
    let router = fixture.router();
    let uri = "/api/v1/applications/default/shop/refresh";

    let answer = call(router.clone(), Method::POST, uri, Some(ADMIN), None).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    assert_eq!(
        fixture.drain_triggers(),
        [("default/shop".to_owned(), Trigger::Refresh)]
    );

    let missing = call(
        router.clone(),
        Method::POST,
        "/api/v1/applications/default/nope/refresh",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(fixture.drain_triggers().is_empty());

    fixture.hub.set_leading(false);
    let answer = call(router, Method::POST, uri, Some(ADMIN), None).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert!(fixture.drain_triggers().is_empty());
    let annotations = fixture
        .app("default", "shop")
        .await
        .metadata
        .annotations
        .unwrap_or_default();
    assert!(
        annotations.contains_key("driftless.dev/refresh"),
        "{annotations:?}"
    );
}

/// Applications of several repositories, for the webhook tests.
async fn webhook_fixture() -> Fixture {
    let fixture = Fixture::start().await;
    fixture.create_app("default", "shop", SHOP).await;
    fixture
        .create_app("team", "shop-ssh", "git@github.com:org/shop")
        .await;
    fixture
        .create_app("default", "other", "https://github.com/org/other.git")
        .await;
    fixture
        .create_app(
            "default",
            "gitlab",
            "https://gitlab.example.com/Group/Apps.git",
        )
        .await;
    fixture
        .create_app(
            "default",
            "gitea",
            "ssh://git@gitea.example.com:2222/org/apps.git",
        )
        .await;
    fixture
        .create_app("default", "bitbucket", "git@bitbucket.org:team/apps.git")
        .await;
    fixture
}

const GITHUB_PUSH: &str = r#"{"ref":"refs/heads/main","repository":{"full_name":"org/shop",
  "html_url":"https://github.com/org/shop","clone_url":"https://github.com/org/shop.git",
  "ssh_url":"git@github.com:org/shop.git"}}"#;
const GITLAB_PUSH: &str = r#"{"object_kind":"push","project":{"web_url":"https://gitlab.example.com/group/apps",
  "git_http_url":"https://gitlab.example.com/group/apps.git","git_ssh_url":"git@gitlab.example.com:group/apps.git"}}"#;
const GITEA_PUSH: &str = r#"{"ref":"refs/heads/main","repository":{"html_url":"https://gitea.example.com/org/apps",
  "clone_url":"https://gitea.example.com/org/apps.git","ssh_url":"ssh://git@gitea.example.com:2222/org/apps.git"}}"#;
const BITBUCKET_PUSH: &str = r#"{"push":{"changes":[]},"repository":{"full_name":"team/apps",
  "links":{"html":{"href":"https://bitbucket.org/team/apps"}}}}"#;

/// Sends a delivery; checks that a bad one is refused with 401 and triggers nothing, and that
/// the good one answers `refreshed` with exactly `expected` and triggers exactly them.
async fn check_provider(
    fixture: &mut Fixture,
    event: (&str, &str),
    bad: Vec<(&str, String)>,
    good: Vec<(&str, String)>,
    body: &str,
    expected: &[&str],
) {
    let mut bad_headers = vec![(event.0, event.1.to_owned())];
    bad_headers.extend(bad);
    let refused = send(fixture.router(), delivery(&bad_headers, body)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    assert!(refused.error().contains("signature"), "{}", refused.text);
    assert!(!refused.text.contains(SECRET));
    assert!(fixture.drain_triggers().is_empty());

    let mut good_headers = vec![(event.0, event.1.to_owned())];
    good_headers.extend(good);
    let answer = send(fixture.router(), delivery(&good_headers, body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json(), json!({"refreshed": expected}));
    let triggered: Vec<(String, Trigger)> = expected
        .iter()
        .map(|k| (k.to_string(), Trigger::Webhook))
        .collect();
    assert_eq!(fixture.drain_triggers(), triggered);
}

#[tokio::test]
async fn github_pushes_refresh_exactly_the_apps_of_the_repository() {
    let mut fixture = webhook_fixture().await;
    let good = sign(SECRET, GITHUB_PUSH);
    let bad = sign("wrong secret", GITHUB_PUSH);
    check_provider(
        &mut fixture,
        ("x-github-event", "push"),
        vec![("x-hub-signature-256", format!("sha256={bad}"))],
        vec![("x-hub-signature-256", format!("sha256={good}"))],
        GITHUB_PUSH,
        &["default/shop", "team/shop-ssh"],
    )
    .await;
    // A missing signature is refused the same way.
    check_provider(
        &mut fixture,
        ("x-github-event", "push"),
        vec![],
        vec![("x-hub-signature-256", format!("sha256={good}"))],
        GITHUB_PUSH,
        &["default/shop", "team/shop-ssh"],
    )
    .await;
}

#[tokio::test]
async fn gitlab_pushes_are_proven_by_their_token() {
    let mut fixture = webhook_fixture().await;
    check_provider(
        &mut fixture,
        ("x-gitlab-event", "Push Hook"),
        vec![("x-gitlab-token", "webhook secret 4".to_owned())],
        vec![("x-gitlab-token", SECRET.to_owned())],
        GITLAB_PUSH,
        &["default/gitlab"],
    )
    .await;
}

#[tokio::test]
async fn gitea_pushes_are_signed_in_plain_hex() {
    let mut fixture = webhook_fixture().await;
    let tampered = GITEA_PUSH.replace("main", "evil");
    check_provider(
        &mut fixture,
        ("x-gitea-event", "push"),
        vec![("x-gitea-signature", sign(SECRET, &tampered))],
        vec![("x-gitea-signature", sign(SECRET, GITEA_PUSH))],
        GITEA_PUSH,
        &["default/gitea"],
    )
    .await;
}

#[tokio::test]
async fn bitbucket_pushes_are_signed_in_x_hub_signature() {
    let mut fixture = webhook_fixture().await;
    check_provider(
        &mut fixture,
        ("x-event-key", "repo:push"),
        vec![(
            "x-hub-signature",
            format!("sha256={}", sign("nope", BITBUCKET_PUSH)),
        )],
        vec![(
            "x-hub-signature",
            format!("sha256={}", sign(SECRET, BITBUCKET_PUSH)),
        )],
        BITBUCKET_PUSH,
        &["default/bitbucket"],
    )
    .await;
}

#[tokio::test]
async fn pings_odd_payloads_and_webhooks_without_a_secret_refresh_nothing() {
    let mut fixture = webhook_fixture().await;
    let ping = r#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let answer = send(
        fixture.router(),
        delivery(
            &[
                ("x-github-event", "ping".to_owned()),
                (
                    "x-hub-signature-256",
                    format!("sha256={}", sign(SECRET, ping)),
                ),
            ],
            ping,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json(), json!({"refreshed": []}));
    assert!(fixture.drain_triggers().is_empty());

    let unknown = send(
        fixture.router(),
        delivery(&[("x-whatever", "push".to_owned())], GITHUB_PUSH),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    for (body, error) in [
        ("payload=%7B%7D", "the webhook payload is not JSON"),
        (
            r#"{"repository":{}}"#,
            "the github push names no repository URL",
        ),
    ] {
        let signed = [
            ("x-github-event", "push".to_owned()),
            (
                "x-hub-signature-256",
                format!("sha256={}", sign(SECRET, body)),
            ),
        ];
        let answer = send(fixture.router(), delivery(&signed, body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!(answer.error(), error);
    }
    assert!(fixture.drain_triggers().is_empty());

    let mut closed = Fixture::with_webhook(None).await;
    closed.create_app("default", "shop", SHOP).await;
    let headers = [
        ("x-github-event", "push".to_owned()),
        (
            "x-hub-signature-256",
            format!("sha256={}", sign(SECRET, GITHUB_PUSH)),
        ),
    ];
    let refused = send(closed.router(), delivery(&headers, GITHUB_PUSH)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.error().contains("no webhook secret"),
        "{}",
        refused.text
    );
    assert!(closed.drain_triggers().is_empty());
}

#[tokio::test]
async fn webhook_bodies_over_5_mib_are_refused() {
    let fixture = Fixture::start().await;
    let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(5 << 20));
    let headers = [
        ("x-github-event", "push".to_owned()),
        (
            "x-hub-signature-256",
            format!("sha256={}", sign(SECRET, &body)),
        ),
    ];
    let answer = send(fixture.router(), delivery(&headers, &body)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer.error().contains("5 MiB"), "{}", answer.text);
}

#[tokio::test]
async fn the_diff_of_an_app_shows_what_a_sync_would_create() {
    let fixture = Fixture::start().await;
    let repo = Repo::new();
    repo.write(
        "app/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  colour: blue\n",
    );
    let first = repo.commit("blue");
    repo.write(
        "app/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  colour: green\n",
    );
    let second = repo.commit("green");
    fixture.create_app("default", "shop", &repo.url()).await;
    let router = fixture.router();

    let answer = call(
        router.clone(),
        Method::GET,
        "/api/v1/applications/default/shop/diff",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let diff = answer.json();
    assert_eq!(diff["revision"], second.as_str(), "{diff}");
    assert_eq!(diff["succeeded"], true, "{diff}");
    let diffs = diff["diffs"].as_array().unwrap();
    assert_eq!(diffs.len(), 1, "{diff}");
    assert_eq!(diffs[0]["object"]["kind"], "ConfigMap");
    assert_eq!(diffs[0]["object"]["name"], "settings");
    let text = diffs[0]["diff"].as_str().unwrap();
    assert!(text.contains("green") && !text.contains("blue"), "{text}");

    let older = call(
        router.clone(),
        Method::GET,
        &format!("/api/v1/applications/default/shop/diff?revision={first}"),
        Some(READER),
        None,
    )
    .await
    .json();
    assert_eq!(older["revision"], first.as_str(), "{older}");
    assert!(
        older["diffs"][0]["diff"].as_str().unwrap().contains("blue"),
        "{older}"
    );

    // Nothing was written: a diff is a dry run.
    let configmaps =
        kube::Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(fixture.client(), "default");
    assert!(configmaps.get_opt("settings").await.unwrap().is_none());
}

#[tokio::test]
async fn the_diff_of_an_app_with_an_unknown_destination_is_422() {
    let fixture = Fixture::start().await;
    let mut app = fixture.create_app("default", "far", SHOP).await;
    app.spec.destination.name = "elsewhere".to_owned();
    app.metadata.managed_fields = None;
    kube::Api::<driftless_core::application::Application>::namespaced(fixture.client(), "default")
        .replace("far", &Default::default(), &app)
        .await
        .unwrap();
    let answer = call(
        fixture.router(),
        Method::GET,
        "/api/v1/applications/default/far/diff",
        Some(READER),
        None,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert_eq!(
        answer.error(),
        "default/far: destination elsewhere is not a registered cluster (no Secret labelled \
         driftless.dev/secret-type=cluster in namespace driftless names it)"
    );
}

#[tokio::test]
async fn tokens_and_the_webhook_secret_are_read_from_a_kubernetes_secret() {
    use k8s_openapi::api::core::v1::Secret;
    let fixture = Fixture::start().await;
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"namespace": "default", "name": "driftless-server"},
        "stringData": {"tokens": "# API\ns3cret-1 admin\nview-2 read-only\n", "webhook-secret": " hook-3\n"},
    }))
    .unwrap();
    kube::Api::<Secret>::namespaced(fixture.client(), "default")
        .create(&Default::default(), &secret)
        .await
        .unwrap();
    let client = fixture.client();

    let tokens = ApiTokens::from_secret(&client, "default", "driftless-server")
        .await
        .unwrap();
    assert_eq!(tokens.role_of("s3cret-1"), Some(Role::Admin));
    assert_eq!(tokens.role_of("view-2"), Some(Role::ReadOnly));
    let webhook = WebhookSecret::from_secret(&client, "default", "driftless-server")
        .await
        .unwrap();
    assert!(webhook.matches(b"hook-3"));

    let missing = ApiTokens::from_secret(&client, "default", "nope")
        .await
        .unwrap_err();
    assert!(matches!(missing, ConfigError::Secret { .. }), "{missing}");
    assert!(
        missing
            .to_string()
            .starts_with("reading Secret default/nope: "),
        "{missing}"
    );

    let only_tokens: Secret = serde_json::from_value(json!({
        "metadata": {"namespace": "default", "name": "tokens-only"},
        "stringData": {"tokens": "leaky-token superuser\n"},
    }))
    .unwrap();
    kube::Api::<Secret>::namespaced(fixture.client(), "default")
        .create(&Default::default(), &only_tokens)
        .await
        .unwrap();
    let no_key = WebhookSecret::from_secret(&client, "default", "tokens-only")
        .await
        .unwrap_err();
    assert_eq!(
        no_key.to_string(),
        "Secret default/tokens-only has no key webhook-secret"
    );
    let bad_line = ApiTokens::from_secret(&client, "default", "tokens-only")
        .await
        .unwrap_err();
    assert_eq!(
        bad_line.to_string(),
        "tokens, line 1: the role is neither `admin` nor `read-only`"
    );
}

#[tokio::test]
async fn a_slow_event_client_is_told_how_many_events_it_missed() {
    let fixture = Fixture::start().await;
    let request = axum::http::Request::builder()
        .uri("/api/v1/events")
        .header("authorization", format!("Bearer {READER}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(fixture.router(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    for n in 0..1100 {
        fixture.hub.publish(event("default/shop", &format!("n{n}")));
    }
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let first = String::from_utf8_lossy(&first).into_owned();
    assert!(first.contains("event: lagged"), "{first}");
    assert!(first.contains(r#"data: {"missed":76}"#), "{first}");
    let next = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let next = String::from_utf8_lossy(&next).into_owned();
    assert!(
        next.contains("event: Synced") && next.contains(r#""message":"n76""#),
        "{next}"
    );
}

#[tokio::test]
async fn events_stream_over_tcp_and_end_on_shutdown() {
    let fixture = Fixture::start().await;
    let (listener, addr) = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert_ne!(addr.port(), 0);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, fixture.state.clone(), async move {
        let _ = stopped.await;
    }));

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/v1/events?app=default/shop HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {READER}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_until(&mut stream, "\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );

    fixture
        .hub
        .publish(event("default/other", "not for this client"));
    fixture.hub.publish(event("default/shop", "synced to 4f1c"));
    let text = read_until(&mut stream, "synced to 4f1c").await;
    assert!(text.contains("event: Synced\ndata: {"), "{text}");
    assert!(text.contains(r#""app":"default/shop""#), "{text}");
    assert!(!text.contains("not for this client"), "{text}");

    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(
        matches!(finished, Ok(Ok(Ok(())))),
        "the server did not stop: {finished:?}"
    );
}

fn event(app: &str, message: &str) -> AppEvent {
    AppEvent {
        app: app.to_owned(),
        reason: "Synced".to_owned(),
        type_: "Normal".to_owned(),
        revision: "4f1c".to_owned(),
        message: message.to_owned(),
        time: "2026-11-25T00:00:00Z".to_owned(),
    }
}

/// Reads from `stream` until the text read so far contains `needle` (10 s at most).
async fn read_until(stream: &mut tokio::net::TcpStream, needle: &str) -> String {
    let mut text = String::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains(needle) {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("never read {needle:?}; got {text:?}"))
            .unwrap();
        assert!(
            read > 0,
            "connection closed before {needle:?}; got {text:?}"
        );
        text.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    text
}

#[tokio::test]
async fn a_push_to_one_branch_leaves_applications_on_other_revisions_alone() {
    let mut fixture = webhook_fixture().await;
    fixture
        .create_app_at("default", "shop-release", SHOP, "release")
        .await;
    fixture
        .create_app_at("default", "shop-head", SHOP, "HEAD")
        .await;
    let signature = format!("sha256={}", sign(SECRET, GITHUB_PUSH));
    let headers = vec![
        ("x-github-event", "push".to_owned()),
        ("x-hub-signature-256", signature),
    ];
    let answer = send(fixture.router(), delivery(&headers, GITHUB_PUSH)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.json(),
        json!({"refreshed": ["default/shop", "default/shop-head", "team/shop-ssh"]})
    );
    fixture.drain_triggers();
    let tag_push = GITHUB_PUSH.replace("refs/heads/main", "refs/tags/v1.0.0");
    let signature = format!("sha256={}", sign(SECRET, &tag_push));
    let headers = vec![
        ("x-github-event", "push".to_owned()),
        ("x-hub-signature-256", signature),
    ];
    let answer = send(fixture.router(), delivery(&headers, &tag_push)).await;
    assert_eq!(
        answer.json(),
        json!({"refreshed": ["default/shop", "default/shop-head", "default/shop-release", "team/shop-ssh"]}),
        "a tag push may move any revision"
    );
}
