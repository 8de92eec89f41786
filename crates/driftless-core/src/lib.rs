//! Pure model and logic of Driftless: Application types, object references, manifests,
//! normalisation and diff, health, ordering and sync plans, inventory. No I/O.
#![forbid(unsafe_code)]
