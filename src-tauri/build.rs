fn main() {
    // Declaring the commands makes Tauri check each one against the capabilities, so the page
    // may call only what `capabilities/default.json` grants.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "launch_options",
        "app_info",
        "host_room",
        "stop_hosting",
        "join_room",
        "send_signal",
        "leave_room",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
