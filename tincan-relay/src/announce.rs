//! Announcing a relay's room on the LAN over mDNS/DNS-SD, with its people count kept current.

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use tincan_discovery::{Announcement, Announcer, Interfaces};
use tokio::task::JoinHandle;

use crate::occupancy::Occupancy;

/// How often the room's count is read. Reading it is one short lock, and a change reaches the
/// other side's list well within a second of this.
const COUNT_INTERVAL: Duration = Duration::from_millis(250);
/// The responder first probes the room's name (three queries 250 ms apart, after up to 250 ms)
/// and only then announces it. A new count sent meanwhile is heard by the probe as someone
/// else's record under our name, and the room is renamed ("Ann 1a2b3c (2)") and listed twice;
/// so the first change waits until probing is surely over.
const PROBING: Duration = Duration::from_millis(1500);

/// A room being announced while the relay serves it; [`Announcing::stop`] withdraws it.
/// Dropping it withdraws the room too, but then waits for the responder on the dropping thread.
#[derive(Debug)]
pub struct Announcing {
    /// The only strong reference: the counting task holds a weak one, so that dropping this
    /// ends the announcement even if the task is still scheduled.
    announcer: Option<Arc<Announcer>>,
    id: String,
    counter: JoinHandle<()>,
}

impl Announcing {
    /// Starts announcing `announcement` (its `people` is replaced by the live count) and keeps
    /// the count current from `occupancy`. Must be called inside a Tokio runtime.
    pub fn start(
        mut announcement: Announcement,
        interfaces: Interfaces,
        occupancy: Occupancy,
    ) -> tincan_discovery::Result<Self> {
        let room = announcement.room.clone();
        announcement.people = count(&occupancy, &room);
        let announcer = Arc::new(Announcer::start(announcement, interfaces)?);
        let counter = tokio::spawn(keep_count(Arc::downgrade(&announcer), occupancy, room));
        Ok(Self {
            id: announcer.id().to_owned(),
            announcer: Some(announcer),
            counter,
        })
    }

    /// The DNS-SD instance name, so that a browsing app can tell its own room.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Announces a new display name for the host.
    pub fn update_host(&self, host: &str) -> tincan_discovery::Result<()> {
        match &self.announcer {
            Some(announcer) => announcer.update_host(host),
            None => Ok(()),
        }
    }

    /// Withdraws the room (goodbye packets, so other lists drop it at once).
    pub async fn stop(mut self) {
        self.counter.abort();
        // The task may hold a strong reference for a moment while it updates; wait it out.
        let _ = (&mut self.counter).await;
        let Some(announcer) = self.announcer.take() else {
            return;
        };
        if let Ok(announcer) = Arc::try_unwrap(announcer) {
            // Waits up to two seconds for the responder; not on a runtime thread.
            let stopped = tokio::task::spawn_blocking(move || announcer.stop()).await;
            if let Ok(Err(error)) = stopped {
                tracing::warn!("withdrawing the room announcement: {error}");
            }
        }
    }
}

impl Drop for Announcing {
    fn drop(&mut self) {
        // A detached task would otherwise keep counting for a room nobody announces.
        self.counter.abort();
    }
}

async fn keep_count(announcer: Weak<Announcer>, occupancy: Occupancy, room: String) {
    let mut announced = count(&occupancy, &room);
    tokio::time::sleep(PROBING).await;
    let mut ticks = tokio::time::interval(COUNT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let people = count(&occupancy, &room);
        if people == announced {
            continue;
        }
        let Some(announcer) = announcer.upgrade() else {
            return;
        };
        match announcer.update_people(people) {
            Ok(()) => announced = people,
            Err(error) => tracing::warn!("announcing the room's count: {error}"),
        }
    }
}

fn count(occupancy: &Occupancy, room: &str) -> u32 {
    u32::try_from(occupancy.people(room)).unwrap_or(u32::MAX)
}
