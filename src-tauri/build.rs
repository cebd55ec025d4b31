fn main() {
    // Declaring the commands makes Tauri check each one against the capabilities, so the page
    // may call only what `capabilities/` grants.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "launch_options",
        "app_info",
        "host_room",
        "stop_hosting",
        "join_room",
        "send_signal",
        "leave_room",
        "open_log_folder",
        "browse_rooms",
        "stop_browsing",
        "verify_room",
        // Push-to-talk's global shortcut.
        "talk_shortcut_support",
        "talk_shortcut",
    ]);
    // The native audio engine's plugin (`src/engine/`), registered on Linux only, where the web
    // view has no WebRTC; `capabilities/engine.json` grants its default to the main window there.
    let engine = tauri_build::InlinedPlugin::new()
        .commands(&[
            "start",
            "stop",
            "devices",
            "add_peer",
            "close_peer",
            "create_offer",
            "create_answer",
            "set_local_description",
            "set_remote_description",
            "add_ice_candidate",
            "restart_ice",
            "stats",
            "set_muted",
            "set_peer_volume",
            "set_output",
        ])
        .default_permission(tauri_build::DefaultPermissionRule::AllowAllCommands);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(manifest)
            .plugin("engine", engine),
    )
    .expect("tauri-build failed");
}
