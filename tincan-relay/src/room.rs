//! Rooms and their peers: who is where, and delivery of frames into each peer's queue.
//!
//! All state sits behind one mutex. Every method locks it once, does only synchronous work
//! (`push` into bounded queues), and never awaits, so a slow peer can never stall the others:
//! a peer whose queue is full is evicted on the spot.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{atomic::AtomicUsize, Arc, Mutex, MutexGuard, PoisonError},
};

use crate::{
    admission::same_secret,
    guard::KeyGuard,
    protocol::{Close, PeerInfo, ServerMessage, PROTOCOL_VERSION},
    queue::{self, Budget},
};
use axum::extract::ws::Utf8Bytes;

/// The rooms of one relay; cheap to clone, all clones share the same state.
#[derive(Clone, Default)]
pub(crate) struct Hub {
    inner: Arc<Mutex<Inner>>,
    /// Bytes waiting in all peers' queues together.
    queued: Arc<AtomicUsize>,
    /// Wrong passcodes per address, kept apart from the rooms' lock.
    pub(crate) guard: Arc<KeyGuard>,
}

#[derive(Default)]
struct Inner {
    rooms: HashMap<String, Room>,
    connections: usize,
    counter: u64,
    id_keys: RandomState,
}

#[derive(Default)]
struct Room {
    peers: Vec<Peer>,
}

struct Peer {
    id: String,
    name: String,
    tx: queue::Sender,
    /// The secret a reconnect of this client presents to take its place.
    resume: String,
    /// Tells this connection apart from a later one that took over its id.
    serial: u64,
}

/// What a joined connection holds: its id and its queue, which also carries the eviction.
pub(crate) struct Membership {
    /// The id given to this peer.
    pub(crate) id: String,
    /// Frames to write to this peer's socket (`welcome` is already in it), and the close
    /// reason when the relay evicts this peer.
    pub(crate) rx: queue::Receiver,
    /// A sender into the same queue, for error replies to this peer.
    pub(crate) tx: queue::Sender,
    /// This connection's serial, for [`Hub::leave`].
    pub(crate) serial: u64,
}

/// Why a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The room holds its maximum number of peers.
    RoomFull,
    /// The relay holds its maximum number of connections.
    RelayFull,
}

/// Limits applied when joining.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JoinLimits {
    pub(crate) max_peers_per_room: usize,
    pub(crate) max_connections: usize,
    pub(crate) outbound_queue: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) total_queue_bytes: usize,
}

/// `to` named no other peer of the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnknownPeer;

