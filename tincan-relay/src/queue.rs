//! A peer's outbound queue, bounded in frames and in bytes, with a relay-wide byte total, and
//! the slot through which the room evicts the peer.
//!
//! Frames are counted in bytes because one peer that stops reading must cost at most its own
//! budget, whatever the size of the messages sent to it; the relay-wide total bounds what many
//! such peers cost together. Senders never wait: a push that does not fit tells the room to
//! evict the peer.
//!
//! The receiver's waker sits in the queue's own state rather than in a `Notify` and a separate
//! channel for the eviction: one lock per frame, and no allocation per connection beyond the
//! queue itself (idle connections are what the relay holds most of).

use std::{
    collections::VecDeque,
    future::poll_fn,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard, PoisonError,
    },
    task::{Context, Poll, Waker},
};

use axum::extract::ws::Utf8Bytes;

use crate::protocol::Close;

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

/// What the receiver gets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// A frame to write.
    Frame(Utf8Bytes),
    /// The room evicted the peer: close with this, whatever is still queued.
    Kicked(Close),
}

struct Shared {
    budget: Budget,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    bytes: usize,
    /// The receiver is gone; pushes are dropped quietly.
    closed: bool,
    /// Set once when the room evicts the peer.
    kicked: Option<Close>,
    /// The receiver waiting for a frame, if it is waiting.
    waiter: Option<Waker>,
}

/// Creates an empty queue drawing on `budget`.
pub(crate) fn queue(budget: Budget) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        budget,
        state: Mutex::new(State::default()),
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
        let waiter = state.waiter.take();
        drop(state);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        Ok(())
    }

    /// Tells the receiver to close with `close`; it sees this before any queued frame.
    pub(crate) fn kick(&self, close: Close) {
        let mut state = self.shared.lock();
        state.kicked.get_or_insert(close);
        let waiter = state.waiter.take();
        drop(state);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl Receiver {
    /// Waits for the next frame or the eviction.
    pub(crate) async fn next(&mut self) -> Next {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Next> {
        let mut state = self.shared.lock();
        if let Some(close) = state.kicked {
            return Poll::Ready(Next::Kicked(close));
        }
        match self.pop(&mut state) {
            Some(text) => Poll::Ready(Next::Frame(text)),
            None => {
                // Registered under the lock, so a push right after this cannot be missed.
                match &mut state.waiter {
                    Some(waiter) if waiter.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Takes the next frame if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<Utf8Bytes> {
        let mut state = self.shared.lock();
        self.pop(&mut state)
    }

    fn pop(&self, state: &mut State) -> Option<Utf8Bytes> {
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
        state.waiter = None;
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
    async fn next_wakes_on_push() {
        let (tx, mut rx) = queue(budget(8, 100, 100));
        let waiter = tokio::spawn(async move { rx.next().await });
        tokio::task::yield_now().await;
        tx.push(text(5)).unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, Next::Frame(text(5)));
    }

    #[tokio::test]
    async fn a_kick_wakes_and_comes_before_queued_frames() {
        let (tx, mut rx) = queue(budget(8, 100, 100));
        tx.push(text(5)).unwrap();
        assert_eq!(rx.next().await, Next::Frame(text(5)));
        let waiter = tokio::spawn(async move {
            let first = rx.next().await;
            (first, rx.next().await)
        });
        tokio::task::yield_now().await;
        tx.push(text(3)).unwrap();
        tx.kick(Close::TOO_SLOW);
        let (first, second) = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        // The push may have woken the waiter before the kick landed; after the kick it stays.
        assert!(matches!(
            first,
            Next::Frame(_) | Next::Kicked(Close::TOO_SLOW)
        ));
        assert_eq!(second, Next::Kicked(Close::TOO_SLOW));
    }
}
