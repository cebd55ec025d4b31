//! Passcode guessing defence: each address gets a few free wrong passcodes, then doubling
//! waits; on top, the whole relay allows only so many wrong passcodes per minute.
//!
//! The relay-wide budget must not become a way to lock everyone out, so it only throttles
//! addresses that have already given a wrong passcode recently. An address with no recent
//! failure is always checked: someone who types the right passcode on the first try gets in
//! however hard others are guessing. An attacker gains one unthrottled guess per address it
//! controls, and after that every guess of theirs draws on the shared budget; IPv6 addresses
//! are grouped by /64 because one machine can pick any address in its prefix.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

/// Most addresses remembered at once; the stalest is forgotten to make room.
const MAX_ENTRIES: usize = 4096;

/// First wait once the free tries are used up; it doubles with every further failure.
const FIRST_DELAY: Duration = Duration::from_secs(1);

/// A failure record this old (past its wait) is forgotten, so the address is fresh again.
const FORGET_AFTER: Duration = Duration::from_secs(30 * 60);

/// The guard's settings, taken from the relay's config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardLimits {
    /// Wrong passcodes an address may give before it has to wait.
    pub(crate) free_tries: u32,
    /// Longest wait imposed on one address.
    pub(crate) max_delay: Duration,
    /// Wrong passcodes per minute the relay checks from addresses that already failed.
    pub(crate) failures_per_minute: u32,
}

/// Why an attempt was refused without looking at the passcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// This address failed too often; it may try again after the duration.
    Address(Duration),
    /// The relay as a whole saw too many wrong passcodes; try again after the duration.
    Relay(Duration),
}

impl Wait {
    /// Plain words for the refused client, with when to try again.
    pub(crate) fn message(self) -> String {
        let (who, wait) = match self {
            Self::Address(wait) => ("from your address", wait),
            Self::Relay(wait) => ("on this relay", wait),
        };
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        format!("too many wrong passcodes {who}; try again in {secs} s")
    }
}

/// Remembers recent failures per address group and the relay-wide budget.
#[derive(Default)]
pub(crate) struct KeyGuard {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Group, Entry>,
    /// Wrong passcodes counted against the relay-wide budget, draining at the allowed rate
    /// (a leaky bucket: empty at start).
    spent: f64,
    drained: Option<Instant>,
}

/// Failures of one address group.
#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    /// No attempt is checked before this instant.
    retry_at: Instant,
    last_failure: Instant,
}

/// The unit an attacker cannot multiply cheaply: an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    V4(u32),
    V6(u64),
}

impl Group {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(u32::from(v4)),
                None => Self::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl KeyGuard {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `check` (the passcode comparison) unless `ip` must wait first, and records its
    /// outcome. `Ok(true)` is a right passcode, `Ok(false)` a wrong one, `Err` a refusal made
    /// without checking. Checking under the lock keeps parallel guesses from one address from
    /// all slipping through as "fresh".
    pub(crate) fn attempt(
        &self,
        limits: GuardLimits,
        ip: IpAddr,
        now: Instant,
        check: impl FnOnce() -> bool,
    ) -> Result<bool, Wait> {
        let group = Group::of(ip);
        let mut inner = self.lock();
        inner.drain(limits, now);
        let budget = f64::from(limits.failures_per_minute);
        let entry = inner
            .entries
            .get(&group)
            .copied()
            .filter(|entry| !entry.stale(now));
        if let Some(entry) = entry {
            if now < entry.retry_at {
                return Err(Wait::Address(entry.retry_at - now));
            }
            if inner.spent + 1.0 > budget {
                let rate = budget.max(1.0) / 60.0;
                let wait = Duration::from_secs_f64((inner.spent + 1.0 - budget) / rate);
                return Err(Wait::Relay(wait));
            }
        }
        if check() {
            inner.entries.remove(&group);
            return Ok(true);
        }
        // A fresh address is checked even with the budget spent, but still uses it up.
        inner.spent = (inner.spent + 1.0).min(budget);
        let failures = entry.map_or(0, |entry| entry.failures) + 1;
        let retry_at = now + limits.delay_after(failures);
        inner.remember(
            group,
            Entry {
                failures,
                retry_at,
                last_failure: now,
            },
            now,
        );
        Ok(false)
    }

    /// How many address groups are remembered (for tests of the table bound).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.lock().entries.len()
    }
}

