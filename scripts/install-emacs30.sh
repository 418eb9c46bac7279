#!/bin/sh
# Unpacks Emacs 30.1 from Debian 12's bookworm-backports into a private prefix
# (default build/emacs30), leaving the machine's own Emacs as it was: the .deb
# files are fetched with `apt-get download' and unpacked with `dpkg -x', never
# installed.  Only the shared libraries that binary needs are installed with apt.
# scripts/emacs30 runs the result.  Run by scripts/install-deps.sh (test).
# Usage: scripts/install-emacs30.sh [PREFIX]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-$here/../build/emacs30}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
# The packages unpacked, and the libraries emacs-nox 30.1 links that Debian 12's
# emacs-nox 28 (which install-deps.sh installs) does not bring with it.
debs="emacs-nox emacs-bin-common emacs-common"
libs="libgccjit0 libtree-sitter0 libsqlite3-0"

[ -x "$prefix/usr/bin/emacs-nox" ] && [ -f "$prefix/.complete" ] && exit 0

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "llm-native: Emacs 30 needs root for: $*" >&2
    exit 1
  fi
}

list=/etc/apt/sources.list.d/llm-native-bookworm-backports.list
if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "llm-native: adding bookworm-backports to apt ($list)" >&2
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | as_root tee "$list" >/dev/null
  as_root apt-get update -qq
elif ! apt-cache policy emacs-nox | grep -q 'bookworm-backports'; then
  as_root apt-get update -qq
fi

missing=""
for lib in $libs; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' || missing="$missing $lib"
done
if [ -n "$missing" ]; then
  echo "llm-native: installing$missing (for Emacs 30)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

echo "llm-native: unpacking Emacs 30 from bookworm-backports into $prefix" >&2
work=$(mktemp -d)
# As root, apt-get download fetches as the _apt user, into this directory.
if [ "$(id -u)" = 0 ]; then chown _apt "$work" 2>/dev/null || true; fi
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q -t bookworm-backports $debs >/dev/null)
rm -rf "$prefix" && mkdir -p "$prefix"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$prefix"; done
touch "$prefix/.complete"
EMACS30_PREFIX=$prefix "$here/emacs30" --version | head -n 1 >&2
