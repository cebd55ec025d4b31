//! Discovery between two network namespaces: one hosts (announces), the other browses.
//!
//! Each test re-runs this binary inside the namespaces with [`common::ROLE_VAR`] naming the
//! role; the parent only sets up the network, sends commands and reads what the roles print.
//! Needs root (for `ip netns`); without it the tests say so and pass without running.

mod common;
mod roles;

use roles::play_role;

use std::time::{Duration, Instant};

use common::{field, Lan, Role, DECOY_ADDR, HOST_ADDR, PORT};

/// Generous: process start-up on a loaded machine is not what is measured.
const SETTLE: Duration = Duration::from_secs(20);
/// The promise: a started room is listed on the other side within this.
const DISCOVERY_LIMIT: Duration = Duration::from_secs(3);
/// A count change reaches the other side within this.
const UPDATE_LIMIT: Duration = Duration::from_secs(3);
/// A stopped room leaves the other side's list within this.
const REMOVAL_LIMIT: Duration = Duration::from_secs(5);
/// A room whose host does not answer leaves the list within this after a verify: ten seconds
/// of asking (RFC 6762) and a margin.
const VERIFY_LIMIT: Duration = Duration::from_secs(13);

#[test]
fn a_room_is_listed_updated_and_dropped_across_namespaces() {
    const TEST: &str = "a_room_is_listed_updated_and_dropped_across_namespaces";
    if play_role() || !common::can_run() {
        return;
    }
    let lan = Lan::create();
    let mut guest = Role::start(&lan.guest, TEST, "browse");
    guest.wait_for("browsing", SETTLE);
    let mut decoy = Role::start(&lan.decoy, TEST, "browse-docker8");
    decoy.wait_for("browsing", SETTLE);

    let spawned = Instant::now();
    let mut host = Role::start(&lan.host, TEST, "announce");
    let (starting_at, _) = host.wait_for("starting", SETTLE);
    let (_, announcing) = host.wait_for("announcing", SETTLE);
    let id = announcing["announcing".len()..].trim().to_owned();
    let (found_at, found) = guest.wait_for("found", SETTLE);
    // Measured from the moment the host's process was about to start announcing; starting a
    // process on a busy machine is not what is promised.
    let discovery = found_at.saturating_duration_since(starting_at);
    println!(
        "discovery: listed {} ms after the announcer started ({} ms after its process did)",
        discovery.as_millis(),
        (found_at - spawned).as_millis()
    );
    assert_eq!(field(&found, "id"), Some(id.as_str()), "{found}");
    assert_eq!(field(&found, "room"), Some("kitchen"), "{found}");
    assert_eq!(field(&found, "host"), Some("Ann Lee"), "{found}");
    assert_eq!(field(&found, "people"), Some("1"), "{found}");
    assert_eq!(field(&found, "key"), Some("true"), "{found}");
    assert_eq!(field(&found, "compatible"), Some("true"), "{found}");
    let v4 = field(&found, "v4").unwrap_or_default();
    assert_eq!(
        v4,
        format!("{HOST_ADDR}:{PORT}"),
        "only the LAN address: {found}"
    );
    assert!(
        !found.contains(DECOY_ADDR),
        "the docker-like interface leaked: {found}"
    );
    assert!(
        discovery <= DISCOVERY_LIMIT,
        "listed after {discovery:?}, more than {DISCOVERY_LIMIT:?}"
    );

    guest.send("list");
    let (_, list) = guest.wait_for("list", SETTLE);
    assert_eq!(field(&list, "ids"), Some(id.as_str()), "{list}");

    // The host announced on every interface it uses at once, and the decoy side asked when it
    // started: a room sent over the docker-like link would be there by now.
    let heard_on_docker = decoy.lines_within(Duration::from_millis(1500));
    assert!(
        heard_on_docker.is_empty(),
        "announced on docker7: {heard_on_docker:?}"
    );
    decoy.send("list");
    let (_, list) = decoy.wait_for("list", SETTLE);
    assert_eq!(
        field(&list, "count"),
        Some("0"),
        "announced on docker7: {list}"
    );

    host.send("people 3");
    let asked = Instant::now();
    host.wait_for("people 3", SETTLE);
    let updated_at = loop {
        let (at, line) = guest.wait_for("updated", SETTLE);
        if field(&line, "people") == Some("3") {
            assert_eq!(field(&line, "room"), Some("kitchen"), "{line}");
            break at;
        }
    };
    let update = updated_at - asked;
    println!(
        "update: people count changed {} ms after it was asked",
        update.as_millis()
    );
    assert!(update <= UPDATE_LIMIT, "count update took {update:?}");

    host.send("stop");
    let stopping = Instant::now();
    host.wait_for("stopped", SETTLE);
    let (lost_at, lost) = guest.wait_for("lost", SETTLE);
    let removal = lost_at - stopping;
    println!(
        "removal: dropped from the list {} ms after the host stopped",
        removal.as_millis()
    );
    assert_eq!(field(&lost, "id"), Some(id.as_str()), "{lost}");
    assert!(removal <= REMOVAL_LIMIT, "removal took {removal:?}");

    guest.send("list");
    let (_, list) = guest.wait_for("list", SETTLE);
    assert_eq!(field(&list, "count"), Some("0"), "{list}");
}

