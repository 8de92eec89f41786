//! Bearer-token authentication: without the token requests get 401; the kubeconfig carries it.

use devcluster::{DevCluster, DevClusterConfig};
use kube::api::{Api, ListParams};

#[tokio::test]
async fn requests_without_the_token_are_unauthorized() {
    let c = DevCluster::start(DevClusterConfig {
        token: Some("s3cret".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(c.kubeconfig().contains("s3cret"));
    // kubectl sends bearer tokens only over TLS, so a token-protected cluster serves HTTPS with its own CA.
    assert!(c.url().starts_with("https://127.0.0.1:"), "{}", c.url());
    assert!(c.kubeconfig().contains("certificate-authority-data: "));
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.client());
    assert!(
        namespaces.list(&ListParams::default()).await.is_ok(),
        "the handle's client carries the token"
    );
    let anonymous = devcluster::kubeconfig::client(c.endpoint(), None).unwrap();
    let anonymous: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(anonymous);
    match anonymous.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (401, "Unauthorized")),
        other => panic!("expected 401, got {other:?}"),
    }
    let wrong = devcluster::kubeconfig::client(c.endpoint(), Some("nope")).unwrap();
    let wrong: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(wrong);
    assert!(
        matches!(wrong.list(&ListParams::default()).await, Err(kube::Error::Api(s)) if s.code == 401)
    );
}
