//! Jobs: started, then Complete, Failed or Suspended.

use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::{api, common, create, has_condition, int, job, simulated, wait_until, watch};

#[tokio::test]
async fn job_starts_then_completes() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let mut states = watch(&jobs, "migrate").await;
    let name = create(
        &jobs,
        job("migrate", "batch", "busybox", Some("echo done"), 6),
    )
    .await;
    let started = states
        .until("started", |j| j["status"]["startTime"].is_string())
        .await;
    assert!(
        started["status"]["conditions"].is_null(),
        "not complete before the delay"
    );
    assert_eq!(int(&started, "/status/active"), 1);
    let done = wait_until(&jobs, &name, "complete", |j| {
        has_condition(j, "Complete", "True", "CompletionsReached")
    })
    .await;
    assert_eq!(int(&done, "/status/succeeded"), 1);
    assert_eq!(int(&done, "/status/active"), 0);
    assert!(done["status"]["completionTime"].is_string());
    assert_eq!(done["status"]["startTime"], started["status"]["startTime"]);
    assert!(has_condition(
        &done,
        "SuccessCriteriaMet",
        "True",
        "CompletionsReached"
    ));
}

#[tokio::test]
async fn suspended_job_waits_and_completes_once_resumed() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let mut manifest = job("later", "batch", "busybox", None, 6);
    manifest["spec"]["suspend"] = true.into();
    let name = create(&jobs, manifest).await;
    let suspended = wait_until(&jobs, &name, "suspended", |j| {
        has_condition(j, "Suspended", "True", "JobSuspended")
    })
    .await;
    assert!(suspended["status"]["startTime"].is_null());
    let resume = json!({"spec": {"suspend": false}});
    jobs.patch(&name, &PatchParams::default(), &Patch::Merge(resume))
        .await
        .unwrap();
    let done = wait_until(&jobs, &name, "complete", |j| {
        has_condition(j, "Complete", "True", "CompletionsReached")
    })
    .await;
    assert!(has_condition(&done, "Suspended", "False", "JobResumed"));
    assert_eq!(int(&done, "/status/active"), 0);
}

#[tokio::test]
async fn job_whose_command_exits_1_with_backoff_limit_0_fails() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let name = create(
        &jobs,
        job("check", "batch", "busybox", Some("echo boom; exit 1"), 0),
    )
    .await;
    let failed = wait_until(&jobs, &name, "failed", |j| {
        has_condition(j, "Failed", "True", "BackoffLimitExceeded")
    })
    .await;
    assert_eq!(int(&failed, "/status/failed"), 1);
    assert!(failed["status"]["completionTime"].is_null());
    assert!(!has_condition(
        &failed,
        "Complete",
        "True",
        "CompletionsReached"
    ));
}

#[tokio::test]
async fn job_with_a_fail_image_fails() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let name = create(&jobs, job("pull", "batch", "busybox:fail", None, 2)).await;
    let failed = wait_until(&jobs, &name, "failed", |j| {
        has_condition(j, "Failed", "True", "BackoffLimitExceeded")
    })
    .await;
    assert_eq!(int(&failed, "/status/failed"), 3);
}
