//! When to reconcile an Application again: its interval with jitter after a success, the
//! back-off of `spec.syncPolicy.retry` after a failure (Argo CD's retry), and never on its
//! own after a terminal error (Stalled: only a change to the Application wakes it).

use std::time::Duration;

use driftless_core::application::{Application, RetryStrategy};
use driftless_core::tracking::fnv1a;

use super::hub::Trigger;

/// Default first retry delay (Argo CD's).
const DEFAULT_RETRY: Duration = Duration::from_secs(5);
/// Default cap of the retry delay (Argo CD's).
const DEFAULT_RETRY_CAP: Duration = Duration::from_secs(180);
/// The share of the interval by which a next poll may be spread.
const JITTER_PERCENT: u64 = 10;

/// What the controller does next with an Application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reconcile again after the delay, for this reason.
    Requeue(Duration, Trigger),
    /// Nothing until the Application changes (suspended, stalled).
    AwaitChange,
}

/// `interval` plus a jitter of up to 10 % that is stable per Application, so that many
/// Applications on one repository do not poll it at the same instant.
pub fn interval_with_jitter(key: &str, interval: Duration) -> Duration {
    let spread =
        u64::try_from(interval.as_millis() * u128::from(JITTER_PERCENT) / 100).unwrap_or(u64::MAX);
    if spread == 0 {
        return interval;
    }
    interval.saturating_add(Duration::from_millis(fnv1a(key.as_bytes()) % spread))
}

/// After `failures` consecutive failed attempts (at least 1): the delay before the next,
/// following `spec.syncPolicy.retry` (duration x factor^(failures-1), capped at
/// maxDuration), or `None` when there is no retry policy or its limit is reached (a negative
/// limit retries forever). Malformed durations fall back to the defaults.
pub fn retry_delay(app: &Application, failures: u32) -> Option<Duration> {
    let retry: &RetryStrategy = app.spec.sync_policy.retry.as_ref()?;
    if retry.limit >= 0 && i64::from(failures) > retry.limit {
        return None;
    }
    let backoff = retry.backoff.clone().unwrap_or_default();
    let first = parse_duration(&backoff.duration).unwrap_or(DEFAULT_RETRY);
    let cap = parse_duration(&backoff.max_duration).unwrap_or(DEFAULT_RETRY_CAP);
    let factor = backoff.factor.unwrap_or(2).max(1);
    let exponent = failures.saturating_sub(1).min(32);
    let delay = factor
        .checked_pow(exponent)
        .and_then(|f| first.checked_mul(f))
        .unwrap_or(cap);
    Some(delay.min(cap))
}

/// A Go duration (`5s`, `1m30s`), `None` when empty, malformed or not positive.
fn parse_duration(text: &str) -> Option<Duration> {
    let parsed: kube::core::Duration = text.trim().parse().ok()?;
    let duration: Duration = parsed.into();
    (!parsed.is_negative() && !duration.is_zero()).then_some(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app(retry: serde_json::Value) -> Application {
        serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"source": {"repoURL": "r"}, "syncPolicy": {"retry": retry}}
        }))
        .unwrap()
    }

    #[test]
    fn retries_back_off_to_the_cap_and_stop_at_the_limit() {
        let app = app(
            json!({"limit": 4, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "12s"}}),
        );
        let delays: Vec<Option<u64>> = (1..=5)
            .map(|n| retry_delay(&app, n).map(|d| d.as_secs()))
            .collect();
        assert_eq!(delays, [Some(5), Some(10), Some(12), Some(12), None]);
    }

    #[test]
    fn no_retry_policy_means_no_retry_and_a_negative_limit_retries_forever() {
        let none: Application = serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "n"}, "spec": {"source": {"repoURL": "r"}}
        }))
        .unwrap();
        assert_eq!(retry_delay(&none, 1), None);
        let forever = app(json!({"limit": -1}));
        assert_eq!(retry_delay(&forever, 1000), Some(DEFAULT_RETRY_CAP));
        assert_eq!(retry_delay(&forever, 1), Some(DEFAULT_RETRY));
    }

    #[test]
    fn jitter_is_stable_per_app_and_within_ten_percent() {
        let interval = Duration::from_secs(180);
        let a = interval_with_jitter("n/a", interval);
        assert_eq!(a, interval_with_jitter("n/a", interval));
        assert!(a >= interval && a < interval + Duration::from_secs(18));
        assert_eq!(
            interval_with_jitter("n/a", Duration::from_millis(5)),
            Duration::from_millis(5)
        );
    }
}
