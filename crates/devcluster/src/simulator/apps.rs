//! The apps controllers: Deployments, ReplicaSets, StatefulSets and DaemonSets (on one simulated node).

use serde_json::{json, Value};

use super::rules::{any_image_fails, template_name, Cond, Seen, Stage};

/// Replica counts of a Deployment's status.
struct Counts {
    replicas: i64,
    updated: i64,
    ready: i64,
    available: i64,
}

impl Counts {
    /// Every replica updated, ready and available.
    fn all(n: i64) -> Counts {
        Counts {
            replicas: n,
            updated: n,
            ready: n,
            available: n,
        }
    }

    /// The counts the status holds now.
    fn current(seen: &Seen<'_>) -> Counts {
        Counts {
            replicas: seen.int("/status/replicas", 0),
            updated: seen.int("/status/updatedReplicas", 0),
            ready: seen.int("/status/readyReplicas", 0),
            available: seen.int("/status/availableReplicas", 0),
        }
    }

    /// A rollout to `rs` has begun: its pods exist and are not ready; pods of an older template that were
    /// available stay until the new ones are.
    fn rolling(seen: &Seen<'_>, n: i64, rs: &str) -> Counts {
        let now = Counts::current(seen);
        let same_template = seen
            .current_condition("Progressing")
            .and_then(|c| c.get("message")?.as_str())
            .is_some_and(|m| m.contains(&format!("\"{rs}\"")));
        if same_template {
            Counts {
                replicas: n,
                updated: n,
                ready: now.ready.min(n),
                available: now.available.min(n),
            }
        } else {
            Counts {
                replicas: n + now.available,
                updated: n,
                ready: now.available,
                available: now.available,
            }
        }
    }
}

/// A Deployment: observedGeneration and replica counts, with Available and Progressing conditions. After the
/// delay its ReplicaSet is available (NewReplicaSetAvailable), or, when an image ends in `:fail`, its progress
/// deadline is exceeded. A paused Deployment keeps its counts.
pub(crate) fn deployment(seen: &Seen<'_>) -> Value {
    let n = seen.int("/spec/replicas", 1);
    let rs = template_name(seen.name(), seen.at("/spec/template"));
    let fails = any_image_fails(seen.at("/spec/template/spec"));
    let paused = seen.at("/spec/paused").and_then(Value::as_bool) == Some(true);
    let about = |what: &str| format!("ReplicaSet \"{rs}\" {what}");
    let (counts, progressing) = match (paused, seen.stage, fails) {
        (true, _, _) => (
            Counts::current(seen),
            (
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused".to_string(),
            ),
        ),
        (false, Stage::Observed, _) => (
            Counts::rolling(seen, n, &rs),
            ("True", "ReplicaSetUpdated", about("is progressing.")),
        ),
        (false, Stage::Settled, false) => (
            Counts::all(n),
            (
                "True",
                "NewReplicaSetAvailable",
                about("has successfully progressed."),
            ),
        ),
        (false, Stage::Settled, true) => (
            Counts::current(seen),
            (
                "False",
                "ProgressDeadlineExceeded",
                about("has timed out progressing."),
            ),
        ),
    };
    let available: Cond<'_> = if counts.available >= n - max_unavailable(seen, n) {
        (
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let (status, reason, message) = progressing;
    let conditions = [available, ("Progressing", status, reason, &message)];
    json!({"status": {
        "observedGeneration": seen.generation(),
        "replicas": counts.replicas,
        "updatedReplicas": counts.updated,
        "readyReplicas": counts.ready,
        "availableReplicas": counts.available,
        "unavailableReplicas": (n - counts.available).max(0),
        "conditions": seen.conditions(&conditions, &["lastUpdateTime"]),
    }})
}

/// How many of `n` replicas a rollout may take down: all with Recreate, else
/// rollingUpdate.maxUnavailable (a number or a percentage rounded down; 25% by default).
fn max_unavailable(seen: &Seen<'_>, n: i64) -> i64 {
    if seen.str("/spec/strategy/type") == "Recreate" {
        return n;
    }
    let percent = |p: i64| n * p / 100;
    match seen.at("/spec/strategy/rollingUpdate/maxUnavailable") {
        Some(Value::Number(count)) => count.as_i64().unwrap_or(0),
        Some(Value::String(s)) => percent(s.trim_end_matches('%').parse().unwrap_or(25)),
        _ => percent(25),
    }
}

/// A ReplicaSet: all replicas ready and available after the delay, none becoming ready when an image ends in
/// `:fail`.
pub(crate) fn replica_set(seen: &Seen<'_>) -> Value {
    let n = seen.int("/spec/replicas", 1);
    let ready = match (seen.stage, any_image_fails(seen.at("/spec/template/spec"))) {
        (Stage::Settled, false) => n,
        _ => seen.int("/status/readyReplicas", 0).min(n),
    };
    json!({"status": {
        "observedGeneration": seen.generation(),
        "replicas": n,
        "fullyLabeledReplicas": n,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }})
}

/// A StatefulSet: the update revision is named after the template; after the delay every replica is ready
/// and current on it. With an image ending in `:fail` the rollout never finishes (it has no deadline).
pub(crate) fn stateful_set(seen: &Seen<'_>) -> Value {
    let n = seen.int("/spec/replicas", 1);
    let revision = template_name(seen.name(), seen.at("/spec/template"));
    let current_revision = match seen.str("/status/currentRevision") {
        "" => revision.as_str(),
        r => r,
    };
    let ready_now = seen.int("/status/readyReplicas", 0).min(n);
    let settles = seen.stage == Stage::Settled && !any_image_fails(seen.at("/spec/template/spec"));
    let (current_revision, current, updated, ready) = if settles {
        (revision.as_str(), n, n, n)
    } else if current_revision == revision {
        (current_revision, n, n, ready_now)
    } else {
        let current = seen.int("/status/currentReplicas", 0).min(n);
        (current_revision, current, 0, ready_now)
    };
    json!({"status": {
        "observedGeneration": seen.generation(),
        "replicas": n,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "currentRevision": current_revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }})
}

/// A DaemonSet on the one simulated node: one pod scheduled and updated at once, ready after the delay
/// (never with an image ending in `:fail`).
pub(crate) fn daemon_set(seen: &Seen<'_>) -> Value {
    let settles = seen.stage == Stage::Settled && !any_image_fails(seen.at("/spec/template/spec"));
    let ready = i64::from(settles);
    json!({"status": {
        "observedGeneration": seen.generation(),
        "desiredNumberScheduled": 1,
        "currentNumberScheduled": 1,
        "numberMisscheduled": 0,
        "updatedNumberScheduled": 1,
        "numberReady": ready,
        "numberAvailable": ready,
        "numberUnavailable": 1 - ready,
    }})
}
