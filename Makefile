# llm-native's front door.  `make' builds the module next to llm-native.el;
# `make test' runs every suite; `make demo' streams a chat; `make bench' prints figures.

BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
EMACS      ?= emacs
JOBS       ?= 2
CMAKE_ARGS ?=
# Compiler warnings are errors in every build made here (CI runs `make test'); WERROR=OFF
# lets a newer compiler's new warnings through.  The Emacs-side build does not set it.
WERROR     ?= ON

# The Lisp files the package ships (scripts/make-package.sh and tests/package/lint.sh
# take the same set).
PACKAGE_LISP = $(filter-out %-pkg.el %-autoloads.el,$(wildcard llm-native*.el))

# The package's Lisp is at the top level; the llm stand-in (tests/llm-stand-in, llm-native's
# own implementation of the llm API) is appended to load-path, so a real llm ahead of it wins.
STAND_IN = -L :$(CURDIR)/tests/llm-stand-in
ERT = $(EMACS) -Q --batch --module-assertions -L . -L tests/lisp $(STAND_IN) -l ert

.PHONY: all module deps deps-build configure test test-core test-lisp test-clang demo bench \
        check package asan tsan fuzz clean

all: module

deps:
	@sh scripts/install-deps.sh test

deps-build:
	@sh scripts/install-deps.sh build

# Emacs 30 for the ert30-* suites: required under CI (CI=true), where configure fails
# without it rather than skip them; elsewhere they are left out with a warning.
EMACS30    ?= $(if $(CI),ON,OFF)

# Always re-run: cheap, and it finds what `make deps' installed since the last run.
configure:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DEMACS=$(EMACS) \
	  -DLLM_NATIVE_TESTS=ON -DLLM_NATIVE_WERROR=$(WERROR) -DLLM_NATIVE_EMACS30=$(EMACS30) \
	  $(CMAKE_ARGS) >/dev/null

module: deps-build configure
	cmake --build $(BUILD) --target llm-native-module -j $(JOBS)

# Every suite: core doctest, the fake server's self-test, ERT under --module-assertions.
test: deps configure
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure

test-core: deps configure
	cmake --build $(BUILD) --target core_tests -j $(JOBS)
	$(BUILD)/tests/core_tests

test-lisp: deps module
	ctest --test-dir $(BUILD) --output-on-failure -R '^ert'

# Every suite again with the module and the tests built by clang and linked by LLVM's lld,
# in build-clang (the module in build-clang/module, which the ERT suites load).
LLD_FLAGS = -fuse-ld=lld
test-clang: deps
	@sh scripts/install-deps.sh clang
	cmake -S . -B build-clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_EXE_LINKER_FLAGS=$(LLD_FLAGS) -DCMAKE_MODULE_LINKER_FLAGS=$(LLD_FLAGS) \
	  -DLLM_NATIVE_MODULE_DIR=$(CURDIR)/build-clang/module -DEMACS=$(EMACS) $(CMAKE_ARGS) >/dev/null
	cmake --build build-clang -j $(JOBS)
	readelf -p .comment build-clang/module/llm-native-module.so | grep -E 'clang|Linker'
	ctest --test-dir build-clang --output-on-failure

# A streamed chat in the terminal (or on stdout with BATCH=1): see README.md.
demo: deps-build module
	@sh tests/demo/run-demo.sh

# Benchmarks run llm-native byte-compiled, as a package install would: a copy of the
# Lisp compiled in $(BUILD)/elc (against the llm stand-in, compiled too), with the module.
# With LLM_NATIVE_BENCH_INCUMBENT=DIR:DIR:... (the real llm package and its dependencies:
# llm, plz, plz-media-type, plz-event-source, compat), the driver also measures the incumbent,
# llm's own plz path, in the same Emacs: those directories' .el files (tests left out) are
# byte-compiled in copies under $(BUILD)/incumbent-elc, llm-native's Lisp is compiled again there
# against the real llm (no stand-in), and all of them go on load-path ahead of llm-native.
# The driver and its test helpers are byte-compiled as well, beside the Lisp they run with: an
# interpreted closure conses far more (most of all on Emacs 30), and what the driver conses counts
# in the figures.  Their copies find the repository through BENCH_ROOT, not where they lie.
BENCH_HARNESS = tests/lisp/llm-native-test-util.el tests/bench/llm-native-bench.el
BENCH_ROOT    = --eval '(setq llm-native-test--root "$(CURDIR)/" llm-native-bench--root "$(CURDIR)/")'
BENCH_INCUMBENT_DIRS = $(patsubst %/,%,$(subst :, ,$(LLM_NATIVE_BENCH_INCUMBENT)))
BENCH_INCUMBENT_ELC  = $(BUILD)/incumbent-elc
BENCH_INCUMBENT_LOAD = $(foreach dir,$(BENCH_INCUMBENT_DIRS),-L $(BENCH_INCUMBENT_ELC)/$(notdir $(dir))) \
                       -L $(BENCH_INCUMBENT_ELC)/llm-native

