#!/usr/bin/env python3
"""Push-to-talk in the real app through the global shortcut: the app hosts a room in
push-to-talk mode, the window loses the keyboard focus, and the talk key is pressed on the
X server from outside (XTEST, as a keyboard would). The page must see the hold come from the
global shortcut, open the microphone while it is held and shut it on release; during the call
the test's own X client cannot grab the key, after Leave it can again. Started again as
a Wayland session, Settings must say the key works only while Tincan is focused.

    tests/app/talk.py           # builds the app first; needs tauri-driver, Xvfb, libXtst

Screenshots (TINCAN_SHOTS, default artifacts/app-shots): settings-talk.png, call-talking.png.
Prints "talk: N passed, N failed" and exits non-zero on any failure.
"""

import ctypes
import os
import subprocess
import sys
import time

from harness import profile_env, start_xvfb, wait_until
from driver import APP, ROOT, TARGET, TauriDriver

SHOTS = os.environ.get("TINCAN_SHOTS", os.path.join(ROOT, "artifacts", "app-shots"))


# XErrorHandler: int (*)(Display *, XErrorEvent *).
X_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


class Keyboard:
    """Key presses sent to the X server itself, so they reach whoever grabbed the key."""

    def __init__(self, display):
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XSetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x11.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x11.XSetErrorHandler.argtypes = [X_ERROR_HANDLER]
        self.x11.XSetErrorHandler.restype = X_ERROR_HANDLER
        self.x11.XGrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.x11.XUngrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong]
        self.x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.dpy = self.x11.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open display {display}")

    def unfocus(self):
        """Gives the keyboard focus to the root window, away from the app's."""
        root = self.x11.XDefaultRootWindow(self.dpy)
        self.x11.XSetInputFocus(self.dpy, root, 2, 0)
        self.x11.XFlush(self.dpy)

    def keycode(self, name):
        return self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(name.encode()))

    def can_grab(self, name):
        """Whether this client may take the key for itself: false while another holds it."""
        errors = []
        handler = X_ERROR_HANDLER(lambda _dpy, _event: errors.append(1) or 0)
        previous = self.x11.XSetErrorHandler(handler)
        root = self.x11.XDefaultRootWindow(self.dpy)
        code = self.keycode(name)
        self.x11.XGrabKey(self.dpy, code, 0, root, 1, 1, 1)
        self.x11.XSync(self.dpy, 0)
        if not errors:
            self.x11.XUngrabKey(self.dpy, code, 0, root)
            self.x11.XSync(self.dpy, 0)
        self.x11.XSetErrorHandler(previous)
        return not errors

    def key(self, name, down):
        code = self.keycode(name)
        self.xtst.XTestFakeKeyEvent(self.dpy, code, 1 if down else 0, 0)
        self.x11.XFlush(self.dpy)

    def close(self):
        self.x11.XCloseDisplay(self.dpy)


def state(d):
    return d.run("return window.tincan.state();")


def self_label(d):
    return d.run("return document.querySelector('.participant.self .p-state').textContent;")


def save_shot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    with open(os.path.join(SHOTS, name), "wb") as f:
        f.write(d.screenshot())


def type_into(d, css, text):
    element = d.find(css)
    d.call("POST", f"/session/{d.session}/element/{element}/clear", {})
    d.call("POST", f"/session/{d.session}/element/{element}/value", {"text": text})


def main():
    subprocess.run(["cargo", "build", "-p", "tincan"], cwd=ROOT, check=True)
    passed, failed = 0, 0

    def check(name, test):
        nonlocal passed, failed
        try:
            test()
            passed += 1
            print(f"talk: ok: {name}")
        except Exception as error:  # report every failure, then go on
            failed += 1
            print(f"talk: FAIL: {name}: {error}")

    xvfb, display = start_xvfb()
    base = os.path.join(TARGET, "app-talk-profile")
    tauri = None
    keyboard = Keyboard(display)
    try:
        tauri = TauriDriver(profile_env(base, display))
        tauri.wait_ready()
        tauri.launch(APP, ["--test-tone"])
        d = tauri.driver

        def settings_offer_the_global_key():
            d.click("#open-settings")
            d.click("#set-talk-ptt")
            text = wait_until("the shortcut note", lambda: d.text("#set-talk-global"), timeout=10)
            assert "also works while another program is in front" in text, text
            d.run("document.querySelector('.talk-settings').scrollIntoView({block: 'center'});")
            save_shot(d, "settings-talk.png")
            d.click("#settings-save")

        def hosting_in_push_to_talk_starts_shut():
            assert keyboard.can_grab("F8"), "F8 is taken before any call"
            type_into(d, "#name-input", "Ann")
            d.click("#host-button")
            wait_until("the call screen", lambda: state(d)["screen"] == "call", timeout=60)
            wait_until("the global shortcut", lambda: (state(d).get("shortcut") or {}).get("global"), timeout=10)
            s = state(d)
            assert s["muted"] is True and s["talkMode"] == "push-to-talk", s
            assert self_label(d) == "Push to talk (hold F8)", self_label(d)
            assert not keyboard.can_grab("F8"), "during the call the app holds F8"

        def global_key_talks_while_unfocused():
            keyboard.unfocus()
            started = time.time()
            keyboard.key("F8", True)
            wait_until("the hold", lambda: state(d)["talkHeld"], timeout=10)
            took = time.time() - started
            s = state(d)
            assert s["talkHolders"] == ["global"], s["talkHolders"]
            assert s["muted"] is False, s
            assert self_label(d) == "Talking", self_label(d)
            save_shot(d, "call-talking.png")
            keyboard.key("F8", False)
            wait_until("the release", lambda: state(d)["muted"] is True and not state(d)["talkHeld"], timeout=10)
            print(f"talk: key press to open mic in the page: {took * 1000:.0f} ms (polled)")

        check("Settings offer the key outside the window", settings_offer_the_global_key)
        check("hosting in push-to-talk starts with the mic shut", hosting_in_push_to_talk_starts_shut)
        def leaving_gives_the_key_back():
            d.click("#leave-button")
            wait_until("the home screen", lambda: state(d)["screen"] == "home", timeout=30)
            wait_until("F8 to be free again", lambda: keyboard.can_grab("F8"), timeout=10)

        check("the global key opens the mic while the window is unfocused", global_key_talks_while_unfocused)
        check("leaving the call gives the key back to the other programs", leaving_gives_the_key_back)
        tauri.stop()

        # The same app in a Wayland session: the note says so rather than failing silently.
        env = profile_env(base + "-wayland", display)
        env["XDG_SESSION_TYPE"] = "wayland"
        tauri = TauriDriver(env)
        tauri.wait_ready()
        tauri.launch(APP)
        d = tauri.driver

        def wayland_is_named():
            d.click("#open-settings")
            text = wait_until("the shortcut note", lambda: d.text("#set-talk-global"), timeout=10)
            assert text.startswith("Works only while Tincan is focused:") and "Wayland" in text, text

        check("a Wayland session is told the key works only while focused", wayland_is_named)
    except Exception as error:
        failed += 1
        print(f"talk: FAIL: {error}")
    finally:
        if tauri:
            tauri.stop()
        keyboard.close()
        xvfb.terminate()
        xvfb.wait(timeout=10)
    print(f"talk: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
