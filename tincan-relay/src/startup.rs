//! The lines the relay program prints when it starts: where it listens, what to share and, with
//! `--tls`, the certificate's fingerprint for people to compare with what their browser shows.

use std::{
    io::Write,
    net::{IpAddr, SocketAddr},
};

use tincan_relay::Fingerprint;

/// Prints the startup lines; scripts read the first one to learn the port.
pub(crate) fn print(
    addr: SocketAddr,
    has_ui: bool,
    fingerprint: Option<Fingerprint>,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on ws://{addr}/ws")?;
    out.flush()?;
    let shared = share_addresses(addr);
    if shared.is_empty() {
        writeln!(
            out,
            "not shared: {} is reachable from this machine only",
            addr.ip()
        )?;
    }
    for ip in &shared {
        let target = SocketAddr::new(*ip, addr.port());
        writeln!(out, "share: ws://{target}/ws")?;
        if has_ui {
            writeln!(out, "share: http://{target}/")?;
            if fingerprint.is_some() {
                writeln!(out, "share: https://{target}/ (phones and other devices)")?;
            }
        }
    }
    if has_ui {
        let local = SocketAddr::new(loopback_for(addr.ip()), addr.port());
        writeln!(out, "open: http://{local}/")?;
    }
    if let Some(fingerprint) = fingerprint {
        writeln!(out, "certificate sha256: {fingerprint}")?;
    }
    out.flush()
}

/// Addresses other machines could use to reach a relay bound to `addr`.
fn share_addresses(addr: SocketAddr) -> Vec<IpAddr> {
    let ip = addr.ip();
    if ip.is_loopback() {
        return Vec::new();
    }
    if !ip.is_unspecified() {
        return vec![ip];
    }
    // 0.0.0.0 accepts IPv4 only; [::] usually accepts both.
    tincan_relay::lan_addresses()
        .into_iter()
        .filter(|candidate| ip.is_ipv6() || candidate.is_ipv4())
        .collect()
}

fn loopback_for(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if !v4.is_unspecified() => ip,
        IpAddr::V6(v6) if !v6.is_unspecified() => ip,
        IpAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    }
}
