"""Child processes that are always cleaned up: each runs in a process group of its own, and every
group still alive is ended when the benchmark exits, on error, Ctrl+C or SIGTERM alike."""

import atexit
import os
import signal
import subprocess
import time

_children = []
_cleanups = []


class Interrupted(Exception):
    pass


def spawn(args, env=None, log=None, stdout=None, cwd=None, pass_fds=()):
    """Starts `args` in a new process group. Output goes to the file `log` (or nowhere)."""
    out = subprocess.DEVNULL
    if log:
        out = open(log, "ab")
    proc = subprocess.Popen(
        args,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else out,
        stderr=out,
        start_new_session=True,
        pass_fds=pass_fds,
    )
    if log:
        out.close()
    _children.append(proc)
    return proc


def exit_code(proc):
    """None while `proc` runs, else its exit code (negative: killed by that signal). The process is
    not reaped, so its pid, and with it its process group's id, stays ours until stop(); on a busy
    machine a freed pid comes back within minutes, and signalling it would hit a stranger."""
    if proc.returncode is not None:
        return proc.returncode
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return proc.poll()
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def stop(proc, grace=3.0):
    """Ends a process we started and everything in its process group: SIGTERM, then SIGKILL."""
    if proc is None:
        return
    if proc in _children:
        _children.remove(proc)
    if proc.returncode is not None:
        # Reaped already, so its pid may be someone else's by now: leave it alone.
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + wait
        while exit_code(proc) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if exit_code(proc) is not None:
            break
    # The leader is dead but not reaped, so the group's id is still ours: end what is left of it
    # (e.g. Chromium's helpers), then reap.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def on_exit(fn):
    """Runs `fn` at exit, before the children are stopped (e.g. removing firewall rules)."""
    _cleanups.append(fn)


def stop_all():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as error:  # cleanup must go on whatever one step says
            print(f"cleanup: {error}")
    for proc in reversed(list(_children)):
        stop(proc, grace=1.5)


def _on_signal(signum, frame):
    raise Interrupted(f"stopped by signal {signum}")


def install():
    atexit.register(stop_all)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def wait_until(what, probe, timeout, every=0.1, proc=None):
    """Polls `probe` until it returns a truthy value, which is returned. Fails with a message
    naming `what` after `timeout` seconds, or at once if `proc` (the thing being waited for)
    exits."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            got = probe()
            if got:
                return got
        except (OSError, RuntimeError, ValueError) as error:
            last = error
        detail = f" ({last})" if last else ""
        if proc is not None and exit_code(proc) is not None:
            time.sleep(0.2)
            try:
                probe()
            except (OSError, RuntimeError, ValueError) as error:
                detail = f" ({error})"
            raise RuntimeError(f"waiting for {what}: the process exited with code {exit_code(proc)}{detail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(every)
