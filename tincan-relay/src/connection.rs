//! One WebSocket connection: admission checks, then one task that reads, writes and keeps the
//! connection alive until it ends.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;

mod clock;
mod write;

use clock::Clock;
use write::{within, write_batch, Limits, WriteFailure};

use crate::{
    admission::{self, Admission},
    config::Config,
    envelope,
    gate::Subnet,
    limit::RateLimiter,
    protocol::{Close, ErrorCode, Rejection},
    queue::{self, Next},
    refusal_log::RefusalLog,
    room::{Hub, JoinLimits, Membership, Refusal, UnknownPeer},
};

/// How long to wait for a close frame to go out, and for the client's answer to it.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// What the relay shares with every connection.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) hub: Hub,
    pub(crate) config: Arc<Config>,
    pub(crate) shutdown: CancellationToken,
    /// Where refusals are logged, a few lines per address at most.
    pub(crate) refusals: RefusalLog,
}

/// How a connection ended, which decides what (if anything) is sent before dropping it.
enum End {
    /// The relay closes it with this code and reason.
    Close(Close),
    /// The client sent a close frame; answer it.
    ClientClosed,
    /// The socket is gone or broken; nothing more can be sent.
    Gone,
}

/// Serves one upgraded socket until it closes, is dropped, or the relay shuts down.
///
/// One task reads and writes the unsplit socket: a split socket costs a shared lock and a
/// second state machine per connection, and the relay holds far more idle connections than busy
/// ones. While a batch is being written nothing is read, which is what a client that does not
/// read deserves anyway; each write must still finish within the stall timeout.
///
/// `held` is dropped when the connection is done (a token that keeps shutdown waiting for it).
///
/// An async block rather than an async fn: a fn's arguments would sit in the future twice (as
/// passed and as locals), and the relay holds a future like this for every connection.
#[allow(clippy::manual_async_fn)]
pub(crate) fn run<T: Send + 'static>(
    mut socket: WebSocket,
    shared: Shared,
    admission: Admission,
    held: T,
) -> impl Future<Output = ()> + Send {
    async move {
        serve_socket(&mut socket, &shared, &admission).await;
        drop(held);
    }
}

/// Everything between the upgrade and the socket's end; see `run`.
async fn serve_socket(socket: &mut WebSocket, shared: &Shared, admission: &Admission) {
    if let Some(rejection) = admission::check(&shared.config, &shared.hub.guard, admission) {
        // Boxed: the closing paths would otherwise widen every connection's future.
        return Box::pin(refuse(socket, shared, admission.addr, &rejection)).await;
    }
    let limits = JoinLimits {
        max_peers_per_room: shared.config.max_peers_per_room,
        max_connections: shared.config.max_connections,
        outbound_queue: shared.config.outbound_queue,
        queue_bytes: shared.config.queue_bytes,
        total_queue_bytes: shared.config.total_queue_bytes,
    };
    let membership = match shared.hub.join(
        &admission.room,
        &admission.name,
        admission.resume.as_deref(),
        limits,
    ) {
        Ok(membership) => membership,
        Err(refusal) => {
            let rejection = match refusal {
                Refusal::RoomFull => Rejection::new(
                    ErrorCode::RoomFull,
                    format!(
                        "room \"{}\" is full ({} people)",
                        admission.room, shared.config.max_peers_per_room
                    ),
                ),
                Refusal::RelayFull => {
                    Rejection::new(ErrorCode::RelayFull, "the relay has too many connections")
                }
            };
            return Box::pin(refuse(socket, shared, admission.addr, &rejection)).await;
        }
    };
    let Membership {
        id,
        mut rx,
        tx,
        serial,
    } = membership;
    tracing::info!(
        peer = %id,
        %admission.addr,
        room = %admission.room,
        name = %admission.name,
        "joined"
    );
    let mut session = Session {
        shared,
        room: &admission.room,
        id: &id,
        reply: tx,
        limiter: RateLimiter::new(
            shared.config.rate_per_second,
            shared.config.rate_burst,
            std::time::Instant::now(),
        ),
        // Pings get their own allowance: tungstenite answers each one with a pong, so a flood
        // of them would make the relay write for a client that may never read.
        pings: RateLimiter::new(
            shared.config.ping_rate_per_second,
            shared.config.ping_burst,
            std::time::Instant::now(),
        ),
    };
    let end = session.serve(socket, &mut rx).await;
    shared.hub.leave(&admission.room, &id, serial);
    match &end {
        End::Close(close) => tracing::info!(peer = %id, reason = close.reason, "closed by relay"),
        End::ClientClosed | End::Gone => tracing::info!(peer = %id, "left"),
    }
    Box::pin(finish(socket, end)).await;
}

