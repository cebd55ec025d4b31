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

step "Rust code is formatted and lint-free"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

step "wire protocol types against the shared examples (tincan-protocol)"
cargo test -p tincan-protocol

step "relay (tincan-relay)"
cargo test -p tincan-relay

step "room discovery over mDNS between network namespaces (tincan-discovery)"
cargo test -p tincan-discovery

step "app commands on the mock runtime (tincan)"
cargo test -p tincan

step "native engine (tincan-engine): calls between native peers and with Chromium"
cargo test -p tincan-engine --no-run
scripts/netns-run.sh cargo test -p tincan-engine

step "web UI in Chromium: calls, mesh, errors, settings, English and Korean (tests/e2e)"
tests/e2e/run.sh --with-app

step "the real app under Xvfb: command line and home screen"
TINCAN_SHOTS=artifacts/app-shots tests/app/smoke.sh

step "the real app's IPC through tauri-driver"
tests/app/ipc.py

step "what a person set survives a restart of the real app"
tests/app/remember.py

step "push to talk in the real app through the global shortcut, with the window unfocused"
TINCAN_SHOTS=artifacts/app-shots tests/app/talk.py

step "the real app on a Korean desktop: home and a call in Korean, no English left, 360 px"
scripts/netns-run.sh tests/app/korean.py

step "a real call between two apps on the native engine, through tauri-driver"
scripts/netns-run.sh tests/app/call.py

step "a page reload mid-call in the real app ends the call and closes the microphone"
scripts/netns-run.sh tests/app/reload.py

step "rooms on your network between two apps in two namespaces, through tauri-driver"
tests/app/discover.py

step "release bundles (.deb, .rpm; the AppImage where its bundler can be fetched)"
npm run package

step "the .deb as a user installs it: install, start, call, remove"
tests/package/deb.sh

echo
echo "all tests passed"
