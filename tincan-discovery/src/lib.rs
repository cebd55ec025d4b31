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
//! # Lifetimes and costs
//!
//! Each [`Announcer`] and each [`Browser`] runs its own mDNS responder: one thread and a UDP
//! socket per address family on port 5353, shared with other responders on the machine. A
//! room is listed on the other side within about a second of [`Announcer::start`] (the name
//! is probed first, as RFC 6762 asks); changes arrive at once; a stopped room leaves other
//! lists about a second later (goodbye packets). A host that vanishes without a goodbye
//! stays listed until its records expire (two minutes) or [`Browser::verify`] finds it gone.
//! New interfaces and addresses are picked up within five seconds.
//!
//! # Windows and macOS
//!
//! Neither needs anything from this crate's code, but the app must expect the following.
//!
//! - **Windows.** Windows Defender Firewall blocks unsolicited inbound traffic to a program
//!   until a person allows it. The first time the program binds a socket to receive from the
//!   network (the relay's TCP listener, or the responder's UDP sockets, bound to port 5353 on
//!   all addresses), Windows shows "Windows Defender Firewall has blocked some features of
//!   this app" and asks on which network types (private, public) to allow it. Until it is
//!   allowed, the relay cannot be reached and browsing hears nothing: the list stays empty,
//!   with no error anywhere. Allowing private networks only means nothing works on a network
//!   Windows counts as public. An installer can add a program rule instead of relying on the
//!   prompt. Windows' own DNS client also uses UDP 5353; the responder shares the port
//!   (address reuse). Hyper-V and WSL virtual switches appear as "vEthernet (...)" adapters
//!   and are skipped by default.
//! - **macOS.** Since macOS 15 (Sequoia), local network privacy applies to Mac apps as it
//!   has on iOS since iOS 14: the first time an app sends to or receives from the local
//!   network (multicast on 5353 included), the system asks the person to allow it; the answer
//!   is kept and can be changed in System Settings > Privacy & Security > Local Network. When
//!   denied, the traffic is blocked and browsing hears nothing. The alert shows the app's
//!   `NSLocalNetworkUsageDescription` from its `Info.plist`, and `NSBonjourServices` there
//!   lists the Bonjour service types the app uses (here `_tincan._tcp`). Processes running as
//!   root, launchd daemons and command-line tools started from Terminal or over SSH are
//!   exempt, so the headless relay started from a shell is not asked.
//!
//! On both, an empty list is what a refusal looks like, so the app should say where to allow
//! it when it hears no room for a while.

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

/// The signaling protocol version announced, the relay's; a room with another one is listed but
/// not [`Room::compatible`].
pub use tincan_protocol::PROTOCOL_VERSION;

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
