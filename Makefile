# SPDX-License-Identifier: Apache-2.0
# prometheus-cluster-exporter: plain GNU make, non-recursive.

VERSION		:= 0.1.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBEXECDIR	?= $(PREFIX)/libexec
SYSCONFDIR	?= /etc
DESTDIR		?=

CC		?= cc
CFLAGS		?= -O2 -g
CPPFLAGS	?=
LDFLAGS		?=
LDLIBS		?=

B		:= build
ABS_B		:= $(abspath $(B))


WARN	= -std=c11 -Wall -Wextra -Wpedantic -Wformat=2 -Wformat-security \
	  -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
	  -Wsign-compare -Wimplicit-fallthrough -Wvla -Werror
HARDEN	= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	  -ftrivial-auto-var-init=zero -fno-strict-aliasing
HARDEN_LD = -pie -Wl,-z,relro,-z,now,-z,noexecstack

SANITIZE ?=
ifeq ($(SANITIZE),)
SAN	:=
else ifeq ($(SANITIZE),address)
SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
HARDEN	:= $(filter-out -D_FORTIFY_SOURCE=2,$(HARDEN))
else ifeq ($(SANITIZE),undefined)
SAN	:= -fsanitize=undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
else
$(error SANITIZE must be address or undefined, not '$(SANITIZE)')
endif

# TEST_HOOKS=1 compiles test-only switches (never in an installed binary).
TEST_HOOKS ?= 0
ifeq ($(TEST_HOOKS),1)
HOOKS	:= -DPCE_TEST_HOOKS
else
HOOKS	:=
endif

ALL_CPPFLAGS = -iquote lib -iquote sandbox -D_GNU_SOURCE -DJSMN_STRICT -DJSMN_PARENT_LINKS \
	-DPCE_VERSION='"$(VERSION)"' -DPCE_BUILDDIR='"$(ABS_B)"' \
	-DPCE_LIBEXECDIR='"$(LIBEXECDIR)/prometheus-cluster-exporter"' \
	$(HOOKS) $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(HARDEN) $(SAN) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(HARDEN_LD) $(SAN) $(LDFLAGS)

