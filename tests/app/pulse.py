"""A private PulseAudio server per app, so a test can see from outside whether the app records
from its microphone: `pactl list source-outputs` on that server. Standard library only."""

import os
import re
import shutil
import subprocess
import time


class Pulse:
    """A PulseAudio server on a socket in `base`. Its default sink is the null sink "speaker";
    its default source, "microphone", is remapped from the monitor of the null sink "mic" (a
    plain monitor is not offered as a microphone everywhere)."""

    def __init__(self, base):
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(base)
        self.dir = base
        self.server = f"unix:{base}/native"
        args = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--realtime=no"]
        args += ["--disable-shm=yes", "-L", f"module-native-protocol-unix socket={base}/native auth-anonymous=1"]
        for sink in ("mic", "speaker"):
            args += ["-L", f"module-null-sink sink_name={sink} rate=48000 channels=2"]
        args += ["-L", "module-remap-source source_name=microphone master=mic.monitor"]
        env = dict(os.environ, HOME=base, XDG_RUNTIME_DIR=base)
        env.pop("PULSE_SERVER", None)
        self.log = os.path.join(base, "pulseaudio.log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.time() + 15
        while not self._answers():
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"PulseAudio did not start on {self.server}; see {self.log}")
            time.sleep(0.1)
        self.pactl("set-default-sink", "speaker")
        self.pactl("set-default-source", "microphone")

    def _answers(self):
        done = subprocess.run(["pactl", "--server", self.server, "info"], capture_output=True, timeout=5)
        return done.returncode == 0

    def pactl(self, *args):
        done = subprocess.run(["pactl", "--server", self.server, *args], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def captures_of(self, binary):
        """The recording streams that the program `binary` has open: one dict of properties per
        stream, from `pactl list source-outputs`."""
        streams = []
        for block in self.pactl("list", "source-outputs").split("\n\n"):
            props = dict(re.findall(r'^\s*([\w.]+) = "(.*)"$', block, re.M))
            if props.get("application.process.binary") == binary:
                streams.append(props)
        return streams

    def env(self):
        return {"PULSE_SERVER": self.server}

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
