//! The talk key as a global shortcut, so push-to-talk works while another program has focus.
//! Registered only while a call runs in a push-to-talk mode: a global shortcut takes its key
//! from every other program. Each press and release reaches the page as a `talk-key` event.

use std::sync::Mutex;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_global_shortcut::{GlobalShortcut, GlobalShortcutExt, Shortcut, ShortcutState};

use crate::commands::MAIN_WINDOW;
use crate::error::{Error, Result};

/// The event the page hears on each press and release: `{ "pressed": bool }`.
pub const TALK_KEY_EVENT: &str = "talk-key";

/// The longest key name the page sends ("NumpadMultiply" and the like).
const KEY_NAME_MAX: usize = 24;

/// Whether the talk key works outside the window, and if not, why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShortcutSupport {
    /// True when the key is (or can be) seen while another program has focus.
    pub global: bool,
    /// Why not, when `global` is false.
    pub reason: Option<String>,
    /// Why not, as a code the page words in its language (`backend.shortcut.<code>`).
    #[serde(rename = "reasonCode", skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<&'static str>,
    /// The system's own words inside the reason, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ShortcutSupport {
    fn yes() -> Self {
        Self {
            global: true,
            reason: None,
            reason_code: None,
            detail: None,
        }
    }

    fn no((code, reason): Blocked, detail: Option<String>) -> Self {
        Self {
            global: false,
            reason: Some(reason),
            reason_code: Some(code),
            detail,
        }
    }
}

#[derive(Serialize, Clone)]
struct TalkKey {
    pressed: bool,
}

/// The shortcut registered now, so the next call (or the end of this one) can take it back.
#[derive(Default)]
pub struct TalkShortcut(Mutex<Option<Shortcut>>);

impl TalkShortcut {
    fn replace(&self, next: Option<Shortcut>) -> Option<Shortcut> {
        let mut current = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::replace(&mut *current, next)
    }
}

