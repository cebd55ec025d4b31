"""Private PulseAudio servers (one per peer, each with a "mic" and a "speaker" null sink) and the
one-pipeline recorder that puts a sender's microphone and a receiver's speaker on one clock."""

import os
import shutil
import subprocess
import threading
import time

from procs import spawn, stop, wait_until

RATE = 48000
# The source the peers record from, and the one recorded as "what went into the microphone".
MIC = "microphone"


class Pulse:
    """A PulseAudio server on a socket in `base`/NAME. Its default sink is the null sink
    "speaker"; its default source, "microphone", carries the monitor of the null sink "mic", so
    whatever is played into "mic" is what a program recording the default source hears."""

    def __init__(self, base, name):
        self.name = name
        self.dir = os.path.join(base, f"pulse-{name}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.server = f"unix:{self.dir}/native"
        sinks = [f"module-null-sink sink_name={s} rate={RATE} channels=2" for s in ("mic", "speaker")]
        # Above the programs it serves in priority, like a desktop's sound server, so a busy
        # machine delays the peers rather than the sound cards. Not realtime: as root it would get
        # that, and the kernel kills a realtime thread that a starved machine keeps busy too long.
        args = ["nice", "-n", "-11", "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no"]
        args += ["--realtime=no"]
        args += ["--disable-shm=yes", "-L", f"module-native-protocol-unix socket={self.dir}/native auth-anonymous=1"]
        for sink in sinks:
            args += ["-L", sink]
        # Chromium lists no monitor sources as microphones; a remapped source is not a monitor.
        args += ["-L", f"module-remap-source source_name={MIC} master=mic.monitor"]
        env = dict(os.environ, HOME=self.dir, XDG_RUNTIME_DIR=self.dir)
        env.pop("PULSE_SERVER", None)
        self.log = os.path.join(self.dir, "pulseaudio.log")
        self.proc = spawn(args, env=env, log=self.log)
        wait_until(f"PulseAudio server {name} to answer on {self.server}", self._ready, timeout=15, proc=self.proc)
        self.pactl("set-default-sink", "speaker")
        self.pactl("set-default-source", MIC)

    def _ready(self):
        return subprocess.run(["pactl", "--server", self.server, "info"], capture_output=True, timeout=5).returncode == 0

    def pactl(self, *args):
        done = subprocess.run(["pactl", "--server", self.server, *args], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} on {self.name}: {done.stderr.strip()}")
        return done.stdout

    def env(self):
        """What a program needs in its environment to use this server."""
        return {"PULSE_SERVER": self.server}

    def clients_using(self, kind):
        """Stream lines of `kind` ("source-outputs" or "sink-inputs") other than our own tools'."""
        lines = self.pactl("list", "short", kind).splitlines()
        own = {c.split("\t")[0] for c in self.pactl("list", "short", "clients").splitlines() if _own_tool(c)}
        # Streams with no client ("-") belong to modules, like the microphone's remapping.
        return [line for line in lines if line.split("\t")[2] not in own | {"-"}]

    def play(self, path, device="mic"):
        """Starts playing a WAV file into one of the sinks; returns the process."""
        return spawn(["paplay", "--server", self.server, "--device", device, path], log=None)

    def load_loopback(self, source, sink, latency_ms):
        out = self.pactl("load-module", "module-loopback", f"source={source}", f"sink={sink}", f"latency_msec={latency_ms}")
        return out.strip()

    def stop(self):
        stop(self.proc)


def _own_tool(client_line):
    return any(name in client_line for name in ("pactl", "paplay", "parec", "gst-launch", "GStreamer"))


def play_and_wait(pulse, path, seconds, device="mic"):
    """Plays a file into `device` and waits for it to end (a little longer than `seconds`)."""
    proc = pulse.play(path, device)
    try:
        proc.wait(timeout=seconds + 15)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise RuntimeError(f"paplay of {os.path.basename(path)} on {pulse.name} did not end within {seconds + 15:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"paplay on {pulse.name} failed with exit code {proc.returncode}")


class Recorder:
    """Records two PulseAudio sources into one stereo WAV through one GStreamer pipeline: left is
    `left` = (server, device), right is `right`. Both sources are timestamped against the
    pipeline's system clock, never their own, so the two channels share one time line."""

    def __init__(self, path, left, right, log):
        self.path = path
        self.dropped = False
        branches = []
        for (server, device), pan in ((left, -1), (right, 1)):
            branches += [
                "pulsesrc", "provide-clock=false", f"server={server}", f"device={device}", "buffer-time=1000000",
                "latency-time=5000", "!", "queue", "max-size-time=3000000000", "max-size-buffers=0", "max-size-bytes=0",
                "!", "audioconvert", "!", "audioresample", "!", f"audio/x-raw,rate={RATE},channels=1", "!",
                "audiopanorama", "method=simple", f"panorama={pan}", "!", "mix.",
            ]  # fmt: skip
        # Raised priority: on a busy machine a starved recorder drops samples and loses the time line.
        args = [
            "nice", "-n", "-10", "gst-launch-1.0", "-e", "audiomixer", "name=mix", "latency=200000000", "!",
            f"audio/x-raw,format=S16LE,rate={RATE},channels=2", "!", "wavenc", "!", "filesink", f"location={path}",
            *branches,
        ]  # fmt: skip
        self.log = log
        self.proc = spawn(args, log=log)
        wait_until("the recording pipeline to start playing", self._playing, timeout=15, proc=self.proc)
        # Give both sources time to deliver their first buffers before anything is played.
        time.sleep(0.8)

    def _playing(self):
        with open(self.log, errors="replace") as f:
            return "Setting pipeline to PLAYING" in f.read()

    def finish(self):
        """Ends the recording (EOS, so the WAV header is completed) and returns the file's path."""
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            stop(self.proc)
            raise RuntimeError(f"the recording pipeline did not finish within 15 s; see {self.log}") from None
        with open(self.log, errors="replace") as f:
            text = f.read()
        self.dropped = "Dropped" in text
        if self.dropped:
            print(f"   warning: the recorder dropped samples (machine too busy?), so this recording's timing is suspect; see {self.log}")
        if not os.path.exists(self.path) or os.path.getsize(self.path) < 1000:
            raise RuntimeError(f"the recording pipeline wrote no audio; see {self.log}")
        return self.path


class SoundWatch:
    """Reads a source continuously (parec, 10 ms latency) in a thread and notes the monotonic time
    at which the level first rises above `threshold` (linear peak)."""

    def __init__(self, pulse, device, threshold=10 ** (-40 / 20)):
        self.first = None
        self.threshold = threshold
        args = ["parec", "--server", pulse.server, "--device", device, "--raw", "--format=s16le"]
        args += ["--rate=48000", "--channels=1", "--latency-msec=10"]
        self.proc = spawn(args, stdout=subprocess.PIPE, log=None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        import numpy as np

        limit = int(self.threshold * 32768)
        while self.first is None:
            chunk = self.proc.stdout.read(960)
            if not chunk:
                return
            samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], dtype="<i2")
            if samples.size and int(np.max(np.abs(samples.astype(np.int32)))) > limit:
                self.first = time.monotonic()

    def close(self):
        stop(self.proc)
