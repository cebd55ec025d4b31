//! Joining the app's call from a phone's browser: the hosted relay also serves the bundled UI over
//! HTTPS (browsers give the microphone to secure pages only), with a certificate kept in the app's
//! data folder, and the host shows a link, its QR code and the certificate's fingerprint.

use std::path::Path;

use qrcode::{Color, EcLevel, QrCode};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tincan_relay::{TlsIdentity, UiFile, UiFiles};

/// Folder under the app's data folder that holds the certificate and its key.
const TLS_FOLDER: &str = "tls";

/// What the host's "Join from a phone" panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneJoin {
    /// `https://IP:PORT/#room=…&key=…`: opens the UI with the room and passcode filled in.
    pub url: String,
    /// The certificate's SHA-256, in groups of four hex digits.
    pub fingerprint: String,
    /// The link as a QR code.
    pub qr: QrModules,
}

/// A QR code's modules, for the page to draw: `size` rows of `size`, row by row, `1` dark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrModules {
    /// Modules per side (without the quiet zone).
    pub size: usize,
    /// One `0` or `1` per module.
    pub modules: String,
}

/// What the hosted relay needs to serve phones: the certificate and the UI files.
pub struct PhoneServing {
    /// The kept certificate.
    pub identity: TlsIdentity,
    /// The UI bundled in the app.
    pub files: UiFiles,
}

impl PhoneServing {
    /// The app's certificate (made on first use) and its bundled UI; `None`, with the reason on
    /// stderr, when the certificate cannot be had: hosting then works without phones.
    pub fn prepare<R: Runtime>(app: &AppHandle<R>, host_name: &str) -> Option<Self> {
        let dir = match app.path().app_data_dir() {
            Ok(data) => data.join(TLS_FOLDER),
            Err(error) => {
                tracing::warn!("no data folder for the HTTPS certificate: {error}");
                return None;
            }
        };
        let identity = load(&dir, host_name)?;
        let resolver = app.asset_resolver();
        let files = UiFiles::new(move |path| {
            resolver.get(path.to_owned()).map(|asset| UiFile {
                bytes: asset.bytes,
                mime_type: asset.mime_type,
            })
        });
        Some(Self { identity, files })
    }
}

fn load(dir: &Path, host_name: &str) -> Option<TlsIdentity> {
    match TlsIdentity::load_or_create(dir, host_name) {
        Ok(identity) => Some(identity),
        Err(error) => {
            tracing::warn!("no HTTPS for phones: {error}");
            None
        }
    }
}

/// The link and QR code for `address` (`ip:port`), the room and the passcode. The passcode stands
/// after `#`, which a browser never sends to a server.
pub fn join_info(
    address: &str,
    room: &str,
    key: Option<&str>,
    identity: &TlsIdentity,
) -> Option<PhoneJoin> {
    let mut fragment = url::form_urlencoded::Serializer::new(String::new());
    fragment.append_pair("room", room);
    if let Some(key) = key {
        fragment.append_pair("key", key);
    }
    let url = format!("https://{address}/#{}", fragment.finish());
    let qr = qr_modules(&url)?;
    Some(PhoneJoin {
        url,
        fingerprint: identity.fingerprint().grouped(),
        qr,
    })
}

/// The QR code of `text`, with medium error correction: a phone's camera reads it off a laptop
/// screen at an angle.
fn qr_modules(text: &str) -> Option<QrModules> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let modules = code
        .to_colors()
        .iter()
        .map(|color| if *color == Color::Dark { '1' } else { '0' })
        .collect();
    Some(QrModules {
        size: code.width(),
        modules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_carries_room_and_passcode_after_the_hash() {
        let dir = std::env::temp_dir().join(format!("tincan-phone-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let identity = TlsIdentity::load_or_create(&dir.join(TLS_FOLDER), "test").unwrap();
        let join = join_info(
            "192.168.1.23:47800",
            "lobby",
            Some("maple-river-torch"),
            &identity,
        )
        .unwrap();
        assert_eq!(
            join.url,
            "https://192.168.1.23:47800/#room=lobby&key=maple-river-torch"
        );
        assert_eq!(join.fingerprint, identity.fingerprint().grouped());
        assert_eq!(join.qr.modules.len(), join.qr.size * join.qr.size);
        // Version 3 or 4 for a link this long: 29 or 33 modules a side.
        assert!(matches!(join.qr.size, 29 | 33), "{}", join.qr.size);
        // The finder pattern's top row: seven dark modules.
        assert!(join.qr.modules.starts_with("1111111"));
        let open = join_info("10.0.0.2:9", "a b", None, &identity).unwrap();
        assert_eq!(open.url, "https://10.0.0.2:9/#room=a+b");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
