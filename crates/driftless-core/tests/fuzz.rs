//! Property tests ("fuzzing") of the driftless-core functions that read data Driftless does
//! not control: live objects and their managedFields from the cluster, manifests and
//! annotations from Git repositories, ignoreDifferences rules (user-written JSON pointers)
//! and Application resources as stored in the cluster.
//!
//! A panic in any of them would take down a sync, a watch or the whole controller because of
//! one odd object, so each property feeds them arbitrary JSON and asserts that they return
//! (Ok or Err, any Health) instead of panicking; a few also check documented invariants.
//! The generators are biased towards Kubernetes shapes: keys are drawn mostly from the ones
//! the code reads, values are of every JSON type (wrong types where strings are expected,
//! extreme integers, empty strings, nesting up to six levels), and one generator starts from
//! valid Deployments, StatefulSets, Jobs, Pods, Services and Secrets and mutates random
//! fields to random values. `ApplicationStatus::record_history`, which starts from the status
//! stored in the cluster, is covered too.
//!
//! The properties found two integer overflows (replica counts in Deployment and StatefulSet
//! health, history ids); both are fixed, and the plain tests at the end of the file keep the
//! inputs that found them as regression tests.

use driftless_core::application::ApplicationStatus;
use driftless_core::diff::{self, IgnoreDifference, SecretMasker};
use driftless_core::health::{self, Health, HealthStatus};
use driftless_core::plan::{self, SyncOptions};
use driftless_core::tracking;
use driftless_core::{Application, Manifest, ObjectRef, Origin};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Value};

/// Keys the code under test reads, plus a few neighbours.
const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "generateName",
    "annotations",
    "labels",
    "generation",
    "deletionTimestamp",
    "finalizers",
    "managedFields",
    "manager",
    "operation",
    "fieldsV1",
    "f:spec",
    "f:replicas",
    "f:metadata",
    "f:data",
    "k:{\"name\":\"a\"}",
    "v:\"x\"",
    "i:0",
    ".",
    "status",
    "conditions",
    "type",
    "reason",
    "message",
    "observedGeneration",
    "replicas",
    "updatedReplicas",
    "availableReplicas",
    "readyReplicas",
    "currentRevision",
    "updateRevision",
    "updateStrategy",
    "rollingUpdate",
    "partition",
    "desiredNumberScheduled",
    "updatedNumberScheduled",
    "numberAvailable",
    "active",
    "succeeded",
    "failed",
    "spec",
    "paused",
    "strategy",
    "phase",
    "containerStatuses",
    "initContainerStatuses",
    "ready",
    "state",
    "waiting",
    "loadBalancer",
    "ingress",
    "data",
    "stringData",
    "driftless.dev/sync-wave",
    "argocd.argoproj.io/sync-wave",
    "driftless.dev/hook",
    "argocd.argoproj.io/hook",
    "driftless.dev/hook-delete-policy",
    "argocd.argoproj.io/hook-delete-policy",
    "driftless.dev/sync-options",
    "argocd.argoproj.io/sync-options",
    "driftless.dev/compare-options",
    "driftless.dev/tracking-id",
    "driftless.dev/app",
    "kubectl.kubernetes.io/last-applied-configuration",
    "uid",
    "resourceVersion",
    "0",
    "",
];

/// String values the code compares against, plus troublesome ones.
const STRINGS: &[&str] = &[
    "",
    " ",
    "v1",
    "apps/v1",
    "batch/v1",
    "networking.k8s.io/v1",
    "/",
    "a/b/c",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "Pod",
    "Secret",
    "Service",
    "Namespace",
    "True",
    "False",
    "Unknown",
    "Progressing",
    "Available",
    "Ready",
    "Stalled",
    "Reconciling",
    "Synced",
    "Complete",
    "Failed",
    "Suspended",
    "ProgressDeadlineExceeded",
    "ReconcileError",
    "Running",
    "Pending",
    "Succeeded",
    "Bound",
    "Lost",
    "CrashLoopBackOff",
    "LoadBalancer",
    "OnDelete",
    "PreSync",
    "PreSync,PostSync",
    "Sync, SyncFail",
    "Skip",
    ",,",
    "HookSucceeded,HookFailed",
    "BeforeHookCreation",
    "0",
    "-1",
    " 3 ",
    "2147483648",
    "-2147483649",
    "99999999999999999999",
    "Prune=false",
    "PrunePropagationPolicy=orphan",
    "CreateNamespace=true,Replace=true",
    "Replace",
    "=",
    "IgnoreExtraneous",
    "2024-01-01T00:00:00Z",
    "not-a-time",
    "kube-controller-manager",
    "driftless",
    "~",
    "~2",
    "é🦀",
];

