//! Hand-made WebSocket frames from a raw TCP client: fragments are reassembled and relayed;
//! broken frames close only the offending connection, with the close code that names the
//! fault, while a bystander pair in the same room keeps talking.

mod common;

use common::{Client, TestRelay, WAIT};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const TEXT: u8 = 0x1;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;

/// A WebSocket connection spoken byte by byte.
struct Raw {
    tcp: TcpStream,
}

impl Raw {
    /// Opens a socket and completes the upgrade handshake by hand.
    async fn join(relay: &TestRelay, path: &str) -> Self {
        let mut tcp = TcpStream::connect(relay.addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            relay.addr
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
                .await
                .expect("handshake timed out")
                .unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let mut raw = Self { tcp };
        let (opcode, payload) = raw.read_frame().await.expect("welcome");
        assert_eq!(opcode, TEXT);
        let welcome: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(welcome["type"], "welcome");
        raw
    }

    /// Writes one frame with the given first byte (FIN, RSV bits, opcode), masked unless told.
    async fn write_frame(&mut self, first: u8, payload: &[u8], masked: bool) {
        let mut frame = vec![first];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            len @ 0..=125 => frame.push(mask_bit | len as u8),
            len @ 126..=0xffff => {
                frame.push(mask_bit | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(mask_bit | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if masked {
            let key = [0x12, 0x34, 0x56, 0x78];
            frame.extend_from_slice(&key);
            frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        } else {
            frame.extend_from_slice(payload);
        }
        self.tcp.write_all(&frame).await.unwrap();
    }

    /// Reads one frame from the relay: `(opcode, payload)`, or `None` once the socket ends.
    async fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let read = async {
            let mut head = [0u8; 2];
            self.tcp.read_exact(&mut head).await.ok()?;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut ext = [0u8; 2];
                    self.tcp.read_exact(&mut ext).await.ok()?;
                    usize::from(u16::from_be_bytes(ext))
                }
                127 => {
                    let mut ext = [0u8; 8];
                    self.tcp.read_exact(&mut ext).await.ok()?;
                    usize::try_from(u64::from_be_bytes(ext)).ok()?
                }
                len => usize::from(len),
            };
            let mut payload = vec![0u8; len];
            self.tcp.read_exact(&mut payload).await.ok()?;
            Some((head[0] & 0x0f, payload))
        };
        tokio::time::timeout(WAIT, read)
            .await
            .expect("timed out reading a frame")
    }

    /// Reads until the relay's close frame and returns its code.
    async fn close_code(&mut self) -> u16 {
        while let Some((opcode, payload)) = self.read_frame().await {
            if opcode == CLOSE {
                assert!(payload.len() >= 2, "close frame without a code");
                return u16::from_be_bytes([payload[0], payload[1]]);
            }
        }
        panic!("the connection ended without a close frame");
    }
}

/// The bystanders still talk both ways.
async fn bystanders_talk(a: &mut Client, b: &mut Client, n: u32) {
    a.send_json(json!({"type": "note", "n": n})).await;
    assert_eq!(next_of(b, "note").await["n"], n);
    b.send_json(json!({"type": "note", "n": n + 1000})).await;
    assert_eq!(next_of(a, "note").await["n"], n + 1000);
}

/// Reads messages at `client` until one of type `kind` arrives (skipping joins and leaves).
async fn next_of(client: &mut Client, kind: &str) -> Value {
    loop {
        let message = client.recv_json().await;
        if message["type"] == kind {
            return message;
        }
        let other = message["type"].as_str().unwrap_or_default();
        assert!(["peer-joined", "peer-left"].contains(&other), "{message}");
    }
}

#[tokio::test]
async fn fragments_are_relayed_and_broken_frames_close_only_their_sender() {
    let relay = TestRelay::default_config().await;
    let (mut a, _) = relay.join("/ws/frames?name=a").await;
    let (mut b, _) = relay.join("/ws/frames?name=b").await;
    assert_eq!(a.recv_json().await["type"], "peer-joined");

    // A text message in three fragments, with a ping between them, arrives whole.
    let mut raw = Raw::join(&relay, "/ws/frames?name=raw").await;
    raw.write_frame(TEXT, br#"{"type":"frag","#, true).await;
    raw.write_frame(PING | 0x80, b"", true).await;
    raw.write_frame(CONTINUATION, br#""body":"caf"#, true).await;
    raw.write_frame(CONTINUATION | 0x80, "é\"}".as_bytes(), true)
        .await;
    let got = next_of(&mut a, "frag").await;
    assert_eq!(got["body"], "café");
    assert_eq!(next_of(&mut b, "frag").await["body"], "café");
    bystanders_talk(&mut a, &mut b, 1).await;

    let cases: [(&str, u8, Vec<u8>, bool, u16); 8] = [
        (
            "invalid UTF-8",
            TEXT | 0x80,
            b"{\"type\":\"x\xff\"}".to_vec(),
            true,
            1007,
        ),
        (
            "reserved data opcode",
            0x3 | 0x80,
            b"{}".to_vec(),
            true,
            1002,
        ),
        (
            "reserved control opcode",
            0xB | 0x80,
            Vec::new(),
            true,
            1002,
        ),
        (
            "RSV1 set",
            0x40 | TEXT | 0x80,
            br#"{"type":"x"}"#.to_vec(),
            true,
            1002,
        ),
        ("oversized ping", PING | 0x80, vec![b'p'; 126], true, 1002),
        (
            "unmasked frame",
            TEXT | 0x80,
            br#"{"type":"x"}"#.to_vec(),
            false,
            1002,
        ),
        (
            "stray continuation",
            CONTINUATION | 0x80,
            b"x".to_vec(),
            true,
            1002,
        ),
        // Over twice the default 64 KiB message limit.
        (
            "oversized frame",
            TEXT | 0x80,
            vec![b' '; 140_000],
            true,
            1009,
        ),
    ];
    for (n, (what, first, payload, masked, expected)) in cases.into_iter().enumerate() {
        let mut raw = Raw::join(&relay, "/ws/frames?name=raw").await;
        raw.write_frame(first, &payload, masked).await;
        assert_eq!(raw.close_code().await, expected, "{what}");
        bystanders_talk(&mut a, &mut b, n as u32 + 10).await;
    }

    // A fragmented control frame.
    let mut raw = Raw::join(&relay, "/ws/frames?name=raw").await;
    raw.write_frame(PING, b"half", true).await;
    assert_eq!(raw.close_code().await, 1002, "fragmented ping");
    bystanders_talk(&mut a, &mut b, 99).await;
}
