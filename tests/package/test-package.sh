#!/bin/sh
# The package as a user gets it: `make package', package-install-file into an empty
# package-user-dir (no error, no warning), the tarball's contents (no llm.el, no tests),
# the commands autoloaded in a new Emacs after package-initialize, the module built with
# CMake inside the installed package (to a temporary build directory), and a request
# streamed from the fake server with `llm-native-request-sync' on that module.
# Usage: tests/package/test-package.sh [EMACS]   (ctest runs it as `package')
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
EMACS=${1:-${EMACS:-emacs}}
JOBS=${JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
step() { echo "test-package: $*"; }

step "make package"
make -s -C "$root" package EMACS="$EMACS" >"$work/make.log" 2>&1 || { cat "$work/make.log" >&2; fail "make package"; }
version=$(sed -n 's/^;; Version: *\([0-9.]*\).*/\1/p' "$root/llm-native.el")
tarball="$root/dist/llm-native-$version.tar"
[ -f "$tarball" ] || fail "make package wrote no $tarball"

step "contents of $(basename "$tarball")"
tar -tf "$tarball" >"$work/contents"
for f in llm-native.el llm-native-pkg.el llm-native-runtime.el llm-native-loader.el \
         llm-native-llm.el llm-native-providers.el llm-native-prompt.el llm-native-policy.el \
         llm-native-results.el llm-native-embed.el llm-native-models.el \
         llm-native-tools.el llm-native-monitor.el llm-native-demo.el \
         llm-native-errors.el CMakeLists.txt README.md LICENSE NEWS module/emacs/module.cpp; do
  grep -qx "llm-native-$version/$f" "$work/contents" || fail "the tarball lacks $f"
done
# Only llm-native's own Lisp: no llm.el or any other file of the llm stand-in, no tests.
if grep '\.el$' "$work/contents" | grep -v "^llm-native-$version/llm-native[a-z-]*\.el$"; then
  fail "the tarball holds Lisp files that are not llm-native's (above)"
fi
if grep -e '/tests/' -e '/llm-stand-in/' "$work/contents"; then fail "the tarball holds tests"; fi
# The Lisp versions agree with the module's (the loader refuses a module of another version).
grep -q "llm-native-version \"$version\"" "$root/llm-native-loader.el" \
  || fail "llm-native-loader.el's llm-native-version is not $version"
grep -q "VERSION $version" "$root/CMakeLists.txt" || fail "CMakeLists.txt's version is not $version"

step "package-install-file into an empty package-user-dir"
elpa="$work/elpa"
mkdir "$elpa"
$EMACS -Q --batch --eval "(progn
  (setq package-user-dir \"$elpa\" package-archives nil)
  (package-initialize)
  (package-install-file \"$tarball\")
  (when (get-buffer \"*Warnings*\")
    (princ (with-current-buffer \"*Warnings*\" (buffer-string)))
    (kill-emacs 3)))" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "package-install-file"; }
if grep -e 'Error' -e 'Warning' -e 'error:' -e 'warning:' "$work/install.log"; then
  fail "package-install-file printed an error or a warning (above)"
fi
pkgdir="$elpa/llm-native-$version"
[ -f "$pkgdir/llm-native.elc" ] && [ -f "$pkgdir/llm-native-llm.elc" ] && [ -f "$pkgdir/llm-native-runtime.elc" ] \
  || fail "package.el did not byte-compile the package"

step "autoloads after package-initialize in a new Emacs"
$EMACS -Q --batch --eval "(progn
  (setq package-user-dir \"$elpa\" package-archives nil)
  (package-initialize)
  (let ((bad nil))
    (dolist (command '(llm-native-list-requests llm-native-mode llm-native-module-compile
                       llm-native-demo))
      (unless (and (autoloadp (symbol-function command)) (commandp command))
        (push command bad)))
    (dolist (function '(llm-native-request llm-native-request-sync))
      (unless (autoloadp (symbol-function function)) (push function bad)))
    (when (featurep 'llm-native) (push 'llm-native-loaded-eagerly bad))
    (unless (string-prefix-p \"$pkgdir/\" (or (locate-library \"llm-native\") \"\"))
      (push 'llm-native-not-from-the-package bad))
    (when bad (princ (format \"not autoloaded: %S\n\" bad)) (kill-emacs 1))))" \
  >"$work/autoloads.log" 2>&1 || { cat "$work/autoloads.log" >&2; fail "autoloads"; }

step "the module built inside the installed package"
cmake -S "$pkgdir" -B "$work/build" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 \
  || { cat "$work/cmake.log" >&2; fail "cmake configure in the installed package"; }
cmake --build "$work/build" -j "$JOBS" >>"$work/cmake.log" 2>&1 \
  || { tail -40 "$work/cmake.log" >&2; fail "cmake build in the installed package"; }
ls "$pkgdir"/llm-native-module.* >/dev/null 2>&1 || fail "no module in $pkgdir after the build"

step "llm-native-request-sync from the installed package, against the fake server"
# Only the test helpers come from the checkout (they start the fake server); llm-native is
# the installed package, found through package-initialize.
LLM_NATIVE_FIXTURES="$root/tests/fixtures" $EMACS -Q --batch --module-assertions \
  -L "$root/tests/lisp" --eval "(progn
  (setq package-user-dir \"$elpa\" package-archives nil)
  (package-initialize)
  (require 'llm-native-test-util)
  (let* ((base (llm-native-test-scenario '(:fixture \"openai-chat/text-usage.sse\")))
         (result (llm-native-request-sync :url (concat base \"/v1/chat\") :method \"POST\"
                                          :body \"{}\" :format 'sse))
         (records (plist-get result :records)))
    (unless (string-prefix-p \"$pkgdir/\" (symbol-file 'llm-native-request-sync))
      (princ (format \"llm-native-request-sync from %s\n\" (symbol-file 'llm-native-request-sync)))
      (kill-emacs 1))
    (unless (and (equal (plist-get result :status) 200) records
                 (equal (plist-get (car (last records)) :data) \"[DONE]\"))
      (princ (format \"unexpected result: %S\n\" result))
      (kill-emacs 1))
    (princ (format \"%d SSE records, HTTP %s\n\" (length records) (plist-get result :status)))))" \
  >"$work/request.log" 2>&1 || { cat "$work/request.log" >&2; fail "request from the installed package"; }
cat "$work/request.log"
step "PASS"
