//! The relay a hosting user runs inside the app, on every IPv4 interface of the LAN.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Duration,
};

use serde::Serialize;
use tauri::async_runtime::{self, JoinHandle};
use tokio::sync::oneshot;

use crate::{
    address::DEFAULT_PORT,
    error::Error,
    phone::{self, PhoneJoin, PhoneServing},
};

/// People in a room the app hosts: in a full mesh each laptop encodes and decodes for everyone
/// else, and past eight that costs every one of them more than the call is worth. The headless
/// relay's own default stays higher.
pub const ROOM_CAP: usize = 8;

/// Ports tried after the asked-for one (which is usually the default) before letting the
/// system pick any free port.
const NEXT_PORTS_TRIED: u16 = 10;

/// How long stopping waits for the relay to say goodbye to every peer.
const STOP_TIMEOUT: Duration = Duration::from_secs(6);

/// What the UI shows after pressing Host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostInfo {
    /// The port the relay listens on.
    pub port: u16,
    /// The room the host and joiners use.
    pub room: String,
    /// The passcode joiners need, if any.
    pub key: Option<String>,
    /// `ip:port` (`[v6]:port` for IPv6) for every address other machines may reach, best
    /// guess first.
    pub addresses: Vec<String>,
    /// The link, QR code and certificate fingerprint for joining from a phone's browser; `None`
    /// when the relay serves no HTTPS (no certificate could be had) or no address is shared.
    pub phone: Option<PhoneJoin>,
}

/// A running in-process relay.
pub struct Hosting {
    info: HostInfo,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
    occupancy: tincan_relay::Occupancy,
    announcing: Option<tincan_relay::Announcing>,
}

impl Hosting {
    /// Binds the relay and starts serving. `port` defaults to [`DEFAULT_PORT`]; when it is
    /// taken the next ports are tried, then any free one. Port 0 asks for any free one at once.
    /// With `phones`, the same port also serves the UI over HTTPS.
    pub async fn start(
        port: Option<u16>,
        room: String,
        key: Option<String>,
        phones: Option<PhoneServing>,
    ) -> Result<Self, Error> {
        let key = key.filter(|k| !k.is_empty());
        let identity = phones.as_ref().map(|p| p.identity.clone());
        let config = tincan_relay::Config {
            key: key.clone(),
            max_peers_per_room: ROOM_CAP,
            ui_dir: None,
            ui_files: phones.map(|p| p.files),
            tls: identity.clone(),
            ..Default::default()
        };
        let mut last_error = None;
        let mut bound = None;
        for candidate in candidate_ports(port.unwrap_or(DEFAULT_PORT)) {
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), candidate);
            match tincan_relay::Relay::bind(addr, config.clone()).await {
                Ok(relay) => {
                    bound = Some(relay);
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        let relay = bound.ok_or_else(|| {
            Error::HostFailed(last_error.map_or_else(|| "no port to try".into(), |e| e.to_string()))
        })?;
        let local = relay.local_addr();
        let addresses = share_addresses(local, tincan_relay::lan_addresses());
        let phone = identity
            .as_ref()
            .zip(addresses.first())
            .and_then(|(id, first)| phone::join_info(first, &room, key.as_deref(), id));
        let info = HostInfo {
            port: local.port(),
            room,
            key,
            addresses,
            phone,
        };
        let occupancy = relay.occupancy();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = async_runtime::spawn(async move {
            let signal = async move {
                // Dropping the sender also stops the relay, so an app that exits ends the call.
                let _ = stopped.await;
            };
            if let Err(error) = relay.serve(signal).await {
                tracing::warn!("the hosted relay stopped: {error}");
            }
        });
        Ok(Self {
            info,
            shutdown,
            task,
            occupancy,
            announcing: None,
        })
    }

    /// What to show and share.
    pub fn info(&self) -> &HostInfo {
        &self.info
    }

    /// Whether the relay is still serving.
    pub fn is_running(&self) -> bool {
        !self.task.inner().is_finished()
    }

    /// Announces the room on the LAN, `host` being the name shown next to it.
    pub fn announce(&mut self, host: &str) {
        self.announcing = crate::discovery::announce(self.occupancy.clone(), &self.info, host);
    }

    /// Stops the relay; every peer's socket is closed with 1001 "host ended the call".
    pub async fn stop(self) {
        if let Some(announcing) = self.announcing {
            announcing.stop().await;
        }
        let _ = self.shutdown.send(());
        if tokio::time::timeout(STOP_TIMEOUT, self.task).await.is_err() {
            tracing::warn!("the hosted relay did not stop in time");
        }
    }
}

/// The asked-for port, the next few, then 0 (any free port).
fn candidate_ports(first: u16) -> Vec<u16> {
    if first == 0 {
        return vec![0];
    }
    let mut ports: Vec<u16> = (0..=NEXT_PORTS_TRIED)
        .filter_map(|i| first.checked_add(i))
        .collect();
    ports.push(0);
    ports
}

/// The addresses to share: those of the LAN interfaces the relay listens on, in the given
/// (best guess first) order. A relay bound to IPv4 only is not reachable over IPv6, so IPv6
/// addresses are listed only when it listens on IPv6.
fn share_addresses(listening: SocketAddr, lan: Vec<IpAddr>) -> Vec<String> {
    lan.into_iter()
        .filter(|ip| match listening.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => ip.is_ipv4(),
            IpAddr::V6(v6) if v6.is_unspecified() => true,
            bound => *ip == bound,
        })
        .map(|ip| SocketAddr::new(ip, listening.port()).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_the_next_ports_then_any() {
        assert_eq!(candidate_ports(0), vec![0]);
        let ports = candidate_ports(47800);
        assert_eq!(ports.first(), Some(&47800));
        assert_eq!(ports[1], 47801);
        assert_eq!(ports.last(), Some(&0));
        assert_eq!(candidate_ports(65535), vec![65535, 0]);
    }

    #[test]
    fn shares_addresses_of_the_listening_family() {
        let lan: Vec<IpAddr> = ["192.168.1.23", "fd00::5", "10.0.0.2"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let v4: SocketAddr = "0.0.0.0:47800".parse().unwrap();
        assert_eq!(
            share_addresses(v4, lan.clone()),
            ["192.168.1.23:47800", "10.0.0.2:47800"]
        );
        let v6: SocketAddr = "[::]:9".parse().unwrap();
        assert_eq!(
            share_addresses(v6, lan),
            ["192.168.1.23:9", "[fd00::5]:9", "10.0.0.2:9"]
        );
    }
}
