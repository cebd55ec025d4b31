#!/usr/bin/env bash
# Runs the UI tests: unit tests of the pure modules, then real calls between Chromium pages through
# a real relay, all inside a private network namespace (WebRTC needs non-loopback addresses, and no
# packet may leave the machine). Needs root or sudo, chromium, node and cargo.
#
#   tests/e2e/run.sh                            # everything in a browser
#   tests/e2e/run.sh --with-app                 # and a call between the desktop app and a browser
#   tests/e2e/run.sh tests/e2e/call.test.mjs    # some files
set -euo pipefail
cd "$(dirname "$0")/../.."

with_app=0
if [[ ${1:-} == --with-app ]]; then
  with_app=1
  shift
fi

cargo build -p tincan-relay

if [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=(tests/e2e/*.test.mjs)
fi
# One file at a time: each runs several Chromium pages and two cores are easily saturated.
scripts/netns-run.sh node --test --test-concurrency=1 "${files[@]}"

if [[ $with_app -eq 1 ]]; then
  # The app embeds ui/ when it is built, so build it after any UI change.
  cargo build -p tincan
  scripts/netns-run.sh xvfb-run -a -s "-screen 0 1280x800x24" node --test --test-concurrency=1 tests/e2e/app-call.mjs tests/e2e/app-talk.mjs tests/e2e/app-phone.mjs
fi
