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
        "browse_rooms",
        "stop_browsing",
        "verify_room",
        // Push-to-talk's global shortcut.
        "talk_shortcut_support",
        "talk_shortcut",
        // The native audio engine (Linux); elsewhere these are absent and the web view's own
        // WebRTC is used.
        "engine_start",
        "engine_stop",
        "engine_status",
        "engine_devices",
        "engine_add_peer",
        "engine_close_peer",
        "engine_create_offer",
        "engine_create_answer",
        "engine_set_local_description",
        "engine_set_remote_description",
        "engine_add_ice_candidate",
        "engine_restart_ice",
        "engine_stats",
        "engine_set_muted",
        "engine_set_peer_volume",
        "engine_input_level",
        "engine_set_input",
        "engine_set_output",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
