//! Limits on clients: sessions at once (`--max-connections`, with a reserve for
//! superusers, 53300 beyond them, as PostgreSQL's `max_connections` and
//! `superuser_reserved_connections`), and failed logins — each answered after a delay
//! (as PostgreSQL's `auth_delay`), and an address with too many failures in the window
//! refused until it passes.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::config::Limits;

/// What the limits count, shared by every connection.
#[derive(Debug)]
pub struct Counters {
    limits: Limits,
    sessions: Arc<AtomicUsize>,
    failures: std::sync::Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// A session's place among `--max-connections`, given back when dropped.
#[derive(Debug)]
pub struct SessionSlot(Arc<AtomicUsize>);

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Counters {
    pub fn new(limits: Limits) -> Counters {
        Counters { limits, sessions: Arc::default(), failures: std::sync::Mutex::default() }
    }

    /// A slot for a new session of a role (a superuser or not), or `None` when all its
    /// slots are taken.
    pub fn open_session(&self, superuser: bool) -> Option<SessionSlot> {
        let allowed =
            self.limits.max_connections + if superuser { self.limits.superuser_reserved } else { 0 };
        let before = self.sessions.fetch_add(1, Ordering::SeqCst);
        let slot = SessionSlot(self.sessions.clone());
        (before < allowed).then_some(slot)
    }

    /// How long `address` is still refused, if its failures in the window reached the
    /// limit.
    pub fn refused_for(&self, address: IpAddr) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let recent = failures.get_mut(&address)?;
        let now = Instant::now();
        let window = self.limits.auth_failure_window;
        while recent.front().is_some_and(|t| now.duration_since(*t) >= window) {
            recent.pop_front();
        }
        if recent.len() < self.limits.auth_failure_limit as usize {
            return None;
        }
        let oldest = *recent.front()?;
        Some(window.saturating_sub(now.duration_since(oldest)))
    }

    /// Records a failed login from `address` and waits the delay before it is answered.
    pub async fn failed_login(&self, address: IpAddr) {
        {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let recent = failures.entry(address).or_default();
            recent.push_back(Instant::now());
            // no more than the limit is ever needed to decide
            while recent.len() > self.limits.auth_failure_limit.max(1) as usize {
                recent.pop_front();
            }
        }
        if !self.limits.auth_delay.is_zero() {
            tokio::time::sleep(self.limits.auth_delay).await;
        }
    }

    /// A login from `address` succeeded: its failures are forgotten.
    pub fn succeeded(&self, address: IpAddr) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(max: usize, reserved: usize, failures: u32, window: Duration) -> Counters {
        Counters::new(Limits {
            max_connections: max,
            superuser_reserved: reserved,
            auth_delay: Duration::ZERO,
            auth_failure_limit: failures,
            auth_failure_window: window,
        })
    }

    #[test]
    fn sessions_beyond_the_limit_are_refused_and_superusers_keep_a_reserve() {
        let c = counters(2, 1, 10, Duration::from_secs(60));
        let a = c.open_session(false).expect("1");
        let _b = c.open_session(false).expect("2");
        assert!(c.open_session(false).is_none(), "a third role's session");
        let root = c.open_session(true).expect("a superuser takes the reserve");
        assert!(c.open_session(true).is_none(), "the reserve is one");
        drop(a);
        drop(root);
        assert!(c.open_session(false).is_some(), "a closed session gives its slot back");
    }

    #[tokio::test]
    async fn an_address_is_refused_after_its_failures_until_the_window_passes() {
        let c = counters(10, 0, 3, Duration::from_millis(300));
        let (here, there): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(c.refused_for(here), None);
            c.failed_login(here).await;
        }
        assert!(c.refused_for(here).is_some_and(|left| left <= Duration::from_millis(300)));
        assert_eq!(c.refused_for(there), None, "per address");
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(c.refused_for(here), None, "the window passed");
        c.failed_login(here).await;
        c.succeeded(here);
        assert_eq!(c.refused_for(here), None);
    }
}
