//! What the app holds between commands: the hosted relay and the joined room, both owned by the
//! page that started them.
//!
//! The locks are plain mutexes held only to put a value in or take it out; every await happens
//! after the lock is released.
//!
//! Each page load starts a new page generation. A command notes the generation when it starts
//! and stores what it built only if no other page has started loading meanwhile, so a reply that
//! arrives after a reload cannot leave a relay or a socket behind that no page knows about.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Mutex, MutexGuard,
};

use tokio::sync::watch;

use crate::{error::Error, host::Hosting, signal::Session};

/// The app's managed state.
pub struct AppState {
    hosting: Mutex<Option<Hosting>>,
    session: Mutex<Option<Session>>,
    /// Bumped when a page of the main window starts loading.
    page: AtomicU64,
    /// How many earlier pages' calls are still being ended.
    endings: watch::Sender<usize>,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            hosting: Mutex::default(),
            session: Mutex::default(),
            page: AtomicU64::new(0),
            endings: watch::channel(0).0,
        }
    }
}

/// What a page left behind when another one started loading.
pub struct Leftovers {
    session: Option<Session>,
    hosting: Option<Hosting>,
}

impl Leftovers {
    /// Whether the page had nothing running.
    pub fn is_empty(&self) -> bool {
        self.session.is_none() && self.hosting.is_none()
    }

    /// Leaves the room, so the others see this peer go, then stops hosting, so everyone else
    /// hears "host ended the call".
    pub async fn end(self) {
        if let Some(session) = self.session {
            session.leave().await;
        }
        if let Some(hosting) = self.hosting {
            hosting.stop().await;
        }
    }
}

impl AppState {
    /// The hosted relay, if any.
    pub fn hosting(&self) -> MutexGuard<'_, Option<Hosting>> {
        // A panic while holding the lock leaves plain data that is still usable.
        self.hosting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The joined room, if any.
    pub fn session(&self) -> MutexGuard<'_, Option<Session>> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current page generation.
    pub fn page(&self) -> u64 {
        self.page.load(Ordering::SeqCst)
    }

    /// Starts a new page generation and hands over what the previous page had running. The
    /// caller must pass the result to [`AppState::ended`] once it has ended it.
    pub fn new_page(&self) -> Leftovers {
        self.page.fetch_add(1, Ordering::SeqCst);
        self.endings.send_modify(|n| *n += 1);
        Leftovers {
            session: self.session().take(),
            hosting: self.hosting().take(),
        }
    }

    /// Notes that one earlier page's leftovers are gone.
    pub fn ended(&self) {
        self.endings.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// Waits until every earlier page's call has ended, so a new page's relay can bind the port
    /// the old one had, and its join is not overtaken by the old leave.
    pub async fn settled(&self) {
        let mut endings = self.endings.subscribe();
        // The sender lives as long as the state, so this only returns once the count is zero.
        let _ = endings.wait_for(|n| *n == 0).await;
    }

    /// Stores the joined room if the page that asked for it is still the current one; returns
    /// the room it replaces. Otherwise hands the session back to be left.
    pub fn keep_session(&self, page: u64, session: Session) -> Result<Option<Session>, Session> {
        let mut slot = self.session();
        if self.page() != page {
            return Err(session);
        }
        Ok(slot.replace(session))
    }

    /// Stores the hosted relay if the page that asked for it is still the current one and no
    /// other relay runs; otherwise hands it back, with the reason, to be stopped.
    pub fn keep_hosting(&self, page: u64, hosting: Hosting) -> Result<(), (Error, Box<Hosting>)> {
        let mut slot = self.hosting();
        if self.page() != page {
            return Err((Error::PageGone, Box::new(hosting)));
        }
        if let Some(running) = slot.as_ref().filter(|h| h.is_running()) {
            // Another host_room won the race while this one was binding.
            let port = running.info().port;
            return Err((Error::AlreadyHosting { port }, Box::new(hosting)));
        }
        *slot = Some(hosting);
        Ok(())
    }

    /// Leaves the room and stops hosting, so peers hear "host ended the call" rather than
    /// seeing the connection drop when the app quits.
    pub async fn shut_down(&self) {
        let leftovers = self.new_page();
        leftovers.end().await;
        self.ended();
    }
}
