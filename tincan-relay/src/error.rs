//! Errors the relay library returns to the code that embeds it.

use std::{io, net::SocketAddr, path::PathBuf};

/// Result of the relay's fallible operations.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can stop the relay from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be bound (address in use, no permission, ...).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// The static UI folder given in the config is not a readable directory.
    #[error("UI folder {path} is not a directory")]
    UiDir {
        /// The folder that was asked for.
        path: PathBuf,
    },
    /// Accepting or serving connections failed at the socket level.
    #[error("relay I/O error: {0}")]
    Io(#[from] io::Error),
}
