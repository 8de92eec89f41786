//! The `spec.source` block of an Application, spelled as Argo CD spells it.
//!
//! Unknown fields are ignored on input, as Kubernetes clients do; only the fields below
//! have an effect.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where an Application's manifests come from and how they are rendered.
/// At most one of `directory`, `kustomize`, `helm` and `jsonnet` should be set; when
/// none is, the kind of source is detected from the files at `path`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceSpec {
    /// Repository URL or local path.
    #[serde(rename = "repoURL", default)]
    pub repo_url: String,
    /// Branch, tag, semver range, commit or `HEAD`; empty means `HEAD`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_revision: String,
    /// Directory inside the repository; empty or `.` means the root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Plain directory of YAML, JSON and Jsonnet files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<DirectorySource>,
    /// Kustomize build of `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<KustomizeSource>,
    /// Jsonnet options for a directory source (same as `directory.jsonnet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsonnet: Option<JsonnetSource>,
    /// Helm chart at `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmSource>,
    /// Secret (in the Application's namespace) holding the repository's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

/// A reference to a Secret in the Application's namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretRef {
    /// The Secret's name.
    pub name: String,
}

/// Options of a plain directory source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DirectorySource {
    /// Descend into subdirectories.
    #[serde(default)]
    pub recurse: bool,
    /// Glob over paths relative to `path`; only matching files are read. `{a,b}` alternatives allowed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub include: String,
    /// Glob over paths relative to `path`; matching files are skipped. `{a,b}` alternatives allowed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exclude: String,
    /// Options for the `*.jsonnet` files of the directory.
    #[serde(default)]
    pub jsonnet: JsonnetSource,
}

/// Options of a Kustomize source. Argo CD's image, prefix and label overrides are not
/// supported; put them in the kustomization instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeSource {
    /// Driftless extension: allow remote bases and resources (fetched over the network
    /// by the Kustomize tool). Off by default.
    #[serde(default)]
    pub allow_remote_bases: bool,
}

/// Options for Jsonnet evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JsonnetSource {
    /// External variables (`std.extVar`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ext_vars: Vec<JsonnetVar>,
    /// Top-level arguments passed to a file that evaluates to a function.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tlas: Vec<JsonnetVar>,
    /// Library search paths, relative to the repository root; they must stay inside it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libs: Vec<String>,
}

/// One Jsonnet external variable or top-level argument.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JsonnetVar {
    /// Variable name.
    pub name: String,
    /// A string, or Jsonnet code when `code` is true.
    #[serde(default)]
    pub value: String,
    /// Evaluate `value` as Jsonnet code instead of passing it as a string.
    #[serde(default)]
    pub code: bool,
}

/// Options of a Helm chart source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmSource {
    /// Release name; empty means the Application's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release_name: String,
    /// Namespace to template with; empty means the destination namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Values files relative to the chart directory; they must stay inside the checkout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_files: Vec<String>,
    /// Inline values, as a YAML document; applied after the value files.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub values: String,
    /// Single values, applied last (`--set`, or `--set-string` when `forceString`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<HelmParameter>,
}

/// One Helm `--set` parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmParameter {
    /// Dotted value path, such as `image.tag`.
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// Pass the value as a string (`--set-string`).
    #[serde(default)]
    pub force_string: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_argo_cd_spelling() {
        let spec: SourceSpec = serde_json::from_value(json!({
            "repoURL": "https://git.example.com/apps.git",
            "targetRevision": "main",
            "path": "guestbook",
            "directory": {"recurse": true, "include": "{a,b}/*.yaml",
                          "jsonnet": {"extVars": [{"name": "env", "value": "prod"}],
                                      "tlas": [{"name": "n", "value": "3", "code": true}],
                                      "libs": ["vendor"]}},
            "secretRef": {"name": "repo-creds"},
            "helm": {"releaseName": "r", "valueFiles": ["v.yaml"], "values": "a: 1",
                     "parameters": [{"name": "image.tag", "value": "1", "forceString": true}]}
        }))
        .unwrap();
        assert_eq!(spec.repo_url, "https://git.example.com/apps.git");
        assert_eq!(spec.secret_ref.as_ref().unwrap().name, "repo-creds");
        let dir = spec.directory.as_ref().unwrap();
        assert!(dir.recurse);
        assert_eq!(dir.jsonnet.ext_vars[0].value, "prod");
        assert!(dir.jsonnet.tlas[0].code);
        assert_eq!(dir.jsonnet.libs, vec!["vendor"]);
        let helm = spec.helm.as_ref().unwrap();
        assert_eq!(helm.release_name, "r");
        assert!(helm.parameters[0].force_string);
    }

    #[test]
    fn serializes_back_to_camel_case() {
        let spec = SourceSpec {
            repo_url: "r".into(),
            kustomize: Some(KustomizeSource {
                allow_remote_bases: true,
            }),
            ..Default::default()
        };
        let v = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            v,
            json!({"repoURL": "r", "kustomize": {"allowRemoteBases": true}})
        );
    }
}
