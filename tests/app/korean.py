#!/usr/bin/env python3
"""The real app on a Korean desktop (LANG=ko_KR.UTF-8): it speaks Korean without being told, on
the home screen and in a call between two apps, with no English left but names, addresses and
technical terms; and a 360 px wide window still fits. Takes the screenshots of the README's
"Languages" line: home-ko.png (the guest's home screen, listing the host's room) and call-ko.png
(the host's call screen).

    scripts/netns-run.sh tests/app/korean.py   # builds the app first; needs tauri-driver, Xvfb
    TINCAN_SHOTS=docs/screenshots scripts/netns-run.sh tests/app/korean.py

Prints what WebKitGTK reports as navigator.languages, and "korean: N passed, N failed"; exits
non-zero on any failure.
"""

import os
import re
import struct
import subprocess
import sys

from harness import NETNS_ADDR, SHOTS, profile_env, start_xvfb, state, wait_until
from driver import ROOT, TARGET, TauriDriver

KOREAN = {"LANG": "ko_KR.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
KEY = "maple-river-torch"
PORT = 47800

# Words that stay as they are in a Korean interface (tests/e2e/i18n-ui.test.mjs keeps the same):
# the product name, technical terms and units, operating systems and browsers, the language's own
# name, the room's name on the wire, the passcode field's example words and the test tone's device
# name.
ENGLISH_LEFT = r"""
  const kept = ['Tincan', 'IPv4', 'IPv6', 'IP', 'LAN', 'ICE', 'JSON', 'TURN', 'STUN', 'HTTP',
    'https', 'http', 'localhost', 'kbps', 'Hz', 'ms', 'Ctrl', 'Esc', 'Windows', 'macOS', 'WebRTC',
    'X11', 'Wayland', 'Chrome', 'Safari', 'SHA', 'QR', 'English', 'lobby', 'maple', 'river',
    'torch'];
  const keptWords = new RegExp(`(?<![A-Za-z])(?:${kept.join('|')})(?![A-Za-z])`, 'g');
  const texts = [];
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || el.closest('code, kbd, script, style, template, .initials')) continue;
    if (!shown(el) && !el.closest('.visually-hidden')) continue;
    texts.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    if (!shown(el) || el.closest('template')) continue;
    for (const attr of ['placeholder', 'aria-label', 'title']) {
      const value = el.getAttribute(attr);
      if (value) texts.push(value);
    }
  }
  return texts.filter((text) => /[A-Za-z]{2,}/.test(text
    .replace(/\[\{.*?\}\]/g, '').replace(/\[[0-9a-f:]+\]/gi, '').replace(/\{[^}]*\}/g, '')
    .replace(/"[^"]*"/g, '').replace(/\b[a-z]+:\/\/\S*/g, '').replace(keptWords, '')));
"""


def type_into(d, css, text):
    element = d.find(css)
    d.call("POST", f"/session/{d.session}/element/{element}/clear", {})
    d.call("POST", f"/session/{d.session}/element/{element}/value", {"text": text})


def save_shot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name)
    png = d.screenshot()
    with open(path, "wb") as f:
        f.write(png)
    width, height = struct.unpack(">II", png[16:24])
    print(f"korean:   screenshot: {path} ({width}x{height})")


def no_english(d, where):
    left = d.run(ENGLISH_LEFT)
    assert left == [], f"English left on {where}: {left}"


def fits(d):
    over = d.run("return document.documentElement.scrollWidth - window.innerWidth;")
    assert over <= 0, f"{over} px wider than the window"
    return True


