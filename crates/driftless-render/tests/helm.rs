//! Helm sources. There is no helm binary on the build machines: a stand-in script that
//! records its arguments checks how `helm template` is invoked.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{fixture, kinds_and_names, spec};
use driftless_core::{HelmParameter, HelmSource, SourceSpec};
use driftless_render::{
    HelmCommand, HelmError, KustomizeCommand, Release, RenderError, RenderRequest, Renderer,
};

/// Writes an executable `helm` stand-in into `dir` that records its arguments (one per
/// line) in `dir/args`, the contents of every `--values` file in `dir/values`, and prints
/// one ConfigMap.
#[cfg(unix)]
fn stand_in(dir: &Path) -> PathBuf {
    let script = format!(
        r#"#!/bin/sh
printf '%s\n' "$@" > '{dir}/args'
: > '{dir}/values'
while [ $# -gt 0 ]; do
  if [ "$1" = --values ]; then cat "$2" >> '{dir}/values'; echo >> '{dir}/values'; fi
  shift
done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stand-in\n'
"#,
        dir = dir.display()
    );
    write_helm(dir, &script)
}

/// Writes `script` as an executable `helm` in `dir`.
#[cfg(unix)]
fn write_helm(dir: &Path, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("helm");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Held by every test of this file: a script written while another test forks a child
/// can fail to execute with ETXTBSY, so writing and running stand-ins never overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn renderer(helm: Option<PathBuf>) -> Renderer {
    Renderer::new(
        Arc::new(KustomizeCommand::from_path(Duration::from_secs(10))),
        HelmCommand::new(helm, Duration::from_secs(10)),
        None,
    )
}

#[cfg(unix)]
#[test]
fn chart_is_detected_and_templated_with_argo_cd_arguments() {
    let _serial = serial();
    let tools = tempfile::tempdir().unwrap();
    let helm = stand_in(tools.path());
    let source = SourceSpec {
        path: "chart".into(),
        helm: Some(HelmSource {
            release_name: String::new(),
            namespace: String::new(),
            value_files: vec!["values-prod.yaml".into()],
            values: "replicas: 5\n".into(),
            parameters: vec![HelmParameter {
                name: "image.tag".into(),
                value: "1.2,3".into(),
                force_string: true,
            }],
        }),
        ..Default::default()
    };
    let checkout = fixture("helm");
    let request = RenderRequest {
        release: Release {
            name: "guestbook",
            namespace: "shop",
        },
        ..RenderRequest::new(&checkout, "c1", &source)
    };
    let manifests = renderer(Some(helm)).render(&request).unwrap();
    assert_eq!(kinds_and_names(&manifests), ["ConfigMap/stand-in"]);
    assert_eq!(manifests[0].origin.file, "chart");

    let args = fs::read_to_string(tools.path().join("args")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    let chart = checkout.canonicalize().unwrap().join("chart");
    assert_eq!(
        args[..6],
        [
            "template",
            "guestbook",
            chart.to_str().unwrap(),
            "--namespace",
            "shop",
            "--include-crds"
        ]
    );
    assert_eq!(
        args[6..8],
        ["--values", chart.join("values-prod.yaml").to_str().unwrap()]
    );
    assert_eq!(args[8], "--values");
    assert!(
        args[9].ends_with(".yaml"),
        "inline values go through a temporary file: {args:?}"
    );
    assert_eq!(args[10..], ["--set-string", "image.tag=1.2\\,3"]);
    let values = fs::read_to_string(tools.path().join("values")).unwrap();
    assert_eq!(values, "replicas: 3\n\nreplicas: 5\n\n");
}

#[cfg(unix)]
#[test]
fn chart_yaml_alone_selects_helm() {
    let _serial = serial();
    let tools = tempfile::tempdir().unwrap();
    let helm = stand_in(tools.path());
    let manifests = renderer(Some(helm))
        .render(&RenderRequest::new(&fixture("helm"), "c1", &spec("chart")))
        .unwrap();
    assert_eq!(manifests.len(), 1);
    let args = fs::read_to_string(tools.path().join("args")).unwrap();
    assert!(args.starts_with("template\nrelease-name\n"), "{args}");
}

#[test]
fn missing_helm_says_what_to_install() {
    let _serial = serial();
    let err = renderer(None)
        .render(&RenderRequest::new(&fixture("helm"), "c1", &spec("chart")))
        .unwrap_err();
    assert!(
        matches!(err, RenderError::Helm(HelmError::ToolMissing { .. })),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "cannot render the Helm chart chart: install helm (v3) and put it on PATH"
    );
}

#[test]
fn value_file_outside_the_checkout_or_remote_is_refused() {
    let _serial = serial();
    let tools = tempfile::tempdir().unwrap();
    for (file, remote) in [
        ("../../plain/app/deploy.yaml", false),
        ("https://example.com/v.yaml", true),
    ] {
        let source = SourceSpec {
            path: "chart".into(),
            helm: Some(HelmSource {
                value_files: vec![file.into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let helm = Some(tools.path().join("helm"));
        let err = renderer(helm)
            .render(&RenderRequest::new(&fixture("helm"), "c1", &source))
            .unwrap_err();
        if remote {
            assert!(
                matches!(err, RenderError::Helm(HelmError::RemoteValueFile { .. })),
                "{err}"
            );
        } else {
            assert!(
                matches!(err, RenderError::Helm(HelmError::ValueFile { .. })),
                "{err}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn helm_failure_carries_its_stderr() {
    let _serial = serial();
    let tools = tempfile::tempdir().unwrap();
    let helm = write_helm(
        tools.path(),
        "#!/bin/sh\necho 'Error: chart requires kubeVersion >=1.40' >&2\nexit 1\n",
    );
    let err = renderer(Some(helm))
        .render(&RenderRequest::new(&fixture("helm"), "c1", &spec("chart")))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Error: chart requires kubeVersion >=1.40"),
        "{err}"
    );
}