/// Field managers used both in managedFields and in ignoreDifferences rules.
const MANAGERS: &[&str] = &["driftless", "kube-controller-manager", "hpa", ""];

/// Keys of `fieldsV1` trees, valid and not.
const FIELDS_KEYS: &[&str] = &[
    ".",
    "f:spec",
    "f:replicas",
    "f:metadata",
    "f:labels",
    "f:annotations",
    "f:data",
    "f:containers",
    "f:image",
    "f:",
    "k:{\"name\":\"a\"}",
    "k:{}",
    "k:[1]",
    "k:",
    "v:\"x\"",
    "v:1",
    "v:null",
    "v:",
    "i:0",
    "i:1",
    "i:-1",
    "i:99999999999999999999999",
    "x:y",
    "spec",
    "",
];

/// Integers where counts, generations and waves are read: small, zero, negative, extreme.
fn interesting_int() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (-3i64..5).prop_map(Value::from),
        1 => select(vec![
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(i64::MIN + 1),
            json!(i64::MAX - 1),
            json!(i64::from(i32::MAX) + 1),
            json!(i64::from(i32::MIN) - 1),
            json!(-0.5),
            json!(2.5),
            json!(1e300),
        ]),
        1 => any::<i64>().prop_map(Value::from),
    ]
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(STRINGS).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(KEYS).prop_map(str::to_owned),
        1 => "[a-zA-Z:./{}\"~_-]{0,8}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        2 => interesting_int(),
        1 => any::<f64>().prop_map(Value::from),
        4 => any_string().prop_map(Value::from),
    ]
}

