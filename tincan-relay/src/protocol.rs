//! The wire protocol (the `tincan-protocol` crate), with the relay's display-name rule.
//!
//! Message types, error and close codes and limits are shared with the app's signaling client
//! through `tincan-protocol`; checking and stamping of relayed messages lives in `envelope`.

pub use tincan_protocol::*;

pub use crate::name::clean_name;
