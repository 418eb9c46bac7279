#!/bin/sh
# `make demo': stream a chat answer through llm-native and show its figures.
# In a terminal (stdin and stdout are ttys) it runs `emacs -nw' with the answer in a
# buffer; otherwise, or with BATCH=1, `emacs --batch' printing the answer on stdout.
# The provider comes from the environment: see llm-native-demo.el and README.md.
# A failure is one line on stderr and a non-zero exit status.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
EMACS=${EMACS:-emacs}

fail() { echo "llm-native demo: $*" >&2; exit 1; }

emacs_program=${EMACS%% *}
command -v "$emacs_program" >/dev/null 2>&1 || fail "Emacs ($emacs_program) is not installed"

# `make demo' builds the module first; run directly, say what is missing.
if [ ! -f llm-native-module.so ]; then
  if command -v cmake >/dev/null 2>&1 && { command -v c++ || command -v g++; } >/dev/null 2>&1; then
    fail "the module llm-native-module.so is not built; run: make demo"
  fi
  fail "the module llm-native-module.so is not built and cmake or a C++ compiler is missing; run: sh scripts/install-deps.sh build && make demo"
fi

batch=${BATCH:-}
if [ -z "$batch" ] || [ "$batch" = 0 ]; then
  if [ -t 0 ] && [ -t 1 ]; then batch=0; else batch=1; fi
fi

if [ "$batch" != 0 ]; then
  # $EMACS may carry flags (e.g. "emacs --module-assertions"), hence no quotes.
  # shellcheck disable=SC2086
  exec $EMACS -Q --batch -L . -L :tests/llm-stand-in -l llm-native-demo -f llm-native-demo-batch
fi

# Terminal: Emacs owns the screen, so its error line is written to a file and printed
# here once the terminal is back to normal.
LLM_NATIVE_DEMO_ERROR_FILE=$(mktemp)
export LLM_NATIVE_DEMO_ERROR_FILE
trap 'rm -f "$LLM_NATIVE_DEMO_ERROR_FILE"' EXIT
# shellcheck disable=SC2086
$EMACS -Q -nw -L . -L :tests/llm-stand-in -l llm-native-demo -f llm-native-demo-terminal
status=$?
if [ -s "$LLM_NATIVE_DEMO_ERROR_FILE" ]; then
  cat "$LLM_NATIVE_DEMO_ERROR_FILE" >&2
  [ "$status" = 0 ] && status=1
fi
exit "$status"
