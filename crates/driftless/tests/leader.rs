//! Leader election against a devcluster with short timings: lease 2 s, renew deadline 1.5 s,
//! retry 250 ms.

use std::time::Duration;

use devcluster::{DevCluster, DevClusterConfig};
use driftless::controller::leader::{LeaderElector, LeaseConfig};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::PostParams;
use kube::Api;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

const LEASE: Duration = Duration::from_secs(2);
const RENEW_DEADLINE: Duration = Duration::from_millis(1500);
const RETRY: Duration = Duration::from_millis(250);
/// Scheduling and API latency allowed on top of a bound.
const SLACK: Duration = Duration::from_millis(300);
const NAMESPACE: &str = "default";
const NAME: &str = "driftless-controller";

/// One elector running on its own task.
struct Candidate {
    identity: String,
    leading: watch::Receiver<bool>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), driftless::controller::leader::LeaderError>>,
}

impl Candidate {
    fn start(cluster: &DevCluster, identity: &str) -> Candidate {
        let config = LeaseConfig {
            namespace: NAMESPACE.to_owned(),
            name: NAME.to_owned(),
            identity: identity.to_owned(),
            lease_duration: LEASE,
            renew_deadline: RENEW_DEADLINE,
            retry_period: RETRY,
        };
        let elector = LeaderElector::new(cluster.client(), config).unwrap();
        let (sender, leading) = watch::channel(false);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            elector
                .run(&sender, async {
                    let _ = stopped.await;
                })
                .await
        });
        Candidate {
            identity: identity.to_owned(),
            leading,
            stop: Some(stop),
            task,
        }
    }

    fn is_leading(&self) -> bool {
        *self.leading.borrow()
    }

    /// Waits until this candidate's flag is `value`; how long it took, or None after `limit`.
    async fn wait_for(&mut self, value: bool, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        tokio::time::timeout(limit, self.leading.wait_for(|v| *v == value))
            .await
            .ok()?
            .ok()?;
        Some(start.elapsed())
    }
}

async fn lease(cluster: &DevCluster) -> Lease {
    Api::<Lease>::namespaced(cluster.client(), NAMESPACE)
        .get(NAME)
        .await
        .unwrap()
}

