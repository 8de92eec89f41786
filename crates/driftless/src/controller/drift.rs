//! Drift detection for every Application of the controller: one label-selected watch per
//! destination and kind (not per Application), whose events one router task feeds into each
//! Application's live cache and checks against what its last sync recorded. A change that our
//! own writes do not explain (another resourceVersion, or a deletion) triggers a reconcile.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use driftless_core::tracking::APP_LABEL;
use driftless_core::ObjectRef;
use futures::StreamExt;
use kube::api::DynamicObject;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Api;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::hub::{Hub, Trigger};
use super::memory::AppMemory;
use crate::cluster::KindKey;
use crate::sync::Engine;

/// A destination and one of its kinds.
type WatchKey = (String, KindKey);
/// A destination and an app label value.
type LabelKey = (String, String);

/// What the router is told.
enum Message {
    /// An Application's managed kinds on a destination, after a sync.
    Register(Box<Registration>),
    /// The Application is gone.
    Unregister(String),
    /// A watch event.
    Watched(Box<(WatchKey, Watched)>),
}

/// One Application as the router knows it.
struct Registration {
    key: String,
    destination: String,
    label: String,
    kinds: BTreeSet<KindKey>,
    engine: Arc<Engine>,
    memory: Arc<AppMemory>,
}

/// A watch event reduced to what the router needs.
enum Watched {
    Relisting,
    Listed,
    Object {
        object: ObjectRef,
        label: String,
        value: Option<serde_json::Value>,
        initial: bool,
    },
}

/// The handle to the drift router. Cheap to clone.
#[derive(Clone)]
pub struct DriftWatches {
    messages: mpsc::UnboundedSender<Message>,
}

impl DriftWatches {
    /// Starts the router; it triggers reconciles through `hub` and stops when every handle
    /// is dropped.
    pub fn start(hub: Hub) -> (Self, JoinHandle<()>) {
        let (messages, receiver) = mpsc::unbounded_channel();
        let router = Router {
            hub,
            messages: messages.clone(),
            apps: HashMap::new(),
            by_label: HashMap::new(),
            watches: HashMap::new(),
            orphans: HashMap::new(),
        };
        (Self { messages }, tokio::spawn(router.run(receiver)))
    }

    /// Follows the objects of `kinds` labelled for the Application `key` on `destination`.
    pub fn register(
        &self,
        key: &str,
        destination: &str,
        label: &str,
        kinds: BTreeSet<KindKey>,
        engine: Arc<Engine>,
        memory: Arc<AppMemory>,
    ) {
        let registration = Registration {
            key: key.to_owned(),
            destination: destination.to_owned(),
            label: label.to_owned(),
            kinds,
            engine,
            memory,
        };
        let _ = self
            .messages
            .send(Message::Register(Box::new(registration)));
    }

    /// Stops following the Application `key`.
    pub fn unregister(&self, key: &str) {
        let _ = self.messages.send(Message::Unregister(key.to_owned()));
    }
}

/// The state of one watch.
struct WatchState {
    task: JoinHandle<()>,
    listed: bool,
}

/// Pure state fed by messages; its only effects are triggers and cache updates.
struct Router {
    hub: Hub,
    messages: mpsc::UnboundedSender<Message>,
    apps: HashMap<String, Registration>,
    by_label: HashMap<LabelKey, String>,
    watches: HashMap<WatchKey, WatchState>,
    /// Labelled objects whose Application has not registered yet, by destination and label.
    orphans: HashMap<LabelKey, Vec<(ObjectRef, serde_json::Value)>>,
}

