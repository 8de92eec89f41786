//! Sync options (Application-wide and per object) and per-object compare options.

use serde_json::Value;

use super::annotations::{annotation, list_entries, COMPARE_OPTIONS, SYNC_OPTIONS};
use super::{PlanError, Subject};

/// How a pruned object's dependents are deleted (Kubernetes `propagationPolicy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PropagationPolicy {
    /// Dependents are deleted before the owner is gone (Argo CD's default).
    #[default]
    Foreground,
    /// The owner is deleted at once, dependents by the garbage collector.
    Background,
    /// Dependents are kept.
    Orphan,
}

impl PropagationPolicy {
    /// The Kubernetes spelling: `Foreground`, `Background` or `Orphan`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Foreground => "Foreground",
            Self::Background => "Background",
            Self::Orphan => "Orphan",
        }
    }
}

/// The sync options in force for an Application or for one of its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// `CreateNamespace=true`: create the destination namespace when missing.
    pub create_namespace: bool,
    /// `PruneLast=true`: prune after every wave has been applied and is healthy.
    pub prune_last: bool,
    /// `ApplyOutOfSyncOnly=true`: apply only objects that differ from the cluster.
    pub apply_out_of_sync_only: bool,
    /// `Replace=true`: delete and recreate when an immutable field changed.
    pub replace: bool,
    /// `RespectIgnoreDifferences=true`: keep ignored fields at their live values on apply.
    pub respect_ignore_differences: bool,
    /// `Prune=false` keeps the object when Git no longer declares it; default true.
    pub prune: bool,
    /// `PrunePropagationPolicy=foreground|background|orphan`; default foreground.
    pub prune_propagation: PropagationPolicy,
}

/// Every option off except `prune`; foreground propagation.
impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            create_namespace: false,
            prune_last: false,
            apply_out_of_sync_only: false,
            replace: false,
            respect_ignore_differences: false,
            prune: true,
            prune_propagation: PropagationPolicy::Foreground,
        }
    }
}

/// What is wrong with one sync option entry.
enum Problem {
    Unknown,
    Malformed(&'static str),
}

impl Problem {
    fn into_error(self, subject: Subject, entry: &str) -> PlanError {
        let entry = entry.to_owned();
        match self {
            Self::Unknown => PlanError::UnknownSyncOption { subject, entry },
            Self::Malformed(expected) => PlanError::MalformedSyncOption {
                subject,
                entry,
                expected,
            },
        }
    }
}

impl SyncOptions {
    /// Parses an Application's `spec.syncPolicy.syncOptions` (`Key=value` entries, Argo
    /// CD spellings) over the defaults; later entries win. ServerSideApply, Validate,
    /// SkipDryRunOnMissingResource, FailOnSharedResource and ServerSideDiff are accepted
    /// (with a true/false value) and have no effect. Any other key, or an entry that is
    /// not `Key=value` with a value its key accepts, is an error naming the entry.
    pub fn parse(options: &[String]) -> Result<SyncOptions, PlanError> {
        let mut parsed = Self::default();
        for entry in options {
            parsed
                .set(entry)
                .map_err(|problem| problem.into_error(Subject::SyncPolicy, entry))?;
        }
        Ok(parsed)
    }

    /// These options overridden by the object's sync-options annotation (comma-separated
    /// entries with the syntax of [`SyncOptions::parse`]); errors name the object.
    pub fn for_object(&self, object: &Value) -> Result<SyncOptions, PlanError> {
        let mut merged = self.clone();
        let entries = annotation(object, SYNC_OPTIONS).map(list_entries);
        for entry in entries.into_iter().flatten() {
            merged
                .set(entry)
                .map_err(|problem| problem.into_error(Subject::of(object), entry))?;
        }
        Ok(merged)
    }

    /// Applies one `Key=value` entry.
    fn set(&mut self, entry: &str) -> Result<(), Problem> {
        let (key, value) = entry
            .split_once('=')
            .ok_or(Problem::Malformed("Key=value"))?;
        match key {
            "CreateNamespace" => self.create_namespace = flag(value)?,
            "PruneLast" => self.prune_last = flag(value)?,
            "ApplyOutOfSyncOnly" => self.apply_out_of_sync_only = flag(value)?,
            "Replace" => self.replace = flag(value)?,
            "RespectIgnoreDifferences" => self.respect_ignore_differences = flag(value)?,
            "Prune" => self.prune = flag(value)?,
            "PrunePropagationPolicy" => self.prune_propagation = propagation(value)?,
            "ServerSideApply"
            | "Validate"
            | "SkipDryRunOnMissingResource"
            | "FailOnSharedResource"
            | "ServerSideDiff" => {
                flag(value)?;
            }
            _ => return Err(Problem::Unknown),
        }
        Ok(())
    }
}

/// `true` or `false`, exactly.
fn flag(value: &str) -> Result<bool, Problem> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Problem::Malformed("true or false")),
    }
}

/// `foreground`, `background` or `orphan`, as Argo CD spells them.
fn propagation(value: &str) -> Result<PropagationPolicy, Problem> {
    match value {
        "foreground" => Ok(PropagationPolicy::Foreground),
        "background" => Ok(PropagationPolicy::Background),
        "orphan" => Ok(PropagationPolicy::Orphan),
        _ => Err(Problem::Malformed("foreground, background or orphan")),
    }
}

