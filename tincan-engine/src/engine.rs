//! The engine: one GStreamer pipeline holding the shared capture, the playout mixer and a bin
//! per peer, plus the public API the application drives.

use crate::bus;
use crate::capture::{self, InputKind};
use crate::config::{AudioTiming, DspSettings, EngineConfig, InputSelection, OutputSelection};
use crate::devices::{AudioDevice, DeviceKind, Devices};
use crate::error::{EngineError, Result};
use crate::events::{AudioLevel, EngineEvent};
use crate::ice::{ice_settings, IceServer};
use crate::peer::Peer;
use crate::playout;
use crate::plugins::{self, MissingElement};
use crate::state::{PeerEntry, State};
use crate::stats::PeerStats;
pub use crate::status::EngineStatus;
use crate::webrtc;
use gst::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc;

/// The receiving end of the engine's events.
pub type Events = mpsc::UnboundedReceiver<EngineEvent>;

static ENGINES: AtomicU64 = AtomicU64::new(0);

/// Shared by the engine handle, peer handles and GStreamer callbacks.
pub(crate) struct Inner {
    /// The engine's own handle, for callbacks that must not keep it alive.
    pub this: Weak<Inner>,
    pub pipeline: gst::Pipeline,
    pub events: mpsc::UnboundedSender<EngineEvent>,
    pub devices: Devices,
    pub probe: Option<String>,
    pub missing: Vec<MissingElement>,
    pub level_interval: Duration,
    pub level_events: bool,
    pub timing: AudioTiming,
    pub state: Mutex<State>,
}

/// The native audio engine; dropping it stops everything.
pub struct Engine {
    inner: Arc<Inner>,
    bus_thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("pipeline", &self.inner.pipeline.name())
            .finish()
    }
}

impl Engine {
    /// Does once, ahead of the first call, what the first connection of a process would
    /// otherwise wait for: loading GStreamer's plugins and making the DTLS certificate that
    /// every connection shares (an RSA key: a second on a slow machine). Blocks while it works;
    /// returns how long that took.
    pub fn prepare() -> Result<Duration> {
        let started = std::time::Instant::now();
        gst::init().map_err(|e| EngineError::Init(e.to_string()))?;
        // A DTLS decoder makes (or finds) the process's certificate as it is created.
        gst::ElementFactory::make("dtlsdec")
            .build()
            .map_err(|_| EngineError::Pipeline("could not create dtlsdec".into()))?;
        Ok(started.elapsed())
    }

    /// Checks the installed elements, builds the pipeline and starts capturing.
    pub fn new(config: EngineConfig) -> Result<(Engine, Events)> {
        gst::init().map_err(|e| EngineError::Init(e.to_string()))?;
        let report = plugins::check(plugins::REQUIREMENTS);
        let required = report.missing_required();
        if !required.is_empty() {
            return Err(EngineError::MissingElements(required));
        }
        let number = ENGINES.fetch_add(1, Ordering::Relaxed);
        // webrtcdsp finds its probe by name across the process, so each engine needs its own.
        let probe = report
            .dsp_available()
            .then(|| format!("tincan-echo-probe-{number}"));
        let devices = Devices::start(config.monitor_devices);
        let pipeline = gst::Pipeline::with_name(&format!("tincan-engine-{number}"));
        // The sound server's clock stops while its stream runs dry: with short device buffers a
        // busy moment would freeze the whole pipeline, and the call would fall silent for good.
        // The system clock never stops; the sink follows it by resampling.
        pipeline.use_clock(Some(&gst::SystemClock::obtain()));
        let (source, input) = capture::make_source(&config.input, &devices, config.timing)?;
        let dsp = capture::make_dsp(processing_for(input, config.dsp), probe.as_deref())?;
        capture::build(
            &pipeline,
            source,
            dsp,
            config.level_interval,
            config.opus_bitrate,
            config.timing,
        )?;
        let (sink, output_device) = playout::make_sink(&config.output, &devices, config.timing)?;
        playout::build(&pipeline, sink, probe.as_deref(), config.timing)?;
        let (events, receiver) = mpsc::unbounded_channel();
        let state = State {
            peers: HashMap::new(),
            closed: HashSet::new(),
            building: HashSet::new(),
            next_number: 0,
            input_level: Default::default(),
            ice: ice_settings(&config.ice_servers)?,
            dsp: if probe.is_some() {
                config.dsp
            } else {
                DspSettings::OFF
            },
            muted: false,
            input,
            output_device,
            shut_down: false,
        };
        let inner = Arc::new_cyclic(|this| Inner {
            this: this.clone(),
            pipeline,
            events,
            devices,
            probe,
            missing: report.missing,
            level_interval: config.level_interval,
            level_events: config.level_events,
            timing: config.timing,
            state: Mutex::new(state),
        });
        bus::install_level_handler(&inner);
        if let Err(err) = inner.pipeline.set_state(gst::State::Playing) {
            let _ = inner.pipeline.set_state(gst::State::Null);
            return Err(err.into());
        }
        if inner.probe.is_none() && config.dsp.any() {
            inner.emit(EngineEvent::Warning {
                message: "webrtcdsp is not installed (gstreamer1.0-plugins-bad): calls run \
                          without echo cancellation, noise suppression or gain control"
                    .into(),
            });
        }
        let bus_thread = match bus::spawn(&inner) {
            Ok(thread) => thread,
            Err(err) => {
                // Nothing would stop them later: no engine is handed out.
                let _ = inner.pipeline.set_state(gst::State::Null);
                inner.devices.stop();
                return Err(err);
            }
        };
        Ok((
            Engine {
                inner,
                bus_thread: Mutex::new(Some(bus_thread)),
            },
            receiver,
        ))
    }

