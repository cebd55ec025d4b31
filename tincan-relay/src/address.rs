//! Guessing which local addresses other machines on the LAN can reach.

use std::net::IpAddr;

/// Every non-loopback, non-link-local interface address, best guess first: the address of the
/// default-route interface, then private IPv4, then other IPv4, then IPv6.
pub fn lan_addresses() -> Vec<IpAddr> {
    let preferred = local_ip_address::local_ip().ok().filter(|ip| usable(*ip));
    let mut found: Vec<IpAddr> = local_ip_address::list_afinet_netifas()
        .map(|list| {
            list.into_iter()
                .map(|(_, ip)| ip)
                .filter(|ip| usable(*ip))
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|ip| (Some(*ip) != preferred, rank(*ip)));
    found.dedup();
    if let Some(ip) = preferred {
        if !found.contains(&ip) {
            found.insert(0, ip);
        }
    }
    found
}

/// Whether another machine could plausibly reach us at this address.
fn usable(ip: IpAddr) -> bool {
    if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => !v4.is_link_local(),
        // fe80::/10 is link-local and needs a scope id that URLs cannot carry portably.
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
    }
}

/// Sort rank among usable addresses: lower is a better guess.
fn rank(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(v4) if v4.is_private() => 0,
        IpAddr::V4(_) => 1,
        // Unique local addresses (fc00::/7) are the IPv6 analogue of private IPv4.
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => 2,
        IpAddr::V6(_) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_ranks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(!usable(ip("127.0.0.1")));
        assert!(!usable(ip("::1")));
        assert!(!usable(ip("169.254.3.4")));
        assert!(!usable(ip("fe80::1")));
        assert!(usable(ip("192.168.1.23")));
        assert!(usable(ip("fd00::5")));
        assert!(rank(ip("10.0.0.2")) < rank(ip("8.8.8.8")));
        assert!(rank(ip("8.8.8.8")) < rank(ip("fd00::5")));
        assert!(rank(ip("fd00::5")) < rank(ip("2001:db8::1")));
    }

    #[test]
    fn lists_only_usable_addresses() {
        let all = lan_addresses();
        assert!(all.iter().all(|ip| usable(*ip)));
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
    }
}
