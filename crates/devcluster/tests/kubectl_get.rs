//! `kubectl get`, `explain`, `api-resources` and `api-versions` against devcluster print what they print against
//! kube-apiserver: server-side Tables with the upstream columns. These tests need `kubectl` on PATH and fail (not
//! skip) without it.

mod common;

use common::kubectl::Kubectl;
use regex::Regex;

/// What these tests do on top of the common harness.
trait Printing {
    async fn apply(&self, manifest: &str);
    async fn get(&self, args: &[&str]) -> Vec<Vec<String>>;
}

impl Printing for Kubectl {
    async fn apply(&self, manifest: &str) {
        let path = self.dir.path().join("manifest.yaml");
        std::fs::write(&path, manifest).unwrap();
        self.ok(&["apply", "--server-side", "-f", &path.display().to_string()])
            .await;
    }

    /// `kubectl get` output as rows of cells.
    async fn get(&self, args: &[&str]) -> Vec<Vec<String>> {
        let mut all = vec!["get"];
        all.extend(args);
        columns(&self.ok(&all).await)
    }
}

/// Splits kubectl's aligned output into cells at the header's column starts (so empty cells stay).
fn columns(output: &str) -> Vec<Vec<String>> {
    let mut lines = output.lines();
    let header = lines.next().unwrap_or("");
    let starts: Vec<usize> = Regex::new(r"\S+(?: \S+)*")
        .unwrap()
        .find_iter(header)
        .map(|m| m.start())
        .collect();
    std::iter::once(header)
        .chain(lines)
        .map(|line| {
            starts
                .iter()
                .enumerate()
                .map(|(i, start)| {
                    let end = starts
                        .get(i + 1)
                        .copied()
                        .unwrap_or(line.len())
                        .min(line.len());
                    line.get((*start).min(end)..end)
                        .unwrap_or("")
                        .trim()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

/// Compares printed rows with expected ones, where `<age>` stands for a fresh age (`0s`..`59s`) and `<time>` for
/// an RFC 3339 timestamp.
fn assert_rows(actual: &[Vec<String>], expected: &[&[&str]]) {
    let age = Regex::new(r"^[0-5]?[0-9]s$").unwrap();
    let time = Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
    let matches = |cell: &str, want: &str| match want {
        "<age>" => age.is_match(cell),
        "<time>" => time.is_match(cell),
        _ => cell == want,
    };
    let fits = actual.len() == expected.len()
        && actual.iter().zip(expected).all(|(row, want)| {
            row.len() == want.len() && row.iter().zip(*want).all(|(c, w)| matches(c, w))
        });
    assert!(fits, "printed:\n{actual:#?}\nexpected:\n{expected:#?}");
}

const SHOP: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27"}
      - {name: log, image: busybox}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast, size: large}
"#;

#[tokio::test]
async fn deployments_show_ready_up_to_date_and_available() {
    let k = Kubectl::start().await;
    k.apply(SHOP).await;
    assert_rows(
        &k.get(&["deployments", "-n", "shop"]).await,
        &[
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            &["web", "0/2", "0", "0", "<age>"],
        ],
    );
    let api =
        kube::Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(k.cluster.client(), "shop");
    let status = serde_json::json!({"status": {"replicas": 2, "readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}});
    api.patch_status(
        "web",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(status),
    )
    .await
    .unwrap();
    assert_rows(
        &k.get(&["deployment", "web", "-n", "shop", "-o", "wide"])
            .await,
        &[
            &[
                "NAME",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "AGE",
                "CONTAINERS",
                "IMAGES",
                "SELECTOR",
            ],
            &[
                "web",
                "1/2",
                "2",
                "1",
                "<age>",
                "web,log",
                "nginx:1.27,busybox",
                "app=web",
            ],
        ],
    );
}

#[tokio::test]
async fn configmaps_count_their_data_and_all_namespaces_adds_the_namespace() {
    let k = Kubectl::start().await;
    k.apply(SHOP).await;
    k.ok(&["create", "configmap", "empty"]).await;
    assert_rows(
        &k.get(&["configmaps", "-n", "shop"]).await,
        &[&["NAME", "DATA", "AGE"], &["settings", "2", "<age>"]],
    );
    assert_rows(
        &k.get(&["configmaps", "--all-namespaces"]).await,
        &[
            &["NAMESPACE", "NAME", "DATA", "AGE"],
            &["default", "empty", "0", "<age>"],
            &["shop", "settings", "2", "<age>"],
        ],
    );
    k.ok(&["label", "configmap", "settings", "-n", "shop", "tier=web"])
        .await;
    assert_rows(
        &k.get(&["configmaps", "-n", "shop", "--show-labels"]).await,
        &[
            &["NAME", "DATA", "AGE", "LABELS"],
            &["settings", "2", "<age>", "tier=web"],
        ],
    );
    k.ok(&["create", "configmap", "a-first", "-n", "shop"])
        .await;
    assert_rows(
        &k.get(&["configmaps", "-A", "--sort-by=.metadata.name"])
            .await,
        &[
            &["NAMESPACE", "NAME", "DATA", "AGE"],
            &["shop", "a-first", "0", "<age>"],
            &["default", "empty", "0", "<age>"],
            &["shop", "settings", "2", "<age>"],
        ],
    );
    let common::kubectl::Output {
        code,
        stdout,
        stderr,
    } = k.run(&["get", "deployments", "-n", "empty"]).await;
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(stderr.trim(), "No resources found in empty namespace.");
}

#[tokio::test]
async fn namespaces_show_their_phase() {
    let k = Kubectl::start().await;
    k.apply(SHOP).await;
    assert_rows(
        &k.get(&["namespaces"]).await,
        &[
            &["NAME", "STATUS", "AGE"],
            &["default", "Active", "<age>"],
            &["kube-node-lease", "Active", "<age>"],
            &["kube-public", "Active", "<age>"],
            &["kube-system", "Active", "<age>"],
            &["shop", "Active", "<age>"],
        ],
    );
}

#[tokio::test]
async fn services_show_type_addresses_and_ports() {
    let k = Kubectl::start().await;
    k.apply(SHOP).await;
    assert_rows(
        &k.get(&["services", "-n", "shop", "-o", "wide"]).await,
        &[
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
                "SELECTOR",
            ],
            &[
                "web",
                "ClusterIP",
                "10.96.0.10",
                "<none>",
                "80/TCP,53/UDP",
                "<age>",
                "app=web",
            ],
        ],
    );
}

const WIDGETS: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Color, type: string, jsonPath: .spec.color, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
          status:
            type: object
            properties:
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
"#;

const GEARS: &str = r#"apiVersion: example.com/v1
kind: Widget
metadata: {name: gear, namespace: default}
spec: {size: 3, color: red}
status:
  conditions: [{type: Synced, status: "False"}, {type: Ready, status: "True"}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: sprocket, namespace: default}
spec: {size: 1}
"#;

#[tokio::test]
async fn crds_and_custom_resources_use_printer_columns() {
    let k = Kubectl::start().await;
    k.apply(WIDGETS).await;
    assert_rows(
        &k.get(&["crds"]).await,
        &[&["NAME", "CREATED AT"], &["widgets.example.com", "<time>"]],
    );
    k.apply(GEARS).await;
    assert_rows(
        &k.get(&["widgets"]).await,
        &[
            &["NAME", "SIZE", "READY", "AGE"],
            &["gear", "3", "True", "<age>"],
            &["sprocket", "1", "", "<age>"],
        ],
    );
    assert_rows(
        &k.get(&["wd", "gear", "-o", "wide"]).await,
        &[
            &["NAME", "SIZE", "READY", "COLOR", "AGE"],
            &["gear", "3", "True", "red", "<age>"],
        ],
    );
}

#[tokio::test]
async fn explain_describes_deployment_spec_template() {
    let k = Kubectl::start().await;
    let out = k.ok(&["explain", "deployment.spec.template"]).await;
    for expected in [
        "GROUP:      apps",
        "KIND:       Deployment",
        "VERSION:    v1",
        "FIELD: template <PodTemplateSpec>",
        "DESCRIPTION:",
        "Template describes the pods that will be created.",
        "FIELDS:",
        "  metadata\t<ObjectMeta>",
        "  spec\t<PodSpec>",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
}

#[tokio::test]
async fn api_resources_and_api_versions_list_what_is_served() {
    let k = Kubectl::start().await;
    k.apply(WIDGETS).await;
    let listed = columns(&k.ok(&["api-resources"]).await);
    assert_eq!(
        listed[0],
        ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    );
    for expected in [
        ["configmaps", "cm", "v1", "true", "ConfigMap"],
        ["namespaces", "ns", "v1", "false", "Namespace"],
        ["deployments", "deploy", "apps/v1", "true", "Deployment"],
        [
            "customresourcedefinitions",
            "crd,crds",
            "apiextensions.k8s.io/v1",
            "false",
            "CustomResourceDefinition",
        ],
        ["widgets", "wd", "example.com/v1", "true", "Widget"],
    ] {
        assert!(
            listed.iter().any(|row| row == &expected),
            "{expected:?} missing from {listed:#?}"
        );
    }
    let versions = k.ok(&["api-versions"]).await;
    let versions: Vec<&str> = versions.lines().collect();
    for expected in [
        "v1",
        "apps/v1",
        "batch/v1",
        "apiextensions.k8s.io/v1",
        "example.com/v1",
    ] {
        assert!(
            versions.contains(&expected),
            "{expected} missing from {versions:?}"
        );
    }
    let mut sorted = versions.clone();
    sorted.sort_unstable();
    assert_eq!(versions, sorted, "kubectl prints api-versions sorted");
}

/// GET with a Table Accept header, straight through the kube client.
async fn table(k: &Kubectl, path: &str, accept: &str) -> Result<serde_json::Value, kube::Error> {
    let request = http::Request::get(path)
        .header("Accept", accept)
        .body(Vec::new())
        .unwrap();
    k.cluster.client().request(request).await
}

#[tokio::test]
async fn tables_honour_the_version_and_include_object() {
    let k = Kubectl::start().await;
    k.apply(SHOP).await;
    let v1beta1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    let list = table(
        &k,
        "/api/v1/namespaces/shop/configmaps?includeObject=Object",
        v1beta1,
    )
    .await
    .unwrap();
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1beta1");
    assert!(list["metadata"]["resourceVersion"].is_string());
    let row = &list["rows"][0];
    assert_eq!(
        row["cells"],
        serde_json::json!(["settings", 2, row["cells"][2]])
    );
    assert_eq!(row["object"]["kind"], "ConfigMap");
    assert_eq!(row["object"]["data"]["mode"], "fast");
    let one = table(
        &k,
        "/apis/apps/v1/namespaces/shop/deployments/web?includeObject=None",
        v1beta1,
    )
    .await
    .unwrap();
    assert_eq!(one["rows"].as_array().map(Vec::len), Some(1));
    assert!(one["rows"][0].get("object").is_none());
    let bad = table(&k, "/api/v1/namespaces?includeObject=All", v1beta1).await;
    assert!(
        matches!(&bad, Err(kube::Error::Api(e)) if e.code == 400),
        "{bad:?}"
    );
    let plain = table(&k, "/api/v1/namespaces/shop/configmaps", "application/json")
        .await
        .unwrap();
    assert_eq!(plain["kind"], "ConfigMapList");
}

const WORK: &str = r#"apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: default}
spec:
  containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: default}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox}]
"#;

/// Writes `status` through the status subresource of the object at `path` (a merge patch).
async fn set_status(k: &Kubectl, path: &str, status: serde_json::Value) {
    let request = http::Request::patch(format!("{path}/status"))
        .header("Content-Type", "application/merge-patch+json")
        .body(serde_json::to_vec(&serde_json::json!({ "status": status })).unwrap())
        .unwrap();
    let _: serde_json::Value = k.cluster.client().request(request).await.unwrap();
}

#[tokio::test]
async fn pods_and_jobs_print_their_status() {
    let k = Kubectl::start().await;
    k.apply(WORK).await;
    set_status(
        &k,
        "/api/v1/namespaces/default/pods/web-0",
        serde_json::json!({"phase": "Running", "containerStatuses": [
            {"name": "web", "ready": true, "restartCount": 0, "image": "nginx:1.27", "imageID": "",
             "state": {"running": {"startedAt": "2026-11-25T00:00:00Z"}}}]}),
    )
    .await;
    assert_rows(
        &k.get(&["pods"]).await,
        &[
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &["web-0", "1/1", "Running", "0", "<age>"],
        ],
    );
    set_status(
        &k,
        "/apis/batch/v1/namespaces/default/jobs/migrate",
        serde_json::json!({"succeeded": 1, "startTime": "2026-11-25T10:00:00Z",
            "completionTime": "2026-11-25T10:00:12Z",
            "conditions": [{"type": "Complete", "status": "True"}]}),
    )
    .await;
    assert_rows(
        &k.get(&["jobs"]).await,
        &[
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
            &["migrate", "Complete", "1/1", "12s", "<age>"],
        ],
    );
}
