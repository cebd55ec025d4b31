//! The start-up plugin check: a missing required element is a typed error naming the element,
//! the plugin and the Debian package; a missing webrtcdsp only degrades. Plugins are hidden by
//! running the engine in a child process whose GStreamer sees a copy of the plugin folder
//! without them.

use std::path::{Path, PathBuf};
use std::process::Command;
use tincan_engine::plugins::{check, Need, Requirement};
use tincan_engine::{DspSettings, Engine, EngineError, EngineEvent, InputSelection};

const PLUGIN_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/gstreamer-1.0",
    "/usr/lib/aarch64-linux-gnu/gstreamer-1.0",
];

#[test]
fn check_names_element_plugin_and_package() {
    gst::init().expect("gstreamer");
    let fake = Requirement {
        element: "tincanmissingelement",
        plugin: "tincanmissing",
        package: "gstreamer1.0-tincan-missing",
        need: Need::Required,
    };
    let present = tincan_engine::plugins::REQUIREMENTS[0];
    let report = check(&[fake, present]);
    assert_eq!(report.missing.len(), 1);
    let missing = report.missing_required();
    let text = EngineError::MissingElements(missing).to_string();
    assert!(text.contains("tincanmissingelement"), "{text}");
    assert!(text.contains("\"tincanmissing\""), "{text}");
    assert!(text.contains("gstreamer1.0-tincan-missing"), "{text}");
    // Everything the engine needs is installed on a machine set up like CI.
    assert_eq!(check(tincan_engine::plugins::REQUIREMENTS).missing, vec![]);
}

/// A copy of the system plugin folder (as links) without the given plugin files.
fn plugin_dir_without(hidden: &[&str]) -> PathBuf {
    let system = PLUGIN_DIRS
        .iter()
        .map(Path::new)
        .find(|p| p.is_dir())
        .expect("a GStreamer plugin folder");
    let dir = std::env::temp_dir().join(format!(
        "tincan-plugins-{}-{}",
        std::process::id(),
        hidden.join("-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp plugin dir");
    for entry in std::fs::read_dir(system).expect("plugin folder") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if !hidden.contains(&name.as_str()) {
            std::os::unix::fs::symlink(&path, dir.join(&name)).expect("link plugin");
        }
    }
    dir
}

/// Runs one `#[ignore]`d case of this file in a child process that cannot see `hidden`.
fn run_child(case: &str, hidden: &[&str]) {
    let dir = plugin_dir_without(hidden);
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([case, "--exact", "--ignored", "--nocapture"])
        .env("GST_PLUGIN_SYSTEM_PATH_1_0", &dir)
        .env("GST_PLUGIN_PATH_1_0", "")
        .env("GST_REGISTRY_1_0", dir.join("registry.bin"))
        .output()
        .expect("run child");
    let _ = std::fs::remove_dir_all(&dir);
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{case} failed:\n{log}");
    assert!(log.contains("1 passed"), "{case} did not run:\n{log}");
}

#[test]
fn missing_libnice_is_a_typed_error() {
    run_child("child_without_libnice", &["libgstnice.so"]);
}

#[test]
fn missing_webrtcdsp_degrades_with_a_warning() {
    run_child("child_without_webrtcdsp", &["libgstwebrtcdsp.so"]);
}

#[test]
#[ignore = "run by missing_libnice_is_a_typed_error with libnice hidden"]
fn child_without_libnice() {
    let config = tincan_engine::EngineConfig {
        monitor_devices: false,
        ..Default::default()
    };
    match Engine::new(config) {
        Err(EngineError::MissingElements(missing)) => {
            let nice = missing
                .iter()
                .find(|m| m.element == "nicesrc")
                .expect("nicesrc named");
            assert_eq!(nice.plugin, "nice");
            assert_eq!(nice.package, "gstreamer1.0-nice");
            assert!(
                missing.iter().all(|m| m.package == "gstreamer1.0-nice"),
                "{missing:?}"
            );
        }
        other => panic!("expected a missing-elements error, got {other:?}"),
    }
}

#[test]
#[ignore = "run by missing_webrtcdsp_degrades_with_a_warning with webrtcdsp hidden"]
fn child_without_webrtcdsp() {
    let config = tincan_engine::EngineConfig {
        input: InputSelection::TestTone,
        dsp: DspSettings::ON,
        monitor_devices: false,
        ..Default::default()
    };
    let (engine, mut events) = Engine::new(config).expect("engine starts without webrtcdsp");
    let status = engine.status();
    assert!(!status.dsp_available);
    assert_eq!(status.dsp, DspSettings::OFF);
    assert!(status
        .missing
        .iter()
        .any(|m| m.element == "webrtcdsp" && m.package == "gstreamer1.0-plugins-bad"));
    let warning = events.try_recv().expect("a warning event");
    assert!(matches!(&warning, EngineEvent::Warning { message } if message.contains("webrtcdsp")));
    engine
        .set_dsp(DspSettings::ON)
        .expect("switching is harmless");
    // The capture still runs: the tone reaches the input level.
    let start = std::time::Instant::now();
    while engine.input_level().map_or(true, |l| l.rms_db < -30.0) {
        assert!(
            start.elapsed().as_secs() < 5,
            "no input level without webrtcdsp"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = engine.add_peer("someone").expect("peers can be added");
    engine.shutdown();
}
