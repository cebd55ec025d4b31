#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine (see setup.sh), builds Tincan and starts it. Arguments are passed
# to the app, e.g. `./scripts/run.sh --host --name Ann` or `./scripts/run.sh --join 192.168.1.23`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -p tincan
exec target/release/tincan "$@"
