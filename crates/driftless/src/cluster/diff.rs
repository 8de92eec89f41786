//! Comparison of desired objects with the cluster: skipped outright when the manifest and the
//! live resourceVersion are those of the last sync, otherwise a server-side dry-run compared
//! with the live object after normalisation and ignoreDifferences.

use driftless_core::diff::{self, IgnoreDifference};
use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::desired::Desired;
use super::live::Live;
use super::state::AppliedState;
use super::{ClusterError, ResourceManager};

/// Requests in flight at once while comparing or applying one wave.
pub const CONCURRENCY: usize = 16;

/// How one desired object compares with the cluster.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Nothing differs; the object keeps its resourceVersion.
    Unchanged,
    /// It differed and this sync applied it.
    Applied,
    /// The object is missing (`create`) or differs; `diff` shows how (Secret values masked).
    Differs {
        /// True when the object does not exist yet.
        create: bool,
        /// Unified diff of live against desired.
        diff: String,
    },
    /// Its kind is not served yet: compared once its CRD is established.
    Deferred,
    /// The dry-run or the comparison failed.
    Failed(String),
}

impl Verdict {
    /// True when the object needs an apply.
    pub fn needs_apply(&self) -> bool {
        matches!(self, Verdict::Differs { .. } | Verdict::Deferred)
    }
}

impl ResourceManager {
    /// Compares each of `objects` with the cluster, `CONCURRENCY` at a time, in input order.
    pub async fn diff(
        &self,
        objects: &[&Desired],
        live: &Live,
        state: &AppliedState,
        rules: &[IgnoreDifference],
    ) -> Vec<Verdict> {
        // The futures are made before they enter the stream so that no closure is part of the
        // stream's type: a closure there makes the whole sync future not provably Send.
        let comparisons: Vec<_> = objects
            .iter()
            .map(|object| self.diff_one(object, live, state, rules))
            .collect();
        stream::iter(comparisons)
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    /// Compares one object: no request when [`AppliedState::is_current`], a dry-run otherwise.
    pub async fn diff_one(
        &self,
        object: &Desired,
        live: &Live,
        state: &AppliedState,
        rules: &[IgnoreDifference],
    ) -> Verdict {
        if object.compare_later {
            return Verdict::Deferred;
        }
        let current = live.get(&object.object);
        if state.is_current(&object.object, &object.hash, live.get(&object.object)) {
            return Verdict::Unchanged;
        }
        match self.apply(&object.object, &object.manifest, true).await {
            Ok(dry_run) => verdict(object, &dry_run, current, rules),
            Err(error) if object.options.replace && error.is_immutable_field() => {
                Verdict::Differs {
                    create: false,
                    diff: format!(
                "{}: an immutable field changes; Replace=true deletes and re-creates it: {}\n",
                object.object,
                api_message(&error, object)
            ),
                }
            }
            Err(error) => Verdict::Failed(api_message(&error, object)),
        }
    }
}

fn verdict(
    object: &Desired,
    dry_run: &Value,
    live: Option<&Value>,
    rules: &[IgnoreDifference],
) -> Verdict {
    match diff::compare(&object.object, dry_run, live, rules) {
        Ok(result) if !result.differs => Verdict::Unchanged,
        Ok(result) => Verdict::Differs {
            create: live.is_none(),
            diff: result.text,
        },
        Err(error) => Verdict::Failed(error.to_string()),
    }
}

/// The API's reason and message of a failed request about `object`, without repeating the
/// object, and with the values of a Secret cut out.
pub fn api_message(error: &ClusterError, object: &Desired) -> String {
    let message = match error {
        ClusterError::Api {
            reason, message, ..
        } if !reason.is_empty() => format!("{reason}: {message}"),
        ClusterError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    };
    diff::redact_secret_values(&message, &object.manifest)
}
