//! How many people each room holds, read from outside the relay (to announce it on the LAN).

use crate::room::Hub;

/// A live view of the relay's rooms; cheap to clone, every clone sees the same rooms.
#[derive(Clone, Default)]
pub struct Occupancy {
    hub: Hub,
}

impl Occupancy {
    /// How many people are in `room` now; 0 when nobody is.
    pub fn people(&self, room: &str) -> usize {
        self.hub.people(room)
    }

    /// The rooms this view watches, for the relay to serve.
    pub(crate) fn hub(&self) -> Hub {
        self.hub.clone()
    }
}

impl std::fmt::Debug for Occupancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Occupancy").finish_non_exhaustive()
    }
}
