//! Rooms on the LAN: the hosted room's announcement, and the list of others' rooms that the home
//! screen shows (mDNS/DNS-SD, see `docs/PROTOCOL.md` section 11).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex, MutexGuard,
};

use tauri::{ipc::Channel, State};
use tincan_discovery::{Announcement, Browser, Interfaces, RoomEvent};
use tincan_relay::{Announcing, Occupancy};

use crate::{error::Error, host::HostInfo};

/// Set to `1` to keep the app off mDNS: no announcing, no listing (tests that run the app
/// outside a network namespace of their own set it).
pub const OFF_VARIABLE: &str = "TINCAN_NO_DISCOVERY";

/// Whether announcing and listing may touch the network. Off until the real app turns it on, so
/// that tests building the app on a mock runtime never send multicast to the machine's LAN.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns discovery on for the running app, unless [`OFF_VARIABLE`] says not to.
pub fn enable_unless_turned_off() {
    let off = std::env::var_os(OFF_VARIABLE).is_some_and(|value| value == "1");
    ENABLED.store(!off, Ordering::Relaxed);
}

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Where the list's events go: the page's channel while it shows the home screen, else nowhere.
type Sink = Arc<Mutex<Option<Channel<RoomEvent>>>>;

/// The browser feeding the home screen's list. It starts with the first list the page asks for
/// and then keeps listening, so a page that comes back to the home screen (after a call, after a
/// reload) gets the rooms already heard at once; a fresh responder would have to ask the network
/// again and wait for answers.
#[derive(Default)]
pub struct RoomBrowser {
    browsing: Mutex<Option<Browser>>,
    sink: Sink,
}

impl RoomBrowser {
    fn slot(&self) -> MutexGuard<'_, Option<Browser>> {
        // The slot holds a whole value or none, whatever panicked while it was locked.
        lock(&self.browsing)
    }

    /// Sends the list's events to `rooms` from now on, or to nobody.
    fn attach(&self, rooms: Option<Channel<RoomEvent>>) {
        *lock(&self.sink) = rooms;
    }

    /// Stops browsing, if it runs.
    pub fn stop(&self) {
        self.attach(None);
        let browser = self.slot().take();
        // Dropping waits a few milliseconds for the responder's thread, outside the lock.
        drop(browser);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts listing the rooms announced on the LAN; every change arrives on `rooms` as a
/// `found`, `updated` or `lost` event carrying the room, starting with a `found` for each room
/// already heard. A page that calls it again (after a call, after a reload) replaces its earlier
/// list: one browser runs at most.
#[tauri::command]
pub async fn browse_rooms(
    browser: State<'_, RoomBrowser>,
    rooms: Channel<RoomEvent>,
) -> Result<(), Error> {
    if !enabled() {
        // The list stays empty, as it does on a network where nobody hosts.
        return Ok(());
    }
    let mut slot = browser.slot();
    if let Some(running) = slot.as_ref() {
        for room in running.rooms() {
            let _ = rooms.send(RoomEvent::Found(room));
        }
        browser.attach(Some(rooms));
        return Ok(());
    }
    browser.attach(Some(rooms));
    let sink = browser.sink.clone();
    let started = Browser::start(Interfaces::lan(), move |event| {
        if let Some(rooms) = lock(&sink).as_ref() {
            // Fails only when the page is gone; the next browse_rooms replaces the channel.
            let _ = rooms.send(event);
        }
    })
    .map_err(|error| Error::Discovery(error.to_string()))?;
    *slot = Some(started);
    Ok(())
}

/// Asks the host of a listed room whether it is still there; call it when joining the room
/// failed. A host that crashed or left the network sent no goodbye, and without an answer within
/// ten seconds its room leaves the list (`lost`) instead of staying until its records expire.
#[tauri::command]
pub async fn verify_room(browser: State<'_, RoomBrowser>, id: String) -> Result<(), Error> {
    let slot = browser.slot();
    match slot.as_ref() {
        Some(listing) => listing
            .verify(&id)
            .map_err(|error| Error::Discovery(error.to_string())),
        None => Ok(()),
    }
}

/// Stops sending the list to the page (it left the home screen); the browser keeps listening.
#[tauri::command]
pub async fn stop_browsing(browser: State<'_, RoomBrowser>) -> Result<(), Error> {
    browser.attach(None);
    Ok(())
}

/// Announces a hosted room, with `host` as the host's display name and the count kept from
/// the relay's own. Hosting works without it: a failure is logged and people type the address.
pub fn announce(occupancy: Occupancy, info: &HostInfo, host: &str) -> Option<Announcing> {
    if !enabled() {
        return None;
    }
    let announcement = Announcement {
        room: info.room.clone(),
        host: host.to_owned(),
        people: 0,
        key_required: info.key.is_some(),
        port: info.port,
    };
    match Announcing::start(announcement, Interfaces::lan(), occupancy) {
        Ok(announcing) => Some(announcing),
        Err(error) => {
            tracing::warn!("cannot announce the room on the LAN: {error}");
            None
        }
    }
}

/// A page that (re)loads starts without a list: stop the one the old page asked for, whose
/// channel now leads nowhere.
pub fn stop_on_page_load<R: tauri::Runtime>(
    webview: &tauri::Webview<R>,
    payload: &tauri::webview::PageLoadPayload<'_>,
) {
    use tauri::Manager;
    if payload.event() == tauri::webview::PageLoadEvent::Started {
        if let Some(browser) = webview.try_state::<RoomBrowser>() {
            browser.stop();
        }
    }
}
