//! Logging of refused connections that a flood cannot turn into a full disk: at most one line per
//! address per interval, and at most a few lines per interval in all, each saying how many
//! refusals it stands for.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::gate::Subnet;

/// Shortest time between two lines about one address.
const INTERVAL: Duration = Duration::from_secs(5);

/// Most lines written per interval over all addresses; the rest go into a summary line.
const LINES_PER_INTERVAL: u32 = 20;

/// Most addresses remembered; past it, refusals are only counted in the summary.
const ADDRESSES_KEPT: usize = 1024;

/// Rate-limited log of refusals, shared by the accept loop and the connection tasks.
#[derive(Clone, Default)]
pub(crate) struct RefusalLog {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    per_address: HashMap<Subnet, Entry>,
    window_start: Option<Instant>,
    lines_in_window: u32,
    /// Refusals not written out since the last summary line.
    unlogged: u64,
}

struct Entry {
    last_line: Instant,
    since_line: u64,
}

/// What the caller should write, decided under the lock and written outside it.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Write a line for this refusal; `also` more were held back since the last one.
    Line { also: u64 },
    /// Write a summary of refusals held back because too many addresses are refused.
    Summary { held_back: u64 },
    /// Stay quiet, the refusal is counted.
    Quiet,
}

impl RefusalLog {
    /// Records a refusal of a connection from `subnet` and logs it unless that would be too much.
    pub(crate) fn refused(&self, subnet: Subnet, reason: &str) {
        let verdict = self.record(subnet, Instant::now());
        match verdict {
            Verdict::Line { also: 0 } => {
                tracing::warn!(addr = %subnet, "refused connection: {reason}");
            }
            Verdict::Line { also } => tracing::warn!(
                addr = %subnet,
                "refused connection: {reason} (and {also} other refusals of this address not logged)"
            ),
            Verdict::Summary { held_back } => tracing::warn!(
                "refused {held_back} more connections from many addresses (not logged one by one)"
            ),
            Verdict::Quiet => {}
        }
    }

    fn record(&self, subnet: Subnet, now: Instant) -> Verdict {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let window_over =
            !matches!(inner.window_start, Some(start) if now.duration_since(start) < INTERVAL);
        if window_over {
            inner.window_start = Some(now);
            inner.lines_in_window = 0;
            if inner.per_address.len() >= ADDRESSES_KEPT {
                // Forget quiet addresses; what they still owe the log goes into the summary.
                let mut owed = 0;
                inner.per_address.retain(|_, entry| {
                    let keep = now.duration_since(entry.last_line) < INTERVAL;
                    if !keep {
                        owed += entry.since_line;
                    }
                    keep
                });
                inner.unlogged += owed;
            }
        }
        if let Some(entry) = inner.per_address.get_mut(&subnet) {
            if now.duration_since(entry.last_line) < INTERVAL {
                entry.since_line += 1;
                return Verdict::Quiet;
            }
        }
        if inner.lines_in_window >= LINES_PER_INTERVAL
            || (inner.per_address.len() >= ADDRESSES_KEPT
                && !inner.per_address.contains_key(&subnet))
        {
            inner.unlogged += 1;
            return Verdict::Quiet;
        }
        inner.lines_in_window += 1;
        let held_back = std::mem::take(&mut inner.unlogged);
        let also = inner
            .per_address
            .insert(
                subnet,
                Entry {
                    last_line: now,
                    since_line: 0,
                },
            )
            .map_or(0, |old| old.since_line);
        if held_back > 0 {
            // The summary takes this window's line; the per-address count starts over anyway.
            return Verdict::Summary {
                held_back: held_back + 1 + also,
            };
        }
        Verdict::Line { also }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(last: u8) -> Subnet {
        Subnet::of(std::net::IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn one_line_per_address_per_interval_with_a_count() {
        let log = RefusalLog::default();
        let start = Instant::now();
        assert_eq!(log.record(subnet(1), start), Verdict::Line { also: 0 });
        for i in 0..1000 {
            let at = start + Duration::from_millis(i);
            assert_eq!(log.record(subnet(1), at), Verdict::Quiet);
        }
        let later = start + INTERVAL + Duration::from_millis(1);
        assert_eq!(log.record(subnet(1), later), Verdict::Line { also: 1000 });
    }

    #[test]
    fn many_addresses_are_summarised() {
        let log = RefusalLog::default();
        let start = Instant::now();
        let mut lines = 0;
        for last in 0..200u8 {
            if log.record(subnet(last), start) != Verdict::Quiet {
                lines += 1;
            }
        }
        assert_eq!(lines, LINES_PER_INTERVAL);
        let later = start + INTERVAL;
        assert_eq!(
            log.record(subnet(250), later),
            Verdict::Summary {
                held_back: 200 - u64::from(LINES_PER_INTERVAL) + 1
            }
        );
    }
}
