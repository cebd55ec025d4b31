//! The headless relay's announcement of its lobby room on the LAN (`--announce`, `--name`).

use std::{io::Write, net::IpAddr};

use tincan_discovery::{Announcement, Interfaces};
use tincan_relay::{protocol::DEFAULT_ROOM, Announcing, Relay};

use crate::Args;

/// Shown when the machine's name cannot be read.
const FALLBACK_NAME: &str = "Tincan relay";

/// Starts announcing unless told not to or listening on loopback only; says which on stdout.
pub(crate) fn start(args: &Args, relay: &Relay) -> Option<Announcing> {
    let addr = relay.local_addr();
    if args.no_announce {
        return None;
    }
    if addr.ip().is_loopback() {
        say(&format!(
            "not announced: {} is reachable from this machine only",
            addr.ip()
        ));
        return None;
    }
    let host = args.name.clone().unwrap_or_else(machine_name);
    let announcement = Announcement {
        room: DEFAULT_ROOM.to_owned(),
        host: host.clone(),
        people: 0,
        key_required: relay.config().key.is_some(),
        port: addr.port(),
    };
    match Announcing::start(announcement, interfaces_for(addr.ip()), relay.occupancy()) {
        Ok(announcing) => {
            say(&format!(
                "announced: room {DEFAULT_ROOM} hosted by {host:?} as {}",
                announcing.id()
            ));
            Some(announcing)
        }
        Err(error) => {
            // The relay works without it; people then type the address.
            eprintln!("tincan-relay: cannot announce the room on the LAN: {error}");
            None
        }
    }
}

/// Where to announce: the interface that holds the address listened on, or every LAN-like one
/// when listening on all of them (a relay on one address is not reachable at the others).
fn interfaces_for(ip: IpAddr) -> Interfaces {
    if ip.is_unspecified() {
        return Interfaces::lan();
    }
    let owner = local_ip_address::list_afinet_netifas()
        .ok()
        .and_then(|all| all.into_iter().find(|(_, address)| *address == ip));
    match owner {
        Some((name, _)) => Interfaces::only([name]),
        None => Interfaces::lan(),
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// This machine's name, as other people on the LAN know it.
fn machine_name() -> String {
    let from_env = ["HOSTNAME", "COMPUTERNAME"]
        .into_iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| !name.trim().is_empty());
    let from_kernel = || {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .filter(|name| !name.trim().is_empty())
    };
    let from_command = || {
        std::process::Command::new("hostname")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .filter(|name| !name.trim().is_empty())
    };
    from_env
        .or_else(from_kernel)
        .or_else(from_command)
        .map(|name| {
            // "laptop.local" or "laptop.example.org": the first label is the familiar part.
            let name = name.trim();
            name.split('.').next().unwrap_or(name).to_owned()
        })
        .unwrap_or_else(|| FALLBACK_NAME.to_owned())
}
