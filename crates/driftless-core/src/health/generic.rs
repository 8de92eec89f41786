//! Checks that apply to every kind (kstatus): termination, generation lag and the
//! standard conditions Stalled, Reconciling, Ready and Crossplane's Synced.

use serde_json::Value;

use super::{
    at, condition, false_condition, health, int_at, str_at, true_condition, Health, HealthStatus,
};

/// Progressing while the object is being deleted (it has a `deletionTimestamp`).
pub(super) fn terminating(live: &Value) -> Option<Health> {
    let since = str_at(live, &["metadata", "deletionTimestamp"])?;
    let finalizers = at(live, &["metadata", "finalizers"])
        .and_then(Value::as_array)
        .map(|finalizers| {
            finalizers
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let message = if finalizers.is_empty() {
        format!("Pending deletion since {since}")
    } else {
        format!("Pending deletion since {since}, waiting for finalizers: {finalizers}")
    };
    Some(health(HealthStatus::Progressing, message))
}

/// Progressing while `metadata.generation` is ahead of `status.observedGeneration`: the
/// controller has not acted on the latest spec yet. When `controller_writes_status` is
/// true an absent `observedGeneration` counts as 0 (the controller has not seen the
/// object at all); otherwise its absence means the kind does not report it.
pub(super) fn generation_lag(live: &Value, controller_writes_status: bool) -> Option<Health> {
    let generation = int_at(live, &["metadata", "generation"])?;
    let observed = match int_at(live, &["status", "observedGeneration"]) {
        Some(observed) if observed >= generation => return None,
        Some(observed) => format!("observed generation {observed}"),
        None if controller_writes_status => "no status yet".to_owned(),
        None => return None,
    };
    Some(health(
        HealthStatus::Progressing,
        format!("Waiting for the controller to observe generation {generation} ({observed})"),
    ))
}

/// The health that the standard conditions give, in this order: `Stalled=True` is
/// Degraded; `Reconciling=True` is Progressing; Crossplane's `Synced=False` is Degraded;
/// `Ready=True` is Healthy (Progressing while a `Synced` condition is not yet True);
/// `Ready=False` is Degraded when its reason names a failure and Progressing otherwise,
/// as is `Ready=Unknown`. None when the object has none of these conditions.
pub(super) fn condition_health(live: &Value) -> Option<Health> {
    stalled(live)
        .or_else(|| reconciling(live))
        .or_else(|| not_synced(live))
        .or_else(|| ready(live))
}

/// Degraded when `Stalled=True`.
fn stalled(live: &Value) -> Option<Health> {
    let stalled = true_condition(live, "Stalled")?;
    Some(health(HealthStatus::Degraded, stalled.describe("Stalled")))
}

/// Progressing when `Reconciling=True`.
fn reconciling(live: &Value) -> Option<Health> {
    let reconciling = true_condition(live, "Reconciling")?;
    Some(health(
        HealthStatus::Progressing,
        reconciling.describe("Reconciling"),
    ))
}

/// Degraded when Crossplane's `Synced=False`: the provider could not apply the spec.
fn not_synced(live: &Value) -> Option<Health> {
    let synced = false_condition(live, "Synced")?;
    Some(health(
        HealthStatus::Degraded,
        synced.describe("Not synced"),
    ))
}

/// The health that the `Ready` condition gives, when there is one.
fn ready(live: &Value) -> Option<Health> {
    let ready = condition(live, "Ready")?;
    let synced = condition(live, "Synced");
    Some(match ready {
        ready if ready.is_true() => match synced.filter(|synced| !synced.is_true()) {
            Some(synced) => health(
                HealthStatus::Progressing,
                synced.describe("Waiting for the resource to be synced"),
            ),
            None => health(HealthStatus::Healthy, ready.message),
        },
        ready if ready.is_false() && ready.reason_is_failure() => {
            health(HealthStatus::Degraded, ready.describe("Not ready"))
        }
        ready => health(HealthStatus::Progressing, ready.describe("Not ready yet")),
    })
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "config map",
            include_str!("fixtures/generic/configmap.yaml"),
            Healthy,
            "",
        ),
        (
            "custom resource ready",
            include_str!("fixtures/generic/ready-true.yaml"),
            Healthy,
            "Applied revision",
        ),
        (
            "custom resource not ready yet",
            include_str!("fixtures/generic/ready-false-waiting.yaml"),
            Progressing,
            "DependencyNotReady",
        ),
        (
            "custom resource failed",
            include_str!("fixtures/generic/ready-false-failed.yaml"),
            Degraded,
            "HealthCheckFailed",
        ),
        (
            "custom resource stalled",
            include_str!("fixtures/generic/stalled.yaml"),
            Degraded,
            "ArtifactFailed",
        ),
        (
            "custom resource reconciling",
            include_str!("fixtures/generic/reconciling.yaml"),
            Progressing,
            "Fetching",
        ),
        (
            "crossplane ready and synced",
            include_str!("fixtures/generic/crossplane-synced.yaml"),
            Healthy,
            "",
        ),
        (
            "crossplane not synced",
            include_str!("fixtures/generic/crossplane-synced-false.yaml"),
            Degraded,
            "ReconcileError",
        ),
        (
            "crossplane creating",
            include_str!("fixtures/generic/crossplane-creating.yaml"),
            Progressing,
            "Creating",
        ),
        (
            "custom resource being deleted",
            include_str!("fixtures/generic/terminating.yaml"),
            Progressing,
            "waiting for finalizers: finalizers.fluxcd.io",
        ),
        (
            "generation ahead of observedGeneration",
            include_str!("fixtures/generic/generation-ahead.yaml"),
            Progressing,
            "observe generation 3 (observed generation 2)",
        ),
    ];

    #[test]
    fn generic_fixtures() {
        assert_cases(CASES);
    }
}