#[test]
fn a_vanished_host_is_dropped_once_verified() {
    const TEST: &str = "a_vanished_host_is_dropped_once_verified";
    if play_role() || !common::can_run() {
        return;
    }
    let lan = Lan::create();
    let mut guest = Role::start(&lan.guest, TEST, "browse");
    guest.wait_for("browsing", SETTLE);
    let mut host = Role::start(&lan.host, TEST, "announce");
    let (_, announcing) = host.wait_for("announcing", SETTLE);
    let id = announcing["announcing".len()..].trim().to_owned();
    guest.wait_for("found", SETTLE);

    // Gone without a goodbye, as after a crash or a pulled cable: the room stays listed...
    host.send("vanish");
    let vanished = Instant::now();
    let meanwhile = guest.lines_within(Duration::from_millis(1500));
    assert!(
        !meanwhile.iter().any(|l| l.starts_with("lost")),
        "no goodbye was sent, yet: {meanwhile:?}"
    );
    // ...until joining it fails and the app asks the host to confirm it.
    guest.send(&format!("verify {id}"));
    let asked = Instant::now();
    let (lost_at, lost) = guest.wait_for("lost", SETTLE);
    println!(
        "vanished host: dropped {} ms after verifying ({} ms after it vanished)",
        (lost_at - asked).as_millis(),
        (lost_at - vanished).as_millis()
    );
    assert_eq!(field(&lost, "id"), Some(id.as_str()), "{lost}");
    assert!(
        lost_at - asked <= VERIFY_LIMIT,
        "took {:?}",
        lost_at - asked
    );
}

#[test]
fn hostile_announcements_are_ignored_or_marked() {
    const TEST: &str = "hostile_announcements_are_ignored_or_marked";
    if play_role() || !common::can_run() {
        return;
    }
    let lan = Lan::create();
    let mut guest = Role::start(&lan.guest, TEST, "browse");
    guest.wait_for("browsing", SETTLE);
    let mut host = Role::start(&lan.host, TEST, "hostile");
    host.wait_for("announcing", SETTLE);

    // The two usable ones arrive with the rest; give stragglers a moment more.
    let mut listed = Vec::new();
    let deadline = Instant::now() + SETTLE;
    while listed.len() < 2 && Instant::now() < deadline {
        let (_, line) = guest.wait_for("found", SETTLE);
        listed.push(line);
    }
    listed.extend(
        guest
            .lines_within(Duration::from_secs(2))
            .into_iter()
            .filter(|l| l.starts_with("found")),
    );
    let mut rooms: Vec<(&str, &str)> = listed
        .iter()
        .map(|l| {
            (
                field(l, "room").unwrap_or("?"),
                field(l, "compatible").unwrap_or("?"),
            )
        })
        .collect();
    rooms.sort();
    assert_eq!(
        rooms,
        [("fine", "true"), ("future", "false")],
        "{listed:#?}"
    );

    guest.send("list");
    let (_, list) = guest.wait_for("list", SETTLE);
    assert_eq!(
        field(&list, "count"),
        Some("2"),
        "the browser lives on: {list}"
    );
}
