//! The signaling client: the backend holds the WebSocket to a relay on the webview's behalf,
//! keeps it alive, reconnects after unexpected drops, and reports everything as [`SignalEvent`]s.
//!
//! Holding the socket here means the webview's page never connects to `ws://<LAN IP>` itself,
//! so it needs no CSP hole, mixed-content exception or secure-context workaround.

use std::{future::Future, sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use tauri::async_runtime::{self, JoinHandle};
use tokio::{
    net::TcpStream,
    sync::{mpsc, oneshot},
    time::{sleep, timeout, Instant},
};
use tokio_tungstenite::{
    tungstenite::{
        self, protocol::frame::coding::CloseCode as WsCode, protocol::CloseFrame, Message,
    },
    MaybeTlsStream, WebSocketStream,
};

use tincan_protocol::{
    Close, ServerMessage, CLOSE_ABNORMAL, CLOSE_NORMAL, KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT,
};

use crate::{
    address::HostAddress,
    error::{Cause, Error},
};

mod close;
mod event;
mod failure;
mod intake;

use close::{fatal_error, reconnects_after, resume_secret, Fatal};
pub use event::{CloseCode, SignalEvent};
use failure::describe;
use intake::Intake;

/// How long opening the socket may take before the join fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a ping is sent to the relay: as often as the relay pings.
const PING_EVERY: Duration = KEEPALIVE_INTERVAL;
/// Silence after which the connection counts as dropped (pongs count as traffic): the relay
/// gives up on a silent client after the same time.
const SILENCE_LIMIT: Duration = KEEPALIVE_TIMEOUT;
/// First wait before reconnecting; doubled after every failed attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// How long after a drop reconnecting is given up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The reason sent with our close when the person leaves.
const LEFT: &str = "left the call";

/// How long the relay may take to answer our close after we refused what it sent.
const REFUSAL_CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// Close code for a frame or message over [`intake::MAX_FRAME_BYTES`] (RFC 6455 "message too big").
const TOO_BIG: u16 = Close::FRAME_TOO_BIG.code;
/// Close code for frames beyond the rate budget (RFC 6455 "policy violation").
const TOO_FAST: u16 = 1008;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where the webview's `signal` events go.
pub type Emit = Arc<dyn Fn(SignalEvent) + Send + Sync>;

/// Where to connect: the address for messages, and the URL with its query.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`, as shown to people.
    pub address: String,
    /// The room endpoint without the query, safe to show (it holds no passcode).
    pub shown_url: String,
    /// The URL actually opened.
    pub url: String,
}

impl Target {
    /// The target for joining `room` at `address`.
    pub fn new(address: &HostAddress, room: &str, name: &str, key: Option<&str>) -> Self {
        Self {
            address: address.to_string(),
            shown_url: address.room_url(room),
            url: address.join_url(room, name, key),
        }
    }
}

enum Command {
    Send(String, oneshot::Sender<Result<(), Error>>),
    Leave,
}

/// A sender of frames into an open session.
#[derive(Clone)]
pub struct Sender(mpsc::UnboundedSender<Command>);

impl Sender {
    /// Sends one text frame, resolving once it is written.
    pub async fn send(&self, text: String) -> Result<(), Error> {
        let (reply, written) = oneshot::channel();
        self.0
            .send(Command::Send(text, reply))
            .map_err(|_| Error::NotConnected)?;
        written.await.unwrap_or(Err(Error::NotConnected))
    }
}

/// A joined room: the task that owns the socket.
pub struct Session {
    sender: Sender,
    task: JoinHandle<()>,
}

impl Session {
    /// Opens the socket, emits `open`, and keeps serving it until left or closed for good.
    pub async fn open(target: Target, emit: Emit) -> Result<Self, Error> {
        let socket = connect(&target, None).await?;
        emit(SignalEvent::Open);
        let (commands, receiver) = mpsc::unbounded_channel();
        let task = async_runtime::spawn(run(socket, target, receiver, emit));
        Ok(Self {
            sender: Sender(commands),
            task,
        })
    }