bench: deps module
	cmake --build $(BUILD) --target core_bench parse_bench -j $(JOBS)
	$(BUILD)/tests/bench/parse_bench
	rm -rf $(BUILD)/elc && mkdir -p $(BUILD)/elc
	cp -p $(PACKAGE_LISP) $(BUILD)/elc/
	cp -rp tests/llm-stand-in $(BUILD)/elc/
	mkdir -p $(BUILD)/elc/harness && cp -p $(BENCH_HARNESS) $(BUILD)/elc/harness/
	ln -sf $(CURDIR)/llm-native-module.so $(BUILD)/elc/
	cd $(BUILD)/elc && $(EMACS) -Q --batch -L . -L :llm-stand-in -L harness \
	  -f batch-byte-compile $(PACKAGE_LISP) llm-stand-in/*.el harness/*.el
ifeq ($(strip $(LLM_NATIVE_BENCH_INCUMBENT)),)
	$(EMACS) -Q --batch -L $(BUILD)/elc -L :$(BUILD)/elc/llm-stand-in -L $(BUILD)/elc/harness \
	  -L tests/lisp $(BENCH_ROOT) -l llm-native-bench -f llm-native-bench-main
else
	rm -rf $(BENCH_INCUMBENT_ELC) && mkdir -p $(BENCH_INCUMBENT_ELC)/llm-native
	for dir in $(BENCH_INCUMBENT_DIRS); do \
	  copy=$(BENCH_INCUMBENT_ELC)/$$(basename $$dir) && mkdir -p $$copy && \
	  for file in $$dir/*.el; do \
	    case $$file in *-test.el|*-tests.el) ;; *) cp -p $$file $$copy/ || exit 1 ;; esac; \
	  done; \
	done
	cp -p $(PACKAGE_LISP) $(BENCH_INCUMBENT_ELC)/llm-native/
	mkdir -p $(BENCH_INCUMBENT_ELC)/harness && cp -p $(BENCH_HARNESS) $(BENCH_INCUMBENT_ELC)/harness/
	ln -sf $(CURDIR)/llm-native-module.so $(BENCH_INCUMBENT_ELC)/llm-native/
	$(EMACS) -Q --batch $(BENCH_INCUMBENT_LOAD) -L $(BENCH_INCUMBENT_ELC)/harness -f batch-byte-compile \
	  $(foreach dir,$(BENCH_INCUMBENT_DIRS),$(BENCH_INCUMBENT_ELC)/$(notdir $(dir))/*.el) \
	  $(BENCH_INCUMBENT_ELC)/llm-native/*.el $(BENCH_INCUMBENT_ELC)/harness/*.el \
	  >$(BENCH_INCUMBENT_ELC)/compile.log 2>&1 \
	  || { cat $(BENCH_INCUMBENT_ELC)/compile.log; exit 1; }
	$(EMACS) -Q --batch $(BENCH_INCUMBENT_LOAD) -L $(BENCH_INCUMBENT_ELC)/harness -L tests/lisp \
	  $(BENCH_ROOT) -l llm-native-bench -f llm-native-bench-main
endif

# The Lisp gates on every shipped file (tests/package/lint.sh, also the ctest test `lint'):
# byte-compile with warnings as errors, byte-compile without llm, checkdoc, package-lint.
check: deps
	sh tests/package/lint.sh $(EMACS)

# dist/llm-native-VERSION.tar for package-install-file (see README.md, Installing).
package:
	sh scripts/make-package.sh $(EMACS)

# AddressSanitizer+UBSan: the core's tests, then the ERT suites with a sanitized module
# (written to build-asan/module) and the sanitizer runtimes preloaded into Emacs only.
ASAN_PRELOAD = $(shell gcc -print-file-name=libasan.so):$(shell gcc -print-file-name=libubsan.so)
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLLM_NATIVE_SANITIZE=address,undefined \
	  -DLLM_NATIVE_MODULE_DIR=$(CURDIR)/build-asan/module
	cmake --build build-asan --target core_tests llm-native-module -j $(JOBS)
	build-asan/tests/core_tests
	for suite in tests/lisp/*-test.el; do \
	  LD_PRELOAD=$(ASAN_PRELOAD) ASAN_OPTIONS=detect_leaks=0 $(ERT) \
	    --eval '(setenv "LD_PRELOAD")' \
	    --eval '(setq llm-native-module-directory "$(CURDIR)/build-asan/module")' \
	    -l $$(basename $$suite .el) -f ert-run-tests-batch-and-exit || exit 1; \
	done

# ThreadSanitizer on the core's tests (the engine's worker and queue among them).
tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLLM_NATIVE_SANITIZE=thread
	cmake --build build-tsan --target core_tests -j $(JOBS)
	build-tsan/tests/core_tests

# Fuzz the framers and decoders (libFuzzer, ASan+UBSan) for FUZZ_SECONDS, starting from the
# seeds in tests/fuzz/seeds (deep nesting, big integers, \u0000) and what earlier runs found.
FUZZ_SECONDS ?= 120
fuzz:
	@sh scripts/install-deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLLM_NATIVE_FUZZ=ON -DLLM_NATIVE_TESTS=OFF -DLLM_NATIVE_SANITIZE=address,undefined
	cmake --build build-fuzz --target fuzz_stream -j $(JOBS)
	mkdir -p build-fuzz/corpus
	build-fuzz/tests/fuzz/fuzz_stream -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus \
	  tests/fuzz/seeds

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz build-clang build-emacs llm-native-module.so
