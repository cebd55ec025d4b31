"""What the benchmark does with the parts: the validation paths, and one call between two peers
measured for latency, first sound and speech quality."""

import os
import re
import time

import analysis
import loss
from peers import PEERS, Relay
from procs import exit_code, stop, wait_until
from pulse import MIC, Pulse, Recorder, SoundWatch, play_and_wait
from stimulus import RATE, babble, latency_stimulus, read_wav, speech, write_wav


class Sounds:
    """The test sounds, written once to the work directory."""

    def __init__(self, workdir, need_speech, soak_seconds=0):
        self.latency, self.onsets = latency_stimulus()
        self.latency_wav = os.path.join(workdir, "stimulus-latency.wav")
        write_wav(self.latency_wav, self.latency)
        self.soak = self.soak_wav = self.soak_onsets = None
        if soak_seconds:
            # A burst a second for the whole call: each one missed is a gap a listener hears.
            self.soak, self.soak_onsets = latency_stimulus(bursts=soak_seconds)
            self.soak_wav = os.path.join(workdir, "stimulus-soak.wav")
            write_wav(self.soak_wav, self.soak)
        self.babble_wav = os.path.join(workdir, "stimulus-babble.wav")
        write_wav(self.babble_wav, babble(60))
        self.speech = self.speech_wav = None
        if need_speech:
            self.speech = speech(workdir)
            # Silence before, and after for as long as the longest delay searched for, so the
            # recording holds all of the received speech.
            lead, tail = [0.0] * int(0.5 * RATE), [0.0] * int(1.5 * RATE)
            self.speech_wav = os.path.join(workdir, "stimulus-speech.wav")
            write_wav(self.speech_wav, lead + list(self.speech) + tail)

    def seconds(self, what):
        return len(getattr(self, what)) / RATE


def analyse_latency(sounds, path, which="latency"):
    stimulus = getattr(sounds, which)
    rate, rec = read_wav(path)
    start, match = analysis.locate(rec[:, 0], stimulus, rate)
    if match < 0.5:
        raise RuntimeError(f"the stimulus was not found on the sender's microphone channel (match {match:.2f}); see {path}")
    onsets = analysis.refine_onsets(rec[:, 0], stimulus, rate, start, sounds.onsets if which == "latency" else sounds.soak_onsets)
    bursts = analysis.burst_delays(rec, rate, onsets)
    summary = analysis.summarize(bursts)
    summary["clipped"] = analysis.clipped_fraction(rec[:, 1])
    summary["holes"] = analysis.holes(rec, rate, bursts, onsets)
    return bursts, summary


def record_latency(sounds, pulse_play, left, right, path, log, which="latency"):
    recorder = Recorder(path, left, right, log)
    play_and_wait(pulse_play, getattr(sounds, f"{which}_wav"), sounds.seconds(which))
    recorder.finish()
    bursts, summary = analyse_latency(sounds, path, which)
    summary["recorder_dropped"] = recorder.dropped
    return bursts, summary


# --- validation ------------------------------------------------------------------------------


def _stream_latency_us(pulse, kind, module):
    """Buffer plus device latency pulse reports for the stream of `kind` owned by `module`."""
    text = pulse.pactl("list", kind)
    for block in text.split("\n\n"):
        if re.search(rf"Owner Module: {module}\b", block):
            numbers = re.findall(r"(?:Buffer|Sink|Source) Latency: (\d+) usec", block)
            return sum(int(n) for n in numbers)
    return None


def _loopback(sounds, workdir, out, name, src, dst, sink, latency_ms):
    """Measures a module-loopback of `latency_ms` in `src` from its microphone to `sink`, recorded
    at `dst`'s speaker; also what PulseAudio reports for the loopback's two streams."""
    module = src.load_loopback(MIC, sink, latency_ms)
    try:
        # The loopback starts short of its latency and adapts its rate to reach it, which takes
        # about eight seconds.
        time.sleep(10)
        path = os.path.join(out, f"validate-{name}.wav")
        recorder = Recorder(path, (src.server, MIC), (dst.server, "speaker.monitor"), os.path.join(workdir, f"rec-{name}.log"))
        play_and_wait(src, sounds.latency_wav, sounds.seconds("latency"))
        reported = [_stream_latency_us(src, k, module) for k in ("sink-inputs", "source-outputs")]
        recorder.finish()
    finally:
        src.pactl("unload-module", module)
    _, summary = analyse_latency(sounds, path)
    summary["recorder_dropped"] = recorder.dropped
    if None not in reported:
        summary["pulse_reported_ms"] = round(sum(reported) / 1000, 1)
    return summary