def main():
    subprocess.run(["cargo", "build", "-p", "tincan"], cwd=ROOT, check=True)
    passed, failed = 0, 0
    profiles = os.path.join(TARGET, "app-korean-profile")
    os.makedirs(SHOTS, exist_ok=True)
    xvfb, display = start_xvfb()
    drivers = {}

    def check(name, test):
        nonlocal passed, failed
        try:
            test()
            passed += 1
            print(f"korean: ok: {name}", flush=True)
        except Exception as error:
            failed += 1
            print(f"korean: FAIL: {name}: {error}", flush=True)
            raise

    try:
        for role in ("host", "guest"):
            env = dict(profile_env(os.path.join(profiles, role), display), **KOREAN)
            drivers[role] = TauriDriver(env, log=os.path.join(SHOTS, f"korean-{role}.log"))
        for server in drivers.values():
            server.wait_ready()
        host, guest = drivers["host"].driver, drivers["guest"].driver

        def host_speaks_korean():
            drivers["host"].launch(args=["--host", "--port", str(PORT), "--key", KEY, "--test-tone", "--name", "민지"])
            wait_until("the host's call screen", lambda: state(host)["screen"] == "call" and state(host)["callState"] == "in-call")
            seen = host.run("return { languages: [...navigator.languages], lang: document.documentElement.lang };")
            print(f"korean:   WebKitGTK under LANG=ko_KR.UTF-8: navigator.languages = {seen['languages']}")
            assert seen["lang"] == "ko", seen
            assert host.text("#call-title") == "호스트하는 중", host.text("#call-title")

        check("the app started on a Korean desktop speaks Korean", host_speaks_korean)

        def guest_home():
            drivers["guest"].launch()
            wait_until("the home screen in Korean", lambda: guest.text("#home-title") == "같은 네트워크의 누구와도 대화하세요")
            type_into(guest, "#name-input", "서준")
            # The host's room, heard over mDNS in the same namespace, makes the home screen whole.
            try:
                wait_until("the host's room in the list", lambda: guest.run("return document.querySelectorAll('#lan-rooms-list li').length;") > 0, timeout=10)
            except AssertionError as error:
                print(f"korean:   (no room listed: {error})")
            no_english(guest, "the home screen")
            save_shot(guest, "home-ko.png")

        check("the home screen is all Korean", guest_home)

        def call_of_two():
            type_into(guest, "#join-address", f"{NETNS_ADDR}:{PORT}")
            type_into(guest, "#join-key", KEY)
            guest.click("#join-button")
            wait_until("the guest's call screen", lambda: state(guest)["screen"] == "call")
            for d, other in ((host, "서준"), (guest, "민지")):
                wait_until(f"{other} connected", lambda d=d, other=other: d.run(
                    "return [...document.querySelectorAll('#participants > li:not(.self)')]"
                    ".map(li => li.querySelector('.p-name').textContent + ':' + li.querySelector('.p-state').textContent);"
                ) == [f"{other}:연결됨"])
            # Let the quality line and the safety code fill in.
            wait_until("the quality line", lambda: re.fullmatch(
                r"\d+ms · 손실 [\d.]+% · \d+kbps",
                host.run("return document.querySelector('#participants > li:not(.self) .q-text').textContent;"),
            ))
            wait_until("the safety code", lambda: host.run("return !document.querySelector('#participants > li:not(.self) .p-safety').hidden;"))
            assert host.text("#call-count") == "2명", host.text("#call-count")
            no_english(host, "the host's call screen")
            no_english(guest, "the guest's call screen")
            save_shot(host, "call-ko.png")

        check("a call between two Korean apps shows no English", call_of_two)

        def narrow():
            host.call("POST", f"/session/{host.session}/window/rect", {"width": 360, "height": 760})
            wait_until("the window at 360 px", lambda: host.run("return window.innerWidth;") <= 360, timeout=10)
            wait_until("the call screen to fit", lambda: fits(host), timeout=5)
            save_shot(host, "call-ko-360.png")

        check("the call screen fits a 360 px window in Korean", narrow)
    except Exception as error:
        # A failed check has said why already; anything else is said here.
        if passed + failed < 4 and not str(error).startswith("korean"):
            print(f"korean: stopped: {error!r}", flush=True)
    finally:
        for server in drivers.values():
            server.stop()
        xvfb.terminate()
        xvfb.wait(timeout=10)
    print(f"korean: {passed} passed, {failed} failed")
    return 1 if failed or passed < 4 else 0


if __name__ == "__main__":
    sys.exit(main())
