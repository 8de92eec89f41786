//! `driftless crd`: print the CustomResourceDefinitions Driftless needs, as YAML.

use anyhow::Context;

/// The CRDs as a YAML stream (what deploy/crds/ holds).
pub fn render() -> anyhow::Result<String> {
    let crd = driftless_core::application::crd().context("generating the Application CRD")?;
    let yaml = serde_saphyr::to_string(&crd).context("writing the Application CRD as YAML")?;
    Ok(format!("---\n{yaml}"))
}

/// Prints the CRDs to stdout.
pub fn run() -> anyhow::Result<()> {
    print!("{}", render()?);
    Ok(())
}
