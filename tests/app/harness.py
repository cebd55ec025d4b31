"""What the tests of the real app share: a virtual display, a profile of its own per app, waiting
for what a person would see, and reading the page through the hooks the UI tests use."""

import os
import shutil
import subprocess
import time

from driver import ROOT

# The address scripts/netns-run.sh gives the test namespace.
NETNS_ADDR = "10.99.0.1"
TIMEOUT = float(os.environ.get("TINCAN_CALL_TIMEOUT", "30"))
SHOTS = os.path.join(ROOT, os.environ.get("TINCAN_SHOTS", os.path.join("artifacts", "app-shots")))


class Abort(Exception):
    """A step the rest depend on failed."""


def in_namespace():
    out = subprocess.run(["ip", "-br", "addr"], capture_output=True, text=True).stdout
    return f" {NETNS_ADDR}/" in out


def start_xvfb():
    """A virtual display of our own; returns (process, DISPLAY)."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            raise RuntimeError("Xvfb did not start")
        number += chunk
    os.close(read)
    return xvfb, ":" + number.decode().strip()


def profile_env(base, display):
    """A home and XDG dirs of its own, so saved names, recent hosts and WebKit data never mix."""
    shutil.rmtree(base, ignore_errors=True)
    dirs = {name: os.path.join(base, name) for name in ("home", "data", "config", "cache")}
    for path in dirs.values():
        os.makedirs(path, exist_ok=True)
    return dict(
        os.environ,
        DISPLAY=display,
        HOME=dirs["home"],
        XDG_DATA_HOME=dirs["data"],
        XDG_CONFIG_HOME=dirs["config"],
        XDG_CACHE_HOME=dirs["cache"],
        # WebKit's GPU compositing needs a GL the virtual display lacks; software is enough.
        WEBKIT_DISABLE_COMPOSITING_MODE="1",
        LIBGL_ALWAYS_SOFTWARE="1",
        NO_AT_BRIDGE="1",
    )


def wait_until(what, probe, timeout=TIMEOUT, every=0.25):
    """Polls `probe` until it returns a truthy value; it may raise AssertionError meanwhile,
    whose message is reported if time runs out."""
    deadline = time.time() + timeout
    last = "never checked"
    while True:
        try:
            got = probe()
            if got:
                return got
            last = repr(got)
        except AssertionError as error:
            last = str(error)
        if time.time() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s: {last}")
        time.sleep(every)


# What the page shows and knows, through the same hooks the UI tests use.

TILES = (
    "return [...document.querySelectorAll('#participants > li')].map(li => ({"
    " name: li.querySelector('.p-name').textContent,"
    " state: li.querySelector('.p-state').textContent,"
    " self: li.classList.contains('self') }));"
)


def state(d):
    return d.run("return window.tincan.state();")


def stats(d):
    return d.run("return await window.tincan.stats();")


def tiles(d):
    return d.run(TILES)


def others(d):
    """The other participants' tiles on the call screen, as {name: state text}."""
    if d.run("return document.getElementById('call-screen').hidden;"):
        raise AssertionError("the call screen is not shown")
    return {t["name"]: t["state"] for t in tiles(d) if not t["self"]}


def shows(d, expected):
    shown = others(d)
    if shown != expected:
        raise AssertionError(f"the participant list shows {shown}, expected {expected}")
    return True


def shows_connected(d, name):
    shown = others(d)
    if shown != {name: "Connected"}:
        raise AssertionError(f"the participant list shows {shown}, expected {{{name!r}: 'Connected'}}")
    peers = state(d)["peers"]
    if [p["connectionState"] for p in peers] != ["connected"]:
        raise AssertionError(f"the call's peers are {[(p['name'], p['connectionState']) for p in peers]}")
    return True


def in_call(d):
    s = state(d)
    if s["screen"] != "call" or s["callState"] != "in-call":
        raise AssertionError(f"screen {s['screen']!r}, call {s['callState']!r}, banner {s['banner']!r}")
    return s
