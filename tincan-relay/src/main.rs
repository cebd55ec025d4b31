//! `tincan-relay`: the signaling relay as a headless program.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use tincan_relay::{Config, Relay, TlsIdentity};
use tracing_subscriber::EnvFilter;

mod lan;
mod startup;

/// Signaling relay for Tincan voice calls on the local network.
///
/// Prints `listening on ws://HOST:PORT/ws` first, then the addresses to share with the people
/// joining. Stops cleanly on Ctrl-C or SIGTERM, closing every socket with code 1001.
/// Log detail follows RUST_LOG (default `info`; `tincan_relay=debug` logs every relayed message
/// type and size, never its contents).
#[derive(Debug, Parser)]
#[command(name = "tincan-relay", version)]
struct Args {
    /// Address and port to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:47800")]
    listen: SocketAddr,

    /// Passcode every client must give (query `key`); without one anyone on the network may
    /// join. Given here it is visible to other users of this machine in the process list: prefer
    /// --key-file or the TINCAN_RELAY_KEY environment variable.
    #[arg(long, value_name = "PASSCODE")]
    key: Option<String>,

    /// File holding the passcode (a trailing newline is ignored); at most one of --key,
    /// --key-file and TINCAN_RELAY_KEY may be given.
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,

    /// Most people in one room; the next one gets `room-full`.
    #[arg(long, alias = "room-cap", value_name = "N", default_value_t = defaults().max_peers_per_room)]
    max_peers: usize,

    /// Most WebSocket connections in total; the next one gets `relay-full`.
    #[arg(long, value_name = "N", default_value_t = defaults().max_connections)]
    max_connections: usize,

    /// Largest message a client may send, in bytes; larger ones get `too-large`.
    #[arg(long, value_name = "BYTES", default_value_t = defaults().max_message_bytes)]
    max_message_bytes: usize,

    /// Seconds between keepalive pings to each client.
    #[arg(long, value_name = "SECS", default_value_t = defaults().keepalive_interval.as_secs_f64())]
    keepalive: f64,

    /// Seconds a client may stay silent (no pong, no message) before it is dropped.
    #[arg(long, value_name = "SECS", default_value_t = defaults().keepalive_timeout.as_secs_f64())]
    keepalive_timeout: f64,

    /// Messages per second each client may send on average; excess gets `rate-limited`.
    #[arg(long, value_name = "MSGS", default_value_t = defaults().rate_per_second)]
    rate: f64,

    /// Messages a client may send in one burst above the average rate.
    #[arg(long, value_name = "MSGS", default_value_t = defaults().rate_burst)]
    burst: u32,

    /// Frames queued for one client before it is dropped as too slow.
    #[arg(long, value_name = "FRAMES", default_value_t = defaults().outbound_queue)]
    queue: usize,

    /// Bytes queued for one client before it is dropped as too slow.
    #[arg(long, value_name = "BYTES", default_value_t = defaults().queue_bytes)]
    queue_bytes: usize,

    /// Bytes queued for all clients together; past it, clients that are behind are dropped.
    #[arg(long, value_name = "BYTES", default_value_t = defaults().total_queue_bytes)]
    total_queue_bytes: usize,

    /// Seconds a write to a client may make no progress before the client is dropped.
    #[arg(long, value_name = "SECS", default_value_t = defaults().write_stall_timeout.as_secs_f64())]
    write_stall: f64,

    /// Pings per second each client may send on average; more closes the connection.
    #[arg(long, value_name = "PINGS", default_value_t = defaults().ping_rate_per_second)]
    ping_rate: f64,

    /// Pings a client may send in one burst above the average rate.
    #[arg(long, value_name = "PINGS", default_value_t = defaults().ping_burst)]
    ping_burst: u32,

    /// Wrong passcodes one address may give before it has to wait.
    #[arg(long, value_name = "N", default_value_t = defaults().key_free_tries)]
    key_free_tries: u32,

    /// Longest wait, in seconds, for an address after wrong passcodes (waits double up to it).
    #[arg(long, value_name = "SECS", default_value_t = defaults().key_max_delay.as_secs_f64())]
    key_max_delay: f64,

