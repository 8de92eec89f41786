//! Builders of the Kubernetes manifests the tests commit: ConfigMaps, Deployments, Services,
//! Jobs and Secrets, joined into multi-document YAML files.

/// A ConfigMap with `data`.
pub fn config_map(name: &str, data: &[(&str, &str)]) -> String {
    config_map_annotated(name, &[], data)
}

/// A ConfigMap with annotations and `data`.
pub fn config_map_annotated(
    name: &str,
    annotations: &[(&str, &str)],
    data: &[(&str, &str)],
) -> String {
    let mut text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    text.push_str(&map_block("  annotations", annotations, 4));
    text.push_str(&map_block("data", data, 2));
    text
}

/// A Deployment of one container running `image`, `replicas` as written (YAML).
pub fn deployment(name: &str, image: &str, replicas: &str) -> String {
    deployment_annotated(name, image, replicas, &[])
}

/// A Deployment with annotations.
pub fn deployment_annotated(
    name: &str,
    image: &str,
    replicas: &str,
    annotations: &[(&str, &str)],
) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{}spec:\n  replicas: \
         {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      \
         labels:\n        app: {name}\n    spec:\n      containers:\n      - name: main\n        \
         image: {image}\n",
        map_block("  annotations", annotations, 4)
    )
}

/// A ClusterIP Service in front of the pods labelled `app: <name>`.
pub fn service(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: \
         {name}\n  ports:\n  - port: 80\n    targetPort: 8080\n"
    )
}

/// A Job running `script` with `sh -c`, with annotations (hook settings).
pub fn job(name: &str, annotations: &[(&str, &str)], script: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n{}spec:\n  template:\n    \
         spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: \
         busybox:1.36\n        command: [\"sh\", \"-c\", {}]\n",
        map_block("  annotations", annotations, 4),
        quoted(script)
    )
}

/// A Secret whose `stringData` holds `key: value`.
pub fn secret(name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\nstringData:\n  \
         {key}: {}\n",
        quoted(value)
    )
}

/// `key:` and the pairs below it, indented; nothing when `pairs` is empty.
fn map_block(key: &str, pairs: &[(&str, &str)], indent: usize) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut text = format!("{key}:\n");
    for (k, v) in pairs {
        text.push_str(&format!(
            "{}{}: {}\n",
            " ".repeat(indent),
            quoted(k),
            quoted(v)
        ));
    }
    text
}

/// Joins manifests into one multi-document YAML file.
pub fn documents(manifests: &[String]) -> String {
    manifests.join("---\n")
}

/// `value` as a YAML double-quoted string.
pub(super) fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}
