//! The HTTP side: binding, routes (`/ws`, `/ws/{room}`, `/healthz`, static UI) and shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade},
        ConnectInfo, Path, Query, State,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    serve::ListenerExt,
    Router,
};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower_http::services::ServeDir;

use crate::{
    config::Config,
    connection::{self, Admission, Shared},
    error::{Error, Result},
    protocol,
    room::Hub,
};

/// How long `serve` waits for connections to finish their closing handshake on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Read buffer per connection: signaling frames are small, so a large buffer would only cost
/// memory on every idle connection.
const READ_BUFFER_BYTES: usize = 8 * 1024;

/// Bytes gathered before the WebSocket layer writes to the socket (flushes write at once).
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// A bound, not yet serving, signaling relay.
#[derive(Debug)]
pub struct Relay {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: Config,
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
}

impl Relay {
    /// Binds the listening socket (port 0 picks a free port) and checks the config.
    pub async fn bind(addr: SocketAddr, config: Config) -> Result<Self> {
        if let Some(path) = &config.ui_dir {
            if !path.is_dir() {
                return Err(Error::UiDir { path: path.clone() });
            }
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            config,
        })
    }

    /// The address actually bound, with the real port when port 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then closes every socket with 1001 and returns.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        let state = AppState {
            shared: Shared {
                hub: Hub::default(),
                config: Arc::new(self.config),
                shutdown: token.clone(),
            },
            tracker: tracker.clone(),
        };
        let app = router(state);
        let listener = self.listener.tap_io(|tcp| {
            // Signaling frames are tiny and latency-sensitive.
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {err}");
            }
        });
        tracing::info!(addr = %self.local_addr, "relay serving");
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down");
            token.cancel();
        };
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
            .await?;
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
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(join_lobby))
        .route("/ws/{room}", get(join_room))
        .with_state(state);
    match ui_dir {
        Some(dir) => app.fallback_service(ServeDir::new(dir)),
        None => app,
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn join_lobby(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(query): Query<JoinQuery>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade_to_room(state, addr, protocol::DEFAULT_ROOM.to_owned(), query, upgrade)
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
        return (StatusCode::BAD_REQUEST, why).into_response();
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
        .on_upgrade(move |socket| async move {
            connection::run(socket, shared, admission).await;
            drop(token);
        })
}
