//! What the rules of every kind share: the two stages, the view of one object a rule reads, conditions and
//! timestamps that keep their time while they hold, and the markers that make a workload fail.

use serde_json::{Map, Value};

/// How far the simulated controllers have got with the current spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The controllers saw the spec (at once): pods created, not ready yet.
    Observed,
    /// After the delay: ready, complete, bound, or failed.
    Settled,
}

/// One object as a rule sees it, with the stage to describe.
pub(crate) struct Seen<'a> {
    /// The stored object.
    pub object: &'a Value,
    /// Which stage to describe.
    pub stage: Stage,
    /// The time new timestamps get.
    pub now: &'a str,
}

/// A condition a rule wants: type, status ("True", "False", "Unknown"), reason and message.
pub(crate) type Cond<'a> = (&'a str, &'a str, &'a str, &'a str);

impl Seen<'_> {
    /// The value at a JSON pointer of the object.
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.object.pointer(pointer)
    }

    /// The integer at a JSON pointer, or `default`.
    pub fn int(&self, pointer: &str, default: i64) -> i64 {
        self.at(pointer).and_then(Value::as_i64).unwrap_or(default)
    }

    /// The string at a JSON pointer, or "".
    pub fn str(&self, pointer: &str) -> &str {
        self.at(pointer).and_then(Value::as_str).unwrap_or_default()
    }

    /// metadata.name.
    pub fn name(&self) -> &str {
        self.str("/metadata/name")
    }

    /// metadata.generation (1 when absent).
    pub fn generation(&self) -> i64 {
        self.int("/metadata/generation", 1)
    }

    /// The timestamp at a JSON pointer of the current object, or now when there is none.
    pub fn time(&self, pointer: &str) -> Value {
        self.at(pointer)
            .filter(|v| v.is_string())
            .cloned()
            .unwrap_or_else(|| Value::String(self.now.to_string()))
    }

    /// The condition of this type the object has now.
    pub fn current_condition(&self, type_: &str) -> Option<&Value> {
        self.at("/status/conditions")?
            .as_array()?
            .iter()
            .find(|c| c["type"] == type_)
    }

    /// status.conditions as wanted. A condition keeps its lastTransitionTime while its status holds, and the
    /// other `times` (lastUpdateTime, lastProbeTime) while its status, reason and message hold.
    pub fn conditions(&self, wanted: &[Cond<'_>], times: &[&str]) -> Value {
        Value::Array(
            wanted
                .iter()
                .map(|wanted| self.condition(*wanted, times))
                .collect(),
        )
    }

    fn condition(&self, (type_, status, reason, message): Cond<'_>, times: &[&str]) -> Value {
        let current = self.current_condition(type_);
        let same = |fields: &[(&str, &str)]| {
            current.is_some_and(|c| {
                fields
                    .iter()
                    .all(|(k, v)| c.get(*k).and_then(Value::as_str).unwrap_or_default() == *v)
            })
        };
        let kept = |field: &str, holds: bool| match current.and_then(|c| c.get(field)) {
            Some(t) if holds && t.is_string() => t.clone(),
            _ => Value::String(self.now.to_string()),
        };
        let mut c = Map::new();
        c.insert("type".into(), type_.into());
        c.insert("status".into(), status.into());
        for (field, value) in [("reason", reason), ("message", message)] {
            if !value.is_empty() {
                c.insert(field.into(), value.into());
            }
        }
        let unchanged = same(&[("status", status), ("reason", reason), ("message", message)]);
        for field in times {
            c.insert((*field).into(), kept(field, unchanged));
        }
        c.insert(
            "lastTransitionTime".into(),
            kept("lastTransitionTime", same(&[("status", status)])),
        );
        Value::Object(c)
    }
}

/// Whether every field of `want` is in `have` with the same value; every element of a wanted list must be
/// covered by an element of the list `have` holds (which may hold more: another writer's conditions).
pub(crate) fn covers(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| covers(hv, wv))),
        (Value::Array(h), Value::Array(w)) => w.iter().all(|wv| h.iter().any(|hv| covers(hv, wv))),
        _ => have == want,
    }
}

/// The containers of a pod spec (init containers are not simulated).
pub(crate) fn containers(pod_spec: Option<&Value>) -> impl Iterator<Item = &Value> {
    pod_spec
        .and_then(|spec| spec.get("containers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// An image whose tag is `fail` cannot be pulled.
pub(crate) fn image_fails(container: &Value) -> bool {
    container
        .get("image")
        .and_then(Value::as_str)
        .is_some_and(|image| image.ends_with(":fail"))
}

/// A container whose command or args say `exit 1` exits with status 1.
pub(crate) fn command_fails(container: &Value) -> bool {
    ["command", "args"]
        .into_iter()
        .filter_map(|field| container.get(field)?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .any(says_exit_1)
}

fn says_exit_1(script: &str) -> bool {
    let words: Vec<&str> = script
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|w| w == ["exit", "1"])
}

/// Whether any container of a pod spec has an image that cannot be pulled.
pub(crate) fn any_image_fails(pod_spec: Option<&Value>) -> bool {
    containers(pod_spec).any(image_fails)
}

/// The name kube-controller-manager gives what a template makes (a ReplicaSet, a controller revision):
/// `<name>-<hash of the template>`, the hash in the alphabet of generated names.
pub(crate) fn template_name(name: &str, template: Option<&Value>) -> String {
    let hash = fnv32(&template.map(Value::to_string).unwrap_or_default());
    const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let encoded: String = hash
        .to_string()
        .bytes()
        .map(|d| SAFE[usize::from(d) % SAFE.len()] as char)
        .collect();
    format!("{name}-{encoded}")
}

/// The 32-bit FNV-1a hash of a text (kube-controller-manager hashes templates with it).
pub(crate) fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exit_1_is_a_word_pair_not_a_prefix() {
        assert!(says_exit_1("echo boom; exit 1"));
        assert!(says_exit_1("exit 1"));
        assert!(!says_exit_1("exit 10"));
        assert!(!says_exit_1("exit 0"));
    }

    #[test]
    fn covers_wants_every_field_and_every_list_element() {
        let have = json!({"a": 1, "l": [{"t": "x", "s": 1}, {"t": "other"}], "b": 2});
        assert!(covers(&have, &json!({"a": 1, "l": [{"t": "x"}]})));
        assert!(!covers(&have, &json!({"l": [{"t": "x"}, {"t": "y"}]})));
        assert!(!covers(&have, &json!({"l": [{"t": "x", "s": 2}]})));
        assert!(!covers(&have, &json!({"c": 1})));
    }

    #[test]
    fn template_name_changes_with_the_template() {
        let a = template_name("web", Some(&json!({"image": "a"})));
        let b = template_name("web", Some(&json!({"image": "b"})));
        assert!(a.starts_with("web-") && a != b);
        assert_eq!(a, template_name("web", Some(&json!({"image": "a"}))));
    }
}
