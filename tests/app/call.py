#!/usr/bin/env python3
"""A real call between two real apps: `tincan --host --test-tone` and `tincan --join ...
--test-tone`, each started and driven by its own tauri-driver (WebKit allows one automation
session per process), each with its own home and profile, on one virtual display, inside a
network namespace so the native engine gets non-loopback addresses.

Checks what a person would: both call screens show the other person as connected, each side
hears the other's test tone (inbound packets rise, the received level is well above silence),
muting one side silences it at the other and unmuting brings it back, leaving drops the guest
from the host's list, and ending the call tells the guest "The host ended the call".

    scripts/netns-run.sh tests/app/call.py     # re-runs itself in a namespace if started outside one
    TINCAN_SHOTS=dir tests/app/call.py         # where call.png goes (default artifacts/app-shots)
    TINCAN_CALL_TIMEOUT=40 tests/app/call.py   # seconds allowed per step (default 30)

Needs tauri-driver, WebKitWebDriver, Xvfb and root (for the namespace). Prints measured times
and round-trip times, then "call: N passed, N failed"; exits non-zero on any failure.
"""

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

from driver import ROOT, TARGET, TauriDriver, descendants
from harness import NETNS_ADDR, SHOTS, TIMEOUT, Abort, in_call, in_namespace, profile_env, shows
from harness import shows_connected, start_xvfb, state, stats, tiles, wait_until

# The test tone is sent at a peak of 0.3 (about -10 dBFS), but echo cancellation, noise
# suppression and gain control on the sending side (each end's canceller also hears the other's
# 440 Hz tone) make what arrives swing between about 0.01 and 0.25, and lower after a mute. Heard
# audio must peak above -40 dBFS and average above -50 dBFS ...
LOUD = 0.01
SOUND = 10 ** (-50 / 20)
# ... and silence stay at or below -60 dBFS, the floor the app's meters use (muted, it is 0).
SILENCE = 0.001
# Seconds of listening per judgement.
WINDOW = 1.5


def one_peer(d):
    got = stats(d)
    if len(got) != 1:
        raise AssertionError(f"expected stats for one peer, got {len(got)}")
    return got[0]


def listen(d, seconds=WINDOW, every=0.25):
    """Stats read every `every` s for `seconds`: the packets that arrived meanwhile, the lowest
    and highest received level read, and the mean received energy (audioLevel squared) over the
    audio measured meanwhile. The level is the latest reading only; the energy covers it all."""
    reads = [one_peer(d)]
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(every)
        reads.append(one_peer(d))
    first, last = reads[0], reads[-1]
    levels = [r["audioLevel"] for r in reads[1:]]
    duration = last["totalSamplesDuration"] - first["totalSamplesDuration"]
    energy = last["totalAudioEnergy"] - first["totalAudioEnergy"]
    return {
        "packets": last["packetsReceived"] - first["packetsReceived"],
        "low": min(levels),
        "high": max(levels),
        "energy": energy / duration if duration > 0 else 0.0,
        "measured": duration,
    }


def describe(heard):
    return (
        f"{heard['packets']} packets in {WINDOW:g} s, level {heard['low']:.4f}..{heard['high']:.4f},"
        f" mean energy {heard['energy']:.6f} over {heard['measured']:.2f} s of audio"
    )


def hears_tone(d):
    heard = listen(d)
    if heard["packets"] < 10:
        raise AssertionError(f"inbound audio packets barely rise: {describe(heard)}")
    if heard["measured"] <= 0:
        raise AssertionError(f"packets arrive but no decoded audio reaches the level meter: {describe(heard)}")
    if heard["high"] <= LOUD or heard["energy"] <= SOUND * SOUND:
        raise AssertionError(f"the received audio is not above silence: {describe(heard)}")
    return heard


def hears_silence(d):
    heard = listen(d)
    if heard["measured"] <= 0:
        raise AssertionError(f"no received audio was measured: {describe(heard)}")
    if heard["high"] > SILENCE or heard["energy"] > SILENCE * SILENCE:
        raise AssertionError(f"the received audio is still above silence: {describe(heard)}")
    return heard


