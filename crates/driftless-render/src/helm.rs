//! Helm chart sources, rendered with `helm template` when helm is available.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use driftless_core::{HelmParameter, HelmSource};

use crate::checkout::{Checkout, CheckoutError};
use crate::subprocess::{find_on_path, Invocation, RunError};

/// Why a Helm render failed. Paths are relative to the checkout.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    /// helm is not on PATH.
    #[error("cannot render the Helm chart {chart}: install helm (v3) and put it on PATH")]
    ToolMissing {
        /// The chart directory.
        chart: String,
    },
    /// A value file is a URL; only files inside the checkout are allowed.
    #[error("helm value file {file:?} is remote; value files must be inside the repository")]
    RemoteValueFile {
        /// The entry as written.
        file: String,
    },
    /// A value file is missing or outside the checkout.
    #[error("helm value file {file:?}: {source}")]
    ValueFile {
        /// The entry as written.
        file: String,
        /// Why it was refused.
        #[source]
        source: CheckoutError,
    },
    /// A parameter has no name.
    #[error("helm parameter {index} has an empty name")]
    EmptyParameterName {
        /// Index in `helm.parameters`.
        index: usize,
    },
    /// The inline values could not be written to a temporary file.
    #[error("cannot write inline helm values to a temporary file: {source}")]
    InlineValues {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// helm failed or timed out; the message carries its stderr.
    #[error("helm template of {chart} failed: {source}")]
    Template {
        /// The chart directory.
        chart: String,
        /// The tool's failure.
        #[source]
        source: RunError,
    },
}

/// Release name and namespace a chart is templated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release<'a> {
    /// Release name (`helm.releaseName` wins when set).
    pub name: &'a str,
    /// Namespace (`helm.namespace` wins when set); empty for none.
    pub namespace: &'a str,
}

/// `helm template` through a subprocess, with a timeout.
#[derive(Debug, Clone)]
pub struct HelmCommand {
    program: Option<PathBuf>,
    timeout: Duration,
}

impl HelmCommand {
    /// Uses `helm` from PATH; when it is absent every render fails with [`HelmError::ToolMissing`].
    pub fn from_path(timeout: Duration) -> Self {
        Self::new(find_on_path("helm"), timeout)
    }

    /// Uses the given program as helm; `None` means helm is not installed, and every
    /// render fails with [`HelmError::ToolMissing`].
    pub fn new(program: Option<PathBuf>, timeout: Duration) -> Self {
        Self { program, timeout }
    }

    /// Renders the chart in `chart` (resolved inside `checkout`) and returns helm's YAML stream.
    pub fn template(
        &self,
        checkout: &Checkout,
        chart: &Path,
        options: &HelmSource,
        release: &Release<'_>,
    ) -> Result<String, HelmError> {
        let shown = checkout.relative(chart);
        let Some(program) = self.program.clone() else {
            return Err(HelmError::ToolMissing { chart: shown });
        };
        let value_files = resolve_value_files(checkout, chart, &options.value_files)?;
        let inline = write_inline_values(&options.values)?;
        let args = template_args(
            chart,
            options,
            release,
            &value_files,
            inline.as_ref().map(|f| f.path()),
        )?;
        Invocation {
            program,
            args,
            dir: chart.to_path_buf(),
            env: Vec::new(),
        }
        .run(self.timeout)
        .map_err(|source| HelmError::Template {
            chart: shown,
            source: source.relative_to(checkout.root()),
        })
    }
}

fn resolve_value_files(
    checkout: &Checkout,
    chart: &Path,
    files: &[String],
) -> Result<Vec<PathBuf>, HelmError> {
    files
        .iter()
        .map(|file| {
            if file.contains("://") {
                return Err(HelmError::RemoteValueFile { file: file.clone() });
            }
            checkout
                .resolve_from(chart, file)
                .map_err(|source| HelmError::ValueFile {
                    file: file.clone(),
                    source,
                })
        })
        .collect()
}

fn write_inline_values(values: &str) -> Result<Option<tempfile::NamedTempFile>, HelmError> {
    if values.trim().is_empty() {
        return Ok(None);
    }
    let mut file = tempfile::Builder::new()
        .prefix("driftless-values-")
        .suffix(".yaml")
        .tempfile()
        .map_err(|source| HelmError::InlineValues { source })?;
    file.write_all(values.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|source| HelmError::InlineValues { source })?;
    Ok(Some(file))
}

