//! Announcing a hosted room, so that others on the LAN see it without typing an address.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo, UnregisterStatus};

use crate::error::{Error, Result};
use crate::interfaces::Interfaces;
use crate::txt::{self, Fields};
use crate::{PROTOCOL_VERSION, SERVICE_TYPE};

/// How long to wait for the responder to confirm a command.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// The responder repeats goodbyes 120 ms after the first; it must live that long after a stop.
const GOODBYE_GRACE: Duration = Duration::from_millis(400);
/// Longest part of the instance name taken from the host's name, in bytes.
const MAX_LABEL_BYTES: usize = 40;

/// What a hosted room tells the network about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The room name (1 to 64 of `A-Z a-z 0-9 _ -`).
    pub room: String,
    /// The host's display name; cleaned and cut to 32 characters when announced.
    pub host: String,
    /// How many people are in the room.
    pub people: u32,
    /// Whether joining needs a passcode.
    pub key_required: bool,
    /// The relay's TCP port.
    pub port: u16,
}

/// A room being announced over mDNS/DNS-SD as `_tincan._tcp.local.`.
///
/// Dropping it (or [`Announcer::stop`]) withdraws the room with goodbye packets, so browsers
/// drop it at once rather than when its records expire.
pub struct Announcer {
    daemon: ServiceDaemon,
    interfaces: Interfaces,
    /// Unique on the network: the host's name plus a random suffix.
    instance: String,
    /// The `.local.` name the room's addresses are published under, unique like `instance`.
    hostname: String,
    fullname: String,
    state: Mutex<State>,
}

struct State {
    fields: Fields,
    port: u16,
    stopped: bool,
    /// Counts the changes announced, sent as TXT key `rev`. Without it a value going back
    /// (people 1, 2, then 1 again) would repeat a TXT record that browsers still hold from
    /// before, which mdns-sd's cache takes for nothing new, so the list would keep the 2.
    revision: u32,
}

impl Announcer {
    /// Starts announcing the room on the chosen interfaces.
    pub fn start(announcement: Announcement, interfaces: Interfaces) -> Result<Self> {
        txt::check_room(&announcement.room)?;
        if announcement.port == 0 {
            return Err(Error::InvalidPort);
        }
        let fields = Fields {
            version: PROTOCOL_VERSION,
            room: announcement.room,
            host: txt::sanitize_host(&announcement.host),
            people: announcement.people,
            key_required: announcement.key_required,
        };
        let suffix = format!("{:06x}", fastrand::u32(..0x0100_0000));
        let instance = format!("{} {suffix}", instance_label(&fields.host));
        let hostname = format!("tincan-{suffix}.local.");

        let daemon = ServiceDaemon::new()?;
        let announcer = Self {
            fullname: format!("{instance}.{SERVICE_TYPE}"),
            daemon,
            interfaces,
            instance,
            hostname,
            state: Mutex::new(State {
                fields,
                port: announcement.port,
                stopped: false,
                revision: 0,
            }),
        };
        // From here on, dropping `announcer` shuts the responder down again.
        announcer
            .daemon
            .disable_interface(announcer.interfaces.excluded())?;
        {
            let state = announcer.lock();
            announcer.daemon.register(announcer.service_info(&state)?)?;
        }
        Ok(announcer)
    }

    /// The DNS-SD instance name, as [`crate::Room::id`] shows it, so that an app can tell its
    /// own room in the list it browses.
    pub fn id(&self) -> &str {
        &self.fullname
    }

    /// Announces a new number of people.
    pub fn update_people(&self, people: u32) -> Result<()> {
        self.update(|fields| fields.people = people)
    }

    /// Announces a new display name for the host.
    pub fn update_host(&self, host: &str) -> Result<()> {
        let host = txt::sanitize_host(host);
        self.update(|fields| fields.host = host)
    }

    /// Announces whether a passcode is needed.
    pub fn update_key_required(&self, key_required: bool) -> Result<()> {
        self.update(|fields| fields.key_required = key_required)
    }

    /// Withdraws the room: goodbye packets go out, then the responder stops.
    pub fn stop(self) -> Result<()> {
        self.withdraw()
    }

