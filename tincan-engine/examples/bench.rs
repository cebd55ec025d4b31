//! Measures the engine: time from joining to first audio, CPU and memory for 2- and 4-person
//! native calls (every peer in this process, full mesh), and the end-to-end audio delay
//! between two native peers.
//!
//! `cargo run --release -p tincan-engine --example bench [-- --low-latency]` (re-runs itself inside a private
//! network namespace through scripts/netns-run.sh, so it needs root or sudo).

use gst::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tincan_engine::{
    DspSettings, Engine, EngineConfig, EngineEvent, InputSelection, LatencyMode, OutputSelection,
    Peer,
};

/// A received RMS level above this is the test tone (about -13 dBFS).
const TONE_DB: f64 = -30.0;
/// A received RMS level below this is silence.
const QUIET_DB: f64 = -60.0;

/// Readings of every engine's level events: (engine, remote peer, clock ns, rms dB).
type Levels = Arc<Mutex<Vec<(usize, String, u64, f64)>>>;
/// Clock time at which each engine first saw a peer connected.
type Connected = Arc<Mutex<Vec<u64>>>;

struct Member {
    engine: Engine,
    peers: HashMap<usize, Peer>,
}

fn config() -> EngineConfig {
    EngineConfig {
        input: InputSelection::TestTone,
        output: OutputSelection::Discard,
        dsp: DspSettings::OFF,
        monitor_devices: false,
        level_interval: Duration::from_millis(10),
        level_events: true,
        timing: mode().timing(),
        ..EngineConfig::default()
    }
}

/// `--low-latency` measures the low-latency mode.
fn mode() -> LatencyMode {
    if std::env::args().any(|a| a == "--low-latency") {
        LatencyMode::Low
    } else {
        LatencyMode::Standard
    }
}

fn clock_ns() -> u64 {
    gst::SystemClock::obtain()
        .time()
        .map_or(0, |t| t.nseconds())
}

/// Starts `n` engines, each with a peer for every other one, and routes their events.
fn start(
    n: usize,
    rt: &tokio::runtime::Runtime,
    levels: &Levels,
    connected: &Connected,
) -> Vec<Member> {
    let mut members = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..n {
        let (engine, events) = Engine::new(config()).expect("engine");
        members.push(Member {
            engine,
            peers: HashMap::new(),
        });
        receivers.push(events);
    }
    for (i, member) in members.iter_mut().enumerate() {
        for j in (0..n).filter(|&j| j != i) {
            let peer = member.engine.add_peer(&j.to_string()).expect("peer");
            member.peers.insert(j, peer);
        }
    }
    for (i, mut events) in receivers.into_iter().enumerate() {
        // Candidates go straight to the matching peer on the other engine.
        let targets: HashMap<String, Peer> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (j.to_string(), members[j].peers[&i].clone()))
            .collect();
        let levels = levels.clone();
        let connected = connected.clone();
        rt.spawn(async move {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::IceCandidate { peer_id, candidate } => {
                        if let Some(target) = targets.get(&peer_id) {
                            let _ = target.add_ice_candidate(candidate);
                        }
                    }
                    EngineEvent::Level {
                        peer_id: Some(peer),
                        level,
                    } => {
                        let mut readings = levels.lock().expect("levels");
                        readings.push((i, peer, level.clock_time_ns, level.rms_db));
                    }
                    EngineEvent::ConnectionState {
                        state: tincan_engine::ConnectionState::Connected,
                        ..
                    } => connected.lock().expect("connected").push(clock_ns()),
                    _ => {}
                }
            }
        });
    }
    members
}

/// Offers from the lower to the higher index of every pair.
async fn negotiate_all(members: &[Member]) {
    let n = members.len();
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (&members[i].peers[&j], &members[j].peers[&i]);
            let offer = a.set_local_description(None).await.expect("offer");
            b.set_remote_description(offer).await.expect("apply offer");
            let answer = b.set_local_description(None).await.expect("answer");
            a.set_remote_description(answer)
                .await
                .expect("apply answer");
        }
    }
}

/// First clock time at which `engine` heard `from` above `db`, after `since`.
fn first_heard(
    levels: &Levels,
    engine: usize,
    from: usize,
    since: u64,
    above: bool,
    db: f64,
) -> Option<u64> {
    let from = from.to_string();
    let readings = levels.lock().expect("levels");
    readings
        .iter()
        .filter(|(e, p, t, _)| *e == engine && *p == from && *t >= since)
        .find(|(_, _, _, rms)| if above { *rms > db } else { *rms < db })
        .map(|(_, _, t, _)| *t)
}

fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12) // utime and stime
}

fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn call(n: usize, rt: &tokio::runtime::Runtime) {
    let levels: Levels = Arc::default();
    let rss_before = rss_mib();
    let connected: Connected = Arc::default();
    let joined = clock_ns();
    let members = start(n, rt, &levels, &connected);
    let built = clock_ns();
    let started = Instant::now();
    rt.block_on(negotiate_all(&members));
    let negotiated = clock_ns();
    // Every engine must hear every other one.
    let mut worst = 0u64;
    for i in 0..n {
        for j in (0..n).filter(|&j| j != i) {
            let heard = loop {
                if let Some(t) = first_heard(&levels, i, j, joined, true, TONE_DB) {
                    break t;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "{i} never heard {j}"
                );
                std::thread::sleep(Duration::from_millis(5));
            };
            worst = worst.max(heard.saturating_sub(joined));
        }
    }
    println!(
        "{n}-person call: join to first audio (slowest pair): {:.0} ms",
        worst as f64 / 1e6
    );
    let last_connected = connected.lock().expect("connected").iter().copied().max();
    let since = |t: u64| t.saturating_sub(joined) as f64 / 1e6;
    println!(
        "{n}-person call: engines and peers built {:.0} ms, descriptions exchanged {:.0} ms, \
         all connected (ICE + DTLS) {:.0} ms, first audio everywhere {:.0} ms",
        since(built),
        since(negotiated),
        last_connected.map_or(f64::NAN, since),
        worst as f64 / 1e6
    );

    std::thread::sleep(Duration::from_secs(1));
    let window = Duration::from_secs(10);
    let (ticks0, t0) = (cpu_ticks(), Instant::now());
    std::thread::sleep(window);
    let ticks = cpu_ticks() - ticks0;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = ticks as f64 / clock_ticks_per_second() as f64 / secs * 100.0;
    println!(
        "{n}-person call: CPU {cpu:.1}% of one core over {secs:.0} s ({:.1}% per engine), RSS {:.1} MiB (engines add {:.1} MiB)",
        cpu / n as f64,
        rss_mib(),
        rss_mib() - rss_before
    );
    if n == 2 {
        delay(&members, &levels);
    }
    for member in &members {
        member.engine.shutdown();
    }
}

/// Unmutes engine 0 after silence and times the tone's arrival at engine 1's playout level.
fn delay(members: &[Member], levels: &Levels) {
    let mut delays = Vec::new();
    for _ in 0..8 {
        members[0].engine.set_muted(true);
        let muted = clock_ns();
        let start = Instant::now();
        while first_heard(levels, 1, 0, muted, false, QUIET_DB).is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "mute never reached the other side"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(500));
        let unmuted = clock_ns();
        members[0].engine.set_muted(false);
        let start = Instant::now();
        let heard = loop {
            if let Some(t) = first_heard(levels, 1, 0, unmuted, true, TONE_DB) {
                break t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "unmute never reached the other side"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        delays.push((heard - unmuted) as f64 / 1e6);
    }
    delays.sort_by(f64::total_cmp);
    let playout = members[1]
        .engine
        .latency()
        .map_or(0.0, |l| l.as_secs_f64() * 1e3);
    println!(
        "2-person call: end-to-end delay (unmute to the other side's level, 10 ms level interval): min {:.0} ms, median {:.0} ms, max {:.0} ms over {} bursts",
        delays[0],
        delays[delays.len() / 2],
        delays[delays.len() - 1],
        delays.len()
    );
    println!(
        "2-person call: receiving pipeline latency (jitter buffer, mixer, output): {playout:.0} ms"
    );
    print_budget(&members[1].engine);
}

/// The pipeline's own account of its latency, stage by stage.
fn print_budget(engine: &Engine) {
    let budget = engine.latency_budget();
    for (path, stages) in [("send", &budget.send), ("receive", &budget.receive)] {
        for stage in stages {
            println!(
                "latency budget, {path}: {:<36} +{:>5.1} ms (total {:>5.1} ms)",
                stage.name, stage.added_ms, stage.total_ms
            );
        }
    }
    if let Some(total) = budget.pipeline_ms {
        println!("latency budget: outputs scheduled {total:.1} ms after capture or arrival");
    }
    println!(
        "latency budget: output device buffer up to {:.0} ms (configured)",
        budget.output_buffer_ms
    );
}

fn main() {
    if std::env::var_os("TINCAN_NETNS_ADDR").is_none() {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/netns-run.sh");
        let exe = std::env::current_exe().expect("own path");
        let status = std::process::Command::new(script)
            .arg(exe)
            .args(std::env::args().skip(1))
            .status()
            .expect("netns-run.sh");
        std::process::exit(status.code().unwrap_or(1));
    }
    let prepared = Engine::prepare().expect("prepare");
    println!(
        "start-up (plugins, DTLS certificate), done once per process before any call: {:.0} ms",
        prepared.as_secs_f64() * 1e3
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    call(2, &rt);
    call(4, &rt);
}
