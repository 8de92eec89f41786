//! Artifact + source options -> manifests: plain directories, Kustomize, Jsonnet, Helm.
#![forbid(unsafe_code)]
