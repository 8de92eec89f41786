//! Health of a Job (`batch/v1`).

use serde_json::Value;

use super::{count_at, health, true_condition, Health, HealthStatus};

/// Degraded when `Failed=True` (or `FailureTarget=True`, which precedes it while the
/// last pods terminate); Suspended when `Suspended=True`; Healthy when `Complete=True`;
/// Progressing otherwise.
pub(super) fn assess(live: &Value) -> Health {
    if let Some(failed) =
        true_condition(live, "Failed").or_else(|| true_condition(live, "FailureTarget"))
    {
        health(HealthStatus::Degraded, failed.describe("Job failed"))
    } else if let Some(suspended) = true_condition(live, "Suspended") {
        health(
            HealthStatus::Suspended,
            suspended.describe("Job is suspended"),
        )
    } else if let Some(complete) = true_condition(live, "Complete") {
        health(HealthStatus::Healthy, complete.describe("Job completed"))
    } else {
        health(
            HealthStatus::Progressing,
            format!(
                "Job is running: {} active, {} succeeded, {} failed pods",
                count_at(live, &["status", "active"]),
                count_at(live, &["status", "succeeded"]),
                count_at(live, &["status", "failed"]),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "complete",
            include_str!("fixtures/job/complete.yaml"),
            Healthy,
            "",
        ),
        (
            "failed",
            include_str!("fixtures/job/failed.yaml"),
            Degraded,
            "BackoffLimitExceeded",
        ),
        (
            "suspended",
            include_str!("fixtures/job/suspended.yaml"),
            Suspended,
            "JobSuspended",
        ),
        (
            "running",
            include_str!("fixtures/job/running.yaml"),
            Progressing,
            "1 active, 0 succeeded",
        ),
    ];

    #[test]
    fn job_fixtures() {
        assert_cases(CASES);
    }
}