/// Any JSON value, nested up to six levels, with mostly Kubernetes keys.
fn json() -> BoxedStrategy<Value> {
    scalar()
        .prop_recursive(6, 64, 5, |inner| {
            prop_oneof![
                1 => proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                2 => proptest::collection::vec((key(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
        .boxed()
}

/// A `fieldsV1` tree: maps of field keys down to `{}` leaves, sometimes malformed.
fn fields_tree() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => Just(json!({})),
        1 => scalar(),
    ]
    .prop_recursive(5, 64, 5, |inner| {
        proptest::collection::vec((select(FIELDS_KEYS).prop_map(str::to_owned), inner), 0..5)
            .prop_map(|entries| Value::Object(entries.into_iter().collect()))
    })
    .boxed()
}

/// A `metadata.managedFields` value: usually a list of entries, sometimes anything.
fn managed_fields() -> BoxedStrategy<Value> {
    let entry = (
        select(MANAGERS),
        prop_oneof![4 => fields_tree(), 1 => json()],
        any::<bool>(),
    )
        .prop_map(|(manager, fields, wrong_manager_type)| {
            let manager = if wrong_manager_type {
                json!([manager])
            } else {
                json!(manager)
            };
            json!({"manager": manager, "operation": "Apply", "fieldsV1": fields})
        });
    prop_oneof![
        4 => proptest::collection::vec(entry, 0..4).prop_map(Value::Array),
        1 => json(),
    ]
    .boxed()
}

/// A value for an annotation: usually a string, sometimes another type.
fn annotation_value() -> impl Strategy<Value = Value> {
    prop_oneof![6 => any_string().prop_map(Value::from), 1 => json()]
}

fn annotations() -> BoxedStrategy<Value> {
    let keys: Vec<&str> = KEYS
        .iter()
        .copied()
        .filter(|key| key.contains('/'))
        .collect();
    prop_oneof![
        5 => proptest::collection::vec((select(keys).prop_map(str::to_owned), annotation_value()), 0..5)
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        1 => json(),
    ]
    .boxed()
}

/// `metadata` with the fields the code reads, each present or not, of any type.
fn metadata() -> BoxedStrategy<Value> {
    let field = |strategy: BoxedStrategy<Value>| proptest::option::weighted(0.6, strategy);
    (
        field(any_string().prop_map(Value::from).boxed()),
        field(any_string().prop_map(Value::from).boxed()),
        field(annotations()),
        field(annotations()),
        field(interesting_int().boxed()),
        field(scalar().boxed()),
        field(managed_fields()),
        field(json()),
    )
        .prop_map(
            |(name, namespace, annotations, labels, generation, deletion, managed, finalizers)| {
                let mut map = Map::new();
                let fields = [
                    ("name", name),
                    ("namespace", namespace),
                    ("annotations", annotations),
                    ("labels", labels),
                    ("generation", generation),
                    ("deletionTimestamp", deletion),
                    ("managedFields", managed),
                    ("finalizers", finalizers),
                ];
                for (key, value) in fields {
                    if let Some(value) = value {
                        map.insert(key.to_owned(), value);
                    }
                }
                Value::Object(map)
            },
        )
        .boxed()
}

/// One `status.conditions` entry.
fn condition() -> impl Strategy<Value = Value> {
    (
        select(vec![
            "Available", "Progressing", "Ready", "Stalled", "Reconciling", "Synced", "Complete",
            "Failed", "FailureTarget", "Suspended", "ReplicaFailure", "PodScheduled",
            "NamesAccepted", "Established", "AbleToScale", "ScalingActive", "",
        ]),
        select(vec![json!("True"), json!("False"), json!("Unknown"), json!(true), json!(null)]),
        any_string(),
        prop_oneof![any_string().prop_map(Value::from), scalar()],
    )
        .prop_map(|(kind, status, reason, message)| {
            json!({"type": kind, "status": status, "reason": reason, "message": message})
        })
}

/// A status with the counts, conditions and phases that health rules read.
fn status() -> BoxedStrategy<Value> {
    let value = prop_oneof![
        3 => interesting_int(),
        2 => proptest::collection::vec(condition(), 0..4).prop_map(Value::Array),
        2 => scalar(),
        1 => json(),
    ];
    let status_keys = vec![
        "conditions",
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "availableReplicas",
        "readyReplicas",
        "currentRevision",
        "updateRevision",
        "updateStrategy",
        "type",
        "rollingUpdate",
        "desiredNumberScheduled",
        "updatedNumberScheduled",
        "numberAvailable",
        "active",
        "succeeded",
        "failed",
        "paused",
        "phase",
        "containerStatuses",
        "initContainerStatuses",
        "loadBalancer",
        "reason",
        "message",
    ];
    prop_oneof![
        5 => proptest::collection::vec((select(status_keys).prop_map(str::to_owned), value), 0..8)
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        1 => json(),
    ]
    .boxed()
}

/// apiVersion and kind pairs that select each health rule, and some that select none.
const TYPES: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("v1", "Pod"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("networking.k8s.io/v1", "Ingress"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("example.com/v1", "Widget"),
    ("", ""),
];

/// An object with the top-level shape of a Kubernetes object and arbitrary contents.
fn shaped_object() -> BoxedStrategy<Value> {
    (
        select(TYPES),
        metadata(),
        status(),
        status(),
        json(),
        any::<u8>(),
    )
        .prop_map(
            |((api_version, kind), metadata, spec, status, data, mask)| {
                let mut object = Map::new();
                let fields = [
                    ("apiVersion", json!(api_version)),
                    ("kind", json!(kind)),
                    ("metadata", metadata),
                    ("spec", spec),
                    ("status", status),
                    ("data", data),
                ];
                for (bit, (key, value)) in fields.into_iter().enumerate() {
                    // Leave out some fields; apiVersion and kind are kept most often.
                    if mask & (1 << bit) == 0 || bit < 2 && mask & 0xc0 != 0 {
                        object.insert(key.to_owned(), value);
                    }
                }
                Value::Object(object)
            },
        )
        .boxed()
}

/// Valid objects of the kinds with the most logic, as the cluster returns them.
fn templates() -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "generation": 3,
                "annotations": {
                    "driftless.dev/sync-wave": "2",
                    "driftless.dev/sync-options": "Prune=false,PrunePropagationPolicy=orphan",
                    "driftless.dev/tracking-id": "driftless/shop:apps/Deployment:shop/web",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}"
                },
                "labels": {"app": "web", "driftless.dev/app": "driftless.shop"},
                "managedFields": [
                    {"manager": "driftless", "operation": "Apply", "fieldsV1": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}
                        }}}}
                    }},
                    {"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {
                        "f:spec": {"f:replicas": {}},
                        "f:status": {"f:conditions": {"k:{\"type\":\"Available\"}": {".": {}}}}
                    }}
                ]
            },
            "spec": {
                "replicas": 3, "paused": false,
                "strategy": {"type": "RollingUpdate"},
                "template": {"spec": {"containers": [{"name": "app", "image": "web:1"}]}}
            },
            "status": {
                "observedGeneration": 3, "replicas": 3, "updatedReplicas": 3,
                "availableReplicas": 3, "readyReplicas": 3,
                "conditions": [
                    {"type": "Available", "status": "True"},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
                ]
            }
        }),
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "shop", "generation": 1},
            "spec": {
                "replicas": 3,
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}
            },
            "status": {
                "observedGeneration": 1, "replicas": 3, "readyReplicas": 3,
                "updatedReplicas": 2, "currentRevision": "db-1", "updateRevision": "db-2"
            }
        }),
        json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {
                "generateName": "migrate-", "namespace": "shop",
                "annotations": {
                    "argocd.argoproj.io/hook": "PreSync,PostSync",
                    "argocd.argoproj.io/hook-delete-policy": "HookSucceeded",
                    "argocd.argoproj.io/sync-wave": "-1"
                }
            },
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "m", "image": "m:1"}]}}},
            "status": {
                "active": 1, "succeeded": 0, "failed": 0,
                "conditions": [{"type": "Complete", "status": "False"}]
            }
        }),
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop",
                         "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["a"]},
            "spec": {"containers": [{"name": "app", "image": "web:1"}]},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "PodScheduled", "status": "True"}],
                "initContainerStatuses": [{"name": "init", "ready": true,
                                           "state": {"terminated": {"exitCode": 0}}}],
                "containerStatuses": [{"name": "app", "ready": false, "state": {
                    "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}
                }}]
            }
        }),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}
        }),
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {
                "name": "creds", "namespace": "shop",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"a\":\"aHVudGVyMg==\"}}",
                    "driftless.dev/compare-options": "IgnoreExtraneous"
                },
                "managedFields": [{"manager": "driftless", "operation": "Apply",
                                   "fieldsV1": {"f:data": {".": {}, "f:a": {}}}}]
            },
            "type": "Opaque",
            "data": {"a": "aHVudGVyMg==", "b": ""},
            "stringData": {"c": "hunter2"}
        }),
    ]
}

