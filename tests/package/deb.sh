#!/usr/bin/env bash
# Tests the .deb as a user gets it: installs artifacts/bundles/tincan_*.deb with apt (so its
# declared dependencies are resolved), checks the package's metadata, files and that its Depends
# cover every library the binary links and every GStreamer element the audio engine uses, runs the
# installed /usr/bin/tincan (--version; the home screen under Xvfb, screenshot in
# artifacts/deb-home.png), makes a call between the installed app hosting with its test tone and
# headless Chromium inside a private network namespace (the tone must arrive; screenshots in
# artifacts/deb-call.png and deb-call-peer.png), and finally removes and purges the package and
# checks nothing of it is left.
#
#   npm run package && tests/package/deb.sh
#
# Needs root (or sudo) for apt-get and the network namespace, and xvfb-run, ImageMagick, chromium,
# node with playwright-core, gst-inspect-1.0 (gstreamer1.0-tools), desktop-file-validate
# (desktop-file-utils), and xwininfo and xprop (x11-utils). A tincan package found installed at
# the start is purged first, so the test always installs from scratch.
set -euo pipefail
cd "$(dirname "$0")/../.."

shots=${TINCAN_SHOTS:-artifacts}
# How long the window may take to draw; the first start of WebKit can be slow on a busy machine.
wait_secs=${TINCAN_DEB_WAIT:-90}
# A drawn page has thousands of colours and clear contrast; a blank or black screen has ~1.
min_colours=200
min_stddev=0.05
host_port=47900
host_name=Deb
max_deb_bytes=10000000

export shots wait_secs min_colours min_stddev host_port host_name
# WebKit's GPU compositing needs a GL the virtual display lacks; software rendering is enough.
export WEBKIT_DISABLE_COMPOSITING_MODE=1 LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1

log() { echo "deb: $*"; }

# Waits until the X display shows a drawn window while process $1 runs; saves the screen to $2.
# Prints the seconds it took.
wait_for_drawing() {
  local app=$1 shot=$2 applog=$3 tmp="$2.part.png" started deadline stddev="" colours=""
  started=$(date +%s.%N)
  deadline=$((SECONDS + wait_secs))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$app" 2>/dev/null; then
      echo "the app exited early; its log:" >&2
      cat "$applog" >&2
      return 1
    fi
    if import -window root "$tmp" 2>/dev/null; then
      read -r stddev colours < <(identify -format '%[fx:standard_deviation] %k\n' "$tmp")
      if awk -v s="$stddev" -v c="$colours" -v ms="$min_stddev" -v mc="$min_colours" \
        'BEGIN { exit !(s > ms && c > mc) }'; then
        # Let fonts and images settle, then take the screenshot that is kept.
        sleep 2
        import -window root "$shot"
        rm -f "$tmp"
        awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'
        return 0
      fi
    fi
    sleep 0.5
  done
  mv -f "$tmp" "$shot" 2>/dev/null || true
  echo "the window drew nothing within ${wait_secs}s (stddev ${stddev:-?}, colours ${colours:-?})" >&2
  return 1
}

# Stops process $1 with SIGTERM (the app ends a hosted call politely on it) and waits for it.
stop_app() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

fresh_profile() {
  local profile
  profile=$(mktemp -d)
  export XDG_DATA_HOME="$profile/data" XDG_CONFIG_HOME="$profile/config" XDG_CACHE_HOME="$profile/cache"
  echo "$profile"
}

