//! Validation, pruning, defaulting and shape of built-in and custom schemas, with JSON fixtures.

mod builtin;
mod custom;

use serde_json::{json, Value};

use super::{FieldError, FieldErrorKind, SchemaSet};

fn builtin() -> SchemaSet {
    SchemaSet::builtin().unwrap()
}

fn fields(errors: &[FieldError]) -> Vec<(&str, FieldErrorKind)> {
    errors.iter().map(|e| (e.field.as_str(), e.kind)).collect()
}

/// A valid Deployment with the usual fields.
fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "A", "value": "1"}],
                        "resources": {"limits": {"cpu": "500m", "memory": 1073741824}}
                    }]
                }
            }
        }
    })
}