/// One change to an object: walk `path` through existing children (each step picks a
/// child by index), then replace the node reached, or add a field to it.
#[derive(Debug, Clone)]
struct Mutation {
    path: Vec<usize>,
    new_key: Option<String>,
    value: Value,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        proptest::collection::vec(any::<usize>(), 0..7),
        proptest::option::of(key()),
        prop_oneof![3 => scalar(), 1 => interesting_int(), 1 => json()],
    )
        .prop_map(|(path, new_key, value)| Mutation {
            path,
            new_key,
            value,
        })
}

fn apply_mutation(object: &mut Value, mutation: Mutation) {
    let mut current = object;
    for step in mutation.path {
        let len = match &*current {
            Value::Object(map) => map.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        if len == 0 {
            break;
        }
        current = match current {
            Value::Object(map) => map.values_mut().nth(step % len).expect("index below len"),
            Value::Array(items) => &mut items[step % len],
            _ => unreachable!("scalars have no children"),
        };
    }
    match (current, mutation.new_key) {
        (Value::Object(map), Some(key)) => {
            map.insert(key, mutation.value);
        }
        (node, _) => *node = mutation.value,
    }
}

/// A valid object with a few random fields changed to random values.
fn mutated_object() -> BoxedStrategy<Value> {
    (
        select(templates()),
        proptest::collection::vec(mutation(), 1..6),
    )
        .prop_map(|(mut object, mutations)| {
            for mutation in mutations {
                apply_mutation(&mut object, mutation);
            }
            object
        })
        .boxed()
}

/// Workloads whose health is computed from counts: every count and the partition absent or
/// any integer, generations consistent or not.
fn workload() -> BoxedStrategy<Value> {
    let extreme = || {
        select(vec![
            json!(i64::MIN),
            json!(i64::MAX),
            json!(i64::MIN + 1),
            json!(i64::MAX - 1),
        ])
    };
    let count = move || {
        proptest::option::weighted(0.8, prop_oneof![2 => interesting_int(), 1 => extreme()])
    };
    let counts = (count(), count(), count(), count(), count(), count());
    (
        select(vec![
            ("apps/v1", "Deployment"),
            ("apps/v1", "StatefulSet"),
            ("apps/v1", "DaemonSet"),
            ("apps/v1", "ReplicaSet"),
            ("batch/v1", "Job"),
        ]),
        counts,
        select(vec![json!("RollingUpdate"), json!("OnDelete"), json!(null)]),
        proptest::option::of((interesting_int(), interesting_int())),
    )
        .prop_map(|((api_version, kind), counts, strategy, generations)| {
            let (replicas, partition, c1, c2, c3, c4) = counts;
            let mut status = Map::new();
            let names = [
                ["replicas", "desiredNumberScheduled", "active"],
                ["updatedReplicas", "updatedNumberScheduled", "succeeded"],
                ["availableReplicas", "numberAvailable", "failed"],
                ["readyReplicas", "readyReplicas", "readyReplicas"],
            ];
            for (value, names) in [c1, c2, c3, c4].into_iter().zip(names) {
                if let Some(value) = value {
                    for name in names {
                        status.insert(name.to_owned(), value.clone());
                    }
                }
            }
            let mut metadata = json!({"name": "w", "namespace": "shop"});
            if let Some((generation, observed)) = generations {
                metadata["generation"] = generation;
                status.insert("observedGeneration".to_owned(), observed);
            }
            let mut spec = json!({"updateStrategy": {"type": strategy}});
            if let Some(replicas) = replicas {
                spec["replicas"] = replicas;
            }
            if let Some(partition) = partition {
                spec["updateStrategy"]["rollingUpdate"] = json!({"partition": partition});
            }
            json!({
                "apiVersion": api_version, "kind": kind, "metadata": metadata,
                "spec": spec, "status": status,
            })
        })
        .boxed()
}

/// Anything a cluster or a repository could hand over as an object.
fn kube_object() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => json(),
        2 => shaped_object(),
        2 => mutated_object(),
        1 => workload(),
        1 => select(templates()),
    ]
    .boxed()
}

