//! What the child processes do: each role announces or browses inside its namespace, reads
//! commands on stdin and prints what it sees, one marked line at a time.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{HOST_ADDR, MARK, PORT, ROLE_VAR};
use mdns_sd::{ServiceDaemon, ServiceInfo, TxtProperty};
use tincan_discovery::{Announcement, Announcer, Browser, Interfaces, Room, RoomEvent};

/// In a child process, plays the role [`ROLE_VAR`] names and returns true.
pub fn play_role() -> bool {
    let Ok(role) = std::env::var(ROLE_VAR) else {
        return false;
    };
    say(&format!("role {role}"));
    match role.as_str() {
        "announce" => announce(),
        "browse" => browse(Interfaces::lan()),
        // The default choice skips docker-like names, so name the interface to listen on it.
        "browse-docker8" => browse(Interfaces::only(["docker8"])),
        "hostile" => hostile(),
        other => panic!("unknown role {other}"),
    }
    true
}

fn say(line: &str) {
    println!("{MARK} {line}");
}

fn commands() -> impl Iterator<Item = String> {
    std::io::stdin().lock().lines().map_while(Result::ok)
}

/// Hosts "kitchen" with the default interface choice; obeys `people N`, `stop` and `vanish`.
fn announce() {
    say("starting");
    let announcer = Announcer::start(
        Announcement {
            room: "kitchen".into(),
            host: "  Ann Lee\u{7}".into(),
            people: 1,
            key_required: true,
            port: PORT,
        },
        Interfaces::lan(),
    )
    .expect("announce");
    say(&format!("announcing {}", announcer.id()));
    for command in commands() {
        if let Some(n) = command.strip_prefix("people ") {
            announcer
                .update_people(n.parse().expect("count"))
                .expect("update");
            say(&command);
        } else if command == "stop" {
            break;
        } else if command == "vanish" {
            // No goodbye: the process just ends.
            std::process::exit(0);
        }
    }
    announcer.stop().expect("stop");
    say("stopped");
    std::thread::sleep(Duration::from_millis(500));
}

/// Browses with the async receiver and prints every change; `list` prints the snapshot,
/// `verify ID` asks a room's host to confirm it.
fn browse(interfaces: Interfaces) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (browser, mut events) = Browser::start_with_channel(interfaces).expect("browse");
    let browser = Arc::new(browser);
    let lister = Arc::clone(&browser);
    std::thread::spawn(move || {
        for command in commands() {
            if command == "list" {
                let rooms = lister.rooms();
                let ids: Vec<&str> = rooms.iter().map(|r| r.id.as_str()).collect();
                say(&format!("list|count={}|ids={}", rooms.len(), ids.join(",")));
            } else if let Some(id) = command.strip_prefix("verify ") {
                lister.verify(id).expect("verify");
            }
        }
        // The parent closed stdin: the test is over.
        std::process::exit(0);
    });
    say("browsing");
    runtime.block_on(async {
        while let Some(event) = events.recv().await {
            match event {
                RoomEvent::Found(room) => say(&describe("found", &room)),
                RoomEvent::Updated(room) => say(&describe("updated", &room)),
                RoomEvent::Lost(room) => say(&describe("lost", &room)),
            }
        }
    });
}

fn describe(what: &str, room: &Room) -> String {
    let (v4, v6): (Vec<_>, Vec<_>) = room.addresses.iter().partition(|a| a.is_ipv4());
    let join = |list: Vec<&std::net::SocketAddr>| {
        list.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{what}|id={}|room={}|host={}|people={}|key={}|compatible={}|v4={}|v6={}",
        room.id,
        room.room,
        room.host,
        room.people,
        room.key_required,
        room.compatible(),
        join(v4),
        join(v6)
    )
}

/// Announces, with the raw responder, one good room, one of a future version, and many that
/// break the rules; stays until stdin closes.
fn hostile() {
    let good: &[(&str, &[u8])] = &[
        ("v", b"1"),
        ("room", b"fine"),
        ("host", b"Ann"),
        ("people", b"2"),
        ("key", b"0"),
    ];
    let long_host = "x".repeat(240);
    let variants: Vec<(&str, Txt<'_>, u16)> = vec![
        ("fine", good.to_vec(), PORT),
        ("future", with(good, "v", b"2", "future"), PORT),
        (
            "no-people",
            good.iter()
                .filter(|(k, _)| *k != "people")
                .copied()
                .collect(),
            PORT,
        ),
        ("escape", with(good, "host", b"Ann\x1b[2J", "escape"), PORT),
        ("spaces", with(good, "room", b"two words", ""), PORT),
        (
            "huge",
            with(good, "host", long_host.as_bytes(), "huge"),
            PORT,
        ),
        ("key-yes", with(good, "key", b"yes", "key-yes"), PORT),
        (
            "not-utf8",
            with(good, "host", b"\xff\xfe", "not-utf8"),
            PORT,
        ),
        ("negative", with(good, "people", b"-1", "negative"), PORT),
        (
            "flipped",
            with(good, "host", "a\u{202E}b".as_bytes(), "flipped"),
            PORT,
        ),
        ("version-0", with(good, "v", b"0", "version-0"), PORT),
        ("port-0", with(good, "room", b"port-0", ""), 0),
    ];
    let daemon = ServiceDaemon::new().expect("responder");
    for (name, txt, port) in variants {
        let txt: Vec<TxtProperty> = txt.into_iter().map(TxtProperty::from).collect();
        let mut info = ServiceInfo::new(
            tincan_discovery::SERVICE_TYPE,
            &format!("hostile {name}"),
            "hostile.local.",
            HOST_ADDR,
            port,
            txt,
        )
        .expect("service info");
        info.set_requires_probe(false);
        daemon.register(info).expect("register");
    }
    say("announcing");
    for _ in commands() {}
    let _ = daemon.shutdown();
}

/// TXT entries as raw bytes, to say what the crate itself would never announce.
type Txt<'a> = Vec<(&'a str, &'a [u8])>;

/// `base` with `key` set to `value`, and the room renamed (unless `room` is empty) so the
/// parent can tell the variants apart.
fn with<'a>(base: &[(&'a str, &'a [u8])], key: &'a str, value: &'a [u8], room: &'a str) -> Txt<'a> {
    base.iter()
        .map(|&(k, v)| match k {
            _ if k == key => (k, value),
            "room" if !room.is_empty() => (k, room.as_bytes()),
            _ => (k, v),
        })
        .collect()
}
