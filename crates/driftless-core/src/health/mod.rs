//! Health of live objects, per kind, and of a whole Application.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Health of one object or of an Application. The variants are ordered from best to
/// worst, so the health of a set of objects is the maximum of theirs.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum HealthStatus {
    /// Running as declared.
    Healthy,
    /// Paused or suspended on purpose.
    Suspended,
    /// Not yet as declared, expected to get there.
    Progressing,
    /// Not in the cluster.
    Missing,
    /// Failed, or will not get there without help.
    Degraded,
    /// Could not be assessed.
    #[default]
    Unknown,
}

/// A health status with a human-readable reason (empty when there is nothing to say).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// The status.
    pub status: HealthStatus,
    /// Why, when not obvious.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}
