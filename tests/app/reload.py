#!/usr/bin/env python3
"""A page reload in the middle of a call, in two real apps that record from real microphones:
each app has a private PulseAudio server of its own, so `pactl list source-outputs` on that server
tells from outside whether the app has its microphone open.

Checks that a reload ends the call the old page had: the others see this person leave (or, when
the host reloads, read "The host ended the call."), no recording stream stays open, and the new
page waits at the home screen, from where Join and Host work again (same port, new peer id).

    scripts/netns-run.sh tests/app/reload.py    # re-runs itself in a namespace if started outside one
    TINCAN_SHOTS=dir tests/app/reload.py        # where logs go on failure (default artifacts/app-shots)

Needs tauri-driver, WebKitWebDriver, Xvfb, PulseAudio (pulseaudio, pactl) and root (for the
namespace). Prints how long each step took, then "reload: N passed, N failed".
"""

import os
import shutil
import signal
import subprocess
import sys
import time

from harness import NETNS_ADDR, SHOTS, TIMEOUT, Abort, in_call, in_namespace, profile_env, shows
from harness import shows_connected, start_xvfb, state, wait_until
from driver import APP, ROOT, TARGET, TauriDriver, descendants
from pulse import Pulse

BINARY = os.path.basename(APP)
PORT = 47800
# How long a reloaded page is watched for a call it should not start on its own.
QUIET = 2.0


def capturing(pulse):
    streams = pulse.captures_of(BINARY)
    if not streams:
        raise AssertionError("the app has no recording stream open")
    return streams


def not_capturing(pulse):
    streams = pulse.captures_of(BINARY)
    if streams:
        names = [s.get("media.name", "?") for s in streams]
        raise AssertionError(f"the app still records: {len(streams)} stream(s) {names}")
    return True


def page_ready(d):
    """The reloaded page has run its start-up script (WebDriver's Refresh may return before)."""
    try:
        return d.run("return document.readyState === 'complete' && typeof window.tincan?.state === 'function';")
    except RuntimeError as error:
        raise AssertionError(f"the page cannot be asked yet: {error}") from None


def at_home(d):
    s = state(d)
    if s["screen"] != "home" or s["callState"] is not None:
        raise AssertionError(f"screen {s['screen']!r}, call {s['callState']!r}")
    return s


