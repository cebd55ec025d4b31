//! The HTTP side: binding, routes (`/ws`, `/ws/{room}`, `/healthz`, static UI) and shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade},
        ConnectInfo, Path, Query, State,
    },
    http::{
        header::{CACHE_CONTROL, CONTENT_TYPE},
        StatusCode,
    },
    response::{IntoResponse, Response},
    routing::get,
    Extension, Router,
};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    admission::Admission,
    config::Config,
    connection::{self, Shared},
    error::{Error, Result},
    fd_limit,
    gate::{Gate, GateLimits},
    listener::{Acceptor, Via},
    occupancy::Occupancy,
    protocol,
    refusal_log::RefusalLog,
    static_ui,
};

/// How long `serve` waits for connections to finish their closing handshake on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Read buffer per connection, and the most read at once: an ICE candidate (about 320 bytes)
/// arrives in one read, a description in a few, and an idle connection costs little
/// (measured per idle connection: 14.2 KiB with 8 KiB, 6.5 with 1 KiB, 5.9-6.1 with 512 bytes).
const READ_BUFFER_BYTES: usize = 512;

/// Bytes gathered before the WebSocket layer writes to the socket (flushes write at once).
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// A bound, not yet serving, signaling relay.
#[derive(Debug)]
pub struct Relay {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: Config,
    occupancy: Occupancy,
}

/// Router state: the shared relay state plus the tracker of live sockets.
#[derive(Clone)]
struct AppState {
    shared: Shared,
    tracker: TaskTracker,
}

/// Query parameters of a WebSocket upgrade.
#[derive(Debug, Deserialize)]
struct JoinQuery {
    name: Option<String>,
    key: Option<String>,
    v: Option<String>,
    resume: Option<String>,
}

impl Relay {
    /// Binds the listening socket (port 0 picks a free port) and checks the config.
    ///
    /// Also raises the process's open-file limit to its hard limit (once per process) and lowers
    /// the connection caps, with a warning in the log, where they would not fit well below it.
    pub async fn bind(addr: SocketAddr, mut config: Config) -> Result<Self> {
        if let Some(path) = &config.ui_dir {
            if !path.is_dir() {
                return Err(Error::UiDir { path: path.clone() });
            }
        }
        let fd_limit = fd_limit::raise();
        let fitted = fd_limit::fit(
            fd_limit,
            config.max_connections,
            config.max_pending_handshakes,
        );
        if let Some(why) = &fitted.lowered {
            tracing::warn!("{why}");
        }
        config.max_connections = fitted.max_connections;
        config.max_pending_handshakes = fitted.max_pending;
        tracing::info!(
            open_file_limit = fd_limit.map_or_else(|| "none".to_owned(), |l| l.to_string()),
            max_connections = config.max_connections,
            max_pending_handshakes = config.max_pending_handshakes,
            max_connections_per_address = config.max_connections_per_address,
            header_timeout_secs = config.header_timeout.as_secs_f64(),
            "connection limits"
        );
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            config,
            occupancy: Occupancy::default(),
        })
    }

    /// The address actually bound, with the real port when port 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The config in force: as given, except caps lowered to fit the open-file limit.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A live view of how many people are in each room, usable while and after it serves.
    pub fn occupancy(&self) -> Occupancy {
        self.occupancy.clone()
    }

    /// Serves until `shutdown` completes, then closes every socket with 1001 and returns.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        let gate = Gate::new(GateLimits {
            pending: self.config.max_pending_handshakes,
            per_address: self.config.max_connections_per_address,
            // Room for every WebSocket the relay admits, plus the handshakes on their way, so
            // that a connection over `max_connections` still hears `relay-full`.
            total: self
                .config
                .max_connections
                .saturating_add(self.config.max_pending_handshakes),
        });
        let header_timeout = self.config.header_timeout;
        let state_tls = self.config.tls.clone();
        // One log for refusals at accept and in the WebSocket, so a guesser cannot flood it.
        let refusals = RefusalLog::default();
        let state = AppState {
            shared: Shared {
                hub: self.occupancy.hub(),
                config: Arc::new(self.config),
                shutdown: token.clone(),
                refusals: refusals.clone(),
            },
            tracker: tracker.clone(),
        };
        let acceptor = Acceptor {
            router: router(state),
            gate,
            log: refusals,
            header_timeout,
            tls: state_tls,
            shutdown: token.clone(),
            tracker: tracker.clone(),
        };
        match &acceptor.tls {
            Some(identity) => tracing::info!(
                addr = %self.local_addr,
                sha256 = %identity.fingerprint(),
                "relay serving, HTTPS and plain HTTP on one port"
            ),
            None => tracing::info!(addr = %self.local_addr, "relay serving"),
        }
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down");
            token.cancel();
        };
        // The accept loop returns once the signal has cancelled the token.
        tokio::join!(acceptor.run(self.listener), signal);
        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        Ok(())
    }
}

fn router(state: AppState) -> Router {
    let ui_dir = state.shared.config.ui_dir.clone();
    let ui_files = state.shared.config.ui_files.clone();
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/certificate", get(certificate))
        .route("/ws", get(join_lobby))
        .route("/ws/{room}", get(join_room))
        .with_state(state);
    match (ui_files, ui_dir) {
        (Some(files), _) => app.fallback_service(static_ui::embedded(files)),
        (None, Some(dir)) => app.fallback_service(static_ui::service(dir)),
        (None, None) => app,
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// The fingerprint of the certificate this very connection was served with, for a page to show
/// next to the one the host shows; plain HTTP connections have none.
async fn certificate(State(state): State<AppState>, Extension(via): Extension<Via>) -> Response {
    match (via, &state.shared.config.tls) {
        (Via::Tls, Some(identity)) => {
            let body = serde_json::json!({ "sha256": identity.fingerprint().grouped() });
            let headers = [
                (CONTENT_TYPE, "application/json"),
                (CACHE_CONTROL, "no-store"),
            ];
            (headers, body.to_string()).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not served over TLS\n").into_response(),
    }
}

async fn join_lobby(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(query): Query<JoinQuery>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade_to_room(
        state,
        addr,
        protocol::DEFAULT_ROOM.to_owned(),
        query,
        upgrade,
    )
}

async fn join_room(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(room): Path<String>,
    Query(query): Query<JoinQuery>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade_to_room(state, addr, room, query, upgrade)
}

/// Validates the request, then hands the upgraded socket to a tracked connection task.
fn upgrade_to_room(
    state: AppState,
    addr: SocketAddr,
    room: String,
    query: JoinQuery,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(why) = protocol::validate_room(&room) {
        return (StatusCode::BAD_REQUEST, why.to_string()).into_response();
    }
    let name = match protocol::clean_name(query.name.as_deref()) {
        Ok(name) => name,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let admission = Admission {
        addr,
        room,
        name,
        key: query.key,
        version: query.v,
        resume: query.resume,
    };
    let cap = state.shared.config.hard_message_cap();
    // Holding a tracker token from here keeps `serve` waiting for this socket on shutdown.
    let token = state.tracker.token();
    let shared = state.shared;
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(cap)
        .max_frame_size(cap)
        .on_upgrade(move |socket| connection::run(socket, shared, admission, token))
}
