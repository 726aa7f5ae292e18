# goniec — build, test, demo, install and package.
#
#   make            build ./goniec
#   make check      install what the tests need, build, run every test
#   make demo       install what the demo needs (only that), build, run the example conf.d
#   make bench      install the benchmarks' peers, build, run them (figures go to
#                   bench/RESULTS.md by hand)
#   make fuzz       run each fuzz target longer (FUZZ_SECONDS, default 120)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install every missing Debian dependency (deps-demo, deps-check,
#                   deps-bench: what that target needs; see packaging/deps.sh)
#   make deb / rpm  build the packages into build/pkg (packaging/build.sh)
#   make package-check  lintian, rpmlint, and install tests in a Debian 12 chroot
#
# Sources are found by wildcard: every agent/**/*.c is part of the program, every
# tests/unit/test_*.c is a cmocka test binary, every tests/fuzz/fuzz_*.c a libFuzzer
# target, every tests/integration/t_*.sh an integration test.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
LIBEXECDIR ?= $(PREFIX)/libexec
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var

CC       ?= cc
PKGS     := yaml-0.1 libcurl jansson libxml-2.0 libcrypto zlib sqlite3
CPPFLAGS += -Iagent -D_GNU_SOURCE -DGONIEC_VERSION='"$(VERSION)"' \
            -DGONIEC_SYSCONFDIR='"$(SYSCONFDIR)"' -DGONIEC_LOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
            -DGONIEC_DATADIR='"$(DATADIR)"' -DGONIEC_LIBEXECDIR='"$(LIBEXECDIR)"' \
            $(shell pkg-config --cflags $(PKGS) libetpan)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -fno-strict-aliasing
# libetpan's .pc adds Debian's no-pie specs; only its libraries are wanted.
LDLIBS   += $(shell pkg-config --libs $(PKGS)) $(shell pkg-config --libs-only-l libetpan) -lcsv -lm

