//! The Job controller: started at once, then Complete after the delay, or Failed when its pods would fail.

use serde_json::{json, Map, Value};

use super::rules::{command_fails, containers, image_fails, Cond, Seen, Stage};

const CONDITION_TIMES: &[&str] = &["lastProbeTime"];
const SUSPENDED: Cond<'static> = ("Suspended", "True", "JobSuspended", "Job suspended");
const RESUMED: Cond<'static> = ("Suspended", "False", "JobResumed", "Job resumed");
const DONE: &str = "Reached expected number of succeeded pods";
const LIMIT: &str = "Job has reached the specified backoff limit";

/// A Job. Suspended: the Suspended condition and no active pods. Otherwise startTime and its active pods at
/// once; after the delay `succeeded` reaches `completions` with SuccessCriteriaMet and Complete, or, when a
/// container's image ends in `:fail` or its command says `exit 1`, `failed` reaches `backoffLimit + 1` with
/// FailureTarget and Failed (BackoffLimitExceeded). A resumed Job's Suspended condition turns False.
pub(crate) fn job(seen: &Seen<'_>) -> Value {
    let suspended = seen.at("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let completions = seen.int("/spec/completions", 1);
    let fails =
        containers(seen.at("/spec/template/spec")).any(|c| image_fails(c) || command_fails(c));
    let mut status = Map::new();
    let mut conditions = Vec::new();
    let active = match (suspended, seen.stage, fails) {
        (true, _, _) => {
            conditions.push(SUSPENDED);
            0
        }
        (false, Stage::Observed, _) => seen.int("/spec/parallelism", 1).min(completions),
        (false, Stage::Settled, false) => {
            let time = seen.time("/status/completionTime");
            status.insert("completionTime".into(), time);
            status.insert("succeeded".into(), completions.into());
            conditions.push(("SuccessCriteriaMet", "True", "CompletionsReached", DONE));
            conditions.push(("Complete", "True", "CompletionsReached", DONE));
            0
        }
        (false, Stage::Settled, true) => {
            let failed = seen.int("/spec/backoffLimit", 6) + 1;
            status.insert("failed".into(), failed.into());
            conditions.push(("FailureTarget", "True", "BackoffLimitExceeded", LIMIT));
            conditions.push(("Failed", "True", "BackoffLimitExceeded", LIMIT));
            0
        }
    };
    if !suspended {
        status.insert("startTime".into(), seen.time("/status/startTime"));
        if seen.current_condition("Suspended").is_some() {
            conditions.insert(0, RESUMED);
        }
    }
    status.insert("active".into(), active.into());
    status.insert("ready".into(), 0.into());
    if !conditions.is_empty() {
        let list = seen.conditions(&conditions, CONDITION_TIMES);
        status.insert("conditions".into(), list);
    }
    json!({ "status": status })
}
