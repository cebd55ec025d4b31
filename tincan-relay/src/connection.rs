//! One WebSocket connection: admission checks, then a reader and a writer that end together.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{
    stream::{SplitSink, SplitStream},
    SinkExt, StreamExt,
};
use tokio::time::{interval_at, timeout, timeout_at, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::{
    admission::{self, Admission},
    config::Config,
    envelope::{self, Rejection},
    gate::Subnet,
    limit::RateLimiter,
    protocol::{Close, ErrorCode},
    queue,
    refusal_log::RefusalLog,
    room::{Hub, JoinLimits, Membership, Refusal, UnknownPeer},
};

/// How long to wait for a close frame to go out, and for the client's answer to it.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Frames written before one flush, so a burst goes out in few syscalls.
const WRITE_BATCH: usize = 64;

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

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

/// Serves one upgraded socket until it closes, is dropped, or the relay shuts down.
pub(crate) async fn run(socket: WebSocket, shared: Shared, admission: Admission) {
    if let Some(rejection) = admission::check(&shared.config, &shared.hub.guard, &admission) {
        return refuse(socket, &shared, admission.addr, &rejection).await;
    }
    let limits = JoinLimits {
        max_peers_per_room: shared.config.max_peers_per_room,
        max_connections: shared.config.max_connections,
        outbound_queue: shared.config.outbound_queue,
        queue_bytes: shared.config.queue_bytes,
        total_queue_bytes: shared.config.total_queue_bytes,
    };
    let membership = match shared.hub.join(&admission.room, &admission.name, limits) {
        Ok(membership) => membership,
        Err(Refusal::RoomFull) => {
            let message = format!(
                "room \"{}\" is full ({} people)",
                admission.room, shared.config.max_peers_per_room
            );
            let rejection = Rejection::new(ErrorCode::RoomFull, message);
            return refuse(socket, &shared, admission.addr, &rejection).await;
        }
        Err(Refusal::RelayFull) => {
            let rejection =
                Rejection::new(ErrorCode::RelayFull, "the relay has too many connections");
            return refuse(socket, &shared, admission.addr, &rejection).await;
        }
    };
    let Membership { id, rx, tx, kicked } = membership;
    tracing::info!(
        peer = %id,
        %admission.addr,
        room = %admission.room,
        name = %admission.name,
        "joined"
    );

    let (mut sink, mut stream) = socket.split();
    let mut rx = rx;
    let reader = Reader {
        shared: &shared,
        room: &admission.room,
        id: &id,
        reply: tx,
    };
    let end = tokio::select! {
        biased;
        () = shared.shutdown.cancelled() => End::Close(Close::HOST_ENDED),
        kick = kicked => kick.map_or(End::Gone, End::Close),
        end = write_loop(&mut sink, &mut rx, &shared.config) => end,
        end = reader.run(&mut stream) => end,
    };
    shared.hub.leave(&admission.room, &id);
    match &end {
        End::Close(close) => tracing::info!(peer = %id, reason = close.reason, "closed by relay"),
        End::ClientClosed | End::Gone => tracing::info!(peer = %id, "left"),
    }
    finish(sink, stream, end).await;
}

/// Sends an `error` frame and the close that goes with its code, then waits briefly for the
/// client to answer.
async fn refuse(socket: WebSocket, shared: &Shared, addr: SocketAddr, rejection: &Rejection) {
    let reason = format!("{:?}: {}", rejection.code, rejection.message);
    shared.refusals.refused(Subnet::of(addr.ip()), &reason);
    let (mut sink, stream) = socket.split();
    let sent = timeout(
        CLOSE_GRACE,
        sink.send(Message::Text(rejection.to_json().into())),
    )
    .await;
    if let (Ok(Ok(())), Some(close)) = (sent, rejection.code.close()) {
        finish(sink, stream, End::Close(close)).await;
    }
}

/// Sends what `end` calls for and waits (bounded) for the closing handshake to complete.
async fn finish(mut sink: Sink, mut stream: Stream, end: End) {
    match end {
        End::Close(close) => {
            let frame = CloseFrame {
                code: close.code,
                reason: Utf8Bytes::from_static(close.reason),
            };
            if let Ok(Ok(())) = timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await {
                // Wait for the client's close frame so browsers see a clean close.
                let _ = timeout(CLOSE_GRACE, async {
                    while let Some(Ok(message)) = stream.next().await {
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
            let _ = timeout(CLOSE_GRACE, sink.close()).await;
        }
        End::Gone => {}
    }
}

/// Writes queued frames and keepalive pings; ends when the socket fails or stops taking data.
///
/// A client that keeps sending (pings, messages) but never reads would look alive to the
/// reader forever, so progress is judged here: each write must complete within the stall
/// timeout, whatever the client sends.
async fn write_loop(sink: &mut Sink, rx: &mut queue::Receiver, config: &Config) -> End {
    let period = config.keepalive_interval;
    let stall = config.write_stall_timeout;
    let mut ping = interval_at(Instant::now() + period, period);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let result = tokio::select! {
            text = rx.recv() => write_batch(sink, rx, text, stall).await,
            _ = ping.tick() => within(stall, sink.send(Message::Ping(Default::default()))).await,
        };
        match result {
            Ok(()) => {}
            Err(WriteFailure::Stalled) => return End::Close(Close::TOO_SLOW),
            Err(WriteFailure::Broken) => return End::Gone,
        }
    }
}

/// Why writing to a client stopped.
enum WriteFailure {
    /// A write made no progress within the stall timeout.
    Stalled,
    /// The socket failed.
    Broken,
}

/// Runs one write step, which must finish within `stall`.
async fn within(
    stall: Duration,
    step: impl std::future::Future<Output = Result<(), axum::Error>>,
) -> Result<(), WriteFailure> {
    match timeout(stall, step).await {
        Err(_) => Err(WriteFailure::Stalled),
        Ok(Err(_)) => Err(WriteFailure::Broken),
        Ok(Ok(())) => Ok(()),
    }
}

/// Writes one frame plus whatever else is already queued, then flushes once. Each step must
/// finish within `stall`.
async fn write_batch(
    sink: &mut Sink,
    rx: &mut queue::Receiver,
    first: Utf8Bytes,
    stall: Duration,
) -> Result<(), WriteFailure> {
    let mut next = Some(first);
    for _ in 0..WRITE_BATCH {
        let Some(text) = next.take().or_else(|| rx.try_recv()) else {
            break;
        };
        within(stall, sink.feed(Message::Text(text))).await?;
    }
    within(stall, sink.flush()).await
}

/// The reading half of a joined connection.
struct Reader<'a> {
    shared: &'a Shared,
    room: &'a str,
    id: &'a str,
    reply: queue::Sender,
}

impl Reader<'_> {
    /// Reads frames until the client closes, goes silent, or cannot take our replies.
    async fn run(self, stream: &mut Stream) -> End {
        let config = &self.shared.config;
        let mut limiter = RateLimiter::new(
            config.rate_per_second,
            config.rate_burst,
            std::time::Instant::now(),
        );
        // Pings get their own allowance: tungstenite answers each one with a pong, so a flood
        // of them would make the relay write for a client that may never read.
        let mut pings = RateLimiter::new(
            config.ping_rate_per_second,
            config.ping_burst,
            std::time::Instant::now(),
        );
        let mut deadline = Instant::now() + config.keepalive_timeout;
        loop {
            let message = match timeout_at(deadline, stream.next()).await {
                Err(_) => return End::Close(Close::KEEPALIVE),
                Ok(None) => return End::Gone,
                Ok(Some(Err(err))) => return broken_frame(self.id, err),
                Ok(Some(Ok(message))) => message,
            };
            // Any frame, pongs included, proves the client is alive.
            deadline = Instant::now() + config.keepalive_timeout;
            let control = matches!(message, Message::Ping(_) | Message::Pong(_));
            if control && !pings.allow(std::time::Instant::now()) {
                return End::Close(Close::TOO_MANY_PINGS);
            }
            let counted = matches!(message, Message::Text(_) | Message::Binary(_));
            let rejection = if counted && !limiter.allow(std::time::Instant::now()) {
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
                    Message::Close(_) => return End::ClientClosed,
                }
            };
            if let Some(rejection) = rejection {
                tracing::debug!(peer = %self.id, code = ?rejection.code, "message refused");
                if self.reply.push(rejection.to_json().into()).is_err() {
                    return End::Close(Close::TOO_SLOW);
                }
            }
        }
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