    /// What the engine runs with: devices found, input in use, processing available.
    pub fn status(&self) -> EngineStatus {
        let devices = self.inner.devices.list();
        let has_in = devices.iter().any(|d| d.kind == DeviceKind::AudioInput);
        let has_out = devices.iter().any(|d| d.kind == DeviceKind::AudioOutput);
        let sending_to = self
            .inner
            .pipeline
            .by_name(crate::capture::TEE)
            .map_or(0, |tee| tee.src_pads().len());
        let processing = crate::capture::processing(&self.inner.pipeline);
        let state = self.inner.lock();
        EngineStatus {
            dsp_available: self.inner.probe.is_some(),
            dsp: state.dsp,
            processing,
            input: match state.input {
                InputKind::Device => "device",
                InputKind::TestTone => "test-tone",
                InputKind::Silence => "silence",
            },
            has_input_device: has_in,
            has_output_device: has_out,
            output_to_device: state.output_device,
            no_audio_device: !has_in && !has_out,
            muted: state.muted,
            missing: self.inner.missing.clone(),
            sending_to,
        }
    }

    /// Creates the connection to a remote peer, like `new RTCPeerConnection()` plus its
    /// audio track; it fires `negotiationneeded` once ready.
    pub fn add_peer(&self, id: &str) -> Result<Peer> {
        let (number, ice) = {
            let mut state = self.inner.lock();
            if state.shut_down {
                return Err(EngineError::Shutdown);
            }
            // An id being built counts as taken, so two calls cannot both build it.
            if state.peers.contains_key(id) || !state.building.insert(id.to_owned()) {
                return Err(EngineError::DuplicatePeer(id.to_owned()));
            }
            state.closed.remove(id);
            state.next_number += 1;
            (state.next_number, state.ice.clone())
        };
        let built = webrtc::build(&self.inner, id, number, &ice);
        let mut state = self.inner.lock();
        state.building.remove(id);
        let parts = built?;
        // Closed (or the engine shut down) while it was being built: the caller no longer
        // wants it, so it must not stay linked to the microphone.
        if state.shut_down || state.closed.contains(id) {
            drop(state);
            self.inner.detach(&parts.tee_pad, &parts.bin, &[]);
            return Err(EngineError::PeerClosed(id.to_owned()));
        }
        let entry = PeerEntry::new(number, parts);
        state.peers.insert(id.to_owned(), entry);
        drop(state);
        Ok(Peer {
            inner: self.inner.clone(),
            id: id.to_owned(),
        })
    }

    /// The connection to a peer, if it exists.
    pub fn peer(&self, id: &str) -> Option<Peer> {
        let exists = self.inner.lock().peers.contains_key(id);
        exists.then(|| Peer {
            inner: self.inner.clone(),
            id: id.to_owned(),
        })
    }

    /// Ids of every open peer connection.
    pub fn peer_ids(&self) -> Vec<String> {
        self.inner.lock().peers.keys().cloned().collect()
    }

    /// Closes a peer connection; the others are not interrupted.
    pub fn remove_peer(&self, id: &str) {
        self.inner.remove_peer(id);
    }

