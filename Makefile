# laocoon: non-recursive Makefile.
#
#   make            build build/laocoon and build/liblaocoon.a
#   make demo       build, then scan the bundled examples/
#   make check      build and run every test (unit, golden, fuzz-corpus replay)
#   make check-san  the same tests under AddressSanitizer + UBSan (build-san/)
#   make fuzz       libFuzzer targets (clang) in build-fuzz/
#   make bench      benchmark inputs + timings (see docs/benchmarks.md)
#   make format     clang-format the sources;  make lint  cppcheck
#
# Sources are found by wildcard: a new module is a new file, no edit here.

CC      ?= cc
BUILD   ?= build
SAN     ?=
PKGS    := zlib jansson yaml-0.1 libcrypto
# libarchive is opened with dlopen on first use (src/formats/archive_dl.h):
# only its headers are needed at build time.
PKG_AR_CFLAGS = $(shell pkg-config --cflags libarchive 2>/dev/null)
# libhdf5 likewise (src/formats/hdf5.c): Debian's serial flavour, headers only.
PKG_H5_CFLAGS = $(shell pkg-config --cflags hdf5 2>/dev/null)

# Expanded when used (not when the Makefile is read), so that a fresh machine
# gets them right after tools/install-deps.sh has run from the deps stamp.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wvla -Wformat=2
OPT     ?= -O2 -g
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(OPT) $(WARN) -Iinclude -Isrc -Itests \
              $(PKG_CFLAGS) $(PKG_AR_CFLAGS) $(PKG_H5_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -ldl -lpthread -lm $(LDLIBS)

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif
CFLAGS_ALL += $(SANFLAGS)

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard cli/*.c)))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
GOLDEN   := $(BUILD)/tests/golden_runner
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
REPLAY   := $(FUZZ_SRC:fuzz/fuzz_%.c=$(BUILD)/tests/fuzz_replay_%)
BENCH_GEN := $(BUILD)/bench/bench_gen

# Keep object files of tests and fuzz targets (make would delete them as
# intermediates and rebuild them on every run).
.SECONDARY:

.PHONY: all deps demo check check-san test fuzz bench eval clean format lint
all: $(BUILD)/laocoon $(BUILD)/liblaocoon.a

# Installs missing Debian packages once per build directory (idempotent).
DEPS_STAMP := $(BUILD)/.deps-ok
deps $(DEPS_STAMP): tools/install-deps.sh
	tools/install-deps.sh
	@mkdir -p $(BUILD) && touch $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/liblaocoon.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/laocoon: $(CLI_OBJ) $(BUILD)/liblaocoon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/liblaocoon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(GOLDEN): $(BUILD)/obj/tests/golden_runner.o $(BUILD)/liblaocoon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Each fuzz target's corpus (fuzz/corpus/<name>/) is replayed by a plain
# main() (fuzz/standalone.c) so that make check runs it without libFuzzer.
$(BUILD)/tests/fuzz_replay_%: $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/obj/fuzz/standalone.o $(BUILD)/liblaocoon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

test check: all $(TEST_BIN) $(GOLDEN) $(REPLAY)
	tests/run-tests.sh $(BUILD)

check-san:
	$(MAKE) BUILD=build-san SAN=1 OPT="-O1 -g" check

# Exit status 1 is the expected verdict here: examples/ holds malicious files.
demo: all
	@echo "== laocoon scan examples/ =="
	@$(BUILD)/laocoon scan examples/; rc=$$?; \
	  echo "(exit status $$rc: 0 clean, 1 findings at or above HIGH, 2 not fully analysed)"; \
	  test $$rc -le 1

# libFuzzer: one binary per fuzz/fuzz_<fmt>.c, run each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
fuzz:
	@mkdir -p build-fuzz
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	  build-fuzz/liblaocoon.a
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Itests \
	    $(PKG_CFLAGS) $(PKG_AR_CFLAGS) $(PKG_H5_CFLAGS) $$f build-fuzz/liblaocoon.a $(PKG_LIBS) -ldl -lpthread -lm -o build-fuzz/$$n; \
	  mkdir -p fuzz/corpus/$${n#fuzz_} build-fuzz/corpus-$${n#fuzz_}; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/corpus/$${n#fuzz_}/crash- \
	    build-fuzz/corpus-$${n#fuzz_} fuzz/corpus/$${n#fuzz_} || exit 1; \
	done

$(BENCH_GEN): $(BUILD)/obj/bench/bench_gen.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) $$(pkg-config --libs liblzma)

bench: all $(BENCH_GEN)
	bench/run.sh $(BUILD)

eval: all
	bash tests/eval/run-eval.sh

clean:
	rm -rf build build-san build-fuzz

format:
	clang-format -i $$(find include src cli tests fuzz bench -name '*.[ch]')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --std=c11 -Iinclude -Isrc --suppress=missingIncludeSystem --inline-suppr src cli

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
