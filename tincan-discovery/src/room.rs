//! Rooms heard on the network, the changes to them, and the list they form.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

use serde::Serialize;

use crate::txt::Fields;
use crate::PROTOCOL_VERSION;

/// At most this many rooms are listed; more announcements are ignored, so a flood of fake
/// ones cannot grow memory without bound.
pub const MAX_ROOMS: usize = 256;
/// At most this many addresses are kept per room.
pub const MAX_ADDRESSES: usize = 8;

/// A room announced on the local network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    /// Stable key of this announcement: its DNS-SD instance name, as announced.
    pub id: String,
    /// The signaling protocol version the host speaks.
    pub version: u32,
    /// The room name, valid for the relay's URL.
    pub room: String,
    /// The host's display name; may be empty.
    pub host: String,
    /// How many people are in the room.
    pub people: u32,
    /// Whether a passcode is needed to join.
    pub key_required: bool,
    /// Where the relay listens: IPv4 first, then IPv6 (link-local ones carry their scope).
    pub addresses: Vec<SocketAddr>,
}

impl Room {
    /// Whether this app can join: the host speaks the same protocol version.
    pub fn compatible(&self) -> bool {
        self.version == PROTOCOL_VERSION
    }

    /// The relay's port.
    pub fn port(&self) -> u16 {
        self.addresses.first().map_or(0, SocketAddr::port)
    }

    pub(crate) fn new(
        id: &str,
        port: u16,
        addresses: impl IntoIterator<Item = (IpAddr, u32)>,
        fields: Fields,
    ) -> Self {
        Self {
            id: id.to_owned(),
            version: fields.version,
            room: fields.room,
            host: fields.host,
            people: fields.people,
            key_required: fields.key_required,
            addresses: usable_addresses(port, addresses),
        }
    }
}

/// A change in the list of rooms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RoomEvent {
    /// A room was heard for the first time.
    Found(Room),
    /// A listed room changed (people, name, addresses...).
    Updated(Room),
    /// A listed room is gone: its host stopped announcing it, or its announcement expired or
    /// turned unusable.
    Lost(Room),
}

/// Addresses a joiner could connect to, best first: IPv4, then routable IPv6, then IPv6
/// link-local with its interface. Loopback, multicast, unspecified and scope-less link-local
/// addresses are dropped: a remote host has no business pointing at them.
fn usable_addresses(
    port: u16,
    addresses: impl IntoIterator<Item = (IpAddr, u32)>,
) -> Vec<SocketAddr> {
    let mut usable: Vec<SocketAddr> = addresses
        .into_iter()
        .filter_map(|(ip, scope)| match ip {
            IpAddr::V4(v4) => {
                let bad = v4.is_loopback()
                    || v4.is_multicast()
                    || v4.is_unspecified()
                    || v4.is_broadcast();
                (!bad).then(|| SocketAddr::new(ip, port))
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    let bad = v4.is_loopback() || v4.is_multicast() || v4.is_unspecified();
                    return (!bad).then(|| SocketAddr::new(IpAddr::V4(v4), port));
                }
                if v6.is_loopback() || v6.is_multicast() || v6.is_unspecified() {
                    return None;
                }
                if is_link_local(&v6) {
                    return (scope != 0)
                        .then(|| SocketAddr::V6(SocketAddrV6::new(v6, port, 0, scope)));
                }
                Some(SocketAddr::V6(SocketAddrV6::new(v6, port, 0, 0)))
            }
        })
        .collect();
    usable.sort_by_key(|a| {
        let rank = match a {
            SocketAddr::V4(_) => 0,
            SocketAddr::V6(v6) if !is_link_local(v6.ip()) => 1,
            SocketAddr::V6(_) => 2,
        };
        (rank, *a)
    });
    usable.dedup();
    usable.truncate(MAX_ADDRESSES);
    usable
}

fn is_link_local(ip: &Ipv6Addr) -> bool {
    ip.segments()[0] & 0xffc0 == 0xfe80
}

/// The rooms currently listed, keyed by [`Room::id`] in lowercase (DNS names ignore case).
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    by_id: HashMap<String, Room>,
}

impl Rooms {
    /// A usable announcement was heard; returns the change it makes, if any.
    pub(crate) fn seen(&mut self, room: Room) -> Option<RoomEvent> {
        if room.addresses.is_empty() {
            return self.gone(&room.id);
        }
        let full = self.by_id.len() >= MAX_ROOMS;
        let key = room.id.to_lowercase();
        match self.by_id.get_mut(&key) {
            Some(known) if *known == room => None,
            Some(known) => {
                *known = room.clone();
                Some(RoomEvent::Updated(room))
            }
            None if full => None,
            None => {
                self.by_id.insert(key, room.clone());
                Some(RoomEvent::Found(room))
            }
        }
    }

    /// The announcement with this id is gone or no longer usable.
    pub(crate) fn gone(&mut self, id: &str) -> Option<RoomEvent> {
        self.by_id.remove(&id.to_lowercase()).map(RoomEvent::Lost)
    }

