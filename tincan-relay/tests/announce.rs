//! The relay program announces its lobby on the LAN: another namespace lists it, sees its
//! count change when someone joins, and drops it when the relay stops.
//!
//! The relay runs in one network namespace and a browsing copy of this test binary in another,
//! joined by a multicast-capable veth pair (the discovery crate's test network). Needs root for
//! `ip netns`; without it the namespace test says so and passes without running.

#[path = "../../tincan-discovery/tests/common/mod.rs"]
mod lan;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lan::{field, Lan, Role, DECOY_ADDR, HOST_ADDR, MARK, ROLE_VAR};
use tincan_discovery::{Browser, Interfaces, RoomEvent};
use tokio::sync::mpsc;

const RELAY: &str = env!("CARGO_BIN_EXE_tincan-relay");
/// Generous: process start-up on a loaded machine is not what is measured.
const SETTLE: Duration = Duration::from_secs(20);
/// The promise: a started relay's room is listed on the other side within this.
const DISCOVERY_LIMIT: Duration = Duration::from_secs(3);
/// A join is reflected in the other side's list within this.
const UPDATE_LIMIT: Duration = Duration::from_secs(3);
/// A stopped relay's room leaves the other side's list within this.
const REMOVAL_LIMIT: Duration = Duration::from_secs(5);

#[test]
fn the_relay_lobby_is_listed_counted_and_dropped() {
    const TEST: &str = "the_relay_lobby_is_listed_counted_and_dropped";
    if play_role() || !lan::can_run() {
        return;
    }
    let lan = Lan::create();
    let mut guest = Role::start(&lan.guest, TEST, "browse");
    guest.wait_for("browsing", SETTLE);

    let mut relay = Relay::start(
        &lan.host,
        &["--listen", "0.0.0.0:47800", "--name", "Ann's relay"],
    );
    let (listening_at, _) = relay.wait_for("listening on", SETTLE);
    let (_, announced) = relay.wait_for("announced", SETTLE);
    let (found_at, found) = guest.wait_for("found", SETTLE);
    let discovery = found_at.saturating_duration_since(listening_at);
    println!(
        "discovery: the lobby was listed {} ms after the relay started listening",
        discovery.as_millis()
    );
    assert!(announced.contains("lobby"), "{announced}");
    assert_eq!(field(&found, "room"), Some("lobby"), "{found}");
    assert_eq!(field(&found, "host"), Some("Ann's relay"), "{found}");
    assert_eq!(field(&found, "people"), Some("0"), "{found}");
    assert_eq!(field(&found, "key"), Some("false"), "{found}");
    let address = format!("{HOST_ADDR}:47800");
    assert_eq!(field(&found, "addr"), Some(address.as_str()), "{found}");
    assert!(
        discovery <= DISCOVERY_LIMIT,
        "listed after {discovery:?}, more than {DISCOVERY_LIMIT:?}"
    );

    // Join by the listed address, as an app would after a click.
    guest.send(&format!("join {address}"));
    let (joined_at, _) = guest.wait_for("joined", SETTLE);
    // Other updates (an IPv6 address turning up) may come first.
    let (updated_at, _) = loop {
        let (at, updated) = guest.wait_for("updated", SETTLE);
        if field(&updated, "people") == Some("1") {
            break (at, updated);
        }
    };
    let update = updated_at.saturating_duration_since(joined_at);
    println!(
        "update: the count went to 1 {} ms after joining",
        update.as_millis()
    );
    assert!(update <= UPDATE_LIMIT, "count updated after {update:?}");

    guest.send("leave");
    let (left_at, _) = guest.wait_for("left", SETTLE);
    let (back_at, _) = loop {
        let (at, updated) = guest.wait_for("updated", SETTLE);
        if field(&updated, "people") == Some("0") {
            break (at, updated);
        }
    };
    let back = back_at.saturating_duration_since(left_at);
    println!(
        "update: the count went back to 0 {} ms after leaving",
        back.as_millis()
    );
    assert!(back <= UPDATE_LIMIT, "count updated after {back:?}");

    let stopping = Instant::now();
    relay.terminate();
    let (lost_at, lost) = guest.wait_for("lost", SETTLE);
    let removal = lost_at.saturating_duration_since(stopping);
    println!(
        "removal: the lobby left the list {} ms after SIGTERM",
        removal.as_millis()
    );
    assert_eq!(field(&lost, "room"), Some("lobby"), "{lost}");
    assert!(removal <= REMOVAL_LIMIT, "dropped after {removal:?}");
}

#[test]
fn a_passcode_is_announced_as_needed() {
    const TEST: &str = "a_passcode_is_announced_as_needed";
    if play_role() || !lan::can_run() {
        return;
    }
    let lan = Lan::create();
    let mut guest = Role::start(&lan.guest, TEST, "browse");
    guest.wait_for("browsing", SETTLE);
    let mut relay = Relay::start(&lan.host, &["--listen", "0.0.0.0:0", "--key", "s3cret"]);
    relay.wait_for("announced", SETTLE);
    let (_, found) = guest.wait_for("found", SETTLE);
    assert_eq!(field(&found, "key"), Some("true"), "{found}");
    assert!(
        !found.contains("s3cret"),
        "the passcode itself leaked: {found}"
    );
    // Without --name, the machine's name; never empty.
    assert!(
        !field(&found, "host").unwrap_or_default().is_empty(),
        "{found}"
    );
    relay.terminate();
}

