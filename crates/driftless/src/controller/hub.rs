//! What a running controller shares with the HTTP server, the webhook receiver and the demo:
//! the cluster that holds the Applications, the engines of the destinations, the metrics, the
//! stream of events, and the way in to the work queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kube::Client;
use tokio::sync::{broadcast, mpsc};

use super::events::AppEvent;
use super::metrics::Metrics;
use super::requests::{self, RequestError};
use crate::cluster::Destinations;

/// Why an Application is reconciled: every reason is a trigger, and triggers for one
/// Application that arrive while it waits are merged into one reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trigger {
    /// Its `spec.interval` elapsed.
    Interval,
    /// The Application was created or changed (spec, annotations, operation).
    Changed,
    /// A managed object changed in a way our own writes do not explain.
    Drift,
    /// A Git host announced a push to its repository, or the demo saw a commit.
    Webhook,
    /// Someone asked for a refresh (API or `driftless.dev/refresh`).
    Refresh,
    /// An Application it depends on became Ready.
    Dependency,
    /// A failed reconcile is retried after its back-off.
    Retry,
}

impl Trigger {
    /// The trigger's name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Interval => "interval",
            Trigger::Changed => "changed",
            Trigger::Drift => "drift",
            Trigger::Webhook => "webhook",
            Trigger::Refresh => "refresh",
            Trigger::Dependency => "dependency",
            Trigger::Retry => "retry",
        }
    }
}

/// A trigger for the Application `key` (`namespace/name`).
pub type Triggered = (String, Trigger);

/// Shared handle to a controller. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    client: Client,
    destinations: Arc<Destinations>,
    metrics: Arc<Metrics>,
    events: broadcast::Sender<AppEvent>,
    triggers: mpsc::UnboundedSender<Triggered>,
    leading: Arc<AtomicBool>,
}

impl Hub {
    /// A hub over `destinations` (whose control client holds the Applications), and the
    /// receiving end of its triggers, for the controller's queue.
    pub fn new(
        destinations: Arc<Destinations>,
        metrics: Arc<Metrics>,
    ) -> (Hub, mpsc::UnboundedReceiver<Triggered>) {
        let (triggers, receiver) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(1024);
        let hub = Hub {
            client: destinations.control().clone(),
            destinations,
            metrics,
            events,
            triggers,
            leading: Arc::new(AtomicBool::new(false)),
        };
        (hub, receiver)
    }

    /// The client of the cluster that holds the Applications.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The engines of the destination clusters.
    pub fn destinations(&self) -> &Arc<Destinations> {
        &self.destinations
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Every event from now on. A receiver that falls more than 1,024 events behind loses the
    /// oldest (and is told so by `RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.events.subscribe()
    }

    /// Sends `event` to every subscriber (none is fine).
    pub fn publish(&self, event: AppEvent) {
        let _ = self.events.send(event);
    }

    /// True while this process holds the leader lease and reconciles.
    pub fn is_leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    /// Marks this process as leading (or not).
    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::Relaxed);
    }

    /// Asks for a reconcile of `key` (`namespace/name`) in this process's queue.
    pub fn trigger(&self, key: &str, trigger: Trigger) {
        let _ = self.triggers.send((key.to_owned(), trigger));
    }

    /// A refresh of `namespace/name` now: straight into the queue when this process leads,
    /// otherwise through the `driftless.dev/refresh` annotation, which the leader sees.
    pub async fn refresh(
        &self,
        namespace: &str,
        name: &str,
        trigger: Trigger,
    ) -> Result<(), RequestError> {
        if self.is_leading() {
            self.trigger(&format!("{namespace}/{name}"), trigger);
            Ok(())
        } else {
            requests::request_refresh(&self.client, namespace, name)
                .await
                .map(|_| ())
        }
    }
}
