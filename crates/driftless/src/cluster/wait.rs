//! Waiting for objects to become healthy (waves, CRDs, hooks), by polling their live state.

use std::time::Duration;

use driftless_core::health::{self, Health, HealthStatus};
use driftless_core::{Action, ChangeSet, ObjectRef};
use tokio::time::Instant;

use super::live::Live;
use super::ResourceManager;

/// `timeout` from now, or far in the future when that does not fit in an `Instant`.
pub fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

const FIRST_POLL: Duration = Duration::from_millis(50);
const LONGEST_POLL: Duration = Duration::from_secs(1);

impl ResourceManager {
    /// Waits until every object is Healthy or Suspended, updating `live` as it reads; the first
    /// look uses what `live` already holds, so objects known healthy cost no request. Returns a
    /// ChangeSet with a failed entry per object that became Degraded or Missing, or was not
    /// healthy within `timeout`; an empty ChangeSet means all are healthy.
    pub async fn wait_healthy(
        &self,
        objects: &[&ObjectRef],
        timeout: Duration,
        live: &mut Live,
    ) -> ChangeSet {
        let deadline = deadline_after(timeout);
        let mut pending: Vec<&ObjectRef> = objects.to_vec();
        let mut failures = ChangeSet::default();
        let mut pause = FIRST_POLL;
        let mut first_look = true;
        loop {
            let mut still = Vec::new();
            for object in pending {
                let known = first_look
                    .then(|| live.get(object).map(health::object_health))
                    .flatten();
                let health = match known {
                    Some(health) => health,
                    None => self.read_health(object, live).await,
                };
                match health.status {
                    HealthStatus::Healthy | HealthStatus::Suspended => {}
                    HealthStatus::Degraded | HealthStatus::Missing => {
                        failures.push(object.clone(), Action::Failed, describe(&health))
                    }
                    _ => still.push((object, health)),
                }
            }
            if still.is_empty() {
                return failures;
            }
            if Instant::now() >= deadline {
                for (object, health) in still {
                    let message = format!(
                        "not healthy after {}s: {}",
                        timeout.as_secs(),
                        describe(&health)
                    );
                    failures.push(object.clone(), Action::Failed, message);
                }
                return failures;
            }
            pending = still.into_iter().map(|(object, _)| object).collect();
            first_look = false;
            tokio::time::sleep(pause.min(deadline - Instant::now())).await;
            pause = (pause * 2).min(LONGEST_POLL);
        }
    }

    /// The health of `object` as read now (Missing when it is gone, Unknown when unreadable).
    pub async fn read_health(&self, object: &ObjectRef, live: &mut Live) -> Health {
        match self.get(object).await {
            Ok(Some(value)) => {
                let health = health::object_health(&value);
                live.set(object, Some(value));
                health
            }
            Ok(None) => {
                live.set(object, None);
                health::missing()
            }
            Err(error) => Health {
                status: HealthStatus::Unknown,
                message: error.to_string(),
            },
        }
    }

    /// Waits until `object` no longer exists, at most `timeout`; false when it is still there.
    pub async fn wait_gone(&self, object: &ObjectRef, timeout: Duration) -> bool {
        let deadline = deadline_after(timeout);
        let mut pause = FIRST_POLL;
        loop {
            if let Ok(None) = self.get(object).await {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(pause.min(deadline - Instant::now())).await;
            pause = (pause * 2).min(LONGEST_POLL);
        }
    }
}

fn describe(health: &Health) -> String {
    if health.message.is_empty() {
        format!("{:?}", health.status)
    } else {
        format!("{:?}: {}", health.status, health.message)
    }
}
