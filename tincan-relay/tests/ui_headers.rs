//! The `--ui` file server: the app's security headers on every file, and nothing under a name
//! that starts with a dot, however the path is spelled.

mod common;

use std::path::PathBuf;

use common::{http_get_with_headers, TestRelay};
use tincan_relay::Config;

/// A UI folder with a page, a script and some secrets beside them.
fn ui_folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tincan-ui-headers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("js")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dir.join("js/main.js"), "'use strict';\n").unwrap();
    std::fs::write(dir.join(".git/config"), "SECRET-GIT\n").unwrap();
    std::fs::write(dir.join(".hidden"), "SECRET-DOT\n").unwrap();
    std::fs::write(dir.join("js/.env"), "SECRET-ENV\n").unwrap();
    dir
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

#[tokio::test]
async fn ui_files_carry_the_security_headers_and_dotfiles_are_not_served() {
    let dir = ui_folder();
    let relay = TestRelay::start(Config {
        ui_dir: Some(dir.clone()),
        ..Config::default()
    })
    .await;

    for (path, kind) in [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/js/main.js", "javascript"),
    ] {
        let (status, headers, _) = http_get_with_headers(relay.addr, path).await;
        assert_eq!(status, 200, "{path}");
        let csp = header(&headers, "content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no CSP: {headers:?}"));
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "connect-src 'self' ws: wss:",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing in {csp}"
            );
        }
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(&headers, "referrer-policy"), Some("no-referrer"));
        let content_type = header(&headers, "content-type").unwrap_or_default();
        assert!(content_type.contains(kind), "{path}: {content_type}");
    }

    for path in [
        "/.git/config",
        "/.hidden",
        "/js/.env",
        "/%2egit/config",
        "/%2Ehidden",
        "/js/%2eenv",
        "/.git/",
    ] {
        let (status, headers, body) = http_get_with_headers(relay.addr, path).await;
        assert_eq!(status, 404, "{path} must not be served");
        assert!(!body.contains("SECRET"), "{path} leaked {body}");
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    }

    // The WebSocket routes and the health check are not part of the file server.
    let (status, _, body) = http_get_with_headers(relay.addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn files_held_in_memory_are_served_with_the_same_headers() {
    let files = tincan_relay::UiFiles::new(|path| {
        let (bytes, mime_type) = match path {
            "index.html" => ("<!doctype html><title>t</title>", "text/html"),
            "js/main.js" => ("'use strict';\n", "text/javascript"),
            ".hidden" => ("SECRET-DOT\n", "text/plain"),
            _ => return None,
        };
        Some(tincan_relay::UiFile {
            bytes: bytes.as_bytes().to_vec(),
            mime_type: mime_type.to_owned(),
        })
    });
    let relay = TestRelay::start(Config {
        ui_files: Some(files),
        ..Config::default()
    })
    .await;
    for (path, kind) in [("/", "text/html"), ("/js/main.js", "javascript")] {
        let (status, headers, _) = http_get_with_headers(relay.addr, path).await;
        assert_eq!(status, 200, "{path}");
        let csp = header(&headers, "content-security-policy").unwrap_or_default();
        assert!(csp.contains("connect-src 'self' ws: wss:"), "{path}: {csp}");
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        let content_type = header(&headers, "content-type").unwrap_or_default();
        assert!(content_type.contains(kind), "{path}: {content_type}");
    }
    for path in ["/missing.js", "/.hidden", "/%2ehidden"] {
        let (status, _, body) = http_get_with_headers(relay.addr, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("SECRET"), "{path} leaked {body}");
    }
    let (status, _, _) = http_get_with_headers(relay.addr, "/healthz").await;
    assert_eq!(status, 200, "routes still answer before the files");
    relay.stop().await.unwrap();
}
