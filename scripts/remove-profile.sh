#!/usr/bin/env bash
# Removes a throwaway app profile. WebKit may start a document portal that mounts itself inside
# the profile's cache (FUSE); the mount is detached first, so removal neither fails nor hangs.
#
#   scripts/remove-profile.sh DIR
set -uo pipefail
dir=${1:?usage: remove-profile.sh DIR}
[[ -d $dir ]] || exit 0
while read -r _ point _; do
  [[ $point == "$dir"/* ]] && umount -l "$point" 2>/dev/null
done </proc/self/mounts
rm -rf "$dir" 2>/dev/null || echo "remove-profile: could not remove all of $dir" >&2
exit 0
