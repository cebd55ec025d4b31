//! The writing side of a connection: every write step bounded by the stall timeout and
//! interruptible by the relay's shutdown, and queued frames written in batches.

use std::{future::Future, pin::Pin, time::Duration};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use tokio::time::timeout;
use tokio_util::sync::WaitForCancellationFuture;

use crate::queue;

/// Frames written before one flush, so a burst goes out in few syscalls.
const WRITE_BATCH: usize = 64;

/// Why writing to a client stopped.
pub(super) enum WriteFailure {
    /// A write made no progress within the stall timeout.
    Stalled,
    /// The socket failed.
    Broken,
    /// The relay is shutting down; a stalled write must not hold it up.
    ShuttingDown,
}

/// What bounds a write step: the stall timeout, and the relay's shutdown.
pub(super) struct Limits<'a, 'b> {
    pub(super) stall: Duration,
    pub(super) shutdown: Pin<&'a mut WaitForCancellationFuture<'b>>,
}

/// Runs one write step, which must finish within the stall timeout; the relay's shutdown
/// interrupts it (the shutdown is looked at only while the step waits).
pub(super) async fn within(
    limits: &mut Limits<'_, '_>,
    step: impl Future<Output = Result<(), axum::Error>>,
) -> Result<(), WriteFailure> {
    tokio::select! {
        biased;
        result = timeout(limits.stall, step) => match result {
            Err(_) => Err(WriteFailure::Stalled),
            Ok(Err(_)) => Err(WriteFailure::Broken),
            Ok(Ok(())) => Ok(()),
        },
        () = limits.shutdown.as_mut() => Err(WriteFailure::ShuttingDown),
    }
}

/// Writes one frame plus whatever else is already queued, then flushes once. Each step must
/// finish within the stall timeout.
pub(super) async fn write_batch(
    socket: &mut WebSocket,
    rx: &mut queue::Receiver,
    first: Utf8Bytes,
    mut limits: Limits<'_, '_>,
) -> Result<(), WriteFailure> {
    let mut next = Some(first);
    for _ in 0..WRITE_BATCH {
        let Some(text) = next.take().or_else(|| rx.try_recv()) else {
            break;
        };
        within(&mut limits, socket.feed(Message::Text(text))).await?;
    }
    within(&mut limits, socket.flush()).await
}