/// JSON pointers: RFC 6901 shapes, realistic ones, and text that is not a pointer at all.
fn json_pointer() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "(/[a-z~01]{0,6}){0,5}",
        3 => "(/(spec|metadata|annotations|labels|replicas|data|a|b|status|template|containers|0|1|00|-|~0|~1|~|~2)){0,5}",
        1 => "[^/].{0,10}",
        1 => select(vec![
            "", "/", "//", "/spec/replicas", "/data/a", "/metadata/labels/app",
            "/spec/template/spec/containers/0/image", "/spec/template/spec/containers/99999999999999999999",
            "/metadata/annotations/driftless.dev~1sync-wave", "/status", "/~", "/a~",
        ])
        .prop_map(str::to_owned),
    ]
}

/// ignoreDifferences rules; `matching` says whether each one is retargeted at the object
/// being compared, so that most rules actually apply.
fn rules() -> impl Strategy<Value = Vec<(bool, IgnoreDifference)>> {
    let rule = (
        any::<bool>(),
        select(vec!["", "apps", "batch"]),
        select(vec!["Deployment", "Secret", "Job", ""]),
        select(vec!["", "web", "creds"]),
        select(vec!["", "shop"]),
        proptest::collection::vec(json_pointer(), 0..4),
        proptest::collection::vec(select(MANAGERS).prop_map(str::to_owned), 0..3),
    )
        .prop_map(
            |(matching, group, kind, name, namespace, json_pointers, managers)| {
                let rule = IgnoreDifference {
                    group: group.to_owned(),
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                    namespace: namespace.to_owned(),
                    json_pointers,
                    managed_fields_managers: managers,
                };
                (matching, rule)
            },
        );
    proptest::collection::vec(rule, 0..4)
}

/// Rules from [`rules`], those marked as matching retargeted at `object`.
fn rules_for(rules: Vec<(bool, IgnoreDifference)>, object: &ObjectRef) -> Vec<IgnoreDifference> {
    rules
        .into_iter()
        .map(|(matching, mut rule)| {
            if matching {
                rule.group = object.group.clone();
                rule.kind = object.kind.clone();
                rule.name = object.name.clone();
                rule.namespace = object.namespace.clone();
            }
            rule
        })
        .collect()
}

/// The object's reference, or a made-up one when it has none.
fn reference(object: &Value) -> ObjectRef {
    ObjectRef::from_object(object).unwrap_or_else(|_| ObjectRef {
        group: "apps".into(),
        version: "v1".into(),
        kind: "Deployment".into(),
        namespace: "shop".into(),
        name: "web".into(),
    })
}

fn health_status() -> impl Strategy<Value = HealthStatus> {
    select(vec![
        HealthStatus::Healthy,
        HealthStatus::Suspended,
        HealthStatus::Progressing,
        HealthStatus::Missing,
        HealthStatus::Degraded,
        HealthStatus::Unknown,
    ])
}

/// Sync option entries: known keys with good and bad values, and noise.
fn sync_option() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (
            select(vec![
                "CreateNamespace", "PruneLast", "ApplyOutOfSyncOnly", "Replace",
                "RespectIgnoreDifferences", "Prune", "PrunePropagationPolicy",
                "ServerSideApply", "Validate", "Unknown", "",
            ]),
            select(vec!["true", "false", "orphan", "background", "foreground", "", "TRUE", "=x"]),
        )
            .prop_map(|(key, value)| format!("{key}={value}")),
        1 => any_string(),
    ]
}

/// Some of `fields`, each with a chance of one half: an object with the keys given.
fn some_fields(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let (keys, values): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .map(|(key, value)| (key, proptest::option::of(value)))
        .unzip();
    values
        .prop_map(move |values| {
            let present = keys
                .iter()
                .zip(values)
                .filter_map(|(key, value)| value.map(|value| ((*key).to_owned(), value)));
            Value::Object(present.collect())
        })
        .boxed()
}

