//! Leader election through a `coordination.k8s.io/v1` Lease, as client-go does it, so that
//! several controller replicas can run and exactly one reconciles.
//!
//! The elector polls the Lease every `retry_period`. It creates the Lease when it is missing,
//! renews it while holding it (an update with the read resourceVersion as precondition, so a
//! concurrent writer makes it fail with 409 instead of being overwritten), and takes it over
//! when the holder is empty or the record has not changed for `leaseDurationSeconds`. Expiry
//! is judged by the local monotonic time at which this process last saw the record change,
//! never by comparing the holder's `renewTime` with the local clock, so clock skew between
//! replicas cannot make two of them lead. A leader stops leading (sends `false`) as soon as it
//! sees another holder or a conflicting write, and at the latest `renew_deadline` after its
//! last successful renewal; since `renew_deadline < lease_duration`, it has stopped before any
//! standby can consider the Lease expired.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use tokio::sync::watch;
use tokio::time::Instant;

/// The Lease's name unless configured otherwise.
pub const DEFAULT_LEASE_NAME: &str = "driftless-controller";

/// The namespace of the Lease unless configured otherwise.
pub const DEFAULT_NAMESPACE: &str = "driftless";

/// Where the Lease lives, who this process is, and the timings of the election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseConfig {
    /// Namespace of the Lease (default `driftless`).
    pub namespace: String,
    /// Name of the Lease (default [`DEFAULT_LEASE_NAME`]).
    pub name: String,
    /// This process's holder identity, unique among the replicas (default
    /// [`default_identity`]).
    pub identity: String,
    /// How long a Lease that is not renewed stays with its holder (default 15 s; whole
    /// seconds are written, rounded up).
    pub lease_duration: Duration,
    /// How long a leader keeps leading while renewals fail (default 10 s); must be shorter
    /// than `lease_duration`.
    pub renew_deadline: Duration,
    /// How often the Lease is read and renewed (default 2 s); must be shorter than
    /// `renew_deadline`.
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// The defaults with the Lease in `namespace`.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            ..Self::default()
        }
    }

    /// Checks the timings: `0 < retry_period < renew_deadline < lease_duration`, a lease of at
    /// least one second, and non-empty names.
    pub fn validate(&self) -> Result<(), LeaderError> {
        let invalid = |reason: &str| {
            Err(LeaderError::InvalidConfig {
                reason: reason.to_owned(),
            })
        };
        if self.namespace.is_empty() || self.name.is_empty() || self.identity.is_empty() {
            return invalid("namespace, name and identity must not be empty");
        }
        if self.lease_duration < Duration::from_secs(1) {
            return invalid("lease_duration must be at least 1s");
        }
        if self.renew_deadline >= self.lease_duration {
            return invalid("renew_deadline must be shorter than lease_duration");
        }
        if self.retry_period.is_zero() || self.retry_period >= self.renew_deadline {
            return invalid("retry_period must be positive and shorter than renew_deadline");
        }
        Ok(())
    }

    /// `lease_duration` in whole seconds, rounded up, as written to the Lease.
    fn lease_seconds(&self) -> i32 {
        let seconds =
            self.lease_duration.as_secs() + u64::from(self.lease_duration.subsec_nanos() > 0);
        i32::try_from(seconds).unwrap_or(i32::MAX)
    }
}

