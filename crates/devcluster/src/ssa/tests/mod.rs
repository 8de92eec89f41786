//! Scenarios of server-side apply and update tracking over a Deployment-like and a ConfigMap-like
//! schema.

use serde_json::{json, Value};

use super::*;
use crate::shape::{ListType, Shape};

mod apply;
mod update;

/// A small hand-written schema: Deployment (containers by name, ports by containerPort+protocol,
/// finalizers a set, args atomic, selector an atomic map) and ConfigMap data.
#[derive(Debug, Clone, Copy, PartialEq)]
enum T {
    Object,
    Spec,
    Template,
    PodMeta,
    PodSpec,
    Containers,
    Container,
    Ports,
    Port,
    Args,
    Env,
    EnvVar,
    Selector,
    Strategy,
    StringMap,
    Scalar,
}

impl Shape for T {
    fn field(self, name: &str) -> Option<T> {
        use T::*;
        let t = match (self, name) {
            (Object, "spec") => Spec,
            (Object, "data") => StringMap,
            (Spec, "replicas" | "paused" | "minReadySeconds") => Scalar,
            (Spec, "selector") => Selector,
            (Spec, "template") => Template,
            (Spec, "strategy") => Strategy,
            (Strategy, "type") => Scalar,
            (Template, "metadata") => PodMeta,
            (Template, "spec") => PodSpec,
            (PodMeta, "labels") => StringMap,
            (PodSpec, "containers") => Containers,
            (PodSpec, "nodeSelector") => StringMap,
            (Container, "name" | "image") => Scalar,
            (Container, "args") => Args,
            (Container, "ports") => Ports,
            (Container, "env") => Env,
            (EnvVar, "name" | "value") => Scalar,
            (Port, "containerPort" | "protocol" | "name") => Scalar,
            (StringMap | Selector, _) => Scalar,
            _ => return None,
        };
        Some(t)
    }
    fn items(self) -> Option<T> {
        match self {
            T::Containers => Some(T::Container),
            T::Ports => Some(T::Port),
            T::Args => Some(T::Scalar),
            T::Env => Some(T::EnvVar),
            _ => None,
        }
    }
    fn list_type(self) -> ListType {
        match self {
            T::Containers | T::Env => ListType::Map(vec!["name".into()]),
            T::Ports => ListType::Map(vec!["containerPort".into(), "protocol".into()]),
            _ => ListType::Atomic,
        }
    }
    fn is_atomic(self) -> bool {
        self == T::Selector
    }
    fn patch_merge_key(self) -> Option<String> {
        None
    }
    fn patch_strategies(self) -> Vec<String> {
        Vec::new()
    }
}

const T1: &str = "2026-11-25T15:00:00Z";
const T2: &str = "2026-11-25T16:00:00Z";
const T3: &str = "2026-11-25T17:00:00Z";

fn deployment(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}
            }
        }
    })
}

fn config_map(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"}, "data": data})
}

fn ssa(live: Option<&Value>, config: &Value, manager: &str, now: &str) -> Result<Value, SsaError> {
    apply(Some(T::Object), live, config, manager, None, false, now)
}

fn force(live: &Value, config: &Value, manager: &str) -> Value {
    apply(Some(T::Object), Some(live), config, manager, None, true, T3).unwrap()
}

fn update(old: Option<&Value>, mut new: Value, manager: &str) -> Value {
    track_update(Some(T::Object), old, &mut new, manager, None, T2).unwrap();
    new
}

/// The fieldsV1 of `manager`'s entry, or panics.
fn fields_of_manager(object: &Value, manager: &str) -> Value {
    entry(object, manager).expect(manager)["fieldsV1"].clone()
}

fn entry<'a>(object: &'a Value, manager: &str) -> Option<&'a Value> {
    object["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["manager"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn conflicts(result: Result<Value, SsaError>) -> Vec<Conflict> {
    match result {
        Err(SsaError::Conflicts(c)) => c,
        other => panic!("expected conflicts, got {other:?}"),
    }
}
