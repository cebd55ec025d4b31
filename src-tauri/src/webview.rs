//! Platform webview setup: WebRTC and media capture switched on, and microphone access granted
//! to the app's own pages only.

use tauri::{
    plugin::TauriPlugin,
    webview::{PermissionKind, PermissionResponse},
    Runtime, Url, Webview,
};
use tauri_plugin_opener::OpenerExt;

/// Answers the webview's permission requests on every platform: the microphone for the app's
/// own pages, nothing else. On Linux, requests this cannot name (such as listing devices) are
/// left to the WebKitGTK handler installed by [`configure`].
pub fn answer_permission<R: Runtime>(
    webview: Webview<R>,
    kind: PermissionKind,
) -> PermissionResponse {
    let own = webview.url().is_ok_and(|url| is_own_origin(&url));
    decide(kind, own)
}

fn decide(kind: PermissionKind, own_page: bool) -> PermissionResponse {
    match kind {
        PermissionKind::Microphone if own_page => PermissionResponse::Allow,
        PermissionKind::Other if cfg!(target_os = "linux") => PermissionResponse::Default,
        _ => PermissionResponse::Deny,
    }
}

/// Whether a page belongs to the app: `tauri://localhost` on Linux and macOS,
/// `https://tauri.localhost` on Windows (`useHttpsScheme`), `http://` in older setups.
pub fn is_own_origin(url: &Url) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("https" | "http", Some("tauri.localhost")) => url.port().is_none(),
        _ => false,
    }
}

/// Where a navigation of the app's webview may go.
#[derive(Debug, PartialEq, Eq)]
enum Navigation {
    /// The app's own pages load in the window.
    Stay,
    /// Web and mail links open in the system's browser or mail app instead.
    OpenOutside,
    /// Anything else (`file:`, `javascript:`, ...) goes nowhere.
    Block,
}

fn navigation(url: &Url) -> Navigation {
    if is_own_origin(url) || url.scheme() == "about" {
        Navigation::Stay
    } else if matches!(url.scheme(), "http" | "https" | "mailto") {
        Navigation::OpenOutside
    } else {
        Navigation::Block
    }
}

/// Keeps the window on the app's own pages: a link to a web page opens in the system browser,
/// so the page never needs a permission to open URLs.
pub fn links<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("links")
        .on_navigation(|webview, url| match navigation(url) {
            Navigation::Stay => true,
            Navigation::OpenOutside => {
                if let Err(error) = webview.opener().open_url(url.as_str(), None::<&str>) {
                    tracing::warn!("cannot open {url} in the browser: {error}");
                }
                false
            }
            Navigation::Block => false,
        })
        .build()
}

/// Switches on WebRTC and media capture in WebKitGTK and answers the permission requests that
/// the cross-platform handler leaves open.
#[cfg(target_os = "linux")]
pub fn configure<R: Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    window.with_webview(|platform| {
        use webkit2gtk::{
            glib::prelude::*, DeviceInfoPermissionRequest, PermissionRequestExt, SettingsExt,
            UserMediaPermissionRequest, UserMediaPermissionRequestExt, WebViewExt,
        };
        let view = platform.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_webrtc(true);
            settings.set_enable_media_stream(true);
            // Remote voices start playing when they arrive, not on a click.
            settings.set_media_playback_requires_user_gesture(false);
        }
        view.connect_permission_request(|view, request| {
            let own = view
                .uri()
                .and_then(|uri| Url::parse(&uri).ok())
                .is_some_and(|url| is_own_origin(&url));
            let microphone = request
                .downcast_ref::<UserMediaPermissionRequest>()
                .is_some_and(|media| media.is_for_audio_device() && !media.is_for_video_device());
            // Device labels let people pick a microphone by name.
            let devices = request.is::<DeviceInfoPermissionRequest>();
            if own && (microphone || devices) {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    })
}

/// Nothing to switch on: WKWebView and WebView2 have WebRTC, and permissions go through
/// [`answer_permission`].
#[cfg(not(target_os = "linux"))]
pub fn configure<R: Runtime>(_window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_its_own_origin() {
        let own = |s: &str| is_own_origin(&Url::parse(s).unwrap());
        assert!(own("tauri://localhost/index.html"));
        assert!(own("https://tauri.localhost/"));
        assert!(own("http://tauri.localhost/call"));
        assert!(!own("https://tauri.localhost.example.com/"));
        assert!(!own("https://tauri.localhost:8443/"));
        assert!(!own("http://192.168.1.23:47800/"));
        assert!(!own("https://example.com/"));
    }

    #[test]
    fn grants_only_the_microphone_and_only_to_the_app() {
        use PermissionResponse::{Allow, Deny};
        assert_eq!(decide(PermissionKind::Microphone, true), Allow);
        assert_eq!(decide(PermissionKind::Microphone, false), Deny);
        for kind in [
            PermissionKind::Camera,
            PermissionKind::DisplayCapture,
            PermissionKind::Geolocation,
            PermissionKind::Notifications,
            PermissionKind::ClipboardRead,
        ] {
            assert_eq!(decide(kind, true), Deny, "{kind:?}");
        }
        let other = if cfg!(target_os = "linux") {
            PermissionResponse::Default
        } else {
            Deny
        };
        assert_eq!(decide(PermissionKind::Other, true), other);
        assert_eq!(decide(PermissionKind::Other, false), other);
    }

    #[test]
    fn sends_outside_links_to_the_browser() {
        let go = |s: &str| navigation(&Url::parse(s).unwrap());
        assert_eq!(go("tauri://localhost/index.html#call"), Navigation::Stay);
        assert_eq!(go("https://tauri.localhost/"), Navigation::Stay);
        assert_eq!(
            go("https://github.com/tincan-voice/tincan"),
            Navigation::OpenOutside
        );
        assert_eq!(go("http://192.168.1.23:47800/"), Navigation::OpenOutside);
        assert_eq!(go("mailto:dev@tincan.invalid"), Navigation::OpenOutside);
        assert_eq!(go("file:///etc/passwd"), Navigation::Block);
    }
}