/// `valid` nine times in ten, any JSON otherwise.
fn mostly(valid: Value) -> BoxedStrategy<Value> {
    prop_oneof![9 => Just(valid), 1 => json()].boxed()
}

/// Application statuses as a controller (or anyone with write access) may have stored them.
fn application_status_json() -> BoxedStrategy<Value> {
    let id = prop_oneof![3 => interesting_int(), 1 => Just(json!(i64::MAX))];
    let history_entry = (id, any_string()).prop_map(|(id, revision)| {
        json!({"id": id, "revision": revision, "deployedAt": "now",
               "source": {"repoURL": "r"}})
    });
    let history = prop_oneof![
        4 => proptest::collection::vec(history_entry, 0..3).prop_map(Value::Array),
        1 => json(),
    ];
    let shaped = some_fields(vec![
        ("observedGeneration", interesting_int().boxed()),
        (
            "health",
            mostly(json!({"status": "Degraded", "message": "m"})),
        ),
        (
            "resources",
            mostly(
                json!([{"group": "apps", "version": "v1", "kind": "Deployment",
                           "name": "web", "status": "Synced", "health": {"status": "Healthy"}}]),
            ),
        ),
        ("history", history.boxed()),
        (
            "inventory",
            mostly(json!([{"version": "v1", "kind": "ConfigMap", "name": "c"}])),
        ),
        (
            "operationState",
            mostly(json!({"phase": "Succeeded", "changes": []})),
        ),
        ("sync", mostly(json!({"status": "Synced"}))),
        (
            "conditions",
            mostly(json!([{"type": "Ready", "status": "True"}])),
        ),
    ]);
    prop_oneof![1 => json(), 4 => shaped].boxed()
}

/// `metadata` as the API server stores it for an Application, fields often of the right type.
fn application_metadata() -> BoxedStrategy<Value> {
    some_fields(vec![
        ("name", any_string().prop_map(Value::from).boxed()),
        ("namespace", any_string().prop_map(Value::from).boxed()),
        ("generation", interesting_int().boxed()),
        ("resourceVersion", mostly(json!("42"))),
        (
            "creationTimestamp",
            prop_oneof![
                2 => Just(json!("2024-01-01T00:00:00Z")),
                1 => any_string().prop_map(Value::from),
                1 => scalar(),
            ]
            .boxed(),
        ),
        (
            "annotations",
            mostly(json!({"driftless.dev/refresh": "hard"})),
        ),
        ("labels", mostly(json!({"team": "shop"}))),
        ("finalizers", mostly(json!(["driftless.dev/resources"]))),
    ])
}

/// Objects shaped like Applications, for deserialisation.
fn application_json() -> BoxedStrategy<Value> {
    let options =
        proptest::collection::vec(sync_option().prop_map(Value::from), 0..3).prop_map(Value::Array);
    let rule = IgnoreDifference {
        group: "apps".into(),
        kind: "Deployment".into(),
        json_pointers: vec!["/spec/replicas".into()],
        ..IgnoreDifference::default()
    };
    let sync_policy = some_fields(vec![
        (
            "automated",
            mostly(json!({"prune": true, "selfHeal": true})),
        ),
        (
            "syncOptions",
            prop_oneof![4 => options, 1 => json()].boxed(),
        ),
        (
            "retry",
            some_fields(vec![
                ("limit", interesting_int().boxed()),
                (
                    "backoff",
                    some_fields(vec![("factor", interesting_int().boxed())]),
                ),
            ]),
        ),
    ]);
    let mut spec = some_fields(vec![
        ("destination", mostly(json!({"namespace": "shop"}))),
        ("syncPolicy", sync_policy),
        ("suspend", mostly(json!(true))),
        ("ignoreDifferences", mostly(json!([rule]))),
        (
            "revisionHistoryLimit",
            prop_oneof![2 => (0u32..20).prop_map(Value::from), 1 => interesting_int()].boxed(),
        ),
        ("dependsOn", mostly(json!([{"name": "db"}]))),
    ]);
    spec = (
        spec,
        mostly(json!({"repoURL": "https://git.example.com/a.git", "path": "app"})),
    )
        .prop_map(|(mut spec, source)| {
            spec["source"] = source;
            spec
        })
        .boxed();
    let shaped = some_fields(vec![
        ("apiVersion", mostly(json!("driftless.dev/v1alpha1"))),
        ("kind", mostly(json!("Application"))),
        (
            "metadata",
            prop_oneof![3 => application_metadata(), 1 => metadata()].boxed(),
        ),
        (
            "operation",
            mostly(json!({"sync": {"revision": "abc"}, "rollback": {"id": 3}})),
        ),
        ("status", application_status_json()),
    ]);
    // spec is required: present in most of them.
    let shaped = (
        shaped,
        prop_oneof![8 => spec.prop_map(Some), 1 => json().prop_map(Some), 1 => Just(None)],
    )
        .prop_map(|(mut application, spec)| {
            if let Some(spec) = spec {
                application["spec"] = spec;
            }
            application
        });
    prop_oneof![1 => json(), 4 => shaped].boxed()
}

