//! The native engine's plugin as the page reaches it: granted to the main window on Linux only,
//! and under the names the page calls. No engine is started here; what these commands do to one
//! is covered by tincan-engine's own tests and by the real app's call tests.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::harness::Harness;

/// The engine commands `ui/js/engine/native.js` invokes, by their names in the plugin.
fn commands_the_page_calls() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/js/engine/native.js");
    let page = std::fs::read_to_string(path).expect("native.js");
    let names: BTreeSet<String> = page
        .split("'plugin:engine|")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect()
        })
        .collect();
    assert!(
        names.contains("start") && names.contains("add_peer"),
        "{names:?}"
    );
    names
}

/// Whether Tauri turned the call away before it reached a command.
fn refused(error: &Value) -> bool {
    error
        .as_str()
        .is_some_and(|text| text.contains("not allowed") || text.contains("not found"))
}

#[cfg(target_os = "linux")]
#[test]
fn every_engine_command_the_page_calls_reaches_the_plugin() {
    let app = Harness::new();
    for name in commands_the_page_calls() {
        // Without arguments each one fails in its own way (or `stop` stops nothing), past the
        // permission check; none starts an engine.
        let answer = app.invoke(&format!("plugin:engine|{name}"), json!({}));
        if let Err(error) = answer {
            assert!(!refused(&error), "{name}: {error}");
        }
    }
    let error = app.invoke("plugin:engine|devices", json!({})).unwrap_err();
    assert_eq!(error["code"], "engine-not-started", "{error}");
}

#[cfg(target_os = "linux")]
#[test]
fn the_engine_is_the_main_windows_alone_under_its_plugin_names() {
    let app = Harness::new();
    let other = app.other_window("other");
    let error =
        crate::harness::invoke_from(&other, "tauri://localhost", "plugin:engine|stop", json!({}));
    assert!(refused(&error.unwrap_err()));
    let error = crate::harness::invoke_from(
        &app.window,
        "https://example.com",
        "plugin:engine|stop",
        json!({}),
    );
    assert!(refused(&error.unwrap_err()));
    // The names before the plugin, and the commands nothing called, are gone.
    for gone in [
        "engine_stop",
        "plugin:engine|status",
        "plugin:engine|set_input",
    ] {
        let error = app.invoke(gone, json!({})).unwrap_err();
        assert!(refused(&error), "{gone}: {error}");
    }
    assert_eq!(app.invoke("plugin:engine|stop", json!({})), Ok(Value::Null));
}

/// Elsewhere the web view has its own WebRTC, and the plugin is not there to call.
#[cfg(not(target_os = "linux"))]
#[test]
fn no_engine_command_reaches_the_page_outside_linux() {
    let app = Harness::new();
    for name in commands_the_page_calls() {
        let error = app
            .invoke(&format!("plugin:engine|{name}"), json!({}))
            .unwrap_err();
        assert!(refused(&error), "{name}: {error}");
    }
}
