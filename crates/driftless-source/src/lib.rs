//! Git -> Artifact: fetch, revision resolution, content-addressed cache, verification.
#![forbid(unsafe_code)]