/// A relay listening on one address announces on that address's interface only, even one the
/// default choice skips (here a link named like a container bridge), and nowhere else.
#[test]
fn one_listening_address_is_announced_on_its_interface_only() {
    const TEST: &str = "one_listening_address_is_announced_on_its_interface_only";
    if play_role() || !lan::can_run() {
        return;
    }
    let lan = Lan::create();
    let mut guest = Role::start(&lan.guest, TEST, "browse");
    guest.wait_for("browsing", SETTLE);
    let mut decoy = Role::start(&lan.decoy, TEST, "browse-docker8");
    decoy.wait_for("browsing", SETTLE);
    let listen = format!("{DECOY_ADDR}:47811");
    let mut relay = Relay::start(&lan.host, &["--listen", &listen]);
    relay.wait_for("announced", SETTLE);
    let (_, found) = decoy.wait_for("found", SETTLE);
    assert_eq!(field(&found, "addr"), Some(listen.as_str()), "{found}");
    let heard = guest.lines_within(Duration::from_secs(3));
    assert!(heard.is_empty(), "heard on the other interface: {heard:?}");
    relay.terminate();
}

/// Loopback-only and `--no-announce` relays say they do not announce and send nothing: no
/// namespace needed, since nothing leaves the machine.
#[test]
fn loopback_and_no_announce_are_not_announced() {
    if std::env::var(ROLE_VAR).is_ok() {
        return;
    }
    let mut local = Relay::start_here(&["--listen", "127.0.0.1:0"]);
    local.wait_for("listening on", SETTLE);
    let (_, line) = local.wait_for("not announced", SETTLE);
    assert!(line.contains("127.0.0.1"), "{line}");
    local.terminate();

    let mut quiet = Relay::start_here(&["--listen", "127.0.0.1:0", "--announce", "--no-announce"]);
    quiet.wait_for("listening on", SETTLE);
    let rest = quiet.terminate();
    assert!(!rest.iter().any(|l| l.contains("announced")), "{rest:?}");
}

/// The relay program, with its stdout lines read on a thread.
struct Relay {
    child: Child,
    lines: std::sync::mpsc::Receiver<(Instant, String)>,
}

impl Relay {
    fn start(ns: &str, args: &[&str]) -> Self {
        // `ip netns exec` execs the relay, so the child's pid is the relay's.
        let mut command = Command::new("ip");
        command.args(["netns", "exec", ns, RELAY]).args(args);
        Self::spawn(command)
    }

    fn start_here(args: &[&str]) -> Self {
        let mut command = Command::new(RELAY);
        command.args(args);
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .env_remove("TINCAN_RELAY_KEY")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the relay");
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    fn wait_for(&mut self, prefix: &str, timeout: Duration) -> (Instant, String) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if line.starts_with(prefix) => return (at, line),
                Ok(_) => {}
                Err(_) => panic!("relay: no {prefix:?} line within {timeout:?}"),
            }
        }
    }

    /// Sends SIGTERM, waits for the exit and returns the lines not read yet.
    fn terminate(&mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + SETTLE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.lines.try_iter().map(|(_, line)| line).collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Plays the role named by [`ROLE_VAR`], if any.
fn play_role() -> bool {
    let Ok(role) = std::env::var(ROLE_VAR) else {
        return false;
    };
    say(&format!("role {role}"));
    match role.as_str() {
        "browse" => browse(Interfaces::lan()),
        // The default choice skips docker-like names, so name the interface to listen on it.
        "browse-docker8" => browse(Interfaces::only(["docker8"])),
        other => panic!("unknown role {other}"),
    }
    true
}

fn say(line: &str) {
    println!("{MARK} {line}");
}

/// Browses and prints each change; obeys `join ADDR` (a WebSocket into the lobby, kept open).
fn browse(interfaces: Interfaces) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (commands, mut incoming) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if commands.send(line).is_err() {
                    break;
                }
            }
        });
        let (_browser, mut events): (Browser, _) =
            Browser::start_with_channel(interfaces).expect("browse");
        say("browsing");
        let mut sockets = Vec::new();
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(RoomEvent::Found(room)) => say(&format!("found{}", describe(&room))),
                    Some(RoomEvent::Updated(room)) => say(&format!("updated{}", describe(&room))),
                    Some(RoomEvent::Lost(room)) => say(&format!("lost{}", describe(&room))),
                    None => break,
                },
                command = incoming.recv() => {
                    // Closed stdin: the parent is done with this role.
                    let Some(command) = command else { break };
                    if let Some(address) = command.strip_prefix("join ") {
                        let url = format!("ws://{address}/ws?name=Guest");
                        let (mut socket, _) = tokio_tungstenite::connect_async(url)
                            .await
                            .expect("join the listed room");
                        let welcome = socket.next().await.expect("a frame").expect("a message");
                        assert!(welcome.to_string().contains("welcome"), "{welcome}");
                        sockets.push(socket);
                        say("joined");
                    } else if command == "leave" {
                        // Dropped without a closing handshake, as a crashed client would.
                        sockets.clear();
                        say("left");
                    }
                }
            }
        }
    });
}

fn describe(room: &tincan_discovery::Room) -> String {
    let addr = room
        .addresses
        .iter()
        .find(|a| a.is_ipv4())
        .map(ToString::to_string)
        .unwrap_or_default();
    format!(
        "|room={}|host={}|people={}|key={}|addr={addr}",
        room.room, room.host, room.people, room.key_required
    )
}
