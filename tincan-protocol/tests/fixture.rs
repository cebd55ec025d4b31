//! The examples of `tests/fixtures/protocol.json` against the Rust types: every message parses
//! (or is refused) as the file says and encodes back to the same JSON, and the codes and limits
//! are the same. The web UI is held to the same file by `tests/e2e/protocol.test.mjs`.

use serde_json::{Map, Value};
use tincan_protocol::{
    CallMessage, Close, Envelope, ErrorCode, ServerMessage, CLOSE_ABNORMAL, CLOSE_NORMAL,
    DEFAULT_ROOM, KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT, MAX_COMBINING_RUN, MAX_COMBINING_TOTAL,
    MAX_CONNECTIONS, MAX_MESSAGE_BYTES, MAX_NAME_CHARS, MAX_PEERS_PER_ROOM, MAX_ROOM_CHARS,
    PING_BURST, PING_RATE_PER_SECOND, PROTOCOL_VERSION, RATE_BURST, RATE_PER_SECOND,
    RESERVED_TYPES,
};

const FIXTURE: &str = include_str!("../../tests/fixtures/protocol.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("the fixture is JSON")
}

fn list<'a>(fixture: &'a Value, key: &str) -> &'a [Value] {
    fixture[key]
        .as_array()
        .unwrap_or_else(|| panic!("the fixture's {key} is a list"))
}

fn text<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} of {entry} is a string"))
}

fn number(limits: &Value, key: &str) -> u64 {
    limits[key]
        .as_u64()
        .unwrap_or_else(|| panic!("limits.{key} is a whole number"))
}

/// The close of the fixture named `name`, as code and reason.
fn named_close(fixture: &Value, name: &str) -> (u16, Option<String>) {
    let close = list(fixture, "closes")
        .iter()
        .find(|close| close["name"] == name)
        .unwrap_or_else(|| panic!("no close is named {name}"));
    let code = close["code"].as_u64().expect("a close code is a number");
    let reason = close["reason"].as_str().map(str::to_owned);
    (
        u16::try_from(code).expect("close codes fit 16 bits"),
        reason,
    )
}

#[test]
fn version_room_and_limits_agree() {
    let fixture = fixture();
    assert_eq!(fixture["protocol"], PROTOCOL_VERSION);
    assert_eq!(fixture["defaultRoom"], DEFAULT_ROOM);
    let limits = &fixture["limits"];
    let sizes = [
        ("maxRoomChars", MAX_ROOM_CHARS),
        ("maxNameChars", MAX_NAME_CHARS),
        ("maxCombiningRun", MAX_COMBINING_RUN),
        ("maxCombiningTotal", MAX_COMBINING_TOTAL),
        ("maxMessageBytes", MAX_MESSAGE_BYTES),
        ("maxPeersPerRoom", MAX_PEERS_PER_ROOM),
        ("maxConnections", MAX_CONNECTIONS),
    ];
    for (key, ours) in sizes {
        assert_eq!(number(limits, key), ours as u64, "limits.{key}");
    }
    let counts = [
        ("keepaliveSeconds", KEEPALIVE_INTERVAL.as_secs()),
        ("keepaliveTimeoutSeconds", KEEPALIVE_TIMEOUT.as_secs()),
        ("rateBurst", u64::from(RATE_BURST)),
        ("pingBurst", u64::from(PING_BURST)),
    ];
    for (key, ours) in counts {
        assert_eq!(number(limits, key), ours, "limits.{key}");
    }
    assert_eq!(limits["ratePerSecond"].as_f64(), Some(RATE_PER_SECOND));
    assert_eq!(
        limits["pingRatePerSecond"].as_f64(),
        Some(PING_RATE_PER_SECOND)
    );
    let keys = limits.as_object().expect("limits is an object").len();
    assert_eq!(
        keys,
        sizes.len() + counts.len() + 2,
        "every limit is checked"
    );
}

