//! Finds Tincan rooms on the local network, and announces hosted ones, over mDNS/DNS-SD.
//!
//! A hosted room is announced as an instance of `_tincan._tcp.local.`: its SRV record points
//! at the relay's port, its A/AAAA records at the host's LAN addresses, and its TXT record
//! carries the protocol version, the room, the host's display name, how many people are in it
//! and whether a passcode is needed (see [`txt`] for the exact keys and rules).
//!
//! ```no_run
//! use tincan_discovery::{Announcement, Announcer, Browser, Interfaces};
//!
//! # fn main() -> tincan_discovery::Result<()> {
//! let host = Announcer::start(
//!     Announcement {
//!         room: "kitchen".into(),
//!         host: "Ann".into(),
//!         people: 1,
//!         key_required: false,
//!         port: 47800,
//!     },
//!     Interfaces::lan(),
//! )?;
//! host.update_people(2)?;
//!
//! let browser = Browser::start(Interfaces::lan(), |event| println!("{event:?}"))?;
//! let rooms_now = browser.rooms();
//! # drop(rooms_now);
//! # Ok(())
//! # }
//! ```
//!
//! # Interfaces
//!
//! Rooms are announced and looked for only on LAN-like interfaces: never loopback, and by
//! default not on container, VM or VPN interfaces ([`DEFAULT_SKIPPED_PREFIXES`]). Point-to-point
//! links (most VPN tunnels) and Apple's AWDL are skipped by the mDNS responder itself. A caller
//! that knows better passes [`Interfaces::only`] or [`Interfaces::skipping`].
//!
//! # Windows and macOS
//!
//! Both need nothing from this crate's code, but the app must expect the following.
//!
//! - **Windows.** Windows Defender Firewall blocks unsolicited inbound traffic for a program
//!   until a person allows it. The first time the program opens a socket that listens for
//!   inbound traffic (the relay's TCP port, or the UDP socket on port 5353 that mDNS answers
//!   arrive on), Windows shows "Windows Defender Firewall has blocked some features of this
//!   app" and asks on which network types (private, public) to allow it. Until it is allowed,
//!   the relay cannot be reached and browsing hears nothing: the list stays empty without any
//!   error. Allowing only private networks means nothing works while Windows counts the
//!   network as public. An installer can add a program rule instead of relying on the prompt.
//!   Windows' own DNS client also uses UDP 5353; the responder shares the port with
//!   address reuse. Hyper-V and WSL virtual switches appear as "vEthernet (...)" adapters
//!   and are skipped by default.
//! - **macOS.** Since macOS 15 (Sequoia), local network privacy applies to Mac apps as it
//!   has on iOS since 14: the first time an app sends or receives on the local network
//!   (multicast on 5353 included), the system asks the person to allow it, once; the answer is
//!   kept and can be changed in System Settings > Privacy & Security > Local Network. When
//!   denied, traffic is blocked and browsing hears nothing. The alert shows the app's
//!   `NSLocalNetworkUsageDescription` from its `Info.plist`, and the app should list the
//!   service types it uses under `NSBonjourServices` (here `_tincan._tcp`). Processes run as
//!   root, launchd daemons and command-line tools started from Terminal or over SSH are
//!   exempt, so the headless relay run from a shell is not asked.

mod announcer;
mod browser;
mod error;
mod interfaces;
mod room;
pub mod txt;

pub use announcer::{Announcement, Announcer};
pub use browser::Browser;
pub use error::{Error, Result};
pub use interfaces::{Interfaces, DEFAULT_SKIPPED_PREFIXES};
pub use room::{Room, RoomEvent, MAX_ADDRESSES, MAX_ROOMS};

/// The DNS-SD service type of a Tincan room.
pub const SERVICE_TYPE: &str = "_tincan._tcp.local.";

/// The signaling protocol version announced, the one in `docs/PROTOCOL.md`; a room with
/// another one is listed but not [`Room::compatible`].
pub const PROTOCOL_VERSION: u32 = 1;

#[cfg(test)]
mod tests {
    /// The relay and the app keep these in shared state and use them from many tasks.
    #[test]
    fn handles_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<crate::Announcer>();
        shared::<crate::Browser>();
        shared::<crate::Room>();
    }
}