proptest! {
    // No regression files: the failing inputs of the known bugs are in the comments and in
    // the plain tests at the end, and a run of the ignored properties should not leave files
    // behind in the source tree.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn object_health_never_panics(live in prop_oneof![1 => kube_object(), 2 => workload()]) {
        // Minimal failing input found:
        // {"apiVersion": "apps/v1", "kind": "StatefulSet",
        //  "metadata": {"name": "w", "namespace": "shop"},
        //  "spec": {"replicas": 9223372036854775806, "updateStrategy": {"type": "RollingUpdate"}},
        //  "status": {"readyReplicas": -2}}
        // See the three `*_overflow` tests below for one input per subtraction.
        let _ = health::object_health(&live);
    }

    #[test]
    fn aggregate_is_the_worst_status(
        objects in proptest::collection::vec(kube_object(), 0..4),
        extra in proptest::collection::vec((health_status(), any_string()), 0..4),
    ) {
        let mut healths: Vec<Health> = objects
            .iter()
            .map(health::object_health)
            .collect();
        healths.extend(extra.into_iter().map(|(status, message)| Health { status, message }));
        let total = health::aggregate(&healths);
        let worst = healths.iter().map(|h| h.status).max().unwrap_or(HealthStatus::Healthy);
        prop_assert_eq!(total.status, worst);
    }

    #[test]
    fn compare_never_panics(
        desired in kube_object(),
        live in proptest::option::of(kube_object()),
        rules in rules(),
    ) {
        let object = reference(&desired);
        let rules = rules_for(rules, &object);
        let _ = diff::compare(&object, &desired, live.as_ref(), &rules);
    }

    #[test]
    fn an_object_compared_with_itself_does_not_differ(live in kube_object(), rules in rules()) {
        let object = reference(&live);
        let rules = rules_for(rules, &object);
        if let Ok(outcome) = diff::compare(&object, &live, Some(&live), &rules) {
            prop_assert!(!outcome.differs, "{}", outcome.text);
        }
        if let Ok(outcome) = diff::compare(&object, &live, None, &rules) {
            prop_assert!(outcome.differs);
        }
    }

    #[test]
    fn normalize_never_panics_and_is_idempotent(object in kube_object()) {
        let once = diff::normalize(&object);
        prop_assert_eq!(diff::normalize(&once), once);
    }

    #[test]
    fn remove_ignored_never_panics(
        object in kube_object(),
        managed in prop_oneof![3 => managed_fields(), 1 => json()],
        rules in rules(),
    ) {
        let rules = rules_for(rules, &reference(&object));
        let rules: Vec<&IgnoreDifference> = rules.iter().collect();
        let mut stripped = object.clone();
        let _ = diff::remove_ignored(&mut stripped, &rules, &managed);
        // The live object's own managedFields, as compare reads them.
        let own = object.pointer("/metadata/managedFields").cloned().unwrap_or(Value::Null);
        let mut stripped = object;
        let _ = diff::remove_ignored(&mut stripped, &rules, &own);
    }

    #[test]
    fn keep_live_values_never_panics(
        manifest in kube_object(),
        live in kube_object(),
        rules in rules(),
    ) {
        let rules = rules_for(rules, &reference(&manifest));
        let rules: Vec<&IgnoreDifference> = rules.iter().collect();
        let mut manifest = manifest;
        let _ = diff::keep_live_values(&mut manifest, &rules, &live);
    }

    #[test]
    fn mask_secret_values_never_panics(object in kube_object(), text in ".{0,40}") {
        let mut masked = object.clone();
        diff::mask_secret_values(&mut masked);
        let mut masker = SecretMasker::default();
        let mut again = object.clone();
        masker.mask(&mut again);
        masker.mask(&mut again);
        let _ = diff::redact_secret_values(&text, &object);
    }

    #[test]
    fn annotation_readers_never_panic(object in kube_object()) {
        let _ = plan::hook_of(&object);
        let _ = plan::sync_wave(&object);
        let _ = plan::compare_options(&object);
        for key in [
            plan::SYNC_WAVE,
            plan::HOOK,
            plan::HOOK_DELETE_POLICY,
            plan::SYNC_OPTIONS,
            plan::COMPARE_OPTIONS,
            "",
            "/",
        ] {
            let _ = plan::annotation(&object, key);
        }
        let _ = SyncOptions::default().for_object(&object);
    }

    #[test]
    fn sync_options_parse_never_panics(
        options in proptest::collection::vec(sync_option(), 0..6),
        object in kube_object(),
    ) {
        if let Ok(parsed) = SyncOptions::parse(&options) {
            let _ = parsed.for_object(&object);
        }
    }

    #[test]
    fn plan_places_every_manifest(objects in proptest::collection::vec(kube_object(), 0..8)) {
        let manifests: Vec<Manifest> = objects
            .into_iter()
            .enumerate()
            .map(|(document, object)| Manifest {
                object,
                origin: Origin { file: "fuzz.yaml".into(), document },
            })
            .collect();
        if let Ok(plan) = plan::plan(&manifests) {
            let mut seen = vec![0usize; manifests.len()];
            let placed = plan.steps.iter().chain(&plan.sync_fail)
                .flat_map(|step| step.stages.iter().flatten())
                .chain(&plan.skipped);
            for &index in placed {
                seen[index] += 1;
            }
            for (index, count) in seen.iter().enumerate() {
                let is_hook = plan.hooks.binary_search(&index).is_ok();
                prop_assert!(*count == 1 || is_hook && *count > 1, "index {} placed {} times", index, count);
            }
            let _ = plan.resources().count();
        }
    }

    #[test]
    fn tracking_never_panics_and_stamps_ownership(
        object in kube_object(),
        app_namespace in any_string(),
        app_name in prop_oneof![any_string(), "[a-z]{60,80}", ".{60,80}"],
    ) {
        let object_ref = reference(&object);
        let _ = ObjectRef::from_object(&object);
        let label = tracking::app_label_value(&app_namespace, &app_name);
        if app_namespace.is_ascii() && app_name.is_ascii() {
            prop_assert!(label.len() <= 63, "{}", label);
        }
        let _ = tracking::is_owned_by(&object, &app_namespace, &app_name, &object_ref);
        let stampable = object.is_object()
            && object.get("metadata").is_none_or(Value::is_object);
        let mut stamped = object;
        tracking::stamp(&mut stamped, &app_namespace, &app_name, &object_ref);
        if stampable {
            prop_assert!(tracking::is_owned_by(&stamped, &app_namespace, &app_name, &object_ref));
        }
    }

    #[test]
    fn object_ref_from_object_never_panics(object in kube_object()) {
        if let Ok(r) = ObjectRef::from_object(&object) {
            prop_assert!(!r.kind.is_empty() && !r.name.is_empty());
            let _ = r.api_version();
        }
    }

    #[test]
    fn application_deserialisation_never_panics(value in application_json()) {
        if let Ok(app) = serde_json::from_value::<Application>(value) {
            let _ = app.key();
            let _ = app.history_limit();
            let _ = serde_json::to_value(&app);
        }
    }

    #[test]
    fn record_history_on_a_stored_status_never_panics(
        status in application_status_json(),
        limit in 0usize..4,
    ) {
        // Minimal failing input found (limit = 0):
        // {"history": [{"id": 9223372036854775807, "revision": "", "deployedAt": "now",
        //               "source": {"repoURL": "r"}}]}
        if let Ok(mut status) = serde_json::from_value::<ApplicationStatus>(status) {
            let source = driftless_core::SourceSpec::default();
            status.record_history("def", "later", &source, limit);
        }
    }
}

#[test]
fn statefulset_ready_count_overflow() {
    // spec.replicas defaults to 1; 1 - i64::MIN overflows.
    let live = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
                      "status": {"readyReplicas": i64::MIN}});
    let _ = health::object_health(&live);
}

#[test]
fn statefulset_partition_overflow() {
    let live = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
                      "spec": {"replicas": i64::MIN,
                               "updateStrategy": {"rollingUpdate": {"partition": 1}}}});
    let _ = health::object_health(&live);
}

#[test]
fn deployment_old_replicas_overflow() {
    let live = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                      "spec": {"replicas": -1},
                      "status": {"replicas": i64::MAX, "updatedReplicas": -1}});
    let _ = health::object_health(&live);
}

#[test]
fn record_history_id_overflow() {
    let mut status: ApplicationStatus = serde_json::from_value(json!({"history": [
        {"id": i64::MAX, "revision": "a", "deployedAt": "t", "source": {"repoURL": "r"}}
    ]}))
    .expect("a valid status");
    status.record_history("b", "t", &driftless_core::SourceSpec::default(), 10);
}
