#!/bin/sh
# The Lisp gates, on every file the package ships (llm-native*.el at the top level):
#  1. byte-compile with warnings as errors, against the llm stand-in (compiled the same way);
#  2. byte-compile with no llm at all, as package.el does where llm is not installed:
#     no error, and no call to a missing setf function (an llm struct slot set without
#     its setter, see llm-native-providers.el);
#  3. checkdoc: no complaint;
#  4. package-lint (Debian's elpa-package-lint) with llm-native.el as the main file: no error.
# Usage: tests/package/lint.sh [EMACS]   (ctest runs it as `lint'; so does `make check')
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
EMACS=${1:-${EMACS:-emacs}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "lint: $*" >&2; status=1; }

cd "$root"
shipped=$(ls llm-native*.el | grep -v -e '-pkg\.el$' -e '-autoloads\.el$')

# 1. Warnings as errors, beside the stand-in.
mkdir "$work/with" "$work/with/llm-stand-in" "$work/without"
# shellcheck disable=SC2086
cp $shipped "$work/with/"
cp tests/llm-stand-in/*.el "$work/with/llm-stand-in/"
(cd "$work/with" && $EMACS -Q --batch -L . -L :llm-stand-in \
   --eval '(setq byte-compile-error-on-warn t)' \
   -f batch-byte-compile $shipped llm-stand-in/*.el) >"$work/compile.log" 2>&1 \
  || { cat "$work/compile.log" >&2; fail "byte-compile (warnings as errors) failed"; }

# 2. Without llm: what package-install-file does in an Emacs without llm.
# shellcheck disable=SC2086
cp $shipped "$work/without/"
(cd "$work/without" && $EMACS -Q --batch -L . -f batch-byte-compile $shipped) \
  >"$work/nollm.log" 2>&1 || { cat "$work/nollm.log" >&2; fail "byte-compile without llm failed"; }
if grep -q -e 'Error:' "$work/nollm.log"; then
  grep -B2 -A2 -e 'Error:' "$work/nollm.log" >&2
  fail "byte-compile without llm: errors"
fi
# A setf on a struct slot the compiler did not know compiles into a call of the
# function (setf ACCESSOR), which does not exist: llm-native-providers.el lists the slots.
if grep -a -o '\\(setf\\ [^ ]*' "$work"/without/*.elc; then
  fail "byte-compile without llm: setf of unknown places (above)"
fi

# 3. checkdoc prints its complaints as warnings; any output is a complaint.  No version
#    control: visiting a file of a git checkout on a machine without git prints an error.
for f in $shipped; do
  $EMACS -Q --batch -L . --eval "(setq vc-handled-backends nil)" \
    --eval "(checkdoc-file \"$f\")" >"$work/checkdoc.log" 2>&1 \
    || fail "checkdoc could not check $f"
  if [ -s "$work/checkdoc.log" ]; then cat "$work/checkdoc.log" >&2; fail "checkdoc: $f"; fi
done

# 4. package-lint from the Debian package (scripts/install-deps.sh installs it).
pl=$(ls -d /usr/share/emacs/site-lisp/elpa/package-lint-[0-9]* 2>/dev/null | tail -n 1)
la=$(ls -d /usr/share/emacs/site-lisp/elpa/let-alist-[0-9]* 2>/dev/null | tail -n 1)
if [ -z "$pl" ]; then
  fail "package-lint is not installed (apt-get install elpa-package-lint)"
else
  # shellcheck disable=SC2086
  $EMACS -Q --batch -L "$pl" ${la:+-L "$la"} \
    --eval "(setq package-user-dir \"$work/elpa\" package-archives nil)" \
    -l package-lint \
    --eval '(setq package-lint-main-file "llm-native.el" package-lint-batch-fail-on-warnings nil)' \
    -f package-lint-batch-and-exit $shipped >"$work/package-lint.log" 2>&1 \
    || { cat "$work/package-lint.log" >&2; fail "package-lint reported errors"; }
  # Warnings do not fail the gate; show them.
  $EMACS -Q --batch -L "$pl" ${la:+-L "$la"} \
    --eval "(setq package-user-dir \"$work/elpa\" package-archives nil)" \
    -l package-lint --eval '(setq package-lint-main-file "llm-native.el")' \
    -f package-lint-batch-and-exit $shipped 2>&1 | grep -v '^Entering' || true
fi

[ "$status" = 0 ] && echo "lint: byte-compile, checkdoc and package-lint clean on: $shipped"
exit "$status"
