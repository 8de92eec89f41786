//! Bodies kubectl v1.32 really sent (captured from its typed clients against a recording server, files under
//! `tests/fixtures/protobuf/`), and hand-built messages for what kubectl's generators never produce.

use serde_json::json;

use super::message::{Decoder, MAX_DEPTH};
use super::table::Table;
use super::{decode, ProtobufError, WireError};

macro_rules! fixture {
    ($name:literal) => {
        decode(include_bytes!(concat!(
            "../../tests/fixtures/protobuf/",
            $name
        )))
        .unwrap()
    };
}

#[test]
fn kubectl_create_namespace() {
    // kubectl create namespace x
    assert_eq!(
        fixture!("create-namespace.pb"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {}, "status": {}})
    );
}

#[test]
fn kubectl_create_configmap() {
    // kubectl create configmap c --from-literal=a=b
    assert_eq!(
        fixture!("create-configmap.pb"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}})
    );
}

#[test]
fn kubectl_create_secret_generic_has_base64_data() {
    // kubectl create secret generic s --from-literal=user=admin --from-literal=pass=s3cr3t
    assert_eq!(
        fixture!("create-secret-generic.pb"),
        json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"user": "YWRtaW4=", "pass": "czNjcjN0"}
        })
    );
}

#[test]
fn kubectl_create_deployment() {
    // kubectl create deployment web --image=nginx --replicas=2
    assert_eq!(
        fixture!("create-deployment.pb"),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}
                },
                "strategy": {}
            },
            "status": {}
        })
    );
}

#[test]
fn pointer_fields_keep_an_explicit_zero() {
    // kubectl create deployment web2 --image=nginx --port=80 --replicas=0
    let deployment = fixture!("create-deployment-zero-replicas.pb");
    assert_eq!(deployment["spec"]["replicas"], 0);
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["ports"],
        json!([{"containerPort": 80}])
    );
    // kubectl create poddisruptionbudget pdb --selector=app=web --min-available=0: minAvailable is a pointer
    // IntOrString; status counters are plain int32 without omitempty, so Go writes their zeros too.
    assert_eq!(
        fixture!("create-pdb.pb"),
        json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pdb"},
            "spec": {"minAvailable": 0, "selector": {"matchLabels": {"app": "web"}}},
            "status": {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0}
        })
    );
}

#[test]
fn kubectl_create_cronjob_service_rolebinding_ingress() {
    // kubectl create cronjob cj --image=busybox --schedule="*/5 * * * *" -- date
    let cronjob = fixture!("create-cronjob.pb");
    assert_eq!(cronjob["spec"]["schedule"], "*/5 * * * *");
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "OnFailure");
    assert_eq!(pod["containers"][0]["command"], json!(["date"]));
    // kubectl create service clusterip svc --tcp=80:8080
    assert_eq!(
        fixture!("create-service.pb")["spec"],
        json!({
            "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": "svc"}, "type": "ClusterIP"
        })
    );
    // kubectl create rolebinding rb --role=r --serviceaccount=default:sa
    let binding = fixture!("create-rolebinding.pb");
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}])
    );
    // kubectl create ingress ing --rule="foo.com/bar=svc:80"
    assert_eq!(
        fixture!("create-ingress.pb")["spec"]["rules"][0],
        json!({"host": "foo.com", "http": {"paths": [{
            "path": "/bar", "pathType": "Exact",
            "backend": {"service": {"name": "svc", "port": {"number": 80}}}
        }]}})
    );
}

#[test]
fn kubectl_autoscale_quota_and_token() {
    // kubectl autoscale deployment web --min=1 --max=5 --cpu-percent=80
    assert_eq!(
        fixture!("autoscale.pb")["spec"],
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80
        })
    );
    // kubectl create quota q --hard=cpu=1,memory=1Gi,pods=0
    assert_eq!(
        fixture!("create-quota.pb")["spec"],
        json!({"hard": {"cpu": "1", "memory": "1Gi", "pods": "0"}})
    );
    // kubectl create token sa --duration=1h: status fields have no omitempty, the zero Time is null.
    let token = fixture!("create-token.pb");
    assert_eq!(token["spec"], json!({"expirationSeconds": 3600}));
    assert_eq!(
        token["status"],
        json!({"expirationTimestamp": null, "token": ""})
    );
}

