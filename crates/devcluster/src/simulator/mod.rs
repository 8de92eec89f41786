//! The workload simulator: devcluster runs no pods, so this opt-in client of the write path writes what the
//! kubelet and the built-in controllers would, so that health gates can be exercised.
//!
//! It follows committed events. When an object of a simulated kind changes and its settled state is not yet
//! written, it writes the observed stage at once (pods created, not ready) and, after the delay, the settled
//! one (ready, complete, bound, or failed). Writes are server-side applies with the field manager
//! [`FIELD_MANAGER`] through `/status`. The rules per kind are documented in the crate's README ("Workload simulator").

mod apps;
mod batch;
mod network;
mod pod;
mod rules;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::cluster::{now_rfc3339, Cluster, FieldValidation, PatchKind, Subresource, WriteOptions};
use crate::error::ApiError;
use crate::events::{Event, EventType};
use crate::registry::ResourceKey;
use crate::store::ObjectKey;
use rules::{covers, Seen, Stage};

/// The field manager of every simulated write.
pub const FIELD_MANAGER: &str = "devcluster-simulator";

/// The delay between the observed and the settled stage unless configured otherwise.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// Why a simulated write failed.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// Applying the simulated status failed.
    #[error("applying the simulated status of {object}")]
    ApplyStatus {
        /// `kind namespace/name`.
        object: String,
        /// The refusal.
        #[source]
        source: ApiError,
    },
}

/// A simulated kind: its resource and the rule that says what its controllers write.
struct Rule {
    group: &'static str,
    plural: &'static str,
    desired: fn(&Seen<'_>) -> Value,
}

const fn rule(group: &'static str, plural: &'static str, desired: fn(&Seen<'_>) -> Value) -> Rule {
    Rule {
        group,
        plural,
        desired,
    }
}

const RULES: &[Rule] = &[
    rule("apps", "deployments", apps::deployment),
    rule("apps", "replicasets", apps::replica_set),
    rule("apps", "statefulsets", apps::stateful_set),
    rule("apps", "daemonsets", apps::daemon_set),
    rule("batch", "jobs", batch::job),
    rule("", "pods", pod::pod),
    rule("", "persistentvolumeclaims", pod::claim),
    rule("", "services", network::service),
    rule("networking.k8s.io", "ingresses", network::ingress),
];

fn rule_for(resource: &ResourceKey) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.group == resource.group && r.plural == resource.plural)
}

/// Runs the simulator until the cluster's event hub closes: settles what exists, then follows changes.
pub async fn run(cluster: Arc<Cluster>, delay: Duration) {
    let mut events = cluster.hub.subscribe();
    let mut simulator = Simulator {
        cluster,
        delay,
        due: HashMap::new(),
    };
    simulator.resync().await;
    loop {
        let next = simulator.due.values().map(|d| d.at).min();
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) => simulator.on_event(&event).await,
                Err(RecvError::Lagged(_)) => simulator.resync().await,
                Err(RecvError::Closed) => return,
            },
            () = wake_at(next) => simulator.settle_due().await,
        }
    }
}

