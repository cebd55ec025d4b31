"""Reading delays and quality off a two-channel recording: channel 0 is what went into the
sender's microphone, channel 1 what came out of the receiver's speaker, on one clock."""

import numpy as np

from stimulus import BURST_SECONDS, lowpass_kernel

# The envelope is sampled every millisecond; the delay is refined below that by interpolation.
ENV_RATE = 1000
MAX_DELAY_MS = 800
# A burst counts as found only if its envelope matches the sent one this well (Pearson r).
MIN_MATCH = 0.7
# ... and arrives louder than this (dBFS, RMS over the burst).
MIN_LEVEL_DB = -60.0


def envelope(x, rate, smooth_ms=12.0):
    """Amplitude envelope: RMS over a `smooth_ms` window, one value per millisecond. The window
    spans more than one pitch period, so the envelope follows syllables, not glottal pulses, and
    a codec that shifts the waveform's fine structure does not move the correlation peak."""
    width = max(1, int(rate * smooth_ms / 1000))
    # A centred moving average of the energy, by running sums.
    sums = np.concatenate(([0.0], np.cumsum(np.square(x, dtype=float))))
    idx = np.arange(len(x))
    lo = np.clip(idx - width // 2, 0, len(x))
    hi = np.clip(idx - width // 2 + width, 0, len(x))
    energy = (sums[hi] - sums[lo]) / width
    hop = rate // ENV_RATE
    return np.sqrt(np.maximum(energy[::hop], 0.0))


def db(value):
    return 20 * np.log10(max(value, 1e-10))


def rms(x):
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def xcorr_lag(reference, signal, max_lag):
    """Lag (samples, 0..max_lag) at which `signal` best matches `reference` by FFT correlation."""
    n = len(reference) + len(signal)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(reference, size)), size)
    return int(np.argmax(corr[: max_lag + 1]))