/// Why a global shortcut cannot work: a code for the page and plain English words.
type Blocked = (&'static str, String);

/// Why this desktop session cannot have global shortcuts, from its environment: Wayland gives
/// no program the keys pressed in another, and X11 needs a display.
fn session_blocks(
    session_type: Option<&str>,
    wayland: Option<&str>,
    x11: Option<&str>,
) -> Option<Blocked> {
    let on_wayland = session_type.is_some_and(|kind| kind.eq_ignore_ascii_case("wayland"))
        || wayland.is_some_and(|name| !name.is_empty());
    if on_wayland {
        return Some((
            "wayland",
            "this is a Wayland session, where a program cannot see keys pressed in other programs."
                .into(),
        ));
    }
    if cfg!(target_os = "linux") && !x11.is_some_and(|name| !name.is_empty()) {
        return Some((
            "no-display",
            "there is no X11 display to take the key from.".into(),
        ));
    }
    None
}

fn env_blocks() -> Option<Blocked> {
    let var = |name| std::env::var(name).ok();
    session_blocks(
        var("XDG_SESSION_TYPE").as_deref(),
        var("WAYLAND_DISPLAY").as_deref(),
        var("DISPLAY").as_deref(),
    )
}

/// Turns the page's key name (a `KeyboardEvent.code` such as "KeyK" or "F8") into a shortcut of
/// that one key, without modifiers.
fn parse_key(key: &str) -> Result<Shortcut> {
    let plain = !key.is_empty()
        && key.len() <= KEY_NAME_MAX
        && key.chars().all(|c| c.is_ascii_alphanumeric());
    if !plain {
        return Err(Error::BadInput(format!(
            "\"{key}\" is not a key name such as F8 or KeyK"
        )));
    }
    key.parse::<Shortcut>()
        .map_err(|_| Error::BadInput(format!("{key} cannot be a global shortcut")))
}

/// Gives `old` back to the other programs.
fn release<R: Runtime>(shortcuts: &GlobalShortcut<R>, old: Shortcut) {
    if let Err(error) = shortcuts.unregister(old) {
        tracing::warn!("could not release the talk key: {error}");
        return;
    }
    // On X11 the shortcut library queues the ungrab without sending it, so the key would stay
    // taken until its next registration; a registration sends the queue. What it takes is a
    // four-modifier chord of the same key, nobody's shortcut, whose own release waits in turn.
    #[cfg(target_os = "linux")]
    {
        use tauri_plugin_global_shortcut::Modifiers;
        let all = Modifiers::SHIFT | Modifiers::CONTROL | Modifiers::ALT | Modifiers::SUPER;
        let chord = Shortcut::new(Some(all), old.key);
        if shortcuts.register(chord).is_ok() {
            // Unregistering cannot fail for a shortcut just registered; nothing to report.
            let _ = shortcuts.unregister(chord);
        }
    }
}

/// Whether a global talk key can work in this session, before any call.
#[tauri::command]
pub fn talk_shortcut_support() -> ShortcutSupport {
    env_blocks().map_or_else(ShortcutSupport::yes, |blocked| {
        ShortcutSupport::no(blocked, None)
    })
}

/// Makes `key` the global talk key, or with `null` gives the key back to the other programs.
/// A key that cannot be registered is not an error: the answer says why, and the key still
/// works inside the window.
#[tauri::command]
pub fn talk_shortcut<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, TalkShortcut>,
    key: Option<String>,
) -> Result<ShortcutSupport> {
    let wanted = key.as_deref().map(parse_key).transpose()?;
    let shortcuts = app.global_shortcut();
    if let Some(old) = state.replace(None) {
        release(shortcuts, old);
    }
    let Some(shortcut) = wanted else {
        return Ok(ShortcutSupport::yes());
    };
    if let Some(reason) = env_blocks() {
        return Ok(ShortcutSupport::no(reason, None));
    }
    let registered = shortcuts.on_shortcut(shortcut, |app, _, event| {
        let pressed = event.state == ShortcutState::Pressed;
        if let Err(error) = app.emit_to(MAIN_WINDOW, TALK_KEY_EVENT, TalkKey { pressed }) {
            tracing::warn!("could not pass on the talk key: {error}");
        }
    });
    match registered {
        Ok(()) => {
            state.replace(Some(shortcut));
            Ok(ShortcutSupport::yes())
        }
        Err(error) => Ok(ShortcutSupport::no(
            (
                "taken",
                format!(
                    "the key could not be taken from the system ({error}); another program may use it."
                ),
            ),
            Some(error.to_string()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wayland_sessions_are_named() {
        let (code, reason) = session_blocks(Some("wayland"), None, Some(":0")).unwrap();
        assert_eq!(code, "wayland");
        assert!(reason.contains("Wayland"), "{reason}");
        assert!(session_blocks(Some("x11"), Some("wayland-0"), Some(":0")).is_some());
        assert!(session_blocks(Some("tty"), Some(""), Some(":0")).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn x11_needs_a_display() {
        assert!(session_blocks(Some("x11"), None, Some(":0")).is_none());
        let (code, reason) = session_blocks(None, None, None).unwrap();
        assert_eq!(code, "no-display");
        assert!(reason.contains("X11 display"), "{reason}");
    }

    #[test]
    fn keys_are_single_plain_names() {
        for key in [
            "KeyK",
            "F8",
            "Space",
            "Digit1",
            "Backquote",
            "ArrowUp",
            "Numpad0",
        ] {
            assert!(parse_key(key).is_ok(), "{key}");
        }
        for key in [
            "",
            "Control+KeyK",
            "Shift+F8",
            "Key K",
            "Nonsense",
            "F99",
            &"K".repeat(40),
        ] {
            assert!(matches!(parse_key(key), Err(Error::BadInput(_))), "{key}");
        }
    }
}
