#!/usr/bin/env python3
"""The real app's IPC, end to end: drives `tincan` under Xvfb through tauri-driver and
WebKitWebDriver, and from the app's own page invokes the commands and listens to `signal`
events exactly as the UI does (window.__TAURI__), checking what the backend answers.

WebKit grants getUserMedia to any page under automation, so the permission policy itself is
covered by unit tests (src-tauri/src/webview.rs), not here.

    tests/app/ipc.py            # builds the app first; needs tauri-driver, WebKitWebDriver, xvfb-run

Prints "ipc: N passed, N failed" and exits non-zero on any failure.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from driver import APP, ROOT, TARGET, Driver, app_pid, free_port, page_loaded, ready, tauri_driver_binary


class IpcDriver(Driver):
    """The WebDriver client plus the `signal` events the page collected."""

    def events(self):
        return self.run("return window.__ipcTestEvents;")

    def wait_for(self, what, check, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            events = self.events()
            found = [e for e in events if check(e)]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no {what} event; got {json.dumps(events)}")


class RawSocket:
    """Just enough of a WebSocket client (RFC 6455) to join a room and read frames."""

    def __init__(self, port, path):
        import base64

        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("the relay closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"no upgrade: {head!r}")

    def _exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("the connection ended without a close frame")
            data += chunk
        return data

    def frame(self):
        """Returns (opcode, payload) of the next frame from the server (never masked)."""
        first, second = self._exact(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._exact(2), "big")
        elif length == 127:
            length = int.from_bytes(self._exact(8), "big")
        return first & 0x0F, self._exact(length)

    def close_code(self):
        """Reads until the close frame and returns (code, reason)."""
        while True:
            opcode, payload = self.frame()
            if opcode == 8:
                return int.from_bytes(payload[:2], "big"), payload[2:].decode()


def message_of(event, kind):
    if event.get("kind") != "message":
        return False
    try:
        return json.loads(event["text"]).get("type") == kind
    except ValueError:
        return False


def main():
    if not os.environ.get("DISPLAY"):
        # Re-run inside a virtual display.
        os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, *sys.argv])

    subprocess.run(["cargo", "build", "-p", "tincan"], cwd=ROOT, check=True)
    driver_bin = tauri_driver_binary()
    # A fresh profile under target/: WebKit's helpers may still write to it after the test ends.
    profile = os.path.join(TARGET, "app-ipc-profile")
    shutil.rmtree(profile, ignore_errors=True)
    env = dict(
        os.environ,
        WEBKIT_DISABLE_COMPOSITING_MODE="1",
        # Outside a network namespace: no mDNS onto the machine's real LAN.
        TINCAN_NO_DISCOVERY="1",
        XDG_DATA_HOME=os.path.join(profile, "data"),
        XDG_CONFIG_HOME=os.path.join(profile, "config"),
        XDG_CACHE_HOME=os.path.join(profile, "cache"),
    )
    port, native_port = free_port(), free_port()
    server = subprocess.Popen(
        [driver_bin, "--port", str(port), "--native-port", str(native_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    driver = IpcDriver(port)
    passed, failed = 0, 0

    def check(name, test):
        nonlocal passed, failed
        try:
            test()
            passed += 1
            print(f"ipc: ok: {name}")
        except Exception as error:  # report every failure, then go on
            failed += 1
            print(f"ipc: FAIL: {name}: {error}")

    try:
        # tauri-driver listens at once; its WebKitWebDriver behind it takes a moment longer.
        deadline = time.time() + 20
        while not ready(driver):
            if time.time() > deadline:
                raise RuntimeError("tauri-driver did not become ready within 20 s")
            time.sleep(0.3)
        driver.start(APP)
        # Let the page finish loading before scripts run in it.
        deadline = time.time() + 20
        while not page_loaded(driver):
            if time.time() > deadline:
                raise RuntimeError("the app's page did not load within 20 s")
            time.sleep(0.2)
        driver.run(
            "window.__ipcTestEvents = [];"
            "await window.__TAURI__.event.listen('signal', e => window.__ipcTestEvents.push(e.payload));"
        )
        state = {}

        def app_info():
            info = driver.invoke("app_info")
            assert {k: info[k] for k in ("version", "platform")} == {"version": "0.1.0", "platform": "linux"}, info
            # The system locale, for the page's language: none under the C locale.
            assert info["locale"] is None or isinstance(info["locale"], str), info

        def launch_options():
            options = driver.invoke("launch_options")
            assert options["host"] is False and options["testTone"] is False, options

        def host():
            info = driver.invoke("host_room", {"name": "Ann", "port": 0, "key": None, "room": None})
            assert info["room"] == "lobby" and info["port"] > 0, info
            assert all(a.endswith(f":{info['port']}") for a in info["addresses"]), info
            state["port"] = info["port"]

        def join():
            driver.invoke("join_room", {"address": f"127.0.0.1:{state['port']}", "room": None, "name": "Ann", "key": None})
            driver.wait_for("open", lambda e: e["kind"] == "open")
            welcome = driver.wait_for("welcome", lambda e: message_of(e, "welcome"))
            assert json.loads(welcome["text"])["room"] == "lobby", welcome

        def send():
            # Nobody else is in the room, so the relay answers with an unknown-peer error.
            driver.invoke("send_signal", {"text": json.dumps({"type": "offer", "to": "nobody", "sdp": "x"})})
            error = driver.wait_for("error", lambda e: message_of(e, "error"))
            assert json.loads(error["text"])["code"] == "unknown-peer", error

        def bad_address():
            error = driver.invoke_error("join_room", {"address": "10.0.0.5:99999", "name": "Ann"})
            assert "the port must be a number from 1 to 65535" in error, error

        def stop():
            driver.invoke("stop_hosting")
            closed = driver.wait_for("closed", lambda e: e["kind"] == "closed")
            assert closed["code"] == 1001 and closed["reason"] == "host ended the call", closed

        def unreachable():
            dead = free_port()
            started = time.time()
            error = driver.invoke_error("join_room", {"address": f"127.0.0.1:{dead}", "name": "Ann"})
            assert time.time() - started < 5, "took too long"
            want = f"Could not reach 127.0.0.1:{dead} (tried ws://127.0.0.1:{dead}/ws/lobby): connection refused"
            assert want in error, error

        def csp():
            # The relay is listening, so a failure here is the page's CSP, not a refused port.
            inline_ran, socket_state, fetched, violated = driver.run(
                "const port = args[0]; const violated = [];"
                "document.addEventListener('securitypolicyviolation', e => violated.push(e.effectiveDirective));"
                "window.__inlineRan = false;"
                "const s = document.createElement('script');"
                "s.textContent = 'window.__inlineRan = true';"
                "document.head.appendChild(s);"
                "let state = 'pending';"
                "try {"
                "  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);"
                "  ws.onopen = () => { state = 'open'; ws.close(); }; ws.onerror = () => { state = 'error'; };"
                "} catch (e) { state = 'thrown'; }"
                "let fetched;"
                "try { await fetch(`http://127.0.0.1:${port}/healthz`); fetched = 'ok'; } catch (e) { fetched = e.name; }"
                "await new Promise(r => setTimeout(r, 500));"
                "return [window.__inlineRan, state, fetched, violated];",
                state["port"],
            )
            assert inline_ran is False, "an inline script ran"
            assert any(d.startswith("script-src") for d in violated), violated
            assert socket_state in ("error", "thrown"), socket_state
            assert fetched == "TypeError" and "connect-src" in violated, (fetched, violated)

        def media_capture():
            got = driver.run(
                "return [typeof navigator.mediaDevices?.getUserMedia, window.isSecureContext, location.origin];"
            )
            assert got == ["function", True, "tauri://localhost"], got

        check("app_info answers from the page", app_info)
        check("launch_options answers from the page", launch_options)
        check("host_room starts the relay", host)
        check("join_room opens and the page hears open and welcome", join)
        check("send_signal reaches the relay and its answer reaches the page", send)
        check("the page's CSP blocks inline scripts and its own connections to the relay", csp)
        check("a bad address is refused in plain words", bad_address)
        check("stop_hosting closes the page's socket with 1001", stop)
        check("joining nothing fails fast naming the URL tried", unreachable)

        check("the page is a secure context with media capture", media_capture)

        # On Linux, Tauri's app log folder is under XDG_DATA_HOME, here the test's own.
        log_dir = os.path.join(env["XDG_DATA_HOME"], "org.tincan.app", "logs")

        def log_file():
            path = os.path.join(log_dir, "tincan.log")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            assert "tincan started" in text, text[-2000:]
            # The embedded relay's line for the page's own join above, at the default level.
            joined = [line for line in text.splitlines() if "tincan_relay" in line and "joined" in line]
            assert any("name=Ann" in line and "room=lobby" in line for line in joined), text[-2000:]

        def open_log_folder():
            # No file manager may be installed here: the command answers either way, soon.
            started = time.time()
            error = driver.invoke_error("open_log_folder")
            took = time.time() - started
            assert took < 8, f"took {took:.1f} s"
            assert error is None or error.startswith(f"Cannot open the log folder {log_dir}: "), error
            assert os.path.isdir(log_dir), log_dir
            print(f"ipc: open_log_folder answered in {took:.1f} s: {error or 'opened'}")

        def settings_link():
            driver.click("#open-settings")
            shown = driver.run(
                "const b = document.getElementById('open-log-folder');"
                "return [!document.getElementById('log-folder-field').hidden, b.getClientRects().length > 0, b.textContent];"
            )
            assert shown == [True, True, "Open the log folder"], shown
            # The button sits at the dialog's end; the shot should show it.
            driver.run("document.getElementById('open-log-folder').scrollIntoView({ block: 'center' });")
            time.sleep(0.5)
            shots = os.environ.get("TINCAN_SHOTS", os.path.join(ROOT, "artifacts", "app-shots"))
            os.makedirs(shots, exist_ok=True)
            subprocess.run(["import", "-window", "root", os.path.join(shots, "settings-log-folder.png")], check=True)
            driver.click("#settings-cancel")

        check("the log file holds the start and the relay's line for a join", log_file)
        check("open_log_folder is granted and answers within seconds", open_log_folder)
        check("Settings shows the log folder button in the app", settings_link)

        def engine_plugin():
            # The native engine's commands are the `engine` plugin's, granted to this page on Linux.
            error = driver.invoke_error("plugin:engine|devices")
            assert error == "The native audio engine is not running", error
            for gone in ("engine_devices", "plugin:engine|status"):
                refused = driver.invoke_error(gone)
                assert refused and "not allowed" in refused, (gone, refused)

        check("the engine plugin answers the page; old and unused engine commands are refused", engine_plugin)

        def quit_ends_the_call():
            info = driver.invoke("host_room", {"name": "Ann", "port": 0})
            peer = RawSocket(info["port"], "/ws/lobby?name=Bo&v=1")
            opcode, welcome = peer.frame()
            assert opcode == 1 and json.loads(welcome)["type"] == "welcome", welcome
            # Logging out or `kill` sends SIGTERM; the app quits as if its window were closed.
            os.kill(app_pid(server.pid), signal.SIGTERM)
            code, reason = peer.close_code()
            assert (code, reason) == (1001, "host ended the call"), (code, reason)

        # Last: the app is gone afterwards.
        check("quitting while hosting ends the call for everyone with 1001", quit_ends_the_call)
    except Exception as error:
        failed += 1
        print(f"ipc: FAIL: could not drive the app: {error!r}")
    finally:
        driver.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(profile, ignore_errors=True)

    print(f"ipc: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
