//! Rooms on the LAN: the hosted room's announcement, and the list of others' rooms that the home
//! screen shows (mDNS/DNS-SD, see `docs/PROTOCOL.md` section 11).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, MutexGuard,
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

/// The browser feeding the home screen's list, while the page wants one.
#[derive(Default)]
pub struct RoomBrowser {
    browsing: Mutex<Option<Browser>>,
}

impl RoomBrowser {
    fn slot(&self) -> MutexGuard<'_, Option<Browser>> {
        // The slot holds a whole value or none, whatever panicked while it was locked.
        self.browsing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops browsing, if it runs.
    pub fn stop(&self) {
        let browser = self.slot().take();
        // Dropping waits a few milliseconds for the responder's thread, outside the lock.
        drop(browser);
    }
}

/// Starts listing the rooms announced on the LAN; every change arrives on `rooms` as a
/// `found`, `updated` or `lost` event carrying the room. A page that calls it again (after a
/// reload) replaces its earlier list, so at most one browser runs.
#[tauri::command]
pub async fn browse_rooms(
    browser: State<'_, RoomBrowser>,
    rooms: Channel<RoomEvent>,
) -> Result<(), Error> {
    browser.stop();
    if !enabled() {
        // The list stays empty, as it does on a network where nobody hosts.
        return Ok(());
    }
    let started = Browser::start(Interfaces::lan(), move |event| {
        // Fails only when the page is gone; the next browse_rooms or stop_browsing ends this.
        let _ = rooms.send(event);
    })
    .map_err(|error| Error::Discovery(error.to_string()))?;
    let replaced = browser.slot().replace(started);
    // Two calls racing: keep the later one's list.
    drop(replaced);
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

/// Stops listing rooms (the page left the home screen).
#[tauri::command]
pub async fn stop_browsing(browser: State<'_, RoomBrowser>) -> Result<(), Error> {
    browser.stop();
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
            eprintln!("tincan: cannot announce the room on the LAN: {error}");
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
