#!/usr/bin/env bash
# Runs the UI tests: unit tests of the pure modules, then real calls between Chromium pages through
# a real relay, all inside a private network namespace (WebRTC needs non-loopback addresses, and no
# packet may leave the machine). Needs root or sudo, chromium, node and cargo.
#
#   tests/e2e/run.sh                      # everything
#   tests/e2e/run.sh tests/e2e/call.test.mjs   # some files
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build -p tincan-relay

if [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=(tests/e2e/*.test.mjs)
fi
# One file at a time: each runs several Chromium pages and two cores are easily saturated.
exec scripts/netns-run.sh node --test --test-concurrency=1 "${files[@]}"
