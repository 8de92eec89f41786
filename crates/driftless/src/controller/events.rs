//! What happened to an Application, told three ways from one value: the in-process stream
//! behind `GET /api/v1/events`, a Kubernetes Event on the Application, and the log.

use driftless_core::application::Application;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use kube::api::{Api, PostParams};
use kube::Client;
use serde::Serialize;

use crate::sync::status::now_rfc3339;

/// The component name on the Kubernetes Events the controller writes.
pub const COMPONENT: &str = "driftless-controller";

/// One thing that happened to one Application.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppEvent {
    /// `namespace/name` of the Application.
    pub app: String,
    /// What kind of thing happened: `Synced`, `SyncFailed`, `OutOfSync`, `Stalled`, `Progress`,
    /// `Status`, `Deleted`.
    pub reason: String,
    /// `Normal`, or `Warning` for a failure.
    #[serde(rename = "type")]
    pub type_: String,
    /// The commit involved, when there is one.
    pub revision: String,
    /// One line for people (a ChangeSet summary, an error, a progress step). Never holds a
    /// Secret value: sync messages are masked before they get here.
    pub message: String,
    /// When, RFC 3339.
    pub time: String,
}

impl AppEvent {
    /// An event about `app` happening now.
    pub fn new(
        app: &Application,
        reason: &str,
        warning: bool,
        revision: &str,
        message: &str,
    ) -> Self {
        Self {
            app: app.key(),
            reason: reason.to_owned(),
            type_: if warning { "Warning" } else { "Normal" }.to_owned(),
            revision: revision.to_owned(),
            message: message.to_owned(),
            time: now_rfc3339(),
        }
    }

    /// True for a Warning.
    pub fn is_warning(&self) -> bool {
        self.type_ == "Warning"
    }
}

/// Writes `event` as a core/v1 Event on `app` (what `kubectl describe` and `kubectl get
/// events` show). The message is cut to the 1 KiB kube-apiserver keeps.
pub async fn record(
    client: &Client,
    app: &Application,
    event: &AppEvent,
) -> Result<(), kube::Error> {
    let namespace = app.namespace();
    let now = jiff::Timestamp::now();
    let time = Time(now);
    let object = Event {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}.", app.name())),
            namespace: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some(app.api_version.clone()),
            kind: Some(app.kind.clone()),
            name: Some(app.name().to_owned()),
            namespace: Some(namespace.to_owned()),
            uid: app.metadata.uid.clone(),
            resource_version: app.metadata.resource_version.clone(),
            ..ObjectReference::default()
        },
        reason: Some(event.reason.clone()),
        message: Some(truncate(&event.message, 1024)),
        type_: Some(event.type_.clone()),
        source: Some(EventSource {
            component: Some(COMPONENT.to_owned()),
            host: None,
        }),
        reporting_component: Some(COMPONENT.to_owned()),
        reporting_instance: Some(COMPONENT.to_owned()),
        action: Some(event.reason.clone()),
        first_timestamp: Some(time.clone()),
        last_timestamp: Some(time),
        event_time: Some(MicroTime(now)),
        count: Some(1),
        ..Event::default()
    };
    Api::<Event>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &object)
        .await
        .map(|_| ())
}

/// `text` cut to at most `limit` bytes on a character boundary.
fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ééé", 3), "é");
    }
}
