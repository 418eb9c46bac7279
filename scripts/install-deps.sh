#!/bin/sh
# Installs what a Debian 12 machine lacks to build, test, benchmark and demo llm-native.
# The one list of dependencies: the Makefile's `deps' target and .ci/run both run this.
# Usage: scripts/install-deps.sh [build|test|fuzz|clang]
#   build: what building the module and `make demo' need; test: also the test tools;
#   fuzz: also clang and its libFuzzer runtime; clang: also clang and lld (make test-clang).
set -eu

need=""
want() {  # want PACKAGE TEST...: add PACKAGE unless the test succeeds
  pkg=$1; shift
  if ! "$@" >/dev/null 2>&1; then need="$need $pkg"; fi
}
have() { command -v "$1"; }
header() { test -e "/usr/include/$1" || ls /usr/include/*/"$1"; }

want make have make
want cmake have cmake
want g++ have g++
want emacs-nox have emacs
want libcurl4-openssl-dev header curl/curl.h
want rapidjson-dev header rapidjson/document.h
want python3 have python3
if [ "${1:-test}" != build ]; then
  want doctest-dev header doctest/doctest.h
  want curl have curl
  want openssl have openssl  # a self-signed certificate for the TLS tests
  want clang-format have clang-format  # the `format' test (.clang-format)
  # package-lint, one of the Lisp gates (tests/package/lint.sh)
  want elpa-package-lint sh -c 'ls -d /usr/share/emacs/site-lisp/elpa/package-lint-[0-9]*'
fi
if [ "${1:-test}" = clang ]; then
  want clang have clang++
  want lld have ld.lld
fi
if [ "${1:-test}" = fuzz ]; then
  want clang have clang++
  want libclang-rt-14-dev sh -c 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a'
fi
# emacs-module.h ships with Emacs (emacs-common); an Emacs from elsewhere may lack it.
want emacs-common header emacs-module.h

if [ -n "$need" ]; then
  echo "llm-native: installing$need" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
  elif have sudo >/dev/null 2>&1; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
  else
    echo "llm-native: missing packages:$need; install them with: apt-get install$need" >&2
    exit 1
  fi
fi
# The tests also run every ERT suite on Emacs 30.1, unpacked into build/emacs30
# (its own list of packages is in that script).  CI must have it; elsewhere the
# ert30-* tests are left out, with a warning from cmake.
if [ "${1:-test}" != build ]; then
  sh "$(dirname "$0")/install-emacs30.sh" || [ -z "${CI:-}" ] || exit 1
fi