LIB_SRC	:= $(sort $(wildcard lib/*.c))
LIB_OBJ	:= $(LIB_SRC:%.c=$(B)/%.o)
SBX_SRC	:= $(sort $(wildcard sandbox/*.c))
SBX_OBJ	:= $(SBX_SRC:%.c=$(B)/%.o)
CMD_SRC	:= $(sort $(wildcard cmd/*.c))
CMD_OBJ	:= $(CMD_SRC:%.c=$(B)/%.o)
HELPERS	:= slurm accounts promql
HRT_OBJ	:= $(B)/helpers/runtime.o $(B)/helpers/command.o
HELPER_BIN := $(HELPERS:%=$(B)/helpers/%)

EXPORTER := $(B)/prometheus-cluster-exporter

UNIT_SRC := $(sort $(wildcard tests/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(B)/tests/%)

.SECONDARY:

.PHONY: FORCE fuzz all check check-unit check-e2e check-sanitize check-valgrind \
	check-all lint install uninstall clean deps demo bench policy-dump

all: $(EXPORTER) $(HELPER_BIN)

V ?= 0
ifeq ($(V),0)
Q	:= @
else
Q	:=
endif

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The helper directory is compiled into main.o: rebuild it when LIBEXECDIR
# changes, so `make install PREFIX=/usr` never ships a stale path.
$(B)/libexecdir: FORCE
	@mkdir -p $(B)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@

$(B)/cmd/main.o: $(B)/libexecdir

FORCE:

$(EXPORTER): $(CMD_OBJ) $(LIB_OBJ) $(SBX_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lmicrohttpd -lseccomp -pthread $(LDLIBS)

$(B)/helpers/promql: $(B)/helpers/promql.o $(HRT_OBJ) $(LIB_OBJ) $(SBX_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcurl -lseccomp $(LDLIBS)

$(B)/helpers/%: $(B)/helpers/%.o $(HRT_OBJ) $(LIB_OBJ) $(SBX_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lseccomp $(LDLIBS)

# A unit test includes its module's .c to reach statics, so that module's
# object stays out of the link (chrony, cmocka uptime example).
$(B)/tests/test_%: tests/test_%.c $(LIB_OBJ) $(SBX_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -DUNIT_TESTING $(ALL_CFLAGS) \
	    $(shell pkg-config --cflags cmocka) $(ALL_LDFLAGS) -o $@ $< \
	    $(filter-out $(B)/lib/$*.o $(B)/sandbox/$*.o,$(LIB_OBJ) $(SBX_OBJ)) \
	    -lcmocka -lseccomp $(LDLIBS)

# The spawner is in cmd/, not lib/: its test includes ../cmd/spawner.c and
# links every lib object (deadline, err), plus pthread for its lock.
$(B)/tests/test_spawner: tests/test_spawner.c $(LIB_OBJ) $(SBX_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote cmd -DUNIT_TESTING $(ALL_CFLAGS) \
	    $(shell pkg-config --cflags cmocka) $(ALL_LDFLAGS) -o $@ $< \
	    $(LIB_OBJ) $(SBX_OBJ) -lcmocka -lseccomp -pthread $(LDLIBS)

check-unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# The fault-injection scenarios need test hooks, compiled into a separate
# tree so that build/ holds exactly what `make install` ships.
check-e2e: all
	$(MAKE) B=build-hooks TEST_HOOKS=1 all
	PCE_BUILD=$(B) PCE_HOOKS_BUILD=build-hooks tests/e2e.sh

check-valgrind: all
	PCE_BUILD=$(B) /usr/bin/python3 tests/valgrind_helpers.py

lint:
	tests/lint.sh

check: lint check-unit check-e2e check-valgrind

# AddressSanitizer and UndefinedBehaviorSanitizer: unit tests and the
# end-to-end suite, in their own tree, with -sandbox=off (sanitizers need
# syscalls the filters forbid; the filters are never loosened for them).
check-sanitize:
	$(MAKE) B=build-asan SANITIZE=address TEST_HOOKS=1 check-unit all
	PCE_BUILD=build-asan PCE_HOOKS_BUILD=build-asan PCE_SANITIZE=1 \
	    tests/e2e.sh

# Everything CI runs.
check-all: check check-sanitize

bench: $(B)/tests/bench_join
	$(B)/tests/bench_join

$(B)/tests/bench_join: tests/bench_join.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets for the two parsers of untrusted bytes (needs clang):
# make fuzz FUZZ_SECONDS=60.
FUZZ_SECONDS ?= 30
FUZZ_SRC := lib/json.c lib/utf8.c lib/buf.c lib/err.c lib/proto.c
fuzz:
	@mkdir -p build-fuzz/corpus-json build-fuzz/corpus-proto
	cp tests/fixtures/promql/*.json build-fuzz/corpus-json/
	clang -std=c11 -D_GNU_SOURCE -DJSMN_STRICT -DJSMN_PARENT_LINKS \
	    -iquote lib -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o build-fuzz/fuzz_json tests/fuzz_json.c $(FUZZ_SRC)
	clang -std=c11 -D_GNU_SOURCE -DJSMN_STRICT -DJSMN_PARENT_LINKS \
	    -iquote lib -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o build-fuzz/fuzz_proto tests/fuzz_proto.c $(FUZZ_SRC)
	build-fuzz/fuzz_json -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 build-fuzz/corpus-json
	build-fuzz/fuzz_proto -max_total_time=$(FUZZ_SECONDS) \
	    build-fuzz/corpus-proto

# Prints each process's seccomp filter as pseudo-code, for review.
policy-dump: $(B)/tests/policy_dump
	$(B)/tests/policy_dump

$(B)/tests/policy_dump: tests/policy_dump.c $(SBX_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ \
	    -lseccomp $(LDLIBS)

deps:
	packaging/deps.sh

demo: all
	packaging/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR)/prometheus-cluster-exporter
	install -m 0755 $(EXPORTER) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(HELPER_BIN) \
	    $(DESTDIR)$(LIBEXECDIR)/prometheus-cluster-exporter/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/prometheus-cluster-exporter
	rm -rf $(DESTDIR)$(LIBEXECDIR)/prometheus-cluster-exporter

clean:
	rm -rf build build-asan build-hooks build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