case ${1:-} in
  --home-screen)
    # Run by xvfb-run: start the installed app and wait for its home screen.
    applog=$2
    /usr/bin/tincan >"$applog" 2>&1 &
    app=$!
    drawn=$(wait_for_drawing "$app" "$shots/deb-home.png" "$applog") || { stop_app "$app"; exit 1; }
    if ! kill -0 "$app" 2>/dev/null; then
      echo "the app exited after drawing; its log:" >&2
      cat "$applog" >&2
      exit 1
    fi
    # The window's WM_CLASS, which docks match against the desktop entry's StartupWMClass.
    tree=$(xwininfo -root -tree)
    window=$(awk '/"Tincan": \(/ { print $1; exit }' <<<"$tree")
    [[ -n $window ]] || { echo "no window titled Tincan in: $tree" >&2; stop_app "$app"; exit 1; }
    xprop -id "$window" WM_CLASS | sed -n 's/.*= "\(.*\)", "\(.*\)"$/\2/p' >"$shots/deb-home.wmclass"
    stop_app "$app"
    echo "$drawn" >"$shots/deb-home.png.seconds"
    exit 0
    ;;
  --call)
    # Run by scripts/netns-run.sh: the app hosts on a display of its own, Chromium joins.
    applog=$2
    exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" --call-display "$applog"
    ;;
  --call-display)
    applog=$2
    /usr/bin/tincan --host --port "$host_port" --test-tone --name "$host_name" >"$applog" 2>&1 &
    app=$!
    trap 'stop_app "$app"' EXIT
    for _ in $(seq 1 $((wait_secs * 2))); do
      kill -0 "$app" 2>/dev/null || { echo "the hosting app exited; its log:" >&2; cat "$applog" >&2; exit 1; }
      if [[ -n $(ss -ltnH "sport = :$host_port") ]]; then break; fi
      sleep 0.5
    done
    [[ -n $(ss -ltnH "sport = :$host_port") ]] ||
      { echo "the app did not listen on port $host_port within ${wait_secs}s; its log:" >&2; cat "$applog" >&2; exit 1; }
    echo "deb: the installed app hosts on port $host_port ($(ss -ltnH "sport = :$host_port" | awk '{print $4}' | paste -sd ' '))"
    if ! node tests/package/call.mjs "${TINCAN_NETNS_ADDR:-10.99.0.1}:$host_port" "$host_name" "$shots/deb-call.png"; then
      echo "the call with the installed app failed; the app's log:" >&2
      cat "$applog" >&2
      exit 1
    fi
    exit 0
    ;;
esac

