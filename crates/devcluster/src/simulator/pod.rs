//! The kubelet of the one simulated node: Pods, and the volume controller binding their claims.

use serde_json::{json, Map, Value};

use super::rules::{command_fails, containers, image_fails, Seen, Stage};

/// The address of the simulated node (and of every load balancer).
pub(crate) const NODE_IP: &str = "127.0.0.1";

/// What became of one container.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Running,
    /// The image ends in `:fail`.
    ImagePullBackOff,
    /// The command says `exit 1` and the pod restarts it.
    CrashLoopBackOff,
    /// The command says `exit 1` and restartPolicy is Never.
    Exited,
}

fn outcome(container: &Value, restarts: bool) -> Outcome {
    if image_fails(container) {
        Outcome::ImagePullBackOff
    } else if !command_fails(container) {
        Outcome::Running
    } else if restarts {
        Outcome::CrashLoopBackOff
    } else {
        Outcome::Exited
    }
}

/// A Pod: scheduled (Pending) at once; after the delay Running with every container ready, except that an
/// image ending in `:fail` waits in ImagePullBackOff (the pod stays Pending) and a command saying `exit 1`
/// waits in CrashLoopBackOff (or, with restartPolicy Never, terminates with exit code 1 and the pod Fails).
pub(crate) fn pod(seen: &Seen<'_>) -> Value {
    let scheduled = ("PodScheduled", "True", "", "");
    if seen.stage == Stage::Observed {
        return json!({"status": {"phase": "Pending", "conditions": seen.conditions(&[scheduled], &[])}});
    }
    let restarts = seen.str("/spec/restartPolicy") != "Never";
    let list: Vec<&Value> = containers(seen.at("/spec")).collect();
    let outcomes: Vec<Outcome> = list.iter().map(|c| outcome(c, restarts)).collect();
    let phase = if outcomes.contains(&Outcome::ImagePullBackOff) {
        "Pending"
    } else if !outcomes.is_empty() && outcomes.iter().all(|o| *o == Outcome::Exited) {
        "Failed"
    } else {
        "Running"
    };
    let unready: Vec<&str> = list
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o != Outcome::Running)
        .filter_map(|(c, _)| c.get("name")?.as_str())
        .collect();
    let not_ready = format!("containers with unready status: [{}]", unready.join(" "));
    let ready = match unready.is_empty() {
        true => ("True", "", ""),
        false => ("False", "ContainersNotReady", not_ready.as_str()),
    };
    let conditions = [
        ("PodReadyToStartContainers", "True", "", ""),
        ("Initialized", "True", "", ""),
        ("Ready", ready.0, ready.1, ready.2),
        ("ContainersReady", ready.0, ready.1, ready.2),
        scheduled,
    ];
    let statuses: Vec<Value> = list
        .iter()
        .zip(&outcomes)
        .enumerate()
        .map(|(i, (c, o))| container_status(seen, i, c, *o))
        .collect();
    json!({"status": {
        "phase": phase,
        "conditions": seen.conditions(&conditions, &[]),
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "startTime": seen.time("/status/startTime"),
        "containerStatuses": statuses,
    }})
}

/// status.containerStatuses[i] for a container with the given outcome.
fn container_status(seen: &Seen<'_>, i: usize, container: &Value, outcome: Outcome) -> Value {
    let name = container.get("name").cloned().unwrap_or(Value::Null);
    let image = container.get("image").cloned().unwrap_or(Value::Null);
    let time = |path: &str| seen.time(&format!("/status/containerStatuses/{i}/{path}"));
    let exited = |path: &str| json!({"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": time(path)}});
    let mut status = Map::new();
    let (state, running) = match outcome {
        Outcome::Running => (
            json!({"running": {"startedAt": time("state/running/startedAt")}}),
            true,
        ),
        Outcome::ImagePullBackOff => {
            let message = format!(
                "Back-off pulling image \"{}\"",
                image.as_str().unwrap_or_default()
            );
            (
                json!({"waiting": {"reason": "ImagePullBackOff", "message": message}}),
                false,
            )
        }
        Outcome::CrashLoopBackOff => {
            let message = format!(
                "back-off 10s restarting failed container={} pod={}",
                name.as_str().unwrap_or_default(),
                seen.name()
            );
            status.insert(
                "lastState".into(),
                exited("lastState/terminated/finishedAt"),
            );
            (
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}}),
                false,
            )
        }
        Outcome::Exited => (exited("state/terminated/finishedAt"), false),
    };
    let restarts = i64::from(outcome == Outcome::CrashLoopBackOff);
    for (field, value) in [
        ("name", name),
        ("image", image),
        ("imageID", Value::String(String::new())),
        ("ready", running.into()),
        ("started", running.into()),
        ("restartCount", restarts.into()),
        ("state", state),
    ] {
        status.insert(field.into(), value);
    }
    Value::Object(status)
}

/// A PersistentVolumeClaim: Pending at once, Bound after the delay with the access modes and the storage it
/// requested.
pub(crate) fn claim(seen: &Seen<'_>) -> Value {
    if seen.stage == Stage::Observed {
        return json!({"status": {"phase": "Pending"}});
    }
    let mut status = Map::new();
    status.insert("phase".into(), "Bound".into());
    if let Some(modes) = seen.at("/spec/accessModes") {
        status.insert("accessModes".into(), modes.clone());
    }
    if let Some(storage) = seen.at("/spec/resources/requests/storage") {
        status.insert("capacity".into(), json!({ "storage": storage }));
    }
    json!({ "status": status })
}
