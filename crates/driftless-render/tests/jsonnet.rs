//! Jsonnet sources evaluated in-process.

mod common;

use common::{fixture, kinds_and_names, spec};
use driftless_core::{DirectorySource, JsonnetSource, JsonnetVar, SourceSpec};
use driftless_render::{render, JsonnetError, RenderError};

fn var(name: &str, value: &str, code: bool) -> JsonnetVar {
    JsonnetVar {
        name: name.into(),
        value: value.into(),
        code,
    }
}

fn guestbook(jsonnet: JsonnetSource) -> SourceSpec {
    SourceSpec {
        path: "guestbook".into(),
        directory: Some(DirectorySource {
            jsonnet,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn guestbook_with_ext_var_code_tla_and_lib() {
    let source = guestbook(JsonnetSource {
        ext_vars: vec![var("env", "prod", false)],
        tlas: vec![var("replicas", "1 + 2", true)],
        libs: vec!["lib".into()],
    });
    let manifests = render(&fixture("jsonnet"), "c1", &source).unwrap();
    assert_eq!(
        kinds_and_names(&manifests),
        ["Deployment/guestbook-ui", "Service/guestbook-ui"]
    );
    let deployment = &manifests[0].object;
    assert_eq!(deployment["spec"]["replicas"], 3);
    assert_eq!(deployment["metadata"]["labels"]["env"], "prod");
    assert_eq!(manifests[0].origin.file, "guestbook/guestbook.jsonnet");
}

#[test]
fn top_level_jsonnet_block_and_string_tla() {
    let source = SourceSpec {
        path: "guestbook".into(),
        jsonnet: Some(JsonnetSource {
            ext_vars: vec![var("env", "{\"a\": 1}.a", true)],
            tlas: vec![var("replicas", "two", false)],
            libs: vec!["lib".into()],
        }),
        ..Default::default()
    };
    let manifests = render(&fixture("jsonnet"), "c1", &source).unwrap();
    assert_eq!(manifests[0].object["spec"]["replicas"], "two");
    assert_eq!(manifests[0].object["metadata"]["labels"]["env"], 1);
}

#[test]
fn list_output_is_flattened() {
    let names = kinds_and_names(&render(&fixture("jsonnet"), "c1", &spec("list")).unwrap());
    assert_eq!(
        names,
        ["ConfigMap/cm-1", "ConfigMap/cm-2", "ConfigMap/cm-3"]
    );
}

#[test]
fn missing_lib_fails_with_the_import_named() {
    let source = guestbook(JsonnetSource {
        ext_vars: vec![var("env", "x", false)],
        ..Default::default()
    });
    let err = render(&fixture("jsonnet"), "c1", &source).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, RenderError::Jsonnet(JsonnetError::Evaluate { .. })),
        "{message}"
    );
    assert!(message.contains("guestbook/guestbook.jsonnet"), "{message}");
    assert!(message.contains("k.libsonnet"), "{message}");
}

#[test]
fn runtime_error_names_file_and_field() {
    let err = render(&fixture("jsonnet"), "c1", &spec("failing")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("failing/main.jsonnet: jsonnet evaluation failed"),
        "{message}"
    );
    assert!(message.contains("replica"), "{message}");
    assert!(
        !message.contains(env!("CARGO_MANIFEST_DIR")),
        "host path leaked: {message}"
    );
}

#[test]
fn import_outside_the_checkout_is_refused() {
    let err = render(&fixture("jsonnet"), "c1", &spec("escape")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("outside the repository checkout"),
        "{message}"
    );
}

#[test]
fn lib_path_outside_the_checkout_is_refused() {
    let source = guestbook(JsonnetSource {
        libs: vec!["../plain".into()],
        ..Default::default()
    });
    let err = render(&fixture("jsonnet"), "c1", &source).unwrap_err();
    assert!(
        matches!(err, RenderError::Jsonnet(JsonnetError::LibPath { .. })),
        "{err}"
    );
}

#[test]
fn bad_tla_code_is_reported() {
    let source = guestbook(JsonnetSource {
        ext_vars: vec![var("env", "x", false)],
        tlas: vec![var("replicas", "1 +", true)],
        libs: vec!["lib".into()],
    });
    let err = render(&fixture("jsonnet"), "c1", &source).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Jsonnet(JsonnetError::VariableCode { what: "tla", .. })
        ),
        "{err}"
    );
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let checkout = tempfile::tempdir().unwrap();
    std::fs::write(
        checkout.path().join("deep.jsonnet"),
        "local f(n) = if n == 0 then {} else f(n - 1) + {}; f(100000)",
    )
    .unwrap();
    let err = render(checkout.path(), "c1", &spec("")).unwrap_err();
    assert!(
        matches!(err, RenderError::Jsonnet(JsonnetError::Evaluate { .. })),
        "{err}"
    );
}
