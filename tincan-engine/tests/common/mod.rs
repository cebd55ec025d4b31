//! Shared test helpers: a real relay, a signaling client that drives a native engine through
//! the relay protocol, and running media tests inside a private network namespace.

#![allow(dead_code)]

pub mod chromium;
mod netns;

#[allow(unused_imports)] // not every test binary runs in a namespace
pub use netns::in_netns;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tincan_engine::{
    DspSettings, Engine, EngineConfig, EngineEvent, IceCandidateInit, InputSelection,
    OutputSelection, PeerStats, SdpType, SessionDescription,
};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// A received level above this means the test tone came through (it is about -13 dBFS).
pub const TONE_DB: f64 = -30.0;

/// A relay running on a background task until dropped.
pub struct TestRelay {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestRelay {
    /// Starts a relay on 127.0.0.1 (port chosen by the system), optionally serving `ui_dir`.
    pub async fn start(ui_dir: Option<PathBuf>) -> TestRelay {
        let config = tincan_relay::Config {
            ui_dir,
            ..tincan_relay::Config::default()
        };
        let relay = tincan_relay::Relay::bind("127.0.0.1:0".parse().expect("addr"), config)
            .await
            .expect("bind relay");
        let addr = relay.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = relay
                .serve(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        TestRelay {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The WebSocket URL of a room.
    pub fn room_url(&self, room: &str, name: &str) -> String {
        format!("ws://{}/ws/{room}?name={name}&v=1", self.addr)
    }

    /// Stops the relay and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

/// Engine settings for tests: the test tone, no devices, no processing, discarded output.
pub fn test_config() -> EngineConfig {
    EngineConfig {
        input: InputSelection::TestTone,
        output: OutputSelection::Discard,
        dsp: DspSettings::OFF,
        monitor_devices: false,
        ..EngineConfig::default()
    }
}

/// A native participant: an engine whose signaling runs on a background task.
pub struct NativeParticipant {
    pub engine: Arc<Engine>,
    pub id: String,
    /// Custom messages (e.g. `report`) other participants sent.
    pub custom: mpsc::UnboundedReceiver<Value>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl NativeParticipant {
    /// Joins a room with an engine built from `config`, following the relay protocol.
    pub async fn join(url: &str, config: EngineConfig) -> NativeParticipant {
        let (engine, events) = Engine::new(config).expect("engine starts");
        let engine = Arc::new(engine);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect to relay");
        let (id_tx, id_rx) = oneshot::channel();
        let (custom_tx, custom) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(signal_loop(
            ws,
            engine.clone(),
            events,
            id_tx,
            custom_tx,
            stopped,
        ));
        let id = tokio::time::timeout(Duration::from_secs(10), id_rx)
            .await
            .expect("welcome in time")
            .expect("welcome");
        NativeParticipant {
            engine,
            id,
            custom,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stats of the connection to one peer.
    pub async fn stats(&self, peer: &str) -> Option<PeerStats> {
        self.engine.peer(peer)?.stats().await.ok()
    }

    /// Waits until the test tone (about -13 dBFS) is heard from `peer`; returns its stats.
    pub async fn wait_for_audio(&self, peer: &str, within: Duration) -> PeerStats {
        let start = Instant::now();
        let mut last = None;
        while start.elapsed() < within {
            if let Some(stats) = self.stats(peer).await {
                if stats.level_db > TONE_DB && stats.packets_received > 0 {
                    return stats;
                }
                last = Some(stats);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no audio from {peer} at {} within {within:?}; last stats: {last:?}",
            self.id
        );
    }

    /// Waits until audio energy (e.g. a browser's beeps) was heard from `peer`.
    pub async fn wait_for_energy(&self, peer: &str, within: Duration) -> PeerStats {
        let start = Instant::now();
        let mut last = None;
        while start.elapsed() < within {
            if let Some(stats) = self.stats(peer).await {
                if stats.total_audio_energy > 1e-4 && stats.packets_received > 0 {
                    return stats;
                }
                last = Some(stats);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no audio energy from {peer} at {} within {within:?}; last: {last:?}",
            self.id
        );
    }

    /// Waits for a `report` from a browser in which it heard `peer` with audio energy.
    pub async fn wait_for_browser_hearing(&mut self, peer: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        let mut last = Value::Null;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.custom.recv()).await {
                Ok(Some(msg)) => msg,
                _ => panic!("browser did not hear {peer} within {within:?}; last report: {last}"),
            };
            if msg["type"] != "report" {
                continue;
            }
            assert!(msg.get("error").is_none(), "browser error: {msg}");
            let stats = &msg["peers"][peer];
            let energy = stats["totalAudioEnergy"].as_f64().unwrap_or(0.0);
            if energy > 1e-3 && stats["packetsReceived"].as_u64().unwrap_or(0) > 0 {
                return stats.clone();
            }
            last = msg;
        }
    }

    /// Leaves the room and stops the engine.
    pub async fn leave(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        self.engine.shutdown();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn signal_loop(
    ws: Ws,
    engine: Arc<Engine>,
    mut events: tincan_engine::Events,
    id_tx: oneshot::Sender<String>,
    custom: mpsc::UnboundedSender<Value>,
    mut stopped: oneshot::Receiver<()>,
) {
    let (mut write, mut read) = ws.split();
    let mut id_tx = Some(id_tx);
    loop {
        let outgoing: Vec<Value> = tokio::select! {
            _ = &mut stopped => break,
            frame = read.next() => {
                let Some(Ok(frame)) = frame else { break };
                let Message::Text(text) = frame else { continue };
                let Ok(msg) = serde_json::from_str::<Value>(&text) else { continue };
                handle_message(&engine, msg, &mut id_tx, &custom).await
            }
            event = events.recv() => {
                let Some(event) = event else { break };
                match event {
                    EngineEvent::IceCandidate { peer_id, candidate: Some(c) } => {
                        vec![json!({"type": "candidate", "to": peer_id, "candidate": c})]
                    }
                    EngineEvent::Error { .. } | EngineEvent::Warning { .. } => {
                        eprintln!("engine event: {event:?}");
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
        };
        for msg in outgoing {
            if write
                .send(Message::Text(msg.to_string().into()))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let _ = write.send(Message::Close(None)).await;
}

async fn handle_message(
    engine: &Engine,
    msg: Value,
    id_tx: &mut Option<oneshot::Sender<String>>,
    custom: &mpsc::UnboundedSender<Value>,
) -> Vec<Value> {
    let kind = msg["type"].as_str().unwrap_or_default();
    let from = msg["from"].as_str().unwrap_or_default().to_owned();
    match kind {
        "welcome" => {
            if let Some(tx) = id_tx.take() {
                let _ = tx.send(msg["id"].as_str().unwrap_or_default().to_owned());
            }
            let mut out = Vec::new();
            // The newcomer offers to everyone already in the room.
            for peer in msg["peers"].as_array().cloned().unwrap_or_default() {
                let id = peer["id"].as_str().unwrap_or_default().to_owned();
                let peer = engine.add_peer(&id).expect("add peer");
                let offer = peer.set_local_description(None).await.expect("offer");
                out.push(json!({"type": "offer", "sdp": offer.sdp, "to": id}));
            }
            out
        }
        "peer-left" => {
            engine.remove_peer(msg["id"].as_str().unwrap_or_default());
            Vec::new()
        }
        "offer" => {
            let peer = match engine.peer(&from) {
                Some(peer) => peer,
                None => engine.add_peer(&from).expect("add peer"),
            };
            let sdp = msg["sdp"].as_str().unwrap_or_default();
            peer.set_remote_description(SessionDescription::new(SdpType::Offer, sdp))
                .await
                .expect("apply offer");
            let answer = peer.set_local_description(None).await.expect("answer");
            assert_eq!(answer.kind, SdpType::Answer);
            vec![json!({"type": "answer", "sdp": answer.sdp, "to": from})]
        }
        "answer" => {
            if let Some(peer) = engine.peer(&from) {
                let sdp = msg["sdp"].as_str().unwrap_or_default();
                peer.set_remote_description(SessionDescription::new(SdpType::Answer, sdp))
                    .await
                    .expect("apply answer");
            }
            Vec::new()
        }
        "candidate" => {
            if let Some(peer) = engine.peer(&from) {
                let candidate: Option<IceCandidateInit> =
                    serde_json::from_value(msg["candidate"].clone()).ok();
                peer.add_ice_candidate(candidate).expect("add candidate");
            }
            Vec::new()
        }
        "peer-joined" | "pong" | "error" => Vec::new(),
        _ => {
            let _ = custom.send(msg);
            Vec::new()
        }
    }
}

/// Events of one engine, recorded while candidates are passed straight to the other engine.
pub type Recorded = Arc<std::sync::Mutex<Vec<EngineEvent>>>;

/// Forwards `from`'s local candidates for `peer_on_from` to `to_peer`, recording every event.
pub fn pump_events(
    mut events: tincan_engine::Events,
    to_peer: tincan_engine::Peer,
) -> (Recorded, tokio::task::JoinHandle<()>) {
    let recorded: Recorded = Arc::default();
    let sink = recorded.clone();
    let task = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let EngineEvent::IceCandidate { candidate, .. } = &event {
                let _ = to_peer.add_ice_candidate(candidate.clone());
            }
            sink.lock().expect("events").push(event);
        }
    });
    (recorded, task)
}

/// Offers from `a` to `b` and answers, exchanging descriptions directly.
pub async fn negotiate(a: &tincan_engine::Peer, b: &tincan_engine::Peer) {
    let offer = a.set_local_description(None).await.expect("offer");
    assert_eq!(offer.kind, SdpType::Offer);
    b.set_remote_description(offer).await.expect("apply offer");
    let answer = b.set_local_description(None).await.expect("answer");
    assert_eq!(answer.kind, SdpType::Answer);
    a.set_remote_description(answer)
        .await
        .expect("apply answer");
}

/// Polls `check` every 50 ms until it returns Some, or panics after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < within,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
