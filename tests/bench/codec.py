#!/usr/bin/env python3
"""Speech through the native engine's capture chain alone, scored with wideband PESQ: which Opus
settings and which capture buffer keep speech whole. Prints numbers; not a pass/fail test.

    tests/bench/codec.py                 # every variant (about 2 minutes)
    tests/bench/codec.py --only opus     # only the encoder variants

Each variant records espeak-ng speech played into a private PulseAudio server's microphone
through `pulsesrc ! [webrtcdsp] ! [opusenc ! opusdec] ! wavenc` on the system clock, as the
engine runs, and scores it against what was played. The "busy" variants start two spinning
processes per core for the recording, as a build or a second program would. Run
`tests/bench/mouth_to_ear.py` once first: it sets up the venv (numpy, pesq) this uses.
"""

import argparse
import os
import subprocess
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV = os.path.join(ROOT, "target", "bench-venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
WORK = os.path.join(ROOT, "target", "bench-work", "codec")

if os.path.realpath(sys.prefix) != os.path.realpath(VENV) and os.path.exists(VENV_PYTHON):
    os.execv(VENV_PYTHON, [VENV_PYTHON, *sys.argv])

import numpy as np  # noqa: E402
from pesq import pesq  # noqa: E402

sys.path.insert(0, HERE)
import analysis  # noqa: E402
import stimulus  # noqa: E402
from pulse import Pulse  # noqa: E402


def opus(args):
    return f"opusenc audio-type=voice {args} ! opusdec ! "




def dsp(echo=True, noise=True, gain=True, trim=0.5, extra=""):
    on = lambda flag: "true" if flag else "false"  # noqa: E731
    return (
        f"webrtcdsp probe=probe0 echo-cancel={on(echo)} delay-agnostic=true "
        f"noise-suppression={on(noise)} gain-control={on(gain)} {extra}! volume volume={trim} ! "
    )


DSP = dsp(extra="noise-suppression-level=low ")
ENGINE = "frame-size=10 bitrate=96000 inband-fec=true packet-loss-percentage=5"

# (group, name, capture ring in ms, chain between the capture caps and the WAV writer, busy)
VARIANTS = [
    ("opus", "no codec", 200, "", False),
    ("opus", "10 ms, 32 kbps", 200, opus("frame-size=10 bitrate=32000"), False),
    ("opus", "20 ms, 32 kbps", 200, opus("frame-size=20 bitrate=32000"), False),
    ("opus", "10 ms, 32 kbps, FEC for 10 %", 200, opus("frame-size=10 bitrate=32000 inband-fec=true packet-loss-percentage=10"), False),
    ("opus", "10 ms, 64 kbps", 200, opus("frame-size=10 bitrate=64000"), False),
    ("opus", "10 ms, 64 kbps, FEC for 10 %", 200, opus("frame-size=10 bitrate=64000 inband-fec=true packet-loss-percentage=10"), False),
    ("opus", "10 ms, 64 kbps, FEC for 5 % (before)", 200, opus("frame-size=10 bitrate=64000 inband-fec=true packet-loss-percentage=5"), False),
    ("opus", "10 ms, 96 kbps, FEC for 5 % (the engine)", 200, opus(ENGINE), False),
    ("dsp", "processing + 64 kbps Opus (before)", 200, DSP + opus("frame-size=10 bitrate=64000 inband-fec=true packet-loss-percentage=5"), False),
    ("dsp", "processing + 128 kbps Opus", 200, DSP + opus("frame-size=10 bitrate=128000 inband-fec=true packet-loss-percentage=5"), False),
    ("dsp", "processing + the engine's Opus (the engine)", 200, DSP + opus(ENGINE), False),
    ("dsp", "processing alone (the engine)", 200, DSP, False),
    ("dsp", "processing, noise suppression moderate (before)", 200, dsp(), False),
    ("dsp", "the same + the engine's Opus", 200, dsp() + opus(ENGINE), False),
    ("dsp", "echo cancelling alone", 200, dsp(noise=False, gain=False, trim=1.0), False),
    ("dsp", "noise suppression alone", 200, dsp(echo=False, gain=False, trim=1.0), False),
    ("dsp", "gain control alone (and its trim)", 200, dsp(echo=False, noise=False), False),
    ("dsp", "noise suppression low alone", 200, dsp(echo=False, gain=False, trim=1.0, extra="noise-suppression-level=low "), False),
    ("dsp", "processing, no high-pass", 200, dsp(extra="high-pass-filter=false "), False),
    ("dsp", "echo + gain, no noise suppression", 200, dsp(noise=False), False),
    ("capture", "ring 20 ms, busy machine", 20, "", True),
    ("capture", "ring 100 ms, busy machine (the engine)", 100, "", True),
]


def load(path):
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).reshape(-1, w.getnchannels())
        return x[:, 0].astype(float), w.getframerate()


