//! The sync annotations on managed objects, read under Driftless's and Argo CD's prefixes.

use serde_json::Value;

/// Prefix of Driftless's own annotations; it wins over [`ARGOCD_PREFIX`].
pub const DRIFTLESS_PREFIX: &str = "driftless.dev/";
/// Prefix of Argo CD's spelling of the same annotations, honoured when ours is absent.
pub const ARGOCD_PREFIX: &str = "argocd.argoproj.io/";

/// Key of the sync wave annotation (an integer, default 0).
pub const SYNC_WAVE: &str = "sync-wave";
/// Key of the hook annotation (comma-separated hook types).
pub const HOOK: &str = "hook";
/// Key of the hook delete policy annotation (comma-separated policies).
pub const HOOK_DELETE_POLICY: &str = "hook-delete-policy";
/// Key of the per-object sync options annotation (comma-separated `Key=value`).
pub const SYNC_OPTIONS: &str = "sync-options";
/// Key of the per-object compare options annotation (comma-separated).
pub const COMPARE_OPTIONS: &str = "compare-options";

/// The value of `metadata.annotations["driftless.dev/<key>"]`, else of
/// `metadata.annotations["argocd.argoproj.io/<key>"]`. When the Driftless key is
/// present the Argo CD key is not consulted. A value that is not a string counts as
/// absent (the API server rejects such an object at dry-run).
pub fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    let annotations = object.get("metadata")?.get("annotations")?;
    annotations
        .get(format!("{DRIFTLESS_PREFIX}{key}"))
        .or_else(|| annotations.get(format!("{ARGOCD_PREFIX}{key}")))?
        .as_str()
}

/// The entries of a comma-separated annotation value, trimmed, blank entries left out.
pub(crate) fn list_entries(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn driftless_key_wins_over_argocd_key() {
        let object = json!({"metadata": {"annotations": {
            "driftless.dev/sync-wave": "2", "argocd.argoproj.io/sync-wave": "5"
        }}});
        assert_eq!(annotation(&object, SYNC_WAVE), Some("2"));
    }

    #[test]
    fn argocd_key_is_the_fallback() {
        let object = json!({"metadata": {"annotations": {"argocd.argoproj.io/hook": "PreSync"}}});
        assert_eq!(annotation(&object, HOOK), Some("PreSync"));
        assert_eq!(annotation(&object, SYNC_WAVE), None);
    }

    #[test]
    fn missing_annotations_and_non_strings_are_absent() {
        assert_eq!(annotation(&json!({"metadata": {}}), HOOK), None);
        let object = json!({"metadata": {"annotations": {"driftless.dev/sync-wave": 1}}});
        assert_eq!(annotation(&object, SYNC_WAVE), None);
    }

    #[test]
    fn list_entries_trims_and_drops_blanks() {
        let entries: Vec<&str> = list_entries(" Prune=false, ,Replace=true,").collect();
        assert_eq!(entries, ["Prune=false", "Replace=true"]);
    }
}