impl Default for LeaseConfig {
    /// Namespace `driftless`, Lease `driftless-controller`, a fresh [`default_identity`] and
    /// client-go's timings (15 s / 10 s / 2 s), which [`LeaseConfig::validate`] accepts.
    fn default() -> Self {
        Self {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            name: DEFAULT_LEASE_NAME.to_owned(),
            identity: default_identity(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// `hostname-pid-random`: unique per process even when two replicas share a host name.
pub fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "driftless".to_owned());
    // RandomState is seeded randomly per process (and per instance).
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let random = hasher.finish() as u32;
    format!("{host}-{}-{random:08x}", std::process::id())
}

/// What went wrong in the election.
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// The configuration cannot give a safe election.
    #[error("invalid lease configuration: {reason}")]
    InvalidConfig {
        /// Which rule is broken.
        reason: String,
    },
    /// The Lease could not be read.
    #[error("reading lease {lease}")]
    Read {
        /// `namespace/name`.
        lease: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The Lease could not be created.
    #[error("creating lease {lease}")]
    Create {
        /// `namespace/name`.
        lease: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The Lease could not be renewed or taken over.
    #[error("updating lease {lease}")]
    Update {
        /// `namespace/name`.
        lease: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// A Lease call did not answer in time.
    #[error("lease {lease}: no answer within {after:?}")]
    Timeout {
        /// `namespace/name`.
        lease: String,
        /// How long it waited.
        after: Duration,
    },
    /// Releasing the Lease at shutdown failed; standbys take over once it expires.
    #[error("releasing lease {lease}")]
    Release {
        /// `namespace/name`.
        lease: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

/// The outcome of one look at the Lease.
#[derive(Debug)]
enum Step {
    /// This process holds the Lease (created, renewed or taken over).
    Leading,
    /// Another holder has it and, by our observation, until `expires`.
    HeldBy { holder: String, expires: Instant },
    /// A concurrent writer changed the Lease between our read and our write.
    Conflict,
}

/// The last version of the Lease record this process saw, and when it first saw it.
#[derive(Debug)]
struct Observed {
    resource_version: String,
    lease_duration: Duration,
    at: Instant,
}

/// Elects one leader among the processes sharing a Lease.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaseConfig,
    lease: String,
}

impl LeaderElector {
    /// An elector over the Lease `config.namespace/config.name`; fails when the timings are
    /// unsafe (see [`LeaseConfig::validate`]).
    pub fn new(client: Client, config: LeaseConfig) -> Result<Self, LeaderError> {
        config.validate()?;
        Ok(Self {
            api: Api::namespaced(client, &config.namespace),
            lease: format!("{}/{}", config.namespace, config.name),
            config,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// Takes part in the election until `shutdown` completes, keeping `leading` true exactly
    /// while this process may reconcile: it is set to false before any other process can
    /// acquire the Lease. At shutdown a leader sends false, then releases the Lease so a
    /// standby takes over within one retry period; the error is that of the release (the
    /// Lease then expires on its own). API errors during the election are logged and retried.
    pub async fn run<F>(
        &self,
        leading: &watch::Sender<bool>,
        shutdown: F,
    ) -> Result<(), LeaderError>
    where
        F: Future<Output = ()>,
    {
        tokio::pin!(shutdown);
        set(leading, false);
        let mut observed: Option<Observed> = None;
        // When leading: when the last successful renewal started.
        let mut renewed: Option<Instant> = None;
        loop {
            let started = Instant::now();
            if let Some(at) = renewed {
                if started >= at + self.config.renew_deadline {
                    tracing::warn!(lease = %self.lease, "lease not renewed within the deadline: stopping leading");
                    renewed = None;
                    set(leading, false);
                }
            }
            let budget = match renewed {
                Some(at) => (at + self.config.renew_deadline).saturating_duration_since(started),
                None => self.config.renew_deadline,
            };
            let step = tokio::select! {
                () = &mut shutdown => break,
                step = tokio::time::timeout(budget, self.attempt(&mut observed)) => {
                    step.unwrap_or_else(|_| Err(LeaderError::Timeout { lease: self.lease.clone(), after: budget }))
                }
            };
            let now = Instant::now();
            let mut wake = now + self.config.retry_period;
            match step {
                Ok(Step::Leading) => {
                    if renewed.is_none() {
                        tracing::info!(lease = %self.lease, identity = %self.config.identity, "leading");
                    }
                    renewed = Some(started);
                    set(leading, true);
                    wake = started + self.config.retry_period;
                }
                Ok(Step::HeldBy { holder, expires }) => {
                    if renewed.take().is_some() {
                        tracing::warn!(lease = %self.lease, %holder, "lease taken by another holder: stopping leading");
                    }
                    set(leading, false);
                    // Look again right when the holder's lease runs out.
                    wake = wake.min(expires);
                }
                Ok(Step::Conflict) => {
                    if renewed.take().is_some() {
                        tracing::warn!(lease = %self.lease, "lease changed by another writer: stopping leading");
                    }
                    set(leading, false);
                }
                Err(error) => {
                    tracing::warn!(lease = %self.lease, error = %error_chain(&error), "lease attempt failed");
                    if let Some(at) = renewed {
                        wake = wake.min(at + self.config.renew_deadline);
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep_until(wake) => {}
            }
        }
        if renewed.is_some() {
            set(leading, false);
            return self.release().await;
        }
        set(leading, false);
        Ok(())
    }

    /// One read of the Lease and, when it is ours or free, one write.
    async fn attempt(&self, observed: &mut Option<Observed>) -> Result<Step, LeaderError> {
        let name = &self.config.name;
        let current = self
            .api
            .get_opt(name)
            .await
            .map_err(|source| LeaderError::Read {
                lease: self.lease.clone(),
                source,
            })?;
        let now = Instant::now();
        let Some(current) = current else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.taken_over(&LeaseSpec::default(), false)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.observe(observed, &created, Instant::now());
                    Ok(Step::Leading)
                }
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(Step::Conflict),
                Err(source) => Err(LeaderError::Create {
                    lease: self.lease.clone(),
                    source,
                }),
            };
        };
        self.observe(observed, &current, now);
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let mine = holder.as_deref() == Some(self.config.identity.as_str());
        if let (Some(holder), false) = (holder, mine) {
            let expires = observed
                .as_ref()
                .map(|o| o.at + o.lease_duration)
                .unwrap_or(now);
            if now < expires {
                return Ok(Step::HeldBy { holder, expires });
            }
            tracing::info!(lease = %self.lease, %holder, "lease expired: taking it over");
        }
        let spec = if mine {
            LeaseSpec {
                renew_time: Some(MicroTime(jiff::Timestamp::now())),
                lease_duration_seconds: Some(self.config.lease_seconds()),
                ..spec
            }
        } else {
            self.taken_over(&spec, true)
        };
        let mut lease = current;
        lease.spec = Some(spec);
        // metadata.resourceVersion is kept: the write fails with 409 if the Lease changed.
        match self.api.replace(name, &PostParams::default(), &lease).await {
            Ok(written) => {
                self.observe(observed, &written, Instant::now());
                Ok(Step::Leading)
            }
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(Step::Conflict),
            Err(source) => Err(LeaderError::Update {
                lease: self.lease.clone(),
                source,
            }),
        }
    }

    /// The record of this process acquiring the Lease described by `previous`; a takeover of
    /// an existing Lease counts as a transition.
    fn taken_over(&self, previous: &LeaseSpec, existed: bool) -> LeaseSpec {
        let now = MicroTime(jiff::Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_duration_seconds: Some(self.config.lease_seconds()),
            lease_transitions: Some(
                previous
                    .lease_transitions
                    .unwrap_or(0)
                    .saturating_add(i32::from(existed)),
            ),
            ..previous.clone()
        }
    }

    /// Records `lease` as seen at `at` unless it is the version already seen.
    fn observe(&self, observed: &mut Option<Observed>, lease: &Lease, at: Instant) {
        let resource_version = lease.metadata.resource_version.clone().unwrap_or_default();
        if observed
            .as_ref()
            .is_some_and(|o| o.resource_version == resource_version && !resource_version.is_empty())
        {
            return;
        }
        let seconds = lease
            .spec
            .as_ref()
            .and_then(|s| s.lease_duration_seconds)
            .and_then(|s| u64::try_from(s).ok())
            .filter(|s| *s > 0);
        *observed = Some(Observed {
            resource_version,
            lease_duration: seconds
                .map(Duration::from_secs)
                .unwrap_or(self.config.lease_duration),
            at,
        });
    }

    /// Gives the Lease up (empty holder) if this process still holds it, so that a standby
    /// acquires it at its next look.
    async fn release(&self) -> Result<(), LeaderError> {
        let release = async {
            let failed = |source| LeaderError::Release {
                lease: self.lease.clone(),
                source,
            };
            let Some(mut lease) = self.api.get_opt(&self.config.name).await.map_err(failed)? else {
                return Ok(());
            };
            let Some(spec) = lease.spec.as_mut() else {
                return Ok(());
            };
            if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
                return Ok(());
            }
            spec.holder_identity = None;
            spec.lease_duration_seconds = Some(1);
            spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
            match self
                .api
                .replace(&self.config.name, &PostParams::default(), &lease)
                .await
            {
                Ok(_) => {
                    tracing::info!(lease = %self.lease, "lease released");
                    Ok(())
                }
                // Someone else wrote it meanwhile: it is not ours to release any more.
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
                Err(source) => Err(failed(source)),
            }
        };
        let deadline = self.config.renew_deadline;
        tokio::time::timeout(deadline, release)
            .await
            .unwrap_or_else(|_| {
                Err(LeaderError::Timeout {
                    lease: self.lease.clone(),
                    after: deadline,
                })
            })
    }
}

/// Sends `value` only when it differs, so receivers wake on changes only.
fn set(leading: &watch::Sender<bool>, value: bool) {
    leading.send_if_modified(|current| std::mem::replace(current, value) != value);
}

/// An error with its causes, for a log line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_client_go_timings_and_valid() {
        let config = LeaseConfig::new("system");
        assert_eq!(config.namespace, "system");
        assert_eq!(config.name, DEFAULT_LEASE_NAME);
        assert_eq!(config.lease_duration, Duration::from_secs(15));
        assert_eq!(config.renew_deadline, Duration::from_secs(10));
        assert_eq!(config.retry_period, Duration::from_secs(2));
        config.validate().unwrap();
        assert_eq!(config.lease_seconds(), 15);
    }

    #[test]
    fn unsafe_timings_are_refused() {
        let base = LeaseConfig::new("ns");
        let deadline_too_long = LeaseConfig {
            renew_deadline: base.lease_duration,
            ..base.clone()
        };
        assert!(deadline_too_long.validate().is_err());
        let retry_too_long = LeaseConfig {
            retry_period: base.renew_deadline,
            ..base.clone()
        };
        assert!(retry_too_long.validate().is_err());
        let short = LeaseConfig {
            lease_duration: Duration::from_millis(1500),
            renew_deadline: Duration::from_millis(1000),
            retry_period: Duration::from_millis(100),
            ..base
        };
        short.validate().unwrap();
        assert_eq!(short.lease_seconds(), 2);
    }

    #[test]
    fn identities_differ_between_electors() {
        let (a, b) = (default_identity(), default_identity());
        assert_ne!(a, b);
        assert!(a.contains(&format!("-{}-", std::process::id())), "{a}");
    }
}
