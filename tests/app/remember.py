#!/usr/bin/env python3
"""What a person set survives a restart of the real app: the name, a recent host, push-to-talk
mode and key, low latency, a processing switch and the language. The app runs under its own Xvfb with its own
HOME and XDG dirs (WebKitGTK keeps localStorage under XDG_DATA_HOME); the test sets everything
through the UI, joins a headless relay on loopback so the host is remembered, quits the app the
way logging out does (SIGTERM), starts it again with the same dirs and reads it all back.

    tests/app/remember.py       # builds the app and the relay first; needs tauri-driver, Xvfb

Prints "remember: N passed, N failed" and exits non-zero on any failure.
"""

import os
import signal
import subprocess
import sys
import time

from harness import profile_env, start_xvfb, wait_until
from driver import APP, ROOT, TARGET, TauriDriver, free_port

RELAY = os.path.join(TARGET, "debug", "tincan-relay")
NAME = "Dana Remembered"


def type_into(d, css, text):
    """Clears a field and types into it, as a person would."""
    element = d.find(css)
    d.call("POST", f"/session/{d.session}/element/{element}/clear", {})
    d.call("POST", f"/session/{d.session}/element/{element}/value", {"text": text})


def saved(d):
    """What the page shows in Settings and on the home screen."""
    return d.run(
        "document.getElementById('open-settings').click();"
        "const on = (id) => document.getElementById(id).checked;"
        "const out = {"
        " name: document.getElementById('name-input').value,"
        " recent: [...document.querySelectorAll('#recent-list .recent-address')].map(e => e.textContent),"
        " echo: on('set-echo'), noise: on('set-noise'), gain: on('set-gain'), lowLatency: on('set-low-latency'),"
        " talkMode: document.querySelector('input[name=\"talk-mode\"]:checked')?.value ?? null,"
        " talkKey: document.getElementById('set-talk-key-name').textContent,"
        " language: document.getElementById('set-language').value,"
        " lang: document.documentElement.lang,"
        " title: document.getElementById('home-title').textContent,"
        "};"
        "document.getElementById('settings-cancel').click();"
        "return out;"
    )


def set_everything(d, relay_port):
    type_into(d, "#name-input", NAME)
    # Join a room so the host lands in the recent list, then leave.
    type_into(d, "#join-address", f"127.0.0.1:{relay_port}")
    d.click("#join-button")
    wait_until("the call screen", lambda: d.run("return window.tincan.state().screen === 'call';"), timeout=60)
    d.click("#leave-button")
    wait_until("the home screen", lambda: d.run("return window.tincan.state().screen === 'home';"), timeout=30)

    d.click("#open-settings")
    d.click("#set-noise")
    d.click("#set-low-latency")
    d.click("#set-talk-ptt")
    d.click("#set-talk-key")
    d.press("k")
    # Korean, picked as a person picks from the list: the page changes at once.
    d.run(
        "const pick = document.getElementById('set-language');"
        "pick.value = 'ko';"
        "pick.dispatchEvent(new Event('change', { bubbles: true }));"
    )
    wait_until("the page in Korean", lambda: d.run("return document.documentElement.lang;") == "ko", timeout=5)
    d.click("#settings-save")


def quit_app(tauri):
    """Ends the app as logging out would, and waits for it to be gone."""
    pid = tauri.app_pid()
    os.kill(pid, signal.SIGTERM)
    wait_until("the app to exit", lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z", timeout=30)
    tauri.stop()


def main():
    subprocess.run(["cargo", "build", "-p", "tincan", "-p", "tincan-relay"], cwd=ROOT, check=True)
    passed, failed = 0, 0
    xvfb, display = start_xvfb()
    env = profile_env(os.path.join(TARGET, "app-remember-profile"), display)
    relay_port = free_port()
    relay = subprocess.Popen(
        [RELAY, "--listen", f"127.0.0.1:{relay_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    first = second = None
    try:
        first = TauriDriver(env)
        first.wait_ready()
        first.launch(APP, ["--test-tone"])
        d = first.driver
        defaults = saved(d)
        set_everything(d, relay_port)
        before = saved(d)
        quit_app(first)
        first = None

        started = time.time()
        second = TauriDriver(env)
        second.wait_ready()
        second.launch(APP)
        after = wait_until("the page to read its settings", lambda: saved(second.driver), timeout=30)
        print(f"remember: restarted in {time.time() - started:.1f} s")

        expected = {
            "name": NAME,
            "recent": [f"127.0.0.1:{relay_port}"],
            "echo": True,
            "noise": False,
            "gain": True,
            "lowLatency": True,
            "talkMode": "push-to-talk",
            "talkKey": "K",
            "language": "ko",
            "lang": "ko",
            "title": "같은 네트워크의 누구와도 대화하세요",
        }
        for key, want in expected.items():
            try:
                assert defaults[key] != want or key in ("echo", "gain"), f"{key} was already {want!r} before"
                assert before[key] == want, f"{key} before the restart: {before[key]!r}, wanted {want!r}"
                assert after[key] == want, f"{key} after the restart: {after[key]!r}, wanted {want!r}"
                passed += 1
                print(f"remember: ok: {key} = {want!r}")
            except AssertionError as error:
                failed += 1
                print(f"remember: FAIL: {error}")
    except Exception as error:
        failed += 1
        print(f"remember: FAIL: {error}")
    finally:
        for tauri in (first, second):
            if tauri:
                tauri.stop()
        relay.terminate()
        relay.wait(timeout=10)
        xvfb.terminate()
        xvfb.wait(timeout=10)
    print(f"remember: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
