//! The app's commands driven through Tauri's IPC on the mock runtime, against a real relay on
//! loopback sockets, with the `signal` events captured as the main window would receive them.

mod engine;
mod harness;
mod host;
mod hostile;
mod join;
mod page;
