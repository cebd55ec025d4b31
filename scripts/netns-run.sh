#!/usr/bin/env bash
# Runs a command inside a network namespace of its own, so WebRTC calls get real, non-loopback host
# candidates while no packet can leave this machine. The namespace has `lo` up and a veth pair whose
# ends carry 10.99.0.1/24 and 10.99.0.2/24; it is deleted when the command ends.
#
#   scripts/netns-run.sh node tests/e2e/run.mjs
#
# TINCAN_NETNS_ADDR is set to 10.99.0.1 inside, for servers to bind to.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  exec sudo --preserve-env "$0" "$@"
fi
ns="tincan-test-$$-$RANDOM"
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link set lo up
ip -n "$ns" link add tcn0 type veth peer name tcn1
ip -n "$ns" addr add 10.99.0.1/24 dev tcn0
ip -n "$ns" addr add 10.99.0.2/24 dev tcn1
ip -n "$ns" link set tcn0 up
ip -n "$ns" link set tcn1 up
export TINCAN_NETNS_ADDR=10.99.0.1
ip netns exec "$ns" "$@"
