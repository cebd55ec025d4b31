//! Start-up check of the GStreamer elements the engine needs, naming the Debian package to
//! install for each one that is missing.

use serde::Serialize;
use std::fmt;

/// How much the engine depends on an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Need {
    /// Calls cannot work without it.
    Required,
    /// Echo cancellation, noise suppression and gain control; calls work without them.
    Dsp,
    /// Reaching real sound hardware; without it the engine can only use the test tone or
    /// listen-only.
    Device,
}

/// One element factory the engine looks for, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The element factory name, e.g. `webrtcbin`.
    pub element: &'static str,
    /// The GStreamer plugin that provides it.
    pub plugin: &'static str,
    /// The Debian/Ubuntu package that ships the plugin.
    pub package: &'static str,
    /// What breaks without it.
    pub need: Need,
}

const fn req(element: &'static str, plugin: &'static str, package: &'static str) -> Requirement {
    Requirement {
        element,
        plugin,
        package,
        need: Need::Required,
    }
}

const BASE: &str = "gstreamer1.0-plugins-base";
const GOOD: &str = "gstreamer1.0-plugins-good";
const BAD: &str = "gstreamer1.0-plugins-bad";
const CORE: &str = "libgstreamer1.0-0";

/// Every element factory the engine creates, directly or inside webrtcbin.
pub const REQUIREMENTS: &[Requirement] = &[
    req("webrtcbin", "webrtc", BAD),
    req("nicesrc", "nice", "gstreamer1.0-nice"),
    req("nicesink", "nice", "gstreamer1.0-nice"),
    req("dtlssrtpenc", "dtls", BAD),
    req("dtlssrtpdec", "dtls", BAD),
    req("srtpenc", "srtp", BAD),
    req("srtpdec", "srtp", BAD),
    req("rtpbin", "rtpmanager", GOOD),
    req("rtpopuspay", "rtp", GOOD),
    req("rtpopusdepay", "rtp", GOOD),
    req("opusenc", "opus", BASE),
    req("opusdec", "opus", BASE),
    req("audioconvert", "audioconvert", BASE),
    req("audioresample", "audioresample", BASE),
    req("audiotestsrc", "audiotestsrc", BASE),
    req("audiomixer", "audiomixer", BASE),
    req("volume", "volume", BASE),
    req("level", "level", GOOD),
    req("tee", "coreelements", CORE),
    req("queue", "coreelements", CORE),
    req("capsfilter", "coreelements", CORE),
    req("identity", "coreelements", CORE),
    req("fakesink", "coreelements", CORE),
    Requirement {
        element: "webrtcdsp",
        plugin: "webrtcdsp",
        package: BAD,
        need: Need::Dsp,
    },
    Requirement {
        element: "webrtcechoprobe",
        plugin: "webrtcdsp",
        package: BAD,
        need: Need::Dsp,
    },
    Requirement {
        element: "autoaudiosrc",
        plugin: "autodetect",
        package: GOOD,
        need: Need::Device,
    },
    Requirement {
        element: "autoaudiosink",
        plugin: "autodetect",
        package: GOOD,
        need: Need::Device,
    },
    Requirement {
        element: "pulsesrc",
        plugin: "pulseaudio",
        package: "gstreamer1.0-pulseaudio",
        need: Need::Device,
    },
];

/// An element the engine looked for and did not find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingElement {
    /// The element factory name.
    pub element: String,
    /// The GStreamer plugin that provides it.
    pub plugin: String,
    /// The Debian/Ubuntu package to install.
    pub package: String,
    /// What breaks without it.
    pub need: Need,
}

impl fmt::Display for MissingElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (GStreamer plugin \"{}\", Debian package {})",
            self.element, self.plugin, self.package
        )
    }
}

/// The outcome of looking up every requirement in the GStreamer registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginReport {
    /// Elements that are not installed, required or not.
    pub missing: Vec<MissingElement>,
}

impl PluginReport {
    /// Missing elements without which no call can work.
    pub fn missing_required(&self) -> Vec<MissingElement> {
        self.missing
            .iter()
            .filter(|m| m.need == Need::Required)
            .cloned()
            .collect()
    }

    /// Whether echo cancellation, noise suppression and gain control can be used.
    pub fn dsp_available(&self) -> bool {
        !self.missing.iter().any(|m| m.need == Need::Dsp)
    }
}

/// Looks up each requirement in the GStreamer registry; GStreamer must be initialised.
pub fn check(requirements: &[Requirement]) -> PluginReport {
    let missing = requirements
        .iter()
        .filter(|r| gst::ElementFactory::find(r.element).is_none())
        .map(|r| MissingElement {
            element: r.element.to_owned(),
            plugin: r.plugin.to_owned(),
            package: r.package.to_owned(),
            need: r.need,
        })
        .collect();
    PluginReport { missing }
}
