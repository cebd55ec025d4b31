//! A peer's outbound queue, bounded in frames and in bytes, with a relay-wide byte total.
//!
//! Frames are counted in bytes because one peer that stops reading must cost at most its own
//! budget, whatever the size of the messages sent to it; the relay-wide total bounds what many
//! such peers cost together. Senders never wait: a push that does not fit tells the room to
//! evict the peer.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard, PoisonError,
    },
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

/// How much one queue may hold, and the relay-wide total it draws from.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// Most frames in one queue.
    pub(crate) frames: usize,
    /// Most bytes in one queue.
    pub(crate) bytes: usize,
    /// Most bytes in all queues together.
    pub(crate) total_bytes: usize,
    /// Bytes queued in all queues right now.
    pub(crate) queued: Arc<AtomicUsize>,
}

/// The frame did not fit: the peer is too slow to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// The sending side; cheap to clone.
#[derive(Clone)]
pub(crate) struct Sender {
    shared: Arc<Shared>,
}

/// The receiving side, owned by the connection's writer.
pub(crate) struct Receiver {
    shared: Arc<Shared>,
}

struct Shared {
    budget: Budget,
    state: Mutex<State>,
    ready: Notify,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    bytes: usize,
    /// The receiver is gone; pushes are dropped quietly.
    closed: bool,
}

/// Creates an empty queue drawing on `budget`.
pub(crate) fn queue(budget: Budget) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        budget,
        state: Mutex::new(State::default()),
        ready: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sender {
    /// Queues a frame without waiting. An empty queue always takes one frame, so a peer that
    /// keeps up is never dropped because others filled the relay-wide total.
    pub(crate) fn push(&self, text: Utf8Bytes) -> Result<(), Full> {
        let budget = &self.shared.budget;
        let len = text.len();
        let mut state = self.shared.lock();
        if state.closed {
            return Ok(());
        }
        if !state.frames.is_empty() {
            let total = budget.queued.load(Ordering::Relaxed);
            if state.frames.len() >= budget.frames
                || state.bytes + len > budget.bytes
                || total + len > budget.total_bytes
            {
                return Err(Full);
            }
        }
        state.bytes += len;
        budget.queued.fetch_add(len, Ordering::Relaxed);
        state.frames.push_back(text);
        drop(state);
        self.shared.ready.notify_one();
        Ok(())
    }
}

impl Receiver {
    /// Waits for the next frame.
    pub(crate) async fn recv(&mut self) -> Utf8Bytes {
        loop {
            if let Some(text) = self.try_recv() {
                return text;
            }
            // A push between the check and this wait leaves a permit, so nothing is missed.
            self.shared.ready.notified().await;
        }
    }

    /// Takes the next frame if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<Utf8Bytes> {
        let mut state = self.shared.lock();
        let text = state.frames.pop_front()?;
        state.bytes -= text.len();
        self.shared
            .budget
            .queued
            .fetch_sub(text.len(), Ordering::Relaxed);
        Some(text)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        state.frames.clear();
        self.shared
            .budget
            .queued
            .fetch_sub(state.bytes, Ordering::Relaxed);
        state.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(frames: usize, bytes: usize, total_bytes: usize) -> Budget {
        Budget {
            frames,
            bytes,
            total_bytes,
            queued: Arc::default(),
        }
    }

    fn text(len: usize) -> Utf8Bytes {
        Utf8Bytes::from("x".repeat(len))
    }

    #[test]
    fn bounded_in_bytes_and_frames() {
        let (tx, mut rx) = queue(budget(3, 100, 1000));
        assert_eq!(tx.push(text(60)), Ok(()));
        assert_eq!(tx.push(text(50)), Err(Full));
        assert_eq!(tx.push(text(40)), Ok(()));
        assert_eq!(rx.try_recv().map(|t| t.len()), Some(60));
        assert_eq!(tx.push(text(1)), Ok(()));
        assert_eq!(tx.push(text(1)), Ok(()));
        assert_eq!(tx.push(text(1)), Err(Full));
    }

    #[test]
    fn an_empty_queue_takes_one_frame_of_any_size() {
        let (tx, _rx) = queue(budget(8, 10, 10));
        assert_eq!(tx.push(text(500)), Ok(()));
        assert_eq!(tx.push(text(1)), Err(Full));
    }

    #[test]
    fn the_total_is_shared_and_given_back() {
        let shared = budget(8, 100, 150);
        let (a, mut a_rx) = queue(shared.clone());
        let (b, b_rx) = queue(shared.clone());
        a.push(text(80)).unwrap();
        b.push(text(60)).unwrap();
        // b is behind and the relay is at its total: b is the one that overflows.
        assert_eq!(b.push(text(20)), Err(Full));
        assert_eq!(shared.queued.load(Ordering::Relaxed), 140);
        a_rx.try_recv().unwrap();
        assert_eq!(shared.queued.load(Ordering::Relaxed), 60);
        drop(b_rx);
        assert_eq!(shared.queued.load(Ordering::Relaxed), 0);
        // A closed queue swallows frames without counting them.
        assert_eq!(b.push(text(20)), Ok(()));
        assert_eq!(shared.queued.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn recv_wakes_on_push() {
        let (tx, mut rx) = queue(budget(8, 100, 100));
        let waiter = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        tx.push(text(5)).unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.len(), 5);
    }
}
