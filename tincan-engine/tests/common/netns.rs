//! Running a media test inside a private network namespace, where WebRTC has real host
//! candidates and no packet leaves the machine.

use std::path::Path;

/// Runs the calling test again inside a fresh network namespace (see scripts/netns-run.sh),
/// so WebRTC gets real host candidates while no packet leaves the machine. Returns true when
/// already inside one: the caller then does the actual work.
pub fn in_netns(test_name: &str) -> bool {
    if std::env::var_os("TINCAN_NETNS_ADDR").is_some() {
        return true;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/netns-run.sh");
    let exe = std::env::current_exe().expect("test binary path");
    let output = std::process::Command::new(&script)
        .arg(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    assert!(
        output.status.success(),
        "{test_name} failed inside the network namespace"
    );
    // A renamed or filtered-out test would run nothing and still exit 0.
    assert!(
        ran_exactly_one(&stdout),
        "{test_name} did not run exactly once inside the network namespace"
    );
    false
}

/// Whether a test binary's output reports exactly one test run and passed.
fn ran_exactly_one(stdout: &str) -> bool {
    stdout.contains("running 1 test") && stdout.contains("test result: ok. 1 passed")
}
