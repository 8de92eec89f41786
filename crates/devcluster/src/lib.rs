//! devcluster: a server that speaks the Kubernetes REST API well enough that kubectl and kube-rs use it
//! unchanged. The embedded default cluster of Driftless.
#![forbid(unsafe_code)]

pub mod shape;
