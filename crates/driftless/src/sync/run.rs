//! One sync, step by step: render, prepare, read live, compare (dry-run), then apply phases and
//! waves, prune, wait, and sum it all up as a [`SyncOutcome`].

use std::collections::HashSet;

use driftless_core::application::{Application, SyncStatusCode};
use driftless_core::diff;
use driftless_core::health;
use driftless_core::plan::{self, Plan, SyncOptions};
use driftless_core::tracking;
use driftless_core::{Action, ChangeEntry, ChangeSet, ObjectRef};

use super::desired::prepare;
use super::source::{fetch_and_render, render_local, resolve_commit, target_revision, Rendered};
use super::{Engine, ObjectDiff, ResourceOutcome, SyncError, SyncOutcome, SyncRequest};
use crate::cluster::{hash_of, AppliedState, Desired, Live, LiveCache, Verdict};

/// Everything one sync works on once the source is rendered.
pub(super) struct Sync<'a> {
    pub(super) engine: &'a Engine,
    pub(super) app: &'a Application,
    /// The Application's sync options, parsed once.
    pub(super) options: SyncOptions,
    pub(super) desired: Vec<Desired>,
    pub(super) plan: Plan,
    pub(super) verdicts: Vec<Verdict>,
    pub(super) live: Live,
    pub(super) cache: Option<LiveCache>,
    pub(super) changes: ChangeSet,
    pub(super) progress: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

impl Engine {
    /// Runs one sync of `app` (or, with `request.dry_run`, only compares), using and updating
    /// `state` so that objects unchanged since the last sync cost no request. Never panics on
    /// bad input: every failure ends up in the outcome's `error` or in a failed entry.
    pub async fn sync(
        &self,
        app: &Application,
        state: &mut AppliedState,
        request: &SyncRequest,
    ) -> SyncOutcome {
        let mut outcome = SyncOutcome::default();
        match self.try_sync(app, state, request, &mut outcome).await {
            Ok(()) => {}
            Err(error) => {
                outcome.terminal = !error.is_transient();
                outcome.error = Some(error.to_string());
                outcome.sync = SyncStatusCode::Unknown;
            }
        }
        if outcome.error.is_none() && outcome.changes.has_failures() {
            outcome.error = Some(failure_summary(&outcome.changes));
        }
        outcome
    }

    /// The commit `app`'s target revision resolves to now (a listing of the remote's refs).
    pub async fn target_commit(&self, app: &Application) -> Result<String, SyncError> {
        let source = &app.spec.source;
        resolve_commit(
            &self.git,
            &self.control,
            app,
            source,
            target_revision(source),
        )
        .await
    }

    async fn try_sync(
        &self,
        app: &Application,
        state: &mut AppliedState,
        request: &SyncRequest,
        outcome: &mut SyncOutcome,
    ) -> Result<(), SyncError> {
        let source = request.source.as_ref().unwrap_or(&app.spec.source);
        outcome.source = source.clone();
        outcome.compared_only = request.dry_run;
        let rendered = match &request.local {
            Some(dir) => render_local(&self.renderer, app, source, dir).await?,
            None => {
                let revision = request
                    .revision
                    .as_deref()
                    .unwrap_or_else(|| target_revision(source));
                fetch_and_render(
                    &self.git,
                    &self.renderer,
                    &self.control,
                    app,
                    source,
                    revision,
                    request.refs_max_age,
                )
                .await?
            }
        };
        outcome.revision = rendered.revision.clone();
        outcome.fetch_duration = rendered.fetch_duration;
        let mut sync = self.prepare(app, &rendered).await?;
        sync.cache = request.live_cache.clone();
        sync.progress = request.progress.clone();
        let inventory = sync.inventory_before().await?;
        sync.read_live(&inventory).await?;
        sync.defer_objects_in_new_namespaces().await?;
        sync.respect_ignored_differences()?;
        sync.fold_ignore_rules_into_hashes();
        sync.compare(state).await;
        sync.record_unchanged(state);
        let (candidates, dry_run_failed) = sync.record_comparison(&inventory, outcome);
        if dry_run_failed {
            outcome.changes = std::mem::take(&mut sync.changes);
            outcome.error = Some(format!(
                "dry-run failed, nothing was applied: {}",
                failure_summary(&outcome.changes)
            ));
            outcome.terminal = true;
            return Ok(());
        }
        let prune_enabled = request.prune.unwrap_or_else(|| {
            app.spec
                .sync_policy
                .automated
                .as_ref()
                .is_some_and(|a| a.prune)
        });
        if sync.would_empty_the_app(request, &candidates) {
            outcome.error = Some(
                "the revision declares no object and an automated sync would prune every object of the \
                 app; refused (set syncPolicy.automated.allowEmpty to allow it, or sync explicitly)"
                    .to_owned(),
            );
            outcome.terminal = true;
            sync.finish(outcome, &candidates);
            return Ok(());
        }
        let needs_sync = request.force
            || sync.namespace_to_create().is_some()
            || sync.verdicts.iter().any(Verdict::needs_apply)
            || candidates.iter().any(|c| sync.live.get(c).is_some());
        if request.dry_run {
            sync.report_would_change(&candidates, prune_enabled);
            if prune_enabled {
                outcome.diffs.extend(sync.removals(&candidates));
            }
            sync.finish(outcome, &candidates);
            return Ok(());
        }
        if needs_sync {
            outcome.operated = true;
            sync.execute(state, request.wait).await;
            if !sync.changes.has_failures() {
                if prune_enabled {
                    sync.report_progress("pruning what the revision no longer declares".to_owned());
                }
                let kept = sync.prune(candidates.clone(), prune_enabled).await;
                sync.finish(outcome, &kept);
                return Ok(());
            }
            sync.run_sync_fail_hooks().await;
        }
        sync.finish(outcome, &candidates);
        Ok(())
    }

