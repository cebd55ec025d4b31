//! Shared test helpers: a real relay on a port-0 loopback socket and a small WebSocket client.

#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tincan_relay::{Config, Relay};
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
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
    /// The secret a reconnect presents to take this connection's place.
    pub resume: String,
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
            resume: message["resume"].as_str().unwrap().to_owned(),
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

mod net;
mod process;

// Each test binary uses some of these, so the others would be reported as unused.
#[allow(unused_imports)]
pub use net::*;
#[allow(unused_imports)]
pub use process::*;