BUILD    ?= build
# agent/pdfworker/ is the PDF text worker, a program of its own (it alone links poppler).
SRCS     := $(sort $(shell find agent -name '*.c' -not -path 'agent/pdfworker/*'))
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
LIBOBJS  := $(filter-out $(BUILD)/agent/main.o,$(OBJS))
# The test build, $(BUILD)/test/goniec: the files that include core/testhook.h compiled
# again with -DGONIEC_TESTING (test hooks on), every other object shared with the
# product. The unit and integration tests use it; the product ignores the hooks.
HOOK_SRCS := $(shell grep -l '"core/testhook.h"' $(SRCS))
HOOK_OBJS := $(HOOK_SRCS:%.c=$(BUILD)/test/%.o)
TEST_OBJS := $(filter-out $(HOOK_SRCS:%.c=$(BUILD)/%.o),$(OBJS)) $(HOOK_OBJS)
TEST_LIBOBJS := $(filter-out $(BUILD)/agent/main.o,$(TEST_OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all check unit integration asan-check demo bench fuzz fuzz-smoke install deps clean \
        deps-demo deps-check deps-bench \
        deb rpm package-check
all: goniec $(BUILD)/test/goniec $(BUILD)/test/goniec-pdftext

goniec: $(BUILD)/goniec $(BUILD)/goniec-pdftext
	ln -sf $(BUILD)/goniec goniec

# Symbols are bound at start (-z now): the daemon's forked workers would otherwise each
# look up and bind again every function the master never called (bench/RESULTS.md).
$(BUILD)/goniec: $(OBJS)
	@echo "  LD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-z,now -o $@ $^ $(LDLIBS)

$(BUILD)/test/goniec: $(TEST_OBJS)
	@echo "  LD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-z,now -o $@ $^ $(LDLIBS)


$(BUILD)/test/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $< (test hooks)"
	@$(CC) $(CPPFLAGS) -DGONIEC_TESTING $(CFLAGS) -MMD -MP -c -o $@ $<

# The PDF text server is built without sanitizers even in build-asan: its readers run
# under RLIMIT_AS, which an ASan process cannot live with. The test build finds its own
# beside it, as the product does, built with its test hooks (core/testhook.h). Its symbols
# are bound at its start (-z now), once, not again in each reader it forks.
WORKER_SRCS := $(wildcard agent/pdfworker/*.c) agent/formats/pdfproto.c
WORKER_HDRS := $(wildcard agent/pdfworker/*.h) agent/formats/pdfproto.h agent/core/testhook.h
worker_link = @mkdir -p $(dir $@); echo "  LD    $@"; \
	$(CC) -Iagent -D_GNU_SOURCE $(1) $(filter-out -fsanitize%,$(CFLAGS)) $(shell pkg-config --cflags poppler-glib cairo zbar lcms2) \
	    $(filter-out -fsanitize%,$(LDFLAGS)) -Wl,-z,now -o $@ $(WORKER_SRCS) $(shell pkg-config --libs poppler-glib cairo zbar lcms2) -lm
$(BUILD)/goniec-pdftext: $(WORKER_SRCS) $(WORKER_HDRS)
	$(call worker_link)
$(BUILD)/test/goniec-pdftext: $(WORKER_SRCS) $(WORKER_HDRS)
	$(call worker_link,-DGONIEC_TESTING)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIBOBJS) tests/unit/testutil.h
	@mkdir -p $(dir $@)
	@echo "  TEST  $@"
	@$(CC) $(CPPFLAGS) -DGONIEC_TESTING -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIBOBJS) $(LDLIBS) -lcmocka

-include $(OBJS:.o=.d) $(HOOK_OBJS:.o=.d)

# The paths compiled in (GONIEC_*DIR) follow PREFIX & co.: when they change, as with
# `make install PREFIX=/usr` after a plain `make`, the objects are rebuilt.
PATHS_STAMP := $(BUILD)/paths.stamp
PATHS_NOW   := $(SYSCONFDIR) $(LOCALSTATEDIR) $(DATADIR) $(VERSION)
ifneq ($(PATHS_NOW),$(shell cat $(PATHS_STAMP) 2>/dev/null))
$(shell mkdir -p $(BUILD) && echo '$(PATHS_NOW)' >$(PATHS_STAMP))
endif
$(OBJS) $(HOOK_OBJS): $(PATHS_STAMP)

# ---- tests ---------------------------------------------------------------------------
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Builds run on every core (JOBS); the tests spread over them too (tests/run-all.sh).
JOBS ?= $(shell nproc)
check: deps-check
	@$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS)
	@$(MAKE) --no-print-directory -j$(JOBS) asan-build
	@tests/run-all.sh $(BUILD) build-asan

unit: all $(UNIT_BINS)
	@tests/run-unit.sh $(BUILD)

integration: all
	@GONIEC=$(CURDIR)/$(BUILD)/goniec tests/integration/run.sh

asan-build:
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS='$(ASAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' \
	    build-asan/goniec build-asan/test/goniec build-asan/goniec-pdftext build-asan/test/goniec-pdftext $(UNIT_BINS:$(BUILD)/%=build-asan/%)

# ---- fuzzing (clang + libFuzzer) ------------------------------------------------------
FUZZ_CC    := clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 120
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)

# The program's objects are compiled once for all targets (instrumented, without
# libFuzzer's main); each target links them with its own entry point.
FUZZ_CFLAGS := $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-command-line-argument -DGONIEC_FUZZING
FUZZ_OBJS  := $(LIBOBJS:$(BUILD)/%=build-fuzz/obj/%)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(subst fuzzer,fuzzer-no-link,$(FUZZ_FLAGS)) -MMD -MP -c -o $@ $<

-include $(FUZZ_OBJS:.o=.d)
.SECONDARY: $(FUZZ_OBJS)

build-fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p build-fuzz
	@echo "  FUZZ  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

fuzz-smoke: $(FUZZ_BINS)
	@tests/run-fuzz.sh 10 $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- demo, bench ----------------------------------------------------------------------
demo: deps-demo
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh

# ---- install ---------------------------------------------------------------------------
install: all
	install -D -m 0755 $(BUILD)/goniec $(DESTDIR)$(BINDIR)/goniec
	install -D -m 0755 $(BUILD)/goniec-pdftext $(DESTDIR)$(LIBEXECDIR)/goniec/goniec-pdftext
	for m in packaging/man/*.[1-9]; do \
	    s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	install -d $(DESTDIR)$(DATADIR)/goniec/providers
	for p in conf.d/providers/*.yaml; do [ -e "$$p" ] && install -m 0644 $$p $(DESTDIR)$(DATADIR)/goniec/providers/; done; true
	install -d $(DESTDIR)$(DATADIR)/goniec/invoices
	install -m 0644 conf.d/invoices/*.yaml $(DESTDIR)$(DATADIR)/goniec/invoices/
	install -D -m 0644 packaging/bash-completion $(DESTDIR)$(DATADIR)/bash-completion/completions/goniec

# ---- packages (packaging/build.sh, packaging/package-check.sh) --------------------------
PKGDIR ?= $(BUILD)/pkg

deb:
	@packaging/build.sh deb $(PKGDIR) $(VERSION)

rpm:
	@packaging/build.sh rpm $(PKGDIR) $(VERSION)

package-check: deps-check
	@packaging/package-check.sh $(PKGDIR) $(VERSION)

# Each target installs the lines of packaging/deps.d/*.list tagged with it or with build.
deps:
	@packaging/deps.sh all

deps-demo deps-check deps-bench:
	@packaging/deps.sh $(@:deps-%=%)

clean:
	rm -rf build build-asan build-fuzz goniec