impl Hub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the whole relay down with it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a peer to a room, queues its `welcome` and tells the others.
    ///
    /// A `resume` secret naming a peer of the room takes that peer's place: its old connection
    /// is closed and the new one keeps its id, so the others notice nothing and their calls
    /// with it go on. This also lets a client whose old connection has not timed out yet back
    /// into a full room.
    pub(crate) fn join(
        &self,
        room_name: &str,
        name: &str,
        resume: Option<&str>,
        limits: JoinLimits,
    ) -> Result<Membership, Refusal> {
        let resume_secret = fresh_secret();
        let mut inner = self.lock();
        let resumed = resume
            .filter(|secret| !secret.is_empty())
            .and_then(|secret| inner.find_by_secret(room_name, secret));
        let taken_over = usize::from(resumed.is_some());
        if inner.connections - taken_over >= limits.max_connections {
            return Err(Refusal::RelayFull);
        }
        let occupied = inner
            .rooms
            .get(room_name)
            .map_or(0, |room| room.peers.len());
        if occupied - taken_over >= limits.max_peers_per_room {
            return Err(Refusal::RoomFull);
        }
        let id = match resumed {
            Some(index) => {
                let room = inner.rooms.get_mut(room_name).expect("found above");
                let old = room.peers.remove(index);
                tracing::info!(peer = %old.id, "taken over by a reconnect of the same client");
                old.tx.kick(Close::REPLACED);
                inner.connections -= 1;
                old.id
            }
            None => inner.fresh_id(room_name),
        };
        inner.counter += 1;
        let serial = inner.counter;
        let (tx, rx) = queue::queue(Budget {
            frames: limits.outbound_queue.max(2),
            bytes: limits.queue_bytes,
            total_bytes: limits.total_queue_bytes,
            queued: self.queued.clone(),
        });
        let room = inner.rooms.entry(room_name.to_owned()).or_default();
        let welcome = ServerMessage::Welcome {
            id: id.clone(),
            room: room_name.to_owned(),
            protocol: PROTOCOL_VERSION,
            peers: room
                .peers
                .iter()
                .map(|p| PeerInfo {
                    id: p.id.clone(),
                    name: p.name.clone(),
                })
                .collect(),
            resume: resume_secret.clone(),
        };
        // An empty queue always takes one frame, so this cannot fail.
        let _ = tx.push(welcome.to_json().into());
        let victims = if resumed.is_some() {
            Vec::new()
        } else {
            let joined = ServerMessage::PeerJoined {
                id: id.clone(),
                name: name.to_owned(),
            };
            room.broadcast(&Utf8Bytes::from(joined.to_json()), &id)
        };
        room.peers.push(Peer {
            id: id.clone(),
            name: name.to_owned(),
            tx: tx.clone(),
            resume: resume_secret,
            serial,
        });
        let evicted = room.evict(victims);
        inner.connections = inner.connections + 1 - evicted;
        Ok(Membership { id, rx, tx, serial })
    }

    /// Removes a peer (if still present, and not taken over by a later connection) and tells the
    /// others it left.
    pub(crate) fn leave(&self, room_name: &str, id: &str, serial: u64) {
        let mut inner = self.lock();
        let Some(room) = inner.rooms.get_mut(room_name) else {
            return;
        };
        let Some(index) = room
            .peers
            .iter()
            .position(|p| p.id == id && p.serial == serial)
        else {
            return;
        };
        room.peers.remove(index);
        let left = ServerMessage::PeerLeft { id: id.to_owned() };
        let victims = room.broadcast(&Utf8Bytes::from(left.to_json()), id);
        let evicted = 1 + room.evict(victims);
        let empty = room.peers.is_empty();
        inner.connections -= evicted;
        if empty {
            inner.rooms.remove(room_name);
        }
    }

    /// How many peers are in a room now (0 for a room that does not exist).
    pub(crate) fn people(&self, room_name: &str) -> usize {
        self.lock()
            .rooms
            .get(room_name)
            .map_or(0, |room| room.peers.len())
    }

    /// Queues a frame for one peer (`to`) or for every other peer of the sender's room.
    pub(crate) fn relay(
        &self,
        room_name: &str,
        from: &str,
        to: Option<&str>,
        text: Utf8Bytes,
    ) -> Result<(), UnknownPeer> {
        let mut inner = self.lock();
        let Some(room) = inner.rooms.get_mut(room_name) else {
            return Err(UnknownPeer);
        };
        let victims = match to {
            Some(to) if to != from => {
                let peer = room.peers.iter().find(|p| p.id == to).ok_or(UnknownPeer)?;
                if peer.offer(text) {
                    Vec::new()
                } else {
                    vec![peer.id.clone()]
                }
            }
            Some(_) => return Err(UnknownPeer),
            None => room.broadcast(&text, from),
        };
        if victims.is_empty() {
            return Ok(());
        }
        let evicted = room.evict(victims);
        let empty = room.peers.is_empty();
        inner.connections -= evicted;
        if empty {
            inner.rooms.remove(room_name);
        }
        Ok(())
    }
}

impl Inner {
    /// Where in the room the peer holding this resume secret is.
    fn find_by_secret(&self, room_name: &str, secret: &str) -> Option<usize> {
        self.rooms
            .get(room_name)?
            .peers
            .iter()
            .position(|p| same_secret(p.resume.as_bytes(), secret.as_bytes()))
    }

    /// A short random-looking id not used in the room yet.
    fn fresh_id(&mut self, room_name: &str) -> String {
        loop {
            self.counter += 1;
            let id = format!(
                "{:012x}",
                self.id_keys.hash_one(self.counter) & 0xffff_ffff_ffff
            );
            let taken = self
                .rooms
                .get(room_name)
                .is_some_and(|room| room.peers.iter().any(|p| p.id == id));
            if !taken {
                return id;
            }
        }
    }
}

impl Room {
    /// Queues a frame for every peer except `except`; returns the peers whose queue was full.
    fn broadcast(&self, text: &Utf8Bytes, except: &str) -> Vec<String> {
        self.peers
            .iter()
            .filter(|p| p.id != except && !p.offer(text.clone()))
            .map(|p| p.id.clone())
            .collect()
    }

    /// Removes overflowing peers, closes them as too slow and announces their departure,
    /// which may overflow further peers in turn. Returns how many were removed.
    fn evict(&mut self, mut victims: Vec<String>) -> usize {
        let mut evicted = 0;
        while let Some(id) = victims.pop() {
            let Some(index) = self.peers.iter().position(|p| p.id == id) else {
                continue;
            };
            let peer = self.peers.remove(index);
            tracing::info!(peer = %peer.id, "dropping peer: outbound queue over its budget");
            peer.tx.kick(Close::TOO_SLOW);
            evicted += 1;
            let left = ServerMessage::PeerLeft { id };
            victims.extend(self.broadcast(&Utf8Bytes::from(left.to_json()), ""));
        }
        evicted
    }
}

/// 128 random bits as hex, from the operating system's generator.
fn fresh_secret() -> String {
    let mut bytes = [0u8; 16];
    // The system generator does not fail on the platforms the relay runs on; a zero secret
    // would still only let its holder replace nobody (peers never present it).
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Peer {
    /// Queues a frame without waiting; `false` means the queue is over its budget (a closed
    /// queue belongs to a peer that is already leaving, which is not an overflow).
    fn offer(&self, text: Utf8Bytes) -> bool {
        self.tx.push(text).is_ok()
    }
}
