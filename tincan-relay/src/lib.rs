//! LAN signaling relay (placeholder).
