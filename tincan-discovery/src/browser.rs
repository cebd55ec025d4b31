//! Listening for rooms announced on the LAN.
//!
//! The responder runs on a thread of its own; a second thread here turns what it hears into
//! checked [`Room`]s, keeps the list, and hands each change to the caller's callback. The
//! lock on the list is held only to apply one change or to copy the list out.

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use mdns_sd::{ResolvedService, ScopedIp, ServiceDaemon, ServiceEvent};
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::interfaces::Interfaces;
use crate::room::{Room, RoomEvent, Rooms};
use crate::txt::{self, Rejection};
use crate::SERVICE_TYPE;

/// Browses `_tincan._tcp.local.` and keeps the list of rooms heard.
///
/// Dropping it (or [`Browser::stop`]) stops browsing; that waits a few milliseconds for the
/// responder and the browsing thread to end.
pub struct Browser {
    daemon: ServiceDaemon,
    rooms: Arc<Mutex<Rooms>>,
    thread: Option<JoinHandle<()>>,
}

impl Browser {
    /// Starts browsing on the chosen interfaces. `on_event` runs on the browsing thread for
    /// every change to the list; it should return quickly.
    pub fn start(
        interfaces: Interfaces,
        on_event: impl FnMut(RoomEvent) + Send + 'static,
    ) -> Result<Self> {
        let daemon = ServiceDaemon::new()?;
        let started = Self::listen(&daemon, &interfaces);
        let events = match started {
            Ok(events) => events,
            Err(e) => {
                let _ = daemon.shutdown();
                return Err(e);
            }
        };
        let rooms = Arc::new(Mutex::new(Rooms::default()));
        let thread = std::thread::Builder::new()
            .name("tincan-browse".into())
            .spawn({
                let rooms = Arc::clone(&rooms);
                move || run(events, rooms, on_event)
            });
        let thread = match thread {
            Ok(thread) => thread,
            Err(e) => {
                let _ = daemon.shutdown();
                return Err(Error::Thread(e));
            }
        };
        Ok(Self {
            daemon,
            rooms,
            thread: Some(thread),
        })
    }

    /// Starts browsing and delivers the changes on a channel, for async code: read it with
    /// `recv().await`. The channel never makes browsing wait (a stalled reader must not stall
    /// [`Browser::rooms`] or a stop); the list's cap bounds what a flood of fake rooms can queue
    /// while the reader keeps up.
    pub fn start_with_channel(
        interfaces: Interfaces,
    ) -> Result<(Self, mpsc::UnboundedReceiver<RoomEvent>)> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let browser = Self::start(interfaces, move |event| {
            // Fails only when the reader is gone, which is its way of not listening any more.
            let _ = sender.send(event);
        })?;
        Ok((browser, receiver))
    }

    /// The rooms heard and not yet gone, ordered by host and room.
    pub fn rooms(&self) -> Vec<Room> {
        lock(&self.rooms).snapshot()
    }

    /// Asks the host of a listed room to confirm it is still there (RFC 6762, section 10.4).
    /// Without an answer within ten seconds the room is dropped with [`RoomEvent::Lost`].
    /// Call it when joining a listed room fails: a host that crashed or left the network sent
    /// no goodbye, and its room would otherwise stay listed until its records expire (two
    /// minutes). Unknown ids are ignored.
    pub fn verify(&self, id: &str) -> Result<()> {
        let listed = lock(&self.rooms).get(id).map(|room| room.id.clone());
        if let Some(id) = listed {
            self.daemon.verify(id, mdns_sd::VERIFY_TIMEOUT_DEFAULT)?;
        }
        Ok(())
    }

    /// Stops browsing. The callback is not called any more once this returns.
    pub fn stop(mut self) {
        self.finish();
    }

    fn listen(
        daemon: &ServiceDaemon,
        interfaces: &Interfaces,
    ) -> Result<mdns_sd::Receiver<ServiceEvent>> {
        daemon.disable_interface(interfaces.excluded())?;
        Ok(daemon.browse(SERVICE_TYPE)?)
    }

    fn finish(&mut self) {
        // Ending the responder closes its event channel, which ends the browsing thread.
        let _ = self.daemon.stop_browse(SERVICE_TYPE);
        let ended = self.daemon.shutdown().is_ok();
        if let Some(thread) = self.thread.take() {
            // The callback runs on that thread: never wait for ourselves. And if the responder
            // could not be told to end, its channel may stay open: do not wait then either.
            if ended && thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.finish();
    }
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("rooms", &lock(&self.rooms).snapshot().len())
            .finish_non_exhaustive()
    }
}

fn lock(rooms: &Mutex<Rooms>) -> MutexGuard<'_, Rooms> {
    // Every change to `Rooms` is a single map operation, so a poisoned lock holds a whole list.
    rooms.lock().unwrap_or_else(|e| e.into_inner())
}

/// The browsing thread: applies each event to the list, then tells the caller, outside the lock.
fn run(
    events: mdns_sd::Receiver<ServiceEvent>,
    rooms: Arc<Mutex<Rooms>>,
    mut on_event: impl FnMut(RoomEvent),
) {
    while let Ok(event) = events.recv() {
        let change = match event {
            ServiceEvent::ServiceResolved(service) => match read(&service) {
                Ok(room) => lock(&rooms).seen(room),
                Err(why) => {
                    tracing::debug!(instance = %service.fullname, "ignoring announcement: {why}");
                    lock(&rooms).gone(&service.fullname)
                }
            },
            ServiceEvent::ServiceRemoved(_, fullname) => lock(&rooms).gone(&fullname),
            ServiceEvent::SearchStopped(_) => break,
            _ => None,
        };
        if let Some(change) = change {
            on_event(change);
        }
    }
}

/// Checks a resolved announcement and turns it into a room.
fn read(service: &ResolvedService) -> std::result::Result<Room, Rejection> {
    if service.port == 0 {
        return Err(Rejection::NoPort);
    }
    let fields = txt::parse(|key| service.txt_properties.get_property_val(key))?;
    let addresses = service.addresses.iter().filter_map(|ip| match ip {
        ScopedIp::V4(v4) => Some(((*v4.addr()).into(), 0)),
        ScopedIp::V6(v6) => Some(((*v6.addr()).into(), v6.scope_id().index)),
        _ => None,
    });
    let room = Room::new(&service.fullname, service.port, addresses, fields);
    if room.addresses.is_empty() {
        return Err(Rejection::NoAddress);
    }
    Ok(room)
}