    /// Wrong passcodes per minute checked from addresses that already failed, relay-wide.
    #[arg(long, value_name = "N", default_value_t = defaults().key_failures_per_minute)]
    key_failures_per_minute: u32,

    /// Folder to serve at `/` (the web UI, with index.html), so a browser can join from it.
    #[arg(long, value_name = "DIR")]
    ui: Option<PathBuf>,

    /// Also serve HTTPS (and `wss://`) on the same port, so phones and other devices can join
    /// from a browser, which gives the microphone to secure pages only. The self-signed
    /// certificate is made on first use and kept in --tls-dir.
    #[arg(long)]
    tls: bool,

    /// Folder for the certificate and its private key (kept 0600); default
    /// `$XDG_DATA_HOME/tincan-relay` (`~/.local/share/tincan-relay`).
    #[arg(long, value_name = "DIR", requires = "tls")]
    tls_dir: Option<PathBuf>,

    /// Seconds a new connection may take to send its request head (or finish its TLS
    /// handshake) before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = defaults().header_timeout.as_secs_f64())]
    header_timeout: f64,

    /// Most connections still in their HTTP handshake; past it the oldest one is closed.
    #[arg(long, value_name = "N", default_value_t = defaults().max_pending_handshakes)]
    max_pending_handshakes: usize,

    /// Most open connections from one address (an IPv6 /64 counts as one); more are closed at once.
    #[arg(long, value_name = "N", default_value_t = defaults().max_connections_per_address)]
    max_connections_per_address: usize,

    /// Announce the lobby room on the LAN over mDNS/DNS-SD (`_tincan._tcp`), so apps list it
    /// without typing an address. On by default; never when listening on loopback only.
    #[arg(long, overrides_with = "no_announce")]
    announce: bool,

    /// Do not announce the room on the LAN.
    #[arg(long, overrides_with = "announce")]
    no_announce: bool,

    /// Host name shown next to the announced room; default: this machine's name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

/// Environment variable that may hold the passcode instead of --key.
const KEY_VARIABLE: &str = "TINCAN_RELAY_KEY";

/// Longest passcode file read; anything longer is surely the wrong file.
const KEY_FILE_MAX_BYTES: u64 = 4096;

fn defaults() -> Config {
    Config::default()
}

impl Args {
    fn config(&self) -> Result<Config, String> {
        let seconds = |value: f64, flag: &str| {
            Duration::try_from_secs_f64(value)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or(format!("--{flag} must be a positive number of seconds"))
        };
        let keepalive_interval = seconds(self.keepalive, "keepalive")?;
        let keepalive_timeout = seconds(self.keepalive_timeout, "keepalive-timeout")?;
        if keepalive_timeout <= keepalive_interval {
            return Err("--keepalive-timeout must be longer than --keepalive".to_owned());
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err("--rate must be a positive number".to_owned());
        }
        let header_timeout = seconds(self.header_timeout, "header-timeout")?;
        if self.max_pending_handshakes == 0 {
            return Err("--max-pending-handshakes must be at least 1".to_owned());
        }
        if self.max_connections_per_address == 0 {
            return Err("--max-connections-per-address must be at least 1".to_owned());
        }
        let key = self.key(std::env::var_os(KEY_VARIABLE))?;
        let write_stall_timeout = seconds(self.write_stall, "write-stall")?;
        let key_max_delay = seconds(self.key_max_delay, "key-max-delay")?;
        if !(self.ping_rate.is_finite() && self.ping_rate > 0.0) {
            return Err("--ping-rate must be a positive number".to_owned());
        }
        let tls = self.tls_identity()?;
        Ok(Config {
            tls,
            max_peers_per_room: self.max_peers,
            max_connections: self.max_connections,
            max_message_bytes: self.max_message_bytes,
            key,
            keepalive_interval,
            keepalive_timeout,
            rate_per_second: self.rate,
            rate_burst: self.burst,
            outbound_queue: self.queue,
            queue_bytes: self.queue_bytes,
            total_queue_bytes: self.total_queue_bytes,
            write_stall_timeout,
            ping_rate_per_second: self.ping_rate,
            ping_burst: self.ping_burst,
            key_free_tries: self.key_free_tries,
            key_max_delay,
            key_failures_per_minute: self.key_failures_per_minute,
            ui_dir: self.ui.clone(),
            ui_files: None,
            header_timeout,
            max_pending_handshakes: self.max_pending_handshakes,
            max_connections_per_address: self.max_connections_per_address,
        })
    }

