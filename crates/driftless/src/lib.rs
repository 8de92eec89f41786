//! Driftless the product: the cluster layer (discovery, ResourceManager) and the sync engine
//! that the `driftless` binary drives.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod controller;
pub mod server;
pub mod sync;
