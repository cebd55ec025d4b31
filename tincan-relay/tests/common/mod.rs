//! Shared test helpers: a real relay on a port-0 loopback socket and a small WebSocket client.

#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tincan_relay::{Config, Relay};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::oneshot,
    task::JoinHandle,
};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{self, protocol::CloseFrame, Message},
    MaybeTlsStream, WebSocketStream,
};

/// How long any single expected event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// A relay serving on 127.0.0.1 with an ephemeral port, stopped on `stop()` or drop.
pub struct TestRelay {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<tincan_relay::Result<()>>>,
}

impl TestRelay {
    /// Binds and starts serving a relay with `config`.
    pub async fn start(config: Config) -> Self {
        let relay = Relay::bind("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        let addr = relay.local_addr();
        assert_ne!(addr.port(), 0, "port 0 must be replaced by the real port");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(relay.serve(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Starts a relay with the default config.
    pub async fn default_config() -> Self {
        Self::start(Config::default()).await
    }

    /// The WebSocket URL for `path_and_query` (which starts with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("ws://{}{}", self.addr, path_and_query)
    }

    /// Opens a WebSocket, panicking if the upgrade is refused.
    pub async fn connect(&self, path_and_query: &str) -> Client {
        let url = self.url(path_and_query);
        let (ws, _) = tokio::time::timeout(WAIT, connect_async(url.as_str()))
            .await
            .expect("connect timed out")
            .unwrap_or_else(|e| panic!("connect to {url} failed: {e}"));
        Client { ws }
    }

    /// Opens a WebSocket and reads its `welcome`.
    pub async fn join(&self, path_and_query: &str) -> (Client, Welcome) {
        let mut client = self.connect(path_and_query).await;
        let welcome = client.welcome().await;
        (client, welcome)
    }

    /// Tries an upgrade that must be refused at the HTTP level; returns status and body.
    pub async fn refused(&self, path_and_query: &str) -> (u16, String) {
        match connect_async(self.url(path_and_query).as_str()).await {
            Ok(_) => panic!("upgrade to {path_and_query} should have been refused"),
            Err(tungstenite::Error::Http(response)) => {
                let body = response.body().clone().unwrap_or_default();
                (response.status().as_u16(), String::from_utf8(body).unwrap())
            }
            Err(other) => panic!("expected an HTTP refusal, got {other}"),
        }
    }

    /// Asks the relay to shut down and waits for `serve` to return.
    pub async fn stop(mut self) -> tincan_relay::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("serve did not return after shutdown")
            .expect("serve panicked")
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The parts of a `welcome` message tests look at.
#[derive(Debug)]
pub struct Welcome {
    pub id: String,
    pub room: String,
    pub protocol: u64,
    /// `(id, name)` of the peers already there, oldest first.
    pub peers: Vec<(String, String)>,
}

/// A test-side WebSocket client speaking JSON text frames.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Sends a JSON value as one text frame.
    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    /// Sends raw text as one frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::text(text))
            .await
            .expect("send failed");
    }

    /// Receives the next text frame and parses it, skipping pings and pongs.
    pub async fn recv_json(&mut self) -> Value {
        let text = self.recv_text().await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("relay sent bad JSON {text}: {e}"))
    }

    /// Receives the next text frame verbatim, skipping pings and pongs.
    pub async fn recv_text(&mut self) -> String {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next()).await;
            match next.expect("timed out waiting for a message") {
                Some(Ok(Message::Text(text))) => return text.to_string(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Receives an `error` frame and returns its code, checking it has plain-words text.
    pub async fn expect_error(&mut self) -> String {
        let message = self.recv_json().await;
        assert_eq!(message["type"], "error", "expected an error, got {message}");
        let words = message["message"].as_str().expect("error needs a message");
        assert!(!words.is_empty());
        message["code"]
            .as_str()
            .expect("error needs a code")
            .to_owned()
    }

    /// Reads the `welcome` message.
    pub async fn welcome(&mut self) -> Welcome {
        let message = self.recv_json().await;
        assert_eq!(
            message["type"], "welcome",
            "expected welcome, got {message}"
        );
        let peers = message["peers"]
            .as_array()
            .expect("peers must be an array")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    p["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        Welcome {
            id: message["id"].as_str().unwrap().to_owned(),
            room: message["room"].as_str().unwrap().to_owned(),
            protocol: message["protocol"].as_u64().unwrap(),
            peers,
        }
    }

    /// Reads frames until a close frame arrives and returns it (text frames before it are
    /// collected into the second value).
    pub async fn expect_close(&mut self) -> (Option<CloseFrame>, Vec<String>) {
        let mut texts = Vec::new();
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next()).await;
            match next.expect("timed out waiting for close") {
                Some(Ok(Message::Close(frame))) => return (frame, texts),
                Some(Ok(Message::Text(text))) => texts.push(text.to_string()),
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Asserts that no text frame arrives for `quiet` (pings are fine).
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Closes the socket politely and waits for the relay's answer.
    pub async fn close(mut self) {
        self.ws.close(None).await.expect("close failed");
        let _ = tokio::time::timeout(WAIT, async { while self.ws.next().await.is_some() {} }).await;
    }
}

/// Close code of a close frame.
pub fn close_code(frame: &Option<CloseFrame>) -> u16 {
    u16::from(frame.as_ref().expect("close frame must carry a code").code)
}

/// Close reason of a close frame.
pub fn close_reason(frame: &Option<CloseFrame>) -> String {
    frame
        .as_ref()
        .map(|f| f.reason.to_string())
        .unwrap_or_default()
}

/// A minimal HTTP/1.1 GET; returns the status code and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("HTTP response timed out")
        .unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A `tincan-relay` program started by a test, killed on drop.
pub struct RelayProcess {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    pub pid: u32,
    /// Everything the relay wrote to stderr so far (its log).
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl RelayProcess {
    /// Starts the relay binary with `args` (plus `--listen 127.0.0.1:0`), optionally under
    /// `ulimit -n <fd_limit>`, and reads its address from the first line it prints.
    pub async fn start(args: &[&str], fd_limit: Option<u32>) -> Self {
        Self::start_with_env(args, fd_limit, &[]).await
    }

    /// Like `start`, with extra environment variables for the relay.
    pub async fn start_with_env(
        args: &[&str],
        fd_limit: Option<u32>,
        env: &[(&str, &str)],
    ) -> Self {
        use std::process::Stdio;
        use tokio::io::{AsyncBufReadExt, BufReader};
        let binary = env!("CARGO_BIN_EXE_tincan-relay");
        let mut command = match fd_limit {
            Some(limit) => {
                let mut command = tokio::process::Command::new("sh");
                command
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""));
                command.arg(binary);
                command
            }
            None => tokio::process::Command::new(binary),
        };
        command
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("TINCAN_RELAY_KEY")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn tincan-relay");
        let pid = child.id().expect("relay pid");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("no startup line")
            .unwrap()
            .unwrap_or_else(|| panic!("relay exited early: {}", log.lock().unwrap()));
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let addr = first
            .strip_prefix("listening on ws://")
            .and_then(|rest| rest.strip_suffix("/ws"))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        Self {
            child,
            addr,
            pid,
            log,
        }
    }

    /// The relay's log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Resident memory of the relay, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }

    /// Open file descriptors of the relay.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .unwrap()
            .count()
    }
}

/// Raises this test process's soft open-file limit to its hard limit.
pub fn raise_fd_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit")
}

/// The loopback address 127.0.x.y used as a distinct client address.
pub fn loopback(x: u8, y: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([127, 0, x, y])
}

/// Opens a TCP connection to `addr` from the loopback address `from`.
pub async fn connect_from(from: std::net::IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(addr).await
}

/// Joins through a WebSocket opened from the loopback address `from`, returning the client and
/// the first message the relay sent (`welcome`, or an `error` when refused).
pub async fn join_from(
    from: std::net::IpAddr,
    addr: SocketAddr,
    path_and_query: &str,
) -> Result<(Client, Value), String> {
    let tcp = connect_from(from, addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let url = format!("ws://{addr}{path_and_query}");
    let tcp = MaybeTlsStream::Plain(tcp);
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
        .await
        .map_err(|_| "handshake timed out".to_owned())?
        .map_err(|e| format!("handshake: {e}"))?;
    let mut client = Client { ws };
    let first = client.recv_json().await;
    Ok((client, first))
}

/// Waits until the relay closes `stream` (end of file or reset); `false` if it is still open at
/// `deadline`. Anything the relay sends before closing is ignored.
pub async fn closed_by(stream: &mut TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// A minimal HTTP/1.1 GET; returns the status, the headers (names lower-cased) and the body.
pub async fn http_get_with_headers(
    addr: SocketAddr,
    path: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("HTTP response timed out")
        .unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("response head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// Opens a WebSocket to `relay` from a chosen local address (any of 127.0.0.0/8 works on
/// loopback), so tests can play several machines.
pub async fn ws_connect_from(
    relay: SocketAddr,
    local: std::net::IpAddr,
    path_and_query: &str,
) -> Result<WebSocketStream<TcpStream>, tungstenite::Error> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(local, 0))?;
    let stream = tokio::time::timeout(WAIT, socket.connect(relay))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let url = format!("ws://{relay}{path_and_query}");
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, stream))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    Ok(ws)
}

/// Reads the first text frame of a connection (skipping pings) and the close that may
/// follow it: `(first text, close code)`.
pub async fn first_text_and_close(
    ws: &mut WebSocketStream<TcpStream>,
    want_close: bool,
) -> (Value, Option<u16>) {
    let mut first = None;
    loop {
        let next = tokio::time::timeout(WAIT, ws.next()).await;
        match next.expect("timed out waiting for the relay") {
            Some(Ok(Message::Text(text))) => {
                let value = serde_json::from_str(&text).expect("relay sent bad JSON");
                if !want_close {
                    return (value, None);
                }
                first.get_or_insert(value);
            }
            Some(Ok(Message::Close(frame))) => {
                let code = frame.as_ref().map(|f| u16::from(f.code));
                return (first.expect("a refusal comes with an error frame"), code);
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("connection failed: {e}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

impl RelayProcess {
    /// Peak resident memory of the process so far (VmHWM), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let pid = self.child.id().expect("relay still running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kib * 1024
    }

    /// Opens a WebSocket to the child and reads its `welcome`.
    pub async fn join(&self, path_and_query: &str) -> (Client, Welcome) {
        let url = format!("ws://{}{}", self.addr, path_and_query);
        let (ws, _) = tokio::time::timeout(WAIT, connect_async(url.as_str()))
            .await
            .expect("connect timed out")
            .unwrap_or_else(|e| panic!("connect to {url} failed: {e}"));
        let mut client = Client { ws };
        let welcome = client.welcome().await;
        (client, welcome)
    }
}
