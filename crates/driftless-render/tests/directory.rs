//! Directory sources and the errors every source kind shares, against fixtures.

mod common;

use std::fs;

use common::{fixture, kinds_and_names, spec};
use driftless_core::{DirectorySource, SourceSpec};
use driftless_render::{
    render, CheckoutError, ParseError, RenderError, ValidationError, MAX_FILE_BYTES,
};

#[test]
fn plain_directory_reads_yaml_json_and_lists_in_path_order() {
    let manifests = render(&fixture("plain"), "c1", &spec("app")).unwrap();
    assert_eq!(
        kinds_and_names(&manifests),
        [
            "ConfigMap/from-json",
            "Deployment/web",
            "Service/web",
            "ConfigMap/listed-1",
            "ConfigMap/listed-2"
        ]
    );
    assert_eq!(manifests[2].origin.file, "app/deploy.yaml");
    assert_eq!(manifests[2].origin.document, 1);
    assert_eq!(manifests[4].origin.file, "app/list.yml");
}

#[test]
fn recurse_descends_and_skips_hidden_directories() {
    let source = SourceSpec {
        path: "app".into(),
        directory: Some(DirectorySource {
            recurse: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let names = kinds_and_names(&render(&fixture("plain"), "c1", &source).unwrap());
    assert!(names.contains(&"ConfigMap/nested".to_owned()), "{names:?}");
    assert!(names.contains(&"ConfigMap/usw2".to_owned()), "{names:?}");
    assert_eq!(names.len(), 7, "{names:?}");
}

#[test]
fn include_and_exclude_use_argo_cd_globs() {
    let source = SourceSpec {
        path: "app".into(),
        directory: Some(DirectorySource {
            recurse: true,
            include: "{config.json,env-usw2/*}".into(),
            exclude: "env-usw2/nothing*".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let names = kinds_and_names(&render(&fixture("plain"), "c1", &source).unwrap());
    assert_eq!(names, ["ConfigMap/from-json", "ConfigMap/usw2"]);
    let excluding = SourceSpec {
        path: "app".into(),
        directory: Some(DirectorySource {
            exclude: "*.y*ml".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let names = kinds_and_names(&render(&fixture("plain"), "c1", &excluding).unwrap());
    assert_eq!(names, ["ConfigMap/from-json"]);
}

#[test]
fn malformed_yaml_names_file_line_and_column() {
    let err = render(&fixture("broken"), "c1", &spec("malformed")).unwrap_err();
    match &err {
        RenderError::Parse(ParseError::Yaml {
            file, line, column, ..
        }) => {
            assert_eq!(file, "malformed/cm.yaml");
            assert!(*line >= 6 && *column > 0, "{err}");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().starts_with("malformed/cm.yaml:"), "{err}");
}

#[test]
fn duplicates_name_both_origins() {
    let err = render(&fixture("broken"), "c1", &spec("duplicate")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate object /ConfigMap:/same: defined in duplicate/a.yaml#0 and in duplicate/b.yaml#1"
    );
}

#[test]
fn missing_and_invalid_names_are_refused() {
    let err = render(&fixture("broken"), "c1", &spec("noname")).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Validation(ValidationError::MissingField {
                field: "metadata.name",
                ..
            })
        ),
        "{err}"
    );
    let err = render(&fixture("broken"), "c1", &spec("badname")).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Validation(ValidationError::InvalidName { .. })
        ),
        "{err}"
    );
}

#[test]
fn generate_name_objects_are_not_duplicates() {
    let manifests = render(&fixture("broken"), "c1", &spec("generate")).unwrap();
    assert_eq!(manifests.len(), 2);
}

#[test]
fn alias_bomb_is_refused() {
    let err = render(&fixture("broken"), "c1", &spec("bomb")).unwrap_err();
    assert!(
        matches!(err, RenderError::Parse(ParseError::Yaml { .. })),
        "{err}"
    );
    assert!(err.to_string().starts_with("bomb/bomb.yaml:"), "{err}");
}

#[test]
fn one_bad_file_fails_the_whole_render() {
    let checkout = tempfile::tempdir().unwrap();
    fs::write(
        checkout.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    )
    .unwrap();
    fs::write(checkout.path().join("b.yaml"), "kind: [\n").unwrap();
    assert!(render(checkout.path(), "c1", &spec("")).is_err());
}

#[test]
fn file_over_ten_mebibytes_is_refused() {
    let checkout = tempfile::tempdir().unwrap();
    let file = fs::File::create(checkout.path().join("huge.yaml")).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    let err = render(checkout.path(), "c1", &spec(".")).unwrap_err();
    assert!(
        matches!(err, RenderError::Checkout(CheckoutError::TooLarge { .. })),
        "{err}"
    );
}

#[test]
fn path_escaping_the_checkout_is_refused() {
    let err = render(&fixture("plain"), "c1", &spec("../broken")).unwrap_err();
    assert!(
        matches!(err, RenderError::Checkout(CheckoutError::Escapes { .. })),
        "{err}"
    );
    let err = render(&fixture("plain"), "c1", &spec("/etc")).unwrap_err();
    assert!(
        matches!(err, RenderError::Checkout(CheckoutError::Absolute { .. })),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_leaving_the_checkout_is_refused_but_inner_symlink_is_read() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    )
    .unwrap();
    let checkout = tempfile::tempdir().unwrap();
    fs::create_dir(checkout.path().join("app")).unwrap();
    fs::write(
        checkout.path().join("shared.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("../shared.yaml", checkout.path().join("app/shared.yaml")).unwrap();
    let names = kinds_and_names(&render(checkout.path(), "c1", &spec("app")).unwrap());
    assert_eq!(names, ["ConfigMap/shared"]);

    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        checkout.path().join("app/secret.yaml"),
    )
    .unwrap();
    let err = render(checkout.path(), "c1", &spec("app")).unwrap_err();
    assert!(
        matches!(err, RenderError::Checkout(CheckoutError::Escapes { .. })),
        "{err}"
    );
}

#[test]
fn source_path_that_is_a_file_is_refused() {
    let err = render(&fixture("plain"), "c1", &spec("app/deploy.yaml")).unwrap_err();
    assert!(matches!(err, RenderError::NotADirectory { .. }), "{err}");
}

fn write_config_maps(dir: &std::path::Path, count: usize) {
    for i in 0..count {
        let text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i:03}}}\n");
        fs::write(dir.join(format!("f{i:03}.yaml")), text).unwrap();
    }
}

#[test]
fn many_files_keep_path_order() {
    let checkout = tempfile::tempdir().unwrap();
    write_config_maps(checkout.path(), 200);
    let manifests = render(checkout.path(), "c1", &spec("")).unwrap();
    let names: Vec<_> = manifests
        .iter()
        .map(|m| m.name().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (0..200).map(|i| format!("cm-{i:03}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn first_broken_file_in_path_order_is_reported() {
    let checkout = tempfile::tempdir().unwrap();
    write_config_maps(checkout.path(), 200);
    fs::write(checkout.path().join("f150.yaml"), "a: [\n").unwrap();
    fs::write(checkout.path().join("f050.yaml"), "b: [\n").unwrap();
    let err = render(checkout.path(), "c1", &spec("")).unwrap_err();
    assert!(err.to_string().starts_with("f050.yaml:"), "{err}");
}
