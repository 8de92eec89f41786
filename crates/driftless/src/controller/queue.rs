//! The work queue: pure state, no I/O. Triggers for one Application merge into one pending
//! reconcile; at most one reconcile per Application runs at a time and at most `concurrency`
//! in all; triggers that arrive while an Application's reconcile runs make it run once more
//! afterwards; each Application has at most one timer (its next interval or retry).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use tokio::time::Instant;

use super::hub::Trigger;

/// The queue's state.
#[derive(Debug)]
pub struct WorkQueue {
    concurrency: usize,
    waiting: VecDeque<String>,
    reasons: HashMap<String, BTreeSet<Trigger>>,
    running: HashSet<String>,
    again: HashMap<String, BTreeSet<Trigger>>,
    timers: BTreeSet<(Instant, String)>,
    timer_of: HashMap<String, (Instant, Trigger)>,
}

impl WorkQueue {
    /// An empty queue running at most `concurrency` reconciles at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        Self {
            concurrency: concurrency.max(1),
            waiting: VecDeque::new(),
            reasons: HashMap::new(),
            running: HashSet::new(),
            again: HashMap::new(),
            timers: BTreeSet::new(),
            timer_of: HashMap::new(),
        }
    }

    /// Asks for a reconcile of `key` because of `trigger`: merged with one already waiting,
    /// or remembered for after the one running.
    pub fn push(&mut self, key: &str, trigger: Trigger) {
        if self.running.contains(key) {
            self.again
                .entry(key.to_owned())
                .or_default()
                .insert(trigger);
            return;
        }
        match self.reasons.get_mut(key) {
            Some(reasons) => {
                reasons.insert(trigger);
            }
            None => {
                self.reasons
                    .insert(key.to_owned(), BTreeSet::from([trigger]));
                self.waiting.push_back(key.to_owned());
            }
        }
    }

    /// Sets `key`'s one timer: at `at`, `trigger` is pushed. Replaces an earlier timer.
    pub fn schedule(&mut self, key: &str, at: Instant, trigger: Trigger) {
        self.cancel_timer(key);
        self.timers.insert((at, key.to_owned()));
        self.timer_of.insert(key.to_owned(), (at, trigger));
    }

    /// When the next timer is due.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// Pushes every timer due at `now`.
    pub fn fire_due(&mut self, now: Instant) {
        while let Some((at, key)) = self.timers.first().cloned() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            if let Some((_, trigger)) = self.timer_of.remove(&key) {
                self.push(&key, trigger);
            }
        }
    }

    /// The next Application to reconcile and why, marked running; `None` when nothing waits
    /// or `concurrency` reconciles already run.
    pub fn pop(&mut self) -> Option<(String, BTreeSet<Trigger>)> {
        if self.running.len() >= self.concurrency {
            return None;
        }
        let key = self.waiting.pop_front()?;
        let reasons = self.reasons.remove(&key).unwrap_or_default();
        self.running.insert(key.clone());
        Some((key, reasons))
    }

    /// `key`'s reconcile ended: triggers that arrived meanwhile queue it again.
    pub fn done(&mut self, key: &str) {
        self.running.remove(key);
        if let Some(reasons) = self.again.remove(key) {
            for trigger in reasons {
                self.push(key, trigger);
            }
        }
    }

    /// Drops everything about `key` (the Application was deleted); a running reconcile ends
    /// normally but is not repeated.
    pub fn forget(&mut self, key: &str) {
        self.cancel_timer(key);
        self.again.remove(key);
        if self.reasons.remove(key).is_some() {
            self.waiting.retain(|k| k != key);
        }
    }

    /// Applications waiting for a reconcile (not counting those running).
    pub fn depth(&self) -> usize {
        self.waiting.len()
    }

    fn cancel_timer(&mut self, key: &str) {
        if let Some((at, _)) = self.timer_of.remove(key) {
            self.timers.remove(&(at, key.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn triggers_for_one_app_merge_into_one_reconcile() {
        let mut queue = WorkQueue::new(8);
        queue.push("a/x", Trigger::Interval);
        queue.push("a/x", Trigger::Webhook);
        queue.push("a/y", Trigger::Changed);
        assert_eq!(queue.depth(), 2);
        let (key, reasons) = queue.pop().unwrap();
        assert_eq!(key, "a/x");
        assert_eq!(
            reasons,
            BTreeSet::from([Trigger::Interval, Trigger::Webhook])
        );
        assert_eq!(queue.pop().unwrap().0, "a/y");
        assert!(queue.pop().is_none());
    }

    #[test]
    fn one_reconcile_in_flight_per_app_and_triggers_meanwhile_run_it_once_more() {
        let mut queue = WorkQueue::new(8);
        queue.push("a/x", Trigger::Changed);
        let _ = queue.pop().unwrap();
        queue.push("a/x", Trigger::Drift);
        queue.push("a/x", Trigger::Drift);
        assert!(queue.pop().is_none(), "a/x is running");
        queue.done("a/x");
        let (key, reasons) = queue.pop().unwrap();
        assert_eq!(
            (key.as_str(), reasons),
            ("a/x", BTreeSet::from([Trigger::Drift]))
        );
        queue.done("a/x");
        assert!(queue.pop().is_none());
    }

    #[test]
    fn concurrency_bounds_the_reconciles_running() {
        let mut queue = WorkQueue::new(2);
        for key in ["a/1", "a/2", "a/3"] {
            queue.push(key, Trigger::Interval);
        }
        assert!(queue.pop().is_some() && queue.pop().is_some());
        assert!(queue.pop().is_none());
        assert_eq!((queue.running.len(), queue.depth()), (2, 1));
        queue.done("a/1");
        assert_eq!(queue.pop().unwrap().0, "a/3");
    }

    #[test]
    fn each_app_has_one_timer_and_due_timers_push() {
        let mut queue = WorkQueue::new(1);
        let now = Instant::now();
        queue.schedule("a/x", now + Duration::from_secs(60), Trigger::Interval);
        queue.schedule("a/x", now + Duration::from_secs(5), Trigger::Retry);
        queue.schedule("a/y", now + Duration::from_secs(10), Trigger::Interval);
        assert_eq!(queue.next_timer(), Some(now + Duration::from_secs(5)));
        queue.fire_due(now + Duration::from_secs(6));
        assert_eq!(
            queue.pop().unwrap(),
            ("a/x".to_owned(), BTreeSet::from([Trigger::Retry]))
        );
        assert_eq!(queue.next_timer(), Some(now + Duration::from_secs(10)));
        queue.forget("a/y");
        assert_eq!(queue.next_timer(), None);
    }
}
