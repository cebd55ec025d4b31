//! Pipeline and device-monitor messages: levels are read on the streaming thread the moment
//! they are posted (their timing matters), everything else on a watcher thread.

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

/// Starts the thread that watches the pipeline bus and the device monitor until shutdown.
pub(crate) fn spawn(inner: &Arc<Inner>) -> Result<JoinHandle<()>> {
    let weak = Arc::downgrade(inner);
    let bus = inner.pipeline.bus();
    let device_bus = inner.devices.bus();
    let thread = std::thread::Builder::new()
        .name("tincan-engine-bus".into())
        .spawn(move || watch(weak, bus, device_bus))
        .map_err(|e| crate::error::EngineError::Pipeline(e.to_string()))?;
    Ok(thread)
}

fn watch(weak: Weak<Inner>, bus: Option<gst::Bus>, device_bus: Option<gst::Bus>) {
    let timeout = gst::ClockTime::from_mseconds(100);
    loop {
        let Some(inner) = weak.upgrade() else { return };
        if inner.lock().shut_down {
            return;
        }
        if let Some(msg) = bus.as_ref().and_then(|b| b.timed_pop(timeout)) {
            handle_pipeline(&inner, &msg);
        } else if bus.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut devices_changed = false;
        while let Some(msg) = device_bus.as_ref().and_then(|b| b.pop()) {
            devices_changed |= matches!(
                msg.view(),
                gst::MessageView::DeviceAdded(_)
                    | gst::MessageView::DeviceRemoved(_)
                    | gst::MessageView::DeviceChanged(_)
            );
        }
        if devices_changed {
            inner.emit(EngineEvent::DevicesChanged {
                devices: inner.devices.list(),
            });
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
