#!/bin/sh
# `make package': writes dist/llm-native-VERSION.tar, a package for package-install-file.
# It holds what the package needs at run time and for its first build: the Lisp files at
# the top level (the same layout as the repository, package-vc and a MELPA recipe), a
# -pkg.el generated from llm-native.el's headers, the module's sources, CMakeLists.txt,
# the docs the code cites, README.md, NEWS and LICENSE.  No tests and no llm stand-in.
# Usage: scripts/make-package.sh [EMACS]
set -eu
cd "$(dirname "$0")/.."
EMACS=${1:-${EMACS:-emacs}}

version=$(sed -n 's/^;; Version: *\([0-9.]*\).*/\1/p' llm-native.el)
[ -n "$version" ] || { echo "make-package: no Version header in llm-native.el" >&2; exit 1; }
name=llm-native-$version
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"

lisp=$(ls llm-native*.el | grep -v -e '-pkg\.el$' -e '-autoloads\.el$')
# shellcheck disable=SC2086
cp -p $lisp CMakeLists.txt README.md NEWS LICENSE "$stage/$name/"
# The module's sources, and the CMake helpers a portable build may add beside them.
cp -Rp module doc "$stage/$name/"
[ -d cmake ] && cp -Rp cmake "$stage/$name/"

# The description file package.el reads, from the main file's headers.
$EMACS -Q --batch --eval "(progn (require 'package)
  (with-temp-buffer
    (insert-file-contents \"llm-native.el\")
    (package-generate-description-file (package-buffer-info)
                                       \"$stage/$name/$name-pkg.el\")))" \
  || { echo "make-package: could not write $name-pkg.el" >&2; exit 1; }
# package-generate-description-file names the file NAME-pkg.el without the version.
[ -f "$stage/$name/$name-pkg.el" ] && mv "$stage/$name/$name-pkg.el" "$stage/$name/llm-native-pkg.el"

mkdir -p dist
tar -cf "dist/$name.tar" -C "$stage" "$name"
echo "dist/$name.tar"
