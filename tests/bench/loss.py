"""Random UDP packet loss inside the benchmark's network namespace, with nftables on the input
hook: every packet between the peers passes it once, whichever direction it goes. The relay's
WebSocket is TCP and is never touched."""

import subprocess

from procs import on_exit

TABLE = "tincanloss"
_registered = False


def _nft(*args, check=True):
    done = subprocess.run(["nft", *args], capture_output=True, text=True, timeout=10)
    if check and done.returncode != 0:
        raise RuntimeError(f"nft {' '.join(args)}: {done.stderr.strip()}")
    return done


def clear():
    """Removes the loss table if it is there."""
    if _nft("list", "table", "inet", TABLE, check=False).returncode == 0:
        _nft("delete", "table", "inet", TABLE)


def drop_udp(percent):
    """From now on drops `percent` % of incoming UDP packets at random (0 removes the rule)."""
    global _registered
    if not _registered:
        # Never leave a rule behind, whatever ends the benchmark.
        on_exit(clear)
        _registered = True
    clear()
    if percent <= 0:
        return
    _nft("add", "table", "inet", TABLE)
    _nft("add", "chain", "inet", TABLE, "input", "{ type filter hook input priority 0; policy accept; }")
    _nft("add", "rule", "inet", TABLE, "input", "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", str(int(percent)), "counter", "drop")


def dropped_packets():
    """Packets dropped so far by the rule (None when there is no rule)."""
    done = _nft("list", "table", "inet", TABLE, check=False)
    if done.returncode != 0:
        return None
    for line in done.stdout.splitlines():
        if "numgen" in line and "packets" in line:
            words = line.split()
            return int(words[words.index("packets") + 1])
    return None


def available():
    try:
        return _nft("list", "tables", check=False).returncode == 0
    except FileNotFoundError:
        return False

