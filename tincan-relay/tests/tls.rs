//! `--tls`: the relay program serves HTTPS and `wss://` with a certificate it keeps, and plain
//! HTTP on the same port, and closes a TLS handshake that stalls.

mod common;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{closed_by, http_get, RelayProcess, WAIT};
use futures_util::StreamExt;
use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::CryptoProvider,
    pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime},
    DigitallySignedStruct, SignatureScheme,
};
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};
use tokio_rustls::{client::TlsStream, TlsConnector};
use tokio_tungstenite::tungstenite::Message;

const UI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui");

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tincan-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn start(dir: &Path, extra: &[&str]) -> RelayProcess {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["--tls", "--tls-dir", dir, "--ui", UI_DIR, "--no-announce"];
    args.extend_from_slice(extra);
    RelayProcess::start(&args, None).await
}

/// A client that accepts any certificate, as a person does after the browser's warning, and
/// keeps the one it was shown.
#[derive(Debug)]
struct Trusting {
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for Trusting {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap() = Some(end_entity.to_vec());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Opens TLS to the relay; returns the stream and the SHA-256 of the certificate it presented.
async fn tls_connect(addr: SocketAddr) -> (TlsStream<TcpStream>, [u8; 32]) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Trusting {
        provider: Arc::clone(&provider),
        seen: Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("tincan.local").unwrap();
    let tls = tokio::time::timeout(
        WAIT,
        TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .expect("TLS handshake timed out")
    .expect("TLS handshake");
    let der = verifier.seen.lock().unwrap().take().expect("a certificate");
    (tls, Sha256::digest(der).into())
}

async fn https_get(addr: SocketAddr, path: &str) -> (u16, String, [u8; 32]) {
    let (mut tls, fingerprint) = tls_connect(addr).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    // The relay may close without a TLS close_notify once it has answered; what came counts.
    let _ = tokio::time::timeout(WAIT, tls.read_to_end(&mut bytes)).await;
    let response = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("response head");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned(), fingerprint)
}

/// The fingerprint of the certificate kept in `dir`.
fn kept_fingerprint(dir: &Path) -> [u8; 32] {
    let der = CertificateDer::from_pem_file(dir.join("cert.pem")).unwrap();
    Sha256::digest(der).into()
}

fn grouped(digest: [u8; 32]) -> String {
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    let groups: Vec<&str> = (0..16).map(|i| &hex[i * 4..i * 4 + 4]).collect();
    groups.join(" ")
}

#[tokio::test]
async fn https_wss_and_plain_http_on_one_port() {
    let dir = fresh_dir("port");
    let relay = start(&dir, &[]).await;

    let (status, body, fingerprint) = https_get(relay.addr, "/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<title>Tincan</title>"),
        "the UI page over HTTPS"
    );
    assert_eq!(
        fingerprint,
        kept_fingerprint(&dir),
        "serves the kept certificate"
    );

    let (status, body, _) = https_get(relay.addr, "/certificate").await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["sha256"], grouped(fingerprint), "the page can show it");

    let (tls, _) = tls_connect(relay.addr).await;
    let url = format!("wss://{}/ws/lobby?v=1&name=Ann", relay.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls)
        .await
        .expect("wss upgrade");
    let first = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("welcome in time");
    let Some(Ok(Message::Text(text))) = first else {
        panic!("expected a welcome, got {first:?}");
    };
    let welcome: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(welcome["type"], "welcome");

    // A plain client on the same port sees the welcome's peer: one relay, both ways in.
    let (status, body) = http_get(relay.addr, "/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<title>Tincan</title>"),
        "plain HTTP still works"
    );
    let (_plain, plain_welcome) = relay.join("/ws/lobby?v=1&name=Bob").await;
    assert_eq!(
        plain_welcome.peers.len(),
        1,
        "Bob sees Ann, who came over wss"
    );
    let (status, _) = http_get(relay.addr, "/certificate").await;
    assert_eq!(status, 404, "no fingerprint to show on a plain page");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_certificate_is_kept_across_restarts_with_a_private_key() {
    let dir = fresh_dir("keep");
    let first = start(&dir, &[]).await;
    let (_, _, before) = https_get(first.addr, "/healthz").await;
    drop(first);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the private key is its owner's only");
    }
    let second = start(&dir, &[]).await;
    let (status, _, after) = https_get(second.addr, "/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(before, after, "the same certificate after a restart");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_stalled_tls_handshake_is_closed_by_the_timeout() {
    let dir = fresh_dir("stall");
    let relay = start(&dir, &["--header-timeout", "1"]).await;

    // The start of a ClientHello record, then nothing.
    let mut stalled = TcpStream::connect(relay.addr).await.unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01, 0x02]).await.unwrap();
    // A connection that never sends a byte at all.
    let mut silent = TcpStream::connect(relay.addr).await.unwrap();
    let started = Instant::now();

    // Others are served meanwhile.
    let (status, _, _) = https_get(relay.addr, "/healthz").await;
    assert_eq!(status, 200);

    let deadline = started + Duration::from_secs(4);
    assert!(
        closed_by(&mut stalled, deadline).await,
        "stalled TLS closed"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "not before the timeout: {waited:?}"
    );
    assert!(closed_by(&mut silent, deadline).await, "silent closed");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        relay.log().contains("no finished TLS handshake"),
        "the refusal is logged: {}",
        relay.log()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
