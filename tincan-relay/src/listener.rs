//! The accept loop: every TCP connection passes the gate, goes through a TLS handshake when it
//! opens one (with a certificate configured), then hyper serves it with a header-read timeout,
//! keeps WebSocket upgrades working and winds down on shutdown.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{extract::ConnectInfo, Router};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower_service::Service;

use crate::{
    gate::{AddressSlot, Admitted, Gate, PendingSlot, Subnet},
    refusal_log::RefusalLog,
    tls::{self, OpenFailure, Opened, TlsIdentity},
};

/// How long an HTTP exchange still in progress at shutdown may take to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Pause after an accept error that is not about one connection (out of descriptors, say), so
/// the loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Largest request head hyper buffers: browsers send a few hundred bytes, and every pending
/// handshake may hold this much.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// What the accept loop needs besides the listening socket.
pub(crate) struct Acceptor {
    pub(crate) router: Router,
    pub(crate) gate: Gate,
    pub(crate) log: RefusalLog,
    pub(crate) header_timeout: Duration,
    pub(crate) tls: Option<TlsIdentity>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

/// How a request reached the relay, in each request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// Plain HTTP.
    Plain,
    /// HTTPS: the request came through a finished TLS handshake.
    Tls,
}

impl Acceptor {
    /// Accepts connections until shutdown, then closes the listening socket.
    pub(crate) async fn run(self, listener: TcpListener) {
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            // Also bounds how long a kept-alive connection may wait for its next request.
            .header_read_timeout(self.header_timeout)
            .max_buf_size(MAX_HEAD_BYTES);
        loop {
            let accepted = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, addr) = match accepted {
                Ok(pair) => pair,
                Err(err) if is_per_connection(&err) => continue,
                Err(err) => {
                    tracing::warn!("cannot accept connections: {err}");
                    tokio::select! {
                        () = self.shutdown.cancelled() => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            };
            let admitted = match self.gate.admit(addr.ip()) {
                Ok(admitted) => admitted,
                Err(refusal) => {
                    // Dropping the stream closes it: no task, no timer, no buffer for it.
                    drop(tcp);
                    self.log.refused(Subnet::of(addr.ip()), refusal.reason());
                    continue;
                }
            };
            // Signaling frames are tiny and latency-sensitive.
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {err}");
            }
            let connection = Connection {
                router: self.router.clone(),
                log: self.log.clone(),
                shutdown: self.shutdown.clone(),
                tls: self.tls.clone(),
                handshake_timeout: self.header_timeout,
            };
            self.tracker
                .spawn(connection.serve(http.clone(), tcp, addr, admitted));
        }
    }
}

/// Accept errors that concern one connection only (it was reset before we took it).
fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection's share of the acceptor.
struct Connection {
    router: Router,
    log: RefusalLog,
    shutdown: CancellationToken,
    tls: Option<TlsIdentity>,
    /// How long the first byte and the TLS handshake may take together.
    handshake_timeout: Duration,
}

impl Connection {
    /// Opens TLS when the client starts a handshake, then serves HTTP on the result.
    async fn serve(
        self,
        http: http1::Builder,
        tcp: TcpStream,
        addr: SocketAddr,
        admitted: Admitted,
    ) {
        let Admitted { address, pending } = admitted;
        let Some(identity) = self.tls.clone() else {
            let stream = Tracked {
                stream: tcp,
                slot: address,
            };
            return self
                .serve_http(http, stream, addr, pending, Via::Plain)
                .await;
        };
        let subnet = address.subnet();
        // The handshake counts as pending, so the cap and the eviction of the oldest cover it.
        let opened = tokio::select! {
            opened = tls::open(tcp, &identity, self.handshake_timeout) => opened,
            () = pending.evicted.cancelled() => {
                self.log.refused(subnet, "handshake still pending when newer connections needed room");
                return;
            }
            () = self.shutdown.cancelled() => return,
        };
        match opened {
            Ok(Opened::Plain(tcp)) => {
                let stream = Tracked {
                    stream: tcp,
                    slot: address,
                };
                self.serve_http(http, stream, addr, pending, Via::Plain)
                    .await;
            }
            Ok(Opened::Tls(tls)) => {
                let stream = Tracked {
                    stream: tls,
                    slot: address,
                };
                self.serve_http(http, stream, addr, pending, Via::Tls).await;
            }
            Err(OpenFailure::Timeout) => {
                self.log.refused(
                    subnet,
                    "no finished TLS handshake within the header timeout",
                );
            }
            Err(OpenFailure::Handshake(err)) => {
                tracing::debug!(%addr, "TLS handshake failed: {err}");
            }
        }
    }

    /// Serves the connection's one request; an upgraded socket lives on in its own task.
    async fn serve_http<S>(
        self,
        http: http1::Builder,
        stream: Tracked<S>,
        addr: SocketAddr,
        pending: PendingSlot,
        via: Via,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let subnet = stream.slot.subnet();
        let io = TokioIo::new(stream);
        let router = self.router;
        let answered = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&answered);
        let service = service_fn(move |mut request: Request<Incoming>| {
            seen.store(true, Ordering::Relaxed);
            // Handlers read the client's address from here, as with axum's own server.
            request.extensions_mut().insert(ConnectInfo(addr));
            request.extensions_mut().insert(via);
            router.clone().call(request)
        });
        let conn = http.serve_connection(io, service).with_upgrades();
        tokio::pin!(conn);
        let result = tokio::select! {
            result = conn.as_mut() => result,
            () = pending.evicted.cancelled() => {
                self.log.refused(subnet, "handshake still pending when newer connections needed room");
                return;
            }
            () = self.shutdown.cancelled() => {
                conn.as_mut().graceful_shutdown();
                match tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await {
                    Ok(result) => result,
                    Err(_) => return,
                }
            }
        };
        match result {
            // A browser keeps a connection open after its requests; closing it is routine.
            Err(err) if err.is_timeout() && answered.load(Ordering::Relaxed) => {
                tracing::debug!(%addr, "closed an idle kept-alive connection");
            }
            Err(err) if err.is_timeout() => {
                self.log
                    .refused(subnet, "no complete request within the header timeout");
            }
            Err(err) => tracing::debug!(%addr, "HTTP connection ended: {err}"),
            Ok(()) => {}
        }
    }
}

/// A TCP stream that holds its place in the gate's counts until it is closed, through an upgrade
/// to a WebSocket and for as long as that lives.
struct Tracked<S> {
    stream: S,
    /// Released when the socket closes.
    slot: AddressSlot,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