/// How an object takes part in the Application's sync status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompareOptions {
    /// `IgnoreExtraneous`: the object does not make the Application OutOfSync when it
    /// exists in the cluster but not in Git.
    pub ignore_extraneous: bool,
}

/// The object's compare-options annotation. Only `IgnoreExtraneous` has an effect; other
/// entries (Argo CD's `ServerSideDiff=...`, `IncludeMutationWebhook=...`) are ignored.
pub fn compare_options(object: &Value) -> CompareOptions {
    let ignore_extraneous = annotation(object, COMPARE_OPTIONS)
        .is_some_and(|value| list_entries(value).any(|entry| entry == "IgnoreExtraneous"));
    CompareOptions { ignore_extraneous }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|entry| entry.to_string()).collect()
    }

    fn with_annotations(annotations: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "settings", "namespace": "shop", "annotations": annotations}})
    }

    #[test]
    fn defaults_prune_in_the_foreground() {
        let options = SyncOptions::parse(&[]).unwrap();
        assert_eq!(options, SyncOptions::default());
        assert!(options.prune);
        assert_eq!(options.prune_propagation, PropagationPolicy::Foreground);
        assert_eq!(options.prune_propagation.as_str(), "Foreground");
    }

    #[test]
    fn parses_argocd_spellings() {
        let options = SyncOptions::parse(&strings(&[
            "CreateNamespace=true",
            "PruneLast=true",
            "ApplyOutOfSyncOnly=true",
            "Replace=true",
            "RespectIgnoreDifferences=true",
            "Prune=false",
            "PrunePropagationPolicy=orphan",
            "ServerSideApply=true",
            "Validate=false",
            "SkipDryRunOnMissingResource=true",
            "FailOnSharedResource=true",
            "ServerSideDiff=true",
        ]))
        .unwrap();
        let expected = SyncOptions {
            create_namespace: true,
            prune_last: true,
            apply_out_of_sync_only: true,
            replace: true,
            respect_ignore_differences: true,
            prune: false,
            prune_propagation: PropagationPolicy::Orphan,
        };
        assert_eq!(options, expected);
    }

    #[test]
    fn later_entries_win() {
        let options = SyncOptions::parse(&strings(&["PruneLast=true", "PruneLast=false"]));
        assert!(!options.unwrap().prune_last);
    }

    #[test]
    fn unknown_key_names_the_entry() {
        let err =
            SyncOptions::parse(&strings(&["CreateNamespace=true", "Force=true"])).unwrap_err();
        assert_eq!(
            err,
            PlanError::UnknownSyncOption {
                subject: Subject::SyncPolicy,
                entry: "Force=true".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "spec.syncPolicy.syncOptions: unknown sync option \"Force=true\""
        );
    }

    #[test]
    fn malformed_entries_say_what_was_expected() {
        let cases = [
            ("CreateNamespace", "Key=value"),
            ("Prune=yes", "true or false"),
            (
                "PrunePropagationPolicy=Sideways",
                "foreground, background or orphan",
            ),
            ("Validate=", "true or false"),
        ];
        for (entry, expected) in cases {
            let err = SyncOptions::parse(&strings(&[entry])).unwrap_err();
            assert_eq!(
                err,
                PlanError::MalformedSyncOption {
                    subject: Subject::SyncPolicy,
                    entry: entry.into(),
                    expected
                }
            );
        }
    }

    #[test]
    fn object_annotation_overrides_application_options() {
        let app = SyncOptions::parse(&strings(&["PruneLast=true", "Replace=true"])).unwrap();
        let object = with_annotations(json!({
            "argocd.argoproj.io/sync-options": "Prune=false, Replace=false,PrunePropagationPolicy=background"
        }));
        let merged = app.for_object(&object).unwrap();
        assert!(merged.prune_last);
        assert!(!merged.replace);
        assert!(!merged.prune);
        assert_eq!(merged.prune_propagation, PropagationPolicy::Background);
        assert!(app.prune, "the Application's options are left alone");
    }

    #[test]
    fn object_without_annotation_keeps_application_options() {
        let app = SyncOptions::parse(&strings(&["CreateNamespace=true"])).unwrap();
        let object = with_annotations(json!({}));
        assert_eq!(app.for_object(&object).unwrap(), app);
    }

    #[test]
    fn bad_object_option_names_the_object() {
        let object =
            with_annotations(json!({"driftless.dev/sync-options": "Prune=false,Delete=false"}));
        let err = SyncOptions::default().for_object(&object).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/ConfigMap:shop/settings: unknown sync option \"Delete=false\""
        );
    }

    #[test]
    fn ignore_extraneous_is_read_from_compare_options() {
        let object = with_annotations(json!({
            "argocd.argoproj.io/compare-options": "ServerSideDiff=true, IgnoreExtraneous"
        }));
        assert!(compare_options(&object).ignore_extraneous);
        let plain = with_annotations(json!({}));
        assert_eq!(compare_options(&plain), CompareOptions::default());
    }
}