    /// A handle to send frames with.
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Closes the socket (code 1000) and waits until `closed` has been emitted.
    pub async fn leave(self) {
        let _ = self.sender.0.send(Command::Leave);
        let abort = self.task.inner().abort_handle();
        if timeout(CLOSE_TIMEOUT * 2, self.task).await.is_err() {
            // Stuck in a write to a dead peer: stop it so it cannot emit after a new join.
            abort.abort();
        }
    }
}

/// How one connection ended.
enum End {
    /// Closed for good; emit `closed` with this, and the app's own error when it ended it.
    Closed(CloseCode, String, Option<Error>),
    /// Lost without a closing word from the relay: reconnect.
    Dropped,
    /// The app asked to leave.
    Left,
}

async fn run(
    mut socket: Socket,
    target: Target,
    mut commands: mpsc::UnboundedReceiver<Command>,
    emit: Emit,
) {
    // The relay's secret for the current connection; a reconnect presents it to take that
    // connection's place, so a full room still lets this client back in.
    let mut resume: Option<String> = None;
    loop {
        let (code, reason, error) = match serve(&mut socket, &mut commands, &emit, &mut resume)
            .await
        {
            End::Closed(code, reason, error) => (code, reason, error),
            End::Left => (CloseCode::Number(CLOSE_NORMAL), LEFT.to_owned(), None),
            End::Dropped => match reconnect(&target, resume.as_deref(), &mut commands, &emit).await
            {
                Ok(fresh) => {
                    socket = fresh;
                    emit(SignalEvent::Open);
                    continue;
                }
                Err(end) => end,
            },
        };
        let error = error.and_then(|error| serde_json::to_value(error).ok());
        emit(SignalEvent::Closed {
            code,
            reason,
            error,
        });
        return;
    }
}

/// Pumps one open socket: frames in, frames out, pings, until it ends.
async fn serve(
    socket: &mut Socket,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    emit: &Emit,
    resume: &mut Option<String>,
) -> End {
    let mut welcomed = false;
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    let mut intake = Intake::new();
    // A fatal relay error (bad passcode, room full, ...) means the close that follows is final.
    let mut fatal: Option<Fatal> = None;
    let end_of_stream = |fatal: Option<Fatal>| match fatal {
        Some((code, message)) => End::Closed(CloseCode::Relay(code), message, None),
        None => End::Dropped,
    };
    loop {
        tokio::select! {
            frame = socket.next() => {
                last_heard = Instant::now();
                let admitted = match &frame {
                    Some(Ok(message)) => intake.admit(message.len()),
                    _ => true,
                };
                if !admitted {
                    return refuse(socket, TOO_FAST).await;
                }
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        // Relayed messages are not the relay's own and decode to nothing here.
                        let decoded = serde_json::from_str::<ServerMessage>(&text).ok();
                        if fatal.is_none() {
                            fatal = decoded.as_ref().and_then(fatal_error);
                        }
                        if !welcomed {
                            welcomed = true;
                            *resume = decoded.as_ref().and_then(resume_secret);
                        }
                        emit(SignalEvent::Message { text: text.to_string() });
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new()));
                        // Let tungstenite finish the closing handshake it has started.
                        let _ = timeout(CLOSE_TIMEOUT, async { while socket.next().await.is_some() {} }).await;
                        return match fatal {
                            Some((code, message)) => End::Closed(CloseCode::Relay(code), message, None),
                            None if reconnects_after(code) => End::Dropped,
                            None => End::Closed(CloseCode::Number(code), reason, None),
                        };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(tungstenite::Error::Capacity(_))) => return refuse(socket, TOO_BIG).await,
                    Some(Err(_)) | None => return end_of_stream(fatal),
                }
            }
            command = commands.recv() => match command {
                Some(Command::Send(text, reply)) => {
                    let result = socket.send(Message::text(text)).await;
                    let failed = result.is_err();
                    let _ = reply.send(result.map_err(|_| Error::NotConnected));
                    if failed {
                        return end_of_stream(fatal);
                    }
                }
                Some(Command::Leave) | None => {
                    let frame = CloseFrame { code: WsCode::Normal, reason: LEFT.into() };
                    let _ = timeout(CLOSE_TIMEOUT, async {
                        let _ = socket.close(Some(frame)).await;
                        while socket.next().await.is_some() {}
                    })
                    .await;
                    return End::Left;
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT
                    || socket.send(Message::Ping(Default::default())).await.is_err()
                {
                    return end_of_stream(fatal);
                }
            }
        }
    }
}

