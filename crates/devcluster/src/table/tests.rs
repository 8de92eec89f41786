//! Tables for fixtures of every printed kind, checked cell by cell.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::registry::Registry;

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn options(include: IncludeObject) -> TableOptions {
    TableOptions {
        version: TableVersion::V1,
        include,
        now: now(),
    }
}

fn builtin(group: &str, kind: &str) -> Arc<ResourceType> {
    let registry = Registry::builtin();
    let version = if group == "autoscaling" { "v2" } else { "v1" };
    registry.by_kind(group, version, kind).unwrap()
}

/// The column names, and the cells of the one row, of an object's Table.
fn print(group: &str, kind: &str, object: Value) -> (Vec<String>, Vec<Value>) {
    let table = super::object(
        &builtin(group, kind),
        &object,
        &options(IncludeObject::None),
    );
    let names = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    (names, table["rows"][0]["cells"].as_array().unwrap().clone())
}

fn meta(name: &str) -> Value {
    json!({"name": name, "namespace": "shop", "creationTimestamp": "2026-11-25T11:56:50Z", "resourceVersion": "42"})
}

#[test]
fn accept_headers_select_the_table_version() {
    let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    assert_eq!(requested(kubectl), Some(TableVersion::V1));
    assert_eq!(
        requested("application/json; as=Table; v=v1beta1; g=meta.k8s.io"),
        Some(TableVersion::V1Beta1)
    );
    assert_eq!(requested("application/json"), None);
    assert_eq!(
        requested("application/json;as=Table;v=v2;g=meta.k8s.io"),
        None
    );
    assert_eq!(
        requested("application/json;as=Table;v=v1;g=example.com"),
        None
    );
    assert_eq!(
        requested("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io"),
        None
    );
    assert_eq!(
        requested("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"),
        None
    );
}

#[test]
fn include_object_parses_its_three_values() {
    assert_eq!(IncludeObject::parse(None), Ok(IncludeObject::Metadata));
    assert_eq!(IncludeObject::parse(Some("None")), Ok(IncludeObject::None));
    assert_eq!(
        IncludeObject::parse(Some("Object")),
        Ok(IncludeObject::Object)
    );
    assert!(IncludeObject::parse(Some("Everything")).is_err());
}

#[test]
fn list_table_carries_list_metadata_and_partial_object_metadata() {
    let rt = builtin("", "ConfigMap");
    let items = vec![
        Arc::new(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("a"), "data": {"x": "1", "y": "2"}}),
        ),
        Arc::new(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("b"), "binaryData": {"z": "AA=="}}),
        ),
    ];
    let metadata = json!({"resourceVersion": "77", "continue": "next"});
    let table = list(&rt, &items, metadata, &options(IncludeObject::Metadata));
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(
        table["metadata"],
        json!({"resourceVersion": "77", "continue": "next"})
    );
    assert_eq!(
        table["columnDefinitions"][0],
        json!({"name": "Name", "type": "string", "format": "name", "description": columns::NAME_DESCRIPTION, "priority": 0})
    );
    assert_eq!(table["rows"][0]["cells"], json!(["a", 2, "3m10s"]));
    assert_eq!(table["rows"][1]["cells"], json!(["b", 1, "3m10s"]));
    assert_eq!(
        table["rows"][0]["object"],
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta("a")})
    );
}

#[test]
fn object_table_carries_the_resource_version_and_the_object_when_asked() {
    let rt = builtin("", "Namespace");
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta("shop"), "status": {"phase": "Active"}});
    let mut opts = options(IncludeObject::Object);
    opts.version = TableVersion::V1Beta1;
    let table = object(&rt, &ns, &opts);
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1beta1");
    assert_eq!(table["metadata"], json!({"resourceVersion": "42"}));
    assert_eq!(
        table["rows"][0]["cells"],
        json!(["shop", "Active", "3m10s"])
    );
    assert_eq!(table["rows"][0]["object"], ns);
    let bare = object(&rt, &ns, &options(IncludeObject::None));
    assert!(bare["rows"][0].get("object").is_none());
}