    /// The listed room with this id, if any.
    pub(crate) fn get(&self, id: &str) -> Option<&Room> {
        self.by_id.get(&id.to_lowercase())
    }

    /// Every listed room, ordered by host, room and id.
    pub(crate) fn snapshot(&self) -> Vec<Room> {
        let mut rooms: Vec<Room> = self.by_id.values().cloned().collect();
        rooms.sort_by(|a, b| (&a.host, &a.room, &a.id).cmp(&(&b.host, &b.room, &b.id)));
        rooms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(people: u32) -> Fields {
        Fields {
            version: 1,
            room: "kitchen".into(),
            host: "Ann".into(),
            people,
            key_required: false,
        }
    }

    fn room(id: &str, people: u32) -> Room {
        Room::new(
            id,
            47800,
            [("10.0.0.2".parse().unwrap(), 0)],
            fields(people),
        )
    }

    #[test]
    fn addresses_are_filtered_and_ordered() {
        let heard: Vec<(IpAddr, u32)> = vec![
            ("fe80::1".parse().unwrap(), 3),
            ("fe80::2".parse().unwrap(), 0),
            ("2001:db8::1".parse().unwrap(), 0),
            ("127.0.0.1".parse().unwrap(), 0),
            ("::1".parse().unwrap(), 0),
            ("224.0.0.251".parse().unwrap(), 0),
            ("0.0.0.0".parse().unwrap(), 0),
            ("::ffff:192.168.1.9".parse().unwrap(), 0),
            ("192.168.1.7".parse().unwrap(), 0),
            ("192.168.1.7".parse().unwrap(), 2),
        ];
        let room = Room::new("X._tincan._tcp.local.", 47800, heard, fields(1));
        let shown: Vec<String> = room.addresses.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "192.168.1.7:47800",
                "192.168.1.9:47800",
                "[2001:db8::1]:47800",
                "[fe80::1%3]:47800",
            ]
        );
        assert_eq!(room.id, "X._tincan._tcp.local.");
        assert_eq!(room.port(), 47800);
    }

    #[test]
    fn addresses_are_capped() {
        let many = (1..=50u8).map(|i| (IpAddr::from([10, 0, 0, i]), 0));
        assert_eq!(
            Room::new("x", 1, many, fields(1)).addresses.len(),
            MAX_ADDRESSES
        );
    }

    #[test]
    fn the_list_reports_found_updated_and_lost_once() {
        let mut rooms = Rooms::default();
        assert_eq!(
            rooms.seen(room("a", 1)),
            Some(RoomEvent::Found(room("a", 1)))
        );
        assert_eq!(rooms.seen(room("a", 1)), None, "a repeat is no change");
        assert_eq!(
            rooms.seen(room("a", 2)),
            Some(RoomEvent::Updated(room("a", 2)))
        );
        assert_eq!(rooms.snapshot(), vec![room("a", 2)]);
        assert_eq!(rooms.get("A"), Some(&room("a", 2)));
        assert_eq!(rooms.gone("A"), Some(RoomEvent::Lost(room("a", 2))));
        assert_eq!(rooms.gone("a"), None);
        assert!(rooms.snapshot().is_empty());
    }

    #[test]
    fn a_room_without_usable_address_is_dropped() {
        let mut rooms = Rooms::default();
        rooms.seen(room("a", 1));
        let nowhere = Room::new("a", 1, [("127.0.0.1".parse().unwrap(), 0)], fields(1));
        assert!(matches!(
            rooms.seen(nowhere.clone()),
            Some(RoomEvent::Lost(_))
        ));
        assert_eq!(rooms.seen(nowhere), None, "never listed without an address");
    }

    #[test]
    fn the_list_is_capped() {
        let mut rooms = Rooms::default();
        for i in 0..MAX_ROOMS + 10 {
            rooms.seen(room(&format!("r{i}"), 1));
        }
        assert_eq!(rooms.snapshot().len(), MAX_ROOMS);
        assert_eq!(
            rooms
                .seen(room("r0", 5))
                .map(|e| matches!(e, RoomEvent::Updated(_))),
            Some(true)
        );
    }

    #[test]
    fn events_serialize_for_the_page() {
        let mut r = room("Ann 1a2b3c._tincan._tcp.local.", 2);
        r.addresses.push("[fe80::1%3]:47800".parse().unwrap());
        let json = serde_json::to_value(RoomEvent::Found(r)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "found",
                "id": "Ann 1a2b3c._tincan._tcp.local.",
                "version": 1,
                "room": "kitchen",
                "host": "Ann",
                "people": 2,
                "keyRequired": false,
                "addresses": ["10.0.0.2:47800", "[fe80::1%3]:47800"],
            })
        );
    }

    #[test]
    fn compatibility_is_the_protocol_version() {
        let mut r = room("a", 1);
        assert!(r.compatible());
        r.version = PROTOCOL_VERSION + 1;
        assert!(!r.compatible());
    }
}
