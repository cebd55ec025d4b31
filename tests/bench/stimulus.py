"""Test sounds for the benchmark: voice-like bursts for latency, continuous voice-like sound for
"first sound", and synthetic speech for PESQ. Everything is mono float in -1..1."""

import os
import subprocess
import wave

import numpy as np

RATE = 48000

# Formant frequencies (Hz) of a few vowels; a harmonic complex shaped by them is what noise
# suppression keeps, where white noise or a pure tone would be treated as noise and removed.
VOWELS = {
    "a": (730, 1090, 2440),
    "i": (270, 2290, 3010),
    "u": (300, 870, 2240),
    "e": (530, 1840, 2480),
    "o": (570, 840, 2410),
}

BURSTS = 21
BURST_SECONDS = 0.28
BURST_SPACING = 1.0
LEAD_SECONDS = 0.5
# Long enough after the last burst for a late one to arrive within the search window.
TAIL_SECONDS = 1.5


def _formant_gain(freq, formants, bandwidth=90.0):
    gain = np.full_like(freq, 0.02)
    for f in formants:
        gain += 1.0 / (1.0 + ((freq - f) / bandwidth) ** 2)
    return gain


def voiced(seconds, f0_from, f0_to, vowel, rate=RATE):
    """A glottal-like harmonic complex gliding from f0_from to f0_to, shaped by a vowel's
    formants, unit peak."""
    n = int(seconds * rate)
    f0 = np.linspace(f0_from, f0_to, n)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    out = np.zeros(n)
    formants = VOWELS[vowel]
    for h in range(1, int(4000 / max(f0_from, f0_to)) + 1):
        # A real voice's spectrum falls about 12 dB per octave before the formants shape it.
        out += np.sin(h * phase) * _formant_gain(h * f0, formants) / h
    return out / np.max(np.abs(out))


def syllables(seconds, rate=RATE, count=2):
    """An envelope of `count` syllables with sharp onsets, so the arrival time is well defined."""
    n = int(seconds * rate)
    env = np.zeros(n)
    edges = np.linspace(0, n, count + 1).astype(int)
    attack = int(0.008 * rate)
    for i, (start, end) in enumerate(zip(edges[:-1], edges[1:])):
        length = end - start - int(0.03 * rate * (i < count - 1))
        seg = np.ones(length)
        seg[:attack] = np.linspace(0, 1, attack)
        release = length // 3
        seg[-release:] = np.linspace(1, 0, release) ** 2
        # Louder first syllable, like stress in speech.
        env[start : start + length] = seg * (1.0 if i == 0 else 0.7)
    return env


def latency_stimulus(rate=RATE, peak=0.5, bursts=BURSTS):
    """Distinct voice-like bursts 1 s apart (21 unless told); returns (signal, burst start offsets
    in samples)."""
    total = LEAD_SECONDS + (bursts - 1) * BURST_SPACING + BURST_SECONDS + TAIL_SECONDS
    out = np.zeros(int(total * rate))
    names = list(VOWELS)
    onsets = []
    for i in range(bursts):
        f0 = 120 + 9 * (i % 7)
        glide = f0 * (1.25 if i % 2 else 0.85)
        burst = voiced(BURST_SECONDS, f0, glide, names[i % len(names)], rate)
        burst *= syllables(BURST_SECONDS, rate, count=1 + i % 3)
        start = int((LEAD_SECONDS + i * BURST_SPACING) * rate)
        out[start : start + len(burst)] += burst * peak
        onsets.append(start)
    return out, onsets


def babble(seconds, rate=RATE, peak=0.5):
    """Continuous voice-like sound with short gaps only, for timing the first audible sound."""
    out = []
    names = list(VOWELS)
    i = 0
    while sum(len(x) for x in out) < seconds * rate:
        dur = 0.18 + 0.04 * (i % 3)
        part = voiced(dur, 110 + 7 * (i % 5), 140 - 5 * (i % 4), names[i % len(names)], rate)
        out.append(part * syllables(dur, rate, count=1) * peak)
        out.append(np.zeros(int(0.03 * rate)))
        i += 1
    return np.concatenate(out)[: int(seconds * rate)]


SPEECH = (
    "The birch canoe slid on the smooth planks. "
    "Glue the sheet to the dark blue background. "
    "It is easy to tell the depth of a well. "
    "These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls."
)


def speech(workdir, rate=RATE):
    """About ten seconds of synthetic speech (espeak-ng), resampled to `rate`."""
    path = os.path.join(workdir, "espeak.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "170", "-w", path, SPEECH], check=True, timeout=60)
    src_rate, data = read_wav(path)
    mono = data[:, 0]
    mono = resample(mono, src_rate, rate)
    return mono / np.max(np.abs(mono)) * 0.5


# --- files and rates -------------------------------------------------------------------------


def write_wav(path, signal, rate=RATE):
    data = np.asarray(signal, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    pcm = np.clip(np.round(data * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    """(rate, float array of shape (frames, channels)) from a 16-bit PCM WAV."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit samples, got {8 * w.getsampwidth()}-bit")
        rate, channels = w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    return rate, data.astype(float) / 32768.0


def lowpass_kernel(cutoff, rate, taps=255):
    """A windowed-sinc low-pass FIR with unit DC gain."""
    t = np.arange(taps) - (taps - 1) / 2
    kernel = np.sinc(2 * cutoff / rate * t) * np.blackman(taps)
    return kernel / kernel.sum()


def resample(x, src, dst):
    """Band-limited resampling by FFT (for whole, short signals)."""
    if src == dst:
        return np.asarray(x, dtype=float)
    n = int(round(len(x) * dst / src))
    spectrum = np.fft.rfft(x)
    keep = min(len(spectrum), n // 2 + 1)
    out = np.zeros(n // 2 + 1, dtype=complex)
    out[:keep] = spectrum[:keep]
    return np.fft.irfft(out, n) * (n / len(x))
