//! What the app holds between commands: the hosted relay and the joined room.
//!
//! The locks are plain mutexes held only to put a value in or take it out; every await happens
//! after the lock is released.

use std::sync::{Mutex, MutexGuard};

use crate::{host::Hosting, signal::Session};

/// The app's managed state.
#[derive(Default)]
pub struct AppState {
    hosting: Mutex<Option<Hosting>>,
    session: Mutex<Option<Session>>,
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

    /// Leaves the room and stops hosting, so peers hear "host ended the call" rather than
    /// seeing the connection drop when the app quits.
    pub async fn shut_down(&self) {
        let session = self.session().take();
        if let Some(session) = session {
            session.leave().await;
        }
        let hosting = self.hosting().take();
        if let Some(hosting) = hosting {
            hosting.stop().await;
        }
    }
}
