//! The web UI served at `/`: a folder's files (`--ui`) or files an embedding program holds in
//! memory (the app's bundled UI), with the app's Content-Security-Policy and hardening headers,
//! and nothing whose path has a part starting with a dot (`.git/`, `.env`).

use std::{fmt, path::PathBuf, sync::Arc};

use axum::{
    extract::{Request, State},
    http::{
        header::{
            CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
            X_CONTENT_TYPE_OPTIONS,
        },
        HeaderValue, Method, StatusCode, Uri,
    },
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use tower_http::services::ServeDir;

/// The app's policy (`app.security.csp` in `src-tauri/tauri.conf.json`) with one change: a page
/// loaded from the relay signals over a WebSocket instead of the app's IPC, to this relay or to
/// one whose address is typed in, so `connect-src` allows `ws:` and `wss:` in place of `ipc:`.
pub(crate) const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; \
    script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; \
    media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; object-src 'none'; \
    base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

/// A router that serves `dir` for any path, with the headers on every answer.
pub(crate) fn service(dir: PathBuf) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir))
        .layer(middleware::from_fn(guard))
}

/// One file of an in-memory UI.
#[derive(Debug, Clone)]
pub struct UiFile {
    /// The file's contents.
    pub bytes: Vec<u8>,
    /// Its media type, as sent in `Content-Type`.
    pub mime_type: String,
}

type Lookup = dyn Fn(&str) -> Option<UiFile> + Send + Sync;

/// UI files looked up by path (without the leading `/`; `index.html` for `/`), for a program
/// that carries its UI inside its own binary.
#[derive(Clone)]
pub struct UiFiles(Arc<Lookup>);

impl UiFiles {
    /// Files found by `lookup`; it returns `None` for a path it does not hold.
    pub fn new(lookup: impl Fn(&str) -> Option<UiFile> + Send + Sync + 'static) -> Self {
        Self(Arc::new(lookup))
    }
}

impl fmt::Debug for UiFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UiFiles(..)")
    }
}

/// A router that serves in-memory `files` for any path, with the headers on every answer.
pub(crate) fn embedded(files: UiFiles) -> Router {
    Router::new()
        .fallback(answer_embedded)
        .with_state(files)
        .layer(middleware::from_fn(guard))
}

async fn answer_embedded(State(files): State<UiFiles>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    match (files.0)(&path) {
        Some(file) => {
            let mime = HeaderValue::from_str(&file.mime_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let headers = [
                (CONTENT_TYPE, mime),
                (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ];
            (headers, file.bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn guard(request: Request, next: Next) -> Response {
    let mut response = if hidden(request.uri().path()) {
        StatusCode::NOT_FOUND.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Whether any segment of a URL path, once percent-decoded, starts with a dot. The file server
/// decodes `%2e` before it opens anything, so the check must too.
fn hidden(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = percent_decode(segment);
        decoded.first() == Some(&b'.')
            // A decoded slash or backslash starts a segment of its own.
            || decoded
                .windows(2)
                .any(|pair| matches!(pair[0], b'/' | b'\\') && pair[1] == b'.')
    })
}

fn percent_decode(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_hidden_however_spelled() {
        for path in [
            "/.git/config",
            "/.hidden",
            "/js/.env",
            "/%2egit/config",
            "/%2Ehidden",
            "/js/..",
            "/a%2f.b",
            "/a%5c.b",
        ] {
            assert!(hidden(path), "{path}");
        }
        for path in [
            "/",
            "/index.html",
            "/js/main.js",
            "/img/logo.svg",
            "/a.b/c.d",
        ] {
            assert!(!hidden(path), "{path}");
        }
    }

    #[test]
    fn policy_matches_the_app_but_for_connect_src() {
        let conf = concat!(env!("CARGO_MANIFEST_DIR"), "/../src-tauri/tauri.conf.json");
        let text = std::fs::read_to_string(conf).expect("the app's tauri.conf.json");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let app = json["app"]["security"]["csp"]
            .as_object()
            .expect("app.security.csp is an object of directives");
        let ours: Vec<(&str, &str)> = CONTENT_SECURITY_POLICY_VALUE
            .split(';')
            .map(|d| d.trim().split_once(' ').expect("directive and sources"))
            .collect();
        assert_eq!(ours.len(), app.len(), "same directives as the app");
        for (name, sources) in ours {
            let theirs = app[name]
                .as_str()
                .unwrap_or_else(|| panic!("app lacks {name}"));
            if name == "connect-src" {
                assert_eq!(sources, "'self' ws: wss:");
            } else {
                assert_eq!(sources, theirs, "{name}");
            }
        }
    }
}
