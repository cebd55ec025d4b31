#!/usr/bin/env bash
# The version lives in the workspace Cargo.toml; package.json and tauri.conf.json must agree with it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
npm_version=$(node -p 'require("./package.json").version')
status=0
[[ -n $cargo_version ]] || { echo "version: no version in Cargo.toml [workspace.package]"; exit 1; }
if [[ $npm_version != "$cargo_version" ]]; then
  echo "version: package.json says $npm_version, Cargo.toml says $cargo_version"; status=1
fi
conf=src-tauri/tauri.conf.json
if [[ -f $conf ]]; then
  conf_version=$(node -p "require('./$conf').version ?? ''")
  # An absent version means Tauri reads it from Cargo.toml, which is the one source.
  if [[ -n $conf_version && $conf_version != "$cargo_version" && $conf_version != ../* ]]; then
    echo "version: $conf says $conf_version, Cargo.toml says $cargo_version"; status=1
  fi
fi
lock_version=$(node -p 'require("./package-lock.json").version')
if [[ $lock_version != "$cargo_version" ]]; then
  echo "version: package-lock.json says $lock_version, Cargo.toml says $cargo_version"; status=1
fi
((status == 0)) && echo "version: $cargo_version everywhere"
exit $status