    /// The certificate for `--tls`, loaded from its folder or made there.
    fn tls_identity(&self) -> Result<Option<TlsIdentity>, String> {
        if !self.tls {
            return Ok(None);
        }
        let dir = self
            .tls_dir
            .clone()
            .or_else(tincan_relay::default_tls_dir)
            .ok_or("--tls needs --tls-dir: neither XDG_DATA_HOME nor HOME is set")?;
        let name = self.name.as_deref().unwrap_or("a relay");
        TlsIdentity::load_or_create(&dir, name)
            .map(Some)
            .map_err(|err| format!("--tls: {err}"))
    }

    /// The passcode from whichever of its three sources was given (`variable` is the
    /// environment's value), refusing more than one.
    fn key(&self, variable: Option<std::ffi::OsString>) -> Result<Option<String>, String> {
        let given = [
            self.key.is_some().then_some("--key"),
            self.key_file.is_some().then_some("--key-file"),
            variable.is_some().then_some(KEY_VARIABLE),
        ];
        let given: Vec<&str> = given.into_iter().flatten().collect();
        if given.len() > 1 {
            return Err(format!(
                "the passcode is given by {}: give it one way only",
                given.join(" and ")
            ));
        }
        if let Some(path) = &self.key_file {
            return read_key_file(path).map(Some);
        }
        if let Some(value) = variable {
            let value = value
                .into_string()
                .map_err(|_| format!("{KEY_VARIABLE} is not valid UTF-8"))?;
            if value.is_empty() {
                return Err(format!("{KEY_VARIABLE} is set but empty"));
            }
            return Ok(Some(value));
        }
        // An empty --key has always meant "no passcode".
        Ok(self.key.clone().filter(|key| !key.is_empty()))
    }
}

/// Reads a passcode file, ignoring one trailing newline (`\n` or `\r\n`).
fn read_key_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let cannot = |err: std::io::Error| format!("cannot read --key-file {}: {err}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(KEY_FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > KEY_FILE_MAX_BYTES {
        return Err(format!(
            "--key-file {} is longer than {KEY_FILE_MAX_BYTES} bytes; is it the right file?",
            path.display()
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("--key-file {} is not valid UTF-8 text", path.display()))?;
    let key = text.strip_suffix('\n').unwrap_or(&text);
    let key = key.strip_suffix('\r').unwrap_or(key);
    if key.is_empty() {
        return Err(format!("--key-file {} is empty", path.display()));
    }
    Ok(key.to_owned())
}

// Signaling is light and latency-bound: one thread relays it with fewer wake-ups between threads
// (measured: 0.26 -> 0.17 context switches per relayed message at 4k/s, docs/BENCHMARKS.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let args = Args::parse();
    let config = match args.config() {
        Ok(config) => config,
        Err(why) => {
            eprintln!("tincan-relay: {why}");
            return ExitCode::from(2);
        }
    };
    let has_ui = config.ui_dir.is_some();
    let fingerprint = config.tls.as_ref().map(TlsIdentity::fingerprint);
    let shutdown = shutdown_signal();
    let relay = match Relay::bind(args.listen, config).await {
        Ok(relay) => relay,
        Err(err) => {
            eprintln!("tincan-relay: {err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = relay.local_addr();
    if let Err(err) = startup::print(addr, has_ui, fingerprint) {
        eprintln!("tincan-relay: cannot write to stdout: {err}");
    }
    let announcing = lan::start(&args, &relay);
    // Withdraw the room before the relay's goodbyes, so lists drop it as soon as it stops.
    let shutdown = async move {
        shutdown.await;
        if let Some(announcing) = announcing {
            announcing.stop().await;
        }
    };
    match relay.serve(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tincan-relay: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Listens for Ctrl-C and, on Unix, SIGTERM from this call on (so a signal sent as soon as the
/// address is printed is never missed); the returned future completes on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                () = arrival(interrupt) => {}
                () = arrival(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Completes when `signal` arrives; never, if it could not be listened for.
#[cfg(unix)]
async fn arrival(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
