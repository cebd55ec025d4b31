//! Admission of TCP connections before any byte is read: a cap on the connections still in their
//! HTTP handshake, a cap per client address, and a cap on every socket the relay holds.
//!
//! A slot is a value that gives its place back when dropped, so a count can never leak however
//! the connection ends (closed, upgraded to a WebSocket and closed later, or torn down on shutdown).

use std::{
    collections::{BTreeMap, HashMap},
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
};

use tokio_util::sync::CancellationToken;

/// The caps the gate enforces; all are counts of open TCP connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GateLimits {
    /// Connections accepted but not yet upgraded or answered.
    pub(crate) pending: usize,
    /// Connections from one client address (one IPv4 address, or one IPv6 /64).
    pub(crate) per_address: usize,
    /// Every connection, pending or upgraded: what the relay's file descriptors must hold.
    pub(crate) total: usize,
}

/// Why a connection was turned away at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Its address already holds `per_address` connections.
    PerAddress,
    /// The relay already holds `total` connections.
    Total,
}

impl Refusal {
    /// Words for the log.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::PerAddress => "too many connections from this address",
            Refusal::Total => "too many open connections",
        }
    }
}

/// The unit a per-address cap counts by: an IPv4 address, or the /64 an IPv6 address is in
/// (one machine commonly holds many addresses of its /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Subnet(IpAddr);

impl Subnet {
    /// The subnet of a client address; IPv4-mapped IPv6 addresses count as their IPv4 address.
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Self(IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0]))
                }
            },
        }
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Shared counts of the connections the relay holds.
#[derive(Clone)]
pub(crate) struct Gate {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    limits: GateLimits,
    open: usize,
    per_address: HashMap<Subnet, usize>,
    /// Pending handshakes by age (ids only grow), each with the token that closes it early.
    pending: BTreeMap<u64, CancellationToken>,
    next_id: u64,
}

/// What an admitted connection holds: its place in the counts, and its pending-handshake place.
pub(crate) struct Admitted {
    pub(crate) address: AddressSlot,
    pub(crate) pending: PendingSlot,
}

/// A place among the open connections (in total and for one address); lives as long as the socket.
pub(crate) struct AddressSlot {
    gate: Gate,
    subnet: Subnet,
}

/// A place among the pending handshakes; `evicted` fires when a newer connection took it.
pub(crate) struct PendingSlot {
    gate: Gate,
    id: u64,
    pub(crate) evicted: CancellationToken,
}

impl Gate {
    /// A gate with nothing admitted yet.
    pub(crate) fn new(limits: GateLimits) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                limits,
                open: 0,
                per_address: HashMap::new(),
                pending: BTreeMap::new(),
                next_id: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The counts stay consistent even if a holder panicked: every update is one statement.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits a new connection from `ip`, or says why not. When the pending handshakes are at
    /// their cap, the oldest one is closed to make room: a client on the LAN completes its
    /// handshake within milliseconds, so the oldest pending one is the likeliest to be stalling.
    pub(crate) fn admit(&self, ip: IpAddr) -> Result<Admitted, Refusal> {
        let subnet = Subnet::of(ip);
        let mut inner = self.lock();
        if inner.open >= inner.limits.total {
            return Err(Refusal::Total);
        }
        let from_here = inner.per_address.get(&subnet).copied().unwrap_or(0);
        if from_here >= inner.limits.per_address {
            return Err(Refusal::PerAddress);
        }
        while inner.pending.len() >= inner.limits.pending.max(1) {
            match inner.pending.pop_first() {
                Some((_, oldest)) => oldest.cancel(),
                None => break,
            }
        }
        inner.open += 1;
        *inner.per_address.entry(subnet).or_insert(0) += 1;
        let id = inner.next_id;
        inner.next_id += 1;
        let evicted = CancellationToken::new();
        inner.pending.insert(id, evicted.clone());
        drop(inner);
        Ok(Admitted {
            address: AddressSlot {
                gate: self.clone(),
                subnet,
            },
            pending: PendingSlot {
                gate: self.clone(),
                id,
                evicted,
            },
        })
    }

    /// Current counts: (open connections, pending handshakes).
    #[cfg(test)]
    pub(crate) fn counts(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.open, inner.pending.len())
    }
}

impl AddressSlot {
    /// The subnet this connection counts against.
    pub(crate) fn subnet(&self) -> Subnet {
        self.subnet
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut inner = self.gate.lock();
        inner.open = inner.open.saturating_sub(1);
        if let Some(count) = inner.per_address.get_mut(&self.subnet) {
            *count -= 1;
            if *count == 0 {
                inner.per_address.remove(&self.subnet);
            }
        }
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.gate.lock().pending.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn gate(pending: usize, per_address: usize, total: usize) -> Gate {
        Gate::new(GateLimits {
            pending,
            per_address,
            total,
        })
    }

    #[test]
    fn groups_ipv6_by_64_and_unmaps_ipv4() {
        assert_eq!(
            Subnet::of(ip("2001:db8:1:2:aaaa::1")),
            Subnet::of(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            Subnet::of(ip("2001:db8:1:2::1")),
            Subnet::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            Subnet::of(ip("::ffff:10.0.0.7")),
            Subnet::of(ip("10.0.0.7"))
        );
        assert_ne!(Subnet::of(ip("10.0.0.7")), Subnet::of(ip("10.0.0.8")));
        assert_eq!(Subnet::of(ip("2001:db8::5")).to_string(), "2001:db8::/64");
    }

    #[test]
    fn per_address_cap_refuses_and_frees_on_drop() {
        let gate = gate(100, 2, 100);
        let a = gate.admit(ip("10.0.0.1")).unwrap();
        let _b = gate.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(gate.admit(ip("10.0.0.1")).err(), Some(Refusal::PerAddress));
        assert!(
            gate.admit(ip("10.0.0.2")).is_ok(),
            "other addresses are not affected"
        );
        drop(a);
        assert!(gate.admit(ip("10.0.0.1")).is_ok());
    }

    #[test]
    fn total_cap_counts_upgraded_connections_too() {
        let gate = gate(100, 100, 2);
        let a = gate.admit(ip("10.0.0.1")).unwrap();
        let b = gate.admit(ip("10.0.0.2")).unwrap();
        // Finishing the handshake frees the pending place but not the connection's.
        drop(a.pending);
        drop(b.pending);
        assert_eq!(gate.counts(), (2, 0));
        assert_eq!(gate.admit(ip("10.0.0.3")).err(), Some(Refusal::Total));
        drop(a.address);
        assert!(gate.admit(ip("10.0.0.3")).is_ok());
    }

    #[test]
    fn full_pending_closes_the_oldest() {
        let gate = gate(2, 100, 100);
        let first = gate.admit(ip("10.0.0.1")).unwrap();
        let second = gate.admit(ip("10.0.0.1")).unwrap();
        let third = gate.admit(ip("10.0.0.2")).unwrap();
        assert!(first.pending.evicted.is_cancelled());
        assert!(!second.pending.evicted.is_cancelled());
        assert!(!third.pending.evicted.is_cancelled());
        assert_eq!(gate.counts(), (3, 2));
        drop(first);
        assert_eq!(gate.counts(), (2, 2));
    }
}
