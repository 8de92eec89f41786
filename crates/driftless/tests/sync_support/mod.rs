//! Harness of the sync end-to-end tests: Git repositories the tests commit to (served from
//! their directory or by `git daemon`), Application files, and an in-process devcluster with
//! the workload simulator that the real `driftless` binary and kubectl both talk to through a
//! kubeconfig file. Every helper panics loudly when git or kubectl is missing: the tests must
//! not pass by skipping.
//!
//! One module per part: [`repo`] (Git repositories and `git daemon`), [`app`] (the Application
//! builder), [`manifests`] (manifest builders), [`cluster`] (the devcluster and the commands run
//! against it), [`table`] (command output and its ChangeSet table), [`objects`] (readers of the
//! objects kubectl returns) and [`watch`] (the watch mode as a child process).

// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]

mod app;
mod cluster;
mod controller;
pub mod http;
mod manifests;
mod objects;
mod repo;
mod table;
pub mod watch;

// The helpers as the tests name them, `sync_support::*`; each binary uses only part of them.
#[allow(unused_imports)]
pub use self::{app::*, cluster::*, controller::*, manifests::*, objects::*, repo::*, table::*};
