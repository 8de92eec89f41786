//! Plans of whole Applications, from YAML fixtures.

use serde_json::{json, Value};

use super::*;

/// The documents of a multi-document YAML file as manifests of `file`.
fn manifests(file: &str, yaml: &str) -> Vec<Manifest> {
    serde_saphyr::from_multiple::<Value>(yaml)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(document, object)| Manifest {
            object,
            origin: Origin {
                file: file.into(),
                document,
            },
        })
        .collect()
}

fn app() -> Vec<Manifest> {
    manifests("shop/app.yaml", include_str!("fixtures/app.yaml"))
}

fn step(phase: Phase, wave: i32, stages: &[&[usize]]) -> Step {
    Step {
        phase,
        wave,
        stages: stages.iter().map(|stage| stage.to_vec()).collect(),
    }
}

#[test]
fn fixture_documents_are_where_the_comments_say() {
    let names: Vec<String> = app()
        .iter()
        .map(|m| format!("{}/{}", m.kind().unwrap(), identity(&m.object).name))
        .collect();
    assert_eq!(
        names,
        [
            "Namespace/shop",
            "CustomResourceDefinition/widgets.example.com",
            "Widget/gizmo",
            "ClusterRole/widget-reader",
            "StorageClass/fast",
            "ConfigMap/settings",
            "Deployment/web",
            "Service/web",
            "Job/migrate",
            "Job/smoke-test",
            "Pod/notify",
            "ConfigMap/draft",
            "Secret/db-credentials",
            "Job/check-",
            "Job/seed",
        ]
    );
}

#[test]
fn app_plan_orders_phases_waves_stages_and_kinds() {
    let plan = plan(&app()).unwrap();
    assert_eq!(
        plan.steps,
        [
            step(Phase::PreSync, -1, &[&[12]]),
            step(Phase::PreSync, 0, &[&[13, 8]]),
            // Namespace, CRD, ClusterRole; then the StorageClass; then ConfigMap,
            // Service and the custom resource (unknown kinds last).
            step(Phase::Sync, 0, &[&[0, 1, 3], &[4], &[5, 7, 2]]),
            step(Phase::Sync, 1, &[&[6, 14]]),
            step(Phase::PostSync, 0, &[&[13, 9]]),
        ]
    );
    assert_eq!(plan.sync_fail, [step(Phase::SyncFail, 0, &[&[10]])]);
    assert_eq!(plan.skipped, [11]);
    assert_eq!(plan.hooks, [8, 9, 10, 11, 12, 13, 14]);
}

#[test]
fn resources_are_the_non_hook_objects_in_apply_order() {
    let resources: Vec<usize> = plan(&app()).unwrap().resources().collect();
    assert_eq!(resources, [0, 1, 3, 4, 5, 7, 2, 6]);
}

#[test]
fn argocd_annotations_in_the_fixture_are_honoured() {
    let app = app();
    let settings = &app[5].object;
    assert!(!SyncOptions::default().for_object(settings).unwrap().prune);
    assert!(compare_options(settings).ignore_extraneous);
    let migrate = hook_of(&app[8].object).unwrap().unwrap();
    assert_eq!(migrate.types, [HookType::PreSync]);
    assert!(migrate.delete_before_creation() && migrate.delete_after(true));
    assert_eq!(sync_wave(&app[6].object).unwrap(), 1);
}

#[test]
fn empty_input_gives_an_empty_plan() {
    let plan = plan(&[]).unwrap();
    assert!(plan.steps.is_empty() && plan.sync_fail.is_empty() && plan.skipped.is_empty());
    assert_eq!(plan.resources().count(), 0);
}

#[test]
fn same_kind_sorts_by_namespace_then_name() {
    let yaml = "
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: zoo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: app}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: app}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: z, namespace: zoo}
";
    let plan = plan(&manifests("cm.yaml", yaml)).unwrap();
    assert_eq!(plan.steps, [step(Phase::Sync, 0, &[&[3, 2, 1, 0]])]);
}

#[test]
fn bad_wave_names_object_and_origin() {
    let yaml = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: fine}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {driftless.dev/sync-wave: "first"}
"#;
    let err = plan(&manifests("web.yaml", yaml)).unwrap_err();
    assert_eq!(
        err,
        PlanError::InvalidSyncWave {
            subject: Subject::Object {
                object: Box::new(identity(&json!({"apiVersion": "apps/v1",
                    "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}))),
                origin: Some(Origin {
                    file: "web.yaml".into(),
                    document: 1
                }),
            },
            value: "first".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "apps/Deployment:shop/web (web.yaml#1): sync wave \"first\" is not an integer"
    );
}

#[test]
fn bad_object_sync_option_fails_the_plan() {
    let yaml = r#"
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {argocd.argoproj.io/sync-options: "Prune=never"}
"#;
    let err = plan(&manifests("svc.yaml", yaml)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/Service:/web (svc.yaml#0): malformed sync option \"Prune=never\", expected true or false"
    );
}

#[test]
fn bad_hook_fails_the_plan() {
    let yaml = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: cleanup
  annotations: {argocd.argoproj.io/hook: PostDelete}
"#;
    let err = plan(&manifests("hooks.yaml", yaml)).unwrap_err();
    assert!(matches!(err, PlanError::UnknownHookType { value, .. } if value == "PostDelete"));
}

#[test]
fn skip_wins_over_other_hook_types() {
    let yaml = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: parked
  annotations: {driftless.dev/hook: "PreSync,Skip"}
"#;
    let plan = plan(&manifests("parked.yaml", yaml)).unwrap();
    assert!(plan.steps.is_empty());
    assert_eq!(plan.skipped, [0]);
    assert_eq!(plan.hooks, [0]);
}
