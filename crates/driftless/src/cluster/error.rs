//! Errors of the cluster layer, naming the object and the verb that failed.

use driftless_core::ObjectRef;

/// What went wrong talking to the cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The cluster does not serve the object's kind (no CRD yet, or a typo in apiVersion/kind).
    #[error("{object}: the cluster does not serve kind {kind} in {api_version}")]
    UnknownKind {
        /// The object.
        object: Box<ObjectRef>,
        /// Its kind.
        kind: String,
        /// Its apiVersion.
        api_version: String,
    },
    /// Discovery of a group version failed for another reason than "not served".
    #[error("discovery of {api_version} failed: {message}")]
    Discovery {
        /// The group version asked about.
        api_version: String,
        /// What the client said.
        message: String,
    },
    /// The API refused or failed a request.
    #[error("{object}: {verb} failed: {message}")]
    Api {
        /// The object.
        object: Box<ObjectRef>,
        /// `get`, `list`, `dry-run`, `apply`, `delete`.
        verb: &'static str,
        /// The Status reason (`Invalid`, `Conflict`, `Forbidden`, ...), empty when unknown.
        reason: String,
        /// HTTP code, 0 when the request did not get an answer.
        code: u16,
        /// The API's message, or the transport error.
        message: String,
    },
    /// The answer could not be decoded.
    #[error("{object}: decoding the {verb} response failed: {message}")]
    Decode {
        /// The object.
        object: Box<ObjectRef>,
        /// The verb.
        verb: &'static str,
        /// The decoder's message.
        message: String,
    },
}

impl ClusterError {
    /// Wraps a kube-rs error of `verb` on `object`, keeping the Status reason and code.
    pub fn api(object: &ObjectRef, verb: &'static str, error: kube::Error) -> Self {
        let (reason, code, message) = match error {
            kube::Error::Api(status) => {
                (status.reason.clone(), status.code, status.message.clone())
            }
            other => (String::new(), 0, other.to_string()),
        };
        ClusterError::Api {
            object: Box::new(object.clone()),
            verb,
            reason,
            code,
            message,
        }
    }

    /// The Status reason of an API error (`Invalid`, `Conflict`, ...), empty otherwise.
    pub fn reason(&self) -> &str {
        match self {
            ClusterError::Api { reason, .. } => reason,
            _ => "",
        }
    }

    /// True when the API refused to change a field that cannot change after creation (what
    /// `Replace=true` recovers from): a 422 whose message is one of kube-apiserver's wordings
    /// for it ("field is immutable", Services' "may not change once set", StatefulSets'
    /// "updates to statefulset spec for fields other than", Pods' "pod updates may not change
    /// fields", bindings' "cannot change roleRef").
    pub fn is_immutable_field(&self) -> bool {
        const WORDINGS: [&str; 5] = [
            "immutable",
            "may not change once set",
            "updates to statefulset spec for fields other than",
            "pod updates may not change fields",
            "cannot change roleRef",
        ];
        matches!(self, ClusterError::Api { code: 422, message, .. }
            if WORDINGS.iter().any(|wording| message.contains(wording)))
    }

    /// True for errors worth retrying later: no answer, throttling, server errors.
    pub fn is_transient(&self) -> bool {
        matches!(self, ClusterError::Api { code, .. } if *code == 0 || *code == 429 || *code >= 500)
            || matches!(self, ClusterError::Discovery { .. })
    }
}