#[test]
fn error_codes_are_the_listed_ones_with_their_closes() {
    let fixture = fixture();
    let errors = list(&fixture, "errors");
    let listed: Vec<&str> = errors.iter().map(|error| text(error, "code")).collect();
    let ours: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(listed, ours);
    for error in errors {
        let code: ErrorCode = text(error, "code").parse().expect("a known code");
        let close = error["close"]
            .as_str()
            .map(|name| named_close(&fixture, name));
        let ours = code.close().map(|c| (c.code, Some(c.reason.to_owned())));
        assert_eq!(ours, close, "the close after {code}");
    }
}

#[test]
fn close_codes_are_the_listed_ones() {
    let fixture = fixture();
    let closes = list(&fixture, "closes");
    let mut listed: Vec<(u64, String)> = closes
        .iter()
        .filter(|close| close["by"] == "relay")
        .map(|close| {
            let code = close["code"].as_u64().expect("a number");
            (code, text(close, "reason").to_owned())
        })
        .collect();
    let mut ours: Vec<(u64, String)> = Close::ALL
        .iter()
        .map(|close| (u64::from(close.code), close.reason.to_owned()))
        .collect();
    listed.sort();
    ours.sort();
    assert_eq!(listed, ours);
    assert_eq!(named_close(&fixture, "NORMAL").0, CLOSE_NORMAL);
    assert_eq!(named_close(&fixture, "ABNORMAL"), (CLOSE_ABNORMAL, None));
    for close in closes {
        let reconnect = text(close, "reconnect");
        assert!(["yes", "no", "later"].contains(&reconnect), "{close}");
    }
}

#[test]
fn relay_messages_parse_and_encode_back() {
    let fixture = fixture();
    let messages = list(&fixture, "fromRelay");
    for message in messages {
        let parsed: ServerMessage = serde_json::from_value(message.clone())
            .unwrap_or_else(|e| panic!("{message} does not parse: {e}"));
        assert_eq!(&serde_json::to_value(&parsed).unwrap(), message);
        let again: ServerMessage = serde_json::from_str(&parsed.to_json()).unwrap();
        assert_eq!(again, parsed);
        // A client may not pass itself off as the relay.
        let refused = Envelope::read(&message.to_string()).expect_err("a relay type");
        assert_eq!(refused.code, ErrorCode::ReservedType, "{message}");
    }
    let mut kinds: Vec<&str> = messages.iter().map(|m| text(m, "type")).collect();
    kinds.dedup();
    assert_eq!(kinds, RESERVED_TYPES, "one example of each, in this order");
}

/// `value` without its `from`.
fn without_from(value: &Value) -> Map<String, Value> {
    let mut object = value.as_object().expect("an object").clone();
    object.remove("from");
    object
}

#[test]
fn client_messages_pass_and_arrive_stamped_with_their_sender() {
    let fixture = fixture();
    for example in list(&fixture, "fromClient") {
        let (send, receive) = (&example["send"], &example["receive"]);
        let text = send.to_string();
        let envelope = Envelope::read(&text).unwrap_or_else(|e| panic!("{send}: {e}"));
        assert_eq!(envelope.kind, send["type"].as_str().unwrap());
        assert_eq!(envelope.to.as_deref(), send["to"].as_str());
        assert_eq!(envelope.has_from, send.get("from").is_some());
        assert_eq!(receive["from"], example["from"], "{receive}");
        assert_eq!(without_from(receive), without_from(send));
        assert!(serde_json::from_value::<ServerMessage>(receive.clone()).is_err());
        if matches!(
            send["type"].as_str(),
            Some("offer" | "answer" | "candidate")
        ) {
            for message in [send, receive] {
                let call: CallMessage = serde_json::from_value(message.clone())
                    .unwrap_or_else(|e| panic!("{message} does not parse: {e}"));
                assert_eq!(&serde_json::to_value(&call).unwrap(), message);
            }
        }
    }
}

#[test]
fn invalid_messages_are_refused_with_the_listed_code() {
    let fixture = fixture();
    for example in list(&fixture, "invalid") {
        let refused =
            Envelope::read(text(example, "text")).expect_err(&format!("{example} must be refused"));
        assert_eq!(refused.code.as_str(), text(example, "error"), "{example}");
    }
}
