//! Executing a sync: namespaces, then phases and waves in order (stage by stage, hooks in
//! their phase, health waits between waves), SyncFail hooks on failure, and pruning last.

use driftless_core::plan::{self, Phase, Stage};
use driftless_core::{Action, ObjectRef};

use super::hooks::run_hook;
use super::run::Sync;
use crate::cluster::{AppliedState, Desired, PruneScope, Verdict};

impl Sync<'_> {
    /// Runs the phases and waves in order, stopping at the first failure.
    pub(super) async fn execute(&mut self, state: &mut AppliedState, wait: bool) {
        if !self.create_namespace().await || !self.apply_definitions_first(state).await {
            return;
        }
        let steps = self.plan.steps.clone();
        let last = steps.len().saturating_sub(1);
        for (position, step) in steps.iter().enumerate() {
            self.report_progress(format!(
                "{:?} wave {} ({}/{}): applying {} object(s)",
                step.phase,
                step.wave,
                position + 1,
                steps.len(),
                step.stages.iter().map(Vec::len).sum::<usize>()
            ));
            let ok = match step.phase {
                Phase::Sync => self.apply_wave(&step.stages, state).await,
                _ => self.run_hooks(step.stages.iter().flatten().copied()).await,
            };
            if !ok {
                return;
            }
            if position < last && step.phase == Phase::Sync {
                self.report_progress(format!(
                    "{:?} wave {} ({}/{}): waiting for health",
                    step.phase,
                    step.wave,
                    position + 1,
                    steps.len()
                ));
                if !self.wait_for_wave(&step.stages).await {
                    return;
                }
            }
        }
        if wait {
            self.report_progress("waiting for every object to be healthy".to_owned());
            let all: Vec<usize> = self.plan.resources().collect();
            self.wait_for(&all).await;
        }
    }

    /// Tells the progress receiver, if any, what the sync does now.
    pub(super) fn report_progress(&self, line: String) {
        if let Some(progress) = &self.progress {
            let _ = progress.send(line);
        }
    }

    /// Applies one wave stage by stage (its definitions were applied before any wave), running
    /// the wave's Sync hooks after each stage's objects.
    async fn apply_wave(&mut self, stages: &[Vec<usize>], state: &mut AppliedState) -> bool {
        for stage in stages {
            let (hooks, resources): (Vec<usize>, Vec<usize>) =
                stage.iter().partition(|&&i| self.desired[i].hook.is_some());
            self.apply_stage(&resources, state).await;
            if self.changes.has_failures() || !self.run_hooks(hooks.into_iter()).await {
                return false;
            }
        }
        true
    }

    /// Flux's staged apply, before any phase or wave: the CustomResourceDefinitions, Namespaces
    /// and ClusterRoles of every wave that differ are applied and waited for, and then every
    /// object that waited for them (custom resources, objects in new namespaces) is dry-run, so
    /// one of them failing still applies nothing but those definitions.
    async fn apply_definitions_first(&mut self, state: &mut AppliedState) -> bool {
        let definitions: Vec<usize> = self
            .plan
            .steps
            .iter()
            .filter(|step| step.phase == Phase::Sync)
            .flat_map(|step| step.stages.iter().flatten().copied())
            .filter(|&i| self.desired[i].hook.is_none() && self.is_definition(i))
            .collect();
        let applied = self.apply_stage(&definitions, state).await;
        if self.changes.has_failures() {
            return false;
        }
        if !applied.is_empty() {
            self.forget_defined_groups(&applied);
            if !self.wait_for(&applied).await {
                return false;
            }
        }
        let deferred: Vec<usize> = (0..self.desired.len())
            .filter(|&i| matches!(self.verdicts[i], Verdict::Deferred))
            .collect();
        self.compare_deferred(&deferred, state).await
    }

    fn is_definition(&self, index: usize) -> bool {
        let object = &self.desired[index].object;
        plan::stage_of(&object.group, &object.kind) == Stage::Definitions
    }

    /// Dry-runs the objects of `indices` that were deferred until their CRD was established.
    async fn compare_deferred(&mut self, indices: &[usize], state: &AppliedState) -> bool {
        let mut ok = true;
        for &index in indices {
            if !matches!(self.verdicts[index], Verdict::Deferred) {
                continue;
            }
            let mut desired = self.desired[index].clone();
            desired.compare_later = false;
            let verdict = self
                .engine
                .manager
                .diff_one(
                    &desired,
                    &self.live,
                    state,
                    &self.app.spec.ignore_differences,
                )
                .await;
            if let Verdict::Failed(message) = &verdict {
                self.changes.push(
                    desired.object.clone(),
                    Action::Failed,
                    format!("{}: {message}", desired.origin),
                );
                ok = false;
            }
            self.desired[index] = desired;
            self.verdicts[index] = verdict;
        }
        ok
    }

    /// Applies the objects of `indices` that differ; returns the indices applied.
    async fn apply_stage(&mut self, indices: &[usize], state: &mut AppliedState) -> Vec<usize> {
        let todo: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|&i| matches!(self.verdicts[i], Verdict::Differs { .. }))
            .collect();
        let batch: Vec<(&Desired, bool)> = todo
            .iter()
            .map(|&i| {
                (
                    &self.desired[i],
                    matches!(self.verdicts[i], Verdict::Differs { create: true, .. }),
                )
            })
            .collect();
        let (changes, stored) = self
            .engine
            .manager
            .apply_all(&batch, self.engine.settings.health_timeout)
            .await;
        let mut applied = Vec::new();
        for (index, stored) in todo.into_iter().zip(stored) {
            let desired = &self.desired[index];
            match stored {
                Some(stored) => {
                    state.record(&desired.object, &desired.hash, &stored);
                    self.live.set(&desired.object, Some(stored));
                    self.verdicts[index] = Verdict::Applied;
                    applied.push(index);
                }
                None => state.forget(&desired.object),
            }
        }
        self.changes.extend(changes);
        applied
    }

    fn forget_defined_groups(&self, applied: &[usize]) {
        for &index in applied {
            let desired = &self.desired[index];
            if desired.object.kind == "CustomResourceDefinition" {
                if let Some(group) = desired
                    .manifest
                    .pointer("/spec/group")
                    .and_then(|g| g.as_str())
                {
                    self.engine.manager.discovery().forget_group(group);
                }
            }
        }
    }

    /// Waits for the resources of a wave to be healthy.
    async fn wait_for_wave(&mut self, stages: &[Vec<usize>]) -> bool {
        let resources: Vec<usize> = stages
            .iter()
            .flatten()
            .copied()
            .filter(|&i| self.desired[i].hook.is_none())
            .collect();
        self.wait_for(&resources).await
    }

    async fn wait_for(&mut self, indices: &[usize]) -> bool {
        let objects: Vec<&ObjectRef> = indices.iter().map(|&i| &self.desired[i].object).collect();
        let failures = self
            .engine
            .manager
            .wait_healthy(
                &objects,
                self.engine.settings.health_timeout,
                &mut self.live,
            )
            .await;
        let ok = failures.entries.is_empty();
        self.changes.extend(failures);
        ok
    }

    async fn run_hooks(&mut self, indices: impl Iterator<Item = usize>) -> bool {
        for index in indices.collect::<Vec<_>>() {
            let entry = run_hook(
                &self.engine.manager,
                &self.desired[index],
                self.engine.settings.health_timeout,
                &mut self.live,
            )
            .await;
            let failed = entry.action == Action::Failed;
            self.changes.entries.push(entry);
            if failed {
                return false;
            }
        }
        true
    }

    pub(super) async fn run_sync_fail_hooks(&mut self) {
        let indices: Vec<usize> = self
            .plan
            .sync_fail
            .iter()
            .flat_map(|step| step.stages.iter().flatten().copied())
            .collect();
        for index in indices {
            let entry = run_hook(
                &self.engine.manager,
                &self.desired[index],
                self.engine.settings.health_timeout,
                &mut self.live,
            )
            .await;
            self.changes.entries.push(entry);
        }
    }

    /// Prunes the candidates; returns those that stay in the inventory.
    pub(super) async fn prune(
        &mut self,
        candidates: Vec<ObjectRef>,
        enabled: bool,
    ) -> Vec<ObjectRef> {
        let scope = PruneScope {
            app_namespace: self.app.namespace(),
            app_name: self.app.name(),
            options: &self.options,
            enabled,
        };
        let (changes, kept) = self
            .engine
            .manager
            .prune(candidates, &mut self.live, &scope)
            .await;
        self.changes.extend(changes);
        kept
    }
}