#[test]
fn deployment_columns_and_cells() {
    let deployment = json!({
        "metadata": meta("web"),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
                 "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]}}},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
    });
    let (names, cells) = print("apps", "Deployment", deployment);
    assert_eq!(
        names,
        [
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    assert_eq!(
        cells,
        json!([
            "web",
            "2/3",
            3,
            2,
            "3m10s",
            "web,log",
            "nginx:1.27,busybox",
            "app=web,tier in (a,b)"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
    let (_, fresh) = print(
        "apps",
        "Deployment",
        json!({"metadata": meta("new"), "spec": {}}),
    );
    assert_eq!(fresh[1..4], [json!("0/1"), json!(0), json!(0)]);
    assert_eq!(fresh[7], json!("<none>"));
}

#[test]
fn replica_set_stateful_set_and_daemon_set() {
    let status = json!({"replicas": 2, "readyReplicas": 1, "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                        "numberReady": 1, "updatedNumberScheduled": 1, "numberAvailable": 0});
    let object = json!({"metadata": meta("x"), "spec": {"replicas": 2, "template": {"spec": {"nodeSelector": {"disk": "ssd", "arch": "arm64"}}}}, "status": status});
    let (names, cells) = print("apps", "ReplicaSet", object.clone());
    assert_eq!(names[..5], ["Name", "Desired", "Current", "Ready", "Age"]);
    assert_eq!(cells[1..4], [json!(2), json!(2), json!(1)]);
    let (names, cells) = print("apps", "StatefulSet", object.clone());
    assert_eq!(names, ["Name", "Ready", "Age", "Containers", "Images"]);
    assert_eq!(cells[1], "1/2");
    let (names, cells) = print("apps", "DaemonSet", object);
    assert_eq!(
        names[..8],
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age"
        ]
    );
    assert_eq!(
        cells[1..7],
        [
            json!(1),
            json!(1),
            json!(1),
            json!(1),
            json!(0),
            json!("arch=arm64,disk=ssd")
        ]
    );
}

#[test]
fn pod_status_readiness_and_restarts() {
    let running = json!({
        "metadata": meta("web-1"),
        "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "node-1"},
        "status": {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": [
            {"name": "a", "ready": true, "restartCount": 1, "state": {"running": {}},
             "lastState": {"terminated": {"finishedAt": "2026-11-25T11:55:00Z"}}},
            {"name": "b", "ready": false, "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ]}
    });
    let (names, cells) = print("", "Pod", running);
    assert_eq!(
        names,
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    assert_eq!(
        cells,
        json!([
            "web-1",
            "1/2",
            "CrashLoopBackOff",
            "3 (5m ago)",
            "3m10s",
            "10.0.0.5",
            "node-1",
            "<none>",
            "<none>"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
    let init = json!({"metadata": meta("p"), "spec": {"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "a"}]},
                      "status": {"phase": "Pending", "initContainerStatuses": [
                          {"name": "i1", "state": {"terminated": {"exitCode": 0}}},
                          {"name": "i2", "state": {"running": {}}}]}});
    assert_eq!(print("", "Pod", init).1[2], "Init:1/2");
    let failed_init = json!({"metadata": meta("p"), "spec": {"initContainers": [{"name": "i1"}]},
                             "status": {"initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 3}}}]}});
    assert_eq!(print("", "Pod", failed_init).1[2], "Init:ExitCode:3");
    let mut deleting = meta("p");
    deleting["deletionTimestamp"] = json!("2026-11-25T11:59:00Z");
    let gone = json!({"metadata": deleting, "spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Running"}});
    assert_eq!(print("", "Pod", gone).1[2], "Terminating");
    let done = json!({"metadata": meta("p"), "spec": {"containers": [{"name": "a"}]},
                      "status": {"phase": "Succeeded", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}});
    assert_eq!(
        print("", "Pod", done).1[1..4],
        [json!("0/1"), json!("Completed"), json!("0")]
    );
}

#[test]
fn service_types_addresses_and_ports() {
    let cluster_ip = json!({"metadata": meta("web"), "spec": {"clusterIP": "10.96.0.10", "selector": {"app": "web"},
                            "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}});
    let (names, cells) = print("", "Service", cluster_ip);
    assert_eq!(
        names,
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
    assert_eq!(
        cells,
        json!([
            "web",
            "ClusterIP",
            "10.96.0.10",
            "<none>",
            "80/TCP,53/UDP",
            "3m10s",
            "app=web"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
    let lb = json!({"metadata": meta("lb"), "spec": {"type": "LoadBalancer", "ports": [{"port": 443, "nodePort": 30443}]}});
    assert_eq!(
        print("", "Service", lb.clone()).1[2..5],
        [json!("<none>"), json!("<pending>"), json!("443:30443/TCP")]
    );
    let mut ready = lb;
    ready["status"] =
        json!({"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}, {"hostname": "lb.example.com"}]}});
    assert_eq!(print("", "Service", ready).1[3], "127.0.0.1,lb.example.com");
    let external = json!({"metadata": meta("ext"), "spec": {"type": "ExternalName", "externalName": "db.example.com"}});
    assert_eq!(
        print("", "Service", external).1[3..5],
        [json!("db.example.com"), json!("<none>")]
    );
}

#[test]
fn secret_namespace_service_account_and_lease() {
    let secret = json!({"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}});
    let (names, cells) = print("", "Secret", secret);
    assert_eq!(names, ["Name", "Type", "Data", "Age"]);
    assert_eq!(cells[1..3], [json!("kubernetes.io/tls"), json!(2)]);
    assert_eq!(
        print("", "Secret", json!({"metadata": meta("o")})).1[1..3],
        [json!("Opaque"), json!(0)]
    );
    let (names, cells) = print(
        "",
        "Namespace",
        json!({"metadata": meta("n"), "status": {"phase": "Terminating"}}),
    );
    assert_eq!((names.len(), &cells[1]), (3, &json!("Terminating")));
    assert_eq!(
        print(
            "",
            "ServiceAccount",
            json!({"metadata": meta("sa"), "secrets": [{"name": "t"}]})
        )
        .1[1],
        1
    );
    assert_eq!(
        print(
            "coordination.k8s.io",
            "Lease",
            json!({"metadata": meta("l"), "spec": {"holderIdentity": "me"}})
        )
        .1[1],
        "me"
    );
}

#[test]
fn job_and_cron_job() {
    let running = json!({"metadata": meta("j"), "spec": {"completions": 3}, "status": {"succeeded": 1, "startTime": "2026-11-25T11:59:00Z"}});
    let (names, cells) = print("batch", "Job", running);
    assert_eq!(
        names[..5],
        ["Name", "Status", "Completions", "Duration", "Age"]
    );
    assert_eq!(cells[1..4], [json!("Running"), json!("1/3"), json!("60s")]);
    let complete = json!({"metadata": meta("j"), "spec": {"parallelism": 2},
                          "status": {"succeeded": 1, "startTime": "2026-11-25T11:00:00Z", "completionTime": "2026-11-25T11:00:42Z",
                                     "conditions": [{"type": "Complete", "status": "True"}]}});
    assert_eq!(
        print("batch", "Job", complete).1[1..4],
        [json!("Complete"), json!("1/1 of 2"), json!("42s")]
    );
    let pending = json!({"metadata": meta("j"), "spec": {}, "status": {"conditions": [{"type": "Failed", "status": "True"}]}});
    assert_eq!(
        print("batch", "Job", pending).1[1..4],
        [json!("Failed"), json!("0/1"), json!("")]
    );
    let cron = json!({"metadata": meta("c"), "spec": {"schedule": "*/5 * * * *",
                      "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "tick", "image": "busybox"}]}}}}},
                      "status": {"active": [{"name": "c-1"}], "lastScheduleTime": "2026-11-25T11:58:00Z"}});
    let (names, cells) = print("batch", "CronJob", cron);
    assert_eq!(
        names,
        [
            "Name",
            "Schedule",
            "Timezone",
            "Suspend",
            "Active",
            "Last Schedule",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    assert_eq!(
        cells,
        json!([
            "c",
            "*/5 * * * *",
            "<none>",
            false,
            1,
            "2m",
            "3m10s",
            "tick",
            "busybox",
            "<none>"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
}

#[test]
fn ingress_and_persistent_volume_claim() {
    let rules = json!([{"host": "a.example.com"}, {"host": "b.example.com"}, {}, {"host": "d.example.com"}]);
    let ingress = json!({"metadata": meta("i"), "spec": {"ingressClassName": "nginx", "rules": rules, "tls": [{}]},
                         "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}});
    let (names, cells) = print("networking.k8s.io", "Ingress", ingress);
    assert_eq!(names, ["Name", "Class", "Hosts", "Address", "Ports", "Age"]);
    assert_eq!(
        cells,
        json!([
            "i",
            "nginx",
            "a.example.com,b.example.com + 1 more...",
            "127.0.0.1",
            "80, 443",
            "3m10s"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
    assert_eq!(
        print(
            "networking.k8s.io",
            "Ingress",
            json!({"metadata": meta("j"), "spec": {}})
        )
        .1[1..5],
        [json!("<none>"), json!("*"), json!(""), json!("80")]
    );
    let bound = json!({"metadata": meta("data"), "spec": {"volumeName": "pv-1", "storageClassName": "standard"},
                       "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"]}});
    let (names, cells) = print("", "PersistentVolumeClaim", bound);
    assert_eq!(
        names,
        [
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            "VolumeMode"
        ]
    );
    assert_eq!(
        cells,
        json!([
            "data", "Bound", "pv-1", "1Gi", "RWO,RWX", "standard", "<unset>", "3m10s", "<unset>"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
}

#[test]
fn event_columns_lead_with_last_seen() {
    let event = json!({"metadata": meta("web.1"), "type": "Warning", "reason": "BackOff", "message": " Back-off restarting \n",
                       "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{web}"},
                       "source": {"component": "kubelet", "host": "node-1"}, "count": 4,
                       "firstTimestamp": "2026-11-25T11:00:00Z", "lastTimestamp": "2026-11-25T11:59:30Z"});
    let (names, cells) = print("", "Event", event);
    assert_eq!(
        names,
        [
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "Subobject",
            "Source",
            "Message",
            "First Seen",
            "Count",
            "Name"
        ]
    );
    assert_eq!(
        cells,
        json!([
            "30s",
            "Warning",
            "BackOff",
            "pod/web-1",
            "spec.containers{web}",
            "kubelet, node-1",
            "Back-off restarting",
            "60m",
            4,
            "web.1"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
    let new_style = json!({"metadata": meta("e"), "eventTime": "2026-11-25T11:59:50.000000Z", "reportingComponent": "driftless",
                           "involvedObject": {"kind": "Namespace"}});
    let (_, cells) = print("", "Event", new_style);
    assert_eq!(
        [&cells[0], &cells[3], &cells[5], &cells[8]],
        [
            &json!("10s"),
            &json!("namespace"),
            &json!("driftless"),
            &json!(1)
        ]
    );
}

#[test]
fn crds_roles_and_unknown_kinds() {
    let (names, cells) = print(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        json!({"metadata": meta("widgets.example.com")}),
    );
    assert_eq!(names, ["Name", "Created At"]);
    assert_eq!(
        cells,
        [json!("widgets.example.com"), json!("2026-11-25T11:56:50Z")]
    );
    assert_eq!(
        print(
            "rbac.authorization.k8s.io",
            "ClusterRole",
            json!({"metadata": meta("r")})
        )
        .0,
        ["Name", "Created At"]
    );
    let (names, cells) = print(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({"metadata": meta("hpa")}),
    );
    assert_eq!(names, ["Name", "Age"]);
    assert_eq!(cells, [json!("hpa"), json!("3m10s")]);
    let (_, cells) = print("", "ConfigMap", json!({"metadata": {"name": "no-stamp"}}));
    assert_eq!(cells[2], "<unknown>");
}

#[test]
fn custom_resources_use_the_crd_printer_columns() {
    let mut rt = (*builtin("", "ConfigMap")).clone();
    rt.custom = true;
    rt.printer_columns = vec![
        json!({"name": "Size", "type": "integer", "jsonPath": ".spec.size"}),
        json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
        json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
    ];
    let widget = json!({"metadata": meta("gear"), "spec": {"size": 3}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    let table = object(&rt, &widget, &options(IncludeObject::None));
    let names: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Name", "Size", "Ready", "Age"]);
    assert_eq!(
        table["rows"][0]["cells"],
        json!(["gear", 3, "True", "3m10s"])
    );
    rt.printer_columns.clear();
    let table = object(&rt, &widget, &options(IncludeObject::None));
    assert_eq!(table["rows"][0]["cells"], json!(["gear", "3m10s"]));
}