/// Starts two candidates and waits until one leads; returns (leader, standby).
async fn elected(cluster: &DevCluster) -> (Candidate, Candidate) {
    let a = Candidate::start(cluster, "replica-a");
    let b = Candidate::start(cluster, "replica-b");
    let deadline = Instant::now() + LEASE + RETRY * 4;
    while !a.is_leading() && !b.is_leading() {
        assert!(Instant::now() < deadline, "nobody was elected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if a.is_leading() {
        (a, b)
    } else {
        (b, a)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_two_electors_leads() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    let (leader, standby) = elected(&cluster).await;
    // For several renewals, exactly one leads and the Lease names it.
    let until = Instant::now() + LEASE + RETRY * 2;
    while Instant::now() < until {
        assert!(
            leader.is_leading() && !standby.is_leading(),
            "exactly one leads"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(
        spec.holder_identity.as_deref(),
        Some(leader.identity.as_str())
    );
    assert_eq!(spec.lease_duration_seconds, Some(2));
    assert_eq!(spec.lease_transitions, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_takes_over_a_crashed_leader_within_lease_duration_plus_retry() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    let (leader, mut standby) = elected(&cluster).await;
    // Let the standby watch a few renewals, then crash the leader: no release.
    tokio::time::sleep(RETRY * 3).await;
    leader.task.abort();
    let took = standby
        .wait_for(true, LEASE + RETRY * 4)
        .await
        .expect("the standby takes over");
    println!(
        "failover after a crash: {took:?} (bound {:?})",
        LEASE + RETRY
    );
    assert!(took <= LEASE + RETRY + SLACK, "took {took:?}");
    // Not before the lease could have expired: the last renewal was at most one retry
    // period before the crash.
    assert!(
        took >= LEASE - RETRY - SLACK,
        "took over too early: {took:?}"
    );
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(
        spec.holder_identity.as_deref(),
        Some(standby.identity.as_str())
    );
    assert_eq!(spec.lease_transitions, Some(1));
    assert!(spec.acquire_time.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_that_shuts_down_releases_and_standby_leads_within_one_retry_period() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    let (mut leader, mut standby) = elected(&cluster).await;
    tokio::time::sleep(RETRY * 2).await;
    let _ = leader.stop.take().unwrap().send(());
    let stopped = leader.wait_for(false, RETRY).await;
    assert!(stopped.is_some(), "the leader stops leading at once");
    let took = standby
        .wait_for(true, LEASE + RETRY * 4)
        .await
        .expect("the standby takes over");
    println!("failover after a release: {took:?} (bound {:?})", RETRY);
    assert!(took <= RETRY + SLACK, "took {took:?}");
    leader.task.await.unwrap().expect("the release succeeded");
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(
        spec.holder_identity.as_deref(),
        Some(standby.identity.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_steps_down_when_another_holder_takes_the_lease() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    let mut leader = Candidate::start(&cluster, "replica-a");
    leader
        .wait_for(true, LEASE + RETRY * 4)
        .await
        .expect("a lone candidate leads");
    // Someone else writes the Lease as theirs.
    let api: Api<Lease> = Api::namespaced(cluster.client(), NAMESPACE);
    let mut taken = lease(&cluster).await;
    if let Some(spec) = taken.spec.as_mut() {
        spec.holder_identity = Some("intruder".to_owned());
        spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
    }
    api.replace(NAME, &PostParams::default(), &taken)
        .await
        .unwrap();
    let took = leader
        .wait_for(false, RETRY * 4)
        .await
        .expect("the leader steps down");
    println!("step-down after a takeover: {took:?} (bound {:?})", RETRY);
    assert!(took <= RETRY + SLACK, "took {took:?}");
    // The intruder never renews: once its lease has run out by our observation, we lead again,
    // and not before.
    let back = leader
        .wait_for(true, LEASE + RETRY * 4)
        .await
        .expect("the lease is taken back after it expires");
    println!(
        "re-acquired after the intruder's lease expired: {:?}",
        took + back
    );
    assert!(
        took + back >= LEASE - SLACK,
        "re-acquired too early: {:?}",
        took + back
    );
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("replica-a"));
    assert_eq!(spec.lease_transitions, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_steps_down_when_renewals_fail_past_the_deadline() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    let mut leader = Candidate::start(&cluster, "replica-a");
    leader
        .wait_for(true, LEASE + RETRY * 4)
        .await
        .expect("a lone candidate leads");
    // The API goes away: renewals fail (connection refused).
    let stopped_at = Instant::now();
    cluster.stop(Duration::from_millis(100)).await;
    leader
        .wait_for(false, LEASE * 2)
        .await
        .expect("the leader steps down");
    let took = stopped_at.elapsed();
    println!("step-down with the API unreachable: {took:?} (bound {RENEW_DEADLINE:?})");
    assert!(took <= RENEW_DEADLINE + SLACK, "took {took:?}");
    assert!(took < LEASE, "stepped down before anyone could take over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renew_time_from_a_skewed_clock_does_not_shorten_the_lease() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    // A holder whose clock is an hour behind ours: by its renewTime the lease expired long
    // ago, but it is judged by when we first saw the record.
    let an_hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3600);
    let skewed: Lease = serde_json::from_value(serde_json::json!({
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "holderIdentity": "skewed-clock",
            "leaseDurationSeconds": 2,
            "acquireTime": MicroTime(an_hour_ago),
            "renewTime": MicroTime(an_hour_ago),
        },
    }))
    .unwrap();
    Api::<Lease>::namespaced(cluster.client(), NAMESPACE)
        .create(&PostParams::default(), &skewed)
        .await
        .unwrap();
    let mut candidate = Candidate::start(&cluster, "replica-a");
    let took = candidate
        .wait_for(true, LEASE + RETRY * 4)
        .await
        .expect("the unrenewed lease is taken over eventually");
    println!("takeover of a lease renewed by a skewed clock: {took:?} (not before {LEASE:?})");
    assert!(
        took >= LEASE - Duration::from_millis(50),
        "took over too early: {took:?}"
    );
    assert!(took <= LEASE + RETRY + SLACK, "took {took:?}");
    let spec = lease(&cluster).await.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("replica-a"));
    assert_eq!(spec.lease_transitions, Some(1));
}