/// Sends an `error` frame and the close that goes with its code, then waits briefly for the
/// client to answer.
async fn refuse(socket: &mut WebSocket, shared: &Shared, addr: SocketAddr, rejection: &Rejection) {
    let reason = format!("{:?}: {}", rejection.code, rejection.message);
    shared.refusals.refused(Subnet::of(addr.ip()), &reason);
    let sent = timeout(
        CLOSE_GRACE,
        socket.send(Message::Text(rejection.to_json().into())),
    )
    .await;
    if let (Ok(Ok(())), Some(close)) = (sent, rejection.code.close()) {
        finish(socket, End::Close(close)).await;
    }
}

/// Sends what `end` calls for and waits (bounded) for the closing handshake to complete.
async fn finish(socket: &mut WebSocket, end: End) {
    match end {
        End::Close(close) => {
            let frame = CloseFrame {
                code: close.code,
                reason: Utf8Bytes::from_static(close.reason),
            };
            if let Ok(Ok(())) = timeout(CLOSE_GRACE, socket.send(Message::Close(Some(frame)))).await
            {
                // Wait for the client's close frame so browsers see a clean close.
                let _ = timeout(CLOSE_GRACE, async {
                    while let Some(Ok(message)) = socket.next().await {
                        if matches!(message, Message::Close(_)) {
                            break;
                        }
                    }
                })
                .await;
            }
        }
        // The WebSocket layer has queued its answer to the client's close; flush it out.
        End::ClientClosed => {
            let _ = timeout(CLOSE_GRACE, socket.close()).await;
        }
        End::Gone => {}
    }
}

/// What woke a connection up.
enum Event {
    /// Shutdown of the relay.
    Shutdown,
    /// Something for this peer: a frame to write, or the room evicting it.
    Queued(Next),
    /// Something from the client, or the end of its stream.
    Read(Option<Result<Message, axum::Error>>),
    /// Time to ping, or to check for silence.
    Timer,
}

/// A joined connection's state while it serves.
struct Session<'a> {
    shared: &'a Shared,
    room: &'a str,
    id: &'a str,
    /// This peer's own queue, for error replies.
    reply: queue::Sender,
    limiter: RateLimiter,
    pings: RateLimiter,
}

