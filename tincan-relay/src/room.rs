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
    pub(crate) fn join(
        &self,
        room_name: &str,
        name: &str,
        limits: JoinLimits,
    ) -> Result<Membership, Refusal> {
        let mut inner = self.lock();
        if inner.connections >= limits.max_connections {
            return Err(Refusal::RelayFull);
        }
        let occupied = inner
            .rooms
            .get(room_name)
            .map_or(0, |room| room.peers.len());
        if occupied >= limits.max_peers_per_room {
            return Err(Refusal::RoomFull);
        }
        let id = inner.fresh_id(room_name);
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
        };
        // An empty queue always takes one frame, so this cannot fail.
        let _ = tx.push(welcome.to_json().into());
        let joined = ServerMessage::PeerJoined {
            id: id.clone(),
            name: name.to_owned(),
        };
        let victims = room.broadcast(&Utf8Bytes::from(joined.to_json()), &id);
        room.peers.push(Peer {
            id: id.clone(),
            name: name.to_owned(),
            tx: tx.clone(),
        });
        let evicted = room.evict(victims);
        inner.connections = inner.connections + 1 - evicted;
        Ok(Membership { id, rx, tx })
    }

    /// Removes a peer (if still present) and tells the others it left.
    pub(crate) fn leave(&self, room_name: &str, id: &str) {
        let mut inner = self.lock();
        let Some(room) = inner.rooms.get_mut(room_name) else {
            return;
        };
        let Some(index) = room.peers.iter().position(|p| p.id == id) else {
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

impl Peer {
    /// Queues a frame without waiting; `false` means the queue is over its budget (a closed
    /// queue belongs to a peer that is already leaving, which is not an overflow).
    fn offer(&self, text: Utf8Bytes) -> bool {
        self.tx.push(text).is_ok()
    }
}
