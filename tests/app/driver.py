"""Shared pieces of the app tests that drive the real `tincan` through tauri-driver and
WebKitWebDriver: a minimal W3C WebDriver client, a tauri-driver process per app, and process
lookups. Standard library only."""

import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
APP = os.path.join(TARGET, "debug", "tincan")

# The W3C name of a found element's id.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tauri_driver_binary():
    return shutil.which("tauri-driver") or os.path.expanduser("~/.cargo/bin/tauri-driver")


class Driver:
    """A minimal W3C WebDriver client for one session."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        attempts = 3
        for attempt in range(attempts):
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return json.load(response)["value"]
            except urllib.error.HTTPError as error:
                raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode()}") from None
            except http.client.RemoteDisconnected:
                # Under load tauri-driver now and then closes the connection without an answer,
                # before passing the request on; a retry gets through.
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)

    def start(self, application, args=(), attempts=3):
        options = {"application": application}
        if args:
            options["args"] = list(args)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": options}}}
        for attempt in range(attempts):
            try:
                self.session = self.call("POST", "/session", caps, timeout=120)["sessionId"]
                return
            except ConnectionError:
                # On a loaded machine WebKitWebDriver sometimes drops the first request while
                # the app starts; a new session is safe to ask for again.
                if attempt == attempts - 1:
                    raise
                time.sleep(2)

    def run(self, script, *args):
        """Runs an async function body in the page; it resolves with `done(value)`."""
        wrapped = (
            "const done = arguments[arguments.length - 1];"
            f"(async (...args) => {{ {script} }})(...Array.from(arguments).slice(0, -1))"
            ".then(v => done({ok: v}), e => done({err: String(e && e.message || e)}));"
        )
        result = self.call("POST", f"/session/{self.session}/execute/async", {"script": wrapped, "args": list(args)})
        if "err" in result:
            raise RuntimeError(result["err"])
        return result.get("ok")

    def invoke(self, command, args=None):
        return self.run("return await window.__TAURI__.core.invoke(args[0], args[1]);", command, args or {})

    def invoke_error(self, command, args=None):
        """The English message of a command's error ({ code, message, params })."""
        return self.run(
            "try { await window.__TAURI__.core.invoke(args[0], args[1]); return null; }"
            " catch (e) { return typeof e?.message === 'string' ? e.message : String(e); }",
            command,
            args or {},
        )

    def find(self, css):
        """The id of the first element matching `css`."""
        found = self.call("POST", f"/session/{self.session}/element", {"using": "css selector", "value": css})
        return found[ELEMENT]

    def click(self, css):
        self.call("POST", f"/session/{self.session}/element/{self.find(css)}/click", {})

    def text(self, css):
        """The element's rendered text, as the user sees it."""
        return self.call("GET", f"/session/{self.session}/element/{self.find(css)}/text")

    def press(self, key):
        """Presses and releases one key on whatever has the focus, like a user would."""
        actions = {
            "actions": [
                {
                    "type": "key",
                    "id": "keyboard",
                    "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}],
                }
            ]
        }
        self.call("POST", f"/session/{self.session}/actions", actions)
        self.call("DELETE", f"/session/{self.session}/actions")

    def refresh(self):
        """Reloads the page, as the webview's Reload would; returns once the new page loaded."""
        self.call("POST", f"/session/{self.session}/refresh", {}, timeout=120)

    def screenshot(self):
        """A PNG of the window's page."""
        return base64.b64decode(self.call("GET", f"/session/{self.session}/screenshot"))

    def stop(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=10)
            except Exception:
                pass
            self.session = None


def ready(driver):
    try:
        return bool(driver.call("GET", "/status", timeout=2).get("ready"))
    except Exception:
        return False


def page_loaded(driver):
    try:
        return driver.run("return document.readyState === 'complete' && !!window.__TAURI__;")
    except ConnectionError:
        return False


class TauriDriver:
    """One tauri-driver (and the WebKitWebDriver behind it) on free ports; it starts one app."""

    def __init__(self, env, log=None):
        port, native_port = free_port(), free_port()
        out = open(log, "wb") if log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [tauri_driver_binary(), "--port", str(port), "--native-port", str(native_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        )
        if log:
            out.close()
        self.driver = Driver(port)

    def wait_ready(self, timeout=30):
        # tauri-driver listens at once; its WebKitWebDriver behind it takes a moment longer.
        deadline = time.time() + timeout
        while not ready(self.driver):
            if self.process.poll() is not None:
                raise RuntimeError(f"tauri-driver exited with status {self.process.returncode}")
            if time.time() > deadline:
                raise RuntimeError(f"tauri-driver did not become ready within {timeout} s")
            time.sleep(0.3)

    def launch(self, application=APP, args=(), timeout=60):
        """Starts the app in a new session and waits until its page has loaded."""
        self.driver.start(application, args)
        deadline = time.time() + timeout
        while not page_loaded(self.driver):
            if time.time() > deadline:
                raise RuntimeError(f"the app's page did not load within {timeout} s")
            time.sleep(0.2)

    def app_pid(self, application=APP):
        return app_pid(self.process.pid, application)

    def stop(self):
        self.driver.stop()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def descendants(pid):
    """Every process below `pid`."""
    found, children = [], []
    try:
        # Any thread may have started a child, so read every thread's list.
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children.extend(int(c) for c in f.read().split())
    except OSError:
        return found
    for child in children:
        found.append(child)
        found.extend(descendants(child))
    return found


def app_pid(driver_pid, application=APP):
    """The app process that the tauri-driver with pid `driver_pid` started."""
    for pid in descendants(driver_pid):
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(application):
                return pid
        except OSError:
            pass
    raise RuntimeError("the app process was not found")