    fn update(&self, change: impl FnOnce(&mut Fields)) -> Result<()> {
        let mut state = self.lock();
        let before = state.fields.clone();
        change(&mut state.fields);
        if state.stopped || state.fields == before {
            return Ok(());
        }
        state.revision = state.revision.wrapping_add(1);
        // Registering the same name again replaces the records and re-announces them; the new
        // TXT record flushes the old one from every cache that heard it. The names were probed
        // when the room started and are ours, so probing again would only delay the news.
        let mut info = self.service_info(&state)?;
        info.set_requires_probe(false);
        self.daemon.register(info)?;
        Ok(())
    }

    fn service_info(&self, state: &State) -> Result<ServiceInfo> {
        let mut entries = txt::entries(&state.fields);
        entries.push(("rev".to_owned(), state.revision.to_string()));
        let mut info = ServiceInfo::new(
            SERVICE_TYPE,
            &self.instance,
            &self.hostname,
            "",
            state.port,
            &entries[..],
        )?
        .enable_addr_auto();
        info.set_interfaces(vec![self.interfaces.included()]);
        Ok(info)
    }

    fn withdraw(&self) -> Result<()> {
        let mut state = self.lock();
        if state.stopped {
            return Ok(());
        }
        state.stopped = true;
        let answer = self
            .daemon
            .unregister(&self.fullname)
            .map_err(Error::from)
            .and_then(|status| match status.recv_timeout(ANSWER_TIMEOUT) {
                Ok(UnregisterStatus::OK) => Ok(()),
                Ok(UnregisterStatus::NotFound) => Ok(()),
                Err(_) => Err(Error::NoAnswer),
            });
        // Shut the responder down a little later, off this thread, so that the repeated
        // goodbye still goes out and the caller (maybe an async task) is not held up.
        let daemon = self.daemon.clone();
        let spawned = std::thread::Builder::new()
            .name("tincan-mdns-stop".into())
            .spawn(move || {
                std::thread::sleep(GOODBYE_GRACE);
                let _ = daemon.shutdown();
            });
        if spawned.is_err() {
            let _ = self.daemon.shutdown();
        }
        answer
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave `State` half-written: every change is one assignment.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        if let Err(e) = self.withdraw() {
            tracing::warn!("withdrawing the room announcement: {e}");
        }
    }
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// The readable part of the instance name: the host's name without dots or backslashes (DNS
/// would need them escaped), cut to [`MAX_LABEL_BYTES`]; "Tincan" when nothing is left.
fn instance_label(host: &str) -> String {
    let cleaned: String = host
        .chars()
        .map(|c| if c == '.' || c == '\\' { ' ' } else { c })
        .collect();
    let mut end = cleaned.len().min(MAX_LABEL_BYTES);
    while !cleaned.is_char_boundary(end) {
        end -= 1;
    }
    let label = cleaned[..end].trim();
    if label.is_empty() {
        "Tincan".to_owned()
    } else {
        label.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_labels_are_plain_and_short() {
        assert_eq!(instance_label("Ann Lee"), "Ann Lee");
        assert_eq!(instance_label("a.b\\c"), "a b c");
        assert_eq!(instance_label(""), "Tincan");
        assert_eq!(instance_label(" . "), "Tincan");
        let long = instance_label(&"한".repeat(32));
        assert!(long.len() <= MAX_LABEL_BYTES && long.chars().all(|c| c == '한'));
    }

    #[test]
    fn bad_announcements_are_refused_before_any_socket() {
        let good = Announcement {
            room: "kitchen".into(),
            host: "Ann".into(),
            people: 1,
            key_required: false,
            port: 47800,
        };
        let bad_room = Announcement {
            room: "no spaces".into(),
            ..good.clone()
        };
        assert!(matches!(
            Announcer::start(bad_room, Interfaces::lan()),
            Err(Error::InvalidRoom(_))
        ));
        let no_port = Announcement { port: 0, ..good };
        assert!(matches!(
            Announcer::start(no_port, Interfaces::lan()),
            Err(Error::InvalidPort)
        ));
    }
}
