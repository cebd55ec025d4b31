//! Prints the rooms heard on the LAN as they appear, change and disappear, for checking
//! discovery by hand.
//!
//! ```text
//! cargo run -p tincan-discovery --example browse -- [--interfaces eth0,wlan0] [--seconds N]
//! ```

use std::time::Duration;

use tincan_discovery::{Browser, Interfaces, Room, RoomEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut interfaces = Interfaces::lan();
    let mut seconds = u64::MAX;
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--interfaces", Some(names)) => interfaces = Interfaces::only(names.split(',')),
            ("--seconds", Some(n)) if n.parse::<u64>().is_ok() => seconds = n.parse().unwrap(),
            _ => {
                eprintln!("usage: browse [--interfaces A,B] [--seconds N]");
                std::process::exit(2);
            }
        }
    }

    let (browser, mut events) = Browser::start_with_channel(interfaces).unwrap_or_else(|e| {
        eprintln!("cannot browse: {e}");
        std::process::exit(1);
    });
    println!("browsing for {}", tincan_discovery::SERVICE_TYPE);
    let deadline = tokio::time::sleep(Duration::from_secs(seconds.min(86_400 * 365)));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(RoomEvent::Found(room)) => println!("found   {}", describe(&room)),
                Some(RoomEvent::Updated(room)) => println!("updated {}", describe(&room)),
                Some(RoomEvent::Lost(room)) => println!("lost    {}", describe(&room)),
                None => break,
            },
            _ = &mut deadline => break,
        }
    }
    println!("{} room(s) listed at the end", browser.rooms().len());
}

fn describe(room: &Room) -> String {
    let addresses: Vec<String> = room.addresses.iter().map(ToString::to_string).collect();
    format!(
        "{:?} hosted by {:?}: {} people{}{} at {}",
        room.room,
        room.host,
        room.people,
        if room.key_required { ", passcode" } else { "" },
        if room.compatible() {
            ""
        } else {
            ", other version"
        },
        addresses.join(" "),
    )
}
