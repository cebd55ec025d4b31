//! Tincan desktop app (placeholder).