def main():
    if os.environ.get("TINCAN_CALL_BUILT") != "1":
        subprocess.run(["cargo", "build", "-p", "tincan"], cwd=ROOT, check=True)
    if not in_namespace():
        os.environ["TINCAN_CALL_BUILT"] = "1"
        script = os.path.join(ROOT, "scripts", "netns-run.sh")
        os.execv(script, [script, sys.executable, os.path.abspath(__file__), *sys.argv[1:]])

    os.makedirs(SHOTS, exist_ok=True)
    base = os.path.join(TARGET, "app-reload-profile")
    passed, failed = 0, 0
    xvfb = None
    drivers, pulses = {}, {}
    started = time.time()

    def check(name, test, critical=False):
        nonlocal passed, failed
        try:
            test()
            passed += 1
            print(f"reload: ok: {name}", flush=True)
        except Exception as error:
            failed += 1
            print(f"reload: FAIL: {name}: {error}", flush=True)
            if critical:
                raise Abort(name) from None

    try:
        xvfb, display = start_xvfb()
        for role in ("host", "guest"):
            pulses[role] = Pulse(os.path.join(base, f"pulse-{role}"))
            env = dict(profile_env(os.path.join(base, role), display), **pulses[role].env())
            drivers[role] = TauriDriver(env, log=os.path.join(SHOTS, f"reload-{role}.log"))
        for server in drivers.values():
            server.wait_ready()
        host, guest = drivers["host"].driver, drivers["guest"].driver
        address = f"{NETNS_ADDR}:{PORT}"

        def call_starts():
            drivers["host"].launch(args=["--host", "--port", str(PORT), "--name", "Host"])
            wait_until("the host's call screen", lambda: in_call(host))
            wait_until("the host records from its microphone", lambda: capturing(pulses["host"]))
            drivers["guest"].launch(args=["--join", address, "--name", "Guest"])
            wait_until("the host shows Guest connected", lambda: shows_connected(host, "Guest"))
            wait_until("the guest shows Host connected", lambda: shows_connected(guest, "Host"))
            wait_until("the guest records from its microphone", lambda: capturing(pulses["guest"]))

        check("two apps in a call, each recording from its own microphone", call_starts, critical=True)
        first_id = state(guest)["selfId"]

        def guest_reloads():
            t0 = time.time()
            guest.refresh()
            wait_until("the host's list without Guest", lambda: shows(host, {}))
            gone = time.time() - t0
            wait_until("the guest's microphone closed", lambda: not_capturing(pulses["guest"]))
            closed = time.time() - t0
            print(f"reload:   guest reloads -> host sees it leave {gone:.2f} s, its microphone closed {closed:.2f} s")
            wait_until("the reloaded guest page to start", lambda: page_ready(guest))
            s = wait_until("the reloaded guest page at home", lambda: at_home(guest))
            assert s["peers"] == [], s
            # The new page neither rejoins nor opens the microphone by itself.
            time.sleep(QUIET)
            at_home(guest)
            not_capturing(pulses["guest"])
            shown = guest.run("return document.getElementById('join-address').value;")
            assert shown == address, f"the join form offers {shown!r}"
            assert state(host)["peers"] == [], state(host)["peers"]
            capturing(pulses["host"])

        check("the guest reloads: the host sees it leave, its microphone closes, it waits at home", guest_reloads)

        def guest_rejoins():
            guest.click("#join-button")
            wait_until("the host shows Guest connected again", lambda: shows_connected(host, "Guest"))
            wait_until("the guest shows Host connected again", lambda: shows_connected(guest, "Host"))
            wait_until("the guest records again", lambda: capturing(pulses["guest"]))
            again = state(guest)["selfId"]
            assert again and again != first_id, (first_id, again)

        check("the reloaded guest joins again with the Join button", guest_rejoins)

        def host_reloads():
            t0 = time.time()
            host.refresh()
            wait_until("the guest at home", lambda: at_home(guest))
            ended = time.time() - t0
            banner = guest.text("#banner-text")
            assert banner == "The host ended the call.", f"the guest's banner says {banner!r}"
            wait_until("the host's microphone closed", lambda: not_capturing(pulses["host"]))
            wait_until("the guest's microphone closed", lambda: not_capturing(pulses["guest"]))
            print(f"reload:   host reloads -> guest told the call ended {ended:.2f} s, both microphones closed {time.time() - t0:.2f} s")
            wait_until("the reloaded host page to start", lambda: page_ready(host))
            wait_until("the reloaded host page at home", lambda: at_home(host))
            time.sleep(QUIET)
            at_home(host)
            not_capturing(pulses["host"])

        check("the host reloads: the guest reads that the call ended, both microphones close", host_reloads)

        def host_again():
            host.click("#host-button")
            s = wait_until("the host's call screen again", lambda: in_call(host))
            shared = host.text("#share-address")
            assert shared.endswith(f":{PORT}"), f"hosting again shares {shared!r}, not the port the old relay had"
            assert s["hosting"], s

        check("the reloaded host hosts again on the same port", host_again)
    except Abort as error:
        print(f"reload: the remaining steps need '{error}' and were not run")
    except Exception as error:
        failed += 1
        print(f"reload: FAIL: could not drive the apps: {error!r}")
    finally:
        if failed:
            for role, server in drivers.items():
                try:
                    with open(os.path.join(SHOTS, f"reload-{role}-failed.png"), "wb") as f:
                        f.write(server.driver.screenshot())
                except Exception:
                    pass
                print(f"reload: the {role}'s log: {SHOTS}/reload-{role}.log")
        for server in drivers.values():
            below = descendants(server.process.pid)
            server.stop()
            for pid in below:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for pulse in pulses.values():
            pulse.stop()
        if xvfb:
            xvfb.terminate()
            try:
                xvfb.wait(timeout=10)
            except subprocess.TimeoutExpired:
                xvfb.kill()
        shutil.rmtree(base, ignore_errors=True)

    print(f"reload: took {time.time() - started:.1f} s")
    print(f"reload: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
