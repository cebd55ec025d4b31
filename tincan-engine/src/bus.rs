//! Pipeline and device-monitor messages: levels are read on the streaming thread the moment
//! they are posted (their timing matters), everything else on a watcher thread that sleeps
//! until a message comes.

use crate::engine::Inner;
use crate::error::Result;
use crate::events::EngineEvent;
use crate::stats::parse_level;
use gst::prelude::*;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

/// Reads `level` messages synchronously, raises every streaming thread as it starts, and passes
/// the rest on to the watcher thread.
pub(crate) fn install_level_handler(inner: &Arc<Inner>) {
    let Some(bus) = inner.pipeline.bus() else {
        return;
    };
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let clock = gst::SystemClock::obtain();
    bus.set_sync_handler(move |_, msg| {
        // Posted by each new streaming thread from that thread itself.
        if let gst::MessageView::StreamStatus(status) = msg.view() {
            if status.get().0 == gst::StreamStatusType::Enter {
                crate::priority::raise_current_thread();
            }
            return gst::BusSyncReply::Pass;
        }
        let gst::MessageView::Element(element) = msg.view() else {
            return gst::BusSyncReply::Pass;
        };
        let Some(s) = element.structure().filter(|s| s.name() == "level") else {
            return gst::BusSyncReply::Pass;
        };
        let now = clock.time().map_or(0, |t| t.nseconds());
        if let (Some(inner), Some(src), Some((level, seconds))) =
            (weak.upgrade(), msg.src(), parse_level(s, now))
        {
            inner.on_level(&src.name(), level, seconds);
        }
        gst::BusSyncReply::Drop
    });
}

/// Posted on the pipeline bus by the device monitor's handler: the list of devices changed.
const DEVICES_CHANGED: &str = "tincan-devices-changed";
/// Posted on the pipeline bus at shutdown: the watcher ends.
const STOP: &str = "tincan-bus-stop";

/// Starts the thread that watches the pipeline bus until shutdown. It sleeps until a message
/// comes: device changes are forwarded onto the same bus, and shutdown posts one to wake it.
pub(crate) fn spawn(inner: &Arc<Inner>) -> Result<JoinHandle<()>> {
    let weak = Arc::downgrade(inner);
    let bus = inner
        .pipeline
        .bus()
        .ok_or_else(|| crate::error::EngineError::Pipeline("pipeline has no bus".into()))?;
    if let Some(device_bus) = inner.devices.bus() {
        let pipeline_bus = bus.clone();
        device_bus.set_sync_handler(move |_, msg| {
            if matches!(
                msg.view(),
                gst::MessageView::DeviceAdded(_)
                    | gst::MessageView::DeviceRemoved(_)
                    | gst::MessageView::DeviceChanged(_)
            ) {
                let _ = pipeline_bus.post(application(DEVICES_CHANGED));
            }
            gst::BusSyncReply::Drop
        });
    }
    let thread = std::thread::Builder::new()
        .name("tincan-engine-bus".into())
        .spawn(move || watch(weak, bus))
        .map_err(|e| crate::error::EngineError::Pipeline(e.to_string()))?;
    Ok(thread)
}

/// Wakes the watcher and lets it end; called before the pipeline stops, whose bus then
/// drops whatever is posted.
pub(crate) fn stop(inner: &Inner) {
    if let Some(bus) = inner.pipeline.bus() {
        let _ = bus.post(application(STOP));
    }
}

fn application(name: &str) -> gst::Message {
    gst::message::Application::new(gst::Structure::new_empty(name))
}

fn watch(weak: Weak<Inner>, bus: gst::Bus) {
    for msg in bus.iter_timed(gst::ClockTime::NONE) {
        let name = match msg.view() {
            gst::MessageView::Application(app) => app.structure().map(|s| s.name().to_string()),
            _ => None,
        };
        if name.as_deref() == Some(STOP) {
            return;
        }
        // Held only while one message is handled, so a dropped engine is not kept alive.
        let Some(inner) = weak.upgrade() else { return };
        if inner.lock().shut_down {
            return;
        }
        if name.as_deref() == Some(DEVICES_CHANGED) {
            inner.emit(EngineEvent::DevicesChanged {
                devices: inner.devices.list(),
            });
        } else {
            handle_pipeline(&inner, &msg);
        }
    }
}

fn handle_pipeline(inner: &Inner, msg: &gst::Message) {
    match msg.view() {
        gst::MessageView::Latency(_) => {
            // A new peer's jitter buffer adds latency; the sinks must learn about it.
            let _ = inner.pipeline.recalculate_latency();
        }
        gst::MessageView::Error(err) => {
            let peer_id = msg.src().and_then(|src| inner.peer_of(src));
            inner.emit(EngineEvent::Error {
                peer_id,
                message: format!("{} ({})", err.error(), err.debug().unwrap_or_default()),
            });
        }
        gst::MessageView::Warning(warning) => {
            inner.emit(EngineEvent::Warning {
                message: warning.error().to_string(),
            });
        }
        _ => {}
    }
}