def validate(workdir, out, sounds, loopback_ms=100):
    """The measurement itself, on paths of known delay. Returns a list of result dicts."""
    results = []
    one, two = Pulse(workdir, "check-1"), Pulse(workdir, "check-2")
    try:
        path = os.path.join(out, "validate-same-source.wav")
        _, summary = record_latency(sounds, one, (one.server, MIC), (one.server, MIC), path, os.path.join(workdir, "rec-same.log"))
        results.append({"path": "same source on both channels", "expected_ms": 0, **summary})

        summary = _loopback(sounds, workdir, out, "loopback", one, one, "speaker", loopback_ms)
        results.append({"path": f"loopback, one server, {loopback_ms} ms", "expected_ms": loopback_ms, **summary})

        # The calls' recordings take each channel from another server; this path does too. The
        # tunnel adds its own buffering, which PulseAudio counts in what it reports.
        one.pactl("load-module", "module-tunnel-sink-new", f"server={two.server}", "sink=speaker", "sink_name=to_two")
        wait_until("the tunnel from one check server to the other", lambda: "to_two" in one.pactl("list", "short", "sinks"), timeout=10)
        summary = _loopback(sounds, workdir, out, "tunnel", one, two, "to_two", loopback_ms)
        results.append({"path": f"loopback + tunnel, two servers, {loopback_ms} ms", "expected_ms": loopback_ms, **summary})
    finally:
        one.stop()
        two.stop()
    return results


# --- a call ----------------------------------------------------------------------------------


class Call:
    """Peer A (sender) and peer B (receiver), each with its own PulseAudio server, in one room of
    a relay of their own. B is started once A is in the call, while A's microphone hears
    continuous voice-like sound, so the time from B's start to its first sound is measured."""

    def __init__(self, workdir, label, kinds, display, low_latency, babble_wav, first_sound_timeout=45):
        self.label = label
        self.relay = Relay(workdir)
        self.pulses = [Pulse(workdir, f"{label}-A"), Pulse(workdir, f"{label}-B")]
        self.peers = []
        self.first_sound_s = None
        self.watch = self.babble = None
        try:
            a = PEERS[kinds[0]]("A", self.pulses[0], workdir, self.relay, display, low_latency)
            self.peers.append(a)
            a.wait_in_call()
            self.babble = self.pulses[0].play(babble_wav)
            self.watch = SoundWatch(self.pulses[1], "speaker.monitor")
            b = PEERS[kinds[1]]("B", self.pulses[1], workdir, self.relay, display, low_latency)
            self.peers.append(b)
            try:
                first = b._explained(lambda: wait_until(
                    f"the first sound from {kinds[0]} A at {kinds[1]} B's speaker",
                    lambda: self.watch.first,
                    timeout=first_sound_timeout,
                    proc=b.proc,
                ))  # fmt: skip
            except RuntimeError as error:
                raise RuntimeError(f"{error}\n   meanwhile: {self._streams()}") from None
            self.first_sound_s = round(first - b.started, 2)
            b.wait_in_call(timeout=10)
        except Exception:
            self.close()
            raise
        finally:
            if self.watch:
                self.watch.close()
            if self.babble:
                stop(self.babble)
        # Let the babble's tail drain before anything is measured.
        time.sleep(1.0)

    def _streams(self):
        """Who records from A's microphone and plays into B's speaker, for a failure message."""
        try:
            a = len(self.pulses[0].clients_using("source-outputs"))
            b = len(self.pulses[1].clients_using("sink-inputs"))
            return f"{a} stream(s) record A's microphone, {b} play into B's speaker"
        except RuntimeError as error:
            return f"PulseAudio could not be asked: {error}"

    @property
    def a(self):
        return self.peers[0]

    @property
    def b(self):
        return self.peers[1]

    def check_alive(self):
        for peer in self.peers:
            if not peer.alive():
                raise RuntimeError(f"{peer.kind} peer {peer.name} exited (code {exit_code(peer.proc)}); its log ends:\n{peer.log_tail()}")

    def latency(self, sounds, path, log, which="latency"):
        """Bursts through the call: the 21 of the latency stimulus, or a burst a second for the
        whole soak (which="soak")."""
        self.check_alive()
        a, b = self.pulses
        bursts, summary = record_latency(sounds, a, (a.server, MIC), (b.server, "speaker.monitor"), path, log, which)
        self.check_alive()
        return bursts, summary

    def speech_quality(self, sounds, percent, path, log, pesq_fn):
        """Speech through the call with `percent` % of UDP packets dropped."""
        self.check_alive()
        a, b = self.pulses
        loss.drop_udp(percent)
        try:
            # The jitter buffer meets the loss before the speech starts.
            time.sleep(1.5 if percent else 0.2)
            recorder = Recorder(path, (a.server, MIC), (b.server, "speaker.monitor"), log)
            play_and_wait(a, sounds.speech_wav, sounds.seconds("speech") + 2)
            recorder.finish()
            dropped = loss.dropped_packets()
            recorder_dropped = recorder.dropped
        finally:
            loss.clear()
        self.check_alive()
        rate, rec = read_wav(path)
        start, match = analysis.locate(rec[:, 0], sounds.speech, rate)
        if match < 0.5:
            raise RuntimeError(f"the speech was not found on the sender's microphone channel (match {match:.2f}); see {path}")
        result = analysis.speech_quality(rec, rate, start, len(sounds.speech), pesq_fn)
        result["loss_percent"] = percent
        result["dropped_packets"] = dropped
        result["recorder_dropped"] = recorder_dropped
        return result

    def close(self):
        for peer in reversed(self.peers):
            peer.stop()
        for pulse in self.pulses:
            pulse.stop()
        self.relay.stop()