/// The arguments of `helm template`, in Argo CD's order: release, chart, namespace,
/// `--include-crds`, value files, inline values, then `--set`/`--set-string` parameters.
pub fn template_args(
    chart: &Path,
    options: &HelmSource,
    release: &Release<'_>,
    value_files: &[PathBuf],
    inline_values: Option<&Path>,
) -> Result<Vec<OsString>, HelmError> {
    let name = non_empty_or(&options.release_name, release.name);
    let namespace = non_empty_or(&options.namespace, release.namespace);
    let mut args: Vec<OsString> =
        vec!["template".into(), name.into(), chart.as_os_str().to_owned()];
    if !namespace.is_empty() {
        args.extend(["--namespace".into(), namespace.into()]);
    }
    args.push("--include-crds".into());
    for file in value_files
        .iter()
        .map(PathBuf::as_path)
        .chain(inline_values)
    {
        args.extend(["--values".into(), file.as_os_str().to_owned()]);
    }
    for (index, parameter) in options.parameters.iter().enumerate() {
        args.extend(set_flag(index, parameter)?);
    }
    Ok(args)
}

fn non_empty_or<'a>(preferred: &'a str, fallback: &'a str) -> &'a str {
    if preferred.is_empty() {
        fallback
    } else {
        preferred
    }
}

fn set_flag(index: usize, parameter: &HelmParameter) -> Result<[OsString; 2], HelmError> {
    if parameter.name.trim().is_empty() {
        return Err(HelmError::EmptyParameterName { index });
    }
    let flag = if parameter.force_string {
        "--set-string"
    } else {
        "--set"
    };
    let value = escape_set_value(&parameter.value);
    Ok([flag.into(), format!("{}={}", parameter.name, value).into()])
}

/// Escapes commas so that helm does not split one value into several assignments
/// (as Argo CD does); a `{a,b}` list literal is passed through.
fn escape_set_value(value: &str) -> String {
    if value.starts_with('{') && value.ends_with('}') {
        return value.to_owned();
    }
    let mut escaped = String::with_capacity(value.len());
    let mut previous = None;
    for c in value.chars() {
        if c == ',' && previous != Some('\\') {
            escaped.push('\\');
        }
        escaped.push(c);
        previous = Some(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn arguments_follow_argo_cd_order() {
        let options = HelmSource {
            release_name: String::new(),
            namespace: "shop".into(),
            value_files: vec!["values-prod.yaml".into()],
            values: "a: 1".into(),
            parameters: vec![
                HelmParameter {
                    name: "image.tag".into(),
                    value: "1.2".into(),
                    force_string: false,
                },
                HelmParameter {
                    name: "port".into(),
                    value: "8080".into(),
                    force_string: true,
                },
            ],
        };
        let args = template_args(
            Path::new("/c"),
            &options,
            &Release {
                name: "app",
                namespace: "default",
            },
            &[PathBuf::from("/c/values-prod.yaml")],
            Some(Path::new("/tmp/inline.yaml")),
        )
        .unwrap();
        assert_eq!(
            strings(args),
            [
                "template",
                "app",
                "/c",
                "--namespace",
                "shop",
                "--include-crds",
                "--values",
                "/c/values-prod.yaml",
                "--values",
                "/tmp/inline.yaml",
                "--set",
                "image.tag=1.2",
                "--set-string",
                "port=8080",
            ]
        );
    }

    #[test]
    fn release_name_from_spec_wins_and_empty_namespace_is_omitted() {
        let options = HelmSource {
            release_name: "mine".into(),
            ..Default::default()
        };
        let args = template_args(
            Path::new("c"),
            &options,
            &Release {
                name: "app",
                namespace: "",
            },
            &[],
            None,
        )
        .unwrap();
        assert_eq!(strings(args), ["template", "mine", "c", "--include-crds"]);
    }

    #[test]
    fn commas_are_escaped_but_lists_pass() {
        assert_eq!(escape_set_value("a,b"), "a\\,b");
        assert_eq!(escape_set_value("a\\,b"), "a\\,b");
        assert_eq!(escape_set_value("{a,b}"), "{a,b}");
    }

    #[test]
    fn empty_parameter_name_is_refused() {
        let options = HelmSource {
            parameters: vec![HelmParameter::default()],
            ..Default::default()
        };
        let err = template_args(
            Path::new("c"),
            &options,
            &Release {
                name: "a",
                namespace: "",
            },
            &[],
            None,
        )
        .unwrap_err();
        assert!(matches!(err, HelmError::EmptyParameterName { index: 0 }));
    }
}