#[test]
fn kubectl_auth_can_i() {
    // kubectl auth can-i create deployments.apps --subresource=scale -n prod
    assert_eq!(
        fixture!("auth-can-i.pb"),
        json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {},
            "spec": {"resourceAttributes": {
                "namespace": "prod", "verb": "create", "group": "apps",
                "resource": "deployments", "subresource": "scale"
            }},
            "status": {"allowed": false}
        })
    );
}

// --- hand-built messages -------------------------------------------------------------------------------------

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// A length-delimited field.
fn bytes(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = varint(u64::from(number) << 3 | 2);
    out.extend(varint(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

fn string(number: u32, s: &str) -> Vec<u8> {
    bytes(number, s.as_bytes())
}

fn int(number: u32, v: u64) -> Vec<u8> {
    let mut out = varint(u64::from(number) << 3);
    out.extend(varint(v));
    out
}

fn body(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let type_meta = [string(1, api_version), string(2, kind)].concat();
    [
        b"k8s\0".to_vec(),
        bytes(1, &type_meta),
        bytes(2, raw),
        string(3, ""),
        string(4, ""),
    ]
    .concat()
}

#[test]
fn pod_with_inline_volume_source_probe_and_timestamps() {
    let empty_dir = bytes(2, &[]); // VolumeSource.emptyDir = {}
    let volume = [string(1, "cache"), bytes(2, &empty_dir)].concat();
    let port = [int(1, 1), string(3, "http")].concat(); // IntOrString "http"
    let http_get = [string(1, "/healthz"), bytes(2, &port)].concat();
    let handler = bytes(2, &http_get); // ProbeHandler.httpGet
    let probe = [bytes(1, &handler), int(2, 5), int(7, 0)].concat(); // terminationGracePeriodSeconds: 0 (pointer)
    let container = [
        string(1, "app"),
        string(2, "nginx"),
        string(14, ""),
        int(16, 0),
        bytes(10, &probe),
    ]
    .concat();
    let spec = [bytes(1, &volume), bytes(2, &container), int(4, 30)].concat();
    let created = [int(1, 1_795_618_800)].concat();
    let meta = [
        string(1, "p"),
        string(2, ""),
        bytes(8, &created),
        bytes(9, &[]),
    ]
    .concat();
    let pod = [bytes(1, &meta), bytes(2, &spec)].concat();
    assert_eq!(
        decode(&body("v1", "Pod", &pod)).unwrap(),
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "creationTimestamp": "2026-11-25T15:00:00Z", "deletionTimestamp": null},
            "spec": {
                "volumes": [{"name": "cache", "emptyDir": {}}],
                "containers": [{
                    "name": "app", "image": "nginx",
                    "livenessProbe": {
                        "httpGet": {"path": "/healthz", "port": "http"},
                        "initialDelaySeconds": 5, "terminationGracePeriodSeconds": 0
                    }
                }],
                "terminationGracePeriodSeconds": 30
            }
        })
    );
}

#[test]
fn repeated_scalars_maps_and_merged_messages() {
    // Two occurrences of ObjectMeta merge; a repeated string keeps order; a later label wins.
    let label = |k: &str, v: &str| bytes(11, &[string(1, k), string(2, v)].concat());
    let first = [string(1, "n"), label("a", "1")].concat();
    let second = [
        label("a", "2"),
        label("b", ""),
        string(14, "f1"),
        string(14, "f2"),
    ]
    .concat();
    let cm = [bytes(1, &first), bytes(1, &second)].concat();
    assert_eq!(
        decode(&body("v1", "ConfigMap", &cm)).unwrap(),
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "n", "labels": {"a": "2", "b": ""}, "finalizers": ["f1", "f2"]}
        })
    );
}

#[test]
fn unknown_fields_are_skipped_and_delete_options_fall_back_to_meta() {
    let options = [
        int(1, 0),
        string(4, "Background"),
        int(99, 7),
        string(5, "All"),
    ]
    .concat();
    assert_eq!(
        decode(&body("apps/v1", "DeleteOptions", &options)).unwrap(),
        json!({
            "apiVersion": "apps/v1", "kind": "DeleteOptions",
            "gracePeriodSeconds": 0, "propagationPolicy": "Background", "dryRun": ["All"]
        })
    );
}

