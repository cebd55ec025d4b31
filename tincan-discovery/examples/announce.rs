//! Announces a room until stdin closes, for checking discovery by hand.
//!
//! ```text
//! cargo run -p tincan-discovery --example announce -- kitchen --host Ann --port 47800
//! ```
//!
//! Then type `people 3`, `host Bo` or `key 1` and Enter to change what is announced; end with
//! Ctrl-D. `--interfaces eth0,wlan0` announces on those interfaces only.

use std::io::BufRead;

use tincan_discovery::{Announcement, Announcer, Interfaces};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut announcement = Announcement {
        room: String::new(),
        host: String::new(),
        people: 1,
        key_required: false,
        port: 47800,
    };
    let mut interfaces = Interfaces::lan();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--host" => announcement.host = value(),
            "--port" => announcement.port = value().parse().unwrap_or_else(|_| usage("bad port")),
            "--people" => {
                announcement.people = value().parse().unwrap_or_else(|_| usage("bad count"))
            }
            "--key" => announcement.key_required = true,
            "--interfaces" => interfaces = Interfaces::only(value().split(',')),
            _ if arg.starts_with('-') => usage(&format!("unknown option {arg}")),
            _ => announcement.room = arg,
        }
    }
    if announcement.room.is_empty() {
        usage("which room?");
    }

    let announcer = Announcer::start(announcement, interfaces).unwrap_or_else(|e| {
        eprintln!("cannot announce: {e}");
        std::process::exit(1);
    });
    println!("announcing {}", announcer.id());
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap_or_default();
        let (command, value) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        let done = match command {
            "people" => value.parse().map(|n| announcer.update_people(n)).ok(),
            "host" => Some(announcer.update_host(value)),
            "key" => Some(announcer.update_key_required(value == "1")),
            "" => continue,
            _ => None,
        };
        match done {
            Some(Ok(())) => println!("announced {command} {value}"),
            Some(Err(e)) => eprintln!("{e}"),
            None => eprintln!("commands: people N | host NAME | key 0|1"),
        }
    }
    match announcer.stop() {
        Ok(()) => println!("withdrawn"),
        Err(e) => eprintln!("withdrawing: {e}"),
    }
    // Let the repeated goodbye go out before the process ends.
    std::thread::sleep(std::time::Duration::from_millis(500));
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: announce ROOM [--host NAME] [--port N] [--people N] [--key] [--interfaces A,B]");
    std::process::exit(2);
}
