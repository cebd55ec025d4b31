//! Two network namespaces joined by a veth pair, and test processes running inside them.
//!
//! Every packet of these tests stays inside namespaces created here, which are deleted when
//! the test ends, pass or fail.

#![allow(dead_code)]

/// The port every announced room names.
pub const PORT: u16 = 47800;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The environment variable that tells a re-run test binary which role to play.
pub const ROLE_VAR: &str = "TINCAN_DISCOVERY_ROLE";
/// Lines meant for the parent carry this mark; everything else is the test harness's.
pub const MARK: &str = "tcn:";
/// The announcing side's LAN address.
pub const HOST_ADDR: &str = "10.99.7.1";
/// The announcing side's address on its container-like interface `docker7`.
pub const DECOY_ADDR: &str = "10.99.8.1";

/// Whether the tests can create namespaces; prints why not when they cannot.
pub fn can_run() -> bool {
    let uid = Command::new("id").arg("-u").output();
    let root = matches!(&uid, Ok(out) if String::from_utf8_lossy(&out.stdout).trim() == "0");
    if !root {
        // Straight to stderr: the harness would swallow `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: creating network namespaces needs root; run the tests as root"
        );
    }
    root
}

/// Runs `ip` with these arguments and panics with its message when it fails.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip` (iproute2): {e}"));
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Three namespaces: `host` (10.99.7.1 on `tcnlan0`) and `guest` (10.99.7.2 on `tcnlan1`),
/// joined by a multicast-capable veth pair: the LAN. And `decoy` (10.99.8.2 on `docker8`),
/// joined to the host's `docker7` (10.99.8.1): a link named like a container bridge, where a
/// room must not be announced by default.
pub struct Lan {
    pub host: String,
    pub guest: String,
    pub decoy: String,
}

impl Lan {
    pub fn create() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("tcnd-{}-{n}", std::process::id());
        let lan = Self {
            host: format!("{tag}-h"),
            guest: format!("{tag}-g"),
            decoy: format!("{tag}-d"),
        };
        // The guard exists before the namespaces do, so that a failure below still removes them.
        for ns in [&lan.host, &lan.guest, &lan.decoy] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            // Link-local IPv6 addresses usable at once, not after duplicate detection.
            sysctl(ns, "net.ipv6.conf.all.accept_dad=0");
            sysctl(ns, "net.ipv6.conf.default.accept_dad=0");
        }
        let (h, g, d) = (lan.host.as_str(), lan.guest.as_str(), lan.decoy.as_str());
        ip(&[
            "-n", h, "link", "add", "tcnlan0", "type", "veth", "peer", "name", "tcnlan1", "netns",
            g,
        ]);
        ip(&[
            "-n", h, "link", "add", "docker7", "type", "veth", "peer", "name", "docker8", "netns",
            d,
        ]);
        let ends = [
            (h, "tcnlan0", "10.99.7.1/24"),
            (g, "tcnlan1", "10.99.7.2/24"),
            (h, "docker7", "10.99.8.1/24"),
            (d, "docker8", "10.99.8.2/24"),
        ];
        for (ns, dev, addr) in ends {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "multicast", "on", "up"]);
        }
        // Multicast leaves by the LAN link unless a socket names another interface.
        for (ns, dev) in [(h, "tcnlan0"), (g, "tcnlan1"), (d, "docker8")] {
            ip(&["-n", ns, "route", "add", "224.0.0.0/4", "dev", dev]);
        }
        lan
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in [&self.host, &self.guest, &self.decoy] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn sysctl(ns: &str, setting: &str) {
    let ok = Command::new("ip")
        .args(["netns", "exec", ns, "sysctl", "-qw", setting])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "sysctl {setting} in {ns}");
}

/// This test binary, re-run inside a namespace to play one role of one test.
pub struct Role {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<(Instant, String)>,
    name: String,
}

impl Role {
    /// Starts `role` of the test `test` inside `ns`, and checks it says it plays that role.
    pub fn start(ns: &str, test: &str, role: &str) -> Self {
        let exe = std::env::current_exe().expect("test binary path");
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(exe)
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(ROLE_VAR, role)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the test binary in the namespace");
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The harness may have started the line ("test name ... "), so look anywhere.
                if let Some(at) = line.find(MARK) {
                    let rest = line[at + MARK.len()..].trim().to_owned();
                    if send.send((Instant::now(), rest)).is_err() {
                        break;
                    }
                }
            }
        });
        let mut this = Self {
            stdin: child.stdin.take(),
            child,
            lines,
            name: role.to_owned(),
        };
        let (_, first) = this.next_line(Duration::from_secs(20));
        assert_eq!(
            first,
            format!("role {role}"),
            "the child must play exactly {role}"
        );
        this
    }

    /// The next line the role printed, with when it arrived; panics after `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> (Instant, String) {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => line,
            Err(_) => panic!(
                "{}: no line within {timeout:?} (status: {:?})",
                self.name,
                self.child.try_wait()
            ),
        }
    }

    /// Waits for a line starting with `prefix`, skipping others; panics after `timeout`.
    pub fn wait_for(&mut self, prefix: &str, timeout: Duration) -> (Instant, String) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = self.next_line(left);
            if line.starts_with(prefix) {
                return (at, line);
            }
        }
    }

    /// Lines that arrive within `window`.
    pub fn lines_within(&mut self, window: Duration) -> Vec<String> {
        let deadline = Instant::now() + window;
        let mut lines = Vec::new();
        while let Ok((_, line)) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            lines.push(line);
        }
        lines
    }

    /// Sends one command line to the role.
    pub fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{command}").expect("write to the role");
        stdin.flush().expect("flush");
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        // Closing stdin asks the role to end; then make sure it has.
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A room as the browsing role prints it: `key=value` fields separated by `|`.
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split('|')
        .filter_map(|part| part.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v)
}
