//! Running one hook (a Job or Pod, usually): delete the previous run when asked, create it,
//! wait for it to finish, and delete it according to its delete policy.

use std::time::Duration;

use driftless_core::health::HealthStatus;
use driftless_core::{Action, ChangeEntry};
use kube::api::PropagationPolicy;

use crate::cluster::{Desired, Live, ResourceManager};

const HOOK_POLL: Duration = Duration::from_millis(100);

/// Runs `hook` and reports it: `created` when it ran and succeeded, `failed` with the reason
/// otherwise. A hook that has not finished within `timeout` has failed.
pub async fn run_hook(
    manager: &ResourceManager,
    hook: &Desired,
    timeout: Duration,
    live: &mut Live,
) -> ChangeEntry {
    let (action, message) = match run(manager, hook, timeout, live).await {
        Ok(message) => (Action::Created, message),
        Err(message) => (Action::Failed, message),
    };
    ChangeEntry {
        object: hook.object.clone(),
        action,
        message,
    }
}

async fn run(
    manager: &ResourceManager,
    hook: &Desired,
    timeout: Duration,
    live: &mut Live,
) -> Result<String, String> {
    let Some(settings) = &hook.hook else {
        return Err("not a hook".to_owned());
    };
    if settings.delete_before_creation() {
        delete(manager, hook).await?;
        if !manager.wait_gone(&hook.object, timeout).await {
            return Err("the previous run is still being deleted".to_owned());
        }
    }
    manager
        .apply(&hook.object, &hook.manifest, false)
        .await
        .map_err(|e| crate::cluster::api_message(&e, hook))?;
    let succeeded = wait_finished(manager, hook, timeout, live).await;
    if settings.delete_after(succeeded.is_ok()) {
        delete(manager, hook).await?;
    }
    succeeded
}

/// Polls the hook until it is Healthy (succeeded) or Degraded (failed), or the timeout passes.
async fn wait_finished(
    manager: &ResourceManager,
    hook: &Desired,
    timeout: Duration,
    live: &mut Live,
) -> Result<String, String> {
    let deadline = crate::cluster::deadline_after(timeout);
    loop {
        let health = manager.read_health(&hook.object, live).await;
        match health.status {
            HealthStatus::Healthy => return Ok("hook succeeded".to_owned()),
            HealthStatus::Degraded | HealthStatus::Missing => {
                return Err(format!("hook failed: {}", health.message))
            }
            _ if tokio::time::Instant::now() >= deadline => {
                return Err(format!("hook did not finish within {}s", timeout.as_secs()))
            }
            _ => tokio::time::sleep(HOOK_POLL).await,
        }
    }
}

async fn delete(manager: &ResourceManager, hook: &Desired) -> Result<(), String> {
    manager
        .delete(&hook.object, PropagationPolicy::Background)
        .await
        .map(|_| ())
        .map_err(|e| format!("deleting the hook failed: {e}"))
}