# Timestamps taken inside the host's page, so WebDriver round trips do not blur them.
PROBE = (
    "const probe = window.__callProbe = {firstPacket: null, firstSound: null};"
    "(async () => {"
    "  while (window.__callProbe === probe && probe.firstSound === null) {"
    "    try {"
    "      for (const p of await window.tincan.stats()) {"
    "        if (probe.firstPacket === null && p.packetsReceived > 0) probe.firstPacket = Date.now();"
    "        if (probe.firstSound === null && p.audioLevel > args[0]) probe.firstSound = Date.now();"
    "      }"
    "    } catch (e) { /* a connection closing has no stats */ }"
    "    await new Promise(r => setTimeout(r, 50));"
    "  }"
    "})();"
    "return true;"
)


def quality_shown(d):
    """The other person's quality line, once it shows a round-trip time and a bitrate."""
    # WebKitWebDriver's element text leaves out ellipsised text that the screenshot shows, so
    # read what the page put there.
    text = d.run("return document.querySelector('#participants > li:not(.self) .q-text').textContent;")
    if not re.fullmatch(r"\d+ ms · [\d.]+% loss · \d+ kbps", text):
        raise AssertionError(f"the quality line reads {text!r}")
    return text


def first_sound(d):
    probe = d.run("return window.__callProbe;")
    if not probe or not probe["firstSound"]:
        raise AssertionError(f"the host's page has timed {probe}")
    return probe


def rtt_ms(d):
    rtt = one_peer(d).get("rttMs")
    if rtt is None:
        raise AssertionError("no round-trip time reported yet")
    return rtt