    async fn prepare<'a>(
        &'a self,
        app: &'a Application,
        rendered: &Rendered,
    ) -> Result<Sync<'a>, SyncError> {
        let options = SyncOptions::parse(&app.spec.sync_policy.sync_options)?;
        let desired = prepare(
            &self.manager,
            &rendered.manifests,
            app.namespace(),
            app.name(),
            &app.spec.destination.namespace,
            &options,
            &run_suffix(&rendered.revision),
        )
        .await?;
        let plan = plan::plan(&rendered.manifests)?;
        Ok(Sync {
            engine: self,
            app,
            options,
            verdicts: vec![Verdict::Unchanged; desired.len()],
            desired,
            plan,
            live: Live::default(),
            cache: None,
            changes: ChangeSet::default(),
            progress: None,
        })
    }
}

impl Sync<'_> {
    /// The inventory of the last sync: from the Application's status when it has one,
    /// otherwise (push mode without the Application in the cluster) every object of any kind
    /// that carries our label and our tracking id.
    async fn inventory_before(&self) -> Result<Vec<ObjectRef>, SyncError> {
        if let Some(status) = &self.app.status {
            return Ok(status.inventory.clone());
        }
        let manager = &self.engine.manager;
        let mut inventory = Vec::new();
        let selector = self.app.selector();
        for kind in manager.discovery().listable_kinds().await? {
            let listed = match manager.list(&kind, "", &selector).await {
                Ok(listed) => listed,
                Err(error) => {
                    tracing::warn!(kind = %kind.resource.kind, %error, "cannot look for objects to prune");
                    continue;
                }
            };
            for value in listed {
                let Ok(object) = ObjectRef::from_object(&value) else {
                    continue;
                };
                if tracking::is_owned_by(&value, self.app.namespace(), self.app.name(), &object) {
                    inventory.push(object);
                }
            }
        }
        Ok(inventory)
    }

    async fn read_live(&mut self, inventory: &[ObjectRef]) -> Result<(), SyncError> {
        let wanted: Vec<&ObjectRef> = self
            .desired
            .iter()
            .map(|d| &d.object)
            .chain(inventory.iter())
            .collect();
        self.live = self
            .engine
            .manager
            .read_live(&wanted, &self.app.selector(), self.cache.as_ref())
            .await?;
        Ok(())
    }

    /// With `RespectIgnoreDifferences=true`, the ignored JSON pointers of an existing object
    /// are applied with their live values, so a sync never resets them.
    fn respect_ignored_differences(&mut self) -> Result<(), SyncError> {
        for desired in &mut self.desired {
            if !desired.options.respect_ignore_differences {
                continue;
            }
            let Some(live) = self.live.get(&desired.object) else {
                continue;
            };
            let rules = diff::matching_rules(&self.app.spec.ignore_differences, &desired.object);
            diff::keep_live_values(&mut desired.manifest, &rules, live).map_err(|e| {
                SyncError::Manifest {
                    origin: desired.origin.clone(),
                    message: e.to_string(),
                }
            })?;
            desired.hash = hash_of(&desired.manifest);
        }
        Ok(())
    }

    /// Makes the ignoreDifferences rules that match an object part of its hash, so that adding
    /// or removing a rule calls for a new comparison instead of trusting the recorded state.
    fn fold_ignore_rules_into_hashes(&mut self) {
        for desired in &mut self.desired {
            let rules = diff::matching_rules(&self.app.spec.ignore_differences, &desired.object);
            if !rules.is_empty() {
                let combined =
                    serde_json::json!({"manifest": &desired.manifest, "ignoreDifferences": rules});
                desired.hash = hash_of(&combined);
            }
        }
    }

    /// The destination namespace when `CreateNamespace=true` and it does not exist yet.
    fn namespace_to_create(&self) -> Option<String> {
        let wanted = self.options.create_namespace;
        let namespace = &self.app.spec.destination.namespace;
        (wanted && !namespace.is_empty() && self.live.get(&namespace_ref(namespace)).is_none())
            .then(|| namespace.clone())
    }

    /// Marks the objects whose namespace this sync creates (a Namespace manifest, or
    /// `CreateNamespace=true`) to be dry-run only once that namespace exists.
    async fn defer_objects_in_new_namespaces(&mut self) -> Result<(), SyncError> {
        let destination = self.app.spec.destination.namespace.clone();
        if !destination.is_empty() && self.options.create_namespace {
            let namespace = namespace_ref(&destination);
            let found = self.engine.manager.get(&namespace).await?;
            self.live.set(&namespace, found);
        }
        let mut created: HashSet<String> = self
            .desired
            .iter()
            .filter(|d| d.object.group.is_empty() && d.object.kind == "Namespace")
            .filter(|d| self.live.get(&d.object).is_none())
            .map(|d| d.object.name.clone())
            .collect();
        created.extend(self.namespace_to_create());
        for desired in &mut self.desired {
            if created.contains(&desired.object.namespace) {
                desired.compare_later = true;
            }
        }
        Ok(())
    }

    /// Creates the destination namespace for `CreateNamespace=true` (not tracked, never pruned).
    pub(super) async fn create_namespace(&mut self) -> bool {
        let Some(name) = self.namespace_to_create() else {
            return true;
        };
        let namespace = namespace_ref(&name);
        let manifest = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        match self
            .engine
            .manager
            .apply(&namespace, &manifest, false)
            .await
        {
            Ok(stored) => {
                self.live.set(&namespace, Some(stored));
                self.changes
                    .push(namespace, Action::Created, "CreateNamespace=true");
                true
            }
            Err(error) => {
                self.changes
                    .push(namespace, Action::Failed, error.to_string());
                false
            }
        }
    }

    /// Dry-runs and compares every resource (hooks excepted) with the cluster.
    async fn compare(&mut self, state: &AppliedState) {
        let resources: Vec<usize> = self.plan.resources().collect();
        let objects: Vec<&Desired> = resources.iter().map(|&i| &self.desired[i]).collect();
        let verdicts = self
            .engine
            .manager
            .diff(
                &objects,
                &self.live,
                state,
                &self.app.spec.ignore_differences,
            )
            .await;
        for (index, verdict) in resources.into_iter().zip(verdicts) {
            self.verdicts[index] = verdict;
        }
    }

    /// Records the objects found unchanged at the resourceVersion they were compared at (later
    /// reads, during health waits, may already see someone else's change).
    fn record_unchanged(&self, state: &mut AppliedState) {
        for (desired, verdict) in self.desired.iter().zip(&self.verdicts) {
            if matches!(verdict, Verdict::Unchanged) {
                if let Some(live) = self.live.get(&desired.object) {
                    state.record(&desired.object, &desired.hash, live);
                }
            }
        }
    }

    /// Records dry-run failures and diffs; returns the prune candidates and whether any
    /// dry-run failed.
    fn record_comparison(
        &mut self,
        inventory: &[ObjectRef],
        outcome: &mut SyncOutcome,
    ) -> (Vec<ObjectRef>, bool) {
        let mut failed = false;
        for (desired, verdict) in self.desired.iter().zip(&self.verdicts) {
            match verdict {
                Verdict::Failed(message) => {
                    failed = true;
                    self.changes.push(
                        desired.object.clone(),
                        Action::Failed,
                        format!("{}: {message}", desired.origin),
                    );
                }
                Verdict::Differs { diff, .. } => outcome.diffs.push(ObjectDiff {
                    object: desired.object.clone(),
                    text: diff.clone(),
                }),
                _ => {}
            }
        }
        let wanted: Vec<ObjectRef> = self
            .plan
            .resources()
            .map(|i| self.desired[i].object.clone())
            .collect();
        (plan::prune_set(inventory, &wanted), failed)
    }

    /// True when this automated (not explicitly requested) sync declares nothing yet would prune
    /// objects, without `allowEmpty`.
    fn would_empty_the_app(&self, request: &SyncRequest, candidates: &[ObjectRef]) -> bool {
        let allow_empty = self
            .app
            .spec
            .sync_policy
            .automated
            .as_ref()
            .is_some_and(|a| a.allow_empty);
        !request.force
            && !request.dry_run
            && !allow_empty
            && self.plan.resources().next().is_none()
            && candidates.iter().any(|c| self.live.get(c).is_some())
    }

    /// The diffs of deleting the candidates that still exist.
    fn removals(&self, candidates: &[ObjectRef]) -> Vec<ObjectDiff> {
        candidates
            .iter()
            .filter_map(|object| {
                let live = self.live.get(object)?;
                Some(ObjectDiff {
                    object: object.clone(),
                    text: diff::removal(object, live),
                })
            })
            .collect()
    }

    /// Fills the ChangeSet with what a sync would do, writing nothing.
    fn report_would_change(&mut self, candidates: &[ObjectRef], prune_enabled: bool) {
        if let Some(name) = self.namespace_to_create() {
            self.changes.push(
                namespace_ref(&name),
                Action::Created,
                "CreateNamespace=true",
            );
        }
        for index in self.plan.resources() {
            let desired = &self.desired[index];
            let (action, message) = match &self.verdicts[index] {
                Verdict::Unchanged | Verdict::Applied => (Action::Unchanged, ""),
                Verdict::Differs { create: true, .. } => (Action::Created, ""),
                Verdict::Differs { .. } => (Action::Configured, ""),
                Verdict::Deferred => (
                    Action::Created,
                    "dry-run once its namespace or CustomResourceDefinition exists",
                ),
                Verdict::Failed(_) => continue,
            };
            self.changes.push(desired.object.clone(), action, message);
        }
        for object in candidates.iter().filter(|c| self.live.get(c).is_some()) {
            let (action, message) = if prune_enabled {
                (Action::Pruned, "")
            } else {
                (Action::Skipped, "no longer in Git; pruning is off")
            };
            self.changes.push(object.clone(), action, message);
        }
    }

    /// Fills the outcome: unchanged entries, per-object sync and health, inventory, app status.
    fn finish(&mut self, outcome: &mut SyncOutcome, leftovers: &[ObjectRef]) {
        let mut reported: HashSet<ObjectRef> = self
            .changes
            .entries
            .iter()
            .map(|e| e.object.clone())
            .collect();
        let mut resources = Vec::new();
        let mut inventory = Vec::new();
        for index in self.plan.resources() {
            let desired = &self.desired[index];
            let live = self.live.get(&desired.object);
            let verdict = &self.verdicts[index];
            if matches!(verdict, Verdict::Unchanged) && reported.insert(desired.object.clone()) {
                self.changes
                    .push(desired.object.clone(), Action::Unchanged, "");
            }
            let sync = if matches!(verdict, Verdict::Unchanged | Verdict::Applied) {
                SyncStatusCode::Synced
            } else {
                SyncStatusCode::OutOfSync
            };
            let health = live.map_or_else(health::missing, health::object_health);
            if live.is_some() {
                inventory.push(desired.object.clone());
            }
            resources.push(ResourceOutcome {
                object: desired.object.clone(),
                sync,
                health,
            });
        }
        let extraneous: Vec<&ObjectRef> = leftovers
            .iter()
            .filter(|o| {
                self.live
                    .get(o)
                    .is_some_and(|l| !plan::compare_options(l).ignore_extraneous)
            })
            .collect();
        inventory.extend(
            leftovers
                .iter()
                .filter(|o| self.live.get(o).is_some())
                .cloned(),
        );
        let all_synced =
            resources.iter().all(|r| r.sync == SyncStatusCode::Synced) && extraneous.is_empty();
        outcome.health = health::aggregate(resources.iter().map(|r| &r.health));
        outcome.sync = if all_synced {
            SyncStatusCode::Synced
        } else {
            SyncStatusCode::OutOfSync
        };
        outcome.resources = resources;
        outcome.inventory = inventory;
        outcome.changes = std::mem::take(&mut self.changes);
    }
}

/// Five hex digits that differ between syncs, for the names of `generateName` hooks.
fn run_suffix(revision: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let hash = driftless_core::tracking::fnv1a(format!("{revision}{now}").as_bytes());
    format!("{:05x}", hash & 0xf_ffff)
}

/// The reference of Namespace `name`.
fn namespace_ref(name: &str) -> ObjectRef {
    ObjectRef {
        version: "v1".to_owned(),
        kind: "Namespace".to_owned(),
        name: name.to_owned(),
        ..ObjectRef::default()
    }
}

/// `N failed: first failure` for messages.
fn failure_summary(changes: &ChangeSet) -> String {
    let failed: Vec<&ChangeEntry> = changes
        .entries
        .iter()
        .filter(|e| e.action == Action::Failed)
        .collect();
    match failed.first() {
        Some(first) if failed.len() == 1 => format!("{}: {}", first.object, first.message),
        Some(first) => format!(
            "{} objects failed; first {}: {}",
            failed.len(),
            first.object,
            first.message
        ),
        None => String::new(),
    }
}
