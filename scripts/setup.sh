#!/usr/bin/env bash
# Installs everything Tincan needs to build, run and test on Debian or Ubuntu: system packages,
# the Rust toolchain (if missing), npm packages and cargo tools. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

apt_packages=(
  # build
  build-essential pkg-config curl file git ca-certificates
  # Tauri on Linux: WebKitGTK 4.1, GTK, tray, SVG
  libwebkit2gtk-4.1-dev libssl-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  # the native audio engine
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-nice gstreamer1.0-tools gstreamer1.0-alsa gstreamer1.0-pulseaudio
  # tests: a headless display, screenshots, a browser, WebDriver, network namespaces
  xvfb xauth imagemagick librsvg2-bin chromium webkit2gtk-driver iproute2 dbus-x11 python3-venv
  x11-utils desktop-file-utils pulseaudio pulseaudio-utils nftables
  # push-to-talk test: real X key presses (XTest)
  libxtst6
  # Korean text in Chromium and WebKitGTK (the Korean UI test and its screenshots)
  fonts-noto-cjk
  # packaging
  rpm
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# The test command checks formatting and lints first; a minimal toolchain lacks both.
if command -v rustup >/dev/null; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      echo "setup: adding the Rust component $component"
      rustup component add "$component"
    fi
  done
fi

if [[ ! -d node_modules/playwright-core || ! -d node_modules/@tauri-apps/cli ]]; then
  echo "setup: installing npm packages"
  # `npm install` rather than `npm ci`: the lock lists the CLI's per-platform binaries as optional
  # entries that some npm versions leave out, which `npm ci` then refuses.
  npm install --no-audit --no-fund
fi

# Drives the real app in its end-to-end tests (with Debian's WebKitWebDriver).
if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked
fi