async fn wake_at(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// An object whose settled stage is due at `at`, for the generation it had when it was observed.
struct Due {
    generation: i64,
    at: Instant,
}

/// What a rule wants for one stage of an object as it is now.
struct Plan {
    generation: i64,
    /// Whether the object already holds all of it.
    covered: bool,
    /// `{"status": ...}`: the fields to apply.
    fragment: Value,
}

struct Simulator {
    cluster: Arc<Cluster>,
    delay: Duration,
    due: HashMap<ObjectKey, Due>,
}

impl Simulator {
    /// Visits every object of a simulated kind (at start, and after missing events).
    async fn resync(&mut self) {
        let keys: Vec<ObjectKey> = self.cluster.read(|state| {
            RULES
                .iter()
                .flat_map(|r| {
                    let resource = ResourceKey {
                        group: r.group.into(),
                        plural: r.plural.into(),
                    };
                    state
                        .store
                        .list(&resource, None, None)
                        .map(|((namespace, name), _)| ObjectKey {
                            resource: resource.clone(),
                            namespace: namespace.clone(),
                            name: name.clone(),
                        })
                        .collect::<Vec<_>>()
                })
                .collect()
        });
        for key in keys {
            self.visit(key).await;
        }
    }

    async fn on_event(&mut self, event: &Event) {
        if rule_for(&event.resource).is_none() {
            return;
        }
        let meta = |field: &str| {
            event
                .object
                .pointer(&format!("/metadata/{field}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let key = ObjectKey {
            resource: event.resource.clone(),
            namespace: meta("namespace"),
            name: meta("name"),
        };
        if event.kind == EventType::Deleted {
            self.due.remove(&key);
        } else {
            self.visit(key).await;
        }
    }

    /// Nothing to do when the settled stage is written; otherwise, unless already waiting for this
    /// generation, writes the observed stage and waits for the delay.
    async fn visit(&mut self, key: ObjectKey) {
        let Some(settled) = self.plan(&key, Stage::Settled) else {
            self.due.remove(&key);
            return;
        };
        if settled.covered {
            self.due.remove(&key);
            return;
        }
        let generation = settled.generation;
        if self
            .due
            .get(&key)
            .is_some_and(|d| d.generation == generation)
        {
            return;
        }
        if let Some(observed) = self.plan(&key, Stage::Observed) {
            if !observed.covered {
                self.write(&key, &observed.fragment).await;
            }
        }
        let at = Instant::now() + self.delay;
        self.due.insert(key, Due { generation, at });
    }

    /// Writes the settled stage of every object whose delay is over and whose generation did not move since.
    async fn settle_due(&mut self) {
        let now = Instant::now();
        let ready: Vec<(ObjectKey, i64)> = self
            .due
            .iter()
            .filter(|(_, d)| d.at <= now)
            .map(|(k, d)| (k.clone(), d.generation))
            .collect();
        for (key, generation) in ready {
            self.due.remove(&key);
            match self.plan(&key, Stage::Settled) {
                Some(plan) if plan.generation == generation && !plan.covered => {
                    self.write(&key, &plan.fragment).await;
                }
                _ => {}
            }
        }
    }

    /// What the rule of the object's kind wants for `stage`; `None` when it is gone or being deleted.
    fn plan(&self, key: &ObjectKey, stage: Stage) -> Option<Plan> {
        let rule = rule_for(&key.resource)?;
        let now = now_rfc3339();
        self.cluster.read(|state| {
            let object = state.store.get(key)?;
            if object.pointer("/metadata/deletionTimestamp").is_some() {
                return None;
            }
            let seen = Seen {
                object,
                stage,
                now: &now,
            };
            let fragment = (rule.desired)(&seen);
            Some(Plan {
                generation: seen.generation(),
                covered: covers(object, &fragment),
                fragment,
            })
        })
    }

    async fn write(&self, key: &ObjectKey, fragment: &Value) {
        if let Err(e) = self.apply(key, fragment).await {
            let e = anyhow::Error::from(e);
            tracing::warn!(error = format!("{e:#}"), "workload simulator step failed");
        }
    }

    /// Applies the status of `fragment` through `/status`.
    async fn apply(&self, key: &ObjectKey, fragment: &Value) -> Result<(), SimulatorError> {
        let Some(rt) = self
            .cluster
            .read(|s| s.registry.storage_type(&key.resource))
        else {
            return Ok(());
        };
        let options = WriteOptions {
            field_manager: FIELD_MANAGER.into(),
            force: true,
            field_validation: FieldValidation::Strict,
            ..WriteOptions::default()
        };
        let Some(status) = fragment.get("status") else {
            return Ok(());
        };
        let mut metadata = Map::new();
        metadata.insert("name".into(), key.name.clone().into());
        if !key.namespace.is_empty() {
            metadata.insert("namespace".into(), key.namespace.clone().into());
        }
        let mut body = Map::new();
        body.insert("apiVersion".into(), rt.api_version().into());
        body.insert("kind".into(), rt.kind.clone().into());
        body.insert("metadata".into(), Value::Object(metadata));
        body.insert("status".into(), status.clone());
        let body = Value::Object(body).to_string();
        self.cluster
            .patch(
                &rt,
                &key.namespace,
                &key.name,
                (PatchKind::Apply, body.as_bytes()),
                Subresource::Status,
                &options,
            )
            .await
            .map(|_| ())
            .map_err(|source| SimulatorError::ApplyStatus {
                object: format!("{} {}/{}", rt.kind, key.namespace, key.name),
                source,
            })
    }
}
