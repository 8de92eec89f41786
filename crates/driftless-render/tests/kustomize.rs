//! Kustomize sources through the real `kubectl kustomize` (or `kustomize`, when on PATH).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{fixture, kinds_and_names, spec};
use driftless_core::{KustomizeSource, SourceSpec};
use driftless_render::{
    render, HelmCommand, KustomizeCommand, KustomizeError, KustomizeTool, RenderError,
    RenderRequest, Renderer,
};

#[test]
fn overlay_with_patches_generator_images_prefix_and_component() {
    let manifests = render(&fixture("kustomize"), "c1", &spec("overlays/prod")).unwrap();
    let names = kinds_and_names(&manifests);
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"Service/prod-web".to_owned()), "{names:?}");
    assert!(
        names.contains(&"ServiceMonitor/prod-web".to_owned()),
        "{names:?}"
    );
    let settings = names
        .iter()
        .find(|n| n.starts_with("ConfigMap/prod-settings-"))
        .unwrap();
    assert!(
        settings.len() > "ConfigMap/prod-settings-".len(),
        "generator adds a hash suffix"
    );
    let deployment = manifests
        .iter()
        .find(|m| m.kind() == Some("Deployment"))
        .unwrap();
    assert_eq!(deployment.namespace(), Some("shop"));
    assert_eq!(deployment.object["spec"]["replicas"], 3);
    assert_eq!(
        deployment.object["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
    assert_eq!(deployment.origin.file, "overlays/prod");
}

#[test]
fn explicit_kustomize_block_renders_the_base() {
    let source = SourceSpec {
        path: "base".into(),
        kustomize: Some(KustomizeSource::default()),
        ..Default::default()
    };
    let names = kinds_and_names(&render(&fixture("kustomize"), "c1", &source).unwrap());
    assert_eq!(names, ["Service/web", "Deployment/web"]);
}

#[test]
fn remote_base_is_refused_unless_allowed() {
    let err = render(&fixture("kustomize"), "c1", &spec("remote")).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Kustomize(KustomizeError::RemoteReference { .. })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("remote/kustomization.yaml: remote reference"),
        "{err}"
    );
}

#[test]
fn allowed_remote_base_is_fetched_by_the_tool_and_its_failure_reported() {
    // With remote bases allowed the tool is asked to fetch; the host never resolves, so
    // the tool's own error must come back with its stderr.
    let source = SourceSpec {
        path: "remote".into(),
        kustomize: Some(KustomizeSource {
            allow_remote_bases: true,
        }),
        ..Default::default()
    };
    let renderer = Renderer::new(
        Arc::new(KustomizeCommand::from_path(Duration::from_secs(20))),
        HelmCommand::from_path(Duration::from_secs(1)),
        None,
    );
    let err = renderer
        .render(&RenderRequest::new(&fixture("kustomize"), "c1", &source))
        .unwrap_err();
    assert!(
        matches!(err, RenderError::Kustomize(KustomizeError::Build { .. })),
        "{err}"
    );
}

#[test]
fn base_outside_the_checkout_is_refused() {
    let err = render(&fixture("kustomize"), "c1", &spec("escape")).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Kustomize(KustomizeError::Reference { .. })
        ),
        "{err}"
    );
}

#[test]
fn tool_failure_carries_stderr_without_host_paths() {
    let err = render(&fixture("kustomize"), "c1", &spec("broken")).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, RenderError::Kustomize(KustomizeError::Build { .. })),
        "{message}"
    );
    assert!(message.contains("missing-patch.yaml"), "{message}");
    assert!(
        !message.contains(env!("CARGO_MANIFEST_DIR")),
        "host path leaked: {message}"
    );
}

#[test]
fn missing_resource_is_named_before_running_the_tool() {
    let err = render(&fixture("kustomize"), "c1", &spec("missing")).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Kustomize(KustomizeError::Reference { .. })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("missing/kustomization.yaml: path missing/missing.yaml"),
        "{err}"
    );
}

/// Renders the base with a kubectl that does not exist, so the tool cannot start.
fn render_base_with_unstartable_kubectl() -> RenderError {
    let renderer = Renderer::new(
        Arc::new(KustomizeCommand::with_program(
            "/nonexistent/kubectl".into(),
            KustomizeTool::Kubectl,
            Duration::from_secs(1),
        )),
        HelmCommand::from_path(Duration::from_secs(1)),
        None,
    );
    renderer
        .render(&RenderRequest::new(
            &fixture("kustomize"),
            "c1",
            &spec("base"),
        ))
        .unwrap_err()
}

#[test]
fn missing_tool_names_what_to_install() {
    let command = KustomizeCommand::from_path(Duration::from_secs(1));
    assert!(
        command.tool().is_some(),
        "kubectl or kustomize must be on PATH for these tests"
    );
    let err = render_base_with_unstartable_kubectl();
    assert!(err.to_string().contains("cannot start kubectl"), "{err}");
}

#[test]
fn failing_kustomization_is_not_transient_but_a_tool_that_cannot_start_is() {
    let err = render(&fixture("kustomize"), "c1", &spec("broken")).unwrap_err();
    assert!(!err.is_transient(), "{err}");
    let err = render_base_with_unstartable_kubectl();
    assert!(err.is_transient(), "{err}");
}

#[cfg(unix)]
#[test]
fn symlink_out_of_the_checkout_anywhere_is_refused_before_the_tool_runs() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "kind: Secret\n").unwrap();
    let checkout = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(checkout.path().join("app")).unwrap();
    std::fs::write(
        checkout.path().join("app/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        checkout.path().join("app/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
    )
    .unwrap();
    assert_eq!(
        render(checkout.path(), "c1", &spec("app")).unwrap().len(),
        1
    );
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        checkout.path().join("app/leak.yaml"),
    )
    .unwrap();
    let err = render(checkout.path(), "c1", &spec("app")).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Checkout(driftless_render::CheckoutError::Escapes { .. })
        ),
        "{err}"
    );
}
