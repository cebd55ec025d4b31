//! The process's open-file limit: raised to the hard limit once, and the relay's connection caps
//! fitted well below it, so a flood of connections can never take the descriptors that the rest
//! of the process (in the app: the webview, the media engine, ICE) needs.

use std::sync::OnceLock;

/// Descriptors always kept free for everything but the relay's sockets.
const RESERVE_MIN: u64 = 64;

/// Share of the limit kept free as well, whichever is larger.
const RESERVE_DIVISOR: u64 = 4;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (once per process) and returns the soft
/// limit now in force; `None` where the platform has no such limit or it is unlimited.
pub(crate) fn raise() -> Option<u64> {
    static RAISED: OnceLock<Option<u64>> = OnceLock::new();
    *RAISED.get_or_init(|| {
        let limit = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => limit,
            Err(err) => {
                tracing::warn!("cannot raise the open-file limit: {err}");
                current().unwrap_or(u64::MAX)
            }
        };
        (limit != u64::MAX && limit != INFINITE).then_some(limit)
    })
}

#[cfg(unix)]
const INFINITE: u64 = rlimit::INFINITY;

#[cfg(not(unix))]
const INFINITE: u64 = u64::MAX;

#[cfg(unix)]
fn current() -> Option<u64> {
    rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft)
}

#[cfg(not(unix))]
fn current() -> Option<u64> {
    None
}

/// The connection caps that fit under an open-file limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fitted {
    /// WebSocket connections in total.
    pub(crate) max_connections: usize,
    /// Connections still in their HTTP handshake.
    pub(crate) max_pending: usize,
    /// Why the caps were lowered, for the log; `None` when they fit as asked.
    pub(crate) lowered: Option<String>,
}

/// Fits `max_connections` and `max_pending` under `limit`, keeping a quarter of it (at least 64
/// descriptors) for the rest of the process. When they do not fit, the pending cap is cut to a
/// quarter of what is left and the connections get the rest.
pub(crate) fn fit(limit: Option<u64>, max_connections: usize, max_pending: usize) -> Fitted {
    let as_asked = Fitted {
        max_connections,
        max_pending,
        lowered: None,
    };
    let Some(limit) = limit else {
        return as_asked;
    };
    let reserve = RESERVE_MIN.max(limit / RESERVE_DIVISOR);
    let budget = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX);
    if max_connections.saturating_add(max_pending) <= budget {
        return as_asked;
    }
    let pending = max_pending.min(budget / 4).max(1);
    let connections = max_connections.min(budget.saturating_sub(pending)).max(1);
    let mut cuts = Vec::new();
    if connections < max_connections {
        cuts.push(format!(
            "max connections from {max_connections} to {connections} ({} fewer)",
            max_connections - connections
        ));
    }
    if pending < max_pending {
        cuts.push(format!(
            "pending handshakes from {max_pending} to {pending} ({} fewer)",
            max_pending - pending
        ));
    }
    let lowered = format!(
        "the open-file limit is {limit} and {reserve} descriptors stay free for the rest of the \
         process, so the relay lowers {}; raise the limit (ulimit -n) to keep the caps asked for",
        cuts.join(" and ")
    );
    Fitted {
        max_connections: connections,
        max_pending: pending,
        lowered: Some(lowered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_under_a_high_limit_stay_as_asked() {
        let fitted = fit(Some(1 << 20), 1024, 128);
        assert_eq!((fitted.max_connections, fitted.max_pending), (1024, 128));
        assert!(fitted.lowered.is_none());
        assert_eq!(fit(None, 5000, 10).max_connections, 5000);
    }

    #[test]
    fn caps_over_a_low_limit_are_lowered_with_a_reason() {
        let fitted = fit(Some(256), 1024, 128);
        // 256 - 64 kept free = 192: a quarter for handshakes, the rest for connections.
        assert_eq!((fitted.max_connections, fitted.max_pending), (144, 48));
        let why = fitted.lowered.unwrap();
        assert!(why.contains("256"), "{why}");
        assert!(why.contains("1024 to 144 (880 fewer)"), "{why}");
        assert!(why.contains("128 to 48"), "{why}");
    }

    #[test]
    fn the_reserve_grows_with_the_limit() {
        // 20000 keeps 5000 free: 10000 + 128 fits, 16000 + 128 does not.
        assert!(fit(Some(20_000), 10_000, 128).lowered.is_none());
        let fitted = fit(Some(20_000), 16_000, 128);
        assert_eq!(fitted.max_connections + fitted.max_pending, 15_000);
    }

    #[test]
    fn a_tiny_limit_still_leaves_one_of_each() {
        let fitted = fit(Some(10), 1024, 128);
        assert_eq!((fitted.max_connections, fitted.max_pending), (1, 1));
    }

    #[test]
    fn raising_reports_a_limit_at_least_the_old_soft_one() {
        let before = current();
        let after = raise();
        if let (Some(before), Some(after)) = (before, after) {
            assert!(after >= before);
        }
    }
}