impl Session<'_> {
    /// Reads frames and writes queued ones and keepalive pings until the client closes, goes
    /// silent, stops taking data, is evicted, or the relay shuts down.
    ///
    /// A client that keeps sending (pings, messages) but never reads would look alive to the
    /// reading side forever, so progress is judged on writes: each must complete within the
    /// stall timeout, whatever the client sends.
    async fn serve(&mut self, socket: &mut WebSocket, rx: &mut queue::Receiver) -> End {
        let config = &self.shared.config;
        let stall = config.write_stall_timeout;
        let mut clock = Clock::new(config, Instant::now());
        let timer = sleep_until(clock.due());
        let shutdown = self.shared.shutdown.cancelled();
        tokio::pin!(timer, shutdown);
        loop {
            // Not biased: a queue that never empties must not starve the reading side, nor a
            // chatty client the writing side.
            let event = tokio::select! {
                () = &mut shutdown => Event::Shutdown,
                next = rx.next() => Event::Queued(next),
                message = socket.next() => Event::Read(message),
                () = &mut timer => Event::Timer,
            };
            // Whatever woke it, a relay going down closes it now: nobody is told "peer-left"
            // by peers that closed a moment earlier.
            if self.shared.shutdown.is_cancelled() {
                return End::Close(Close::HOST_ENDED);
            }
            let result = match event {
                Event::Shutdown => return End::Close(Close::HOST_ENDED),
                Event::Queued(Next::Kicked(close)) => return End::Close(close),
                Event::Queued(Next::Frame(text)) => {
                    write_batch(
                        socket,
                        rx,
                        text,
                        Limits {
                            stall,
                            shutdown: shutdown.as_mut(),
                        },
                    )
                    .await
                }
                Event::Read(None) => return End::Gone,
                Event::Read(Some(Err(err))) => return broken_frame(self.id, err),
                Event::Read(Some(Ok(message))) => {
                    let now = Instant::now();
                    // Any frame, pongs included, proves the client is alive.
                    clock.last_heard = now;
                    if let Some(end) = self.handle(message, now.into_std()) {
                        return end;
                    }
                    Ok(())
                }
                Event::Timer => {
                    let now = Instant::now();
                    if now >= clock.last_heard + clock.silence_limit {
                        return End::Close(Close::KEEPALIVE);
                    }
                    let result = if now >= clock.next_ping {
                        clock.next_ping = now + clock.ping_every;
                        let mut limits = Limits {
                            stall,
                            shutdown: shutdown.as_mut(),
                        };
                        let ping = socket.send(Message::Ping(Default::default()));
                        within(&mut limits, ping).await
                    } else {
                        Ok(())
                    };
                    timer.as_mut().reset(clock.due());
                    result
                }
            };
            match result {
                Ok(()) => {}
                Err(WriteFailure::Stalled) => return End::Close(Close::TOO_SLOW),
                Err(WriteFailure::Broken) => return End::Gone,
                Err(WriteFailure::ShuttingDown) => return End::Close(Close::HOST_ENDED),
            }
        }
    }

    /// Handles one frame from the client; `Some` ends the connection.
    fn handle(&mut self, message: Message, now: std::time::Instant) -> Option<End> {
        let control = matches!(message, Message::Ping(_) | Message::Pong(_));
        if control && !self.pings.allow(now) {
            return Some(End::Close(Close::TOO_MANY_PINGS));
        }
        let counted = matches!(message, Message::Text(_) | Message::Binary(_));
        let rejection = if counted && !self.limiter.allow(now) {
            Some(Rejection::new(
                ErrorCode::RateLimited,
                "too many messages, slow down",
            ))
        } else {
            match message {
                Message::Text(text) => self.handle_text(&text).err(),
                Message::Binary(_) => Some(Rejection::new(
                    ErrorCode::BadMessage,
                    "binary frames are not supported, send JSON text",
                )),
                Message::Ping(_) | Message::Pong(_) => None,
                Message::Close(_) => return Some(End::ClientClosed),
            }
        };
        let rejection = rejection?;
        tracing::debug!(peer = %self.id, code = ?rejection.code, "message refused");
        self.reply
            .push(rejection.to_json().into())
            .err()
            .map(|_| End::Close(Close::TOO_SLOW))
    }

    /// Validates one text frame and hands it to the room.
    fn handle_text(&self, text: &str) -> Result<(), Rejection> {
        let limit = self.shared.config.max_message_bytes;
        if text.len() > limit {
            let message = format!("message is {} bytes, the limit is {limit}", text.len());
            return Err(Rejection::new(ErrorCode::TooLarge, message));
        }
        let outgoing = envelope::prepare(text, self.id)?;
        // Bodies (SDP, candidates) stay out of the logs: type and size only.
        tracing::debug!(
            peer = %self.id,
            kind = %outgoing.kind,
            to = outgoing.to.as_deref().unwrap_or("*"),
            bytes = text.len(),
            "relay"
        );
        let to = outgoing.to.as_deref();
        self.shared
            .hub
            .relay(self.room, self.id, to, outgoing.text.into())
            .map_err(|UnknownPeer| {
                let who = to.unwrap_or_default();
                Rejection::new(
                    ErrorCode::UnknownPeer,
                    format!("no other peer \"{who}\" in this room"),
                )
            })
    }
}

/// Sorts a read error: a broken frame from the client gets the close code that names its
/// fault; a failed socket gets nothing.
fn broken_frame(id: &str, err: axum::Error) -> End {
    use tungstenite::error::Error as WsError;
    let close = match err.into_inner().downcast::<WsError>().map(|err| *err) {
        Ok(WsError::Protocol(fault)) => {
            tracing::info!(peer = %id, %fault, "closing: broken frame");
            Close::PROTOCOL_ERROR
        }
        Ok(WsError::Utf8(_)) => Close::BAD_UTF8,
        Ok(WsError::Capacity(_)) => Close::FRAME_TOO_BIG,
        _ => return End::Gone,
    };
    End::Close(close)
}
