"""The call's parts: the relay, a virtual display, and the two kinds of peer (the real app and a
Chromium page), each bound to its own PulseAudio server."""

import json
import os
import re
import shutil
import subprocess
import threading
import time

from procs import exit_code, spawn, stop, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
RELAY = os.path.join(TARGET, "release", "tincan-relay")
APP = os.environ.get("TINCAN_BENCH_APP", os.path.join(TARGET, "release", "tincan"))
NETNS_ADDR = "10.99.0.1"


class Relay:
    """`tincan-relay --listen 10.99.0.1:0 --ui ui`; knows the port it got."""

    def __init__(self, workdir):
        self.log = os.path.join(workdir, "relay.log")
        self.proc = spawn([RELAY, "--listen", f"{NETNS_ADDR}:0", "--ui", "ui"], cwd=ROOT, stdout=subprocess.PIPE, log=self.log)
        first = _read_line(self.proc, 10, "the relay's first line")
        match = re.fullmatch(r"listening on ws://(.+):(\d+)/ws", first.strip())
        if not match:
            stop(self.proc)
            raise RuntimeError(f"unexpected first line from the relay: {first!r}")
        self.port = int(match.group(2))
        self.address = f"{NETNS_ADDR}:{self.port}"
        # Keep reading so the relay never blocks on a full pipe.
        threading.Thread(target=lambda: self.proc.stdout.read(), daemon=True).start()

    def stop(self):
        stop(self.proc)


def _read_line(proc, timeout, what):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("line", proc.stdout.readline().decode()), daemon=True)
    thread.start()
    thread.join(timeout)
    if "line" not in box:
        raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
    if not box["line"]:
        raise RuntimeError(f"waiting for {what}: the process ended (exit code {exit_code(proc)})")
    return box["line"]


class Display:
    """A private Xvfb display."""

    def __init__(self):
        read, write = os.pipe()
        self.proc = spawn(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"], pass_fds=(write,))
        os.close(write)
        number = b""
        deadline = time.monotonic() + 15
        os.set_blocking(read, False)
        while not number.endswith(b"\n"):
            if time.monotonic() > deadline or exit_code(self.proc) is not None:
                os.close(read)
                raise RuntimeError("Xvfb did not report its display number within 15 s")
            try:
                chunk = os.read(read, 16)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            if not chunk:
                break
            number += chunk
        os.close(read)
        self.name = ":" + number.decode().strip()

    def stop(self):
        stop(self.proc)


class Peer:
    """What both kinds share: a name, a PulseAudio server, a process and its log."""

    kind = "?"

    def __init__(self, name, pulse, workdir):
        self.name = name
        self.pulse = pulse
        self.log = os.path.join(workdir, f"{self.kind}-{name}.log")
        self.proc = None
        self.started = None

    def capturing(self):
        """True once the peer records from its microphone, i.e. it is in the call."""
        return bool(self.pulse.clients_using("source-outputs"))

    def playing(self):
        return bool(self.pulse.clients_using("sink-inputs"))

    def wait_in_call(self, timeout=40):
        self._explained(lambda: wait_until(
            f"{self.kind} peer {self.name} to open its microphone (a recording stream on its PulseAudio server)",
            self.capturing, timeout=timeout, every=0.1, proc=self.proc,
        ))  # fmt: skip

    def _explained(self, step):
        """Runs `step`; a failure carries the end of the peer's log."""
        try:
            return step()
        except RuntimeError as error:
            tail = self.log_tail().strip()
            raise RuntimeError(f"{error}\n   {self.log} ends:\n{tail}" if tail else str(error)) from None

    def alive(self):
        return self.proc is not None and exit_code(self.proc) is None

    def stop(self):
        stop(self.proc)

    def log_tail(self, lines=15):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class AppPeer(Peer):
    kind = "app"

    def __init__(self, name, pulse, workdir, relay, display, low_latency=False):
        super().__init__(name, pulse, workdir)
        base = os.path.join(workdir, f"profile-{name}")
        shutil.rmtree(base, ignore_errors=True)
        dirs = {d: os.path.join(base, d) for d in ("home", "data", "config", "cache", "runtime")}
        for path in dirs.values():
            os.makedirs(path, mode=0o700, exist_ok=True)
        env = dict(
            os.environ,
            DISPLAY=display,
            HOME=dirs["home"],
            XDG_DATA_HOME=dirs["data"],
            XDG_CONFIG_HOME=dirs["config"],
            XDG_CACHE_HOME=dirs["cache"],
            XDG_RUNTIME_DIR=dirs["runtime"],
            # WebKit's GPU compositing needs a GL the virtual display lacks; software is enough.
            WEBKIT_DISABLE_COMPOSITING_MODE="1",
            LIBGL_ALWAYS_SOFTWARE="1",
            NO_AT_BRIDGE="1",
            **pulse.env(),
        )
        args = [APP, "--join", relay.address, "--name", name]
        if low_latency:
            args.append("--low-latency")
        if shutil.which("dbus-run-session"):
            # A session bus of its own, so nothing is shared with another peer or the desktop.
            args = ["dbus-run-session", "--", *args]
        self.started = time.monotonic()
        self.proc = spawn(args, env=env, log=self.log)


class ChromiumPeer(Peer):
    kind = "chromium"

    def __init__(self, name, pulse, workdir, relay, display, low_latency=False):
        super().__init__(name, pulse, workdir)
        url = f"http://{relay.address}/?name={name}&join=1"
        if low_latency:
            url += "&low-latency=1"
        env = dict(os.environ, DISPLAY=display, **pulse.env())
        # Chromium keeps its profile and caches under HOME; give each peer its own.
        env["HOME"] = os.path.join(workdir, f"chromium-home-{name}")
        shutil.rmtree(env["HOME"], ignore_errors=True)
        os.makedirs(env["HOME"])
        self.events = []
        self.started = time.monotonic()
        self.proc = spawn(["node", os.path.join(HERE, "chromium_peer.mjs"), url], env=env, cwd=ROOT, stdout=subprocess.PIPE, log=self.log)
        threading.Thread(target=self._read_events, daemon=True).start()

    def _read_events(self):
        for line in self.proc.stdout:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                continue

    def log_tail(self, lines=15):
        errors = [e["message"] for e in self.events if e["event"] == "error"]
        return "".join(f"error: {m}\n" for m in errors) + super().log_tail(lines)

    def event(self, name):
        for e in self.events:
            if e["event"] == "error":
                raise RuntimeError(f"chromium peer {self.name}: {e['message']}")
            if e["event"] == name:
                return e
        return None

    def wait_in_call(self, timeout=40):
        self._explained(lambda: wait_until(
            f"chromium peer {self.name}'s page to load and join", lambda: self.event("in-call"), timeout=timeout, proc=self.proc,
        ))  # fmt: skip
        super().wait_in_call(timeout)


PEERS = {"app": AppPeer, "chromium": ChromiumPeer}