def score(reference, recorded, rate):
    """PESQ-WB of the recording against the reference, aligned on their envelopes; and how many
    milliseconds of digital silence the recording has where the reference has none."""
    step = rate // 1000
    env_ref = np.abs(reference[: rate * 4])[::step]
    env_rec = np.abs(recorded[: rate * 8])[::step]
    lag = int(np.argmax(np.correlate(env_rec, env_ref, "valid"))) * step
    heard = recorded[lag : lag + len(reference)]
    heard = np.pad(heard, (0, len(reference) - len(heard)))
    holes = 0
    window = rate // 200
    for i in range(0, len(reference) - window, window):
        if np.all(heard[i : i + window] == 0) and np.any(reference[i : i + window] != 0):
            holes += 5
    value = pesq(16000, analysis.to_16k(reference, rate), analysis.to_16k(heard, rate), "wb")
    return value, holes


def record(server, speech_path, ring_ms, chain, busy, out):
    pipeline = (
        f"pulsesrc provide-clock=false buffer-time={ring_ms * 1000} latency-time=10000 ! "
        "audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1,format=S16LE ! "
        f"{chain}audioconvert ! wavenc ! filesink location={out} "
        # The echo canceller needs a probe on the played-out audio, as in the engine.
        "audiotestsrc is-live=true wave=silence samplesperbuffer=480 ! "
        "audio/x-raw,rate=48000,channels=2,format=S16LE ! webrtcechoprobe name=probe0 ! fakesink sync=true"
    )
    env = dict(os.environ, PULSE_SERVER=server.server)
    spinners = []
    if busy:
        spin = "import os\nos.nice(-5)\nwhile True: pass"
        spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2 * (os.cpu_count() or 1))]
    gst = subprocess.Popen(["gst-launch-1.0", "-e", *pipeline.split()], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        subprocess.run(["paplay", "--server", server.server, "--device", "mic", speech_path], check=True, timeout=60)
        time.sleep(0.5)
    finally:
        gst.send_signal(2)
        gst.wait(timeout=10)
        for s in spinners:
            s.kill()
            s.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted({v[0] for v in VARIANTS}), help="one group of variants")
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    speech = stimulus.speech(WORK)
    speech_path = os.path.join(WORK, "speech.wav")
    stimulus.write_wav(speech_path, speech)
    reference, rate = load(speech_path)
    server = Pulse(WORK, "codec")
    try:
        print(f"{'variant':<46} {'PESQ-WB':>8} {'holes':>9}")
        for index, (group, name, ring, chain, busy) in enumerate(VARIANTS):
            if args.only and group != args.only:
                continue
            out = os.path.join(WORK, f"{group}-{index}.wav")
            record(server, speech_path, ring, chain, busy, out)
            recorded, _ = load(out)
            value, holes = score(reference, recorded, rate)
            print(f"{name:<46} {value:>8.2f} {holes:>6} ms", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
