//! Playing several machines over loopback: connections from chosen 127.0.x.y addresses, raw
//! sockets, plain HTTP requests.

use std::net::{IpAddr, SocketAddr};

use futures_util::StreamExt;
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::{
    tungstenite::{self, Message},
    MaybeTlsStream, WebSocketStream,
};

use super::{Client, WAIT};

/// A minimal HTTP/1.1 GET; returns the status code and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = http_get_with_headers(addr, path).await;
    (status, body)
}

/// A minimal HTTP/1.1 GET; returns the status, the headers (names lower-cased) and the body.
pub async fn http_get_with_headers(
    addr: SocketAddr,
    path: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("HTTP response timed out")
        .unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("response head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// The loopback address 127.0.x.y used as a distinct client address.
pub fn loopback(x: u8, y: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([127, 0, x, y])
}

/// Opens a TCP connection to `addr` from the loopback address `from`.
pub async fn connect_from(from: std::net::IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(addr).await
}

/// Joins through a WebSocket opened from the loopback address `from`, returning the client and
/// the first message the relay sent (`welcome`, or an `error` when refused).
pub async fn join_from(
    from: std::net::IpAddr,
    addr: SocketAddr,
    path_and_query: &str,
) -> Result<(Client, Value), String> {
    let tcp = connect_from(from, addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let url = format!("ws://{addr}{path_and_query}");
    let tcp = MaybeTlsStream::Plain(tcp);
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
        .await
        .map_err(|_| "handshake timed out".to_owned())?
        .map_err(|e| format!("handshake: {e}"))?;
    let mut client = Client { ws };
    let first = client.recv_json().await;
    Ok((client, first))
}

/// Waits until the relay closes `stream` (end of file or reset); `false` if it is still open at
/// `deadline`. Anything the relay sends before closing is ignored.
pub async fn closed_by(stream: &mut TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Opens a WebSocket to `relay` from a chosen local address (any of 127.0.0.0/8 works on
/// loopback), so tests can play several machines.
pub async fn ws_connect_from(
    relay: SocketAddr,
    local: IpAddr,
    path_and_query: &str,
) -> Result<WebSocketStream<TcpStream>, tungstenite::Error> {
    let stream = tokio::time::timeout(WAIT, connect_from(local, relay))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let url = format!("ws://{relay}{path_and_query}");
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, stream))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    Ok(ws)
}

/// Reads the first text frame of a connection (skipping pings) and the close that may
/// follow it: `(first text, close code)`.
pub async fn first_text_and_close(
    ws: &mut WebSocketStream<TcpStream>,
    want_close: bool,
) -> (Value, Option<u16>) {
    let mut first = None;
    loop {
        let next = tokio::time::timeout(WAIT, ws.next()).await;
        match next.expect("timed out waiting for the relay") {
            Some(Ok(Message::Text(text))) => {
                let value = serde_json::from_str(&text).expect("relay sent bad JSON");
                if !want_close {
                    return (value, None);
                }
                first.get_or_insert(value);
            }
            Some(Ok(Message::Close(frame))) => {
                let code = frame.as_ref().map(|f| u16::from(f.code));
                return (first.expect("a refusal comes with an error frame"), code);
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("connection failed: {e}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}
