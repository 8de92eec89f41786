//! Pure model and logic of Driftless: Application types, object references, manifests,
//! normalisation and diff, health, ordering and sync plans, inventory. No I/O.
#![forbid(unsafe_code)]

pub mod application;
pub mod changeset;
pub mod diff;
pub mod health;
pub mod manifest;
pub mod object_ref;
pub mod plan;
pub mod source;
pub mod tracking;

pub use application::Application;
pub use changeset::{Action, ChangeEntry, ChangeSet};
pub use manifest::{Manifest, Origin};
pub use object_ref::{split_api_version, ObjectRef, ObjectRefError};
pub use source::{
    DirectorySource, HelmParameter, HelmSource, JsonnetSource, JsonnetVar, KustomizeSource,
    SecretRef, SourceSpec,
};
