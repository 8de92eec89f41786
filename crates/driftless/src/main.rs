//! The `driftless` binary.
#![forbid(unsafe_code)]

fn main() {}
