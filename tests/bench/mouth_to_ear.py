#!/usr/bin/env python3
"""Mouth-to-ear latency and speech quality of Tincan calls, as a person would hear them: sound is
played into one peer's microphone and recorded at the other peer's speaker, both on one clock.
Prints numbers; it is a benchmark, not a pass/fail test.

    tests/bench/mouth_to_ear.py                  # validation, latency for all pairs, PESQ at 0/5/10 % loss
    tests/bench/mouth_to_ear.py --pairs app-app,chromium-chromium --runs 1 --low-latency --skip-pesq

Sets up what it needs (a Python venv with numpy and pesq under target/bench-venv, espeak-ng and
nftables through apt, the relay through cargo) and re-runs itself inside a network namespace
(scripts/netns-run.sh; needs root). See tests/bench/README.md.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
VENV = os.path.join(TARGET, "bench-venv")
NETNS_ADDR = "10.99.0.1"
ALL_PAIRS = ["app-app", "chromium-chromium", "app-chromium", "chromium-app"]
# Programs the benchmark runs, and the Debian package that brings each.
TOOLS = {
    "espeak-ng": "espeak-ng",
    "nft": "nftables",
    "pulseaudio": "pulseaudio",
    "pactl": "pulseaudio-utils",
    "paplay": "pulseaudio-utils",
    "parec": "pulseaudio-utils",
    "gst-launch-1.0": "gstreamer1.0-tools",
    "Xvfb": "xvfb",
    "node": "nodejs",
}
GST_ELEMENTS = {"pulsesrc": "gstreamer1.0-pulseaudio", "audiomixer": "gstreamer1.0-plugins-base", "wavenc": "gstreamer1.0-plugins-good"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", default=",".join(ALL_PAIRS), help=f"sender-receiver pairs, comma-separated (default: {','.join(ALL_PAIRS)})")
    p.add_argument("--runs", type=int, default=3, help="calls per pair and mode for latency (default 3)")
    p.add_argument("--low-latency", action="store_true", help="measure in low-latency mode only (same as --modes low-latency)")
    p.add_argument("--modes", default=None, help="comma-separated: default, low-latency (default: default)")
    p.add_argument("--skip-validation", action="store_true", help="leave out the known-delay paths")
    p.add_argument("--skip-pesq", action="store_true", help="leave out the speech-quality measurement")
    p.add_argument("--pesq-pairs", default="app-app,chromium-chromium", help="pairs scored with PESQ (default app-app,chromium-chromium)")
    p.add_argument("--loss", default="0,5,10", help="UDP loss percentages for PESQ (default 0,5,10)")
    p.add_argument("--soak", type=float, default=0, help="minutes of a burst a second at the end of the first call of each pair, counting bursts missed or with a hole (default 0: none)")
    p.add_argument("--out", default=os.path.join(ROOT, "artifacts", "bench"), help="where the JSON and WAVs go")
    args = p.parse_args(argv)
    args.pairs = [x.strip() for x in args.pairs.split(",") if x.strip()]
    args.pesq_pairs = [x.strip() for x in args.pesq_pairs.split(",") if x.strip()]
    for pair in args.pairs + args.pesq_pairs:
        if pair not in ALL_PAIRS:
            p.error(f"unknown pair {pair!r}; known: {', '.join(ALL_PAIRS)}")
    args.modes = [m.strip() for m in (args.modes or ("low-latency" if args.low_latency else "default")).split(",")]
    for mode in args.modes:
        if mode not in ("default", "low-latency"):
            p.error(f"unknown mode {mode!r}; known: default, low-latency")
    args.loss = [int(x) for x in args.loss.split(",") if x.strip()]
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


# --- getting ready: tools, venv, relay, namespace --------------------------------------------


def in_namespace():
    out = subprocess.run(["ip", "-br", "addr"], capture_output=True, text=True).stdout
    return f" {NETNS_ADDR}/" in out


def venv_python():
    return os.path.join(VENV, "bin", "python")


def venv_ready():
    py = venv_python()
    return os.path.exists(py) and subprocess.run([py, "-c", "import numpy, pesq"], capture_output=True).returncode == 0


def ensure_venv():
    if venv_ready():
        return
    print(f"bench: setting up {VENV} (numpy, pesq)", flush=True)
    if not os.path.exists(venv_python()):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([venv_python(), "-m", "pip", "install", "--quiet", "numpy", "pesq"], check=True)
    if not venv_ready():
        sys.exit(f"bench: {VENV} still cannot import numpy and pesq")


def ensure_tools():
    missing = sorted({pkg for tool, pkg in TOOLS.items() if not shutil.which(tool)})
    if shutil.which("gst-inspect-1.0"):
        for element, pkg in GST_ELEMENTS.items():
            if subprocess.run(["gst-inspect-1.0", element], capture_output=True).returncode != 0:
                missing.append(pkg)
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"bench: missing packages: {' '.join(missing)} (install them, or run scripts/setup.sh)")
    print(f"bench: installing {' '.join(missing)}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env, check=True)


def ensure_relay():
    from peers import RELAY

    if not os.path.exists(RELAY):
        print("bench: building the relay (cargo build --release -p tincan-relay)", flush=True)
        subprocess.run(["cargo", "build", "--release", "-p", "tincan-relay"], cwd=ROOT, check=True)


def bootstrap(argv):
    """Re-executes this script inside the venv and the network namespace, setting up both."""
    here = in_namespace()
    if not here:
        ensure_tools()
        ensure_venv()
        ensure_relay()
        script = os.path.join(ROOT, "scripts", "netns-run.sh")
        os.execv(script, [script, venv_python(), os.path.abspath(__file__), *argv])
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        if not venv_ready():
            sys.exit(f"bench: {VENV} is not set up; run this script once outside a network namespace (it needs the network to install)")
        os.execv(venv_python(), [venv_python(), os.path.abspath(__file__), *argv])


# --- the run ---------------------------------------------------------------------------------


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass

    def git(*a):
        done = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def pair_label(pair):
    a, b = pair.split("-")
    return f"{a} → {b}"


def main(argv):
    args = parse_args(argv)
    bootstrap(argv)
    sys.path.insert(0, HERE)
    import procs

    procs.install()
    from pesq import pesq as pesq_fn

    import loss
    import report
    from peers import APP, Display
    from scenarios import Call, Sounds, validate

    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        # Only this run's recordings are kept, so none is mistaken for a newer one.
        if name.endswith(".wav"):
            os.remove(os.path.join(args.out, name))
    workdir = os.path.join(TARGET, "bench-work")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)

    info = machine()
    info["app"] = report.describe_binary(APP)
    results = {"machine": info, "args": vars(args), "validation": [], "latency": [], "pesq": [], "errors": []}
    report.header(info)

    pairs = list(args.pairs)
    pesq_pairs = [] if args.skip_pesq else list(args.pesq_pairs)
    if not os.path.exists(APP) and any("app" in p for p in pairs + pesq_pairs):
        note = f"{APP} is missing (cargo build --release -p tincan); pairs with the app are left out"
        print(f"bench: {note}")
        results["errors"].append(note)
        pairs = [p for p in pairs if "app" not in p]
        pesq_pairs = [p for p in pesq_pairs if "app" not in p]
    if pesq_pairs and args.loss and any(args.loss) and not loss.available():
        sys.exit("bench: nft does not work here, so no packet loss can be made; use --loss 0 or --skip-pesq")

    sounds = Sounds(workdir, need_speech=bool(pesq_pairs), soak_seconds=int(args.soak * 60))
    try:
        if not args.skip_validation:
            print("\n== validation: paths of known delay ==", flush=True)
            results["validation"] = validate(workdir, args.out, sounds)
            for v in results["validation"]:
                print(report.validation_line(v), flush=True)

        display = Display()
        # Each call: B joins while A speaks (first sound), then bursts, then (once) speech.
        jobs = [(mode, pair, run) for mode in args.modes for pair in pairs for run in range(1, args.runs + 1)]
        jobs += [(mode, pair, 1) for mode in args.modes for pair in pesq_pairs if pair not in pairs]
        print(f"\n== calls: {len(jobs)} ==", flush=True)
        for mode, pair, run in jobs:
            label = f"{pair}-{mode}-{run}"
            want_latency = pair in pairs
            want_pesq = pair in pesq_pairs and run == 1
            load = round(os.getloadavg()[0], 2)
            print(f"-- {pair_label(pair)} ({mode}), call {run} (load average {load})", flush=True)
            call = None
            try:
                call = Call(workdir, label, pair.split("-"), display.name, mode == "low-latency", sounds.babble_wav)
                print(f"   join → first sound at B: {call.first_sound_s:.2f} s", flush=True)
                entry = {"pair": pair, "mode": mode, "run": run, "first_sound_s": call.first_sound_s, "load_before": load}
                if want_latency:
                    path = os.path.join(args.out, f"latency-{pair}-{mode}.wav")
                    bursts, summary = call.latency(sounds, path, os.path.join(workdir, f"rec-{label}.log"))
                    entry.update(summary=summary, bursts=bursts)
                    print(f"   latency: {report.latency_brief(summary)}", flush=True)
                results["latency"].append(entry)
                if args.soak and want_latency and run == 1:
                    path = os.path.join(args.out, f"soak-{pair}-{mode}.wav")
                    print(f"   soak: a burst a second for {args.soak:g} min", flush=True)
                    bursts, summary = call.latency(sounds, path, os.path.join(workdir, f"rec-{label}-soak.log"), "soak")
                    # Every burst's delay, a second apart: when a delay steps or drifts shows here.
                    results.setdefault("soak", []).append({"pair": pair, "mode": mode, "summary": summary, "bursts": bursts})
                    missed = summary["total"] - summary["found"]
                    print(f"   soak: {missed} missed, {summary.get('holes', 0)} with a hole; {report.latency_brief(summary)}", flush=True)
                if want_pesq:
                    for percent in args.loss:
                        path = os.path.join(args.out, f"speech-{pair}-{mode}-loss{percent}.wav")
                        q = call.speech_quality(sounds, percent, path, os.path.join(workdir, f"rec-{label}-{percent}.log"), pesq_fn)
                        q.update(pair=pair, mode=mode, load_before=load)
                        results["pesq"].append(q)
                        print(f"   speech at {percent:2d} % loss: {report.pesq_brief(q)}", flush=True)
            except procs.Interrupted:
                raise
            except Exception as error:
                message = f"{pair_label(pair)} ({mode}) call {run}: {error}"
                print(f"   FAILED: {error}", flush=True)
                if call is None:
                    print(report.logs_hint(workdir), flush=True)
                results["errors"].append(message)
            finally:
                if call:
                    call.close()
    except procs.Interrupted as stopped:
        print(f"\nbench: {stopped}; results so far follow", flush=True)
        results["errors"].append(str(stopped))
    finally:
        procs.stop_all()
        results["duration_s"] = round(time.time() - started, 1)
        path = os.path.join(args.out, "mouth-to-ear.json")
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
        report.tables(results, pairs, args)
        print(f"\nJSON: {os.path.relpath(path, ROOT)}; recordings: {os.path.relpath(args.out, ROOT)}/*.wav; logs: {os.path.relpath(workdir, ROOT)}/")
        print(f"took {results['duration_s'] / 60:.1f} min")


if __name__ == "__main__":
    main(sys.argv[1:])
