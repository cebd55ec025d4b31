//! Sound devices through a private PulseAudio server with null sinks: listing, choosing input
//! and output, capturing from a device, switching the audio processing while it captures, and
//! hot-plug notifications.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tincan_engine::{
    DeviceKind, DspSettings, Engine, EngineConfig, EngineError, EngineEvent, InputSelection,
    OutputSelection,
};

/// A PulseAudio server on a private socket, stopped on drop.
struct Pulse {
    child: Child,
    dir: PathBuf,
}

impl Pulse {
    fn start() -> Pulse {
        let dir = std::env::temp_dir().join(format!("tincan-pulse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("pulse dir");
        let socket = format!(
            "module-native-protocol-unix socket={}/native auth-anonymous=1",
            dir.display()
        );
        let child = Command::new("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
            ])
            .args([
                "--disable-shm=yes",
                "-L",
                &socket,
                "-L",
                "module-null-sink sink_name=tincan_speakers",
            ])
            .env("HOME", &dir)
            .env("XDG_RUNTIME_DIR", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pulseaudio (apt-get install pulseaudio pulseaudio-utils)");
        let pulse = Pulse { child, dir };
        let start = Instant::now();
        while !pulse.pactl(&["info"]) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "pulseaudio did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        pulse
    }

    fn server(&self) -> String {
        format!("unix:{}/native", self.dir.display())
    }

    fn pactl(&self, args: &[&str]) -> bool {
        Command::new("pactl")
            .args(args)
            .env("PULSE_SERVER", self.server())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn devices_through_pulseaudio() {
    let pulse = Pulse::start();
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "child_with_pulseaudio",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("PULSE_SERVER", pulse.server())
        .output()
        .expect("run child");
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{log}");
    assert!(log.contains("1 passed"), "child did not run:\n{log}");
}

fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pactl(args: &[&str]) -> String {
    let out = Command::new("pactl").args(args).output().expect("pactl");
    assert!(out.status.success(), "pactl {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
#[ignore = "run by devices_through_pulseaudio against its private PulseAudio server"]
fn child_with_pulseaudio() {
    let config = EngineConfig {
        dsp: DspSettings::ON,
        ..EngineConfig::default()
    };
    let (engine, mut events) = Engine::new(config).expect("engine");
    let status = engine.status();
    assert!(!status.no_audio_device, "{status:?}");
    assert!(
        status.has_input_device && status.has_output_device,
        "{status:?}"
    );
    assert_eq!(status.input, "device");
    assert!(status.output_to_device);
    let devices = engine.list_devices();
    println!("devices: {devices:?}");
    let speakers = devices
        .iter()
        .find(|d| d.kind == DeviceKind::AudioOutput && d.id.contains("tincan_speakers"))
        .expect("the null sink is listed");
    assert!(!speakers.label.is_empty());
    let json = serde_json::to_value(speakers).expect("serialise");
    assert_eq!(json["kind"], "audiooutput");
    assert!(json["deviceId"].is_string());

    // Hot-plug: a new sink (and its monitor source) is announced.
    let module = pactl(&[
        "load-module",
        "module-null-sink",
        "sink_name=tincan_headset",
    ]);
    let added = wait_for("the devicechange event", || match events.try_recv() {
        // The sink and its monitor are announced one at a time: wait for both.
        Ok(EngineEvent::DevicesChanged { devices }) => {
            [DeviceKind::AudioOutput, DeviceKind::AudioInput]
                .iter()
                .all(|kind| {
                    devices
                        .iter()
                        .any(|d| d.kind == *kind && d.id.contains("tincan_headset"))
                })
                .then_some(devices)
        }
        _ => None,
    });
    let headset = added
        .iter()
        .find(|d| d.kind == DeviceKind::AudioOutput && d.id.contains("tincan_headset"))
        .expect("headset output");
    let monitor = added
        .iter()
        .find(|d| d.kind == DeviceKind::AudioInput && d.id.contains("tincan_headset"))
        .expect("headset monitor input");

    // Choose them, and capture what is played into the headset sink.
    engine
        .set_output(OutputSelection::Device(headset.id.clone()))
        .expect("output");
    engine
        .set_input(InputSelection::Device(monitor.id.clone()))
        .expect("input");
    assert!(engine.status().output_to_device);
    let mut player = Command::new("gst-launch-1.0")
        .args([
            "-q",
            "audiotestsrc",
            "volume=0.5",
            "is-live=true",
            "!",
            "pulsesink",
        ])
        .arg("device=tincan_headset")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gst-launch-1.0 (gstreamer1.0-tools)");
    let level = wait_for("the played tone at the input level", || {
        engine.input_level().filter(|l| l.rms_db > -30.0)
    });
    println!("captured from the headset monitor: {level:?}");

    // Processing switched while the microphone runs: each new element is linked into the
    // capture and passes the tone on (noise suppression left off: a steady tone is noise to it).
    let steady = DspSettings {
        noise_suppression: false,
        ..DspSettings::ON
    };
    for (what, dsp) in [
        ("off", DspSettings::OFF),
        ("on", steady),
        ("off again", DspSettings::OFF),
    ] {
        let before = engine.input_level().map_or(0, |l| l.clock_time_ns);
        engine.set_dsp(dsp).expect("switch the processing");
        assert_eq!(engine.status().dsp, dsp);
        wait_for(&format!("webrtcdsp switched {what}"), || {
            (engine.status().processing == dsp).then_some(())
        });
        let level = wait_for(&format!("the tone with processing {what}"), || {
            engine
                .input_level()
                .filter(|l| l.clock_time_ns > before + 300_000_000 && l.rms_db > -30.0)
        });
        println!("processing {what}: {level:?}");
    }
    // Two switches before the capture's next buffer: the second one is what stays.
    engine
        .set_dsp(DspSettings::ON)
        .expect("switch the processing");
    engine.set_dsp(steady).expect("switch the processing again");
    wait_for("the second of two quick switches in force", || {
        (engine.status().processing == steady).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(engine.status().processing, steady);
    let _ = player.kill();
    let _ = player.wait();
    assert!(matches!(
        engine.set_input(InputSelection::Device("pulse:in:no-such-device".into())),
        Err(EngineError::UnknownDevice(_))
    ));

    // Unplugging is announced too.
    assert!(!pactl(&["unload-module", &module]).contains("Failure"));
    wait_for("the removal", || match events.try_recv() {
        Ok(EngineEvent::DevicesChanged { devices }) => {
            (!devices.iter().any(|d| d.id.contains("tincan_headset"))).then_some(())
        }
        _ => None,
    });
    engine.shutdown();
}
