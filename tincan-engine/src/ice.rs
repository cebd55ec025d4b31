//! ICE server configuration in the browser's `iceServers` shape, mapped onto webrtcbin's
//! `stun-server` / `turn-server` URIs.

use crate::error::{EngineError, Result};
use serde::{Deserialize, Serialize};

/// One or several URLs, as RTCIceServer.urls allows both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Urls {
    /// A single URL.
    One(String),
    /// Several URLs for the same server.
    Many(Vec<String>),
}

impl Urls {
    fn iter(&self) -> impl Iterator<Item = &String> {
        match self {
            Urls::One(url) => std::slice::from_ref(url).iter(),
            Urls::Many(urls) => urls.iter(),
        }
    }
}

/// An RTCIceServer: `{"urls": "stun:host:3478"}` or a TURN server with credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    /// `stun:`, `turn:` or `turns:` URLs.
    pub urls: Urls,
    /// TURN user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The webrtcbin settings derived from a list of ICE servers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceSettings {
    /// Value for the `stun-server` property (webrtcbin takes one).
    pub stun: Option<String>,
    /// URIs for `turn-server` / `add-turn-server`.
    pub turn: Vec<String>,
    /// STUN URLs beyond the first, which webrtcbin cannot use.
    pub unused: Vec<String>,
}

/// Parses the browser JSON (`[{"urls": ..., "username": ..., "credential": ...}]`).
pub fn parse_ice_servers(json: &str) -> Result<Vec<IceServer>> {
    serde_json::from_str(json).map_err(|e| EngineError::InvalidIceServer(e.to_string()))
}

/// Maps browser-style ICE servers onto webrtcbin URIs.
pub fn ice_settings(servers: &[IceServer]) -> Result<IceSettings> {
    let mut settings = IceSettings::default();
    for server in servers {
        for url in server.urls.iter() {
            let (scheme, rest) = url
                .split_once(':')
                .ok_or_else(|| EngineError::InvalidIceServer(url.clone()))?;
            let rest = rest.trim_start_matches("//");
            if rest.is_empty() {
                return Err(EngineError::InvalidIceServer(url.clone()));
            }
            match scheme {
                "stun" | "stuns" => {
                    let (host, _) = rest.split_once('?').unwrap_or((rest, ""));
                    let uri = format!("stun://{}", with_port(host, 3478));
                    if settings.stun.is_none() {
                        settings.stun = Some(uri);
                    } else {
                        settings.unused.push(url.clone());
                    }
                }
                "turn" | "turns" => {
                    let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
                    let port = if scheme == "turns" { 5349 } else { 3478 };
                    let user = server.username.as_deref().unwrap_or_default();
                    let pass = server.credential.as_deref().unwrap_or_default();
                    let mut uri = format!(
                        "{scheme}://{}:{}@{}",
                        escape(user),
                        escape(pass),
                        with_port(host, port)
                    );
                    if !query.is_empty() {
                        uri.push('?');
                        uri.push_str(query);
                    }
                    settings.turn.push(uri);
                }
                _ => return Err(EngineError::InvalidIceServer(url.clone())),
            }
        }
    }
    Ok(settings)
}

fn with_port(host: &str, default: u16) -> String {
    // A bracketed IPv6 literal carries its own colons; only a colon after `]` is a port.
    let has_port = match host.rfind(']') {
        Some(end) => host[end..].contains(':'),
        None => host.contains(':'),
    };
    if has_port {
        host.to_owned()
    } else {
        format!("{host}:{default}")
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_browser_shape_to_webrtcbin_uris() {
        let servers = parse_ice_servers(
            r#"[{"urls":"stun:stun.example.org"},
                {"urls":["turn:turn.example.org:3479?transport=tcp","turns:turn.example.org"],
                 "username":"a b","credential":"p@ss:1"},
                {"urls":"stun:[::1]"}]"#,
        )
        .expect("parse");
        let s = ice_settings(&servers).expect("map");
        assert_eq!(s.stun.as_deref(), Some("stun://stun.example.org:3478"));
        assert_eq!(
            s.turn,
            vec![
                "turn://a%20b:p%40ss%3A1@turn.example.org:3479?transport=tcp".to_owned(),
                "turns://a%20b:p%40ss%3A1@turn.example.org:5349".to_owned(),
            ]
        );
        assert_eq!(s.unused, vec!["stun:[::1]".to_owned()]);
    }

    #[test]
    fn empty_by_default_and_rejects_unknown_schemes() {
        assert_eq!(ice_settings(&[]).expect("map"), IceSettings::default());
        let bad = parse_ice_servers(r#"[{"urls":"http://x"}]"#).expect("parse");
        assert!(ice_settings(&bad).is_err());
        assert!(parse_ice_servers("{").is_err());
    }
}