def main():
    if os.environ.get("TINCAN_CALL_BUILT") != "1":
        subprocess.run(["cargo", "build", "-p", "tincan"], cwd=ROOT, check=True)
    if not in_namespace():
        # WebRTC needs non-loopback addresses; the namespace gives them without touching the LAN.
        os.environ["TINCAN_CALL_BUILT"] = "1"
        script = os.path.join(ROOT, "scripts", "netns-run.sh")
        os.execv(script, [script, sys.executable, os.path.abspath(__file__), *sys.argv[1:]])

    os.makedirs(SHOTS, exist_ok=True)
    for role in ("host", "guest"):
        # A failure shot left by an earlier run would tell of a failure that did not happen now.
        try:
            os.remove(os.path.join(SHOTS, f"call-{role}-failed.png"))
        except FileNotFoundError:
            pass
    profiles = os.path.join(TARGET, "app-call-profile")
    passed, failed = 0, 0
    numbers = []
    xvfb = None
    drivers = {}
    started = time.time()

    def check(name, test, critical=False):
        nonlocal passed, failed
        try:
            result = test()
            passed += 1
            print(f"call: ok: {name}", flush=True)
            return result
        except Exception as error:  # report every failure, then go on unless the rest need it
            failed += 1
            print(f"call: FAIL: {name}: {error}", flush=True)
            if critical:
                raise Abort(name) from None
            return None

    try:
        xvfb, display = start_xvfb()
        for role in ("host", "guest"):
            env = profile_env(os.path.join(profiles, role), display)
            drivers[role] = TauriDriver(env, log=os.path.join(SHOTS, f"call-{role}.log"))
        for server in drivers.values():
            server.wait_ready()
        host, guest = drivers["host"].driver, drivers["guest"].driver
        port = 47800
        address = f"{NETNS_ADDR}:{port}"

        def host_starts():
            drivers["host"].launch(args=["--host", "--port", str(port), "--test-tone", "--name", "Host"])
            s = wait_until("the host's call screen", lambda: in_call(host))
            assert s["hosting"] and s["engine"] == "native" and s["tone"], s
            # The share box offers the namespace's address with the port asked for.
            shared = host.text("#share-address")
            assert shared.endswith(f":{port}"), shared
            host.run(PROBE, SILENCE)

        check("the host app starts hosting with the native engine and the test tone", host_starts, critical=True)

        launched = {}

        def guest_joins():
            launched["start"] = time.time()
            drivers["guest"].launch(args=["--join", address, "--test-tone", "--name", "Guest"])
            launched["loaded"] = time.time()

        check("the guest app starts and joins " + address, guest_joins, critical=True)

        def both_connected():
            wait_until("the host shows Guest connected", lambda: shows_connected(host, "Guest"))
            wait_until("the guest shows Host connected", lambda: shows_connected(guest, "Host"))
            launched["connected"] = time.time()

        check("both call screens show the other person as Connected", both_connected, critical=True)

        def host_hears_guest():
            heard = wait_until("the host hears the guest's tone", lambda: hears_tone(host))
            print(f"call:   host hears: {describe(heard)}")

        def guest_hears_host():
            heard = wait_until("the guest hears the host's tone", lambda: hears_tone(guest))
            print(f"call:   guest hears: {describe(heard)}")

        check("the host receives the guest's tone: packets rise, level above silence", host_hears_guest)
        check("the guest receives the host's tone: packets rise, level above silence", guest_hears_host)

        def timings():
            probe = wait_until("the host's first sound", lambda: first_sound(host))
            joined = state(guest)
            start = launched["start"] * 1000
            numbers.append(f"guest app start -> guest page loaded: {launched['loaded'] - launched['start']:.2f} s")
            numbers.append(f"guest app start -> both pages show Connected: {launched['connected'] - launched['start']:.2f} s")
            numbers.append(f"guest app start -> host's first inbound audio packet: {(probe['firstPacket'] - start) / 1000:.2f} s")
            numbers.append(f"guest app start -> host's first audio above silence: {(probe['firstSound'] - start) / 1000:.2f} s")
            if joined.get("joinPressedAt"):
                pressed = joined["joinPressedAt"]
                numbers.append(
                    f"guest join (launch) -> host's first packet {(probe['firstPacket'] - pressed) / 1000:.2f} s,"
                    f" first sound {(probe['firstSound'] - pressed) / 1000:.2f} s"
                )
            peer = joined["peers"][0]
            if peer.get("connectedAt") and joined.get("joinPressedAt"):
                numbers.append(f"guest join (launch) -> guest connected: {(peer['connectedAt'] - joined['joinPressedAt']) / 1000:.2f} s")
            # The receiver reports RTT once an RTCP report came back, every few seconds.
            host_rtt = wait_until("the host's round-trip time", lambda: rtt_ms(host), timeout=max(TIMEOUT, 20))
            guest_rtt = wait_until("the guest's round-trip time", lambda: rtt_ms(guest), timeout=max(TIMEOUT, 20))
            numbers.append(f"round-trip time: host {host_rtt:.2f} ms, guest {guest_rtt:.2f} ms")
            for line in numbers:
                print(f"call:   {line}")
            # Only a sanity bound: on a loaded machine an early RTCP report can read up to a second.
            assert 0 <= host_rtt < 5000 and 0 <= guest_rtt < 5000, (host_rtt, guest_rtt)

        check("the host's page timed the first packet and first sound; both sides report RTT", timings)

        def screenshot():
            # Let the quality line fill in and the speaking rings settle.
            wait_until("the quality line on the host", lambda: quality_shown(host))
            path = os.path.join(SHOTS, "call.png")
            png = host.screenshot()
            with open(path, "wb") as f:
                f.write(png)
            width, height = struct.unpack(">II", png[16:24])
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and width >= 360 and height >= 480, (png[:8], width, height)
            shown = tiles(host)
            assert [t["name"] for t in shown] == ["Host (you)", "Guest"], shown
            assert host.text("#call-count") == "2 people", host.text("#call-count")
            print(f"call:   screenshot: {path}")

        check("screenshot of the host's call screen with two people", screenshot)

        def mute():
            # Silence after muting only means something if the tone was heard just before.
            hears_tone(host)
            guest.click("#mute-button")
            assert state(guest)["muted"] is True, "the guest's page is not muted"
            assert guest.text("#mute-label") == "Unmute", guest.text("#mute-label")
            heard = wait_until("the host hears silence from the muted guest", lambda: hears_silence(host))
            print(f"call:   host hears from the muted guest: {describe(heard)}")
            wait_until("the host shows Guest as Muted", lambda: shows(host, {"Guest": "Muted"}))
            # Muting is one way: the guest still hears the host.
            hears_tone(guest)

        check("muting the guest (Mute button) silences it at the host", mute)

        def unmute():
            assert state(guest)["muted"] is True, "the guest is not muted, so there is nothing to unmute"
            guest.press("m")
            wait_until("the guest's page unmuted by M", lambda: state(guest)["muted"] is False)
            heard = wait_until("the host hears the guest's tone again", lambda: hears_tone(host))
            print(f"call:   host hears the unmuted guest: {describe(heard)}")
            wait_until("the host shows Guest as Connected again", lambda: shows(host, {"Guest": "Connected"}))

        check("pressing M unmutes the guest and the host hears it again", unmute)

        def leave():
            assert guest.text("#leave-button") == "Leave", guest.text("#leave-button")
            guest.click("#leave-button")
            wait_until("the guest back on the home screen", lambda: state(guest)["screen"] == "home")
            wait_until("the host's list without Guest", lambda: shows(host, {}))
            assert state(host)["peers"] == [], state(host)["peers"]
            assert host.text("#call-count") == "just you", host.text("#call-count")
            assert host.text("#alone") == "Waiting for others to join…", host.text("#alone")

        check("the guest clicks Leave and the host's participant list drops it", leave)

        def rejoin():
            host.run(PROBE, SILENCE)
            pressed = time.time()
            guest.click("#join-button")
            wait_until("the host shows Guest connected again", lambda: shows_connected(host, "Guest"))
            wait_until("the guest shows Host connected again", lambda: shows_connected(guest, "Host"))
            heard = wait_until("the host hears the rejoined guest", lambda: hears_tone(host))
            probe = host.run("return window.__callProbe;")
            line = f"guest presses Join again -> host's first sound: {(probe['firstSound'] / 1000 - pressed):.2f} s"
            numbers.append(line)
            print(f"call:   {line}; host hears: {describe(heard)}")

        check("the guest joins again with the Join button and is heard", rejoin)

        def end_call():
            assert host.text("#leave-button") == "End call", host.text("#leave-button")
            host.click("#leave-button")
            wait_until("the guest's home screen after the host ended the call", lambda: state(guest)["screen"] == "home")
            banner = guest.text("#banner-text")
            assert banner == "The host ended the call.", f"the guest's banner says {banner!r}"
            assert state(guest)["peers"] == [], state(guest)
            assert state(host)["screen"] == "home", state(host)

        check('the host clicks End call and the guest reads "The host ended the call."', end_call)
    except Abort as error:
        print(f"call: the remaining steps need '{error}' and were not run")
    except Exception as error:
        failed += 1
        print(f"call: FAIL: could not drive the apps: {error!r}")
    finally:
        if failed:
            for role, server in drivers.items():
                try:
                    with open(os.path.join(SHOTS, f"call-{role}-failed.png"), "wb") as f:
                        f.write(server.driver.screenshot())
                    print(f"call: screenshot of the {role} at the failure: {SHOTS}/call-{role}-failed.png")
                except Exception:
                    pass
                print(f"call: the {role}'s log: {SHOTS}/call-{role}.log")
        for server in drivers.values():
            below = descendants(server.process.pid)
            server.stop()
            # Whatever tauri-driver started and left behind (the app, WebKitWebDriver).
            for pid in below:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if xvfb:
            xvfb.terminate()
            try:
                xvfb.wait(timeout=10)
            except subprocess.TimeoutExpired:
                xvfb.kill()
        shutil.rmtree(profiles, ignore_errors=True)

    print(f"call: took {time.time() - started:.1f} s")
    print(f"call: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