#[test]
fn raw_extension_and_micro_time() {
    // events.k8s.io/v1 Event: eventTime is a MicroTime; a ControllerRevision's data is a RawExtension.
    let event_time = [int(1, 1_795_618_800), int(2, 5_000)].concat();
    let event = [
        bytes(2, &event_time),
        string(10, "pulled"),
        string(11, "Normal"),
    ]
    .concat();
    let decoded = decode(&body("events.k8s.io/v1", "Event", &event)).unwrap();
    assert_eq!(decoded["eventTime"], "2026-11-25T15:00:00.000005Z");
    assert_eq!(decoded["type"], "Normal");
    assert_eq!(decoded["note"], "pulled");
    let revision = [
        bytes(2, &bytes(1, br#"{"spec":{"x":[1,true]}}"#)),
        int(3, 4),
    ]
    .concat();
    let decoded = decode(&body("apps/v1", "ControllerRevision", &revision)).unwrap();
    assert_eq!(decoded["data"], json!({"spec": {"x": [1, true]}}));
    assert_eq!(decoded["revision"], 4);
}

#[test]
fn errors_name_the_failing_step() {
    assert_eq!(
        decode(b"{\"kind\":\"Namespace\"}"),
        Err(ProtobufError::MissingMagic)
    );
    assert_eq!(
        decode(b"k8s\0\x0a\x05ab"),
        Err(ProtobufError::Envelope(WireError::Truncated))
    );
    assert_eq!(
        decode(&[b"k8s\0".as_slice(), &bytes(2, &[])].concat()),
        Err(ProtobufError::MissingTypeMeta)
    );
    assert_eq!(
        decode(&body("example.com/v1", "Widget", &[])),
        Err(ProtobufError::UnknownKind {
            api_version: "example.com/v1".into(),
            kind: "Widget".into()
        })
    );
    let mut gzipped = body("v1", "Namespace", &[]);
    gzipped.extend(string(3, "gzip"));
    assert_eq!(
        decode(&gzipped),
        Err(ProtobufError::ContentEncoding("gzip".into()))
    );
    let truncated_spec = [bytes(1, &string(1, "x")), vec![0x12, 0x04, 0x0a]].concat();
    let err = decode(&body("v1", "Namespace", &truncated_spec)).unwrap_err();
    assert_eq!(
        err,
        ProtobufError::Wire {
            path: String::new(),
            source: WireError::Truncated
        }
    );
    let replicas_as_string = bytes(2, &string(1, "two"));
    let err = decode(&body("apps/v1", "Deployment", &replicas_as_string)).unwrap_err();
    assert_eq!(
        err,
        ProtobufError::WrongWireType {
            path: "spec.replicas".into(),
            expected: "varint",
            found: "length-delimited"
        }
    );
    assert_eq!(
        err.to_string(),
        "spec.replicas: expected a varint value, found a length-delimited value"
    );
    let bad_raw = [bytes(2, &bytes(1, b"not json")), int(3, 1)].concat();
    assert!(matches!(
        decode(&body("apps/v1", "ControllerRevision", &bad_raw)),
        Err(ProtobufError::Invalid { path, .. }) if path == "data"
    ));
}

#[test]
fn nesting_is_bounded() {
    let decoder = Decoder::new(Table::get().unwrap());
    let err = decoder
        .message("core.v1.Namespace", &[], "spec", MAX_DEPTH + 1)
        .unwrap_err();
    assert_eq!(
        err,
        ProtobufError::TooDeep {
            path: "spec".into(),
            limit: MAX_DEPTH
        }
    );
}

#[test]
fn damaged_bodies_fail_without_panicking() {
    let body = include_bytes!("../../tests/fixtures/protobuf/create-deployment.pb");
    let mut failures = 0;
    for len in 0..body.len() {
        failures += usize::from(decode(&body[..len]).is_err());
    }
    // Only cuts at the envelope's own field boundaries (before raw, contentEncoding, contentType) decode.
    assert_eq!(failures, body.len() - 3);
    for i in 4..body.len() {
        for byte in [0x00, 0x7f, 0xff] {
            let mut damaged = body.to_vec();
            damaged[i] = byte;
            let _ = decode(&damaged);
        }
    }
}