    /// Mutes or unmutes what is sent to every peer.
    pub fn set_muted(&self, muted: bool) {
        self.inner.lock().muted = muted;
        capture::set_muted(&self.inner.pipeline, muted);
    }

    /// Sets how loud a peer is played, 0.0 ..= 2.0.
    pub fn set_peer_volume(&self, id: &str, volume: f64) -> Result<()> {
        self.inner.set_peer_volume(id, volume)
    }

    /// The latest reading of the local input (before mute), if any yet.
    pub fn input_level(&self) -> Option<AudioLevel> {
        self.inner.lock().input_level.last
    }

    /// Every audio device present now.
    pub fn list_devices(&self) -> Vec<AudioDevice> {
        self.inner.devices.list()
    }

    /// Switches the capture to another device, the test tone or silence.
    pub fn set_input(&self, selection: InputSelection) -> Result<()> {
        let (source, kind) =
            capture::make_source(&selection, &self.inner.devices, self.inner.timing)?;
        capture::replace_source(&self.inner.pipeline, source)?;
        let (before, settings) = {
            let mut state = self.inner.lock();
            (std::mem::replace(&mut state.input, kind), state.dsp)
        };
        let was_tone = before == InputKind::TestTone;
        if was_tone != (kind == InputKind::TestTone) {
            if let Some(probe) = self.inner.probe.as_deref() {
                let dsp = capture::make_dsp(processing_for(kind, settings), Some(probe))?;
                capture::replace_dsp(&self.inner.pipeline, dsp)?;
            }
        }
        Ok(())
    }

    /// Switches the playout to another device, or discards it.
    pub fn set_output(&self, selection: OutputSelection) -> Result<()> {
        let (sink, device) =
            playout::make_sink(&selection, &self.inner.devices, self.inner.timing)?;
        playout::replace_sink(&self.inner.pipeline, sink)?;
        self.inner.lock().output_device = device;
        Ok(())
    }

    /// Switches echo cancellation, noise suppression and gain control.
    pub fn set_dsp(&self, settings: DspSettings) -> Result<()> {
        let Some(probe) = self.inner.probe.as_deref() else {
            return Ok(());
        };
        let input = {
            let mut state = self.inner.lock();
            state.dsp = settings;
            state.input
        };
        let dsp = capture::make_dsp(processing_for(input, settings), Some(probe))?;
        capture::replace_dsp(&self.inner.pipeline, dsp)?;
        Ok(())
    }

    /// Sets the STUN/TURN servers used by peers created from now on.
    pub fn set_ice_servers(&self, servers: &[IceServer]) -> Result<()> {
        let settings = ice_settings(servers)?;
        self.inner.lock().ice = settings;
        Ok(())
    }

    /// The latency the pipeline reports from capture or reception to its outputs (jitter
    /// buffer, decoding, mixing, output device), if it can tell yet.
    pub fn latency(&self) -> Option<Duration> {
        let mut query = gst::query::Latency::new();
        if !self.inner.pipeline.query(&mut query) {
            return None;
        }
        let (live, min, _) = query.result();
        live.then(|| Duration::from_nanos(min.nseconds()))
    }

    /// Where the delay from microphone to speaker goes, stage by stage.
    pub fn latency_budget(&self) -> crate::budget::LatencyBudget {
        self.inner.latency_budget()
    }

    /// Stats of every open peer connection.
    pub async fn stats(&self) -> Vec<PeerStats> {
        let mut all = Vec::new();
        for id in self.peer_ids() {
            if let Some(peer) = self.peer(&id) {
                if let Ok(stats) = peer.stats().await {
                    all.push(stats);
                }
            }
        }
        all
    }

    /// Stops every peer and the pipeline; the engine cannot be used afterwards.
    pub fn shutdown(&self) {
        let ids = {
            let mut state = self.inner.lock();
            if state.shut_down {
                return;
            }
            state.shut_down = true;
            state.peers.keys().cloned().collect::<Vec<_>>()
        };
        for id in ids {
            self.inner.remove_peer(&id);
        }
        bus::stop(&self.inner);
        let thread = self
            .bus_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        let _ = self.inner.pipeline.set_state(gst::State::Null);
        self.inner.devices.stop();
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The processing actually applied: none for the test tone, which should arrive as sent (an
/// echo canceller takes the far side's identical tone for echo and carves it up).
fn processing_for(input: InputKind, settings: DspSettings) -> DspSettings {
    if input == InputKind::TestTone {
        DspSettings::OFF
    } else {
        settings
    }
}
