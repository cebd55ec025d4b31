//! Relaying: addressed and unaddressed delivery, `from` stamping, unknown types.

mod common;

use std::time::Duration;

use common::{Client, TestRelay};
use serde_json::json;
use tincan_relay::protocol::{CallMessage, IceCandidate};

/// Three peers in one room, each having seen the others join.
async fn trio(relay: &TestRelay) -> [(Client, String); 3] {
    let (mut a, wa) = relay.join("/ws/trio?name=A").await;
    let (mut b, wb) = relay.join("/ws/trio?name=B").await;
    let (c, wc) = relay.join("/ws/trio?name=C").await;
    assert_eq!(a.recv_json().await["id"], wb.id.as_str());
    assert_eq!(a.recv_json().await["id"], wc.id.as_str());
    assert_eq!(b.recv_json().await["id"], wc.id.as_str());
    [(a, wa.id), (b, wb.id), (c, wc.id)]
}

#[tokio::test]
async fn addressed_messages_reach_only_their_peer() {
    let relay = TestRelay::default_config().await;
    let [(mut a, a_id), (mut b, b_id), (mut c, c_id)] = trio(&relay).await;

    c.send_json(json!({"type": "offer", "sdp": "for-a", "to": a_id}))
        .await;
    c.send_json(json!({"type": "offer", "sdp": "for-b", "to": b_id}))
        .await;
    let at_a = a.recv_json().await;
    assert_eq!(
        at_a,
        json!({"type": "offer", "sdp": "for-a", "to": a_id, "from": c_id})
    );
    let at_b = b.recv_json().await;
    assert_eq!(
        at_b,
        json!({"type": "offer", "sdp": "for-b", "to": b_id, "from": c_id})
    );

    a.send_json(json!({"type": "answer", "sdp": "a-to-c", "to": c_id}))
        .await;
    let answer: CallMessage = serde_json::from_str(&c.recv_text().await).unwrap();
    let expected = CallMessage::Answer {
        sdp: "a-to-c".into(),
        to: Some(c_id.clone()),
        from: Some(a_id.clone()),
    };
    assert_eq!(answer, expected);
    b.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn unaddressed_messages_reach_every_other_peer() {
    let relay = TestRelay::default_config().await;
    let [(mut a, a_id), (mut b, _), (mut c, _)] = trio(&relay).await;
    let candidate = CallMessage::Candidate {
        candidate: IceCandidate {
            candidate: "candidate:1 1 udp 2122260223 192.168.1.23 54321 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
        },
        to: None,
        from: None,
    };
    a.send_text(&serde_json::to_string(&candidate).unwrap())
        .await;
    for peer in [&mut b, &mut c] {
        let got: CallMessage = serde_json::from_str(&peer.recv_text().await).unwrap();
        let CallMessage::Candidate {
            candidate: got_candidate,
            from,
            to,
        } = got
        else {
            panic!("expected a candidate, got {got:?}");
        };
        assert_eq!(from.as_deref(), Some(a_id.as_str()));
        assert_eq!(to, None);
        let CallMessage::Candidate {
            candidate: sent, ..
        } = &candidate
        else {
            unreachable!()
        };
        assert_eq!(&got_candidate, sent);
    }
    a.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn seed_style_two_person_call_works_without_addressing() {
    let relay = TestRelay::default_config().await;
    let (mut host, _) = relay.join("/ws").await;
    let (mut guest, welcome) = relay.join("/ws").await;
    assert_eq!(host.recv_json().await["type"], "peer-joined");
    // The newcomer offers to the peer its welcome listed; the other side answers.
    assert_eq!(welcome.peers.len(), 1);
    guest
        .send_json(json!({"type": "offer", "sdp": "v=0 offer"}))
        .await;
    assert_eq!(host.recv_json().await["sdp"], "v=0 offer");
    host.send_json(json!({"type": "answer", "sdp": "v=0 answer"}))
        .await;
    assert_eq!(guest.recv_json().await["sdp"], "v=0 answer");
    let ice = json!({"candidate": "candidate:2", "sdpMid": "0", "sdpMLineIndex": 0});
    host.send_json(json!({"type": "candidate", "candidate": ice}))
        .await;
    assert_eq!(guest.recv_json().await["candidate"], ice);
}

#[tokio::test]
async fn from_is_always_the_real_sender() {
    let relay = TestRelay::default_config().await;
    let [(mut a, a_id), (mut b, b_id), (mut c, c_id)] = trio(&relay).await;
    a.send_json(json!({"type": "offer", "sdp": "s", "from": c_id, "to": b_id}))
        .await;
    let got = b.recv_json().await;
    assert_eq!(
        got["from"],
        a_id.as_str(),
        "a forged from must be overwritten"
    );
    assert_eq!(got["sdp"], "s");
    a.send_json(json!({"type": "note", "from": 42})).await;
    assert_eq!(b.recv_json().await["from"], a_id.as_str());
    assert_eq!(c.recv_json().await["from"], a_id.as_str());
    c.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn other_types_are_relayed_byte_for_byte_apart_from_from() {
    let relay = TestRelay::default_config().await;
    let (mut a, _) = relay.join("/ws").await;
    let (mut b, wb) = relay.join("/ws").await;
    assert_eq!(a.recv_json().await["type"], "peer-joined");
    let sent = r#"{"type":"mute","muted":true,"extra":{"z":1,"a":[1.5,"\u00e9",1e3]}}"#;
    b.send_text(sent).await;
    let expected = format!(r#"{{"from":"{}",{}"#, wb.id, &sent[1..]);
    assert_eq!(a.recv_text().await, expected);
}

#[tokio::test]
async fn sending_to_oneself_is_unknown_peer() {
    let relay = TestRelay::default_config().await;
    let (mut a, wa) = relay.join("/ws").await;
    let (_b, _) = relay.join("/ws").await;
    assert_eq!(a.recv_json().await["type"], "peer-joined");
    a.send_json(json!({"type": "offer", "sdp": "s", "to": wa.id}))
        .await;
    assert_eq!(a.expect_error().await, "unknown-peer");
}