passed=0
pass() { passed=$((passed + 1)); log "ok: $*"; }
installed_by_us=""
fail() {
  echo "deb: FAIL: $*" >&2
  if [[ -n $installed_by_us ]] && dpkg-query -W -f='${Status}' tincan 2>/dev/null | grep -q installed; then
    echo "deb: purging the package this test installed" >&2
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tincan >/dev/null 2>&1 || true
  fi
  echo "deb: $passed passed, 1 failed"
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  exec sudo --preserve-env "$0" "$@"
fi

version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
shopt -s nullglob
debs=(artifacts/bundles/tincan_*.deb)
shopt -u nullglob
((${#debs[@]} == 1)) || fail "expected one artifacts/bundles/tincan_*.deb, found ${#debs[@]}; run npm run package first"
deb=${debs[0]}
mkdir -p "$shots"
rm -f "$shots"/deb-home.png* "$shots"/deb-home.wmclass "$shots"/deb-call*.png

# --- the file itself -------------------------------------------------------------------------
size=$(stat -c %s "$deb")
((size <= max_deb_bytes)) || fail "$deb is $size bytes, over the $max_deb_bytes-byte budget"
pass "$(basename "$deb") is $size bytes ($(awk -v b="$size" 'BEGIN { printf "%.2f MiB", b / 1048576 }'), budget $max_deb_bytes bytes)"
[[ $(dpkg-deb -f "$deb" Package) == tincan ]] || fail "the package is called '$(dpkg-deb -f "$deb" Package)', not tincan"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] ||
  fail "the package's version is '$(dpkg-deb -f "$deb" Version)', Cargo.toml says $version"
pass "the file is package tincan, version $version"

# --- install with apt ------------------------------------------------------------------------
if dpkg-query -W -f='${Status}' tincan 2>/dev/null | grep -q "ok installed\|config-files"; then
  log "a tincan package is already installed; purging it first"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tincan >/dev/null
fi
[[ ! -e /usr/bin/tincan ]] || fail "/usr/bin/tincan exists before the package is installed"
installed_by_us=1
install_log=$(mktemp)
trap 'rm -f "$install_log"' EXIT
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >"$install_log" 2>&1; then
  # Stale package lists can make dependencies look uninstallable; refresh them once.
  log "apt-get install failed; updating the package lists and trying again"
  apt-get update -q >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >"$install_log" 2>&1 ||
    { cat "$install_log" >&2; fail "apt-get install ./$deb failed"; }
fi
pass "apt-get install ./$deb ($(grep -E '^[0-9]+ upgraded' "$install_log" || echo 'installed'))"

status=$(dpkg -s tincan) || fail "dpkg -s tincan failed after installing"
grep -qx "Status: install ok installed" <<<"$status" || fail "dpkg -s tincan: $(grep '^Status' <<<"$status")"
grep -qx "Version: $version" <<<"$status" || fail "dpkg -s tincan shows $(grep '^Version' <<<"$status"), not $version"
depends=$(sed -n 's/^Depends: //p' <<<"$status")
for need in libwebkit2gtk-4.1-0 libgtk-3-0 libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 \
  libgstreamer-plugins-bad1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-pulseaudio; do
  grep -qE "(^|[ ,|])$need( |,|$)" <<<"$depends" || fail "Depends lacks $need: $depends"
done
pass "dpkg -s tincan: installed, version $version, Depends: $depends"
for field in Maintainer Homepage Description Section; do
  grep -q "^$field: ." <<<"$status" || fail "dpkg -s tincan has no $field"
done
pass "metadata: $(grep -E '^(Maintainer|Homepage|Section):' <<<"$status" | paste -sd ';' | sed 's/;/; /g')"

# --- what it installed -----------------------------------------------------------------------
[[ -x /usr/bin/tincan ]] || fail "/usr/bin/tincan is not an executable"
[[ $(dpkg -S /usr/bin/tincan | cut -d: -f1) == tincan ]] || fail "/usr/bin/tincan does not belong to the package"
desktop=/usr/share/applications/Tincan.desktop
[[ -f $desktop ]] || fail "no desktop entry at $desktop; the package holds: $(dpkg -L tincan | grep applications)"
desktop-file-validate "$desktop" || fail "desktop-file-validate rejects $desktop"
grep -qx "Categories=AudioVideo;Audio;Telephony;Network;" "$desktop" ||
  fail "$desktop has $(grep '^Categories' "$desktop"), expected AudioVideo;Audio;Telephony;Network;"
grep -qx "Exec=tincan" "$desktop" || fail "$desktop has $(grep '^Exec' "$desktop")"
grep -qx "Icon=tincan" "$desktop" || fail "$desktop has $(grep '^Icon' "$desktop")"
pass "desktop entry $desktop is valid: $(grep -E '^(Name|Categories)=' "$desktop" | paste -sd ' ')"
for px in 32 64 128 512; do
  icon=/usr/share/icons/hicolor/${px}x${px}/apps/tincan.png
  [[ -f $icon ]] || fail "no ${px}px icon at $icon"
  [[ $(identify -format '%wx%h' "$icon") == "${px}x${px}" ]] || fail "$icon is $(identify -format '%wx%h' "$icon")"
done
pass "icons at 32, 64, 128 and 512 px in the hicolor theme"
[[ -f /usr/share/doc/tincan/copyright ]] && grep -q "MIT License" /usr/share/doc/tincan/copyright ||
  fail "no MIT license text in /usr/share/doc/tincan/copyright"
pass "license text at /usr/share/doc/tincan/copyright"

# --- the Depends cover what the binary and the engine need -----------------------------------
# Every package apt would install for tincan, following Depends (and Pre-Depends) all the way.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances tincan | grep -v '^ ' | tr -d '<>' | sort -u)
in_closure() { grep -qx "$1" <<<"$closure"; }
owner_of() { # a file's package, looking past the /lib -> /usr/lib merge
  local path owner
  for path in "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; do
    owner=$(dpkg -S "$path" 2>/dev/null || true)
    owner=$(sed -n '1s/:.*//p' <<<"$owner")
    [[ -z $owner ]] || { echo "$owner"; return 0; }
  done
  return 1
}

ldd_out=$(ldd /usr/bin/tincan) || fail "ldd /usr/bin/tincan failed"
missing_libs=$(grep "not found" <<<"$ldd_out" || true)
[[ -z $missing_libs ]] || fail "the installed binary lacks libraries: $missing_libs"
needed=$(readelf -d /usr/bin/tincan | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[[ -n $needed ]] || fail "readelf lists no libraries for /usr/bin/tincan"
lib_owners=()
for soname in $needed; do
  # "libx.so.1 => /path/libx.so.1 (0x...)", or for the dynamic loader "/path/ld-linux.so.2 (0x...)".
  path=$(awk -v s="$soname" '$1 == s && $3 ~ /^\// { print $3; exit }
    substr($1, length($1) - length(s)) == "/" s { print $1; exit }' <<<"$ldd_out")
  [[ -n $path ]] || fail "cannot find $soname, which /usr/bin/tincan links"
  owner=$(owner_of "$path") || fail "no package owns $path ($soname)"
  in_closure "$owner" || fail "/usr/bin/tincan links $soname from $owner, which the Depends do not pull in"
  lib_owners+=("$soname:$owner")
done
pass "all $(wc -w <<<"$needed") linked libraries come from the Depends: $(printf '%s\n' "${lib_owners[@]}" | grep -E 'gst|webkit|gtk-3' | paste -sd ' ')"

# The engine's element list, as its start-up check knows it.
elements=$(grep -oE '(req\(|element: )"[a-z0-9]+"' tincan-engine/src/plugins.rs | grep -oE '"[a-z0-9]+"' | tr -d '"' | sort -u)
(($(wc -w <<<"$elements") >= 15)) || fail "read only $(wc -w <<<"$elements") elements from tincan-engine/src/plugins.rs"
element_owners=()
for element in $elements; do
  file=$(gst-inspect-1.0 "$element" 2>/dev/null || true)
  file=$(awk '/^  Filename/ { print $2; exit }' <<<"$file")
  [[ -n $file ]] || fail "GStreamer element $element, which the engine uses, is not installed after installing the package"
  owner=$(owner_of "$file") || fail "no package owns $file ($element)"
  in_closure "$owner" || fail "the engine's element $element comes from $owner, which the Depends do not pull in"
  element_owners+=("$owner")
done
pass "all $(wc -w <<<"$elements") GStreamer elements the engine uses come from the Depends: $(printf '%s\n' "${element_owners[@]}" | sort -u | paste -sd ' ')"

# --- run it ----------------------------------------------------------------------------------
got=$(env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/tincan --version) || fail "tincan --version exited $?"
[[ $got == "tincan $version" ]] || fail "tincan --version printed '$got', expected 'tincan $version'"
pass "tincan --version prints '$got'"
[[ $(command -v tincan) == /usr/bin/tincan ]] || fail "'tincan' on PATH is $(command -v tincan), not /usr/bin/tincan"

profile=$(fresh_profile)
trap 'rm -f "$install_log"; scripts/remove-profile.sh "$profile"' EXIT
applog="$shots/deb-home.log"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" --home-screen "$applog" ||
  fail "the installed app's window did not come up (screenshot, if any: $shots/deb-home.png; log: $applog)"
read -r stddev colours < <(identify -format '%[fx:standard_deviation] %k\n' "$shots/deb-home.png")
((colours > min_colours)) || fail "$shots/deb-home.png has only $colours colours"
pass "the installed app drew its home screen after $(cat "$shots/deb-home.png.seconds")s: $shots/deb-home.png ($colours colours, stddev $stddev)"
wm_class=$(cat "$shots/deb-home.wmclass")
grep -qx "StartupWMClass=$wm_class" "$desktop" ||
  fail "the window's WM_CLASS is '$wm_class' but $desktop has $(grep '^StartupWMClass' "$desktop" || echo 'no StartupWMClass')"
pass "the window's WM_CLASS '$wm_class' matches the desktop entry's StartupWMClass"
rm -f "$shots/deb-home.png.seconds" "$shots/deb-home.wmclass"

# --- a call ----------------------------------------------------------------------------------
scripts/remove-profile.sh "$profile"
profile=$(fresh_profile)
calllog="$shots/deb-call.log"
scripts/netns-run.sh "$0" --call "$calllog" ||
  fail "the call between the installed app and headless Chromium failed (log: $calllog)"
read -r stddev colours < <(identify -format '%[fx:standard_deviation] %k\n' "$shots/deb-call.png")
((colours > min_colours)) || fail "$shots/deb-call.png (the app mid-call) has only $colours colours"
pass "a call with the installed app hosting: Chromium joined by IP and heard its test tone ($shots/deb-call.png, $shots/deb-call-peer.png)"

# --- remove and purge ------------------------------------------------------------------------
files=$(dpkg -L tincan | while read -r f; do [[ -f $f ]] && echo "$f"; done)
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q tincan >/dev/null || fail "apt-get remove tincan failed"
for f in /usr/bin/tincan "$desktop" $files; do
  [[ ! -e $f ]] || fail "$f is still there after apt-get remove"
done
pass "apt-get remove took away /usr/bin/tincan, the desktop entry and all $(wc -l <<<"$files") files"
# With no configuration files in the package, dpkg forgets it entirely on remove; purge is then
# a no-op that apt reports as an unknown package.
if dpkg-query -W tincan >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tincan >/dev/null || fail "apt-get purge tincan failed"
  purged="apt-get purge"
else
  purged="nothing left to purge after remove"
fi
installed_by_us=""
listed=$(dpkg -l | awk '$2 == "tincan" || $2 == "tincan:amd64"')
[[ -z $listed ]] || fail "dpkg -l still lists the package after purging: $listed"
! dpkg -s tincan >/dev/null 2>&1 || fail "dpkg -s still knows tincan after purging"
pass "$purged: dpkg no longer lists tincan"

log "$passed passed, 0 failed"
