#!/usr/bin/env bash
# Builds the Linux installers of the app (.deb, .rpm and, where its tools can be fetched, the
# AppImage) with the Tauri CLI, copies them to artifacts/bundles/ under their distributions' usual
# names (tincan_VERSION_ARCH.deb, tincan-VERSION-RELEASE.ARCH.rpm), and prints each one's size and
# the build time. `npm run package` runs this; tests/package/deb.sh then tests the .deb as a user
# installs it.
#
#   scripts/package.sh                      # deb, rpm, and the AppImage if its tools are reachable
#   TINCAN_BUNDLES=deb scripts/package.sh   # only these bundle types (comma-separated)
#
# The AppImage bundler downloads linuxdeploy, its AppRun and its GTK and GStreamer plugins from
# github.com on first use (into ~/.cache/tauri). Where neither those tools are cached nor github.com
# is reachable, the AppImage is skipped with a message saying so; the release workflow, which runs
# on GitHub, always builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

out=artifacts/bundles
bundle_dir=${CARGO_TARGET_DIR:-target}/release/bundle
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
[[ -n $version ]] || { echo "package: no version in Cargo.toml" >&2; exit 1; }

# The AppImage tools, as the bundler names them in its cache.
tools_dir=${XDG_CACHE_HOME:-$HOME/.cache}/tauri
arch=$(uname -m)
appimage_tools_cached() {
  [[ -x $tools_dir/linuxdeploy-$arch.AppImage && -x $tools_dir/AppRun-$arch &&
    -x $tools_dir/linuxdeploy-plugin-gtk.sh && -x $tools_dir/linuxdeploy-plugin-gstreamer.sh ]]
}
github_reachable() {
  curl -sfI --max-time 10 -o /dev/null https://github.com/ &&
    curl -sfI --max-time 10 -o /dev/null https://raw.githubusercontent.com/
}

skipped=""
if [[ -n ${TINCAN_BUNDLES:-} ]]; then
  bundles=$TINCAN_BUNDLES
elif appimage_tools_cached || github_reachable; then
  bundles=deb,rpm,appimage
else
  bundles=deb,rpm
  skipped="AppImage skipped: its bundler downloads linuxdeploy and its plugins from github.com, \
which this machine cannot reach, and they are not cached in $tools_dir. The release workflow \
(.github/workflows/release.yml) builds it on GitHub."
  echo "package: $skipped"
fi

echo "package: building Tincan $version bundles: $bundles"
rm -rf "$bundle_dir/deb" "$bundle_dir/rpm" "$bundle_dir/appimage"
started=$(date +%s)
npx --no-install tauri build --ci --bundles "$bundles"
elapsed=$(($(date +%s) - started))

rm -rf "$out"
mkdir -p "$out"
copied=()
copy() { # source, destination name
  cp "$1" "$out/$2"
  copied+=("$out/$2")
}
shopt -s nullglob
for kind in ${bundles//,/ }; do
  case $kind in
    deb) found=("$bundle_dir"/deb/*_"$version"_*.deb) ;;
    rpm) found=("$bundle_dir"/rpm/*-"$version"-*.rpm) ;;
    appimage) found=("$bundle_dir"/appimage/*_"$version"_*.AppImage) ;;
    *) echo "package: unknown bundle type '$kind'" >&2; exit 1 ;;
  esac
  if ((${#found[@]} != 1)); then
    echo "package: expected one $kind bundle for version $version in $bundle_dir/, found ${#found[@]}" >&2
    exit 1
  fi
  name=$(basename "${found[0]}")
  # Tauri names the files after the product name ("Tincan"); distributions name them after the
  # package, which is lower case.
  case $kind in
    deb) copy "${found[0]}" "tincan_${name#*_}" ;;
    rpm) copy "${found[0]}" "tincan-${name#*-}" ;;
    appimage) copy "${found[0]}" "tincan_${name#*_}" ;;
  esac
done

{
  echo "Tincan $version Linux bundles, built in ${elapsed}s on $(nproc) cores"
  for f in "${copied[@]}"; do
    printf '%-44s %10d bytes  %6.2f MiB\n' "$(basename "$f")" "$(stat -c %s "$f")" \
      "$(awk -v b="$(stat -c %s "$f")" 'BEGIN { print b / 1048576 }')"
  done
  [[ -z $skipped ]] || echo "$skipped"
} | tee "$out/SIZES.txt"
