#!/usr/bin/env bash
# Smoke test of the real app: builds `tincan`, checks its command line without a display, then
# starts it under Xvfb, waits for the window to draw the home screen, and saves a screenshot.
#
#   tests/app/smoke.sh                 # screenshot in target/app-shots/home.png
#   TINCAN_SHOTS=artifacts tests/app/smoke.sh
#
# Needs xvfb-run (xvfb, xauth) and ImageMagick's `import` and `identify`.
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir=${CARGO_TARGET_DIR:-target}
bin="$target_dir/debug/tincan"
shots=${TINCAN_SHOTS:-$target_dir/app-shots}
# How long the window may take to appear; the first start of WebKit can be slow on a busy CI.
wait_secs=${TINCAN_SMOKE_WAIT:-60}
# A drawn page has thousands of colours and clear contrast; a blank or black screen has ~1.
min_colours=200
min_stddev=0.05

passed=0
pass() { passed=$((passed + 1)); echo "smoke: ok: $*"; }
fail() {
  echo "smoke: FAIL: $*" >&2
  echo "smoke: $passed passed, 1 failed"
  exit 1
}

if [[ ${1:-} == --inside-display ]]; then
  # Second stage, run by xvfb-run: start the app and watch the screen.
  shift
  shot=$1
  log=$2
  # Outside a network namespace: no mDNS onto the machine's real LAN.
  TINCAN_NO_DISCOVERY=1 "$bin" >"$log" 2>&1 &
  app=$!
  started=$(date +%s.%N)
  drawn=""
  tmp="$shot.part.png"
  deadline=$((SECONDS + wait_secs))
  while ((SECONDS < deadline)); do
    kill -0 "$app" 2>/dev/null || { echo "the app exited early; its log:" >&2; cat "$log" >&2; exit 1; }
    if import -window root "$tmp" 2>/dev/null; then
      read -r stddev colours < <(identify -format '%[fx:standard_deviation] %k\n' "$tmp")
      if awk -v s="$stddev" -v c="$colours" -v ms="$min_stddev" -v mc="$min_colours" \
        'BEGIN { exit !(s > ms && c > mc) }'; then
        drawn=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        break
      fi
    fi
    sleep 0.5
  done
  if [[ -z $drawn ]]; then
    mv -f "$tmp" "$shot" 2>/dev/null || true
    kill "$app" 2>/dev/null || true
    echo "the window drew nothing within ${wait_secs}s (stddev ${stddev:-?}, colours ${colours:-?})" >&2
    exit 1
  fi
  # Let fonts and images settle, then take the screenshot that is kept.
  sleep 2
  kill -0 "$app" 2>/dev/null || { echo "the app exited after drawing; its log:" >&2; cat "$log" >&2; exit 1; }
  import -window root "$shot"
  rm -f "$tmp"
  identify -format '%[fx:standard_deviation] %k\n' "$shot" >"$shot.stats"
  # Memory of the app and its WebKit helper processes, idle on the home screen.
  rss_kib=0
  for pid in "$app" $(pgrep -P "$app" || true); do
    kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    rss_kib=$((rss_kib + ${kib:-0}))
  done
  echo "first draw after ${drawn}s; idle RSS with WebKit processes: $((rss_kib / 1024)) MiB" >"$shot.numbers"
  kill "$app"
  wait "$app" 2>/dev/null || true
  exit 0
fi

echo "smoke: building the app"
cargo build -p tincan

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
got=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --version) || fail "tincan --version exited $?"
[[ $got == "tincan $version" ]] || fail "tincan --version printed '$got', expected 'tincan $version'"
pass "--version prints '$got' without a display"

set +e
err=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --join 10.0.0.5:0 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "a bad --join exited $rc, expected 2"
grep -q "port must be a number from 1 to 65535" <<<"$err" || fail "a bad --join printed: $err"
pass "a bad argument exits 2 with: $(head -n 1 <<<"$err")"

mkdir -p "$shots"
shot="$shots/home.png"
log="$shots/home.log"
rm -f "$shot" "$shot.numbers" "$shot.stats"
export bin wait_secs min_colours min_stddev
# WebKit's GPU compositing needs a GL the virtual display lacks; software rendering is enough.
export WEBKIT_DISABLE_COMPOSITING_MODE=1 LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1
# A fresh profile, so a name or settings saved by an earlier run do not change the screen.
profile=$(mktemp -d)
trap 'scripts/remove-profile.sh "$profile"' EXIT
export XDG_DATA_HOME="$profile/data" XDG_CONFIG_HOME="$profile/config" XDG_CACHE_HOME="$profile/cache"
# A private D-Bus session, so the portal services WebKit may start end with the app rather than
# outliving the test.
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" --inside-display "$shot" "$log" || fail "the app window did not come up (screenshot, if any: $shot; log: $log)"
pass "the window drew the home screen ($(cat "$shot.numbers"))"
pass "screenshot saved: $shot (stddev, colours: $(cat "$shot.stats"))"

echo "smoke: $passed passed, 0 failed"
