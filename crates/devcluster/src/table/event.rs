//! The cells of core/v1 Events.

use serde_json::{json, Value};

use super::cells::Cx;

/// When an Event was first seen (its event time for new-style events).
pub fn event_first_seen(cx: &Cx) -> Value {
    json!(first_seen(cx))
}

fn first_seen(cx: &Cx) -> String {
    if cx.get("/firstTimestamp").is_some_and(|v| !v.is_null()) {
        cx.age_of("/firstTimestamp")
    } else {
        cx.age_of("/eventTime")
    }
}

/// When an Event was last seen: its series' last observation, its last timestamp, or its first.
pub fn event_last_seen(cx: &Cx) -> Value {
    let text = if cx.get("/series/lastObservedTime").is_some() {
        cx.age_of("/series/lastObservedTime")
    } else if cx.get("/lastTimestamp").is_some_and(|v| !v.is_null()) {
        cx.age_of("/lastTimestamp")
    } else {
        first_seen(cx)
    };
    json!(text)
}

/// The object an Event is about: `kind/name` in lower-case kind.
pub fn event_object(cx: &Cx) -> Value {
    let kind = cx.text("/involvedObject/kind").to_lowercase();
    match cx.text("/involvedObject/name") {
        "" => json!(kind),
        name => json!(format!("{kind}/{name}")),
    }
}

/// The component (and host) that reported an Event.
pub fn event_source(cx: &Cx) -> Value {
    let (component, host) = match cx.text("/source/component") {
        "" => (
            cx.text("/reportingComponent"),
            cx.text("/reportingInstance"),
        ),
        component => (component, cx.text("/source/host")),
    };
    json!(if host.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {host}")
    })
}

/// An Event's message, trimmed.
pub fn event_message(cx: &Cx) -> Value {
    json!(cx.text("/message").trim())
}

/// How often an Event occurred (at least once).
pub fn event_count(cx: &Cx) -> Value {
    let count = cx
        .get("/series/count")
        .or_else(|| cx.get("/count"))
        .and_then(Value::as_i64)
        .filter(|c| *c > 0)
        .unwrap_or(1);
    json!(count)
}