impl Router {
    async fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Message>) {
        while let Some(message) = receiver.recv().await {
            match message {
                Message::Register(registration) => self.register(*registration),
                Message::Unregister(key) => self.unregister(&key),
                Message::Watched(watched) => {
                    let (watch, event) = *watched;
                    self.watched(&watch, event);
                }
            }
        }
        for watch in self.watches.into_values() {
            watch.task.abort();
        }
    }

    fn register(&mut self, registration: Registration) {
        let previous = self.apps.remove(&registration.key);
        if let Some(previous) = &previous {
            self.by_label
                .remove(&(previous.destination.clone(), previous.label.clone()));
            for kind in previous.kinds.difference(&registration.kinds) {
                previous.memory.cache.forget_kind(kind);
            }
        }
        let label_key = (registration.destination.clone(), registration.label.clone());
        self.by_label
            .insert(label_key.clone(), registration.key.clone());
        if let Some(orphans) = self.orphans.remove(&label_key) {
            for (object, value) in orphans {
                registration.memory.cache.upsert(&object, value);
            }
        }
        for kind in &registration.kinds {
            let watch_key = (registration.destination.clone(), kind.clone());
            match self.watches.get(&watch_key) {
                Some(watch) if watch.listed => registration.memory.cache.listed(kind),
                Some(_) => {}
                None => {
                    let task = tokio::spawn(watch_kind(
                        Arc::clone(&registration.engine),
                        watch_key.clone(),
                        self.messages.clone(),
                    ));
                    self.watches.insert(
                        watch_key,
                        WatchState {
                            task,
                            listed: false,
                        },
                    );
                }
            }
        }
        self.apps.insert(registration.key.clone(), registration);
    }

    fn unregister(&mut self, key: &str) {
        if let Some(app) = self.apps.remove(key) {
            self.by_label.remove(&(app.destination, app.label));
        }
    }

    fn watched(&mut self, watch: &WatchKey, event: Watched) {
        match event {
            Watched::Relisting => {
                if let Some(state) = self.watches.get_mut(watch) {
                    state.listed = false;
                }
                self.orphans.retain(|(destination, _), objects| {
                    if destination == &watch.0 {
                        objects.retain(|(o, _)| !same_kind(o, &watch.1));
                    }
                    !objects.is_empty()
                });
                for app in self.apps_watching(watch) {
                    app.memory.cache.relisting(&watch.1);
                }
            }
            Watched::Listed => {
                if let Some(state) = self.watches.get_mut(watch) {
                    state.listed = true;
                }
                for app in self.apps_watching(watch) {
                    app.memory.cache.listed(&watch.1);
                }
            }
            Watched::Object {
                object,
                label,
                value,
                initial,
            } => self.object_changed(watch, object, label, value, initial),
        }
    }

    fn object_changed(
        &mut self,
        watch: &WatchKey,
        object: ObjectRef,
        label: String,
        value: Option<serde_json::Value>,
        initial: bool,
    ) {
        let label_key = (watch.0.clone(), label);
        let Some(app) = self.by_label.get(&label_key).and_then(|k| self.apps.get(k)) else {
            let orphans = self.orphans.entry(label_key).or_default();
            orphans.retain(|(o, _)| o != &object);
            if let Some(value) = value {
                orphans.push((object, value));
            }
            return;
        };
        let resource_version = value.as_ref().and_then(|v| {
            v.pointer("/metadata/resourceVersion")
                .and_then(|rv| rv.as_str())
                .map(str::to_owned)
        });
        match value {
            Some(value) => app.memory.cache.upsert(&object, value),
            None => app.memory.cache.remove(&object),
        }
        if initial {
            return;
        }
        let drifted = match app.memory.lock().applied.get(&object) {
            None => false,
            Some(recorded) => {
                resource_version.as_deref() != Some(recorded.resource_version.as_str())
            }
        };
        if drifted {
            tracing::debug!(app = %app.key, kind = %object.kind, namespace = %object.namespace, name = %object.name, "drift");
            self.hub.trigger(&app.key, Trigger::Drift);
        }
    }

    fn apps_watching<'a>(
        &'a self,
        watch: &'a WatchKey,
    ) -> impl Iterator<Item = &'a Registration> + 'a {
        self.apps
            .values()
            .filter(move |app| app.destination == watch.0 && app.kinds.contains(&watch.1))
    }
}

fn same_kind(object: &ObjectRef, kind: &KindKey) -> bool {
    object.group == kind.0 && object.kind == kind.2
}

/// Watches the objects of one kind that carry the app label on one destination, and tells the
/// router every event, until the router is gone.
async fn watch_kind(
    engine: Arc<Engine>,
    watch: WatchKey,
    messages: mpsc::UnboundedSender<Message>,
) {
    let probe = ObjectRef {
        group: watch.1 .0.clone(),
        version: watch.1 .1.clone(),
        kind: watch.1 .2.clone(),
        ..ObjectRef::default()
    };
    let resolved = match engine.manager().resolve(&probe).await {
        Ok(resolved) => resolved,
        Err(error) => {
            tracing::warn!(kind = %probe.kind, %error, "cannot watch this kind for drift");
            return;
        }
    };
    let api: Api<DynamicObject> =
        Api::all_with(engine.manager().client().clone(), &resolved.resource);
    let config = watcher::Config::default().labels(APP_LABEL);
    let stream = watcher::watcher(api, config).default_backoff();
    tokio::pin!(stream);
    let mut initial = false;
    while let Some(event) = stream.next().await {
        let watched = match event {
            Ok(Event::Init) => {
                initial = true;
                Watched::Relisting
            }
            Ok(Event::InitDone) => {
                initial = false;
                Watched::Listed
            }
            Ok(Event::InitApply(object) | Event::Apply(object)) => {
                match reduce(&probe, object, false, initial) {
                    Some(watched) => watched,
                    None => continue,
                }
            }
            Ok(Event::Delete(object)) => match reduce(&probe, object, true, initial) {
                Some(watched) => watched,
                None => continue,
            },
            Err(error) => {
                tracing::warn!(kind = %probe.kind, %error, "drift watch failed; retrying");
                continue;
            }
        };
        if messages
            .send(Message::Watched(Box::new((watch.clone(), watched))))
            .is_err()
        {
            return;
        }
    }
}

/// The router's view of a watched object; `None` for one without the label.
fn reduce(
    probe: &ObjectRef,
    object: DynamicObject,
    deleted: bool,
    initial: bool,
) -> Option<Watched> {
    let label = object.metadata.labels.as_ref()?.get(APP_LABEL)?.clone();
    let object_ref = ObjectRef {
        namespace: object.metadata.namespace.clone().unwrap_or_default(),
        name: object.metadata.name.clone().unwrap_or_default(),
        ..probe.clone()
    };
    let value = if deleted {
        None
    } else {
        let mut value = serde_json::to_value(object).ok()?;
        fill_type(&mut value, probe);
        Some(value)
    };
    Some(Watched::Object {
        object: object_ref,
        label,
        value,
        initial,
    })
}

/// Watch events of a dynamic kind may lack apiVersion and kind; the engine compares whole
/// objects, so they are filled in as a LIST through the manager fills them.
fn fill_type(value: &mut serde_json::Value, probe: &ObjectRef) {
    if let Some(map) = value.as_object_mut() {
        let api_version = if probe.group.is_empty() {
            probe.version.clone()
        } else {
            format!("{}/{}", probe.group, probe.version)
        };
        map.entry("apiVersion").or_insert(api_version.into());
        map.entry("kind").or_insert(probe.kind.clone().into());
    }
}
