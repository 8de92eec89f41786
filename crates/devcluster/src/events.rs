//! Change events: what the write path publishes once a change is durable, kept in a bounded window so that a
//! watch can resume from an earlier resourceVersion, and broadcast to live watchers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::broadcast;

use crate::registry::ResourceKey;

/// The type of a change, as watch events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The object was created.
    Added,
    /// The object was changed.
    Modified,
    /// The object was removed.
    Deleted,
}

impl EventType {
    /// The watch event `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed change.
#[derive(Debug)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// Added, Modified or Deleted.
    pub kind: EventType,
    /// The resource the object belongs to.
    pub resource: ResourceKey,
    /// The object after the change (for Deleted: its last state, carrying the deletion's resourceVersion).
    pub object: Arc<Value>,
    /// The object before the change, for Modified (selector transitions need it).
    pub previous: Option<Arc<Value>>,
}

/// The window of recent events and the broadcast to live watchers.
#[derive(Debug)]
pub struct Hub {
    window: Mutex<Window>,
    sender: broadcast::Sender<Arc<Event>>,
}

#[derive(Debug)]
struct Window {
    events: VecDeque<Arc<Event>>,
    capacity: usize,
    /// Every event with rv greater than this is in `events` (or newer than all of them).
    complete_after: u64,
}

/// Events still in the window after a resourceVersion, and the receiver of every later one.
pub type Subscription = (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>);

/// A watch asked for a resourceVersion older than the window holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// The oldest resourceVersion a watch can still resume from.
    pub oldest: u64,
}

impl Hub {
    /// A hub whose window holds `capacity` events and starts complete after `start_rv`.
    pub fn new(capacity: usize, start_rv: u64) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Hub {
            window: Mutex::new(Window {
                events: VecDeque::new(),
                capacity,
                complete_after: start_rv,
            }),
            sender,
        }
    }

    /// Records committed events in order and sends them to live watchers.
    pub fn publish(&self, events: &[Arc<Event>]) {
        let mut window = lock(&self.window);
        for event in events {
            if window.events.len() >= window.capacity {
                if let Some(evicted) = window.events.pop_front() {
                    window.complete_after = evicted.rv;
                }
            }
            window.events.push_back(event.clone());
            // No receivers is fine: nobody is watching.
            let _ = self.sender.send(event.clone());
        }
    }

    /// Events after `rv` still in the window plus a receiver for every later one, with no gap and no
    /// duplicate between the two.
    pub fn subscribe_after(&self, rv: u64) -> Result<Subscription, Expired> {
        let window = lock(&self.window);
        if rv < window.complete_after {
            return Err(Expired {
                oldest: window.complete_after,
            });
        }
        let receiver = self.sender.subscribe();
        let backlog = window
            .events
            .iter()
            .filter(|e| e.rv > rv)
            .cloned()
            .collect();
        Ok((backlog, receiver))
    }

    /// A receiver for events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}

/// Locks a mutex, recovering the data if another thread panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(rv: u64) -> Arc<Event> {
        Arc::new(Event {
            rv,
            kind: EventType::Added,
            resource: ResourceKey {
                group: String::new(),
                plural: "configmaps".into(),
            },
            object: Arc::new(json!({})),
            previous: None,
        })
    }

    #[test]
    fn resume_returns_backlog_then_live_without_gap() {
        let hub = Hub::new(3, 0);
        hub.publish(&[ev(1), ev(2)]);
        let (backlog, mut rx) = hub.subscribe_after(1).unwrap();
        assert_eq!(backlog.iter().map(|e| e.rv).collect::<Vec<_>>(), vec![2]);
        hub.publish(&[ev(3)]);
        assert_eq!(rx.try_recv().unwrap().rv, 3);
    }

    #[test]
    fn too_old_resource_version_is_expired() {
        let hub = Hub::new(2, 0);
        hub.publish(&[ev(1), ev(2), ev(3), ev(4)]);
        assert_eq!(hub.subscribe_after(1).unwrap_err(), Expired { oldest: 2 });
        assert!(hub.subscribe_after(2).is_ok());
    }
}
