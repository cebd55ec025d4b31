//! A failed connection attempt, sorted by cause and put in plain words.

use tokio_tungstenite::tungstenite;

use crate::error::Cause;

/// Why a connection attempt failed, by cause and in plain words.
pub(super) fn describe(error: &tungstenite::Error) -> (Cause, String) {
    use std::io::ErrorKind;
    match error {
        tungstenite::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => (Cause::Refused, "connection refused".into()),
            ErrorKind::TimedOut => (Cause::TimedOut, "the connection timed out".into()),
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                (Cause::NoRoute, "no route to that address".into())
            }
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
                (Cause::Reset, "the connection was reset".into())
            }
            _ => (Cause::Other, io.to_string()),
        },
        tungstenite::Error::Http(response) => (
            Cause::NotTincan {
                status: response.status().as_u16(),
            },
            format!(
                "it answered HTTP {} instead of opening a call; is it a Tincan host?",
                response.status()
            ),
        ),
        other => (Cause::Other, other.to_string()),
    }
}
