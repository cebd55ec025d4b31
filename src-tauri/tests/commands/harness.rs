//! A mock app built from the real config and capabilities, driven through IPC like the page
//! drives it, with every `signal` event captured.

use std::{
    net::{Ipv4Addr, TcpListener as StdListener},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use serde_json::Value;
use tauri::{
    ipc::{CallbackFn, InvokeBody},
    test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY},
    webview::InvokeRequest,
    App, Listener, WebviewUrl, WebviewWindow, WebviewWindowBuilder,
};
use tokio_tungstenite::{connect_async, tungstenite::Message};

/// A mock app with its main window and every `signal` event it was sent.
pub struct Harness {
    app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Harness {
    pub fn new() -> Self {
        let app = tincan_lib::app(mock_builder())
            // The real config and capabilities, so the page's permissions are checked too.
            .build(tauri::generate_context!())
            .expect("mock app builds");
        let window =
            WebviewWindowBuilder::new(&app, tincan_lib::MAIN_WINDOW, WebviewUrl::default())
                .build()
                .expect("main window");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        app.listen_any(tincan_lib::SIGNAL_EVENT, move |event| {
            let payload: Value = serde_json::from_str(event.payload()).expect("JSON payload");
            sink.lock().unwrap().push(payload);
        });
        Self {
            app,
            window,
            events,
        }
    }

    /// Invokes a command as the webview would, blocking until it answers.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_from(&self.window, "tauri://localhost", cmd, args)
    }

    /// Opens another window of the same app.
    pub fn other_window(&self, label: &str) -> WebviewWindow<MockRuntime> {
        WebviewWindowBuilder::new(&self.app, label, WebviewUrl::default())
            .build()
            .expect("window")
    }

    pub fn host(&self, args: Value) -> Value {
        self.invoke("host_room", args).expect("hosting starts")
    }

    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    pub fn kinds(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Waits until some event satisfies `check`, and returns it.
    pub fn wait_for(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(found) = self.events().into_iter().find(|e| check(e)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} event; got {:#?}",
                self.events()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for_message(&self, kind: &str) -> Value {
        let event = self.wait_for(kind, |e| {
            e["kind"] == "message" && message_type(&e["text"]).as_deref() == Some(kind)
        });
        serde_json::from_str(event["text"].as_str().unwrap()).unwrap()
    }
}

fn message_type(text: &Value) -> Option<String> {
    let value: Value = serde_json::from_str(text.as_str()?).ok()?;
    Some(value["type"].as_str()?.to_owned())
}

/// A port on loopback that nothing listens on.
pub fn dead_port() -> u16 {
    StdListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects a plain WebSocket client and returns it with its `welcome`.
pub async fn client(
    url: &str,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Value,
) {
    let (mut socket, _) = connect_async(url).await.expect("client connects");
    let welcome = next_json(&mut socket).await;
    (socket, welcome)
}

pub async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame ok");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Invokes a command from `window` as a page at `origin` would, blocking until it answers.
pub fn invoke_from(
    window: &WebviewWindow<MockRuntime>,
    origin: &str,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: origin.parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
}
