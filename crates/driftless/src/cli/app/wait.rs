//! Following an operation the controller runs: a watch on the one Application (polling when
//! the watch fails), each new progress message passed on, done when `operation` is cleared and
//! `operationState.finishedAt` is not before the request.

use std::time::Duration;

use driftless_core::application::{Application, OperationPhase, OperationState};
use futures::StreamExt;
use jiff::Timestamp;
use kube::api::Api;
use kube::runtime::watcher::{self, watcher, Event};
use kube::Client;

use super::Target;

/// How often the Application is read when the watch is not available.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// The operation finished (Succeeded or Failed): its state.
    Finished(OperationState),
    /// The time ran out.
    TimedOut {
        /// True when a controller took the request up (an operation started after it, or
        /// `operation` was cleared); false when nothing acted on it at all.
        acted: bool,
        /// The last progress message seen, empty when none.
        last_message: String,
    },
}

/// Waits until the operation requested at `requested` on `target` finishes or `timeout` passes,
/// calling `progress` with each new progress message of the running operation.
pub async fn wait_for_operation(
    client: &Client,
    target: &Target,
    requested: Timestamp,
    timeout: Duration,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Waited> {
    let api: Api<Application> = Api::namespaced(client.clone(), &target.namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={}", target.name));
    let mut events = watcher(api.clone(), config).boxed();
    let mut watching = true;
    let mut poll = tokio::time::interval(POLL_INTERVAL);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut seen = Seen::new(requested);
    loop {
        let app = tokio::select! {
            () = &mut deadline => return Ok(seen.timed_out()),
            event = events.next(), if watching => match event {
                Some(Ok(Event::Apply(app) | Event::InitApply(app))) => Some(app),
                Some(Ok(Event::Delete(_))) => {
                    anyhow::bail!("application {target} was deleted while waiting")
                }
                Some(Ok(Event::Init | Event::InitDone)) => None,
                Some(Err(error)) => {
                    tracing::debug!(%error, "watch of the Application failed; polling instead");
                    watching = false;
                    None
                }
                None => {
                    watching = false;
                    None
                }
            },
            _ = poll.tick(), if !watching => match api.get_opt(&target.name).await {
                Ok(Some(app)) => Some(app),
                Ok(None) => anyhow::bail!("application {target} was deleted while waiting"),
                Err(error) => {
                    tracing::debug!(%error, "reading the Application failed; trying again");
                    None
                }
            },
        };
        if let Some(app) = app {
            if let Some(state) = seen.observe(&app, &mut progress) {
                return Ok(Waited::Finished(state));
            }
        }
    }
}

/// What the wait has seen so far; pure, so that the rules are tested without a cluster.
#[derive(Debug)]
struct Seen {
    /// The request time, truncated to the second as the controller writes times.
    requested: Timestamp,
    acted: bool,
    last_message: String,
}

impl Seen {
    fn new(requested: Timestamp) -> Seen {
        Seen {
            requested: Timestamp::from_second(requested.as_second()).unwrap_or(requested),
            acted: false,
            last_message: String::new(),
        }
    }

    /// Looks at one version of the Application: passes on a new progress message, and returns
    /// the operation state once the operation requested is finished.
    fn observe(
        &mut self,
        app: &Application,
        progress: &mut impl FnMut(&str),
    ) -> Option<OperationState> {
        let state = app.status.as_ref().and_then(|s| s.operation_state.as_ref());
        if app.operation.is_none() {
            self.acted = true;
        }
        let state = state?;
        if !self.not_before_request(&state.started_at) {
            return None;
        }
        self.acted = true;
        if state.phase == OperationPhase::Running {
            if !state.message.is_empty() && state.message != self.last_message {
                self.last_message.clone_from(&state.message);
                progress(&state.message);
            }
            return None;
        }
        (app.operation.is_none() && self.not_before_request(&state.finished_at))
            .then(|| state.clone())
    }

    fn not_before_request(&self, time: &str) -> bool {
        time.parse::<Timestamp>()
            .is_ok_and(|time| time >= self.requested)
    }

    fn timed_out(&self) -> Waited {
        Waited::TimedOut {
            acted: self.acted,
            last_message: self.last_message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::application::{ApplicationStatus, Operation, SyncOperation};

    fn app(operation: bool, state: Option<OperationState>) -> Application {
        let mut app: Application = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "shop", "namespace": "default"},
            "spec": {"source": {"repoURL": "https://example.com/repo.git"}, "destination": {}}
        }))
        .unwrap();
        app.operation = operation.then(|| Operation {
            sync: Some(SyncOperation::default()),
            ..Operation::default()
        });
        app.status = Some(ApplicationStatus {
            operation_state: state,
            ..ApplicationStatus::default()
        });
        app
    }

    fn state(
        phase: OperationPhase,
        message: &str,
        started: &str,
        finished: &str,
    ) -> OperationState {
        OperationState {
            phase,
            message: message.to_owned(),
            started_at: started.to_owned(),
            finished_at: finished.to_owned(),
            ..OperationState::default()
        }
    }

    #[test]
    fn progress_is_passed_on_once_per_message_and_the_finished_operation_ends_the_wait() {
        let requested: Timestamp = "2026-11-26T01:00:00.700Z".parse().unwrap();
        let mut seen = Seen::new(requested);
        let mut printed = Vec::new();
        let mut progress = |m: &str| printed.push(m.to_owned());
        let old = state(
            OperationPhase::Succeeded,
            "",
            "2026-11-26T00:00:00Z",
            "2026-11-26T00:00:01Z",
        );
        assert_eq!(
            seen.observe(&app(true, Some(old.clone())), &mut progress),
            None
        );
        assert_eq!(
            seen.observe(&app(false, Some(old)), &mut progress),
            None,
            "an earlier operation"
        );
        let running = |m: &str| state(OperationPhase::Running, m, "2026-11-26T01:00:00Z", "");
        let first = "Sync wave 1 (2/3): applying 2 object(s)";
        assert_eq!(
            seen.observe(&app(true, Some(running(first))), &mut progress),
            None
        );
        assert_eq!(
            seen.observe(&app(true, Some(running(first))), &mut progress),
            None
        );
        let second = "Sync wave 1 (2/3): waiting for health";
        assert_eq!(
            seen.observe(&app(true, Some(running(second))), &mut progress),
            None
        );
        let done = state(
            OperationPhase::Failed,
            "boom",
            "2026-11-26T01:00:00Z",
            "2026-11-26T01:00:02Z",
        );
        assert_eq!(
            seen.observe(&app(true, Some(done.clone())), &mut progress),
            None,
            "operation not cleared yet"
        );
        assert_eq!(
            seen.observe(&app(false, Some(done.clone())), &mut progress),
            Some(done)
        );
        assert_eq!(printed, [first, second]);
    }

    #[test]
    fn a_timeout_says_whether_anything_acted_on_the_request() {
        let requested: Timestamp = "2026-11-26T01:00:00Z".parse().unwrap();
        let mut seen = Seen::new(requested);
        let mut progress = |_: &str| {};
        seen.observe(&app(true, None), &mut progress);
        assert_eq!(
            seen.timed_out(),
            Waited::TimedOut {
                acted: false,
                last_message: String::new()
            }
        );
        let running = state(
            OperationPhase::Running,
            "pruning",
            "2026-11-26T01:00:01Z",
            "",
        );
        seen.observe(&app(true, Some(running)), &mut progress);
        assert_eq!(
            seen.timed_out(),
            Waited::TimedOut {
                acted: true,
                last_message: "pruning".into()
            }
        );
    }
}
