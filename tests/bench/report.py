"""How the benchmark's numbers are printed."""

import datetime
import os
import subprocess

import numpy as np


def describe_binary(path):
    if not os.path.exists(path):
        return {"path": path, "present": False}
    built = datetime.datetime.fromtimestamp(os.path.getmtime(path)).isoformat(timespec="seconds")
    return {"path": path, "present": True, "built": built}


def chromium_version():
    try:
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20).stdout
        return out.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def header(info):
    dirty = " (with uncommitted changes)" if info["dirty"] else ""
    info["chromium"] = chromium_version()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, Linux {info['kernel']}")
    print(f"commit:  {info['commit']}{dirty}")
    app = info["app"]
    print(f"app:     {app['path']} " + (f"(built {app['built']})" if app["present"] else "(missing)"))
    print(f"browser: {info['chromium']}")
    load = os.getloadavg()
    info["load_at_start"] = [round(x, 2) for x in load]
    print(f"load:    {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    if load[0] > info["nproc"] / 2:
        print("bench: warning: the machine is busy; delays and quality will be worse than on an idle one")


def _ms(value):
    return "-" if value is None else f"{value:.1f}"


def latency_brief(s):
    if not s.get("found"):
        return f"no burst found (0/{s['total']})"
    gain = f", gain {s['gain_db']:+.1f} dB" if "gain_db" in s else ""
    clipped = f", clipped {100 * s['clipped']:.2f} %" if s.get("clipped") else ""
    if "holes" in s:
        clipped += f", {s['holes']} with a hole"
    if s.get("recorder_dropped"):
        clipped += " [the recorder dropped samples: suspect]"
    return (
        f"median {s['median']:.1f} ms, p10..p90 {s['p10']:.1f}..{s['p90']:.1f}, min..max {s['min']:.1f}..{s['max']:.1f},"
        f" found {s['found']}/{s['total']}{gain}{clipped}"
    )


def validation_line(v):
    reported = f"; PulseAudio reports {v['pulse_reported_ms']:.1f} ms for it" if "pulse_reported_ms" in v else ""
    return f"  {v['path']:<40} set {v['expected_ms']:>4} ms{reported}; measured {latency_brief(v)}"


def pesq_brief(q):
    if q.get("error") == "silence received":
        return f"silence received (sent {q['sent_db']:.1f} dBFS)"
    score = "-" if q.get("pesq") is None else f"{q['pesq']:.2f}"
    error = f" ({q['error']})" if q.get("error") else ""
    dropped = "" if q.get("dropped_packets") is None else f", {q['dropped_packets']} packets dropped"
    if q.get("recorder_dropped"):
        dropped += " [the recorder dropped samples: suspect]"
    return (
        f"PESQ-WB {score}, level out-in {q['gain_db']:+.1f} dB (sent {q['sent_db']:.1f}, heard {q['heard_db']:.1f} dBFS),"
        f" clipped {100 * q['clipped']:.2f} %, delay {q['delay_ms']:.0f} ms{dropped}{error}"
    )


def logs_hint(workdir):
    return f"   (logs of the peers, relay and PulseAudio servers: {workdir})"


def _pair(pair):
    a, b = pair.split("-")
    return f"{a} → {b}"


def tables(results, pairs, args):
    print("\n== results ==")
    if results["validation"]:
        print("validation (known delay → measured median):")
        for v in results["validation"]:
            print(validation_line(v))
    rows = []
    for mode in args.modes:
        for pair in pairs:
            entries = [e for e in results["latency"] if e["pair"] == pair and e["mode"] == mode]
            bursts = [b for e in entries for b in e.get("bursts", [])]
            delays = [b["delay_ms"] for b in bursts if b["found"]]
            first = [e["first_sound_s"] for e in entries if e.get("first_sound_s") is not None]
            gains = [b["gain_db"] for b in bursts if b["found"]]
            clipped = [e["summary"]["clipped"] for e in entries if "summary" in e]
            rows.append((pair, mode, delays, len(bursts), first, gains, clipped, len(entries)))
    print("\nmouth-to-ear latency (all calls' bursts together)")
    print(f"  {'pair':<20} {'mode':<12} {'median':>8} {'p10..p90':>15} {'min..max':>15} {'found':>8} {'join→sound':>11} {'gain':>7} {'clip':>6}")
    for pair, mode, delays, total, first, gains, clipped, calls in rows:
        if delays:
            median = f"{np.median(delays):.1f}"
            spread = f"{np.percentile(delays, 10):.0f}..{np.percentile(delays, 90):.0f}"
            extent = f"{min(delays):.0f}..{max(delays):.0f}"
        else:
            median = spread = extent = "-"
        found = f"{len(delays)}/{total}" if total else "failed"
        sound = f"{np.median(first):.2f} s" if first else "-"
        gain = f"{np.median(gains):+.1f}dB" if gains else "-"
        clip = f"{100 * max(clipped):.2f}%" if clipped else "-"
        print(f"  {_pair(pair):<20} {mode:<12} {median:>8} {spread:>15} {extent:>15} {found:>8} {sound:>11} {gain:>7} {clip:>6}")
    print("  (ms; join→sound: from starting B's process to A's voice first heard at B, median over calls;")
    print("   gain: received burst level minus sent, dB; clip: largest share of full-scale samples at B)")
    if results["pesq"]:
        print("\nspeech quality (wideband PESQ, 1.0..4.64; level = received minus sent speech, dB RMS)")
        losses = sorted({q["loss_percent"] for q in results["pesq"]})
        keys = sorted({(q["pair"], q["mode"]) for q in results["pesq"]}, key=lambda k: (k[1], k[0]))
        head = "".join(f"{f'{p} % loss':>26}" for p in losses)
        print(f"  {'pair':<20} {'mode':<12}{head}")
        for pair, mode in keys:
            cells = []
            for percent in losses:
                q = next((q for q in results["pesq"] if (q["pair"], q["mode"], q["loss_percent"]) == (pair, mode, percent)), None)
                if q is None:
                    cells.append(f"{'-':>26}")
                    continue
                score = "-" if q.get("pesq") is None else f"{q['pesq']:.2f}"
                cell = f"{score} ({q['gain_db']:+.1f} dB, {100 * q['clipped']:.1f}% clip)"
                if q.get("error") == "silence received":
                    cell = "silent"
                cells.append(f"{cell:>26}")
            print(f"  {_pair(pair):<20} {mode:<12}{''.join(cells)}")
    if results["errors"]:
        print("\nerrors:")
        for error in results["errors"]:
            print(f"  {error}")