def locate(sent_channel, stimulus, rate):
    """Where (sample index) the stimulus starts in the sender's channel, and how well it matches."""
    env_rec = envelope(sent_channel, rate)
    env_stim = envelope(stimulus, rate)
    lag = xcorr_lag(env_stim - env_stim.mean(), env_rec - env_rec.mean(), len(env_rec) - 1)
    seg = env_rec[lag : lag + len(env_stim)]
    if len(seg) < len(env_stim):
        raise RuntimeError("the stimulus was not recorded whole on the sender's channel")
    match = float(np.corrcoef(seg, env_stim)[0, 1])
    return lag * (rate // ENV_RATE), match


def _sliding_pearson(template, signal):
    """Pearson correlation of `template` with every same-length window of `signal`."""
    n = len(template)
    t = (template - template.mean()) / (template.std() * n + 1e-20)
    windows = np.lib.stride_tricks.sliding_window_view(signal, n)
    stds = windows.std(axis=1)
    # The template sums to zero, so the windows' means drop out of the numerator.
    return np.where(stds > 1e-12, (windows @ t) / np.maximum(stds, 1e-12), 0.0)


def refine_onsets(sent_channel, stimulus, rate, start, offsets, slack_ms=300):
    """Each burst's start in the sender's channel, found near where the schedule puts it: a
    player starved for CPU may stretch the schedule, and one offset for all would then miss."""
    sent = envelope(sent_channel, rate)
    stim = envelope(stimulus, rate)
    hop = rate // ENV_RATE
    length = int(BURST_SECONDS * ENV_RATE) + 40
    out = []
    for offset in offsets:
        template = stim[offset // hop : offset // hop + length]
        lo = max(0, (start + offset) // hop - slack_ms)
        region = sent[lo : (start + offset) // hop + slack_ms + length]
        if len(region) < length or template.std() == 0:
            out.append(start + offset)
            continue
        out.append((lo + int(np.argmax(_sliding_pearson(template, region)))) * hop)
    return out


def burst_delays(recording, rate, onsets):
    """One entry per burst: {delay_ms, match, level_db, gain_db, found}. `onsets` are sample
    indices of the burst starts in the recording's sender channel."""
    sent = envelope(recording[:, 0], rate)
    heard = envelope(recording[:, 1], rate)
    hop = rate // ENV_RATE
    pre, length = 20, int(BURST_SECONDS * ENV_RATE) + 40
    results = []
    for onset in onsets:
        start = onset // hop - pre
        template = sent[start : start + length]
        region = heard[start : start + length + MAX_DELAY_MS]
        if start < 0 or len(template) < length or len(region) < length + MAX_DELAY_MS:
            results.append({"delay_ms": None, "match": 0.0, "level_db": None, "gain_db": None, "found": False})
            continue
        scores = _sliding_pearson(template, region)
        best = int(np.argmax(scores))
        delay = float(best)
        if 0 < best < len(scores) - 1:
            # Parabolic peak interpolation for sub-millisecond resolution.
            a, b, c = scores[best - 1 : best + 2]
            denominator = a - 2 * b + c
            if denominator < 0:
                delay += 0.5 * (a - c) / denominator
        span = int(BURST_SECONDS * rate)
        lo = (start + pre + best) * hop
        level = db(rms(recording[lo : lo + span, 1]))
        match = float(scores[best])
        results.append(
            {
                "delay_ms": round(delay, 2),
                "match": round(match, 3),
                "level_db": round(level, 1),
                "gain_db": round(level - db(rms(recording[onset : onset + span, 0])), 1),
                "found": bool(match >= MIN_MATCH and level >= MIN_LEVEL_DB),
            }
        )
    return results


def summarize(bursts):
    """Median, range and spread of the found bursts' delays, and their median gain."""
    found = [b for b in bursts if b["found"]]
    delays = sorted(b["delay_ms"] for b in found)
    out = {"found": len(delays), "total": len(bursts)}
    if delays:
        out.update(
            median=round(float(np.median(delays)), 1),
            min=round(float(delays[0]), 1),
            max=round(float(delays[-1]), 1),
            p10=round(float(np.percentile(delays, 10)), 1),
            p90=round(float(np.percentile(delays, 90)), 1),
            gain_db=round(float(np.median([b["gain_db"] for b in found])), 1),
        )
    return out


# A hole: this long a stretch of a found burst heard below HOLE_DB while the sender was above
# SENT_DB. Dropouts of the playout (a buffer run dry, a lost packet not concealed) come out as
# digital silence; the quiet ends of a syllable do not, as the sender is quiet there too.
HOLE_MS = 10
HOLE_DB = -70.0
SENT_DB = -35.0


def holes(recording, rate, bursts, onsets):
    """How many found bursts have a hole in them (see HOLE_MS)."""
    step = rate * HOLE_MS // 1000
    span = int(BURST_SECONDS * rate)
    count = 0
    for burst, onset in zip(bursts, onsets):
        if not burst["found"]:
            continue
        lag = int(round(burst["delay_ms"] * rate / 1000))
        sent = recording[onset : onset + span, 0]
        heard = recording[onset + lag : onset + lag + span, 1]
        windows = min(len(sent), len(heard)) // step
        for w in range(windows):
            part = slice(w * step, (w + 1) * step)
            if db(rms(sent[part])) > SENT_DB and db(rms(heard[part])) < HOLE_DB:
                count += 1
                break
    return count


def clipped_fraction(x):
    """Fraction of samples at full scale, where a too-loud output was cut off."""
    return float(np.mean(np.abs(x) >= 32766 / 32768)) if len(x) else 0.0


# --- speech quality --------------------------------------------------------------------------


def to_16k(x, rate):
    """Low-pass at 7.6 kHz and keep every third sample (48 kHz → 16 kHz)."""
    if rate != 48000:
        raise ValueError(f"expected a 48 kHz recording, got {rate} Hz")
    return np.convolve(x, lowpass_kernel(7600, rate), mode="same")[::3]


def speech_quality(recording, rate, start, length, pesq_fn):
    """Aligns the received speech to the sent speech and scores it. `start` and `length` (samples
    at `rate`) bound the sent speech in channel 0."""
    margin = int(0.25 * rate)
    lo = max(0, start - margin)
    sent = recording[lo : start + length + margin, 0]
    heard_all = recording[lo:, 1]
    max_lag = int(1.5 * rate)
    env_sent, env_heard = envelope(sent, rate), envelope(heard_all[: len(sent) + max_lag], rate)
    coarse = xcorr_lag(env_sent - env_sent.mean(), env_heard - env_heard.mean(), MAX_DELAY_MS * 2) * (rate // ENV_RATE)
    # Refine on the waveform within ±5 ms of the envelope's answer.
    fine_lo = max(0, coarse - int(0.005 * rate))
    window = heard_all[fine_lo : fine_lo + len(sent) + int(0.01 * rate)]
    lag = fine_lo + xcorr_lag(sent, window, int(0.01 * rate))
    heard = heard_all[lag : lag + len(sent)]
    if len(heard) < len(sent):
        raise RuntimeError("the received speech was cut off before its end")
    ref16, deg16 = to_16k(sent, rate), to_16k(heard, rate)
    # Level over the active speech only, so the pauses do not dilute it.
    env = envelope(sent, rate)
    active = np.repeat(env > env.max() * 0.03, rate // ENV_RATE)[: len(sent)]
    sent_db, heard_db = db(rms(sent[active])), db(rms(heard[active]))
    clipped = clipped_fraction(heard)
    result = {
        "delay_ms": round(lag * 1000 / rate, 1),
        "sent_db": round(sent_db, 1),
        "heard_db": round(heard_db, 1),
        "gain_db": round(heard_db - sent_db, 1),
        "clipped": clipped,
        "pesq": None,
    }
    if rms(heard) < 10 ** (-70 / 20):
        result["error"] = "silence received"
        return result
    try:
        result["pesq"] = round(float(pesq_fn(16000, ref16, deg16, "wb")), 3)
    except Exception as error:  # pesq raises its own types for "no utterance" and the like
        result["error"] = f"pesq: {error}"
    return result
