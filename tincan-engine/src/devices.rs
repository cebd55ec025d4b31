//! Audio device discovery through GStreamer's DeviceMonitor, with hot-plug notifications.

use gst::prelude::*;
use serde::Serialize;

/// Whether a device captures or plays audio, named like MediaDeviceInfo.kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// A microphone or other capture device.
    AudioInput,
    /// Speakers, headphones or another playback device.
    AudioOutput,
}

/// One audio device, like the browser's MediaDeviceInfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioDevice {
    /// Stable id to pass to `set_input_device` / `set_output_device`.
    #[serde(rename = "deviceId")]
    pub id: String,
    /// Human-readable name.
    pub label: String,
    /// Input or output.
    pub kind: DeviceKind,
    /// Whether the sound server marks it as its default.
    pub is_default: bool,
}

/// The running device monitor; absent devices simply make the lists empty.
pub(crate) struct Devices {
    monitor: Option<gst::DeviceMonitor>,
}

impl Devices {
    /// Starts watching audio sources and sinks; a failure to start just yields no devices.
    pub(crate) fn start(enabled: bool) -> Self {
        if !enabled {
            return Devices { monitor: None };
        }
        let monitor = gst::DeviceMonitor::new();
        monitor.add_filter(Some("Audio/Source"), None);
        monitor.add_filter(Some("Audio/Sink"), None);
        match monitor.start() {
            Ok(()) => Devices {
                monitor: Some(monitor),
            },
            Err(_) => Devices { monitor: None },
        }
    }

    /// The bus on which the monitor posts hot-plug messages.
    pub(crate) fn bus(&self) -> Option<gst::Bus> {
        self.monitor.as_ref().map(|m| m.bus())
    }

    /// Every audio device currently present.
    pub(crate) fn list(&self) -> Vec<AudioDevice> {
        self.gst_devices().iter().filter_map(describe).collect()
    }

    /// The GStreamer device with this id.
    /// The device a selection names: the default of its kind, a device by id (an unknown id is
    /// an error), or none for the test tone, silence or discarded output.
    pub(crate) fn resolve(
        &self,
        kind: DeviceKind,
        choice: DeviceChoice<'_>,
    ) -> crate::error::Result<Option<gst::Device>> {
        match choice {
            DeviceChoice::Default => Ok(self.default_of(kind)),
            DeviceChoice::Id(id) => self
                .find(id)
                .map(Some)
                .ok_or_else(|| crate::error::EngineError::UnknownDevice(id.to_owned())),
            DeviceChoice::None => Ok(None),
        }
    }

    pub(crate) fn find(&self, id: &str) -> Option<gst::Device> {
        self.gst_devices()
            .into_iter()
            .find(|d| describe(d).is_some_and(|info| info.id == id))
    }

    /// The default device of a kind: the one marked default, else the first one.
    pub(crate) fn default_of(&self, kind: DeviceKind) -> Option<gst::Device> {
        let devices: Vec<(gst::Device, AudioDevice)> = self
            .gst_devices()
            .into_iter()
            .filter_map(|d| describe(&d).map(|info| (d, info)))
            .filter(|(_, info)| info.kind == kind)
            .collect();
        let marked = devices
            .iter()
            .position(|(_, info)| info.is_default)
            .unwrap_or(0);
        devices.into_iter().nth(marked).map(|(d, _)| d)
    }

    fn gst_devices(&self) -> Vec<gst::Device> {
        self.monitor
            .as_ref()
            .map(|m| m.devices().into_iter().collect())
            .unwrap_or_default()
    }

    pub(crate) fn stop(&self) {
        if let Some(monitor) = &self.monitor {
            monitor.stop();
        }
    }
}

fn describe(device: &gst::Device) -> Option<AudioDevice> {
    let class = device.device_class();
    let kind = if class.contains("Audio/Source") {
        DeviceKind::AudioInput
    } else if class.contains("Audio/Sink") {
        DeviceKind::AudioOutput
    } else {
        return None;
    };
    let props = device.properties();
    let prop = |key: &str| props.as_ref().and_then(|p| p.get::<String>(key).ok());
    let is_default = props
        .as_ref()
        .and_then(|p| p.get::<bool>("is-default").ok())
        .unwrap_or(false);
    // The sound server's own name for the device (PulseAudio sink/source name, ALSA device,
    // PipeWire node) survives reboots and re-plugging; the display name is the last resort.
    let internal = device
        .find_property("internal-name")
        .and_then(|_| device.property::<Option<String>>("internal-name"));
    let stable = internal
        .or_else(|| {
            ["node.name", "device.name", "udev.id", "device.string"]
                .iter()
                .find_map(|key| prop(key))
        })
        .unwrap_or_else(|| device.display_name().to_string());
    let api = prop("device.api").unwrap_or_else(|| "gst".into());
    let direction = if kind == DeviceKind::AudioInput {
        "in"
    } else {
        "out"
    };
    Some(AudioDevice {
        id: format!("{api}:{direction}:{stable}"),
        label: device.display_name().to_string(),
        kind,
        is_default,
    })
}

/// What an input or output selection asks of the device list.
pub(crate) enum DeviceChoice<'a> {
    /// The system's default device of the kind.
    Default,
    /// A device by id.
    Id(&'a str),
    /// No device.
    None,
}