impl GuardLimits {
    /// The wait after the `failures`-th wrong passcode in a row.
    fn delay_after(self, failures: u32) -> Duration {
        if failures < self.free_tries {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_tries).min(31);
        FIRST_DELAY
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

impl Entry {
    fn stale(&self, now: Instant) -> bool {
        now >= self.retry_at && now.saturating_duration_since(self.last_failure) >= FORGET_AFTER
    }
}

impl Inner {
    fn drain(&mut self, limits: GuardLimits, now: Instant) {
        let per_minute = f64::from(limits.failures_per_minute);
        let since = self.drained.map_or(0.0, |then| {
            now.saturating_duration_since(then).as_secs_f64()
        });
        self.drained = Some(now);
        self.spent = (self.spent - since * per_minute / 60.0).max(0.0);
    }

    /// Stores an entry, dropping stale ones and then the stalest if the table is full.
    fn remember(&mut self, group: Group, entry: Entry, now: Instant) {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&group) {
            self.entries.retain(|_, entry| !entry.stale(now));
            if self.entries.len() >= MAX_ENTRIES {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.last_failure)
                    .map(|(group, _)| *group);
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(group, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: GuardLimits = GuardLimits {
        free_tries: 5,
        max_delay: Duration::from_secs(300),
        failures_per_minute: 30,
    };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn free_tries_then_doubling_waits_then_reset_on_success() {
        let start = Instant::now();
        let guard = KeyGuard::default();
        let me = ip("10.0.0.7");
        for _ in 0..5 {
            assert_eq!(guard.attempt(LIMITS, me, start, || false), Ok(false));
        }
        let wait = guard.attempt(LIMITS, me, start, || panic!("must not be checked"));
        assert_eq!(wait, Err(Wait::Address(Duration::from_secs(1))));
        let later = start + Duration::from_secs(1);
        assert_eq!(guard.attempt(LIMITS, me, later, || false), Ok(false));
        assert_eq!(
            guard.attempt(LIMITS, me, later, || true),
            Err(Wait::Address(Duration::from_secs(2)))
        );
        let much_later = later + Duration::from_secs(2);
        assert_eq!(guard.attempt(LIMITS, me, much_later, || true), Ok(true));
        // Success forgot the failures: five free tries again.
        for _ in 0..5 {
            assert_eq!(guard.attempt(LIMITS, me, much_later, || false), Ok(false));
        }
    }

    #[test]
    fn waits_are_capped() {
        assert_eq!(LIMITS.delay_after(4), Duration::ZERO);
        assert_eq!(LIMITS.delay_after(5), Duration::from_secs(1));
        assert_eq!(LIMITS.delay_after(7), Duration::from_secs(4));
        assert_eq!(LIMITS.delay_after(60), Duration::from_secs(300));
        assert_eq!(LIMITS.delay_after(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn ipv6_groups_by_prefix_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            Group::of(ip("fe80::1:2:3:4")),
            Group::of(ip("fe80::ffff:ffff:ffff:ffff"))
        );
        assert_ne!(Group::of(ip("fe80::1")), Group::of(ip("fe80:0:0:1::1")));
        assert_eq!(Group::of(ip("::ffff:10.0.0.7")), Group::of(ip("10.0.0.7")));
    }

    #[test]
    fn the_relay_budget_spares_fresh_addresses() {
        let start = Instant::now();
        let guard = KeyGuard::default();
        // Thirty addresses use up the budget with one failure each.
        for n in 0..30 {
            let attacker = ip(&format!("10.0.1.{n}"));
            assert_eq!(guard.attempt(LIMITS, attacker, start, || false), Ok(false));
        }
        // Their second guesses wait for the budget ...
        let again = guard.attempt(LIMITS, ip("10.0.1.0"), start, || {
            panic!("must not be checked")
        });
        assert!(matches!(again, Err(Wait::Relay(wait)) if wait <= Duration::from_secs(2)));
        // ... while a newcomer is still checked and let in.
        assert_eq!(
            guard.attempt(LIMITS, ip("10.0.2.1"), start, || true),
            Ok(true)
        );
        // The budget refills at 30 per minute.
        let later = start + Duration::from_secs(2);
        assert_eq!(
            guard.attempt(LIMITS, ip("10.0.1.0"), later, || false),
            Ok(false)
        );
    }

    #[test]
    fn the_table_stays_bounded() {
        let start = Instant::now();
        let guard = KeyGuard::default();
        for n in 0..(MAX_ENTRIES as u32 + 100) {
            let attacker = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            let _ = guard.attempt(
                LIMITS,
                attacker,
                start + Duration::from_millis(u64::from(n)),
                || false,
            );
        }
        assert_eq!(guard.remembered(), MAX_ENTRIES);
        // An old record no longer counts: the address has its free tries again.
        let me = ip("10.0.0.9");
        for _ in 0..8 {
            let _ = guard.attempt(LIMITS, me, start, || false);
        }
        assert!(guard.attempt(LIMITS, me, start, || false).is_err());
        let much_later = start + FORGET_AFTER + Duration::from_secs(600);
        assert_eq!(guard.attempt(LIMITS, me, much_later, || true), Ok(true));
    }
}