/// Closes a connection whose relay sent too much, for good: whatever answers at that address is
/// not a relay to reconnect to.
async fn refuse(socket: &mut Socket, code: u16) -> End {
    let reason = Error::TooMuchData.to_string();
    let frame = CloseFrame {
        code: WsCode::from(code),
        reason: reason.clone().into(),
    };
    // Its frames are no longer read into the page; only the closing handshake is waited for.
    let _ = timeout(REFUSAL_CLOSE_TIMEOUT, async {
        let _ = socket.close(Some(frame)).await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    End::Closed(CloseCode::Number(code), reason, Some(Error::TooMuchData))
}

/// Retries with exponential backoff until connected, left, or [`GIVE_UP_AFTER`] has passed.
async fn reconnect(
    target: &Target,
    resume: Option<&str>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    emit: &Emit,
) -> Result<Socket, (CloseCode, String, Option<Error>)> {
    let left = || (CloseCode::Number(CLOSE_NORMAL), LEFT.to_owned(), None);
    let started = Instant::now();
    let mut delay = FIRST_BACKOFF;
    let mut attempt = 0;
    let mut last_error = Error::NotConnected;
    loop {
        if started.elapsed() + delay > GIVE_UP_AFTER {
            let error = Error::GaveUp(Box::new(last_error));
            return Err((
                CloseCode::Number(CLOSE_ABNORMAL),
                error.to_string(),
                Some(error),
            ));
        }
        attempt += 1;
        emit(SignalEvent::Reconnecting {
            attempt,
            delay_ms: delay.as_millis() as u64,
        });
        answer_while(sleep(delay), commands)
            .await
            .ok_or_else(left)?;
        match answer_while(connect(target, resume), commands)
            .await
            .ok_or_else(left)?
        {
            Ok(socket) => return Ok(socket),
            Err(error) => last_error = error,
        }
        delay = (delay * 2).min(MAX_BACKOFF);
    }
}

/// Runs `work` while refusing sends (there is no socket) and watching for a leave, which
/// abandons the work and returns `None`.
async fn answer_while<F: Future>(
    work: F,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> Option<F::Output> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            output = &mut work => return Some(output),
            command = commands.recv() => match command {
                Some(Command::Send(_, reply)) => {
                    let _ = reply.send(Err(Error::NotConnected));
                }
                Some(Command::Leave) | None => return None,
            },
        }
    }
}

/// Opens the WebSocket, within [`CONNECT_TIMEOUT`], presenting an earlier connection's resume
/// secret when there is one.
async fn connect(target: &Target, resume: Option<&str>) -> Result<Socket, Error> {
    let unreachable = |(cause, reason): (Cause, String)| Error::Unreachable {
        address: target.address.clone(),
        url: target.shown_url.clone(),
        reason,
        cause,
    };
    let url = match resume {
        Some(secret) => format!("{}&resume={secret}", target.url),
        None => target.url.clone(),
    };
    let attempt = tokio_tungstenite::connect_async_with_config(
        url.as_str(),
        Some(intake::socket_config()),
        true,
    );
    match timeout(CONNECT_TIMEOUT, attempt).await {
        Err(_) => Err(unreachable((
            Cause::Timeout {
                seconds: CONNECT_TIMEOUT.as_secs(),
            },
            format!("no answer within {} seconds", CONNECT_TIMEOUT.as_secs()),
        ))),
        Ok(Err(error)) => Err(unreachable(describe(&error))),
        Ok(Ok((socket, _response))) => Ok(socket),
    }
}
